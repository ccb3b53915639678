// What may be said of NATS URLs and credentials: the checks nexusd's
// configuration and the bus share, and URLs as log lines may show them.
#include <nexus/cluster/nats.hpp>

#include <algorithm>

namespace nexus::cluster {

namespace {

// Where the userinfo of `url` is ("user:pass@"), if it has any.
std::optional<std::pair<std::size_t, std::size_t>> userinfo(std::string_view url) {
    const auto scheme = url.find("://");
    const std::size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
    const std::size_t end = std::min(url.find_first_of("/?#", start), url.size());
    const auto at = url.substr(0, end).rfind('@');
    if (at == std::string_view::npos || at < start) return std::nullopt;
    return std::pair{start, at + 1};
}

} // namespace

std::string redact_url(std::string_view url) {
    const auto info = userinfo(url);
    if (!info) return std::string(url);
    return std::string(url.substr(0, info->first)) + "***@" + std::string(url.substr(info->second));
}

std::string describe_urls(const std::vector<std::string>& urls) {
    std::string out;
    for (const std::string& url : urls)
        out += (out.empty() ? "" : ", ") + redact_url(url);
    return out;
}

std::optional<NatsOptionsProblem> nats_options_problem(const NatsOptions& o) {
    if (o.urls.empty()) return NatsOptionsProblem{"nats", "at least one NATS server URL"};
    for (const std::string& url : o.urls)
        if (userinfo(url))
            return NatsOptionsProblem{"nats", "URLs without credentials (user:password@ would "
                                              "show in logs): give them as user/password or token"};
    if (!o.password.empty() && o.user.empty())
        return NatsOptionsProblem{"user", "a user for the password"};
    const int kinds =
        !o.user.empty() + !o.token.empty() + !o.nkey_seed_file.empty() + !o.creds_file.empty();
    if (kinds > 1)
        return NatsOptionsProblem{"user", "one kind of NATS credentials: user/password, token, "
                                          "nkey_seed_file or creds_file"};
    if (!o.nkey_seed_file.empty() && o.nkey.empty())
        return NatsOptionsProblem{"nkey", "the public key (U...) of nkey_seed_file"};
    return std::nullopt;
}

} // namespace nexus::cluster

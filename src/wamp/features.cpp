#include <nexus/wamp/features.hpp>

namespace nexus::wamp {

RolesBuilder& RolesBuilder::add(std::string_view role,
                                std::initializer_list<std::string_view> features) {
    Object f;
    for (std::string_view name : features)
        f.insert_or_assign(std::string(name), true);
    Object entry;
    if (!f.empty()) entry.emplace("features", std::move(f));
    roles_.insert_or_assign(std::string(role), std::move(entry));
    return *this;
}

AnnouncedRoles::AnnouncedRoles(const Object& details) {
    auto it = details.find("roles");
    if (it != details.end()) roles_ = it->second.if_object();
}

bool AnnouncedRoles::has_role(std::string_view role) const noexcept {
    if (!roles_) return false;
    auto it = roles_->find(role);
    return it != roles_->end() && it->second.is_object();
}

bool AnnouncedRoles::has_feature(std::string_view role, std::string_view feature) const noexcept {
    if (!has_role(role)) return false;
    const Value* f = roles_->find(role)->second.find("features");
    if (!f) return false;
    const auto enabled = [f](std::string_view key) {
        const Value* v = f->find(key);
        return v && v->if_bool() && *v->if_bool();
    };
    if (enabled(feature)) return true;
    return feature == features::call_canceling && enabled("call_cancelling");
}

std::vector<std::string_view> AnnouncedRoles::role_names() const {
    std::vector<std::string_view> names;
    if (roles_)
        for (const auto& [name, value] : *roles_)
            if (value.is_object()) names.push_back(name);
    return names;
}

} // namespace nexus::wamp

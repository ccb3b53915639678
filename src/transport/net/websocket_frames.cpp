#include "transport/net/websocket_frames.hpp"

#include <algorithm>
#include <cstring>

#include "serialize/utf8.hpp"

namespace nexus::transport::wsframe {

using serialize::detail::utf8_sequence;
using serialize::detail::utf8_valid;

bool valid_close_code(std::uint16_t code) noexcept {
    // 1004-1006 and 1015 are reserved for reporting, never for the wire.
    if (code >= 1000 && code <= 1003) return true;
    if (code >= 1007 && code <= 1014) return true;
    return code >= 3000 && code <= 4999;
}

// --- Parser ---------------------------------------------------------------

Parser::Parser(std::size_t max_message_size, std::size_t max_buffered_frame)
    : max_message_(max_message_size), max_buffered_(max_buffered_frame) {}

Event Parser::fail(std::uint16_t code, std::string_view why, std::size_t consumed) {
    done_ = Event::error;
    done_code_ = code;
    Event e;
    e.kind = Event::error;
    e.code = code;
    e.data = why;
    e.consumed = consumed;
    return e;
}

Event Parser::control(Opcode op, std::string_view payload, std::size_t consumed) {
    Event e;
    e.consumed = consumed;
    if (op == Opcode::ping) {
        e.kind = Event::ping;
        e.data = payload;
        return e;
    }
    if (op == Opcode::pong) {
        e.kind = Event::pong;
        e.data = payload;
        return e;
    }
    // Close: empty, or a two-byte status code and a UTF-8 reason (RFC 6455 5.5.1).
    if (payload.size() == 1)
        return fail(close_code::protocol_error, "close frame of 1 byte", consumed);
    e.code = close_code::no_status;
    if (payload.size() >= 2) {
        const auto* u = reinterpret_cast<const unsigned char*>(payload.data());
        e.code = static_cast<std::uint16_t>((u[0] << 8) | u[1]);
        if (!valid_close_code(e.code))
            return fail(close_code::protocol_error, "invalid close code", consumed);
        e.data = payload.substr(2);
        if (!utf8_valid(e.data))
            return fail(close_code::invalid_payload, "close reason is not UTF-8", consumed);
    }
    e.kind = Event::close;
    done_ = Event::close;
    done_code_ = e.code;
    return e;
}

void Parser::append_payload(const char* data, std::size_t size) {
    const std::size_t old = assembly_.size();
    assembly_.append(data, size);
    unmask(assembly_.data() + old, size, mask_, mask_offset_);
    mask_offset_ = (mask_offset_ + size) & 3;
}

bool Parser::text_so_far_valid() {
    const auto* begin = reinterpret_cast<const unsigned char*>(assembly_.data());
    const auto* from = begin + utf8_checked_;
    const auto* end = begin + assembly_.size();
    // A fragment (or a read) may end inside a code point: find a lead byte
    // among the last three whose sequence runs past the end.
    const unsigned char* cut = end;
    for (std::size_t k = 1; k <= 3 && end - k >= from; ++k) {
        const unsigned char c = end[-static_cast<std::ptrdiff_t>(k)];
        if ((c & 0xc0) == 0x80) continue;
        const std::size_t length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        if (length > k) cut = end - k;
        break;
    }
    if (!utf8_valid(std::string_view(reinterpret_cast<const char*>(from),
                                     static_cast<std::size_t>(cut - from))))
        return false;
    if (cut != end) {
        // The cut sequence must be completable: try it with the missing
        // bytes filled in. 0x80 and 0xBF between them satisfy every lead
        // byte's range for its second byte (E0: A0-BF, ED: 80-9F, F0: 90-BF,
        // F4: 80-8F); later bytes only need to be continuation bytes.
        const std::size_t have = static_cast<std::size_t>(end - cut);
        const unsigned char lead = *cut;
        const std::size_t length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
        bool completable = false;
        for (const unsigned char fill : {0x80, 0xbf}) {
            unsigned char seq[4] = {fill, fill, fill, fill};
            std::memcpy(seq, cut, have);
            completable = completable || utf8_sequence(seq, seq + length) == length;
        }
        if (!completable) return false;
    }
    utf8_checked_ = static_cast<std::size_t>(cut - begin);
    return true;
}

Event Parser::finish_message(std::size_t consumed) {
    in_message_ = false;
    if (message_text_ && utf8_checked_ != assembly_.size())
        return fail(close_code::invalid_payload, "text message ends inside a UTF-8 sequence",
                    consumed);
    Event e;
    e.kind = Event::message;
    e.text = message_text_;
    e.assembled = true;
    e.data = assembly_;
    e.consumed = consumed;
    return e;
}

Event Parser::next(char* data, std::size_t size) {
    if (done_ != Event::need_more) {
        Event e;
        e.kind = done_;
        e.code = done_code_;
        return e;
    }
    // A large message stays with the parser only until the caller has had
    // it: an idle connection should not keep the largest message it saw.
    if (!in_message_ && assembly_.capacity() > max_buffered_) std::string().swap(assembly_);

    const auto need_more = [](std::size_t consumed, std::size_t need) {
        Event e;
        e.consumed = consumed;
        e.need = need;
        return e;
    };
    std::size_t used = 0;
    for (;;) {
        if (stream_remaining_ > 0) {
            const std::size_t take =
                static_cast<std::size_t>(std::min<std::uint64_t>(stream_remaining_, size - used));
            append_payload(data + used, take);
            used += take;
            stream_remaining_ -= take;
            if (message_text_ && !text_so_far_valid())
                return fail(close_code::invalid_payload, "text message is not UTF-8", used);
            if (stream_remaining_ > 0) return need_more(used, 0);
            if (stream_fin_) return finish_message(used);
            continue;
        }

        char* const p = data + used;
        const std::size_t avail = size - used;
        if (avail < 2) return need_more(used, 2);
        const auto* u = reinterpret_cast<const unsigned char*>(p);
        const bool fin = (u[0] & 0x80) != 0;
        const auto op = static_cast<Opcode>(u[0] & 0x0f);
        const bool is_control = (u[0] & 0x08) != 0;
        const std::size_t len7 = u[1] & 0x7f;
        // Everything the first two bytes can tell is checked before waiting
        // for the rest of the header, so a bad frame fails at once.
        if ((u[0] & 0x70) != 0)
            return fail(close_code::protocol_error, "reserved bits set without an extension", used);
        switch (op) {
        case Opcode::continuation:
            if (!in_message_)
                return fail(close_code::protocol_error, "continuation frame outside a message",
                            used);
            break;
        case Opcode::text:
        case Opcode::binary:
            if (in_message_)
                return fail(close_code::protocol_error,
                            "new data message before the last one's final fragment", used);
            break;
        case Opcode::close:
        case Opcode::ping:
        case Opcode::pong:
            if (!fin) return fail(close_code::protocol_error, "fragmented control frame", used);
            if (len7 > max_control_payload)
                return fail(close_code::protocol_error, "control frame longer than 125 bytes",
                            used);
            break;
        default: return fail(close_code::protocol_error, "reserved opcode", used);
        }
        if ((u[1] & 0x80) == 0)
            return fail(close_code::protocol_error, "unmasked frame from a client", used);

        const std::size_t header = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4;
        if (avail < header) return need_more(used, header);
        std::uint64_t length = len7;
        if (len7 == 126) {
            length = (std::uint64_t{u[2]} << 8) | u[3];
            if (length < 126)
                return fail(close_code::protocol_error, "length not in its shortest form", used);
        } else if (len7 == 127) {
            length = 0;
            for (std::size_t i = 0; i < 8; ++i)
                length = (length << 8) | u[2 + i];
            if (length >> 63)
                return fail(close_code::protocol_error, "64-bit length with its top bit set", used);
            if (length < 65536)
                return fail(close_code::protocol_error, "length not in its shortest form", used);
        }
        std::memcpy(mask_, p + header - 4, 4);
        if (!is_control) {
            const std::uint64_t so_far = in_message_ ? assembly_.size() : 0;
            if (max_message_ != 0 && (length > max_message_ || so_far > max_message_ - length))
                return fail(close_code::too_big, "message larger than the maximum", used);
        }

        if (length <= avail - header) {
            char* const payload = p + header;
            const auto n = static_cast<std::size_t>(length);
            used += header + n;
            unmask(payload, n, mask_, 0);
            const std::string_view view(payload, n);
            if (is_control) return control(op, view, used);
            if (fin && !in_message_) {
                // The common case: a whole message in one frame, handed out
                // where it lies.
                if (op == Opcode::text && !utf8_valid(view))
                    return fail(close_code::invalid_payload, "text message is not UTF-8", used);
                Event e;
                e.kind = Event::message;
                e.text = op == Opcode::text;
                e.data = view;
                e.consumed = used;
                return e;
            }
            if (!in_message_) begin_message(op == Opcode::text);
            assembly_.append(view);
            if (message_text_ && !text_so_far_valid())
                return fail(close_code::invalid_payload, "text message is not UTF-8", used);
            if (fin) return finish_message(used);
            continue;
        }
        if (is_control || header + length <= max_buffered_)
            return need_more(used, static_cast<std::size_t>(header + length));
        // Too large for the read buffer: take the payload as it comes.
        used += header;
        if (!in_message_) begin_message(op == Opcode::text);
        stream_remaining_ = length;
        stream_fin_ = fin;
        mask_offset_ = 0;
    }
}

void Parser::begin_message(bool text) {
    assembly_.clear();
    utf8_checked_ = 0;
    in_message_ = true;
    message_text_ = text;
}

// --- Writer ---------------------------------------------------------------

std::size_t write_header(char* out, Opcode op, std::uint64_t payload_size) noexcept {
    out[0] = static_cast<char>(0x80 | static_cast<std::uint8_t>(op));
    if (payload_size < 126) {
        out[1] = static_cast<char>(payload_size);
        return 2;
    }
    if (payload_size <= 0xffff) {
        out[1] = 126;
        out[2] = static_cast<char>(payload_size >> 8);
        out[3] = static_cast<char>(payload_size);
        return 4;
    }
    out[1] = 127;
    for (std::size_t i = 0; i < 8; ++i)
        out[2 + i] = static_cast<char>(payload_size >> (8 * (7 - i)));
    return 10;
}

void Writer::add_header(Opcode op, std::size_t payload_size) {
    char header[max_header_size];
    const std::size_t n = write_header(header, op, payload_size);
    staging_.append(header, n);
    ++frames_;
    bytes_ += n + payload_size;
}

void Writer::add_message(Opcode op, std::shared_ptr<const std::string> payload,
                         std::string_view before, std::string_view after) {
    add_header(op, before.size() + payload->size() + after.size());
    staging_.append(before);
    if (payload->size() <= copy_threshold_) {
        staging_.append(*payload);
    } else {
        pieces_.push_back({staging_.size(), payload.get()});
        held_.push_back(std::move(payload));
    }
    staging_.append(after);
}

void Writer::add_control(Opcode op, std::string_view payload) {
    payload = payload.substr(0, max_control_payload);
    add_header(op, payload.size());
    staging_.append(payload);
}

void Writer::add_close(std::uint16_t code, std::string_view reason) {
    if (code == close_code::no_status) {
        add_header(Opcode::close, 0);
        return;
    }
    if (reason.size() > max_control_payload - 2) {
        // Cut before a continuation byte, so the reason stays UTF-8.
        std::size_t cut = max_control_payload - 2;
        while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xc0) == 0x80)
            --cut;
        reason = reason.substr(0, cut);
    }
    add_header(Opcode::close, 2 + reason.size());
    staging_.push_back(static_cast<char>(code >> 8));
    staging_.push_back(static_cast<char>(code & 0xff));
    staging_.append(reason);
}

const std::vector<boost::asio::const_buffer>& Writer::buffers() {
    // Only now that staging_ no longer grows can its pieces be pointed at.
    buffers_.clear();
    std::size_t from = 0;
    for (const Piece& piece : pieces_) {
        if (piece.staged_end > from)
            buffers_.emplace_back(staging_.data() + from, piece.staged_end - from);
        buffers_.emplace_back(piece.payload->data(), piece.payload->size());
        from = piece.staged_end;
    }
    if (staging_.size() > from)
        buffers_.emplace_back(staging_.data() + from, staging_.size() - from);
    return buffers_;
}

void Writer::clear() {
    held_.clear();
    pieces_.clear();
    buffers_.clear();
    // Independent of copy_threshold_, which may be "everything" (TLS).
    constexpr std::size_t keep_capacity = 4096, small_batch = 1024;
    if (staging_.capacity() > keep_capacity && bytes_ < small_batch)
        std::string().swap(staging_);
    else
        staging_.clear();
    frames_ = 0;
    bytes_ = 0;
}

} // namespace nexus::transport::wsframe

// X-Request-Id on every reply: the caller's when it is sane, else a fresh one, so that a
// log line, a proxy's log and a client's report can be matched.
#pragma once

#include <string>

namespace vivarium::server {

// At most 128 characters of [A-Za-z0-9._:-]: what proxies (nginx's $request_id, 32 hex)
// and tracing ids (UUIDs, W3C trace ids) use, and nothing that could forge a log line or a
// header.
bool is_sane_request_id(const std::string& id);

// 16 random bytes (OpenSSL's RAND_bytes) as 32 lowercase hex digits.
std::string new_request_id();

// The caller's id if sane, else a new one.
std::string request_id_for(const std::string& given);

}  // namespace vivarium::server

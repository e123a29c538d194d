// Messages between the server, the zygote and session processes: length-prefixed CBOR
// (binary-safe, so file contents travel as bytes) over a Unix stream socket, with
// optional file descriptor passing.
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace vivarium::server::ipc {

// Largest message accepted: bounds what a misbehaving peer can make us allocate.
inline constexpr std::size_t kMaxMessageBytes = std::size_t{1} << 30;

std::expected<void, std::string> send(int fd, const nlohmann::json& message, int pass_fd = -1);

struct Received {
  nlohmann::json message;
  int passed_fd = -1;  // a descriptor sent along with the message, if any
};
// Blocks until a whole message arrives. With a deadline, fails with "timeout" when it
// passes first. "closed" means the peer went away.
std::expected<Received, std::string> receive(int fd,
                                             std::optional<std::chrono::steady_clock::time_point> deadline = {});

}  // namespace vivarium::server::ipc

// Frames over a Unix stream socket: an 8-byte little-endian length, then that many bytes
// (one CBOR message, see wire_messages.h), optionally with passed file descriptors.
// Both directions honour one deadline for the whole frame, not a timeout per byte.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <vector>

#include "sessions/wire_error.h"

namespace vivarium::sessions {

using Deadline = std::optional<std::chrono::steady_clock::time_point>;  // none: wait for ever

inline constexpr std::size_t kFrameHeaderBytes = 8;

// Sends the whole frame before the deadline, or fails with timeout (a peer that stops
// reading cannot hold the sender longer than that).
std::expected<void, WireError> send_frame(int fd, std::span<const std::uint8_t> body, Deadline deadline = {},
                                          int pass_fd = -1);

// The same with up to 4 descriptors (a run request's pipe ends, run_messages.h).
std::expected<void, WireError> send_frame_fds(int fd, std::span<const std::uint8_t> body, Deadline deadline,
                                              std::span<const int> pass_fds);

struct Frame {
  std::vector<std::uint8_t> body;
  int passed_fd = -1;  // a descriptor sent along with the frame (the receiver owns it)
};
// Receives one frame of at most max_bytes. A header announcing more fails with too_large
// before anything is allocated; the body grows as its bytes arrive, so an announced size
// alone allocates nothing either.
std::expected<Frame, WireError> receive_frame(int fd, std::uint64_t max_bytes, Deadline deadline = {});

// The same, keeping up to max_fds (at most 4) passed descriptors; any more are closed.
struct FrameWithFds {
  std::vector<std::uint8_t> body;
  std::vector<int> fds;  // the receiver owns them
};
std::expected<FrameWithFds, WireError> receive_frame_fds(int fd, std::uint64_t max_bytes, Deadline deadline,
                                                         std::size_t max_fds);

}  // namespace vivarium::sessions

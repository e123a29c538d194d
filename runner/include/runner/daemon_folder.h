// Where the user's warm zygotes for `vivarium run` keep their sockets (docs/run-daemon.md):
// $XDG_RUNTIME_DIR/vivarium, else /tmp/vivarium-UID. Either must be a real folder (not a
// symbolic link) that belongs to this user and that no one else may enter (0700): a
// folder another user made or can write to could hold a socket of theirs, and a client
// would hand that socket its program and its files.
#pragma once

#include <expected>
#include <filesystem>
#include <string>
#include <vector>

namespace vivarium::runner {

// The folder, created 0700 when missing. The error names the problem and the fix.
std::expected<std::filesystem::path, std::string> daemon_folder();
// The same without creating it: an error when it is missing or not safe to use.
std::expected<std::filesystem::path, std::string> existing_daemon_folder();

// Checks that `folder` is a folder of this user's that only this user may enter.
std::expected<void, std::string> check_private_folder(const std::filesystem::path& folder);

// The socket and the start-up lock of the zygote with this key.
std::filesystem::path daemon_socket_path(const std::filesystem::path& folder, const std::string& key);
std::filesystem::path daemon_lock_path(const std::filesystem::path& folder, const std::string& key);
// The sockets of every zygote in the folder (run-KEY.sock), sorted.
std::vector<std::filesystem::path> daemon_sockets(const std::filesystem::path& folder);

}  // namespace vivarium::runner

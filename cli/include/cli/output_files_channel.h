// How the sandboxed child of `vivarium run` hands the files its program created or
// changed to its unconfined parent, which writes them into --output-dir: the child may
// not be able to write there (it will run under a uid of its own), and should not need to.
// One frame of the wire protocol (a "result" message carrying only the files), through
// a socket the child holds as descriptor 3.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "engine/execution.h"

namespace vivarium::cli {

// In the child: sends the files and closes nothing (the child exits next).
std::expected<void, std::string> send_output_files(int fd, const std::vector<engine::SandboxFile>& files);

// In the parent: the files from everything the child sent. The child is not trusted:
// the frame is decoded by the wire protocol's checked decoder (names validated), and
// write_output_files validates each name again.
std::expected<std::vector<engine::SandboxFile>, std::string> decode_output_files(std::string_view sent);

}  // namespace vivarium::cli

#include "cli/output_files_channel.h"

#include <cstdint>
#include <cstring>
#include <span>

#include "sessions/frame_io.h"
#include "sessions/wire_messages.h"

namespace vivarium::cli {

std::expected<void, std::string> send_output_files(int fd, const std::vector<engine::SandboxFile>& files) {
  sessions::ExecResult message;
  message.result.output_files = files;
  if (auto sent = sessions::send_frame(fd, sessions::encode(message)); !sent)
    return std::unexpected("cannot hand the output files to vivarium: " + sent.error().message);
  return {};
}

std::expected<std::vector<engine::SandboxFile>, std::string> decode_output_files(std::string_view sent) {
  if (sent.size() < sessions::kFrameHeaderBytes)
    return std::unexpected("the program ended before it sent its output files");
  std::uint64_t length = 0;
  for (std::size_t i = 0; i < sessions::kFrameHeaderBytes; ++i)
    length |= std::uint64_t{static_cast<unsigned char>(sent[i])} << (8 * i);
  const auto body = sent.substr(sessions::kFrameHeaderBytes);
  if (length != body.size())
    return std::unexpected("the output files arrived cut short or with trailing bytes; nothing was written");
  auto decoded =
      sessions::decode_from_session(std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()));
  if (!decoded) return std::unexpected("the output files could not be decoded: " + decoded.error().message);
  auto* result = std::get_if<sessions::ExecResult>(&*decoded);
  if (!result) return std::unexpected("the program sent something other than its output files");
  return std::move(result->result.output_files);
}

}  // namespace vivarium::cli

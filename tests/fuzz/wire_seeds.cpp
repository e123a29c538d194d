// Writes the seed corpus of wire_fuzz: one frame of every message type, as the encoders
// make them. Rebuild it when the protocol changes:
//   cmake --build build-fuzz --target wire_seeds && build-fuzz/fuzz/wire_seeds tests/fuzz/corpus/wire
#include <fstream>
#include <iostream>
#include <string>

#include "sessions/wire_messages.h"

using namespace vivarium::sessions;
namespace engine = vivarium::engine;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: wire_seeds DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  auto write = [&](const std::string& name, const Bytes& frame) {
    std::ofstream(dir + "/" + name, std::ios::binary)
        .write(reinterpret_cast<const char*>(frame.data()), static_cast<std::streamsize>(frame.size()));
  };
  write("zygote_ready", encode(ZygoteReady{.boot_ms = 1200, .missing_preloads = {"pandas"}}));
  write("zygote_failed", encode(ZygoteFailed{"no assets"}));
  write("fork", encode(ForkRequest{}));
  write("forked", encode(ForkReply{4242}));
  write("fork_failed", encode(ForkFailed{"EAGAIN"}));
  write("exec", encode(ExecRequest{.code = "print(1)\n1 + 1",
                                   .files = {{"data/in.csv", "a,b\n1,2\n"}},
                                   .timeout = std::chrono::milliseconds(2500),
                                   .max_output_bytes = 1 << 20,
                                   .max_output_files_bytes = 50 << 20,
                                   .max_output_files = 1000}));
  write("package", encode(PackageReply{std::string("PK\3\4", 4)}));
  write("package_none", encode(PackageReply{}));
  write("interrupt", encode(InterruptRequest{}));
  write("package_request",
        encode(PackageRequest{engine::WheelSource::wheel_folder, "six-1.16.0-py2.py3-none-any.whl"}));
  write("output", encode(OutputChunk{engine::OutputStream::err, "warning\n"}));
  ExecResult result;
  result.result.std_out = "hello\n";
  result.result.std_err = std::string(70, 'e');  // over the fuzz target's 64-byte limit
  result.result.final_expression_json = "{\"a\": [1, 2.5, null]}";
  result.result.output_files = {{"out/a.txt", "A"}, {"b.bin", std::string("\0\xff", 2)}, {"c", std::string(99, 'c')}};
  result.result.code_runtime_ms = 12;
  result.result.exit_code = 3;
  write("result", encode(result));
  result.result.error = engine::ExecutionError{engine::ErrorKind::timeout, "KeyboardInterrupt", "timed out",
                                               "Traceback (most recent call last):\n", 7};
  result.result.interpreter_lost = true;
  write("result_error", encode(result));
  return 0;
}

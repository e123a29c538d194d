// The wire decoders against what a hostile session can send: every malformed input gives
// its exact error kind, and none throws, asserts or recurses.
#include "sessions/wire_messages.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "sessions/cbor_depth.h"
#include "sessions/frame_limits.h"

namespace vivarium::sessions {
namespace {

using json = nlohmann::json;

ExecResult sample_result() {
  ExecResult message;
  auto& r = message.result;
  r.std_out = "hello\n";
  r.std_err = "warning\n";
  r.final_expression_json = "[1, 2]";
  r.output_files = {{"out/a.txt", "A"}, {"b.bin", std::string("\0\xff", 2)}};
  r.code_runtime_ms = 12;
  r.exit_code = 3;
  r.error = engine::ExecutionError{engine::ErrorKind::execution, "NameError", "NameError: x", "Traceback...", 4};
  return message;
}

json result_json() { return json::from_cbor(encode(sample_result())); }
Bytes cbor(const json& value) { return json::to_cbor(value); }

WireErrorKind from_session_error(const Bytes& frame) {
  auto decoded = decode_from_session(frame);
  EXPECT_FALSE(decoded.has_value());
  return decoded ? WireErrorKind::closed : decoded.error().kind;
}

TEST(WireMessages, ResultRoundTripsEveryField) {
  auto decoded = decode_from_session(encode(sample_result()));
  ASSERT_TRUE(decoded) << decoded.error().message;
  const auto& r = std::get<ExecResult>(*decoded).result;
  EXPECT_EQ(r.std_out, "hello\n");
  EXPECT_EQ(r.std_err, "warning\n");
  EXPECT_EQ(r.final_expression_json, "[1, 2]");
  ASSERT_EQ(r.output_files.size(), 2u);
  EXPECT_EQ(r.output_files[0].path, "out/a.txt");
  EXPECT_EQ(r.output_files[1].data, std::string("\0\xff", 2));
  EXPECT_EQ(r.code_runtime_ms, 12);
  EXPECT_EQ(r.exit_code, 3);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->kind, engine::ErrorKind::execution);
  EXPECT_EQ(r.error->exception, "NameError");
  EXPECT_EQ(r.error->line, 4);
  EXPECT_FALSE(r.interpreter_lost);
}

TEST(WireMessages, FinalExpressionTravelsAsOpaqueText) {
  // Deeply nested JSON text is only a string here: nothing parses it.
  ExecResult message;
  message.result.final_expression_json = std::string(100000, '[') + std::string(100000, ']');
  auto decoded = decode_from_session(encode(message));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(std::get<ExecResult>(*decoded).result.final_expression_json.size(), 200000u);
}

TEST(WireMessages, EveryOtherMessageRoundTrips) {
  ExecRequest request{"print(1)", {{"data/in.csv", "a,b"}}, std::chrono::milliseconds(1500), 100, 200, 3};
  auto to_session = decode_to_session(encode(request));
  ASSERT_TRUE(to_session) << to_session.error().message;
  const auto& exec = std::get<ExecRequest>(*to_session);
  EXPECT_EQ(exec.code, "print(1)");
  EXPECT_EQ(exec.files.at(0).path, "data/in.csv");
  EXPECT_EQ(exec.timeout.count(), 1500);
  EXPECT_EQ(exec.max_output_bytes, 100u);
  EXPECT_EQ(exec.max_output_files_bytes, 200u);
  EXPECT_EQ(exec.max_output_files, 3u);

  auto reply = decode_to_session(encode(PackageReply{std::string("PK\x03\x04", 4)}));
  ASSERT_TRUE(reply);
  EXPECT_EQ(std::get<PackageReply>(*reply).wheel, std::string("PK\x03\x04", 4));
  auto refused = decode_to_session(encode(PackageReply{}));
  ASSERT_TRUE(refused);
  EXPECT_FALSE(std::get<PackageReply>(*refused).wheel);
  auto interrupt = decode_to_session(encode(InterruptRequest{}));
  ASSERT_TRUE(interrupt);
  EXPECT_TRUE(std::holds_alternative<InterruptRequest>(*interrupt));

  auto asked = decode_from_session(encode(PackageRequest{engine::WheelSource::wheel_folder, "x-1.0-py3-none-any.whl"}));
  ASSERT_TRUE(asked);
  EXPECT_EQ(std::get<PackageRequest>(*asked).source, engine::WheelSource::wheel_folder);
  EXPECT_EQ(std::get<PackageRequest>(*asked).file_name, "x-1.0-py3-none-any.whl");
  auto chunk = decode_from_session(encode(OutputChunk{engine::OutputStream::err, "oops\n"}));
  ASSERT_TRUE(chunk);
  EXPECT_EQ(std::get<OutputChunk>(*chunk).stream, engine::OutputStream::err);
  EXPECT_EQ(std::get<OutputChunk>(*chunk).text, "oops\n");

  auto ready = decode_zygote_report(encode(ZygoteReady{1234, {"numpy"}}));
  ASSERT_TRUE(ready);
  EXPECT_EQ(std::get<ZygoteReady>(*ready).boot_ms, 1234);
  EXPECT_EQ(std::get<ZygoteReady>(*ready).missing_preloads, std::vector<std::string>{"numpy"});
  auto failed = decode_zygote_report(encode(ZygoteFailed{"no assets"}));
  ASSERT_TRUE(failed);
  EXPECT_EQ(std::get<ZygoteFailed>(*failed).error, "no assets");
  EXPECT_TRUE(decode_fork_request(encode(ForkRequest{})));
  const auto fork = decode_fork_request(encode(ForkRequest{1879048193u, 1879048194u, true}));
  ASSERT_TRUE(fork);
  EXPECT_EQ(fork->uid, 1879048193u);
  EXPECT_EQ(fork->gid, 1879048194u);
  EXPECT_TRUE(fork->require_full_sandbox);
  const auto with = [](nlohmann::json uid) {
    return decode_fork_request(cbor({{"type", "fork"}, {"uid", uid}, {"gid", 0}, {"require_full_sandbox", false}}));
  };
  EXPECT_EQ(with(-1).error().kind, WireErrorKind::out_of_range);
  EXPECT_EQ(with(4294967295LL).error().kind, WireErrorKind::out_of_range);
  EXPECT_EQ(with("0").error().kind, WireErrorKind::wrong_type);
  auto with_cgroups =
      decode_fork_request(encode(ForkRequest{.cgroups = {"/sys/fs/cgroup/memory/a/s1", "/sys/fs/cgroup/pids/a/s1"}}));
  ASSERT_TRUE(with_cgroups);
  EXPECT_EQ(with_cgroups->cgroups,
            (std::vector<std::string>{"/sys/fs/cgroup/memory/a/s1", "/sys/fs/cgroup/pids/a/s1"}));
  EXPECT_EQ(decode_fork_request(
                cbor({{"type", "fork"}, {"uid", 0}, {"gid", 0}, {"require_full_sandbox", false}, {"cgroups", "/x"}}))
                .error()
                .kind,
            WireErrorKind::wrong_type);
  EXPECT_FALSE(with(0)->spare) << "a request that does not say is not for a spare";
  EXPECT_TRUE(decode_fork_request(encode(ForkRequest{.spare = true}))->spare);
  EXPECT_EQ(decode_fork_request(
                cbor({{"type", "fork"}, {"uid", 0}, {"gid", 0}, {"require_full_sandbox", false}, {"spare", 1}}))
                .error()
                .kind,
            WireErrorKind::wrong_type);
  auto forked = decode_fork_outcome(encode(ForkReply{4321}));
  ASSERT_TRUE(forked);
  EXPECT_EQ(std::get<ForkReply>(*forked).pid, 4321);
  auto fork_failed = decode_fork_outcome(encode(ForkFailed{"EAGAIN"}));
  ASSERT_TRUE(fork_failed);
  EXPECT_EQ(std::get<ForkFailed>(*fork_failed).error, "EAGAIN");
}

TEST(WireMessages, TheZygoteBootOptionsRoundTripAndAreChecked) {
  const ZygoteBoot boot{268435456, "/opt/pyodide", std::nullopt, "/srv/packages", std::nullopt, {"numpy", "pandas"}};
  auto decoded = decode_zygote_boot(encode(boot));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->memory_limit, 268435456u);
  EXPECT_EQ(decoded->assets_dir, "/opt/pyodide");
  EXPECT_EQ(decoded->cache_dir, std::nullopt);
  EXPECT_EQ(decoded->packages_dir, "/srv/packages");
  EXPECT_EQ(decoded->preload, (std::vector<std::string>{"numpy", "pandas"}));
  // A memory limit of 0, a preload that is not a list, another message: refused by kind.
  auto zero = decode_zygote_boot(cbor({{"type", "boot"}, {"memory_limit", 0}, {"preload", json::array()}}));
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().kind, WireErrorKind::out_of_range);
  auto text = decode_zygote_boot(cbor({{"type", "boot"}, {"memory_limit", 1}, {"preload", "numpy"}}));
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().kind, WireErrorKind::wrong_type);
  auto fork = decode_zygote_boot(encode(ForkRequest{}));
  ASSERT_FALSE(fork);
  EXPECT_EQ(fork.error().kind, WireErrorKind::unknown_type);
}

TEST(WireMessages, TwoMillionNestedArraysAreRefusedWithoutRecursing) {
  Bytes frame(2'000'000, 0x81);  // array of one element, 2e6 times
  frame.push_back(0x00);
  auto decoded = decode_from_session(frame);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().kind, WireErrorKind::too_deep);
  EXPECT_EQ(decoded.error().message, "the message nests deeper than 8 levels");
  // Also inside a real message, and towards a session and from a zygote.
  Bytes nested = {0xA2, 0x64, 't', 'y', 'p', 'e', 0x66, 'r', 'e', 's', 'u', 'l', 't', 0x63, 'x', 'x', 'x'};
  nested.insert(nested.end(), 2'000'000, 0x81);
  nested.push_back(0x00);
  EXPECT_EQ(from_session_error(nested), WireErrorKind::too_deep);
  EXPECT_EQ(decode_to_session(frame).error().kind, WireErrorKind::too_deep);
  EXPECT_EQ(decode_zygote_report(frame).error().kind, WireErrorKind::too_deep);
  // Maps too.
  Bytes maps;
  for (int i = 0; i < 1'000'000; ++i) maps.insert(maps.end(), {0xA1, 0x61, 'k'});
  maps.push_back(0x00);
  EXPECT_EQ(from_session_error(maps), WireErrorKind::too_deep);
}

TEST(WireMessages, NestingUpToTheDepthLimitIsAccepted) {
  Bytes frame(kMaxNestingDepth, 0x81);
  frame.push_back(0x00);
  EXPECT_TRUE(check_cbor(frame));
  frame.insert(frame.begin(), 0x81);
  EXPECT_EQ(check_cbor(frame).error().kind, WireErrorKind::too_deep);
}

TEST(WireMessages, TruncatedFramesAreRefusedAtEveryLength) {
  const Bytes whole = encode(sample_result());
  for (std::size_t length = 0; length < whole.size(); ++length) {
    const Bytes cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(length));
    auto decoded = decode_from_session(cut);
    ASSERT_FALSE(decoded) << length;
    EXPECT_EQ(decoded.error().kind, WireErrorKind::truncated) << length << ": " << decoded.error().message;
  }
}

TEST(WireMessages, BytesAfterTheMessageAreMalformed) {
  Bytes frame = encode(sample_result());
  frame.push_back(0x00);
  EXPECT_EQ(from_session_error(frame), WireErrorKind::malformed);
}

TEST(WireMessages, TagsAndBadHeadersAreMalformed) {
  Bytes tags(100000, 0xC0);  // a chain of tags would recurse in nlohmann's reader
  tags.push_back(0x00);
  EXPECT_EQ(from_session_error(tags), WireErrorKind::malformed);
  EXPECT_EQ(from_session_error({0x1C}), WireErrorKind::malformed);  // reserved additional info
  // A map announcing 2^64-1 entries, then nothing: truncated, and nothing allocated.
  EXPECT_EQ(from_session_error({0xBB, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}), WireErrorKind::truncated);
  // A text string announcing 4 GiB.
  EXPECT_EQ(from_session_error({0x7A, 0xFF, 0xFF, 0xFF, 0xFF, 'a'}), WireErrorKind::truncated);
}

TEST(WireMessages, MessagesWithoutAKnownTypeAreRefused) {
  EXPECT_EQ(from_session_error(cbor(json::array({1}))), WireErrorKind::wrong_type);
  EXPECT_EQ(from_session_error(cbor({{"std_out", "x"}})), WireErrorKind::unknown_type);
  EXPECT_EQ(from_session_error(cbor({{"type", 7}})), WireErrorKind::unknown_type);
  auto exec = decode_from_session(encode(ExecRequest{}));  // the wrong direction
  ASSERT_FALSE(exec);
  EXPECT_EQ(exec.error().kind, WireErrorKind::unknown_type);
  EXPECT_EQ(exec.error().message, "message type 'exec' is not one a session sends");
}

TEST(WireMessages, WrongTypedResultFieldsAreNamed) {
  struct Case {
    const char* field;
    json value;
    WireErrorKind kind;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"std_out", 42, WireErrorKind::wrong_type, "field 'std_out' of a result message is not a text string"},
      {"std_err", json::binary({1}), WireErrorKind::wrong_type,
       "field 'std_err' of a result message is not a text string"},
      {"final", json::object(), WireErrorKind::wrong_type, "field 'final' of a result message is not a text string"},
      {"files", "x", WireErrorKind::wrong_type, "field 'files' of a result message is not an array"},
      {"files", json::array({1}), WireErrorKind::wrong_type,
       "field 'files' of a result message has an entry that is not a map"},
      {"runtime_ms", -1, WireErrorKind::out_of_range,
       "field 'runtime_ms' of a result message is -1, outside 0..604800000"},
      {"runtime_ms", 1.5, WireErrorKind::wrong_type, "field 'runtime_ms' of a result message is not an integer"},
      {"runtime_ms", std::uint64_t{1} << 63, WireErrorKind::out_of_range,
       "field 'runtime_ms' of a result message is 9223372036854775808, outside 0..604800000"},
      {"lost", 1, WireErrorKind::wrong_type, "field 'lost' of a result message is not a boolean"},
      {"exit_code", std::int64_t{1} << 40, WireErrorKind::out_of_range,
       "field 'exit_code' of a result message is 1099511627776, outside -2147483648..2147483647"},
      {"error", "boom", WireErrorKind::wrong_type, "field 'error' of a result message is not a map"},
  };
  for (const auto& c : cases) {
    json message = result_json();
    message[c.field] = c.value;
    auto decoded = decode_from_session(cbor(message));
    ASSERT_FALSE(decoded) << c.field;
    EXPECT_EQ(decoded.error().kind, c.kind) << c.field;
    EXPECT_EQ(decoded.error().message, c.message);
  }
  json missing = result_json();
  missing.erase("std_out");
  EXPECT_EQ(decode_from_session(cbor(missing)).error().message, "field 'std_out' of a result message is missing");
}

TEST(WireMessages, WrongTypedErrorFieldsAreNamed) {
  json message = result_json();
  message["error"]["kind"] = "meltdown";
  EXPECT_EQ(decode_from_session(cbor(message)).error().message,
            "field 'kind' of a result error message is 'meltdown', not a known value");
  message = result_json();
  message["error"]["line"] = -5;
  EXPECT_EQ(decode_from_session(cbor(message)).error().kind, WireErrorKind::out_of_range);
  message = result_json();
  message["error"]["traceback"] = std::string(kMaxErrorTextBytes + 1000, 'x');
  auto decoded = decode_from_session(cbor(message));
  EXPECT_EQ(decoded.error().kind, WireErrorKind::out_of_range);
  EXPECT_EQ(decoded.error().message,
            "field 'traceback' of a result error message is 66536 bytes, over its limit of 65664");
}

TEST(WireMessages, OutputFileNamesFollowTheUploadRules) {
  for (const char* name : {"../../etc/x", "/abs", "a/../../b", "", "a\nb"}) {
    json message = result_json();
    message["files"] = json::array({{{"path", name}, {"data", json::binary({1})}}});
    auto decoded = decode_from_session(cbor(message));
    ASSERT_FALSE(decoded) << name;
    EXPECT_EQ(decoded.error().kind, WireErrorKind::bad_name) << name;
  }
  json message = result_json();
  message["files"] = json::array({{{"path", "../../etc/x"}, {"data", json::binary({1})}}});
  EXPECT_EQ(decode_from_session(cbor(message)).error().message,
            "a file name is refused: file name '../../etc/x' contains a '..' component");
  message["files"] = json::array({{{"path", "a\x1b[2Jb"}, {"data", json::binary({1})}}});
  EXPECT_EQ(decode_from_session(cbor(message)).error().message,
            "a file name is refused: file name contains a control character");
  message["files"] = json::array({{{"path", "ok.txt"}, {"data", "text, not bytes"}}});
  EXPECT_EQ(decode_from_session(cbor(message)).error().message, "field 'data' of a file message is not a byte string");
  message["files"] = json::array({{{"path", std::string(5000, 'a')}, {"data", json::binary({1})}}});
  EXPECT_EQ(decode_from_session(cbor(message)).error().kind, WireErrorKind::out_of_range);
}

TEST(WireMessages, PackageRequestsNameOnlyPlainFiles) {
  EXPECT_EQ(from_session_error(cbor({{"type", "package_request"}, {"from", "packages"}, {"file_name", "../x.whl"}})),
            WireErrorKind::bad_name);
  EXPECT_EQ(from_session_error(cbor({{"type", "package_request"}, {"from", "disk"}, {"file_name", "x.whl"}})),
            WireErrorKind::out_of_range);
  EXPECT_EQ(from_session_error(cbor({{"type", "output"}, {"stream", "out"}, {"text", 3}})), WireErrorKind::wrong_type);
}

TEST(WireMessages, ExecRequestRangesAreChecked) {
  json message = json::from_cbor(encode(ExecRequest{}));
  message["timeout_ms"] = 0;
  auto decoded = decode_to_session(cbor(message));
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().message, "field 'timeout_ms' of an exec message is 0, outside 1..604800000");
  message = json::from_cbor(encode(ExecRequest{}));
  message["max_output"] = "big";
  EXPECT_EQ(decode_to_session(cbor(message)).error().kind, WireErrorKind::wrong_type);
}

TEST(WireMessages, ZygoteMessagesAreChecked) {
  EXPECT_EQ(decode_fork_outcome(cbor({{"type", "forked"}, {"pid", 0}})).error().kind, WireErrorKind::out_of_range);
  EXPECT_EQ(decode_fork_outcome(cbor({{"type", "forked"}, {"pid", "1"}})).error().kind, WireErrorKind::wrong_type);
  EXPECT_EQ(decode_zygote_report(cbor({{"type", "zygote_ready"}, {"boot_ms", 1}, {"missing", {1}}})).error().kind,
            WireErrorKind::wrong_type);
  EXPECT_EQ(decode_fork_request(cbor({{"type", "exec"}})).error().kind, WireErrorKind::unknown_type);
}

// Random bytes, and random mutations of valid frames: every decoder returns a value or
// an error, never a crash (the fuzz targets go further).
TEST(WireMessages, RandomInputNeverCrashes) {
  std::mt19937 random(8);
  const Bytes valid = encode(sample_result());
  std::size_t refused = 0;
  for (int round = 0; round < 20000; ++round) {
    Bytes frame;
    if (round % 2 == 0) {
      frame.resize(random() % 64);
      for (auto& byte : frame) byte = static_cast<std::uint8_t>(random());
    } else {
      frame = valid;
      for (int flips = 0; flips < 3; ++flips) frame[random() % frame.size()] = static_cast<std::uint8_t>(random());
    }
    refused += !decode_from_session(frame);
    (void)decode_to_session(frame);
    (void)decode_zygote_report(frame);
    (void)decode_fork_outcome(frame);
  }
  EXPECT_GT(refused, 10000u);
}

TEST(WireMessages, ErrorMessagesEscapeControlCharacters) {
  auto decoded = decode_from_session(cbor({{"type", "evil\n2026-01-01 INFO forged"}}));
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().message, "message type 'evil\\x0a2026-01-01 INFO forged' is not one a session sends");
}

}  // namespace
}  // namespace vivarium::sessions

// The /exec body parser: docs/api.md's messages, the nesting cap, and what it keeps.
#include "server/exec_request.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace vivarium::server;

namespace {

RequestError error_of(const std::string& body, std::size_t depth = kDefaultMaxJsonDepth) {
  auto parsed = parse_exec_request("s1", body, depth);
  EXPECT_FALSE(parsed.has_value()) << body;
  return parsed ? RequestError{} : parsed.error();
}

std::string nested(std::size_t levels) { return std::string(levels, '[') + std::string(levels, ']'); }

}  // namespace

TEST(ExecRequest, KeepsCodeAndDecodedFiles) {
  auto input = parse_exec_request(
      "s1",
      R"J({"code": "print(1)", "files": [{"filename": "a/b.txt", "b64_data": "aGk="}], "extra": {"x": [1, 2]}})J");
  ASSERT_TRUE(input.has_value()) << input.error().message;
  EXPECT_EQ(input->session_id, "s1");
  EXPECT_EQ(input->code, "print(1)");
  ASSERT_EQ(input->files.size(), 1u);
  EXPECT_EQ(input->files[0].data, "hi");
}

TEST(ExecRequest, FilesMayBeNullOrAbsent) {
  EXPECT_TRUE(parse_exec_request("s1", R"({"code": "1", "files": null})").has_value());
  EXPECT_TRUE(parse_exec_request("s1", R"({"code": "1"})").has_value());
  EXPECT_TRUE(parse_exec_request("s1", R"({"code": "1", "files": []})")->files.empty());
}

TEST(ExecRequest, TheLastOfDuplicateKeysWinsAsWithADom) {
  auto input = parse_exec_request("s1", R"({"code": 5, "code": "second", "files": 3, "files": null})");
  ASSERT_TRUE(input.has_value()) << input.error().message;
  EXPECT_EQ(input->code, "second");
  EXPECT_EQ(error_of(R"({"code": "1", "files": [], "files": {}})").message, "files must be an array");
}

TEST(ExecRequest, GivesTheDocumentedMessages) {
  EXPECT_EQ(parse_exec_request("", R"({"code": "1"})").error().message, "sessionId query parameter is required");
  EXPECT_EQ(parse_exec_request("a b", R"({"code": "1"})").error().type, "validation");
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"{", "parsing", "request body is not valid JSON"},
      {R"({"code": "1"} x)", "parsing", "request body is not valid JSON"},
      {"[1]", "validation", "request body must be a JSON object"},
      {R"("code")", "validation", "request body must be a JSON object"},
      {R"({"files": []})", "validation", "code is required"},
      {R"({"code": ["1"]})", "validation", "code must be a string"},
      {R"({"code": null})", "validation", "code must be a string"},
      {R"({"code": ""})", "validation", "code must not be empty"},
      {R"({"code": "1", "files": {}})", "validation", "files must be an array"},
      {R"({"code": "1", "files": "a"})", "validation", "files must be an array"},
      {R"({"code": "1", "files": [[]]})", "validation", "files[0] must be an object with filename and b64_data"},
      {R"({"code": "1", "files": [{"filename": "a", "b64_data": ""}, 3]})", "validation",
       "files[1] must be an object with filename and b64_data"},
      {R"({"code": "1", "files": [{"b64_data": ""}]})", "validation", "files[0].filename must be a string"},
      {R"({"code": "1", "files": [{"filename": {}, "b64_data": ""}]})", "validation",
       "files[0].filename must be a string"},
      {R"({"code": "1", "files": [{"filename": "a"}]})", "validation", "files[0].b64_data must be a string"},
      {R"({"code": "1", "files": [{"filename": "a", "b64_data": [1]}]})", "validation",
       "files[0].b64_data must be a string"},
  };
  for (const auto& [body, type, message] : cases) {
    const auto error = error_of(body);
    EXPECT_EQ(error.type, type) << body;
    EXPECT_EQ(error.message, message) << body;
  }
  EXPECT_EQ(error_of(R"({"code": "1", "files": [{"filename": "../x", "b64_data": ""}]})").type, "validation");
  const auto bad_base64 = error_of(R"({"code": "1", "files": [{"filename": "a", "b64_data": "!!"}]})");
  EXPECT_EQ(bad_base64.type, "parsing");
  EXPECT_TRUE(bad_base64.message.starts_with("files[0].b64_data: ")) << bad_base64.message;
}

TEST(ExecRequest, NestingUpToTheCapIsAccepted) {
  // The top object is level 1, so an unknown field may nest 63 more levels under 64.
  EXPECT_TRUE(parse_exec_request("s1", R"({"code": "1", "x": )" + nested(63) + "}").has_value());
  EXPECT_TRUE(parse_exec_request("s1", R"({"code": "1", "x": )" + nested(9) + "}", 10).has_value());
}

TEST(ExecRequest, NestingPastTheCapIsAValidationErrorNamingIt) {
  const auto error = error_of(R"({"code": "1", "x": )" + nested(64) + "}");
  EXPECT_EQ(error.type, "validation");
  EXPECT_NE(error.message.find("limit of 64 levels"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("--max-json-depth"), std::string::npos) << error.message;
  EXPECT_EQ(error_of(R"({"code": "1", "x": )" + nested(10) + "}", 10).type, "validation");
}

TEST(ExecRequest, DeepInputIsStoppedBeforeItIsReadWhole) {
  // 2 million levels, then garbage: the cap answers first, without recursion, so the
  // garbage is never reached (and the stack never grows with the depth).
  const std::string deep = R"({"code": "1", "x": )" + std::string(2'000'000, '[') + "garbage";
  EXPECT_EQ(error_of(deep).type, "validation");
  EXPECT_EQ(error_of(std::string(2'000'000, '{')).type, "parsing");  // keys are missing: not JSON
}

TEST(ExecRequest, LargeUnknownFieldsAreSkipped) {
  // Large fields the API does not know are parsed and dropped, never kept.
  nlohmann::json body = {{"code", "1"}, {"padding", std::string(4 << 20, 'x')}, {"more", nlohmann::json::array()}};
  for (int i = 0; i < 10000; ++i) body["more"].push_back({{"k", i}});
  auto input = parse_exec_request("s1", body.dump());
  ASSERT_TRUE(input.has_value());
  EXPECT_EQ(input->code, "1");
  EXPECT_TRUE(input->files.empty());
}

TEST(ExecRequest, InvalidUtf8IsNotJson) { EXPECT_EQ(error_of("{\"code\": \"\xff\"}").type, "parsing"); }

// POST /'s body parser: terrarium's rules (no code provided, sessionId in the body, HTTP
// 200 for what is wrong in a JSON body) on top of /exec's parser.
#include "server/terrarium_request.h"

#include <gtest/gtest.h>

using namespace vivarium::server;

namespace {

TerrariumRequestError error_of(const std::string& body, std::size_t depth = kDefaultMaxJsonDepth) {
  auto parsed = parse_terrarium_request(body, depth);
  EXPECT_FALSE(parsed.has_value()) << body;
  return parsed ? TerrariumRequestError{} : parsed.error();
}

}  // namespace

TEST(TerrariumRequest, TakesWhatCohereToolkitSends) {
  auto input = parse_terrarium_request(R"J({"code": "print(1)"})J");
  ASSERT_TRUE(input.has_value()) << input.error().message;
  EXPECT_EQ(input->code, "print(1)");
  EXPECT_FALSE(input->session_id.has_value());
  EXPECT_TRUE(input->files.empty());
}

TEST(TerrariumRequest, KeepsFilesAndSessionIdFromTheBody) {
  auto input = parse_terrarium_request(
      R"({"code": "1", "files": [{"filename": "d/a.txt", "b64_data": "aGk="}], "sessionId": "chat-7"})");
  ASSERT_TRUE(input.has_value()) << input.error().message;
  EXPECT_EQ(input->session_id, "chat-7");
  ASSERT_EQ(input->files.size(), 1u);
  EXPECT_EQ(input->files[0].path, "d/a.txt");
  EXPECT_EQ(input->files[0].data, "hi");
  EXPECT_FALSE(parse_terrarium_request(R"({"code": "1", "sessionId": null, "files": null})")->session_id);
}

TEST(TerrariumRequest, MissingNullOrBlankCodeIsNoCodeProvidedWithStatus200) {
  for (const std::string body :
       {R"({})", R"({"files": []})", R"({"code": null})", R"({"code": ""})", R"({"code": " \n\t\r "})",
        // terrarium checks the code before the files
        R"({"files": [{"filename": "../x"}]})"}) {
    const auto error = error_of(body);
    EXPECT_EQ(error.status, 200) << body;
    EXPECT_EQ(error.type, "parsing") << body;
    EXPECT_EQ(error.message, "no code provided") << body;
  }
}

TEST(TerrariumRequest, OtherErrorsInAJsonBodyAreParsingErrorsWithStatus200) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"code": 5})", "code must be a string"},
      {R"([1])", "request body must be a JSON object with a code string"},
      {R"({"code": "1", "sessionId": "a b"})", "sessionId must be 1-128 characters from A-Z a-z 0-9 . _ : -"},
      {R"({"code": "1", "sessionId": ""})", "sessionId must be 1-128 characters from A-Z a-z 0-9 . _ : -"},
      {R"({"code": "1", "sessionId": 3})", "sessionId must be a string"},
      {R"({"code": "1", "files": {}})", "files must be an array"},
      {R"({"code": "1", "files": [{"b64_data": ""}]})", "files[0].filename must be a string"},
  };
  for (const auto& [body, message] : cases) {
    const auto error = error_of(body);
    EXPECT_EQ(error.status, 200) << body;
    EXPECT_EQ(error.type, "parsing") << body;
    EXPECT_EQ(error.message, message) << body;
  }
  const auto bad_name = error_of(R"({"code": "1", "files": [{"filename": "../x", "b64_data": ""}]})");
  EXPECT_EQ(bad_name.status, 200);
  EXPECT_TRUE(bad_name.message.starts_with("files[0].filename: ")) << bad_name.message;
  const auto bad_base64 = error_of(R"({"code": "1", "files": [{"filename": "a", "b64_data": "!!"}]})");
  EXPECT_EQ(bad_base64.status, 200);
  EXPECT_TRUE(bad_base64.message.starts_with("files[0].b64_data: ")) << bad_base64.message;
}

TEST(TerrariumRequest, ABodyThatIsNotJsonOrTooDeepIs400) {
  for (const std::string body : {"{", "code=1", R"({"code": "1"} x)"}) {
    const auto error = error_of(body);
    EXPECT_EQ(error.status, 400) << body;
    EXPECT_EQ(error.type, "parsing") << body;
    EXPECT_EQ(error.message, "request body is not valid JSON") << body;
  }
  const auto deep = error_of(R"({"code": "1", "x": )" + std::string(10, '[') + std::string(10, ']') + "}", 10);
  EXPECT_EQ(deep.status, 400);
  EXPECT_NE(deep.message.find("--max-json-depth"), std::string::npos) << deep.message;
}

TEST(TerrariumRequest, OneShotSessionIdsAreNeverValidClientIds) {
  for (std::uint64_t serial : {0ull, 1ull, 18446744073709551615ull}) {
    EXPECT_FALSE(valid_session_id(one_shot_session_id(serial))) << one_shot_session_id(serial);
    EXPECT_TRUE(one_shot_session_id(serial).starts_with("terrarium/"));
  }
  EXPECT_NE(one_shot_session_id(1), one_shot_session_id(2));
}

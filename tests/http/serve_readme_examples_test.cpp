// The curl examples of the original vivarium's README, verbatim, against a server
// started with no options (port 3080).
#include <gtest/gtest.h>

#include "http/http_helpers.h"
#include "support/subprocess.h"

using namespace vivarium::test_support;
using nlohmann::json;

namespace {
json curl(const std::string& command) {
  auto result = run_process({"/bin/sh", "-c", command + " -s"});
  EXPECT_EQ(result.exit_status, 0) << command << "\n" << result.err;
  return json::parse(result.out, nullptr, false);
}
}  // namespace

TEST(OriginalReadme, CurlExamplesWorkVerbatimOnTheDefaultPort) {
  if (::access("/usr/bin/curl", X_OK) != 0) GTEST_SKIP() << "curl is not installed";
  auto health_before = run_process({"/usr/bin/curl", "-s", "http://localhost:3080/health"});
  if (health_before.exit_status == 0) GTEST_SKIP() << "something already listens on port 3080";

  // No options at all: the defaults (port 3080) are what the examples assume.
  std::vector<std::string> argv = {vivarium_binary(), "serve"};
  LiveProcess server(argv);
  for (int i = 0; i < 600; ++i) {
    if (run_process({"/usr/bin/curl", "-s", "http://localhost:3080/health"}).exit_status == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  auto hello = curl(R"CURL(curl -X POST "http://localhost:3080/exec?sessionId=test-session" \
  -H "Content-Type: application/json" \
  -d '{"code": "print(\"Hello from Python!\")"}')CURL");
  EXPECT_EQ(hello["success"], true);
  EXPECT_EQ(hello["result"]["std_out"], "Hello from Python!\n");

  auto upload = curl(R"CURL(curl -X POST "http://localhost:3080/exec?sessionId=test-session" \
  -H "Content-Type: application/json" \
  -d '{
    "code": "import pandas as pd\ndf = pd.read_csv(\"data.csv\")\nprint(df.head())",
    "files": [
      {
        "filename": "data.csv",
        "b64_data": "Y29sdW1uMSx2YWx1ZTEKY29sdW1uMiw="
      }
    ]
  }')CURL");
  // pandas needs the package distribution (issue 4); without it this is an execution
  // error naming the missing module, and the upload landed all the same.
  if (upload["success"] == false) {
    EXPECT_EQ(upload["error"]["type"], "execution");
    EXPECT_EQ(upload["error"]["exception"], "ModuleNotFoundError");
    auto check = curl(
        R"CURL(curl -X POST "http://localhost:3080/exec?sessionId=test-session" -H "Content-Type: application/json" -d '{"code": "open(\"data.csv\").read()"}')CURL");
    EXPECT_EQ(check["result"]["final_expression"], "column1,value1\ncolumn2,");
  }

  auto health = curl("curl http://localhost:3080/health");
  EXPECT_EQ(health["status"], "healthy");
  EXPECT_EQ(health["activeSessions"], 1);
  auto sessions = curl("curl http://localhost:3080/sessions");
  EXPECT_EQ(sessions["sessions"][0]["id"], "test-session");
}

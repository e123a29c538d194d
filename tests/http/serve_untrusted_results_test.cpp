// What a session sends back is untrusted: plain Python can replace json.dumps or write
// any bytes. None of it may take the server down or turn a result into a 500.
#include <gtest/gtest.h>

#include "http/http_helpers.h"

using namespace vivarium::test_support;
using nlohmann::json;

// The critical crash of issue 8: a final expression nested 100000 deep overflowed the
// server's stack while it wrote the reply, and every session died with it.
TEST(ServeUntrustedResults, AFinalExpressionNested100000DeepIsTruncatedAndTheServerLives) {
  ServeProcess server;
  exec_code(server, "bystander", "kept = 42");
  exec_code(server, "deep", "mine = 5");
  auto reply = exec_code(server, "deep", "import json\njson.dumps = lambda *a, **k: '[' * 100000 + ']' * 100000\n1");
  ASSERT_EQ(reply.status, 200) << reply.raw.substr(0, 300);
  EXPECT_EQ(reply.body["success"], true);
  const auto& value = reply.body["result"]["final_expression"];
  ASSERT_TRUE(value.is_string());
  EXPECT_TRUE(value.get<std::string>().starts_with("[[[["));
  EXPECT_TRUE(
      value.get<std::string>().ends_with("[vivarium: final expression nested deeper than 128 levels, shown as text]"));
  EXPECT_TRUE(server.running());
  EXPECT_EQ(get(server, "/health").status, 200);
  EXPECT_EQ(exec_code(server, "bystander", "kept").body["result"]["final_expression"], 42);
  // Plain Python, not a crash: the session keeps its state too.
  EXPECT_EQ(
      exec_code(server, "deep", "import importlib\nimportlib.reload(json)\nmine").body["result"]["final_expression"],
      5);
}

TEST(ServeUntrustedResults, AFinalExpressionOverTheOutputLimitIsCut) {
  ServeProcess server({"--max-output-size", "4K"});
  auto reply = exec_code(server, "big", "import json\njson.dumps = lambda *a, **k: '\"' + 'x' * 100000 + '\"'\n1");
  ASSERT_EQ(reply.status, 200) << reply.raw.substr(0, 300);
  const auto text = reply.body["result"]["final_expression"].get<std::string>();
  EXPECT_LT(text.size(), 4096u + 100u);
  EXPECT_TRUE(text.ends_with("[vivarium: final expression cut at the limit of 4K]")) << text.substr(4000);
}

TEST(ServeUntrustedResults, OutputThatIsNotUtf8StillGivesAJsonResult) {
  ServeProcess server;
  auto reply = exec_code(server, "bytes", "import sys\nsys.stdout.buffer.write(b'a\\xffb\\n')\nsys.stdout.flush()\n7");
  ASSERT_EQ(reply.status, 200) << reply.raw;
  EXPECT_FALSE(reply.body.is_discarded());
  EXPECT_EQ(reply.body["result"]["std_out"],
            "a\xef\xbf\xbd"
            "b\n");  // U+FFFD
  EXPECT_EQ(reply.body["result"]["final_expression"], 7);
}

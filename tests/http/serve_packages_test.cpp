// Packages in `vivarium serve`: preloaded in the zygote, so a fresh session starts with
// them imported; other wheels load on import even in a locked-down session.
#include <gtest/gtest.h>

#include "http/http_helpers.h"

using namespace vivarium::test_support;
using nlohmann::json;

TEST(ServePackages, PreloadedPackagesAreAlreadyImportedInAFreshSession) {
  const std::string good = std::string(VIVARIUM_TEST_PACKAGES) + "/good";
  ServeProcess server({"--packages-dir", good, "--preload", "vivtest-base,numpy"});
  EXPECT_NE(server.log().find("preload packages not available: numpy"), std::string::npos) << server.log();
  auto reply = exec_code(server, "fresh", "import sys\n['vivtest_base' in sys.modules, 'vivtest_app' in sys.modules]");
  EXPECT_EQ(reply.body["result"]["final_expression"], json::parse("[true, false]")) << reply.raw;
  // Not preloaded: loaded on import, though the session process cannot open files.
  auto loaded = exec_code(server, "fresh", "import vivtest_app\nvivtest_app.answer()");
  EXPECT_EQ(loaded.body["result"]["final_expression"], 42) << loaded.raw;
}

TEST(ServePackages, ACorruptWheelIsRefusedInASessionToo) {
  const std::string corrupt = std::string(VIVARIUM_TEST_PACKAGES) + "/corrupt";
  ServeProcess server({"--packages-dir", corrupt, "--preload", "none"});
  auto reply = exec_code(server, "s", "import vivtest_base");
  EXPECT_EQ(reply.body["error"]["exception"], "ModuleNotFoundError");
  EXPECT_NE(reply.body["result"]["std_err"].get<std::string>().find("sha256"), std::string::npos) << reply.raw;
}

// Packages in `vivarium serve`: preloaded in the zygote, so a fresh session starts with
// them imported; other wheels load on import, and micropip installs from the wheel
// folder, even in a locked-down session (the server reads the files for it).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "http/http_helpers.h"
#include "support/subprocess.h"

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

TEST(ServePackages, MicropipInstallsIntoOneLockedDownSessionOnly) {
  const std::string good = std::string(VIVARIUM_TEST_PACKAGES) + "/good";
  const std::string wheels = std::string(VIVARIUM_TEST_PACKAGES) + "/wheels";
  ServeProcess server({"--packages-dir", good, "--wheels-dir", wheels, "--preload", "none"});
  EXPECT_NE(server.log().find("vivtest_native-1.0-cp312-cp312-linux_x86_64.whl: not a pure-Python 3 wheel"),
            std::string::npos)
      << server.log();
  auto installed = exec_code(server, "installs",
                             "import micropip\nawait micropip.install('vivtest-extra')\n"
                             "import vivtest_extra\nvivtest_extra.describe()");
  EXPECT_EQ(installed.body["result"]["final_expression"], json::parse(R"(["1.5", 42])")) << installed.raw;
  auto kept = exec_code(server, "installs", "import vivtest_pure\nvivtest_pure.VERSION");
  EXPECT_EQ(kept.body["result"]["final_expression"], "1.5") << kept.raw;
  // Another session starts from the zygote, without what the first one installed.
  auto other = exec_code(server, "other", "import importlib.util\nimportlib.util.find_spec('vivtest_extra') is None");
  EXPECT_EQ(other.body["result"]["final_expression"], true) << other.raw;
  auto refused = exec_code(server, "other", "import micropip\nawait micropip.install('https://pypi.org/simple/six')");
  EXPECT_EQ(refused.body["error"]["exception"], "ValueError") << refused.raw;
  EXPECT_NE(refused.body["error"]["message"].get<std::string>().find("no network access"), std::string::npos);
}

TEST(ServePackages, TheWheelFolderCanComeFromDotenv) {
  const std::string wheels = std::string(VIVARIUM_TEST_PACKAGES) + "/wheels";
  const std::filesystem::path dir = make_temp_dir();
  std::ofstream(dir / ".env") << "VIVARIUM_WHEELS_DIR=" << wheels << "\nPRELOAD=none\n";
  ServeProcess server({}, {}, dir.string());
  auto reply = exec_code(server, "dotenv",
                         "import micropip\nawait micropip.install('vivtest-fancy')\nimport vivtest_fancy\n"
                         "vivtest_fancy.VERSION");
  EXPECT_EQ(reply.body["result"]["final_expression"], "1.0") << reply.raw << server.log();
}

// `vivarium run` through the user's warm zygote (docs/run-daemon.md), against the real
// binary: reuse, one zygote per configuration, detaching, `vivarium daemon status|stop`,
// and the bad cases (a stale socket, a zygote killed mid-run, two clients starting one,
// a full or foreign runtime folder, another uid at the socket). Each test has a runtime
// folder of its own, so that it sees only its own zygotes; each stops them at the end.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/subprocess.h"

namespace fs = std::filesystem;
using namespace vivarium::test_support;

namespace {

class RunDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime_ = make_temp_dir();
    ::chmod(runtime_.c_str(), 0700);
    env_ = {{"XDG_RUNTIME_DIR", runtime_.string()}, {"VIVARIUM_NO_DAEMON", ""}};
  }
  void TearDown() override { run_vivarium({"daemon", "stop"}, {.env = env_}); }

  ProcessResult run(std::vector<std::string> args, std::map<std::string, std::string> extra = {}) {
    auto env = env_;
    for (auto& [name, value] : extra) env.insert_or_assign(name, value);
    args.insert(args.begin(), "run");
    return run_vivarium(args, {.env = env});
  }
  std::string status() { return run_vivarium({"daemon", "status"}, {.env = env_}).out; }
  // The pids in `vivarium daemon status`'s table.
  std::vector<pid_t> zygotes() {
    std::vector<pid_t> pids;
    std::istringstream lines(status());
    std::string line;
    while (std::getline(lines, line))
      if (!line.empty() && std::isdigit(static_cast<unsigned char>(line[0]))) pids.push_back(std::stoi(line));
    return pids;
  }
  fs::path socket_folder() const { return runtime_ / "vivarium"; }

  fs::path runtime_;
  std::map<std::string, std::string> env_;
};

std::string read_link(const std::string& path) {
  std::error_code ec;
  return fs::read_symlink(path, ec).string();
}

}  // namespace

TEST_F(RunDaemon, TheSecondRunUsesTheZygoteTheFirstStarted) {
  auto first = run({"-c", "import sys; print('first', sys.argv[1:])", "a"});
  EXPECT_EQ(first.exit_status, 0) << first.err;
  EXPECT_EQ(first.out, "first ['a']\n");
  auto second = run({"-c", "print('second')"});
  EXPECT_EQ(second.exit_status, 0) << second.err;
  EXPECT_EQ(second.out, "second\n");
  const std::string table = status();
  ASSERT_EQ(zygotes().size(), 1u) << table;
  // PID UPTIME IDLE-EXIT PROGRAMS SERVED: both runs were its programs.
  std::istringstream row(table.substr(table.find('\n') + 1));
  std::string pid, uptime, idle, programs, served;
  row >> pid >> uptime >> idle >> programs >> served;
  EXPECT_EQ(programs, "0") << table;
  EXPECT_EQ(served, "2") << table;
  EXPECT_NE(table.find("memory 1G"), std::string::npos) << table;
}

TEST_F(RunDaemon, NoDaemonStartsNone) {
  auto flag = run({"--no-daemon", "-c", "print(1)"});
  EXPECT_EQ(flag.exit_status, 0) << flag.err;
  auto variable = run({"-c", "print(2)"}, {{"VIVARIUM_NO_DAEMON", "1"}});
  EXPECT_EQ(variable.exit_status, 0) << variable.err;
  EXPECT_EQ(flag.out + variable.out, "1\n2\n");
  EXPECT_TRUE(zygotes().empty()) << status();
  EXPECT_NE(status().find("no warm zygote is running"), std::string::npos);
}

TEST_F(RunDaemon, AnotherConfigurationGetsAnotherZygote) {
  EXPECT_EQ(run({"-c", "pass"}).exit_status, 0);
  EXPECT_EQ(run({"--memory-limit", "256M", "-c", "pass"}).exit_status, 0);
  const std::string wheels = make_temp_dir();  // another (empty) wheel folder
  EXPECT_EQ(run({"--wheels-dir", wheels, "-c", "pass"}).exit_status, 0);
  EXPECT_EQ(zygotes().size(), 3u) << status();
  EXPECT_NE(status().find("memory 256M"), std::string::npos) << status();
}

TEST_F(RunDaemon, ARebuiltEngineGetsAnotherZygote) {
  // A copy of the binary and its engine library elsewhere; touching the library stands
  // for a rebuild of it (the key holds its file's identity; the binary's build id too).
  const fs::path copy = make_temp_dir();
  const fs::path build = fs::path(vivarium_binary()).parent_path();
  fs::copy_file(vivarium_binary(), copy / "vivarium");
  fs::copy_file(build / "libvivarium-engine.so", copy / "libvivarium-engine.so");
  fs::create_directory_symlink(fs::canonical(build / ".." / "assets"), copy / "assets");
  const std::string binary = (copy / "vivarium").string();
  auto env = env_;
  EXPECT_EQ(run_process({binary, "run", "-c", "pass"}, {.env = env}).exit_status, 0);
  fs::last_write_time(copy / "libvivarium-engine.so", fs::file_time_type::clock::now());
  EXPECT_EQ(run_process({binary, "run", "-c", "pass"}, {.env = env}).exit_status, 0);
  EXPECT_EQ(zygotes().size(), 2u) << status();
}

TEST_F(RunDaemon, TheZygoteIsDetachedFromTheCallersPipes) {
  // run_process reads stdout and stderr to their end: a zygote that kept them would hold
  // it (and a shell's $(...), or ctest) for the whole idle time.
  auto result = run({"-c", "print('out')"});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_FALSE(result.timed_out);
  const auto pids = zygotes();
  ASSERT_EQ(pids.size(), 1u);
  const std::string proc = "/proc/" + std::to_string(pids[0]);
  for (int fd = 0; fd <= 2; ++fd) EXPECT_EQ(read_link(proc + "/fd/" + std::to_string(fd)), "/dev/null");
  // A session of its own, and no controlling terminal (stat's 7th field, tty_nr, is 0).
  EXPECT_NE(::getsid(pids[0]), ::getsid(0));
  std::ifstream stat(proc + "/stat");
  std::string stat_line;
  std::getline(stat, stat_line);
  std::istringstream fields(stat_line.substr(stat_line.rfind(')') + 2));
  std::string state, ppid, pgrp, session, tty_nr;
  fields >> state >> ppid >> pgrp >> session >> tty_nr;
  EXPECT_EQ(tty_nr, "0") << stat_line;
  std::ifstream comm(proc + "/comm");
  std::string name;
  comm >> name;
  EXPECT_EQ(name, "vivarium-daemon");
}

TEST_F(RunDaemon, StatusAndStopShowAndEndTheZygotes) {
  EXPECT_EQ(run({"-c", "pass"}).exit_status, 0);
  const auto pids = zygotes();
  ASSERT_EQ(pids.size(), 1u);
  auto stopped = run_vivarium({"daemon", "stop"}, {.env = env_});
  EXPECT_EQ(stopped.exit_status, 0);
  EXPECT_EQ(stopped.out, "stopped the warm zygote " + std::to_string(pids[0]) + "\n");
  for (int i = 0; i < 100 && ::kill(pids[0], 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_NE(::kill(pids[0], 0), 0) << "the zygote still runs";
  EXPECT_TRUE(zygotes().empty());
}

TEST_F(RunDaemon, TheZygoteExitsWhenIdle) {
  EXPECT_EQ(run({"-c", "pass"}, {{"VIVARIUM_DAEMON_IDLE", "1"}}).exit_status, 0);
  const auto pids = zygotes();
  ASSERT_EQ(pids.size(), 1u);
  for (int i = 0; i < 200 && ::kill(pids[0], 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_NE(::kill(pids[0], 0), 0) << "the zygote outlived its idle time";
  // It took its socket with it.
  std::size_t sockets = 0;
  for (const auto& entry : fs::directory_iterator(socket_folder())) sockets += entry.path().extension() == ".sock";
  EXPECT_EQ(sockets, 0u);
  auto bad = run({"-c", "pass"}, {{"VIVARIUM_DAEMON_IDLE", "soon"}});
  EXPECT_EQ(bad.exit_status, 2);
  EXPECT_NE(bad.err.find("VIVARIUM_DAEMON_IDLE"), std::string::npos) << bad.err;
}

TEST_F(RunDaemon, AStaleSocketFromACrashedZygoteIsReplaced) {
  EXPECT_EQ(run({"-c", "pass"}).exit_status, 0);
  const auto pids = zygotes();
  ASSERT_EQ(pids.size(), 1u);
  ::kill(pids[0], SIGKILL);  // its socket file stays behind, with nobody listening
  for (int i = 0; i < 100 && ::kill(pids[0], 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_NE(status().find("stale socket"), std::string::npos) << status();
  auto again = run({"-c", "print('again')"});
  EXPECT_EQ(again.exit_status, 0) << again.err;
  EXPECT_EQ(again.out, "again\n");
  EXPECT_EQ(again.err, "");
  const auto now = zygotes();
  ASSERT_EQ(now.size(), 1u) << status();
  EXPECT_NE(now[0], pids[0]);
}

TEST_F(RunDaemon, AZygoteKilledWhileItsProgramRunsIsReportedWith125) {
  EXPECT_EQ(run({"-c", "pass"}).exit_status, 0);
  const auto pids = zygotes();
  ASSERT_EQ(pids.size(), 1u);
  ::setenv("XDG_RUNTIME_DIR", runtime_.c_str(), 1);
  LiveProcess client({vivarium_binary(), "run", "-c", "import time; print('running', flush=True); time.sleep(60)"});
  EXPECT_EQ(client.read_stdout_until("running\n", std::chrono::seconds(30)), "running\n");
  ::kill(pids[0], SIGKILL);
  EXPECT_EQ(client.wait(), 125);
}

TEST_F(RunDaemon, TwoClientsStartingAtOnceShareOneZygote) {
  const std::string script = "\"$0\" run -c 'print(\"a\")' > \"$1/a\" & \"$0\" run -c 'print(\"b\")' > \"$1/b\" & wait";
  const fs::path out = make_temp_dir();
  auto both = run_process({"/bin/sh", "-c", script, vivarium_binary(), out.string()}, {.env = env_});
  EXPECT_EQ(both.exit_status, 0) << both.err;
  EXPECT_EQ(both.err.find("warning"), std::string::npos) << both.err;
  std::ifstream a(out / "a"), b(out / "b");
  std::string a_text, b_text;
  std::getline(a, a_text);
  std::getline(b, b_text);
  EXPECT_EQ(a_text, "a");
  EXPECT_EQ(b_text, "b");
  EXPECT_EQ(zygotes().size(), 1u) << status();
}

TEST_F(RunDaemon, AFolderOthersMayEnterIsNotUsed) {
  fs::create_directory(socket_folder());
  ::chmod(socket_folder().c_str(), 0755);
  auto result = run({"-c", "print('ran')"});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out, "ran\n");
  EXPECT_NE(result.err.find("may be entered by other users"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("running without a warm zygote"), std::string::npos) << result.err;
  EXPECT_TRUE(fs::is_empty(socket_folder()));
}

TEST_F(RunDaemon, AnotherUsersFolderIsNotUsed) {
  if (::geteuid() != 0) GTEST_SKIP() << "only root can give a folder to another user";
  fs::create_directory(socket_folder());
  ASSERT_EQ(::chown(socket_folder().c_str(), 65534, 65534), 0);
  ::chmod(socket_folder().c_str(), 0700);
  auto result = run({"-c", "print('ran')"});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out, "ran\n");
  EXPECT_NE(result.err.find("belongs to uid 65534, not to you"), std::string::npos) << result.err;
}

TEST_F(RunDaemon, AFullRuntimeFolderRunsWithoutAZygote) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a full file system needs root";
  // A tmpfs with no inode to spare: not even the socket folder can be made.
  if (::mount("tmpfs", runtime_.c_str(), "tmpfs", 0, "size=64k,nr_inodes=1,mode=700") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
  auto result = run({"-c", "print('ran')"});
  ::umount2(runtime_.c_str(), MNT_DETACH);
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out, "ran\n");
  EXPECT_NE(result.err.find("No space left on device"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("running without a warm zygote"), std::string::npos) << result.err;
}

TEST_F(RunDaemon, TheZygoteRefusesAnotherUid) {
  if (::geteuid() != 0) GTEST_SKIP() << "only root can connect as another user";
  EXPECT_EQ(run({"-c", "pass"}).exit_status, 0);
  fs::path socket;
  for (const auto& entry : fs::directory_iterator(socket_folder()))
    if (entry.path().extension() == ".sock") socket = entry.path();
  ASSERT_FALSE(socket.empty());
  // Let uid 65534 reach the socket (the folder is 0700 for exactly this reason), then ask
  // for the status as that uid: SO_PEERCRED names it, and the zygote refuses.
  ::chmod(runtime_.c_str(), 0711);
  ::chmod(socket_folder().c_str(), 0711);
  ::chmod(socket.c_str(), 0777);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(pipe_fds[0]);
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket.c_str(), sizeof address.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) ::_exit(3);
    // {"type": "daemon_status_request"} in CBOR, after its 8-byte little-endian length.
    const unsigned char request[] = {0xa1, 0x64, 't', 'y', 'p', 'e', 0x75, 'd', 'a', 'e', 'm', 'o', 'n', '_',
                                     's',  't',  'a', 't', 'u', 's', '_',  'r', 'e', 'q', 'u', 'e', 's', 't'};
    unsigned char header[8] = {sizeof request};
    (void)!::write(fd, header, sizeof header);
    (void)!::write(fd, request, sizeof request);
    char reply[4096];
    ssize_t got, total = 0;
    while ((got = ::read(fd, reply + total, sizeof reply - static_cast<std::size_t>(total))) > 0) total += got;
    (void)!::write(pipe_fds[1], reply, static_cast<std::size_t>(std::max<ssize_t>(total, 0)));
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string reply;
  char buffer[4096];
  ssize_t got;
  while ((got = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0) reply.append(buffer, static_cast<std::size_t>(got));
  int wait_status = 0;
  ::waitpid(child, &wait_status, 0);
  ::chmod(socket_folder().c_str(), 0700);
  ::chmod(runtime_.c_str(), 0700);
  EXPECT_EQ(WEXITSTATUS(wait_status), 0);
  EXPECT_NE(reply.find("refused: uid 65534 is not the user of this warm zygote"), std::string::npos) << reply;
  EXPECT_EQ(reply.find("daemon_status\x6e"), std::string::npos);  // no status given
}

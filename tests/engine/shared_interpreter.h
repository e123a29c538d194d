// One booted interpreter per engine-test process (a boot takes ~0.7 s).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/interpreter.h"

namespace vivarium::test_support {

// The memory cap every engine test runs under.
inline constexpr std::uint64_t kTestMemoryLimit = std::uint64_t{256} << 20;

// The process-wide interpreter; booted on first use, re-booted if a test lost it.
engine::Interpreter& interpreter();
// A fresh interpreter, for tests that need their own.
std::unique_ptr<engine::Interpreter> boot_interpreter();
// A fresh interpreter with a package folder (and an extra wheel folder), each as
// vivarium lists it; preload as BootOptions::preload.
std::unique_ptr<engine::Interpreter> boot_with(const std::filesystem::path& dir, std::vector<std::string> preload = {},
                                               const std::filesystem::path& wheels = {});
// Runs code in the shared interpreter.
engine::ExecutionResult run(const std::string& code);

}  // namespace vivarium::test_support

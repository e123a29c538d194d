// `vivarium keys new NAME`: a fresh API key, and the line of the key file that accepts
// it (docs/auth.md). The key is shown once; the file keeps only its sha256.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace vivarium::cli {

struct KeysOptions {
  std::string name;
};
void add_keys_command(CLI::App& app, KeysOptions& options);
int keys_command(const KeysOptions& options);

}  // namespace vivarium::cli

// `vivarium serve` and the hidden `vivarium __zygote` it starts.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>

namespace vivarium::cli {

struct ServeFlags {
  std::map<std::string, std::string> values;  // by setting (environment) name
};
void add_serve_command(CLI::App& app, ServeFlags& flags);
int serve_command(const ServeFlags& flags);

struct ZygoteFlags {
  std::string memory_limit, assets, cache_dir, packages_dir, wheels_dir, preload;
};
void add_zygote_command(CLI::App& app, ZygoteFlags& flags);
int zygote_command(const ZygoteFlags& flags);

}  // namespace vivarium::cli

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

void add_zygote_command(CLI::App& app);
int zygote_command();

}  // namespace vivarium::cli

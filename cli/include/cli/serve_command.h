// `vivarium serve` and the hidden `vivarium __zygote` it starts; the hidden
// `vivarium __run-host` that `vivarium run` starts (runner/run_host.h).
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>

#include "server/config.h"

namespace vivarium::cli {

struct ServeFlags {
  std::map<std::string, std::string> values;  // by setting (environment) name
};
void add_serve_command(CLI::App& app, ServeFlags& flags);
// Adds one of serve's settings to `command` as a flag or an option, storing its text in
// flags under the setting's name (config.cpp parses and checks it). serve and mcp share it.
void add_setting_option(CLI::App& command, const server::SettingInfo& setting, ServeFlags& flags);
int serve_command(const ServeFlags& flags);

void add_zygote_command(CLI::App& app);
int zygote_command();
void add_run_host_command(CLI::App& app);
int run_host_command();

}  // namespace vivarium::cli

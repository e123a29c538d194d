#include "cli/keys_command.h"

#include <iostream>

#include "cli/exit_status.h"
#include "server/auth_keys.h"

namespace vivarium::cli {

void add_keys_command(CLI::App& app, KeysOptions& options) {
  auto* keys = app.add_subcommand("keys", "Make API keys for serve's --api-keys file");
  keys->require_subcommand(1);
  auto* make = keys->add_subcommand(
      "new", "Print a fresh random API key (give it to the client) and the NAME:SHA256 line to add to the key file");
  make->add_option("NAME", options.name, "The key's name: 1-64 characters from A-Z a-z 0-9 . _ -")->required();
  keys->footer("See docs/auth.md. After editing the key file, send serve SIGHUP to reread it.");
}

int keys_command(const KeysOptions& options) {
  if (!server::valid_key_name(options.name)) {
    std::cerr << "vivarium: error: the key name '" << options.name
              << "' must be 1-64 characters from A-Z a-z 0-9 . _ -\n";
    return exit_status::usage;
  }
  auto key = server::new_api_key();
  if (!key) {
    std::cerr << "vivarium: error: " << key.error() << "\n";
    return exit_status::internal;
  }
  std::cout << "key:  " << *key << "\n"
            << "line: " << options.name << ":" << server::to_hex(server::sha256(*key)) << "\n";
  std::cerr << "Give the key to its client (Authorization: Bearer KEY); add the line to the --api-keys file and "
               "send serve SIGHUP. The key is not stored anywhere.\n";
  return exit_status::ok;
}

}  // namespace vivarium::cli

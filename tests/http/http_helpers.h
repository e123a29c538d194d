// Small helpers for the HTTP tests: JSON requests against a ServeProcess.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "support/serve_process.h"

namespace vivarium::test_support {

struct Reply {
  int status = 0;
  nlohmann::json body;
  std::string raw;
};

inline Reply to_reply(const httplib::Result& result) {
  Reply reply;
  if (!result) return reply;
  reply.status = result->status;
  reply.raw = result->body;
  reply.body = nlohmann::json::parse(result->body, nullptr, false);
  return reply;
}

inline httplib::Client client_for(const ServeProcess& server) {
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(120, 0);
  return client;
}

inline Reply exec(const ServeProcess& server, const std::string& session, const nlohmann::json& body) {
  auto client = client_for(server);
  return to_reply(client.Post(("/exec?sessionId=" + session).c_str(), body.dump(), "application/json"));
}

inline Reply exec_code(const ServeProcess& server, const std::string& session, const std::string& code) {
  return exec(server, session, {{"code", code}});
}

inline Reply get(const ServeProcess& server, const std::string& path) {
  auto client = client_for(server);
  return to_reply(client.Get(path.c_str()));
}

}  // namespace vivarium::test_support

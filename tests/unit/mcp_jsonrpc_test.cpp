// JSON-RPC 2.0 as MCP uses it: parse errors, the nesting cap, and which messages are
// requests, notifications, responses or invalid, with the specification's error codes.
#include "server/mcp_jsonrpc.h"

#include <gtest/gtest.h>

using namespace vivarium::server::mcp;

namespace {

int code_of(const json& response) { return response["error"]["code"].get<int>(); }

Message message_of(const std::string& text) {
  auto parsed = parse_message(text, 64);
  EXPECT_TRUE(parsed.has_value()) << text;
  auto message = to_message(*parsed);
  EXPECT_TRUE(message.has_value()) << text;
  return *message;
}

json refusal_of(const std::string& text) {
  auto parsed = parse_message(text, 64);
  if (!parsed) return parsed.error();
  auto message = to_message(*parsed);
  EXPECT_FALSE(message.has_value()) << text;
  return message ? json() : message.error();
}

}  // namespace

TEST(McpJsonRpc, NotJsonIsAParseErrorWithANullId) {
  const auto error = refusal_of("{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": ");
  EXPECT_EQ(code_of(error), error_code::parse_error);
  EXPECT_TRUE(error["id"].is_null());
  EXPECT_EQ(error["jsonrpc"], "2.0");
  EXPECT_EQ(code_of(refusal_of("")), error_code::parse_error);
}

TEST(McpJsonRpc, NestingPastTheCapIsRefusedWithoutRecursion) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const auto error = refusal_of(deep);
  EXPECT_EQ(code_of(error), error_code::invalid_request);
  EXPECT_NE(error["error"]["message"].get<std::string>().find("64 levels"), std::string::npos);
  // 64 levels are fine.
  auto ok = parse_message(std::string(64, '[') + std::string(64, ']'), 64);
  EXPECT_TRUE(ok.has_value());
}

TEST(McpJsonRpc, RequestsNotificationsAndResponses) {
  auto request = message_of(R"({"jsonrpc": "2.0", "id": 7, "method": "ping"})");
  EXPECT_EQ(request.kind, Message::Kind::request);
  EXPECT_EQ(request.id, 7);
  EXPECT_EQ(request.method, "ping");
  EXPECT_TRUE(request.params.is_object());

  auto named = message_of(R"({"jsonrpc": "2.0", "id": "a-1", "method": "tools/list", "params": {"cursor": "x"}})");
  EXPECT_EQ(named.id, "a-1");
  EXPECT_EQ(named.params["cursor"], "x");

  auto note = message_of(R"({"jsonrpc": "2.0", "method": "notifications/initialized"})");
  EXPECT_EQ(note.kind, Message::Kind::notification);

  auto response = message_of(R"({"jsonrpc": "2.0", "id": 3, "result": {}})");
  EXPECT_EQ(response.kind, Message::Kind::response);
}

TEST(McpJsonRpc, InvalidMessagesGetInvalidRequest) {
  EXPECT_EQ(code_of(refusal_of(R"([{"jsonrpc": "2.0", "id": 1, "method": "ping"}])")), error_code::invalid_request);
  EXPECT_EQ(code_of(refusal_of(R"("ping")")), error_code::invalid_request);
  EXPECT_EQ(code_of(refusal_of(R"({"id": 1, "method": "ping"})")), error_code::invalid_request);
  EXPECT_EQ(code_of(refusal_of(R"({"jsonrpc": "1.0", "id": 1, "method": "ping"})")), error_code::invalid_request);
  EXPECT_EQ(code_of(refusal_of(R"({"jsonrpc": "2.0", "id": {"a": 1}, "method": "ping"})")),
            error_code::invalid_request);
  EXPECT_EQ(code_of(refusal_of(R"({"jsonrpc": "2.0", "id": 1, "method": 5})")), error_code::invalid_request);
  EXPECT_EQ(code_of(refusal_of(R"({"jsonrpc": "2.0", "id": 1})")), error_code::invalid_request);
  EXPECT_EQ(code_of(refusal_of(R"({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": 3})")),
            error_code::invalid_request);
}

TEST(McpJsonRpc, TheIdOfAnInvalidRequestIsKeptWhenUsable) {
  EXPECT_EQ(refusal_of(R"({"jsonrpc": "2.0", "id": 9, "method": 5})")["id"], 9);
  EXPECT_TRUE(refusal_of(R"({"jsonrpc": "2.0", "id": [9], "method": "ping"})")["id"].is_null());
}

TEST(McpJsonRpc, ArrayParamsAreInvalidParams) {
  const auto error = refusal_of(R"({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": [1]})");
  EXPECT_EQ(code_of(error), error_code::invalid_params);
  EXPECT_EQ(error["id"], 2);
}

TEST(McpJsonRpc, MessagesAreOneLineAndInvalidUtf8BecomesReplacement) {
  const auto text = to_text(notification("notifications/message", {{"data", std::string("a\nb\xff")}}));
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_NE(text.find("\\n"), std::string::npos);
  EXPECT_NE(text.find("\xef\xbf\xbd"), std::string::npos);
}

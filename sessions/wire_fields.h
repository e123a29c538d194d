// The reading and writing helpers every wire message shares (wire_messages.cpp for the
// session protocol, run_messages.cpp for `vivarium run`'s): one field at a time, each
// with its type, range and size checked, and errors that name the message and the field.
// Internal to the vivarium_wire target.
#pragma once

#include <expected>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/execution.h"
#include "engine/sandbox_path.h"
#include "sessions/cbor_depth.h"
#include "sessions/frame_limits.h"
#include "sessions/wire_error.h"
#include "sessions/wire_messages.h"

namespace vivarium::sessions::wire {

using json = nlohmann::json;

// Room for the marker the session appends when it cuts an error text.
constexpr std::size_t kMarkerRoom = 128;

#define WIRE_TRY(name, expression)                                     \
  auto name##_checked = (expression);                                  \
  if (!name##_checked) return std::unexpected(name##_checked.error()); \
  auto name = std::move(*name##_checked)

inline json bytes_value(const std::string& data) {
  return json::binary(std::vector<std::uint8_t>(data.begin(), data.end()));
}

inline Bytes to_frame(const json& message) { return json::to_cbor(message); }

// One message's fields, read with every check; errors name the message and the field.
class Fields {
 public:
  Fields(const json& object, std::string what) : object_(object), what_(std::move(what)) {}

  std::expected<const json*, WireError> find(const char* key, bool required) const {
    const auto it = object_.find(key);
    if (it == object_.end()) {
      if (required) return std::unexpected(error(WireErrorKind::wrong_type, key, "is missing"));
      return nullptr;
    }
    return &*it;
  }

  std::expected<std::optional<std::string>, WireError> optional_text(const char* key, std::size_t max_bytes) const {
    WIRE_TRY(value, find(key, false));
    if (!value) return std::nullopt;
    return check_text(*value, key, max_bytes);
  }
  std::expected<std::string, WireError> text(const char* key, std::size_t max_bytes) const {
    WIRE_TRY(value, find(key, true));
    return check_text(*value, key, max_bytes);
  }
  std::expected<std::string, WireError> check_text(const json& value, const char* key, std::size_t max_bytes) const {
    if (!value.is_string()) return std::unexpected(error(WireErrorKind::wrong_type, key, "is not a text string"));
    const auto& text = value.get_ref<const std::string&>();
    if (text.size() > max_bytes)
      return std::unexpected(
          error(WireErrorKind::out_of_range, key,
                "is " + std::to_string(text.size()) + " bytes, over its limit of " + std::to_string(max_bytes)));
    return text;
  }

  std::expected<std::optional<std::string>, WireError> optional_bytes(const char* key) const {
    WIRE_TRY(value, find(key, false));
    if (!value) return std::nullopt;
    if (!value->is_binary()) return std::unexpected(error(WireErrorKind::wrong_type, key, "is not a byte string"));
    const auto& data = value->get_binary();
    return std::string(data.begin(), data.end());
  }
  std::expected<std::string, WireError> bytes(const char* key) const {
    WIRE_TRY(value, optional_bytes(key));
    if (!value) return std::unexpected(error(WireErrorKind::wrong_type, key, "is missing"));
    return std::move(*value);
  }

  std::expected<std::optional<std::int64_t>, WireError> optional_integer(const char* key, std::int64_t min,
                                                                         std::int64_t max) const {
    WIRE_TRY(value, find(key, false));
    if (!value) return std::nullopt;
    if (value->is_number_unsigned()) {
      const auto n = value->get<std::uint64_t>();
      if (n > static_cast<std::uint64_t>(max) || static_cast<std::int64_t>(n) < min)
        return std::unexpected(range_error(key, std::to_string(n), min, max));
      return static_cast<std::int64_t>(n);
    }
    if (!value->is_number_integer()) return std::unexpected(error(WireErrorKind::wrong_type, key, "is not an integer"));
    const auto n = value->get<std::int64_t>();
    if (n < min || n > max) return std::unexpected(range_error(key, std::to_string(n), min, max));
    return n;
  }
  std::expected<std::int64_t, WireError> integer(const char* key, std::int64_t min, std::int64_t max) const {
    WIRE_TRY(value, optional_integer(key, min, max));
    if (!value) return std::unexpected(error(WireErrorKind::wrong_type, key, "is missing"));
    return *value;
  }

  std::expected<bool, WireError> boolean(const char* key) const {
    WIRE_TRY(value, find(key, true));
    if (!value->is_boolean()) return std::unexpected(error(WireErrorKind::wrong_type, key, "is not a boolean"));
    return value->get<bool>();
  }

  // One of the names; returns its index.
  std::expected<std::size_t, WireError> choice(const char* key, std::initializer_list<const char*> names) const {
    WIRE_TRY(value, text(key, kMaxShortText));
    std::size_t index = 0;
    for (const char* name : names) {
      if (value == name) return index;
      ++index;
    }
    return std::unexpected(error(WireErrorKind::out_of_range, key, "is '" + value + "', not a known value"));
  }

  WireError error(WireErrorKind kind, const char* key, const std::string& problem) const {
    const bool vowel = std::string_view("aeiou").find(what_.front()) != std::string_view::npos;
    return wire_error(kind,
                      "field '" + std::string(key) + "' of " + (vowel ? "an " : "a ") + what_ + " message " + problem);
  }

 private:
  WireError range_error(const char* key, const std::string& value, std::int64_t min, std::int64_t max) const {
    return error(WireErrorKind::out_of_range, key,
                 "is " + value + ", outside " + std::to_string(min) + ".." + std::to_string(max));
  }
  const json& object_;
  std::string what_;
};

// Depth first, without recursion; then nlohmann builds the (shallow) value.
inline std::expected<json, WireError> parse(std::span<const std::uint8_t> frame) {
  if (auto checked = check_cbor(frame); !checked) return std::unexpected(checked.error());
  try {
    json message = json::from_cbor(frame.begin(), frame.end(), true, false);
    if (message.is_discarded())
      return std::unexpected(wire_error(WireErrorKind::malformed, "the CBOR is not well-formed"));
    if (!message.is_object())
      return std::unexpected(wire_error(WireErrorKind::wrong_type, "the message is not a CBOR map"));
    return message;
  } catch (...) {
    return std::unexpected(wire_error(WireErrorKind::malformed, "the CBOR reader refused the frame"));
  }
}

inline std::expected<std::string, WireError> message_type(const json& message) {
  const auto it = message.find("type");
  if (it == message.end() || !it->is_string())
    return std::unexpected(wire_error(WireErrorKind::unknown_type, "the message has no text field 'type'"));
  return it->get<std::string>();
}

inline WireError unknown_type(const std::string& type, const char* direction) {
  return wire_error(WireErrorKind::unknown_type, "message type '" + type + "' is not one " + direction + " sends");
}

inline json encode_files(const std::vector<engine::SandboxFile>& files) {
  json list = json::array();
  for (const auto& file : files) list.push_back({{"path", file.path}, {"data", bytes_value(file.data)}});
  return list;
}

inline std::expected<std::vector<engine::SandboxFile>, WireError> decode_files(const Fields& fields,
                                                                               const json& message) {
  WIRE_TRY(list, fields.find("files", true));
  if (!list->is_array()) return std::unexpected(fields.error(WireErrorKind::wrong_type, "files", "is not an array"));
  if (list->size() > kMaxFilesPerMessage)
    return std::unexpected(
        fields.error(WireErrorKind::out_of_range, "files",
                     "has " + std::to_string(list->size()) + " entries, over " + std::to_string(kMaxFilesPerMessage)));
  std::vector<engine::SandboxFile> files;
  files.reserve(list->size());
  for (const auto& entry : *list) {
    if (!entry.is_object())
      return std::unexpected(fields.error(WireErrorKind::wrong_type, "files", "has an entry that is not a map"));
    Fields file(entry, "file");
    WIRE_TRY(path, file.text("path", kMaxPathBytes));
    auto valid = engine::validate_sandbox_path(path);
    if (!valid) return std::unexpected(wire_error(WireErrorKind::bad_name, "a file name is refused: " + valid.error()));
    WIRE_TRY(data, file.bytes("data"));
    files.push_back({std::move(*valid), std::move(data)});
  }
  (void)message;
  return files;
}

// The last belt: the checks above are meant to leave nothing that throws.
template <class Body>
auto guarded(Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (...) {
    return std::unexpected(wire_error(WireErrorKind::malformed, "the message could not be decoded"));
  }
}

}  // namespace vivarium::sessions::wire

// The OpenAPI 3.1 document of the HTTP API: docs/openapi.json, compiled into the binary
// so that `vivarium serve` stays one file. GET /openapi.json serves it.
#pragma once

#include <string_view>

namespace vivarium::server {

std::string_view openapi_document_text();

}  // namespace vivarium::server

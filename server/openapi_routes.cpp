// GET /openapi.json: the OpenAPI 3.1 document of this API (docs/openapi.json), open to
// every client like /health, so that tools can discover the API before they hold a key.
#include <nlohmann/json.hpp>

#include "server/http_body.h"
#include "server/openapi_document.h"
#include "server/routes.h"

namespace vivarium::server {

void install_openapi_routes(const RouteContext& context) {
  // The version is this binary's, whatever the file says; parsed once, at start-up.
  auto document = nlohmann::json::parse(openapi_document_text());
  document["info"]["version"] = VIVARIUM_VERSION;
  context.http.Get("/openapi.json", [text = document.dump(2)](const httplib::Request&, httplib::Response& response) {
    response.status = 200;
    response.set_content(text, "application/json");
  });
}

}  // namespace vivarium::server

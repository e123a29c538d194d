// Engine-internal access to the process-wide V8 platform.
#pragma once

namespace v8 {
class Platform;
}

namespace vivarium::engine::detail {
v8::Platform* platform();
}

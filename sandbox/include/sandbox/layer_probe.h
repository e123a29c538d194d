// Which layers of the wall this machine offers, found by confining a forked child for
// real (a kernel or container can refuse any of them) and reading its report. Used by
// `vivarium sandbox-check`, and by `serve` and `run --verbose` at start.
#pragma once

#include <expected>
#include <vector>

#include "sandbox/confine.h"

namespace vivarium::sandbox {

// `options.require_all` is ignored: the probe reports, the caller decides.
std::expected<std::vector<LayerStatus>, SandboxError> probe_layers(ConfineOptions options);

// "a, b (why)" for the missing layers, "" when none is.
std::string missing_layers(const std::vector<LayerStatus>& layers);

}  // namespace vivarium::sandbox

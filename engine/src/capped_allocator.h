// An ArrayBuffer allocator with a cap on the bytes held at once: ArrayBuffers live
// outside the JS heap, so without it Python could take all host memory through
// js.ArrayBuffer / js.Uint8Array.
#pragma once

#include <v8.h>

#include <memory>

namespace vivarium::engine::detail {
std::unique_ptr<v8::ArrayBuffer::Allocator> make_capped_allocator(std::size_t limit);
}

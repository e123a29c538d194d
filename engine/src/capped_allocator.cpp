// Compiled without RTTI, like libnode: subclassing a V8 class needs its typeinfo, which
// libnode does not export.
#include "src/capped_allocator.h"

#include <atomic>

namespace vivarium::engine::detail {
namespace {

class CappedAllocator final : public v8::ArrayBuffer::Allocator {
 public:
  explicit CappedAllocator(std::size_t limit)
      : inner_(v8::ArrayBuffer::Allocator::NewDefaultAllocator()), limit_(limit) {}
  void* Allocate(std::size_t length) override {
    return reserve(length) ? keep(inner_->Allocate(length), length) : nullptr;
  }
  void* AllocateUninitialized(std::size_t length) override {
    return reserve(length) ? keep(inner_->AllocateUninitialized(length), length) : nullptr;
  }
  void Free(void* data, std::size_t length) override {
    inner_->Free(data, length);
    used_ -= length;
  }

 private:
  bool reserve(std::size_t length) {
    std::size_t current = used_.load();
    do {
      if (length > limit_ || current > limit_ - length) return false;
    } while (!used_.compare_exchange_weak(current, current + length));
    return true;
  }
  void* keep(void* data, std::size_t length) {
    if (!data) used_ -= length;
    return data;
  }
  std::unique_ptr<v8::ArrayBuffer::Allocator> inner_;
  const std::size_t limit_;
  std::atomic<std::size_t> used_{0};
};

}  // namespace

std::unique_ptr<v8::ArrayBuffer::Allocator> make_capped_allocator(std::size_t limit) {
  return std::make_unique<CappedAllocator>(limit);
}

}  // namespace vivarium::engine::detail

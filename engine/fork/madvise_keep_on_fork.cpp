// V8 marks the memory it allocates MADV_DONTFORK, so a fork()ed child would have no V8
// heap and crash on its first V8 call. vivarium forks processes that hold a booted
// interpreter (the zygote model, docs/architecture.md), so the executable defines madvise itself:
// ELF symbol interposition makes libnode's calls land here, and MADV_DONTFORK is
// dropped while every other advice goes to the kernel unchanged.
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

extern "C" int madvise(void* address, size_t length, int advice) {
  if (advice == MADV_DONTFORK) return 0;
  return static_cast<int>(syscall(SYS_madvise, address, length, advice));
}

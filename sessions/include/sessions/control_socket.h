// The descriptor on which a spawned zygote (`vivarium __zygote`) finds its end of the
// control socket: the server dup2s its end there before exec, the zygote reads it there.
#pragma once

namespace vivarium::sessions {

// The first descriptor after stdin, stdout and stderr, which the zygote keeps as they are.
inline constexpr int kZygoteControlFd = 3;

}  // namespace vivarium::sessions

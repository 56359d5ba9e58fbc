// N-API binding of the io module: the pipe a decoder child (ffmpeg) writes
// its raw frames into. Node's own child pipes allocate a new 64 KiB buffer
// for every read (a 1080p NV12 frame is 3 MB: about 50 buffers per frame,
// hundreds of MB a second with a few streams, which keeps V8's collector
// busy); with this pipe the JS side reads straight into its pooled frame
// buffers (net.Socket's `onread`), and the larger kernel buffer lets one read
// take up to a megabyte. Synchronous on purpose: two system calls.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "livefr/common.h"

namespace livefr {
namespace {

// createPipe(capacity: integer bytes, 0 for the system's default) ->
// { read: fd, write: fd, capacity: bytes }. Both ends are close-on-exec: the
// child gets the write end only as the stdio descriptor it is given.
Napi::Value CreatePipe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1) ThrowType(env, "capacity", "an integer number of bytes");
  const int64_t requested = GetIntArg(env, info[0], "capacity", 0, 1 << 30);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    const int e = errno;
    throw MakeError(env, ErrorKind::kNative, "", std::string("Cannot create a pipe for the decoder: ") + std::strerror(e));
  }
  // A capacity above /proc/sys/fs/pipe-max-size is refused for unprivileged
  // processes: then the default stays (an optimisation, not a requirement).
  if (requested > 0) (void)fcntl(fds[0], F_SETPIPE_SZ, static_cast<int>(requested));
  const int capacity = fcntl(fds[0], F_GETPIPE_SZ);
  Napi::Object out = Napi::Object::New(env);
  out.Set("read", fds[0]);
  out.Set("write", fds[1]);
  out.Set("capacity", capacity > 0 ? capacity : 0);
  return out;
}

}  // namespace

void InitIo(Napi::Env env, Napi::Object exports) {
  exports.Set("ioCreatePipe", Napi::Function::New(env, CreatePipe, "ioCreatePipe"));
}

}  // namespace livefr

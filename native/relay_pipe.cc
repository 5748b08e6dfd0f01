// See relay_pipe.h.
#include "relay_pipe.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "errors.h"

namespace pk {
namespace {

const char* const kOp = "relay";
// More than the 64 KiB default means fewer wakeups per MB (1 MiB measured no
// better than 256 KiB); if the kernel refuses (pipe-max-size, per-user pipe
// limits) the default still works.
constexpr int kPipeBytes = 1 << 18;
constexpr unsigned kSpliceFlags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;

}  // namespace

void Direction::Open(int from, int to) {
  src = from;
  dst = to;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) ThrowErrno(kOp, "pipe2");
  pipe_read.reset(fds[0]);
  pipe_write.reset(fds[1]);
  int size = fcntl(pipe_write.get(), F_SETPIPE_SZ, kPipeBytes);
  if (size < 0) size = fcntl(pipe_write.get(), F_GETPIPE_SZ);
  capacity = size > 0 ? static_cast<size_t>(size) : 65536;
}

bool Direction::Pass() {
  if (done) return false;
  bool progress = false;
  bool read_blocked = false;
  want_read = want_write = false;
  if (!eof && buffered < capacity) {
    ssize_t n = splice(src, nullptr, pipe_write.get(), nullptr, capacity - buffered, kSpliceFlags);
    if (n > 0) {
      buffered += static_cast<size_t>(n);
      progress = true;
    } else if (n == 0) {
      eof = true;
      progress = true;
    } else if (errno == EAGAIN) {
      read_blocked = true;
    } else if (errno != EINTR) {
      throw SocketFailed{errno};
    }
  }
  if (buffered > 0) {
    ssize_t n = splice(pipe_read.get(), nullptr, dst, nullptr, buffered, kSpliceFlags);
    if (n > 0) {
      buffered -= static_cast<size_t>(n);
      delivered += static_cast<uint64_t>(n);
      progress = true;
    } else if (n < 0 && errno == EAGAIN) {
      want_write = true;
    } else if (n == 0 || errno != EINTR) {
      throw SocketFailed{n == 0 ? EPIPE : errno};
    }
  }
  if (eof && buffered == 0) {
    // Half-close: the peer of dst reads EOF, and may still answer.
    if (shutdown(dst, SHUT_WR) != 0 && errno != ENOTCONN) throw SocketFailed{errno};
    done = true;
    return true;
  }
  // With data waiting for dst, wait for dst alone: an EAGAIN on the read may
  // only mean the pipe is full, and polling a readable src would spin.
  want_read = read_blocked && !want_write;
  return progress;
}

}  // namespace pk

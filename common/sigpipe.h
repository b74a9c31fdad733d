#ifndef REGISTRY_COMMON_SIGPIPE_H_
#define REGISTRY_COMMON_SIGPIPE_H_

#include <pthread.h>
#include <signal.h>

#include <ctime>

namespace registry {

// Holds SIGPIPE back in the calling thread for the life of this object. OpenSSL writes to a
// socket with write(2), which raises SIGPIPE when the peer has already closed the connection (a
// server that refused a client certificate, or a listener that takes connections but does no
// TLS), and SIGPIPE's default action ends the process before it can say why. A SIGPIPE raised
// meanwhile is taken off the queue before the mask is restored, unless one was already pending
// before: the rest of the program keeps its own handling (registry-cli keeps the default, so a
// closed stdout still ends `registry-cli audit list --all | head`).
//
// Used by the TLS probes of registry-cli (client/tls_probe.cc) and registryd
// (server/listener_probe.cc).
class SigpipeHeld {
 public:
  SigpipeHeld() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigpending(&pending_before_);
    pthread_sigmask(SIG_BLOCK, &pipe_, &before_);
  }
  ~SigpipeHeld() {
    if (!sigismember(&pending_before_, SIGPIPE)) {
      const timespec now{0, 0};
      while (sigtimedwait(&pipe_, nullptr, &now) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &before_, nullptr);
  }
  SigpipeHeld(const SigpipeHeld&) = delete;
  SigpipeHeld& operator=(const SigpipeHeld&) = delete;

 private:
  sigset_t pipe_;
  sigset_t before_;
  sigset_t pending_before_;
};

}  // namespace registry

#endif  // REGISTRY_COMMON_SIGPIPE_H_

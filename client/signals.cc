#include "client/signals.h"

namespace registry::client {

bool InstallIfDefault(int sig, void (*handler)(int), int flags, struct sigaction* previous) {
  struct sigaction current {};
  if (sigaction(sig, nullptr, &current) != 0 || current.sa_handler != SIG_DFL) return false;
  struct sigaction mine {};
  mine.sa_handler = handler;
  sigemptyset(&mine.sa_mask);
  mine.sa_flags = flags;
  return sigaction(sig, &mine, previous) == 0;
}

}  // namespace registry::client

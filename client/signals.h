// Signal handlers the CLI installs for a while (record import's interrupt guard, the clean-up of
// temporary files) take a signal only where nobody else has: a program that runs the CLI as a
// library, or a shell that ignores a signal, keeps its own handling.
//
//   struct sigaction previous;
//   if (InstallIfDefault(SIGINT, &OnInterrupt, SA_RESETHAND, &previous)) { ...; Restore(...) }
#ifndef REGISTRY_CLIENT_SIGNALS_H_
#define REGISTRY_CLIENT_SIGNALS_H_

#include <signal.h>

namespace registry::client {

// Installs `handler` for `sig`, with `flags` (sa_flags) and an empty mask, when the signal's
// disposition is still the default. Returns whether it did; `previous`, when not null, then
// holds the disposition it replaced, for sigaction(sig, previous, nullptr) to put back.
bool InstallIfDefault(int sig, void (*handler)(int), int flags, struct sigaction* previous);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_SIGNALS_H_

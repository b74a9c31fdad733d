// Whether registryd's gRPC listener still takes connections.
//
// gRPC 1.51 stops accepting for good after accept() fails with "too many open files" (a flood of
// connections that used up the process's files): the listening socket stays open, new
// connections wait in its backlog unanswered, and the process goes on running, so the service
// manager never restarts it. registryd probes its own listener (main.cc): a connection that
// gRPC takes up gets a ServerHello to its ClientHello within a moment; one it never takes up
// gets nothing.
//
//   if (!ListenerAnswers("127.0.0.1", port, absl::Seconds(10))) { ... }
#ifndef REGISTRY_SERVER_LISTENER_PROBE_H_
#define REGISTRY_SERVER_LISTENER_PROBE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace registry::server {

// What a probe of the listener found.
enum class ListenerProbe {
  // A ServerHello came back: gRPC takes connections and does TLS.
  kServerHello,
  // Nothing came back in time (or no connection could be made): gRPC takes no connection.
  kNoConnection,
  // The connection was taken and closed, or answered with an alert, without a ServerHello: gRPC
  // accepts, but its TLS handshake fails (a server certificate or key replaced by a damaged or
  // mismatched one, which gRPC's file watcher takes up while registryd runs).
  kNoHandshake,
};

// Connects to host:port (an address, or a name: any of its addresses), sends a TLS ClientHello
// and waits up to `wait` for the server's first bytes, then drops the handshake (which gRPC does
// not log). kNoConnection also when the name does not resolve. SIGPIPE is held back in the
// calling thread while the probe writes: a listener that closes the connection first must not
// end the process.
ListenerProbe ProbeListener(const std::string& host, int port, absl::Duration wait);

// ProbeListener(...) == ListenerProbe::kServerHello.
bool ListenerAnswers(const std::string& host, int port, absl::Duration wait);

// The address to probe a listener bound to `listen_host` at: the loopback address of its family
// for a wildcard ("0.0.0.0", "::", "[::]", ""), the host itself (without brackets) otherwise.
std::string ProbeHostFor(absl::string_view listen_host);

}  // namespace registry::server

#endif  // REGISTRY_SERVER_LISTENER_PROBE_H_

// Whether registryd can listen where its config says, asked before anything is opened.
//
// gRPC's server builder and cpp-httplib only say that a port could not be bound, and gRPC's own
// log line, which names the reason, is withheld (server/grpc_core_log.h: it may hold caller
// text). A socket of our own, bound and closed at once, names the reason: the port in use, an
// address that is not this machine's, a host that does not resolve. Start-up asks before it
// opens or creates the data folder, so a mistyped address creates nothing.
//
//   RETURN_IF_ERROR(CheckCanListen("listen_address", config.listen_address()));
#ifndef REGISTRY_SERVER_LISTEN_CHECK_H_
#define REGISTRY_SERVER_LISTEN_CHECK_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace registry::server {

// OK when a TCP socket can be bound to `address` ("host:port", "[v6]:port"; port 0 is any free
// port); otherwise "<field>: cannot listen on <address>: <reason>", saying what to do:
// Unavailable for a port in use (it may be free at the next start), FailedPrecondition for an
// address that is not this machine's or a host that does not resolve (the config's to mend:
// registryd exits 2, as for any config error), InvalidArgument when `address` is not host:port.
absl::Status CheckCanListen(absl::string_view field, absl::string_view address);

}  // namespace registry::server

#endif  // REGISTRY_SERVER_LISTEN_CHECK_H_

// gRPC's own log (its core library's gpr_log lines) in registryd's log: one JSON line each
// (common/json_log.h), with the severity and the place in gRPC's source, never the message. The
// core writes text a caller sent into some of its messages (an HTTP/2 header it could not parse,
// before any certificate is checked), so the text is withheld, and at most kGrpcCoreLinesPerMinute
// lines a minute are written; the lines held back are counted in the next one written.
//
//   registry::server::RouteGrpcCoreLog();  // first thing in main, before any gRPC object
#ifndef REGISTRY_SERVER_GRPC_CORE_LOG_H_
#define REGISTRY_SERVER_GRPC_CORE_LOG_H_

#include <cstdint>

namespace registry::server {

inline constexpr int64_t kGrpcCoreLinesPerMinute = 20;

// Installs the route for the whole process (gpr_set_log_function).
void RouteGrpcCoreLog();

}  // namespace registry::server

#endif  // REGISTRY_SERVER_GRPC_CORE_LOG_H_

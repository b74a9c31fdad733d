// Whether a call's deadline has passed.
//
// grpc::ServerContextBase::deadline() converts gRPC's deadline to a std::chrono::system_clock
// time point, whose 64-bit nanoseconds end in 2262: a valid grpc-timeout further ahead (up to
// 99999999 hours; a Go client's largest duration sends 2562047H) wraps round to a time in the
// past, and the call would be refused as if its deadline had passed. gRPC's own time
// (raw_deadline, seconds and nanoseconds, with an infinite future) has no such end.
#ifndef REGISTRY_SERVER_CALL_DEADLINE_H_
#define REGISTRY_SERVER_CALL_DEADLINE_H_

#include <grpc/support/time.h>
#include <grpcpp/server_context.h>

namespace registry::server {

inline bool DeadlinePassed(const grpc::ServerContextBase& ctx) {
  const gpr_timespec deadline = ctx.raw_deadline();
  return gpr_time_cmp(deadline, gpr_now(deadline.clock_type)) <= 0;
}

}  // namespace registry::server

#endif  // REGISTRY_SERVER_CALL_DEADLINE_H_

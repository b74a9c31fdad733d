// The audit log of a TestServer as tests read it: its size and the stored event at an index,
// straight from storage (not through the AuditService), so that a test sees exactly what was
// written.
//
//   const uint64_t before = testing::AuditLogSize(*server);
//   ... a call ...
//   EXPECT_EQ(testing::StoredEvent(*server, before).action(), "...");
#ifndef REGISTRY_TESTS_TESTING_AUDIT_EVENTS_H_
#define REGISTRY_TESTS_TESTING_AUDIT_EVENTS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "registry/v1/audit.pb.h"
#include "server/registry_server.h"
#include "storage/audit_log.h"
#include "tests/testing/test_server.h"

namespace registry::testing {

// The number of events in the log.
inline uint64_t AuditLogSize(TestServer& server) {
  return server.server()->audit_log()->CurrentHead().size;
}

// The event stored at `index`; a read or parse failure fails the test (and gives an empty event).
inline registry::v1::AuditEvent StoredEvent(TestServer& server, uint64_t index) {
  registry::v1::AuditEvent event;
  absl::StatusOr<std::string> bytes = server.server()->audit_log()->ReadEvent(index);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  if (bytes.ok()) {
    EXPECT_TRUE(event.ParseFromString(*bytes));
  }
  return event;
}

// The last event stored.
inline registry::v1::AuditEvent LastStoredEvent(TestServer& server) {
  return StoredEvent(server, AuditLogSize(server) - 1);
}

// The events stored by `actor` (e.g. "system:index-seal"), in the order written.
inline std::vector<registry::v1::AuditEvent> StoredEventsOf(TestServer& server,
                                                            const std::string& actor) {
  std::vector<registry::v1::AuditEvent> events;
  const uint64_t size = AuditLogSize(server);
  for (uint64_t i = 0; i < size; ++i) {
    registry::v1::AuditEvent event = StoredEvent(server, i);
    if (event.actor() == actor) events.push_back(std::move(event));
  }
  return events;
}

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_AUDIT_EVENTS_H_

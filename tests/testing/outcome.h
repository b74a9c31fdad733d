// Audit outcomes by name: an event's outcome is the numeric status code of its call, and tests
// compare its name ("PERMISSION_DENIED"), so that a failure reads as the code it is.
//
//   EXPECT_EQ(testing::OutcomeName(event), "PERMISSION_DENIED");
#ifndef REGISTRY_TESTS_TESTING_OUTCOME_H_
#define REGISTRY_TESTS_TESTING_OUTCOME_H_

#include <string>

#include "absl/status/status.h"
#include "registry/v1/audit.pb.h"

namespace registry::testing {

inline std::string OutcomeName(const registry::v1::AuditEvent& event) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(event.outcome()));
}

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_OUTCOME_H_

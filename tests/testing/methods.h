// The full gRPC method names that the audit log records as an event's action, for the methods
// whose audit events several tests check (a test that calls such a method by name calls it by
// the same constant). They are written out here rather than derived from the server's method
// table because they are what the tests assert: a server that recorded another name must fail.
//
//   EXPECT_EQ(event.action(), testing::kVettingCheckMethod);
#ifndef REGISTRY_TESTS_TESTING_METHODS_H_
#define REGISTRY_TESTS_TESTING_METHODS_H_

namespace registry::testing {

inline constexpr char kCreateRecordMethod[] = "/registry.v1.RecordService/CreateRecord";
inline constexpr char kGetRecordMethod[] = "/registry.v1.RecordService/GetRecord";
inline constexpr char kExpungeRecordMethod[] = "/registry.v1.RecordService/ExpungeRecord";
inline constexpr char kRotateKeysMethod[] = "/registry.v1.AdminService/RotateKeys";
inline constexpr char kVettingCheckMethod[] = "/registry.v1.VettingService/VettingCheck";
inline constexpr char kStreamAuditEventsMethod[] = "/registry.v1.AuditService/StreamAuditEvents";
inline constexpr char kExportAuditEventsMethod[] = "/registry.v1.AuditService/ExportAuditEvents";

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_METHODS_H_

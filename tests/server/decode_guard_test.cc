// The parts of server/decode_guard.h that need no server: naming the field protobuf could not
// decode. The guard itself, on the wire, is WireInputTest (tests/reliability/bad_input_test.cc).
#include "server/decode_guard.h"

#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "registry/v1/records.pb.h"
#include "registry/v1/vetting.pb.h"

namespace registry::server {
namespace {

namespace v1 = registry::v1;

// A CreateRecordRequest whose person's surname is the bytes "K\xFF", which are no UTF-8.
std::string RecordWithBadSurname() {
  v1::CreateRecordRequest req;
  req.mutable_person()->set_surname("Kx");
  std::string bytes = req.SerializeAsString();
  bytes[bytes.size() - 1] = '\xFF';
  return bytes;
}

TEST(FieldPathTest, NamesANestedFieldByItsPathFromTheRequest) {
  EXPECT_EQ(FieldPath(v1::CreateRecordRequest::descriptor(), "registry.v1.Person.surname"),
            "person.surname");
  EXPECT_EQ(FieldPath(v1::VettingCheckRequest::descriptor(),
                      "registry.v1.VettingCheckRequest.surname"),
            "surname");
}

TEST(FieldPathTest, AFieldTheRequestDoesNotHoldHasNoPath) {
  EXPECT_EQ(FieldPath(v1::VettingCheckRequest::descriptor(), "registry.v1.Person.surname"), "");
  EXPECT_EQ(FieldPath(v1::CreateRecordRequest::descriptor(), ""), "");
  EXPECT_EQ(FieldPath(nullptr, "registry.v1.Person.surname"), "");
}

TEST(ProtobufLogHandlerTest, KeepsTheFieldProtobufReportsOnThisThreadOnce) {
  InstallProtobufLogHandler();
  TakeUndecodableField();
  v1::CreateRecordRequest parsed;
  ASSERT_FALSE(parsed.ParseFromString(RecordWithBadSurname()));
  EXPECT_EQ(TakeUndecodableField(), "registry.v1.Person.surname");
  EXPECT_EQ(TakeUndecodableField(), "") << "taken once";
}

TEST(ProtobufLogHandlerTest, AnotherThreadsReportIsNotThisThreads) {
  InstallProtobufLogHandler();
  TakeUndecodableField();
  std::string seen_there;
  std::thread other([&] {
    v1::CreateRecordRequest parsed;
    EXPECT_FALSE(parsed.ParseFromString(RecordWithBadSurname()));
    seen_there = TakeUndecodableField();
  });
  other.join();
  EXPECT_EQ(seen_there, "registry.v1.Person.surname");
  EXPECT_EQ(TakeUndecodableField(), "");
}

TEST(ProtobufLogHandlerTest, BytesThatAreNoProtobufLeaveNoField) {
  InstallProtobufLogHandler();
  TakeUndecodableField();
  v1::CreateRecordRequest parsed;
  ASSERT_FALSE(parsed.ParseFromString(std::string("\x0f\x01\x02", 3)));
  EXPECT_EQ(TakeUndecodableField(), "");
}

}  // namespace
}  // namespace registry::server

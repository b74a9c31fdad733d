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

// `request` as bytes, with the "ë" (C3 AB) that follows the first "Zz" made C3 FF: no UTF-8.
std::string WithMarkedStringNotUtf8(const google::protobuf::Message& request) {
  std::string bytes = request.SerializeAsString();
  const size_t at = bytes.find("Zz\xC3\xAB");
  EXPECT_NE(at, std::string::npos);
  if (at != std::string::npos) bytes[at + 3] = '\xFF';
  return bytes;
}

// Five import rows, each with a surname and two aliases that are UTF-8 (one not ASCII), so that
// the values before the bad one are read and passed over.
v1::ImportRecordsRequest FiveRows() {
  v1::ImportRecordsRequest req;
  for (int i = 0; i < 5; ++i) {
    v1::ImportRow* row = req.add_rows();
    row->set_line(static_cast<uint64_t>(i + 2));
    v1::Person* person = row->mutable_record()->mutable_person();
    person->set_surname("Berisha");
    person->add_aliases("Krasniqi");
    person->add_aliases("Gashë");
    row->mutable_record()->mutable_conviction()->add_offences()->set_law("06/L-074");
  }
  return req;
}

TEST(FieldPathTest, WithTheBytesNamesTheElementOfEachRepeatedField) {
  v1::ImportRecordsRequest surname = FiveRows();
  surname.mutable_rows(3)->mutable_record()->mutable_person()->set_surname("Zzë");
  std::string bytes = WithMarkedStringNotUtf8(surname);
  v1::ImportRecordsRequest parsed;
  ASSERT_FALSE(parsed.ParseFromString(bytes));
  EXPECT_EQ(FieldPath(v1::ImportRecordsRequest::descriptor(), "registry.v1.Person.surname", bytes),
            "rows[3].record.person.surname");
  EXPECT_EQ(UndecodableRequestError(v1::ImportRecordsRequest::descriptor(),
                                    "registry.v1.Person.surname", bytes)
                .message(),
            "rows[3].record.person.surname: not valid UTF-8");

  // A repeated string, and a repeated message inside a repeated message.
  v1::ImportRecordsRequest alias = FiveRows();
  alias.mutable_rows(1)->mutable_record()->mutable_person()->set_aliases(1, "Zzë");
  bytes = WithMarkedStringNotUtf8(alias);
  EXPECT_EQ(FieldPath(v1::ImportRecordsRequest::descriptor(), "registry.v1.Person.aliases", bytes),
            "rows[1].record.person.aliases[1]");
  v1::ImportRecordsRequest law = FiveRows();
  law.mutable_rows(4)->mutable_record()->mutable_conviction()->add_offences()->set_law("Zzë");
  bytes = WithMarkedStringNotUtf8(law);
  EXPECT_EQ(FieldPath(v1::ImportRecordsRequest::descriptor(), "registry.v1.Offence.law", bytes),
            "rows[4].record.conviction.offences[1].law");

  // A request that is not a repeated field's element is named as before.
  v1::CreateRecordRequest create;
  create.mutable_person()->set_surname("Zzë");
  EXPECT_EQ(FieldPath(v1::CreateRecordRequest::descriptor(), "registry.v1.Person.surname",
                      WithMarkedStringNotUtf8(create)),
            "person.surname");
}

TEST(FieldPathTest, BytesWithoutTheBadValueGiveThePathWithoutIndices) {
  const std::string good = FiveRows().SerializeAsString();
  EXPECT_EQ(FieldPath(v1::ImportRecordsRequest::descriptor(), "registry.v1.Person.surname", good),
            "rows.record.person.surname");
  EXPECT_EQ(FieldPath(v1::ImportRecordsRequest::descriptor(), "registry.v1.Person.surname",
                      std::string("\x0f\x01\x02", 3)),
            "rows.record.person.surname");
}

// The personal number of a vetting request that does not decode still reaches the person's
// history: also when the bytes are cut short after it, or hold a bad string elsewhere.
TEST(FieldOfUndecodableTest, TheSubjectIsReadUpToTheFirstFieldThatDoesNotRead) {
  const google::protobuf::FieldDescriptor* subject =
      v1::VettingCheckRequest::descriptor()->FindFieldByName("personal_number");
  ASSERT_NE(subject, nullptr);
  v1::VettingCheckRequest request;
  request.set_personal_number("2000000078");
  request.set_position_category("teacher");
  const std::string whole = request.SerializeAsString();
  EXPECT_EQ(FieldOfUndecodable(whole, subject), "2000000078");
  // Cut short inside a later field: a length of 16 with 3 bytes after it.
  EXPECT_EQ(FieldOfUndecodable(whole + std::string("\x32\x10" "abc", 5), subject), "2000000078");
  // Cut short inside the subject itself: nothing complete to name.
  EXPECT_EQ(FieldOfUndecodable(whole.substr(0, 6), subject), "");
  // The last complete occurrence wins, as in a parse.
  v1::VettingCheckRequest later;
  later.set_personal_number("2000000079");
  EXPECT_EQ(FieldOfUndecodable(whole + later.SerializeAsString(), subject), "2000000079");
  EXPECT_EQ(FieldOfUndecodable("\xff\xff\xff", subject), "");
  EXPECT_EQ(FieldOfUndecodable(whole, nullptr), "");
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

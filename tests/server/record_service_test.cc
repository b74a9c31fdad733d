// RecordService through a real registryd (mTLS, RocksDB in a temporary directory), and the
// properties of the encrypted record store as seen from outside:
//  - records round-trip, are searchable by personal number and by name variants, and keep their
//    history when amended;
//  - no personal value (of a record, an amendment, a search or a vetting check) reaches any file
//    of the data or backup directory in plaintext;
//  - a changed, moved or replayed ciphertext or wrapped data key gives DATA_LOSS, never data;
//  - a wrong, exposed or malformed key file is refused or yields DATA_LOSS;
//  - key rotation re-wraps every data key (also after a crash mid-way) so that the old KEK can
//    be removed, and `registryd --retire_kek` refuses while a data key still needs it.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/time_format.h"
#include "crypto/keyring.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "server/key_file.h"
#include "storage/database.h"
#include "storage/keyring_holder.h"
#include "storage/name_normalizer.h"
#include "storage/record_store.h"
#include "storage/stored.pb.h"
#include "tests/testing/data_files.h"
#include "tests/testing/outcome.h"
#include "tests/testing/principals.h"
#include "tests/testing/stored_data.h"
#include "tests/testing/test_server.h"
#include "unicode/locid.h"
#include "unicode/unistr.h"

namespace registry {
namespace {

namespace v1 = registry::v1;
using google::protobuf::util::MessageDifferencer;
using testing::FictionalRecord;
using testing::FilesContaining;
using testing::kClerkId;
using testing::TestServer;

constexpr char kCaseReference[] = "PKR 1/2026";
constexpr char kPurposeCode[] = "criminal_proceedings";

void SetDeadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
}

void SetPurpose(v1::Purpose* purpose) {
  purpose->set_case_reference(kCaseReference);
  purpose->set_purpose_code(kPurposeCode);
}

std::string VersionKey(absl::string_view record_id, uint32_t version) {
  return absl::StrCat(record_id, storage::EncodeU32(version));
}

// Unicode case mappings (ICU), so that "Kërqeli" also gives "KËRQELI".
std::string Lower(absl::string_view utf8) {
  std::string out;
  icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())))
      .toLower(icu::Locale::getRoot())
      .toUTF8String(out);
  return out;
}
std::string Upper(absl::string_view utf8) {
  std::string out;
  icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())))
      .toUpper(icu::Locale::getRoot())
      .toUTF8String(out);
  return out;
}

bool AnyEndsWith(const std::vector<std::string>& paths, absl::string_view suffix) {
  for (const auto& p : paths) {
    if (absl::EndsWith(p, suffix)) return true;
  }
  return false;
}

void WriteFileWithMode(const std::string& path, const std::string& content, mode_t mode) {
  std::filesystem::remove(path);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  ASSERT_EQ(::fchmod(fd, mode), 0);
  ::close(fd);
}

// Runs the registryd binary; returns its exit code and puts stdout+stderr in *output.
int RunRegistryd(const std::string& args, std::string* output) {
  const std::string command = absl::StrCat(REGISTRY_BINARY_DIR, "/registryd ", args, " 2>&1");
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  output->clear();
  char buffer[512];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) output->append(buffer, n);
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class RecordServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = TestServer::Start();
    Connect();
  }

  void Connect() {
    clerk_ = v1::RecordService::NewStub(server_->Channel("clerk"));
    court_ = v1::RecordService::NewStub(server_->Channel("court"));
    admin_ = v1::AdminService::NewStub(server_->Channel("admin"));
  }

  // Restarts on the same files and reconnects (the port changes).
  void RestartOrFail() {
    absl::Status s = server_->Restart();
    ASSERT_TRUE(s.ok()) << s;
    Connect();
  }

  grpc::Status Create(const v1::CreateRecordRequest& req, std::string* id) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::CreateRecordResponse resp;
    grpc::Status s = clerk_->CreateRecord(&ctx, req, &resp);
    if (s.ok() && id != nullptr) *id = resp.record_id();
    return s;
  }

  std::string CreateOrFail(const v1::CreateRecordRequest& req) {
    std::string id;
    grpc::Status s = Create(req, &id);
    EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    return id;
  }

  // Creates FictionalRecord(0) .. FictionalRecord(count - 1): their ids in order into *ids, and
  // each one's surname into *surnames.
  void CreateFictional(int count, std::vector<std::string>* ids,
                       std::map<std::string, std::string>* surnames) {
    for (int i = 0; i < count; ++i) {
      const v1::CreateRecordRequest r = FictionalRecord(i);
      ids->push_back(CreateOrFail(r));
      (*surnames)[ids->back()] = r.person().surname();
    }
  }

  // GetRecord as the court, stating a purpose.
  grpc::Status Get(const std::string& id, v1::Record* record) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::GetRecordRequest req;
    req.set_record_id(id);
    SetPurpose(req.mutable_purpose());
    v1::GetRecordResponse resp;
    grpc::Status s = court_->GetRecord(&ctx, req, &resp);
    if (record != nullptr) *record = resp.record();
    return s;
  }

  grpc::Status History(const std::string& id, v1::GetRecordHistoryResponse* resp) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::GetRecordHistoryRequest req;
    req.set_record_id(id);
    SetPurpose(req.mutable_purpose());
    return court_->GetRecordHistory(&ctx, req, resp);
  }

  grpc::Status Search(const v1::SearchRecordsRequest& query, std::vector<std::string>* ids) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::SearchRecordsRequest req = query;
    SetPurpose(req.mutable_purpose());
    v1::SearchRecordsResponse resp;
    grpc::Status s = court_->SearchRecords(&ctx, req, &resp);
    ids->clear();
    for (const auto& r : resp.records()) ids->push_back(r.metadata().record_id());
    return s;
  }

  std::vector<std::string> ByPersonalNumber(const std::string& pn) {
    v1::SearchRecordsRequest req;
    req.set_personal_number(pn);
    std::vector<std::string> ids;
    grpc::Status s = Search(req, &ids);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return ids;
  }

  std::vector<std::string> ByName(const std::string& surname, const std::string& given,
                                  const std::string& birth_date) {
    v1::SearchRecordsRequest req;
    req.mutable_name()->set_surname(surname);
    req.mutable_name()->set_given_name(given);
    req.mutable_name()->set_birth_date(birth_date);
    std::vector<std::string> ids;
    grpc::Status s = Search(req, &ids);
    EXPECT_TRUE(s.ok()) << surname << ": " << s.error_message();
    return ids;
  }

  grpc::Status Amend(const v1::AmendRecordRequest& req, v1::AmendRecordResponse* resp) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    return clerk_->AmendRecord(&ctx, req, resp);
  }

  grpc::Status RotateKeys(v1::RotateKeysResponse* resp) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    return admin_->RotateKeys(&ctx, v1::RotateKeysRequest(), resp);
  }

  // Expects every record in `ids` to read back with the surname it was created with.
  void ExpectAllReadable(const std::vector<std::string>& ids,
                         const std::map<std::string, std::string>& surnames) {
    for (const std::string& id : ids) {
      v1::Record record;
      grpc::Status s = Get(id, &record);
      ASSERT_TRUE(s.ok()) << id << ": " << s.error_code() << " " << s.error_message();
      EXPECT_EQ(record.metadata().record_id(), id);
      EXPECT_EQ(record.person().surname(), surnames.at(id));
    }
  }

  // How many data keys each KEK version wraps, read from the running server's database.
  std::map<uint32_t, int> KekUsage() {
    std::map<uint32_t, int> usage;
    auto it = server_->server()->database()->NewIterator(storage::Cf::kRecords);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      storage::StoredHead head;
      EXPECT_TRUE(head.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())));
      auto version = crypto::Keyring::WrappedVersion(head.wrapped_dek());
      EXPECT_TRUE(version.ok()) << version.status();
      if (version.ok()) ++usage[*version];
    }
    EXPECT_TRUE(it->status().ok());
    return usage;
  }

  std::set<uint32_t> KekVersionsInFile() {
    auto file = server::ReadKeyFile(server_->config().key_file());
    EXPECT_TRUE(file.ok()) << file.status();
    std::set<uint32_t> versions;
    if (file.ok()) {
      for (const auto& k : file->keks()) versions.insert(k.version());
    }
    return versions;
  }

  void RemoveKekFromFile(uint32_t version) {
    auto file = server::ReadKeyFile(server_->config().key_file());
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE(server::RemoveKek(&*file, version).ok());
    ASSERT_TRUE(server::WriteKeyFile(server_->config().key_file(), *file, true).ok());
  }

  // The stopped server's database, opened directly.
  std::unique_ptr<storage::Database> OpenStoppedDatabase() {
    return testing::OpenStoppedDatabase(*server_);
  }

  static std::string ReadRaw(storage::Database* db, storage::Cf cf, const std::string& key) {
    auto value = db->Get(cf, key);
    EXPECT_TRUE(value.ok() && value->has_value()) << storage::CfName(cf);
    return value.ok() ? value->value_or("") : "";
  }

  static void WriteRaw(storage::Database* db, storage::Cf cf, const std::string& key,
                       const std::string& value) {
    storage::Batch batch;
    batch.Put(cf, key, value);
    ASSERT_TRUE(db->Write(batch).ok());
  }

  // Stops the server and reads one value of its database into *value; the server stays stopped.
  void StopAndReadRaw(storage::Cf cf, const std::string& key, std::string* value) {
    server_->Stop();
    std::unique_ptr<storage::Database> db = OpenStoppedDatabase();
    ASSERT_NE(db, nullptr);
    *value = ReadRaw(db.get(), cf, key);
  }

  // Stops the server, applies `edit` to its database, restarts.
  template <typename Edit>
  void EditStoredData(Edit edit) {
    ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, edit));
    RestartOrFail();
  }

  // Writes a config file for the registryd binary describing the test server's files.
  std::string WriteConfigFile() {
    std::string json;
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    EXPECT_TRUE(
        google::protobuf::util::MessageToJsonString(server_->config(), &json, options).ok());
    const std::string path = server_->dir() + "/registryd-test-config.json";
    std::ofstream(path) << json;
    return path;
  }

  std::unique_ptr<TestServer> server_;
  std::unique_ptr<v1::RecordService::Stub> clerk_;
  std::unique_ptr<v1::RecordService::Stub> court_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
};

// ---------------------------------------------------------------------------------------------
// Functional behaviour.

TEST_F(RecordServiceTest, CreateThenGetReturnsTheSameRecordAndMetadata) {
  const v1::CreateRecordRequest example = testing::ExampleRecord();
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::CreateRecordResponse created;
  grpc::Status s = clerk_->CreateRecord(&ctx, example, &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(created.record_id().size(), 32u);
  EXPECT_EQ(created.version(), 1u);

  v1::Record record;
  s = Get(created.record_id(), &record);
  ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  EXPECT_TRUE(MessageDifferencer::Equals(record.person(), example.person()))
      << record.person().DebugString();
  EXPECT_TRUE(testing::SameConviction(record.conviction(), example.conviction()))
      << record.conviction().DebugString();
  const v1::RecordMetadata& m = record.metadata();
  EXPECT_EQ(m.record_id(), created.record_id());
  EXPECT_EQ(m.version(), 1u);
  EXPECT_EQ(m.status(), v1::RECORD_STATUS_ACTIVE);
  EXPECT_EQ(m.created_by(), kClerkId);
  EXPECT_FALSE(m.created_at().empty());
  // Both dates are set, as YYYY-MM-DD; the ban runs to 2034-05-15, so the record counts for
  // vetting at least that long, and is deleted no earlier.
  ASSERT_EQ(m.employer_visible_until().size(), 10u);
  ASSERT_EQ(m.delete_after().size(), 10u);
  EXPECT_GE(m.employer_visible_until(), "2034-05-15");
  EXPECT_GE(m.delete_after(), m.employer_visible_until());

  // The clerk reads it too, without a purpose.
  grpc::ClientContext clerk_ctx;
  SetDeadline(&clerk_ctx);
  v1::GetRecordRequest req;
  req.set_record_id(created.record_id());
  v1::GetRecordResponse clerk_view;
  s = clerk_->GetRecord(&clerk_ctx, req, &clerk_view);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(MessageDifferencer::Equals(clerk_view.record(), record));

  // Unknown ids are NOT_FOUND.
  EXPECT_EQ(Get(std::string(32, 'a'), nullptr).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RecordServiceTest, SearchFindsByPersonalNumberAndNameVariants) {
  v1::CreateRecordRequest albanian = testing::ExampleRecord();  // Kërqeli Arben 1980-04-12
  const std::string a = CreateOrFail(albanian);
  v1::CreateRecordRequest serbian = testing::ExampleRecord();
  serbian.mutable_person()->set_surname("Petrović");
  serbian.mutable_person()->set_given_name("Dragan");
  serbian.mutable_person()->set_birth_date("1970-10-30");
  serbian.mutable_person()->set_personal_number("2222222222");
  const std::string s = CreateOrFail(serbian);
  // A second conviction of the same Kërqeli.
  v1::CreateRecordRequest second = albanian;
  second.mutable_conviction()->set_case_number("P 999/2024");
  const std::string a2 = CreateOrFail(second);

  const std::vector<std::string> by_pn = ByPersonalNumber("1234567890");
  EXPECT_EQ(std::set<std::string>(by_pn.begin(), by_pn.end()), (std::set<std::string>{a, a2}));
  EXPECT_EQ(ByPersonalNumber("2222222222"), std::vector<std::string>{s});
  EXPECT_TRUE(ByPersonalNumber("1234567899").empty());

  for (const char* surname : {"Kërqeli", "Kerqeli", "KËRQELI"}) {
    const std::vector<std::string> ids = ByName(surname, "Arben", "1980-04-12");
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), (std::set<std::string>{a, a2}))
        << surname;
  }
  EXPECT_EQ(ByName("Petrović", "Dragan", "1970-10-30"), std::vector<std::string>{s});
  EXPECT_EQ(ByName("Петровић", "Драган", "1970-10-30"), std::vector<std::string>{s});
  EXPECT_EQ(ByName("Petrovic", "DRAGAN", "1970-10-30"), std::vector<std::string>{s});

  // Near misses find nothing.
  EXPECT_TRUE(ByName("Kerqeli", "Arben", "1980-04-13").empty());
  EXPECT_TRUE(ByName("Kerqel", "Arben", "1980-04-12").empty());
  EXPECT_TRUE(ByName("Petrović", "Dragan", "1970-10-31").empty());
}

TEST_F(RecordServiceTest, AmendChangesMaskedFieldAndHistoryKeepsOldValues) {
  const v1::CreateRecordRequest example = testing::ExampleRecord();
  const std::string id = CreateOrFail(example);

  v1::AmendRecordRequest amend;
  amend.set_record_id(id);
  amend.set_expected_version(1);
  amend.mutable_person()->set_last_known_address("Rr. Nëna Terezë 3, Prizren");
  amend.mutable_person()->set_surname("Ignored");  // not in the mask
  amend.mutable_update_mask()->add_paths("person.last_known_address");
  amend.set_reason("address confirmed by the police");
  v1::AmendRecordResponse amended;
  grpc::Status s = Amend(amend, &amended);
  ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  EXPECT_EQ(amended.record_id(), id);
  EXPECT_EQ(amended.version(), 2u);

  v1::Record current;
  ASSERT_TRUE(Get(id, &current).ok());
  EXPECT_EQ(current.metadata().version(), 2u);
  EXPECT_EQ(current.person().last_known_address(), "Rr. Nëna Terezë 3, Prizren");
  EXPECT_EQ(current.person().surname(), example.person().surname());
  EXPECT_EQ(current.metadata().updated_by(), kClerkId);

  v1::GetRecordHistoryResponse history;
  s = History(id, &history);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(history.versions_size(), 2);
  EXPECT_EQ(history.versions(0).record().metadata().version(), 1u);
  EXPECT_EQ(history.versions(0).reason(), "created");
  EXPECT_TRUE(MessageDifferencer::Equals(history.versions(0).record().person(), example.person()));
  EXPECT_EQ(history.versions(1).record().metadata().version(), 2u);
  EXPECT_EQ(history.versions(1).reason(), "address confirmed by the police");
  EXPECT_EQ(history.versions(1).record().person().last_known_address(),
            "Rr. Nëna Terezë 3, Prizren");

  // A second amendment based on the stale version 1 is ABORTED.
  amend.set_reason("again");
  EXPECT_EQ(Amend(amend, &amended).error_code(), grpc::StatusCode::ABORTED);
}

TEST_F(RecordServiceTest, AmendWithoutReasonIsInvalidArgumentNamingReason) {
  const std::string id = CreateOrFail(testing::ExampleRecord());
  v1::AmendRecordRequest amend;
  amend.set_record_id(id);
  amend.mutable_person()->set_last_known_address("Rr. Nëna Terezë 3, Prizren");
  amend.mutable_update_mask()->add_paths("person.last_known_address");
  v1::AmendRecordResponse resp;
  grpc::Status s = Amend(amend, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "reason")) << s.error_message();
  v1::Record current;
  ASSERT_TRUE(Get(id, &current).ok());
  EXPECT_EQ(current.metadata().version(), 1u);  // nothing written
}

TEST_F(RecordServiceTest, SecondCreateOfTheSameConvictionIsAlreadyExists) {
  const v1::CreateRecordRequest example = testing::ExampleRecord();
  const std::string first = CreateOrFail(example);
  std::string id;
  grpc::Status s = Create(example, &id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  // The clerk's next step is the record that exists: the answer names it, as an import's
  // duplicate row does, and the event records the id disclosed.
  EXPECT_EQ(s.error_message(),
            "a record with this court, case number and personal number exists: " + first);
  storage::AuditLog* log = server_->server()->audit_log();
  v1::AuditEvent event;
  ASSERT_TRUE(event.ParseFromString(*log->ReadEvent(log->CurrentHead().size - 1)));
  EXPECT_EQ(testing::OutcomeName(event), "ALREADY_EXISTS");
  EXPECT_EQ(std::vector<std::string>(event.record_ids().begin(), event.record_ids().end()),
            std::vector<std::string>{first});
  EXPECT_EQ(ByPersonalNumber(example.person().personal_number()),
            std::vector<std::string>{first});
}

TEST_F(RecordServiceTest, AnAmendmentThatChangesNothingIsRefusedAndMakesNoVersion) {
  const v1::CreateRecordRequest example = testing::ExampleRecord();
  const std::string id = CreateOrFail(example);
  v1::AmendRecordRequest amend;
  amend.set_record_id(id);
  // The values the record holds already, one field and a whole part.
  amend.mutable_person()->set_last_known_address(example.person().last_known_address());
  *amend.mutable_conviction()->mutable_sentence() = example.conviction().sentence();
  amend.mutable_update_mask()->add_paths("person.last_known_address");
  amend.mutable_update_mask()->add_paths("conviction.sentence");
  amend.set_reason("nothing new");
  v1::AmendRecordResponse resp;
  grpc::Status s = Amend(amend, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(),
            "update_mask: the record already holds these values (person.last_known_address, "
            "conviction.sentence); the amendment changes nothing");
  v1::GetRecordHistoryResponse history;
  ASSERT_TRUE(History(id, &history).ok());
  EXPECT_EQ(history.versions_size(), 1);
  // Output-only names sent back as they were read change nothing either.
  v1::Record read;
  ASSERT_TRUE(Get(id, &read).ok());
  ASSERT_FALSE(read.conviction().court_name().empty());
  *amend.mutable_conviction() = read.conviction();
  amend.mutable_update_mask()->Clear();
  amend.mutable_update_mask()->add_paths("conviction");
  EXPECT_EQ(Amend(amend, &resp).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // One field that does change is a version.
  amend.mutable_conviction()->set_release_date("2027-03-02");
  ASSERT_TRUE(Amend(amend, &resp).ok());
  EXPECT_EQ(resp.version(), 2u);
}

TEST_F(RecordServiceTest, ReadsNameTheCourtFromTheTableNotTheCaller) {
  v1::CreateRecordRequest request = testing::ExampleRecord();
  request.mutable_conviction()->set_court_name("Zzqx caller court");
  const std::string id = CreateOrFail(request);
  v1::Record record;
  ASSERT_TRUE(Get(id, &record).ok());
  EXPECT_EQ(record.conviction().court_name(), "Basic Court of Prishtinë/Priština");
  v1::GetRecordHistoryResponse history;
  ASSERT_TRUE(History(id, &history).ok());
  EXPECT_EQ(history.versions(0).record().conviction().court_name(),
            "Basic Court of Prishtinë/Priština");
}

// ---------------------------------------------------------------------------------------------
// No plaintext at rest.

TEST_F(RecordServiceTest, NoPlaintextPersonalDataInAnyFile) {
  auto normalizer = storage::NameNormalizer::Create();
  ASSERT_TRUE(normalizer.ok());
  struct Person {
    std::string surname, given, father, alias, place, address, pn;
  };
  const std::vector<Person> people = {
      {"Zzyzxkërqeli", "Qwertyarben", "Plughbesim", "Frobozzçaj", "Xyzzyvillë",
       "Rruga Xyzzyplugh 17", "9876501234"},
      {"Жвргуљевићзз", "Квертимир", "Плугхомир", "Фробозовић", "Зyzzград", "Улица Ксизи 23",
       "9876505678"},
      {"Zzyzxkërqeli", "Qwertyarben", "Plughbesim", "Frobozzçaj", "Xyzzyvillë",
       "Rruga Xyzzyplugh 17", "9876509012"},
  };
  const std::string new_address = "Rruga Plughxyzzy 42";
  const std::string amend_reason = "Qwertyreason Xyzzyconfirmed";

  auto request = [&](size_t i) {
    v1::CreateRecordRequest r = testing::ExampleRecord();
    auto* p = r.mutable_person();
    p->set_surname(people[i].surname);
    p->set_given_name(people[i].given);
    p->set_father_name(people[i].father);
    p->add_aliases(people[i].alias);
    p->set_birth_place(people[i].place);
    p->set_last_known_address(people[i].address);
    p->set_personal_number(people[i].pn);
    r.mutable_conviction()->set_case_number(absl::StrCat("P ", 7700 + i, "/2024"));
    return r;
  };
  std::vector<std::string> ids;
  ids.push_back(CreateOrFail(request(0)));
  ids.push_back(CreateOrFail(request(1)));
  // A backup flushes the first two records into SST files and copies them.
  {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::BackupInfo backup;
    grpc::Status s = admin_->CreateBackup(&ctx, v1::CreateBackupRequest(), &backup);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  // The rest stays in the write-ahead log.
  ids.push_back(CreateOrFail(request(2)));
  v1::AmendRecordRequest amend;
  amend.set_record_id(ids[0]);
  amend.mutable_person()->set_last_known_address(new_address);
  amend.mutable_update_mask()->add_paths("person.last_known_address");
  amend.set_reason(amend_reason);
  v1::AmendRecordResponse amended;
  ASSERT_TRUE(Amend(amend, &amended).ok());
  for (const auto& id : ids) ASSERT_EQ(id.size(), 32u);
  // Searches, reads, vetting checks and refused calls are audited; they must not leak either.
  EXPECT_EQ(ByName("ZZYZXKERQELI", "qwertyarben", "1980-04-12").size(), 2u);
  EXPECT_EQ(ByPersonalNumber("9876501234").size(), 1u);
  ASSERT_TRUE(Get(ids[1], nullptr).ok());
  const Person candidate = {"Zzyzxvettingonly", "Qwertyvetting", "", "", "", "", "9876504321"};
  auto vetting = v1::VettingService::NewStub(server_->Channel("vetting"));
  for (const Person& who : {people[0], candidate}) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::VettingCheckRequest check;
    check.set_personal_number(who.pn);
    check.set_surname(who.surname);
    check.set_given_name(who.given);
    check.set_birth_date("1980-04-12");
    check.set_position_category("teacher");
    check.set_consent_reference("CONSENT 2026/17");
    v1::VettingCheckResponse answer;
    grpc::Status s = vetting->VettingCheck(&ctx, check, &answer);
    ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  }
  {
    v1::CreateRecordRequest invalid = request(0);
    invalid.mutable_person()->set_birth_date("1980-13-45");
    EXPECT_EQ(Create(invalid, nullptr).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }

  v1::Record stored;  // its dates are needles below
  ASSERT_TRUE(Get(ids[0], &stored).ok());

  // What a thief copies from a running machine: the live files, write-ahead log included.
  const std::string data_dir = server_->config().data_dir();
  const std::string live_copy = server_->dir() + "/live-copy";
  std::filesystem::copy(data_dir, live_copy, std::filesystem::copy_options::recursive);
  server_->Stop();  // flushes and closes RocksDB
  const std::string backup_dir = server_->config().backup_dir();
  ASSERT_TRUE(std::filesystem::exists(backup_dir));

  std::set<std::string> needles;
  auto add_forms = [&](const std::string& value) {
    needles.insert(value);
    needles.insert(Lower(value));
    needles.insert(Upper(value));
    needles.insert(absl::AsciiStrToLower(value));
    for (absl::string_view word : absl::StrSplit(value, ' ')) {
      if (word.size() >= 6) needles.insert(std::string(word));
    }
    auto normal = (*normalizer)->Normalize(value);
    if (normal.ok()) {
      needles.insert(*normal);
      needles.insert(absl::AsciiStrToUpper(*normal));
    }
  };
  for (const Person& p : people) {
    for (const std::string* v : {&p.surname, &p.given, &p.father, &p.alias, &p.place,
                                 &p.address}) {
      add_forms(*v);
    }
    needles.insert(p.pn);
  }
  add_forms(new_address);
  add_forms(amend_reason);
  add_forms(candidate.surname);
  add_forms(candidate.given);
  needles.insert(candidate.pn);
  // Dates of the person and the conviction, and the registry dates derived from them (which with
  // the retention table would reveal the final date, the juvenile flag and the sentence band), in
  // every encoding the code writes (text YYYY-MM-DD), the compact one, and 64-bit big- and
  // little-endian seconds and microseconds since the epoch at midnight UTC.
  const v1::Conviction& c = stored.conviction();
  std::vector<std::string> dates = {stored.person().birth_date(), c.judgment_date(),
                                    c.final_date(), c.release_date(),
                                    stored.metadata().employer_visible_until(),
                                    stored.metadata().delete_after()};
  for (const auto& ban : c.bans()) dates.push_back(ban.end_date());
  for (const std::string& date : dates) {
    if (date.empty()) continue;
    auto day = ParseDate(date);
    ASSERT_TRUE(day.ok()) << date;
    needles.insert(date);
    needles.insert(absl::StrReplaceAll(date, {{"-", ""}}));
    const absl::Time midnight = absl::FromCivil(*day, absl::UTCTimeZone());
    for (const int64_t n : {absl::ToUnixSeconds(midnight), absl::ToUnixMicros(midnight)}) {
      std::string be = storage::EncodeU64(static_cast<uint64_t>(n));
      needles.insert(be);
      needles.insert(std::string(be.rbegin(), be.rend()));
    }
  }

  for (const std::string& dir : {data_dir, backup_dir, live_copy}) {
    for (const std::string& needle : needles) {
      EXPECT_EQ(FilesContaining(dir, needle), std::vector<std::string>{})
          << "plaintext \"" << needle << "\" found under " << dir;
    }
  }

  // The scan is not vacuous: the live copy has SST, WAL, MANIFEST, LOG and OPTIONS files, and the
  // scan does see bytes we know are stored in the clear (record ids are keys): the first two
  // records in SST files and the backup, the third one in the live write-ahead log.
  std::set<std::string> kinds;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(live_copy)) {
    const std::string name = entry.path().filename().string();
    if (absl::EndsWith(name, ".sst")) kinds.insert("sst");
    if (absl::EndsWith(name, ".log") && entry.file_size() > 0) kinds.insert("log");
    if (absl::StartsWith(name, "MANIFEST")) kinds.insert("manifest");
    if (name == "LOG") kinds.insert("LOG");
    if (absl::StartsWith(name, "OPTIONS")) kinds.insert("options");
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"sst", "log", "manifest", "LOG", "options"}));
  EXPECT_TRUE(AnyEndsWith(FilesContaining(data_dir, ids[1]), ".sst"));
  EXPECT_FALSE(FilesContaining(backup_dir, ids[1]).empty());
  EXPECT_TRUE(AnyEndsWith(FilesContaining(live_copy, ids[2]), ".log"));
  EXPECT_TRUE(AnyEndsWith(FilesContaining(data_dir, ids[2]), ".sst"));  // flushed at shutdown
  // And a value written in plaintext on purpose is found.
  const std::string control = data_dir + "/plaintext-control.txt";
  std::ofstream(control) << "prefix " << people[0].surname << " suffix";
  EXPECT_EQ(FilesContaining(data_dir, people[0].surname), std::vector<std::string>{control});
  EXPECT_EQ(FilesContaining(data_dir, people[0].surname.substr(0, 8)).size(), 1u);
  std::filesystem::remove(control);

  // The data is all there, encrypted.
  ASSERT_NO_FATAL_FAILURE(RestartOrFail());
  v1::Record record;
  ASSERT_TRUE(Get(ids[0], &record).ok());
  EXPECT_EQ(record.person().surname(), people[0].surname);
  EXPECT_EQ(record.person().last_known_address(), new_address);
  ASSERT_TRUE(Get(ids[1], &record).ok());
  EXPECT_EQ(record.person().given_name(), people[1].given);
}

// ---------------------------------------------------------------------------------------------
// Tampering gives DATA_LOSS.

TEST_F(RecordServiceTest, FlippedByteOfSealedVersionIsDataLoss) {
  const v1::CreateRecordRequest example = testing::ExampleRecord();
  const std::string id = CreateOrFail(example);
  std::string original;
  ASSERT_NO_FATAL_FAILURE(StopAndReadRaw(storage::Cf::kVersions, VersionKey(id, 1), &original));
  storage::StoredVersion stored;
  ASSERT_TRUE(stored.ParseFromString(original));
  const size_t n = stored.sealed().size();
  ASSERT_GT(n, 100u);
  // Format byte, nonce, ciphertext (start, middle, end) and tag.
  for (size_t pos : {size_t{0}, size_t{1}, size_t{12}, size_t{13}, n / 2, n - 17, n - 16,
                     n - 1}) {
    SCOPED_TRACE(absl::StrCat("byte ", pos, " of ", n));
    storage::StoredVersion tampered = stored;
    (*tampered.mutable_sealed())[pos] ^= 0x01;
    server_->Stop();
    {
      auto db = OpenStoppedDatabase();
      ASSERT_NE(db, nullptr);
      WriteRaw(db.get(), storage::Cf::kVersions, VersionKey(id, 1), tampered.SerializeAsString());
    }
    ASSERT_NO_FATAL_FAILURE(RestartOrFail());
    v1::Record record;
    grpc::Status s = Get(id, &record);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::DATA_LOSS) << s.error_message();
    EXPECT_FALSE(record.has_person());
    v1::GetRecordHistoryResponse history;
    EXPECT_EQ(History(id, &history).error_code(), grpc::StatusCode::DATA_LOSS);
    EXPECT_EQ(history.versions_size(), 0);
    std::vector<std::string> ids;
    v1::SearchRecordsRequest query;
    query.set_personal_number(example.person().personal_number());
    EXPECT_EQ(Search(query, &ids).error_code(), grpc::StatusCode::DATA_LOSS);
  }

  // Putting the original bytes back makes the record readable again: the flip was the cause.
  EditStoredData([&](storage::Database* db) {
    WriteRaw(db, storage::Cf::kVersions, VersionKey(id, 1), original);
  });
  v1::Record record;
  grpc::Status s = Get(id, &record);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(MessageDifferencer::Equals(record.person(), example.person()));
}

TEST_F(RecordServiceTest, SealedVersionCopiedToAnotherRecordIsDataLoss) {
  const std::string a = CreateOrFail(FictionalRecord(1));
  const std::string b = CreateOrFail(FictionalRecord(2));
  EditStoredData([&](storage::Database* db) {
    WriteRaw(db, storage::Cf::kVersions, VersionKey(b, 1),
             ReadRaw(db, storage::Cf::kVersions, VersionKey(a, 1)));
  });
  EXPECT_EQ(Get(b, nullptr).error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_TRUE(Get(a, nullptr).ok());

  // Also when B's head is given A's data key, wrapped for B with the real KEK (an attacker who
  // holds the key file but not the record's place): only the record id in the associated data
  // stops it.
  server_->Stop();
  auto keys = server::LoadKeyFile(server_->config().key_file());
  ASSERT_TRUE(keys.ok()) << keys.status();
  {
    auto db = OpenStoppedDatabase();
    ASSERT_NE(db, nullptr);
    storage::StoredHead head_a, head_b;
    ASSERT_TRUE(head_a.ParseFromString(ReadRaw(db.get(), storage::Cf::kRecords, a)));
    ASSERT_TRUE(head_b.ParseFromString(ReadRaw(db.get(), storage::Cf::kRecords, b)));
    auto dek_a = keys->keyring->UnwrapDek(head_a.wrapped_dek(), a);
    ASSERT_TRUE(dek_a.ok()) << dek_a.status();
    auto a_wrapped_for_b = keys->keyring->WrapDek(*dek_a, b);
    ASSERT_TRUE(a_wrapped_for_b.ok());
    head_b.set_wrapped_dek(*a_wrapped_for_b);
    WriteRaw(db.get(), storage::Cf::kRecords, b, head_b.SerializeAsString());
  }
  ASSERT_NO_FATAL_FAILURE(RestartOrFail());
  EXPECT_EQ(Get(b, nullptr).error_code(), grpc::StatusCode::DATA_LOSS);
  v1::GetRecordHistoryResponse history;
  EXPECT_EQ(History(b, &history).error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_TRUE(Get(a, nullptr).ok());
}

TEST_F(RecordServiceTest, OlderVersionReplayedAsCurrentIsDataLoss) {
  const std::string id = CreateOrFail(testing::ExampleRecord());
  v1::AmendRecordRequest amend;
  amend.set_record_id(id);
  amend.mutable_person()->set_last_known_address("Rr. Nëna Terezë 3, Prizren");
  amend.mutable_update_mask()->add_paths("person.last_known_address");
  amend.set_reason("new address");
  v1::AmendRecordResponse amended;
  ASSERT_TRUE(Amend(amend, &amended).ok());
  ASSERT_EQ(amended.version(), 2u);

  // Version 1's bytes as they are, under version 2's key.
  EditStoredData([&](storage::Database* db) {
    WriteRaw(db, storage::Cf::kVersions, VersionKey(id, 2),
             ReadRaw(db, storage::Cf::kVersions, VersionKey(id, 1)));
  });
  EXPECT_EQ(Get(id, nullptr).error_code(), grpc::StatusCode::DATA_LOSS);

  // With its cleartext version number also changed to 2: the associated data still says 1.
  EditStoredData([&](storage::Database* db) {
    storage::StoredVersion v1_stored;
    ASSERT_TRUE(v1_stored.ParseFromString(ReadRaw(db, storage::Cf::kVersions, VersionKey(id, 1))));
    v1_stored.set_version(2);
    WriteRaw(db, storage::Cf::kVersions, VersionKey(id, 2), v1_stored.SerializeAsString());
  });
  v1::Record record;
  EXPECT_EQ(Get(id, &record).error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_FALSE(record.has_person());
  v1::GetRecordHistoryResponse history;
  EXPECT_EQ(History(id, &history).error_code(), grpc::StatusCode::DATA_LOSS);
}

// Offence titles are output only: the registry's table supplies them on reads, and whatever a
// caller sends in their place is neither stored nor returned.
TEST_F(RecordServiceTest, OffenceTitlesComeFromTheTableNotTheCaller) {
  v1::CreateRecordRequest request = testing::ExampleRecord();
  request.mutable_conviction()->mutable_offences(0)->set_title("Zzqx caller title");
  const std::string id = CreateOrFail(request);
  v1::Record record;
  ASSERT_TRUE(Get(id, &record).ok());
  ASSERT_EQ(record.conviction().offences_size(), 1);
  EXPECT_FALSE(record.conviction().offences(0).title().empty());
  EXPECT_EQ(record.conviction().offences(0).title().find("Zzqx"), std::string::npos);
}

// Registry metadata in the head decides vetting answers (status, visibility): it is
// authenticated, so editing it in the files gives DATA_LOSS, never a changed answer.
TEST_F(RecordServiceTest, EditedHeadMetadataIsDataLossForReadsAndVetting) {
  const std::string id = CreateOrFail(testing::ExampleRecord());
  std::string original;
  ASSERT_NO_FATAL_FAILURE(StopAndReadRaw(storage::Cf::kRecords, id, &original));
  storage::StoredHead head;
  ASSERT_TRUE(head.ParseFromString(original));
  auto vet = [&]() {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::VettingCheckRequest check;
    const auto example = testing::ExampleRecord();
    check.set_personal_number(example.person().personal_number());
    check.set_surname(example.person().surname());
    check.set_given_name(example.person().given_name());
    check.set_birth_date(example.person().birth_date());
    check.set_position_category("teacher");
    check.set_consent_reference("CONSENT 2026/18");
    v1::VettingCheckResponse answer;
    grpc::Status s =
        v1::VettingService::NewStub(server_->Channel("vetting"))->VettingCheck(&ctx, check, &answer);
    if (!s.ok()) {
      EXPECT_EQ(answer.result(), v1::VETTING_RESULT_UNSPECIFIED);  // no answer leaks
    }
    return s.error_code();
  };
  std::vector<std::function<void(storage::StoredHead*)>> edits = {
      [](storage::StoredHead* h) { (*h->mutable_sealed_dates())[20] ^= 1; },
      [](storage::StoredHead* h) { h->set_status(v1::RECORD_STATUS_DISPUTED); },
      [](storage::StoredHead* h) { h->set_version(h->version() + 1); },
      [](storage::StoredHead* h) { h->clear_sealed_dates(); },
  };
  for (size_t i = 0; i < edits.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("edit ", i));
    storage::StoredHead tampered = head;
    edits[i](&tampered);
    EditStoredData([&](storage::Database* db) {
      WriteRaw(db, storage::Cf::kRecords, id, tampered.SerializeAsString());
    });
    EXPECT_EQ(Get(id, nullptr).error_code(), grpc::StatusCode::DATA_LOSS);
    EXPECT_EQ(vet(), grpc::StatusCode::DATA_LOSS);
  }
  EditStoredData(
      [&](storage::Database* db) { WriteRaw(db, storage::Cf::kRecords, id, original); });
  EXPECT_TRUE(Get(id, nullptr).ok());
  EXPECT_EQ(vet(), grpc::StatusCode::OK);
}

// Index rows carry a MAC binding their token to their record id: a row moved under another
// person's token, or forged without the key, is DATA_LOSS for searches and vetting, never a
// different answer.
TEST_F(RecordServiceTest, MovedOrForgedIndexRowIsDataLoss) {
  const v1::CreateRecordRequest a = testing::ExampleRecord();
  const v1::CreateRecordRequest b = FictionalRecord(3);
  const std::string id_a = CreateOrFail(a);
  const std::string id_b = CreateOrFail(b);
  storage::StoredHead head_a, head_b;
  server_->Stop();
  {
    auto db = OpenStoppedDatabase();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(head_a.ParseFromString(ReadRaw(db.get(), storage::Cf::kRecords, id_a)));
    ASSERT_TRUE(head_b.ParseFromString(ReadRaw(db.get(), storage::Cf::kRecords, id_b)));
  }
  RestartOrFail();
  const std::string row_a = absl::StrCat("p", head_a.personal_number_token(), id_a);
  const auto vet_b = [&]() {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::VettingCheckResponse answer;
    return v1::VettingService::NewStub(server_->Channel("vetting"))
        ->VettingCheck(&ctx, testing::CandidateOf(b.person()), &answer)
        .error_code();
  };
  const auto search_b = [&]() {
    v1::SearchRecordsRequest req;
    req.set_personal_number(b.person().personal_number());
    std::vector<std::string> ids;
    return Search(req, &ids).error_code();
  };
  ASSERT_EQ(vet_b(), grpc::StatusCode::OK);

  struct Case {
    std::string what;
    std::function<std::string(storage::Database*)> value;  // written under B's token, A's id
  };
  const std::vector<Case> cases = {
      {"A's row moved under B's token",
       [&](storage::Database* db) { return ReadRaw(db, storage::Cf::kIndex, row_a); }},
      {"forged row", [](storage::Database*) { return std::string(32, '\x5a'); }},
      {"row without a MAC", [](storage::Database*) { return std::string(); }},
  };
  const std::string planted = absl::StrCat("p", head_b.personal_number_token(), id_a);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    EditStoredData([&](storage::Database* db) {
      WriteRaw(db, storage::Cf::kIndex, planted, c.value(db));
    });
    EXPECT_EQ(search_b(), grpc::StatusCode::DATA_LOSS);
    EXPECT_EQ(vet_b(), grpc::StatusCode::DATA_LOSS);
  }
  EditStoredData([&](storage::Database* db) {
    storage::Batch batch;
    batch.Delete(storage::Cf::kIndex, planted);
    ASSERT_TRUE(db->Write(batch).ok());
  });
  EXPECT_EQ(search_b(), grpc::StatusCode::OK);
  EXPECT_EQ(vet_b(), grpc::StatusCode::OK);
}

TEST_F(RecordServiceTest, FlippedByteOfWrappedDataKeyIsDataLoss) {
  const std::string id = CreateOrFail(testing::ExampleRecord());
  const std::string other = CreateOrFail(FictionalRecord(3));
  std::string original;
  ASSERT_NO_FATAL_FAILURE(StopAndReadRaw(storage::Cf::kRecords, id, &original));
  storage::StoredHead head;
  ASSERT_TRUE(head.ParseFromString(original));
  ASSERT_EQ(head.wrapped_dek().size(), crypto::kWrappedDekSize);
  // Format byte, KEK version, nonce, ciphertext, tag.
  for (size_t pos : {size_t{0}, size_t{4}, size_t{5}, size_t{20}, size_t{48}, size_t{49},
                     size_t{64}}) {
    SCOPED_TRACE(absl::StrCat("wrapped_dek byte ", pos));
    storage::StoredHead tampered = head;
    (*tampered.mutable_wrapped_dek())[pos] ^= 0x01;
    EditStoredData([&](storage::Database* db) {
      WriteRaw(db, storage::Cf::kRecords, id, tampered.SerializeAsString());
    });
    v1::Record record;
    EXPECT_EQ(Get(id, &record).error_code(), grpc::StatusCode::DATA_LOSS);
    EXPECT_FALSE(record.has_person());
  }
  // Another record's wrapped key, moved over: bound to the other id.
  EditStoredData([&](storage::Database* db) {
    storage::StoredHead moved = head;
    storage::StoredHead other_head;
    ASSERT_TRUE(other_head.ParseFromString(ReadRaw(db, storage::Cf::kRecords, other)));
    moved.set_wrapped_dek(other_head.wrapped_dek());
    WriteRaw(db, storage::Cf::kRecords, id, moved.SerializeAsString());
  });
  EXPECT_EQ(Get(id, nullptr).error_code(), grpc::StatusCode::DATA_LOSS);

  EditStoredData(
      [&](storage::Database* db) { WriteRaw(db, storage::Cf::kRecords, id, original); });
  EXPECT_TRUE(Get(id, nullptr).ok());
  EXPECT_TRUE(Get(other, nullptr).ok());
}

// ---------------------------------------------------------------------------------------------
// Key files.

TEST_F(RecordServiceTest, ForeignKeyFileIsRefusedAtStartAndAMissingKekIsDataLoss) {
  const std::string id = CreateOrFail(testing::ExampleRecord());
  server_->Stop();
  const std::string path = server_->config().key_file();
  auto original = server::ReadKeyFile(path);
  ASSERT_TRUE(original.ok()) << original.status();
  auto fresh = server::GenerateKeyFile(absl::Now());
  ASSERT_TRUE(fresh.ok());
  ASSERT_EQ(fresh->current_kek_version(), original->current_kek_version());  // same version,
  ASSERT_TRUE(server::WriteKeyFile(path, *fresh, /*overwrite=*/true).ok());    // another key

  // The database holds a key check value: another key file is refused at start-up, before it
  // could mix keys (new records, blind indexes and signatures under another root).
  absl::Status started = server_->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
  EXPECT_TRUE(absl::StrContains(started.message(), "does not belong to this database"))
      << started;

  // A key file without the record's KEK version: DATA_LOSS as well.
  server_->Stop();
  auto added = server::AddKek(&*fresh, absl::Now());
  ASSERT_TRUE(added.ok());
  ASSERT_TRUE(server::RemoveKek(&*fresh, 1).ok());
  fresh->set_derivation_root(original->derivation_root());
  ASSERT_TRUE(server::WriteKeyFile(path, *fresh, true).ok());
  ASSERT_NO_FATAL_FAILURE(RestartOrFail());
  EXPECT_EQ(Get(id, nullptr).error_code(), grpc::StatusCode::DATA_LOSS);

  // The right file again: everything reads.
  server_->Stop();
  ASSERT_TRUE(server::WriteKeyFile(path, *original, true).ok());
  ASSERT_NO_FATAL_FAILURE(RestartOrFail());
  v1::Record record;
  ASSERT_TRUE(Get(id, &record).ok());
  EXPECT_EQ(record.person().surname(), "Kërqeli");
  EXPECT_EQ(ByPersonalNumber("1234567890"), std::vector<std::string>{id});
}

TEST_F(RecordServiceTest, KeyFileReadableByOthersIsRefusedAtStart) {
  server_->Stop();
  const std::string path = server_->config().key_file();
  for (mode_t mode : {mode_t{0644}, mode_t{0640}, mode_t{0604}, mode_t{0620}}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    absl::Status s = server_->Restart();
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), absl::StrFormat("mode %04o", mode))) << s;
  }
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  ASSERT_NO_FATAL_FAILURE(RestartOrFail());
  EXPECT_TRUE(Create(testing::ExampleRecord(), nullptr).ok());
}

TEST_F(RecordServiceTest, MalformedOrMissingKeyFileIsRefusedAtStart) {
  server_->Stop();
  const std::string path = server_->config().key_file();
  auto original = server::ReadKeyFile(path);
  ASSERT_TRUE(original.ok());

  WriteFileWithMode(path, "{ this is not json", 0600);
  absl::Status s = server_->Restart();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;

  WriteFileWithMode(path, R"({"current_kek_version": 1, "no_such_field": true})", 0600);
  EXPECT_EQ(server_->Restart().code(), absl::StatusCode::kInvalidArgument);

  // Well-formed JSON, but a 16-byte KEK.
  registry::v1::KeyFile short_key = *original;
  short_key.mutable_keks(0)->set_key(std::string(16, 'k'));
  ASSERT_TRUE(server::WriteKeyFile(path, short_key, true).ok());
  EXPECT_EQ(server_->Restart().code(), absl::StatusCode::kInvalidArgument);

  // The current version names no KEK.
  registry::v1::KeyFile no_current = *original;
  no_current.set_current_kek_version(7);
  ASSERT_TRUE(server::WriteKeyFile(path, no_current, true).ok());
  EXPECT_EQ(server_->Restart().code(), absl::StatusCode::kInvalidArgument);

  std::filesystem::remove(path);
  EXPECT_EQ(server_->Restart().code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(server::WriteKeyFile(path, *original, false).ok());
  ASSERT_NO_FATAL_FAILURE(RestartOrFail());
}

// ---------------------------------------------------------------------------------------------
// Key rotation.

TEST_F(RecordServiceTest, RotationRewrapsEveryDataKeyAndOldKekCanBeRemoved) {
  std::vector<std::string> ids;
  std::map<std::string, std::string> surnames;
  CreateFictional(25, &ids, &surnames);
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{1, 25}}));

  v1::RotateKeysResponse rotated;
  grpc::Status s = RotateKeys(&rotated);
  ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  EXPECT_EQ(rotated.current_kek_version(), 2u);
  EXPECT_EQ(rotated.rewrapped(), 25u);
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{2, 25}}));
  EXPECT_EQ(KekVersionsInFile(), (std::set<uint32_t>{1, 2}));
  ExpectAllReadable(ids, surnames);
  // New records use the new KEK.
  const v1::CreateRecordRequest late = FictionalRecord(99);
  ids.push_back(CreateOrFail(late));
  surnames[ids.back()] = late.person().surname();
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{2, 26}}));

  // Only admins rotate.
  {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::RotateKeysResponse resp;
    EXPECT_EQ(v1::AdminService::NewStub(server_->Channel("clerk"))
                  ->RotateKeys(&ctx, v1::RotateKeysRequest(), &resp)
                  .error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }

  server_->Stop();
  RemoveKekFromFile(1);
  EXPECT_EQ(KekVersionsInFile(), (std::set<uint32_t>{2}));
  ASSERT_NO_FATAL_FAILURE(RestartOrFail());
  ExpectAllReadable(ids, surnames);
  EXPECT_EQ(ByPersonalNumber(late.person().personal_number()).size(), 1u);

  // A second rotation re-wraps them all again.
  s = RotateKeys(&rotated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(rotated.current_kek_version(), 3u);
  EXPECT_EQ(rotated.rewrapped(), 26u);
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{3, 26}}));
}

// Every step of a rotation (start, each batch with its cursor, end, and the batches a restart
// resumes) commits with its own system event, so the log shows every change rotation makes.
TEST_F(RecordServiceTest, EveryRotationStepCommitsWithItsSystemEvent) {
  for (int i = 0; i < 12; ++i) CreateOrFail(FictionalRecord(i));
  const auto references_since = [&](uint64_t start) {
    std::vector<std::string> refs;
    storage::AuditLog* log = server_->server()->audit_log();
    for (uint64_t i = start; i < log->CurrentHead().size; ++i) {
      v1::AuditEvent e;
      auto bytes = log->ReadEvent(i);
      EXPECT_TRUE(bytes.ok() && e.ParseFromString(*bytes));
      refs.push_back(absl::StrCat(e.actor(), " ", e.reference(), " ", e.outcome()));
    }
    return refs;
  };
  uint64_t start = server_->server()->audit_log()->CurrentHead().size;
  server_->server()->rotator()->SetBatchSizeForTesting(5);
  server_->server()->rotator()->FailAfterBatchesForTesting(2);
  v1::RotateKeysResponse rotated;
  EXPECT_EQ(RotateKeys(&rotated).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(references_since(start),
            (std::vector<std::string>{"system:key-rotation kek-v2 started 0",
                                      "system:key-rotation kek-v2 batch 1: 5 re-wrapped 0",
                                      "system:key-rotation kek-v2 batch 2: 5 re-wrapped 0",
                                      "spiffe://registry.kjc.dev/admin/dev-admin  14"}));
  start = server_->server()->audit_log()->CurrentHead().size;
  ASSERT_NO_FATAL_FAILURE(RestartOrFail());  // resumes
  EXPECT_EQ(references_since(start),
            (std::vector<std::string>{"system:key-rotation kek-v2 batch 1: 2 re-wrapped 0",
                                      "system:key-rotation kek-v2 finished 0"}));
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{2, 12}}));
}

TEST_F(RecordServiceTest, InterruptedRotationIsFinishedAtStartUp) {
  std::vector<std::string> ids;
  std::map<std::string, std::string> surnames;
  CreateFictional(25, &ids, &surnames);
  server_->server()->rotator()->SetBatchSizeForTesting(5);
  server_->server()->rotator()->FailAfterBatchesForTesting(2);
  v1::RotateKeysResponse rotated;
  grpc::Status s = RotateKeys(&rotated);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();

  // Half done: 10 data keys under KEK 2, the rest still under KEK 1; all readable meanwhile.
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{1, 15}, {2, 10}}));
  EXPECT_EQ(KekVersionsInFile(), (std::set<uint32_t>{1, 2}));
  ExpectAllReadable(ids, surnames);
  {
    auto target = server_->server()->database()->Get(storage::Cf::kMeta, "rotation/target");
    ASSERT_TRUE(target.ok() && target->has_value());
    EXPECT_EQ(**target, "2");
  }

  server_->Stop();
  // registryd refuses to retire KEK 1 while the rotation is unfinished.
  const std::string config = WriteConfigFile();
  std::string output;
  EXPECT_NE(RunRegistryd(absl::StrCat("--config ", config, " --retire_kek 1"), &output), 0)
      << output;
  EXPECT_TRUE(absl::StrContains(output, "unfinished")) << output;
  EXPECT_EQ(KekVersionsInFile(), (std::set<uint32_t>{1, 2}));

  ASSERT_NO_FATAL_FAILURE(RestartOrFail());  // Resume() finishes the rotation
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{2, 25}}));
  {
    auto target = server_->server()->database()->Get(storage::Cf::kMeta, "rotation/target");
    ASSERT_TRUE(target.ok());
    EXPECT_FALSE(target->has_value());
    // The store's own count agrees.
    auto keys = server::LoadKeyFile(server_->config().key_file());
    ASSERT_TRUE(keys.ok());
    storage::KeyringHolder holder(std::shared_ptr<const crypto::Keyring>(std::move(keys->keyring)));
    auto normalizer = storage::NameNormalizer::Create();
    ASSERT_TRUE(normalizer.ok());
    auto store = storage::RecordStore::Create(server_->server()->database(), &holder,
                                              keys->derivation_root, normalizer->get());
    ASSERT_TRUE(store.ok());
    auto not_under_2 = (*store)->CountNotUnder(2);
    ASSERT_TRUE(not_under_2.ok());
    EXPECT_EQ(*not_under_2, 0u);
    auto not_under_1 = (*store)->CountNotUnder(1);
    ASSERT_TRUE(not_under_1.ok());
    EXPECT_EQ(*not_under_1, 25u);
  }
  ExpectAllReadable(ids, surnames);

  server_->Stop();
  RemoveKekFromFile(1);
  ASSERT_NO_FATAL_FAILURE(RestartOrFail());
  ExpectAllReadable(ids, surnames);
}

TEST_F(RecordServiceTest, InterruptedRotationIsFinishedByTheNextRotation) {
  std::vector<std::string> ids;
  std::map<std::string, std::string> surnames;
  CreateFictional(12, &ids, &surnames);
  server_->server()->rotator()->SetBatchSizeForTesting(5);
  server_->server()->rotator()->FailAfterBatchesForTesting(1);
  v1::RotateKeysResponse rotated;
  EXPECT_EQ(RotateKeys(&rotated).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{1, 7}, {2, 5}}));

  server_->server()->rotator()->FailAfterBatchesForTesting(0);
  grpc::Status s = RotateKeys(&rotated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // The interrupted rotation to 2 is finished first (7 keys), then all 12 go to 3.
  EXPECT_EQ(rotated.current_kek_version(), 3u);
  EXPECT_EQ(rotated.rewrapped(), 7u + 12u);
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{3, 12}}));
  server_->Stop();
  RemoveKekFromFile(1);
  RemoveKekFromFile(2);
  ASSERT_NO_FATAL_FAILURE(RestartOrFail());
  ExpectAllReadable(ids, surnames);
}

TEST_F(RecordServiceTest, DamagedDataKeyFailsRotationButNotStartUp) {
  std::vector<std::string> ids;
  std::map<std::string, std::string> surnames;
  CreateFictional(6, &ids, &surnames);
  const std::string damaged = ids[2];
  ids.erase(ids.begin() + 2);
  EditStoredData([&](storage::Database* db) {
    storage::StoredHead head;
    ASSERT_TRUE(head.ParseFromString(ReadRaw(db, storage::Cf::kRecords, damaged)));
    (*head.mutable_wrapped_dek())[30] ^= 0x01;
    WriteRaw(db, storage::Cf::kRecords, damaged, head.SerializeAsString());
  });
  v1::RotateKeysResponse rotated;
  EXPECT_EQ(RotateKeys(&rotated).error_code(), grpc::StatusCode::DATA_LOSS);

  // The unfinished rotation cannot be finished at start-up either, but the registry still
  // starts: only the damaged record is lost.
  server_->Stop();
  ASSERT_NO_FATAL_FAILURE(RestartOrFail());
  EXPECT_EQ(Get(damaged, nullptr).error_code(), grpc::StatusCode::DATA_LOSS);
  ExpectAllReadable(ids, surnames);
  {
    auto target = server_->server()->database()->Get(storage::Cf::kMeta, "rotation/target");
    ASSERT_TRUE(target.ok() && target->has_value());
  }
  server_->Stop();
  const std::string config = WriteConfigFile();
  std::string output;
  EXPECT_NE(RunRegistryd(absl::StrCat("--config ", config, " --retire_kek 1"), &output), 0);
  EXPECT_EQ(KekVersionsInFile(), (std::set<uint32_t>{1, 2}));

  // Once the damaged record is expunged, rotation completes and the old KEKs can go.
  ASSERT_NO_FATAL_FAILURE(RestartOrFail());
  {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::ExpungeRecordRequest expunge;
    expunge.set_record_id(damaged);
    expunge.set_legal_basis("KJC decision 1/2026 - damaged entry re-entered");
    v1::ExpungeRecordResponse resp;
    grpc::Status s = clerk_->ExpungeRecord(&ctx, expunge, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  grpc::Status s = RotateKeys(&rotated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(rotated.current_kek_version(), 3u);
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{3, 5}}));
  server_->Stop();
  EXPECT_EQ(RunRegistryd(absl::StrCat("--config ", config, " --retire_kek 1"), &output), 0)
      << output;
  EXPECT_EQ(RunRegistryd(absl::StrCat("--config ", config, " --retire_kek 2"), &output), 0)
      << output;
  ASSERT_NO_FATAL_FAILURE(RestartOrFail());
  ExpectAllReadable(ids, surnames);
}

TEST_F(RecordServiceTest, RetireKekRefusesWhileADataKeyUsesItAndSucceedsAfterRotation) {
  std::vector<std::string> ids;
  std::map<std::string, std::string> surnames;
  CreateFictional(5, &ids, &surnames);
  server_->Stop();
  const std::string config = WriteConfigFile();
  const std::string path = server_->config().key_file();
  std::string output;

  // The current KEK is never retired.
  EXPECT_NE(RunRegistryd(absl::StrCat("--config ", config, " --retire_kek 1"), &output), 0)
      << output;
  EXPECT_EQ(KekVersionsInFile(), (std::set<uint32_t>{1}));

  // KEK 2 added and made current, but no data key re-wrapped yet (as after a crash between
  // writing the key file and starting the re-wrap): KEK 1 is still in use.
  {
    auto file = server::ReadKeyFile(path);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE(server::AddKek(&*file, absl::Now()).ok());
    ASSERT_TRUE(server::WriteKeyFile(path, *file, true).ok());
  }
  EXPECT_NE(RunRegistryd(absl::StrCat("--config ", config, " --retire_kek 1"), &output), 0)
      << output;
  EXPECT_TRUE(absl::StrContains(output, "5 data keys")) << output;
  EXPECT_EQ(KekVersionsInFile(), (std::set<uint32_t>{1, 2}));

  ASSERT_NO_FATAL_FAILURE(RestartOrFail());
  ExpectAllReadable(ids, surnames);
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{1, 5}}));
  v1::RotateKeysResponse rotated;
  grpc::Status s = RotateKeys(&rotated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(rotated.current_kek_version(), 3u);
  EXPECT_EQ(rotated.rewrapped(), 5u);
  server_->Stop();

  EXPECT_EQ(RunRegistryd(absl::StrCat("--config ", config, " --retire_kek 1"), &output), 0)
      << output;
  EXPECT_EQ(RunRegistryd(absl::StrCat("--config ", config, " --retire_kek 2"), &output), 0)
      << output;
  EXPECT_EQ(KekVersionsInFile(), (std::set<uint32_t>{3}));
  // Retiring a version that is gone fails and changes nothing.
  EXPECT_NE(RunRegistryd(absl::StrCat("--config ", config, " --retire_kek 1"), &output), 0);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  ASSERT_NO_FATAL_FAILURE(RestartOrFail());
  ExpectAllReadable(ids, surnames);
}

// ---------------------------------------------------------------------------------------------
// Figures: a single client against the real server, every call audited with a synced write.
// Printed only; no assertion on time.

TEST_F(RecordServiceTest, Figures) {
  constexpr int kOps = 200;
  std::vector<v1::CreateRecordRequest> requests;
  for (int i = 0; i < kOps; ++i) requests.push_back(FictionalRecord(1000 + i));
  std::vector<std::string> ids;
  absl::Time start = absl::Now();
  for (const auto& r : requests) ids.push_back(CreateOrFail(r));
  const absl::Duration create = absl::Now() - start;

  start = absl::Now();
  for (const auto& id : ids) ASSERT_TRUE(Get(id, nullptr).ok());
  const absl::Duration get = absl::Now() - start;

  start = absl::Now();
  for (const auto& r : requests) {
    ASSERT_EQ(ByPersonalNumber(r.person().personal_number()).size(), 1u);
  }
  const absl::Duration search = absl::Now() - start;

  auto per_op = [&](absl::Duration d) { return absl::ToDoubleMilliseconds(d) / kOps; };
  std::printf("FIGURES create=%.3f ms/op get=%.3f ms/op search=%.3f ms/op (%d ops each)\n",
              per_op(create), per_op(get), per_op(search), kOps);
}

}  // namespace
}  // namespace registry

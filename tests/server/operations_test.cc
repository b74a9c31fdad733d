// What an operator relies on: the metrics listener (labels from fixed sets only, no personal data
// in a scrape after an end-to-end run), the JSON log lines (no personal data either), backups
// verified by restoring them (a sound one passes; a damaged one, or one that is not a prefix of
// the live log, is reported), and the backup schedule's step.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "common/json_log.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/audit.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "server/backup_check.h"
#include "server/metrics.h"
#include "server/listener_probe.h"
#include "server/metrics_endpoint.h"
#include "tests/testing/data_files.h"
#include "tests/testing/held_port.h"
#include "tests/testing/switchable_fault.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using ::testing::HasSubstr;

std::chrono::system_clock::time_point Deadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(60);
}

// A person no fixed text of the registry could contain by chance.
v1::CreateRecordRequest TestPerson() {
  v1::CreateRecordRequest req = ExampleRecord();
  v1::Person* p = req.mutable_person();
  p->set_surname("Xhemajliqëndresë");
  p->set_given_name("Vjollcëzana");
  p->set_father_name("Lulzimtrim");
  p->set_birth_date("1977-09-23");
  p->set_birth_place("Gjakovëzë");
  p->set_personal_number("5550123456");
  p->set_last_known_address("Rr. Ulpianazë 77, Gjakovë");
  return req;
}

// The purpose the end-to-end run's court states.
void SetCourtPurpose(v1::Purpose* purpose) {
  purpose->set_case_reference("K 12/2026");
  purpose->set_purpose_code("criminal_proceedings");
}

// Everything of the test person that must never leave in a log line or a scrape, as typed and
// as JSON would escape it.
std::vector<std::string> PersonalStrings(const v1::Person& p) {
  std::vector<std::string> plain = {p.surname(),         p.given_name(),
                                    p.father_name(),     p.birth_date(),
                                    p.birth_place(),     p.personal_number(),
                                    p.last_known_address(), "19770923",
                                    "23.09.1977",        "Xhemajli",
                                    "Vjollc",            "Lulzimtrim",
                                    "Ulpianaz",          "0123456"};
  std::vector<std::string> out = plain;
  for (const std::string& s : plain) {
    std::string quoted = JsonQuote(s);
    out.push_back(quoted.substr(1, quoted.size() - 2));
  }
  return out;
}

class OperationsTest : public ::testing::Test {
 protected:
  void StartServer(bool log_calls) {
    TestServerOptions options;
    options.metrics_listen_address = "127.0.0.1:0";
    options.log_calls = log_calls;
    // A small rate limit, so that the run meets it within a few calls.
    options.policy = std::make_unique<v1::AccessPolicy>(registry::testing::DevPolicy());
    for (auto& org : *options.policy->mutable_organisations()) {
      if (org.has_rate_limit()) {
        org.mutable_rate_limit()->set_per_minute(1);
        org.mutable_rate_limit()->set_burst(3);
      }
    }
    server_ = TestServer::Start(std::move(options));
  }

  // One unary call of `method` as `identity` (a dev PKI name), with the tests' deadline.
  template <typename Stub, typename Request, typename Response>
  grpc::Status CallAs(const std::string& identity,
                      grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                   Response*),
                      const Request& req, Response* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline());
    Stub stub(server_->Channel(identity));
    return (stub.*method)(&ctx, req, resp);
  }

  std::string Create(const v1::CreateRecordRequest& req) {
    v1::CreateRecordResponse resp;
    const grpc::Status s = CallAs("clerk", &v1::RecordService::Stub::CreateRecord, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.record_id();
  }

  // An end-to-end run about the test person: entered, read by a court, searched, vetted (also
  // past the rate limit), refused for a bad field and for an unknown certificate, backed up,
  // the backup verified, a head signed, and erased.
  void EndToEnd() {
    const v1::CreateRecordRequest person = TestPerson();
    const std::string id = Create(person);
    ASSERT_FALSE(id.empty());
    {
      v1::GetRecordRequest req;
      req.set_record_id(id);
      SetCourtPurpose(req.mutable_purpose());
      v1::GetRecordResponse resp;
      CallAs("court", &v1::RecordService::Stub::GetRecord, req, &resp);
    }
    {
      v1::SearchRecordsRequest req;
      req.set_personal_number(person.person().personal_number());
      SetCourtPurpose(req.mutable_purpose());
      v1::SearchRecordsResponse resp;
      CallAs("court", &v1::RecordService::Stub::SearchRecords, req, &resp);
    }
    // Vetting until the organisation's rate limit refuses.
    bool limited = false;
    for (int i = 0; i < 20 && !limited; ++i) {
      v1::VettingCheckResponse resp;
      const grpc::Status s = CallAs("vetting", &v1::VettingService::Stub::VettingCheck,
                                    CandidateOf(person.person()), &resp);
      limited = s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
    }
    EXPECT_TRUE(limited) << "a burst of 3 should be spent within 20 calls";
    {
      // Invalid: the person's data in a refused request, echoed nowhere.
      v1::CreateRecordRequest bad = person;
      bad.mutable_person()->set_birth_date("1977-02-30");
      v1::CreateRecordResponse resp;
      EXPECT_EQ(CallAs("clerk", &v1::RecordService::Stub::CreateRecord, bad, &resp).error_code(),
                grpc::StatusCode::INVALID_ARGUMENT);
    }
    for (const char* stranger : {"unlisted", "revoked", "nouri"}) {
      v1::CreateRecordResponse resp;
      EXPECT_FALSE(CallAs(stranger, &v1::RecordService::Stub::CreateRecord, person, &resp).ok());
    }
    {
      v1::BackupInfo info;
      ASSERT_TRUE(CallAs("admin", &v1::AdminService::Stub::CreateBackup,
                         v1::CreateBackupRequest(), &info)
                      .ok());
    }
    {
      v1::VerifyBackupResponse resp;
      ASSERT_TRUE(VerifyBackup(0, &resp).ok());
      EXPECT_TRUE(resp.ok());
    }
    {
      v1::SignedTreeHead head;
      ASSERT_TRUE(CallAs("auditor", &v1::AuditService::Stub::GetSignedTreeHead,
                         v1::GetSignedTreeHeadRequest(), &head)
                      .ok());
    }
    ASSERT_TRUE(server_->server()->RunRetentionOnce().ok());
    {
      v1::ExpungeRecordRequest req;
      req.set_record_id(id);
      req.set_legal_basis("CC 04/L-082 art. 103");
      v1::ExpungeRecordResponse resp;
      EXPECT_TRUE(CallAs("clerk", &v1::RecordService::Stub::ExpungeRecord, req, &resp).ok());
    }
  }

  grpc::Status VerifyBackup(uint32_t id, v1::VerifyBackupResponse* resp) {
    v1::VerifyBackupRequest req;
    req.set_backup_id(id);
    return CallAs("admin", &v1::AdminService::Stub::VerifyBackup, req, resp);
  }

  std::string Scrape(int* status = nullptr) {
    httplib::Client http("127.0.0.1", server_->server()->metrics_port());
    auto res = http.Get("/metrics");
    if (!res) return "";
    if (status != nullptr) *status = res->status;
    return res->body;
  }

  std::unique_ptr<TestServer> server_;
};

std::set<std::string> StatusCodeNames() {
  std::set<std::string> out;
  for (int c = 0; c <= 16; ++c) out.insert(absl::StatusCodeToString(static_cast<absl::StatusCode>(c)));
  return out;
}

// name{k="v",...} value  ->  labels; false when the line is not a sample.
bool ParseSample(const std::string& line, std::string* name,
                 std::map<std::string, std::string>* labels, std::string* value) {
  labels->clear();
  const size_t brace = line.find('{');
  const size_t space = line.rfind(' ');
  if (space == std::string::npos) return false;
  *value = line.substr(space + 1);
  if (brace == std::string::npos || brace > space) {
    *name = line.substr(0, space);
    return true;
  }
  *name = line.substr(0, brace);
  const size_t close = line.find('}', brace);
  if (close == std::string::npos) return false;
  for (absl::string_view pair :
       absl::StrSplit(absl::string_view(line).substr(brace + 1, close - brace - 1), ',')) {
    const size_t eq = pair.find('=');
    if (eq == absl::string_view::npos) return false;
    absl::string_view v = pair.substr(eq + 1);
    if (v.size() < 2 || v.front() != '"' || v.back() != '"') return false;
    (*labels)[std::string(pair.substr(0, eq))] = std::string(v.substr(1, v.size() - 2));
  }
  return true;
}

TEST_F(OperationsTest, AScrapeAfterAnEndToEndRunHasEveryFamilyFixedLabelsAndNoPersonalData) {
  StartServer(/*log_calls=*/false);
  ASSERT_GT(server_->server()->metrics_port(), 0);
  EndToEnd();
  int status = 0;
  const std::string page = Scrape(&status);
  ASSERT_EQ(status, 200);

  for (const char* family :
       {"registryd_calls_total", "registryd_call_duration_seconds", "registryd_audit_tree_size",
        "registryd_audit_signed_head_age_seconds", "registryd_audit_group_commit_events",
        "registryd_kek_version", "registryd_kek_current_version",
        "registryd_rate_limit_refusals_total", "registryd_vetting_refer_alerts_total",
        "registryd_refused_certificates_total",
        "registryd_health_checks_total", "registryd_backups", "registryd_backups_damaged",
        "registryd_backup_age_seconds",
        "registryd_backup_verifications_total", "registryd_retention_last_run_timestamp_seconds",
        "registryd_retention_last_run_age_seconds"}) {
    EXPECT_THAT(page, HasSubstr(absl::StrCat("\n# TYPE ", family, " "))) << family;
  }

  const std::vector<std::string> methods = server::AllMethodLabels();
  const std::set<std::string> method_set(methods.begin(), methods.end());
  const std::set<std::string> outcomes = StatusCodeNames();
  std::set<std::string> reasons;
  for (int i = 0; i < server::kCertificateRefusalCount; ++i) {
    reasons.insert(server::CertificateRefusalName(static_cast<server::CertificateRefusal>(i)));
  }
  std::map<std::string, double> values;  // unlabelled samples, and some labelled ones
  int samples = 0;
  for (const std::string& line :
       std::vector<std::string>(absl::StrSplit(page, '\n', absl::SkipEmpty()))) {
    if (absl::StartsWith(line, "#")) continue;
    std::string name, value;
    std::map<std::string, std::string> labels;
    ASSERT_TRUE(ParseSample(line, &name, &labels, &value)) << line;
    ++samples;
    double number = 0;
    EXPECT_TRUE(absl::SimpleAtod(value, &number)) << line;
    EXPECT_TRUE(absl::StartsWith(name, "registryd_")) << line;
    for (const auto& [key, label] : labels) {
      if (key == "method") {
        EXPECT_TRUE(method_set.count(label)) << line;
      } else if (key == "outcome" && name == "registryd_health_checks_total") {
        EXPECT_TRUE(label == "answered" || label == "refused") << line;
      } else if (key == "outcome") {
        EXPECT_TRUE(outcomes.count(label)) << line;
      } else if (key == "reason") {
        EXPECT_TRUE(reasons.count(label)) << line;
      } else if (key == "result") {
        EXPECT_TRUE(label == "ok" || label == "failed") << line;
      } else if (key == "le") {
        double bound = 0;
        EXPECT_TRUE(label == "+Inf" || absl::SimpleAtod(label, &bound)) << line;
      } else if (key == "version") {
        uint32_t v = 0;
        EXPECT_TRUE(absl::SimpleAtoi(label, &v)) << line;
      } else {
        ADD_FAILURE() << "unexpected label " << key << " in " << line;
      }
    }
    std::string key = name;
    for (const auto& [k, v] : labels) absl::StrAppend(&key, "|", k, "=", v);
    values[key] = number;
  }
  EXPECT_GT(samples, 40);
  for (const std::string& secret : PersonalStrings(TestPerson().person())) {
    EXPECT_THAT(page, ::testing::Not(HasSubstr(secret))) << secret;
  }

  // The run shows in the counts.
  EXPECT_GE(values["registryd_calls_total|method=/registry.v1.RecordService/CreateRecord|outcome=OK"], 1);
  EXPECT_GE(values["registryd_calls_total|method=/registry.v1.RecordService/CreateRecord|outcome="
                   "INVALID_ARGUMENT"], 1);
  EXPECT_GE(values["registryd_rate_limit_refusals_total"], 1);
  EXPECT_GE(values["registryd_refused_certificates_total|reason=not_in_policy"], 1);
  EXPECT_GE(values["registryd_refused_certificates_total|reason=revoked"], 1);
  EXPECT_GE(values["registryd_refused_certificates_total|reason=not_one_identity"], 1);
  EXPECT_EQ(values["registryd_backups"], 1);
  EXPECT_EQ(values["registryd_backup_verifications_total|result=ok"], 1);
  EXPECT_EQ(values["registryd_kek_current_version"], 1);
  EXPECT_EQ(values["registryd_kek_version|version=1"], 1);
  EXPECT_EQ(values["registryd_audit_tree_size"],
            static_cast<double>(server_->server()->audit_log()->CurrentHead().size));
  EXPECT_GE(values["registryd_audit_group_commit_events_count"], 1);
  EXPECT_GE(values["registryd_retention_runs_total|result=ok"], 0);

  // Anything but GET /metrics is not served.
  httplib::Client http("127.0.0.1", server_->server()->metrics_port());
  auto other = http.Get("/");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
}

TEST_F(OperationsTest, TheMetricsListenerIsOffUnlessConfigured) {
  server_ = TestServer::Start();
  EXPECT_EQ(server_->server()->metrics_port(), 0);
}

TEST_F(OperationsTest, LogLinesOfAnEndToEndRunAreJsonWithTheCallFieldsAndNoPersonalData) {
  StartServer(/*log_calls=*/true);
  ::testing::internal::CaptureStderr();
  EndToEnd();
  server_->Stop();
  const std::string log = ::testing::internal::GetCapturedStderr();

  int calls = 0;
  for (const std::string& line :
       std::vector<std::string>(absl::StrSplit(log, '\n', absl::SkipEmpty()))) {
    if (line.size() > 5 && (line[0] == 'E' || line[0] == 'W' || line[0] == 'I') &&
        absl::ascii_isdigit(line[1])) {
      continue;  // gRPC's own diagnostics, not registryd's log
    }
    google::protobuf::Struct object;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &object).ok()) << line;
    const auto& f = object.fields();
    for (const char* key : {"time", "level", "msg"}) EXPECT_TRUE(f.count(key)) << line;
    if (f.count("msg") && f.at("msg").string_value() == "call") {
      ++calls;
      for (const char* key : {"request_id", "method", "role", "outcome", "duration_ms"}) {
        EXPECT_TRUE(f.count(key)) << key << " in " << line;
      }
    }
  }
  EXPECT_GT(calls, 10);
  for (const std::string& secret : PersonalStrings(TestPerson().person())) {
    EXPECT_THAT(log, ::testing::Not(HasSubstr(secret))) << secret;
  }
}

TEST(JsonLogTest, NoValueCanEndALineOrForgeAField) {
  const std::string line = LogLine("info", "call")
                               .Str("actor", "spiffe://x/a\"}\n{\"level\":\"forged")
                               .Str("org", "Prishtinë\\")
                               .Text(absl::UnixEpoch());
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  google::protobuf::Struct object;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &object).ok()) << line;
  EXPECT_EQ(object.fields().at("level").string_value(), "info");
  EXPECT_EQ(object.fields().at("actor").string_value(), "spiffe://x/a\"}\n{\"level\":\"forged");
}

class BackupVerifyTest : public OperationsTest {
 protected:
  void SetUp() override { StartServer(false); }

  uint32_t Backup() {
    v1::BackupInfo info;
    EXPECT_TRUE(
        CallAs("admin", &v1::AdminService::Stub::CreateBackup, v1::CreateBackupRequest(), &info)
            .ok());
    return info.backup_id();
  }

  // Edits backup `id`'s meta file as a bad disk or a hand might: its first file's checksum no
  // longer matches. Returns the meta file's path.
  std::string DamageMetaFileOf(uint32_t id) {
    const std::string meta = absl::StrCat(server_->config().backup_dir(), "/meta/", id);
    std::vector<std::string> lines = absl::StrSplit(ReadFileOrDie(meta), '\n');
    EXPECT_GT(lines.size(), 4u);
    if (lines.size() <= 4) return meta;
    // The first file's line (after the date, the sequence number, the metadata and the count).
    size_t first = 3;
    while (first < lines.size() && lines[first].find(" crc32 ") == std::string::npos) ++first;
    EXPECT_LT(first, lines.size()) << meta;
    if (first == lines.size()) return meta;
    const size_t crc = lines[first].find(" crc32 ");
    lines[first] = absl::StrCat(lines[first].substr(0, crc), " crc32 99999999999");
    std::ofstream(meta, std::ios::trunc) << absl::StrJoin(lines, "\n");
    return meta;
  }
};

TEST_F(BackupVerifyTest, ASoundBackupPassesEveryCheckAndTheCheckIsAudited) {
  for (int i = 0; i < 3; ++i) Create(registry::testing::FictionalRecord(i));
  const uint32_t id = Backup();
  Create(registry::testing::FictionalRecord(7));  // after the backup: the live log grows on
  v1::VerifyBackupResponse r;
  ASSERT_TRUE(VerifyBackup(id, &r).ok());
  EXPECT_TRUE(r.ok()) << r.DebugString();
  EXPECT_TRUE(r.files_intact());
  EXPECT_TRUE(r.audit_log_verified());
  EXPECT_TRUE(r.consistent_with_live_log());
  EXPECT_EQ(r.records(), 3u);
  EXPECT_EQ(r.problem_count(), 0u);
  EXPECT_LT(r.audit_events(), r.live_audit_events());
  // The check is on the record, with its result; the scratch folder is gone.
  auto* log = server_->server()->audit_log();
  v1::AuditEvent event;
  ASSERT_TRUE(event.ParseFromString(*log->ReadEvent(log->CurrentHead().size - 1)));
  EXPECT_EQ(event.action(), "/registry.v1.AdminService/VerifyBackup");
  EXPECT_THAT(event.reference(), HasSubstr("sound"));
  for (const auto& entry : std::filesystem::directory_iterator(server_->config().backup_dir())) {
    EXPECT_FALSE(absl::StartsWith(entry.path().filename().string(), "verify-")) << entry.path();
  }
}

// The gauges of the last data check, backup verification and signed head are read back from the
// audit log after a restart: they vanished until the next run (a day later), and an alert on them either
// fired for nothing or, written to ignore a missing series, never fired.
TEST_F(BackupVerifyTest, TheLastChecksAndSignedHeadGaugesAreReadBackFromTheAuditLogAfterARestart) {
  Create(registry::testing::FictionalRecord(1));
  const uint32_t id = Backup();
  v1::VerifyBackupResponse r;
  ASSERT_TRUE(VerifyBackup(id, &r).ok());
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(server_->server()->RunDataCheckOnce().ok());
  {
    grpc::ClientContext context;
    v1::SignedTreeHead head;
    ASSERT_TRUE(v1::AuditService::NewStub(server_->Channel("auditor"))
                    ->GetSignedTreeHead(&context, v1::GetSignedTreeHeadRequest(), &head)
                    .ok());
  }
  // Later events: the read goes back past them. Among them verifications that never ran, which
  // must not be read back as failed ones: a backup id that names none, and calls refused to
  // callers who may not verify (anyone with a certificate could make the gauge lie).
  for (int i = 0; i < 5; ++i) Create(registry::testing::FictionalRecord(10 + i));
  EXPECT_EQ(VerifyBackup(999, &r).error_code(), grpc::StatusCode::NOT_FOUND);
  for (const char* who : {"vetting", "clerk", "auditor"}) {
    grpc::ClientContext ctx;
    v1::VerifyBackupRequest req;
    req.set_backup_id(id);
    EXPECT_EQ(v1::AdminService::NewStub(server_->Channel(who))->VerifyBackup(&ctx, req, &r)
                  .error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << who;
  }
  // The gauges' lines, each name with its value.
  const auto gauges = [&] {
    std::map<std::string, double> found;
    for (absl::string_view line : absl::StrSplit(server_->server()->metrics().Render(), '\n')) {
      if (!absl::StartsWith(line, "registryd_data_check_") &&
          !absl::StartsWith(line, "registryd_backup_last_verification_") &&
          !absl::StartsWith(line, "registryd_audit_signed_head_age_seconds")) {
        continue;
      }
      const std::vector<std::string> parts = absl::StrSplit(line, ' ');
      double value = -1;
      EXPECT_TRUE(parts.size() == 2 && absl::SimpleAtod(parts[1], &value)) << line;
      found[parts[0]] = value;
    }
    return found;
  };
  const std::map<std::string, double> before = gauges();
  ASSERT_EQ(before.size(), 4u);
  EXPECT_EQ(before.at("registryd_data_check_problems"), 0);
  EXPECT_EQ(before.at("registryd_backup_last_verification_ok"), 1);

  ASSERT_TRUE(server_->Restart().ok());
  // Before the log is read back, the head's age is counted from the start.
  EXPECT_THAT(gauges(), ::testing::ElementsAre(::testing::Pair(
                            "registryd_audit_signed_head_age_seconds", ::testing::Lt(60.0))));
  ASSERT_TRUE(server_->server()->RecallLastChecks().ok());
  const std::map<std::string, double> after = gauges();
  ASSERT_EQ(after.size(), 4u);
  EXPECT_NEAR(after.at("registryd_audit_signed_head_age_seconds"),
              before.at("registryd_audit_signed_head_age_seconds"), 60.0);
  EXPECT_EQ(after.at("registryd_data_check_problems"), 0);
  EXPECT_EQ(after.at("registryd_backup_last_verification_ok"), 1);
  // The event's time, written just before the gauge was first set.
  EXPECT_NEAR(after.at("registryd_data_check_last_run_timestamp_seconds"),
              before.at("registryd_data_check_last_run_timestamp_seconds"), 5.0);
}

// A check stopped by a kill leaves its scratch copy of a backup behind: an unpruned copy, maybe
// from before the erasure ledger was applied to it. The next start deletes it before serving, and
// so does the next check.
TEST_F(BackupVerifyTest, AnInterruptedChecksScratchCopyIsDeletedAtStartAndByTheNextCheck) {
  Create(registry::testing::FictionalRecord(1));
  const uint32_t id = Backup();
  const std::filesystem::path backups(server_->config().backup_dir());
  const auto leave_scratch = [&](const std::string& name) {
    std::filesystem::create_directories(backups / name / "data");
    std::ofstream(backups / name / "data" / "000007.sst") << "a restored table file";
    ASSERT_TRUE(std::filesystem::exists(backups / name / "data" / "000007.sst"));
  };
  const auto scratch_left = [&] {
    std::vector<std::string> left;
    for (const auto& entry : std::filesystem::directory_iterator(backups)) {
      const std::string name = entry.path().filename().string();
      if (absl::StartsWith(name, "verify-")) left.push_back(name);
    }
    return left;
  };

  leave_scratch("verify-0123456789ab");
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_THAT(scratch_left(), ::testing::IsEmpty());

  leave_scratch("verify-ba9876543210");
  v1::VerifyBackupResponse r;
  ASSERT_TRUE(VerifyBackup(id, &r).ok());
  EXPECT_TRUE(r.ok()) << r.DebugString();
  EXPECT_THAT(scratch_left(), ::testing::IsEmpty());
  // The backup itself is untouched.
  ASSERT_TRUE(VerifyBackup(id, &r).ok());
  EXPECT_TRUE(r.ok()) << r.DebugString();
}

TEST_F(BackupVerifyTest, ADamagedBackupIsReportedAndAudited) {
  for (int i = 0; i < 3; ++i) Create(registry::testing::FictionalRecord(i));
  const uint32_t id = Backup();
  // Flip a byte in the middle of every table file the backup holds.
  int damaged = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(server_->config().backup_dir())) {
    if (entry.path().extension() != ".sst") continue;
    std::fstream f(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
    const auto size = std::filesystem::file_size(entry.path());
    f.seekg(static_cast<std::streamoff>(size / 2));
    char c = 0;
    f.get(c);
    f.seekp(static_cast<std::streamoff>(size / 2));
    f.put(static_cast<char>(c ^ 0x5a));
    ++damaged;
  }
  ASSERT_GT(damaged, 0);
  v1::VerifyBackupResponse r;
  ASSERT_TRUE(VerifyBackup(id, &r).ok());
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.files_intact());
  EXPECT_GT(r.problem_count(), 0u);
  auto* log = server_->server()->audit_log();
  v1::AuditEvent event;
  ASSERT_TRUE(event.ParseFromString(*log->ReadEvent(log->CurrentHead().size - 1)));
  EXPECT_EQ(event.action(), "/registry.v1.AdminService/VerifyBackup");
  EXPECT_THAT(event.reference(), HasSubstr("failed"));
  int status = 0;
  EXPECT_THAT(Scrape(&status), HasSubstr("registryd_backup_last_verification_ok 0"));
}

// A backup whose meta file does not parse (a checksum edited, as `sed -i '4s/crc32 [0-9]/crc32
// 9/'` does) vanished: `admin backups` left it out, `admin verify-backup 3` said NOT_FOUND, and
// `admin verify-backup` checked the backup before it as the newest, and no failed verification
// was counted. It is listed as damaged, and verifying it, by id or as the newest, fails, counted.
TEST_F(BackupVerifyTest, ABackupWithAnEditedMetaFileIsListedAndFailsVerificationAsDamaged) {
  Create(registry::testing::FictionalRecord(1));
  for (uint32_t want = 1; want <= 3; ++want) ASSERT_EQ(Backup(), want);
  const std::string meta = DamageMetaFileOf(3);

  v1::ListBackupsResponse listed;
  ASSERT_TRUE(
      CallAs("admin", &v1::AdminService::Stub::ListBackups, v1::ListBackupsRequest(), &listed)
          .ok());
  ASSERT_EQ(listed.backups_size(), 3) << listed.DebugString();
  EXPECT_EQ(listed.backups(2).backup_id(), 3u);
  EXPECT_THAT(listed.backups(2).damaged(), HasSubstr(meta));
  EXPECT_TRUE(listed.backups(1).damaged().empty());

  for (const uint32_t id : {3u, 0u}) {
    v1::VerifyBackupResponse r;
    ASSERT_TRUE(VerifyBackup(id, &r).ok()) << id;
    EXPECT_EQ(r.backup_id(), 3u) << "0 is the newest, damaged or not";
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(r.files_intact());
    ASSERT_GT(r.problems_size(), 0);
    EXPECT_THAT(r.problems(0), HasSubstr("backup 3 is damaged"));
  }
  const std::string metrics = server_->server()->metrics().Render();
  EXPECT_THAT(metrics, HasSubstr("\nregistryd_backup_last_verification_ok 0\n"));
  EXPECT_THAT(metrics, HasSubstr("registryd_backup_verifications_total{result=\"failed\"} 2\n"));
}

// With backup 1's record damaged and backup 2 intact, registryd_backups said 1 and no metric
// showed the damaged one: a backup that cannot be restored went unseen until someone needed it.
TEST_F(BackupVerifyTest, ADamagedBackupIsCountedOnItsOwnGaugeAndNotAmongTheBackups) {
  Create(registry::testing::FictionalRecord(1));
  for (uint32_t want = 1; want <= 2; ++want) ASSERT_EQ(Backup(), want);
  EXPECT_THAT(server_->server()->metrics().Render(),
              HasSubstr("\nregistryd_backups_damaged 0\n"));
  const std::string meta = DamageMetaFileOf(1);
  // The folder is read at start (a damaged backup keeps new backups from being made).
  ASSERT_TRUE(server_->Restart().ok());
  int status = 0;
  const std::string page = Scrape(&status);
  ASSERT_EQ(status, 200);
  EXPECT_THAT(page, HasSubstr("\nregistryd_backups 1\n"));
  EXPECT_THAT(page, HasSubstr("\n# TYPE registryd_backups_damaged gauge\n"));
  EXPECT_THAT(page, HasSubstr("\nregistryd_backups_damaged 1\n"));
}

// A backup damaged while registryd ran left registryd_backups and registryd_backups_damaged as
// the last backup or start set them: only those read the folder. Listing and verifying the
// backups read it too, and the gauges follow what they read.
TEST_F(BackupVerifyTest, ListingOrVerifyingTheBackupsRefreshesTheBackupGauges) {
  Create(registry::testing::FictionalRecord(1));
  for (uint32_t want = 1; want <= 2; ++want) ASSERT_EQ(Backup(), want);
  const auto metrics = [&] { return server_->server()->metrics().Render(); };
  EXPECT_THAT(metrics(), HasSubstr("\nregistryd_backups 2\n"));
  EXPECT_THAT(metrics(), HasSubstr("\nregistryd_backups_damaged 0\n"));
  DamageMetaFileOf(1);
  v1::VerifyBackupResponse r;
  ASSERT_TRUE(VerifyBackup(1, &r).ok());
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(metrics(), HasSubstr("\nregistryd_backups 1\n"));
  EXPECT_THAT(metrics(), HasSubstr("\nregistryd_backups_damaged 1\n"));
  DamageMetaFileOf(2);
  v1::ListBackupsResponse listed;
  ASSERT_TRUE(
      CallAs("admin", &v1::AdminService::Stub::ListBackups, v1::ListBackupsRequest(), &listed)
          .ok());
  EXPECT_THAT(metrics(), HasSubstr("\nregistryd_backups 0\n"));
  EXPECT_THAT(metrics(), HasSubstr("\nregistryd_backups_damaged 2\n"));
}

// One backup's record edited so that it describes a table file it shares with the others
// differently (`sed -i '4s/crc32 [0-9]*/crc32 12345/' meta/1`): every backup call answered
// "stored data is damaged ...; registryd --verify_data names what", which finds nothing, no
// backup was listed and none could be made. The wrong record's backup is listed as damaged with
// what to do, the others are listed and verified, and a new backup is refused with why (the
// backup folder, not the data), through the gate as it is.
TEST_F(BackupVerifyTest, TwoRecordsThatDescribeASharedFileDifferentlyAreNamedToTheOfficer) {
  Create(registry::testing::FictionalRecord(1));
  for (uint32_t want = 1; want <= 3; ++want) ASSERT_EQ(Backup(), want);
  const std::string meta = server_->config().backup_dir() + "/meta/1";
  ASSERT_NE(testing::EditSharedChecksum(server_->config().backup_dir(), 1, "12345"), "");

  auto admin = v1::AdminService::NewStub(server_->Channel("admin"));
  grpc::ClientContext list_ctx;
  list_ctx.set_deadline(Deadline());
  v1::ListBackupsResponse listed;
  const grpc::Status list = admin->ListBackups(&list_ctx, v1::ListBackupsRequest(), &listed);
  ASSERT_TRUE(list.ok()) << list.error_message();
  ASSERT_EQ(listed.backups_size(), 3) << listed.DebugString();
  EXPECT_THAT(listed.backups(0).damaged(), HasSubstr("describes the shared file"));
  EXPECT_THAT(listed.backups(0).damaged(), HasSubstr(absl::StrCat("move ", meta, " out of")));
  EXPECT_TRUE(listed.backups(1).damaged().empty());
  EXPECT_TRUE(listed.backups(2).damaged().empty());

  v1::VerifyBackupResponse r;
  ASSERT_TRUE(VerifyBackup(1, &r).ok());
  EXPECT_FALSE(r.ok());
  ASSERT_GT(r.problems_size(), 0);
  EXPECT_THAT(r.problems(0), HasSubstr("backup 1 is damaged"));
  r.Clear();
  ASSERT_TRUE(VerifyBackup(2, &r).ok());
  EXPECT_TRUE(r.ok()) << r.DebugString();

  grpc::ClientContext make_ctx;
  make_ctx.set_deadline(Deadline());
  v1::BackupInfo made;
  const grpc::Status make = admin->CreateBackup(&make_ctx, v1::CreateBackupRequest(), &made);
  EXPECT_EQ(make.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << make.error_message();
  EXPECT_THAT(make.error_message(), HasSubstr("no backup can be made or pruned"));
  EXPECT_THAT(make.error_message(), HasSubstr(meta));
  EXPECT_THAT(make.error_message(), ::testing::Not(HasSubstr("--verify_data")));
}

TEST_F(BackupVerifyTest, ABackupThatIsNotAPrefixOfTheLiveLogIsReported) {
  Create(registry::testing::FictionalRecord(1));
  const uint32_t id = Backup();
  // Another registry's log: same size or larger, other events.
  auto other = TestServer::Start();
  for (int i = 0; i < 5; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline());
    v1::CreateRecordResponse resp;
    ASSERT_TRUE(v1::RecordService::NewStub(other->Channel("clerk"))
                    ->CreateRecord(&ctx, registry::testing::FictionalRecord(10 + i), &resp)
                    .ok());
  }
  absl::StatusOr<v1::VerifyBackupResponse> r =
      server::CheckBackup(server_->config(), id, *other->server()->audit_log(),
                          *server_->server()->database());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->files_intact());
  EXPECT_TRUE(r->audit_log_verified());
  EXPECT_FALSE(r->consistent_with_live_log());
  EXPECT_FALSE(r->ok());
}

// A mistyped backup id is NOT_FOUND, and no failed verification: the runbook treats
// registryd_backup_last_verification_ok 0 as an incident.
TEST_F(BackupVerifyTest, NoSuchBackupIsNotFoundAndNoFailedVerification) {
  v1::VerifyBackupResponse r;
  EXPECT_EQ(VerifyBackup(0, &r).error_code(), grpc::StatusCode::NOT_FOUND);
  const uint32_t id = Backup();
  ASSERT_TRUE(VerifyBackup(id, &r).ok());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(VerifyBackup(99, &r).error_code(), grpc::StatusCode::NOT_FOUND);
  const std::string metrics = server_->server()->metrics().Render();
  EXPECT_THAT(metrics, HasSubstr("\nregistryd_backup_last_verification_ok 1\n"));
  EXPECT_THAT(metrics, HasSubstr("registryd_backup_verifications_total{result=\"failed\"} 0\n"));
}

TEST_F(BackupVerifyTest, TheScheduledBackupIsAuditedAsTheSystemsAndPrunes) {
  const uint32_t first = Backup();
  absl::StatusOr<v1::BackupInfo> made = server_->server()->RunScheduledBackupOnce();
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_GT(made->backup_id(), first);
  auto* log = server_->server()->audit_log();
  v1::AuditEvent event;
  ASSERT_TRUE(event.ParseFromString(*log->ReadEvent(log->CurrentHead().size - 1)));
  EXPECT_EQ(event.actor(), "system:backup");
  EXPECT_EQ(event.action(), "scheduled-backup");
  EXPECT_THAT(event.reference(), HasSubstr(absl::StrCat("backup-", made->backup_id())));
  int status = 0;
  EXPECT_THAT(Scrape(&status), HasSubstr("\nregistryd_backups 2\n"));
}

// A backup folder registryd cannot write is the security officer's to put right (a mode, an
// owner, a read-only mount), not a failed disk: every backup call names the folder and the
// system's reason with FAILED_PRECONDITION, never the text that tells the operator to restart
// registryd after a disk failure. (A file put where the folder was: root, which runs the tests
// here, may write a folder of any mode.)
TEST_F(BackupVerifyTest, ABackupFolderThatCannotBeWrittenIsNamedWithItsReasonNotAsAFailedDisk) {
  const uint32_t id = Backup();
  ASSERT_GT(id, 0u);
  const std::string dir = server_->config().backup_dir();
  std::filesystem::rename(dir, dir + ".aside");
  std::ofstream(dir) << "not a folder";
  const auto expect_named = [&](const grpc::Status& s, absl::string_view call) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << call << ": " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(absl::StrCat("the backup folder ", dir,
                                                          " is not a folder")))
        << call;
    EXPECT_THAT(s.error_message(), ::testing::Not(HasSubstr("cannot record this call"))) << call;
  };
  auto admin = v1::AdminService::NewStub(server_->Channel("admin"));
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline());
    v1::BackupInfo info;
    expect_named(admin->CreateBackup(&ctx, v1::CreateBackupRequest(), &info), "backup");
  }
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline());
    v1::ListBackupsResponse list;
    expect_named(admin->ListBackups(&ctx, v1::ListBackupsRequest(), &list), "backups");
  }
  v1::VerifyBackupResponse r;
  expect_named(VerifyBackup(id, &r), "verify-backup");
  // A check that could not be made found nothing wrong with the backup: no failed verification
  // for the runbook's incident.
  EXPECT_THAT(server_->server()->metrics().Render(),
              HasSubstr("registryd_backup_verifications_total{result=\"failed\"} 0\n"));
  // The schedule's step fails the same way, and says so in the server's log.
  absl::StatusOr<v1::BackupInfo> scheduled = server_->server()->RunScheduledBackupOnce();
  EXPECT_EQ(scheduled.status().code(), absl::StatusCode::kFailedPrecondition)
      << scheduled.status();
  EXPECT_THAT(std::string(scheduled.status().message()), HasSubstr(dir));
  // The age of the newest backup is still there, growing, for the alert.
  int status = 0;
  const std::string page = Scrape(&status);
  EXPECT_THAT(page, HasSubstr("\nregistryd_backup_age_seconds "));
  EXPECT_THAT(page, HasSubstr("\nregistryd_backups 1\n"));

  // Put right, it works again.
  std::filesystem::remove(dir);
  std::filesystem::rename(dir + ".aside", dir);
  EXPECT_GT(Backup(), id);
  if (::geteuid() == 0) return;
  // Read-only for its own user, as a read-only mount makes it (only a user other than root can
  // see that): the folder and the backup engine's folders in it.
  std::vector<std::string> folders = {dir};
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_directory()) folders.push_back(entry.path().string());
  }
  for (const std::string& f : folders) ASSERT_EQ(::chmod(f.c_str(), 0500), 0) << f;
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  v1::BackupInfo info;
  const grpc::Status s = admin->CreateBackup(&ctx, v1::CreateBackupRequest(), &info);
  for (const std::string& f : folders) ::chmod(f.c_str(), 0700);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("cannot be written: Permission denied"));
  EXPECT_THAT(s.error_message(), HasSubstr(dir));
}

// registryd_backup_age_seconds is always on the page: from the newest backup registryd knows of,
// and from its start while it knows of none (none made yet, or the folder cannot be read), so
// that the documented alert (age above interval_hours + 1 h) fires when backups never succeed.
// The value of the gauge `name` on the metrics page; -1 when it is not there.
double GaugeOnPage(const server::Metrics& metrics, absl::string_view name) {
  const std::string page = metrics.Render();
  const std::string line_start = absl::StrCat("\n", name, " ");
  const size_t at = page.find(line_start);
  if (at == std::string::npos) return -1;
  const size_t from = at + line_start.size();
  double value = -1;
  EXPECT_TRUE(absl::SimpleAtod(page.substr(from, page.find('\n', from) - from), &value));
  return value;
}

// A check that cannot make its scratch folder in the backup folder said "cannot create a scratch
// folder in the backup folder to restore the backup into: Permission denied": which folder, and
// what to put right, were left to guess. It names the folder and says what to see to, as a
// backup does. (Root writes a folder of any mode: it is made immutable then.)
TEST_F(BackupVerifyTest, AScratchFolderThatCannotBeMadeNamesTheBackupFolderAndWhatToSeeTo) {
  const uint32_t id = Backup();
  ASSERT_GT(id, 0u);
  const std::string dir = server_->config().backup_dir();
  const std::string lock = ::geteuid() == 0 ? absl::StrCat("chattr +i ", dir, " 2>/dev/null")
                                            : absl::StrCat("chmod 0500 ", dir);
  const std::string unlock = ::geteuid() == 0 ? absl::StrCat("chattr -i ", dir, " 2>/dev/null")
                                              : absl::StrCat("chmod 0700 ", dir);
  if (std::system(lock.c_str()) != 0) GTEST_SKIP() << "cannot make " << dir << " unwritable";
  v1::VerifyBackupResponse r;
  const grpc::Status s = VerifyBackup(id, &r);
  ASSERT_EQ(std::system(unlock.c_str()), 0);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(),
              HasSubstr(absl::StrCat("cannot create a scratch folder in the backup folder ", dir,
                                     " to restore the backup into: ")));
  EXPECT_THAT(s.error_message(), HasSubstr("see to the folder's owner and mode"));
  EXPECT_THAT(s.error_message(), HasSubstr("Nothing was found wrong with the backup"));
  // Put right, the check is made.
  ASSERT_TRUE(VerifyBackup(id, &r).ok());
}

TEST(BackupAgeTest, TheAgeCountsFromTheStartUntilABackupIsKnownAndGrowsWhileBackupsFail) {
  FakeClock clock(absl::FromUnixSeconds(1800000000));
  server::Metrics metrics(&clock);
  const auto age = [&] { return GaugeOnPage(metrics, "registryd_backup_age_seconds"); };
  const double alert = absl::ToDoubleSeconds(absl::Hours(24 + 1));
  EXPECT_EQ(age(), 0);
  EXPECT_THAT(metrics.Render(), ::testing::Not(HasSubstr("\nregistryd_backups ")));
  // The backup folder could not be read at start, and no backup was ever made.
  clock.Advance(absl::Hours(25) + absl::Minutes(1));
  EXPECT_GT(age(), alert);
  // Read, and empty: still from the start.
  metrics.RecordBackups(0, absl::InfinitePast(), 0);
  EXPECT_GT(age(), alert);
  EXPECT_THAT(metrics.Render(), HasSubstr("\nregistryd_backups 0\n"));
  metrics.RecordBackups(1, clock.Now(), 0);
  EXPECT_EQ(age(), 0);
  // Every backup since failed: nothing new is recorded, and the age passes the alert.
  clock.Advance(absl::Hours(26));
  EXPECT_GT(age(), alert);
}

// registryd_audit_signed_head_age_seconds was absent until an auditor first fetched a head, so
// the documented alert ("above a day: the auditors are not fetching signed heads") never fired
// where auditors never fetch them. It counts from the start while the log holds no head.
TEST(SignedHeadAgeTest, TheAgeCountsFromTheStartUntilAHeadIsSigned) {
  FakeClock clock(absl::FromUnixSeconds(1800000000));
  server::Metrics metrics(&clock);
  const auto age = [&] { return GaugeOnPage(metrics, "registryd_audit_signed_head_age_seconds"); };
  EXPECT_EQ(age(), 0);
  clock.Advance(absl::Hours(25));
  EXPECT_EQ(age(), absl::ToDoubleSeconds(absl::Hours(25)));
  metrics.RecordSignedHead(clock.Now() - absl::Hours(1));
  EXPECT_EQ(age(), 3600);
}

// A backup folder registryd cannot write stops the start, as --check_config (the unit's
// ExecStartPre) reports it, instead of being found by the first backup a day later.
TEST(BackupFolderStartTest, AStartIsRefusedWhenTheBackupFolderIsNoFolderItCanWrite) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  const std::string dir = server->config().backup_dir();
  server->Stop();
  std::filesystem::remove_all(dir);
  std::ofstream(dir) << "not a folder";
  const absl::Status started = server->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
  EXPECT_THAT(std::string(started.message()),
              HasSubstr(absl::StrCat("backup_dir: ", dir, " is not a folder")));
  std::filesystem::remove(dir);
  EXPECT_TRUE(server->Restart().ok());

  // The backup engine's own folders in it too: one that is no folder (or that this user cannot
  // write, which root always can) fails every backup, and was found only by the first one.
  server->Stop();
  std::filesystem::create_directories(dir);
  std::filesystem::remove_all(dir + "/meta");
  std::ofstream(dir + "/meta") << "not a folder";
  const absl::Status engine = server->Restart();
  EXPECT_EQ(engine.code(), absl::StatusCode::kFailedPrecondition) << engine;
  EXPECT_THAT(std::string(engine.message()),
              HasSubstr(absl::StrCat("backup_dir: the backup folder ", dir,
                                     "/meta is not a folder")));
  std::filesystem::remove(dir + "/meta");
  EXPECT_TRUE(server->Restart().ok());
}

// A call whose audit event cannot be written is answered UNAVAILABLE: its log line says so (at
// level error), not the outcome the handler had decided before the write failed.
TEST(CallLogTest, TheLineStatesTheAnswerTheCallerGot) {
  SwitchableFault fault;
  TestServerOptions options;
  options.log_calls = true;
  options.fault_injector = &fault;
  std::unique_ptr<TestServer> server = TestServer::Start(std::move(options));
  auto stub = v1::RecordService::NewStub(server->Channel("court"));
  v1::GetRecordRequest req;
  req.set_record_id(std::string(32, 'e'));
  req.mutable_purpose()->set_case_reference("PKR 77/2026");
  req.mutable_purpose()->set_purpose_code("criminal_proceedings");
  ::testing::internal::CaptureStderr();
  fault.set_failing(true);
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  ctx.AddMetadata("x-request-id", "log-outcome-probe");
  v1::GetRecordResponse resp;
  const grpc::Status s = stub->GetRecord(&ctx, req, &resp);
  fault.set_failing(false);
  server->Stop();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  std::string line;
  for (const std::string& l :
       std::vector<std::string>(absl::StrSplit(log, '\n', absl::SkipEmpty()))) {
    if (absl::StrContains(l, "log-outcome-probe")) line = l;
  }
  ASSERT_FALSE(line.empty()) << log;
  google::protobuf::Struct object;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &object).ok()) << line;
  EXPECT_EQ(object.fields().at("outcome").string_value(), "UNAVAILABLE") << line;
  EXPECT_EQ(object.fields().at("level").string_value(), "error") << line;
  EXPECT_EQ(object.fields().at("seq").number_value(), -1) << line;
}

// A second registryd (same user, another data directory) must not share a port that one is
// serving on: with SO_REUSEPORT the kernel would split the calls between two registries and two
// audit logs without a word. Start-up fails instead, for the gRPC port and the metrics port.
TEST(ListenerTest, ASecondServerCannotListenOnAPortInUse) {
  TestServerOptions first_options;
  first_options.metrics_listen_address = "127.0.0.1:0";
  std::unique_ptr<TestServer> first = TestServer::Start(std::move(first_options));
  ASSERT_GT(first->server()->metrics_port(), 0);
  std::unique_ptr<TestServer> second = TestServer::Start();
  v1::ServerConfig config = second->config();
  second->Stop();

  const auto start = [](const v1::ServerConfig& c) {
    server::RegistryServerOptions o;
    o.config = c;
    o.start_scheduler = false;
    o.start_backup_scheduler = false;
    return server::RegistryServer::Start(std::move(o));
  };
  config.set_listen_address(first->address());
  absl::StatusOr<std::unique_ptr<server::RegistryServer>> same_port = start(config);
  EXPECT_EQ(same_port.status().code(), absl::StatusCode::kUnavailable) << same_port.status();
  if (same_port.ok()) (*same_port)->Shutdown(absl::Seconds(2));

  config.set_listen_address("127.0.0.1:0");
  config.mutable_metrics()->set_listen_address(
      absl::StrCat("127.0.0.1:", first->server()->metrics_port()));
  absl::StatusOr<std::unique_ptr<server::RegistryServer>> same_metrics = start(config);
  EXPECT_EQ(same_metrics.status().code(), absl::StatusCode::kUnavailable)
      << same_metrics.status();
  if (same_metrics.ok()) (*same_metrics)->Shutdown(absl::Seconds(2));
}

// Connections to a metrics port that send the start of a request and then one header line
// every `every`, never its end, for as long as the client runs (a slow client). A
// connection the server closes or answers is counted as cut and opened again, so the client
// holds `connections` of them throughout.
class SlowMetricsClient {
 public:
  SlowMetricsClient(int port, int connections, absl::Duration every)
      : port_(port), fds_(connections, -1), every_(every) {
    thread_ = std::thread([this] { Run(); });
  }
  ~SlowMetricsClient() { Stop(); }

  // Waits until `n` header lines in all were sent, at most `timeout`.
  bool AwaitLines(int n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    const auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return lines_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }
  // Waits until the server closed (or answered) `n` connections, at most `timeout`.
  bool AwaitCut(int n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    const auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return cut_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }
  bool running() const { return !stop_.HasBeenNotified(); }
  void Stop() {
    if (!stop_.HasBeenNotified()) stop_.Notify();
    if (thread_.joinable()) thread_.join();
    for (int& fd : fds_) {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
  }

 private:
  int Connect() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      if (fd >= 0) ::close(fd);
      return -1;
    }
    const std::string start = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
    if (::send(fd, start.data(), start.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(start.size())) {
      ::close(fd);
      return -1;
    }
    return fd;
  }

  // True when the server closed the connection or wrote to it (an answer to a request it gave
  // up on): either way it let the connection go.
  static bool LetGo(int fd) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    char buf[256];
    return ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0 || errno != EAGAIN;
  }

  void Run() {
    int n = 0;
    do {
      for (int& fd : fds_) {
        if (fd >= 0 && LetGo(fd)) {
          ::close(fd);
          fd = -1;
          absl::MutexLock lock(&mu_);
          ++cut_;
        }
        if (fd < 0) {
          fd = Connect();
          continue;
        }
        const std::string line = absl::StrCat("X-Slow-", n++, ": y\r\n");
        if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(line.size())) {
          absl::MutexLock lock(&mu_);
          ++lines_;
        }
      }
    } while (!stop_.WaitForNotificationWithTimeout(every_));
  }

  const int port_;
  std::vector<int> fds_;
  const absl::Duration every_;
  absl::Notification stop_;
  absl::Mutex mu_;
  int lines_ ABSL_GUARDED_BY(mu_) = 0;
  int cut_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

// cpp-httplib's read timeout starts again with every byte: a client that sent a header line every
// few seconds held a worker, and the listener's stop, for as long as it went on. Stop() now ends
// every connection's wait at once, even under a request deadline far longer than the test.
TEST(MetricsEndpointTest, StopEndsConnectionsThatTrickleTheirRequestAtOnce) {
  server::Metrics metrics(SystemClock::Get());
  server::MetricsEndpointLimits limits;
  limits.request_deadline = absl::Hours(1);
  absl::StatusOr<std::unique_ptr<server::MetricsEndpoint>> endpoint =
      server::MetricsEndpoint::Start("127.0.0.1:0", &metrics, limits);
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  SlowMetricsClient slow((*endpoint)->port(), 2, absl::Milliseconds(100));
  // Both connections are well into their requests (workers took them up).
  ASSERT_TRUE(slow.AwaitLines(6, absl::Seconds(20)));
  std::future<void> stopped =
      std::async(std::launch::async, [&] { (*endpoint)->Stop(); });
  EXPECT_EQ(stopped.wait_for(std::chrono::seconds(20)), std::future_status::ready)
      << "Stop() waited for the slow client";
  // The client was still going when the stop was done; the stop let its connections go.
  EXPECT_TRUE(slow.running());
  EXPECT_TRUE(slow.AwaitCut(2, absl::Seconds(20)));
  slow.Stop();
  stopped.wait();
}

// A handful of slow connections no longer starves the scrape: each gives its worker back at its
// request deadline, so a scrape queued behind twice as many of them as there are workers is
// answered, and the slow connections are let go.
TEST(MetricsEndpointTest, AScrapeIsAnsweredWhileSlowConnectionsHoldEveryWorker) {
  server::Metrics metrics(SystemClock::Get());
  server::MetricsEndpointLimits limits;
  limits.request_deadline = absl::Seconds(1);
  limits.workers = 2;
  absl::StatusOr<std::unique_ptr<server::MetricsEndpoint>> endpoint =
      server::MetricsEndpoint::Start("127.0.0.1:0", &metrics, limits);
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  SlowMetricsClient slow((*endpoint)->port(), 2 * limits.workers, absl::Milliseconds(100));
  ASSERT_TRUE(slow.AwaitLines(8, absl::Seconds(20)));
  httplib::Client http("127.0.0.1", (*endpoint)->port());
  http.set_read_timeout(60, 0);
  auto res = http.Get("/metrics");
  ASSERT_TRUE(res) << "no answer while slow connections held the workers";
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->body, HasSubstr("# TYPE registryd_backup_age_seconds gauge"));
  EXPECT_EQ(res->get_header_value("Connection"), "close");
  EXPECT_TRUE(slow.AwaitCut(2 * limits.workers, absl::Seconds(30)))
      << "slow connections were not let go at their deadline";
  slow.Stop();
  (*endpoint)->Stop();
}

// registryd's probe of its own gRPC listener: a listener that takes connections answers (gRPC
// ends one whose bytes are no TLS handshake); one that never accepts (as gRPC 1.51's, once it
// ran out of open files) leaves the connection in its backlog unanswered, and so does a port
// nobody listens on.
TEST(ListenerProbeTest, OnlyAListenerThatTakesConnectionsAnswers) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  int port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(server->address().substr(server->address().rfind(':') + 1), &port));
  EXPECT_TRUE(server::ListenerAnswers("127.0.0.1", port, absl::Seconds(20)));
  // A listen address may be a name, as gRPC takes it: the probe resolves it (it gave up on
  // names, and so stopped a healthy registry every 90 s).
  EXPECT_TRUE(server::ListenerAnswers("localhost", port, absl::Seconds(20)));

  testing::HeldPort deaf(16);
  ASSERT_GT(deaf.port(), 0);
  const int deaf_port = deaf.port();
  EXPECT_EQ(server::ProbeListener("127.0.0.1", deaf_port, absl::Milliseconds(500)),
            server::ListenerProbe::kNoConnection);
  deaf.Close();
  EXPECT_EQ(server::ProbeListener("127.0.0.1", deaf_port, absl::Milliseconds(500)),
            server::ListenerProbe::kNoConnection);
  EXPECT_EQ(server::ProbeListener("127.0.0.1", port, absl::Seconds(20)),
            server::ListenerProbe::kServerHello);

  EXPECT_EQ(server::ProbeHostFor("0.0.0.0"), "127.0.0.1");
  EXPECT_EQ(server::ProbeHostFor("[::]"), "::1");
  EXPECT_EQ(server::ProbeHostFor("10.1.2.3"), "10.1.2.3");
  EXPECT_EQ(server::ProbeHostFor("[fd00::1]"), "fd00::1");
}

// A listener that takes connections but completes no TLS handshake (gRPC with a server
// certificate or key replaced by a damaged or mismatched one) is told apart from one that takes
// none: it closes the connection, at once or after reading the ClientHello, or answers with an
// alert. A close before the ClientHello is written must not end the process with SIGPIPE.
TEST(ListenerProbeTest, AListenerThatTakesConnectionsButDoesNoTlsIsNoHandshake) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(listener, 16), 0);
  socklen_t length = sizeof(addr);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &length), 0);
  const int port = ntohs(addr.sin_port);
  enum class Answer { kCloseAtOnce, kResetAtOnce, kCloseAfterReading, kAlert };
  for (const Answer answer :
       {Answer::kCloseAtOnce, Answer::kResetAtOnce, Answer::kCloseAfterReading, Answer::kAlert}) {
    SCOPED_TRACE(static_cast<int>(answer));
    std::thread server([&] {
      const int fd = ::accept(listener, nullptr, nullptr);
      if (fd < 0) return;
      if (answer == Answer::kResetAtOnce) {
        const linger reset{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
      }
      if (answer == Answer::kCloseAfterReading || answer == Answer::kAlert) {
        char hello[512];
        ::recv(fd, hello, sizeof(hello), 0);
      }
      if (answer == Answer::kAlert) {
        // A fatal handshake_failure alert.
        const unsigned char alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
        ::send(fd, alert, sizeof(alert), MSG_NOSIGNAL);
      }
      ::close(fd);
    });
    EXPECT_EQ(server::ProbeListener("127.0.0.1", port, absl::Seconds(20)),
              server::ListenerProbe::kNoHandshake);
    server.join();
  }
  ::close(listener);
}

// A connection that never finishes its TLS handshake is closed after handshake_timeout, not
// gRPC's 120 s: a flood of silent connections held the listener's files (and with them gRPC's
// accept loop) for two minutes each. One that sends half a handshake is closed likewise.
TEST(ListenerTest, AConnectionThatNeverFinishesItsHandshakeIsClosed) {
  TestServerOptions options;
  options.handshake_timeout = absl::Milliseconds(300);
  std::unique_ptr<TestServer> server = TestServer::Start(std::move(options));
  int port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(server->address().substr(server->address().rfind(':') + 1), &port));
  for (const std::string& sent : {std::string(), std::string("\x16\x03\x01\x02\x00\x01", 6)}) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    if (!sent.empty()) {
      ASSERT_EQ(::send(fd, sent.data(), sent.size(), MSG_NOSIGNAL), 6);
    }
    // The server's close ends the wait; gRPC's default would hold the connection for 120 s,
    // past this bound.
    pollfd p{fd, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 60000), 1) << "the connection was still open after 60 s";
    char byte = 0;
    EXPECT_LE(::recv(fd, &byte, 1, 0), 0);
    ::close(fd);
  }
  // A client that completes its handshake is served as before.
  EXPECT_TRUE(server::ListenerAnswers("127.0.0.1", port, absl::Seconds(20)));
}

// Connections waiting for a worker hold registryd's open files: past max_waiting they are closed
// at once, unserved. A flood of idle connections had no bound, and used up the files the gRPC
// listener and RocksDB need.
TEST(MetricsEndpointTest, ConnectionsBeyondTheWaitingBoundAreClosedAtOnce) {
  server::Metrics metrics(SystemClock::Get());
  server::MetricsEndpointLimits limits;
  limits.request_deadline = absl::Hours(1);  // only the bound can let these go
  limits.workers = 1;
  limits.max_waiting = 2;
  absl::StatusOr<std::unique_ptr<server::MetricsEndpoint>> endpoint =
      server::MetricsEndpoint::Start("127.0.0.1:0", &metrics, limits);
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  constexpr int kConnections = 10;
  std::vector<int> fds;
  for (int i = 0; i < kConnections; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>((*endpoint)->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    fds.push_back(fd);
  }
  // Each connection either stays (served or waiting) or is closed by the server: wait for the
  // closed ones, at most 30 s.
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  int closed = 0;
  std::vector<bool> done(fds.size(), false);
  while (closed < kConnections - 3 && absl::Now() < give_up) {
    for (size_t i = 0; i < fds.size(); ++i) {
      if (done[i]) continue;
      pollfd p{fds[i], POLLIN, 0};
      char byte;
      if (::poll(&p, 1, 0) > 0 && ::recv(fds[i], &byte, 1, MSG_DONTWAIT) <= 0) {
        done[i] = true;
        ++closed;
      }
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(closed, kConnections - 3) << "one served and two waiting; every other one closed";
  (*endpoint)->Stop();
  for (const int fd : fds) ::close(fd);
}

// registryd's stop under slow clients of the metrics port: gRPC refuses new calls first, the
// clean stop (watermark, flush) is done, and only then the metrics listener stops, at once,
// while the slow client still sends. It had stopped the metrics listener first and waited there
// as long as the client went on (90 s for two connections), serving gRPC calls meanwhile, past
// the unit's TimeoutStopSec.
TEST(ShutdownTest, SlowMetricsClientsDoNotHoldTheStopAndGrpcStopsFirst) {
  std::unique_ptr<TestServer> made = TestServer::Start();
  v1::ServerConfig config = made->config();
  made->Stop();
  config.mutable_metrics()->set_listen_address("127.0.0.1:0");
  server::RegistryServerOptions options;
  options.config = config;
  options.start_scheduler = false;
  options.start_backup_scheduler = false;
  options.start_data_checks = false;
  options.log_calls = false;
  std::string address;
  int metrics_port = 0;
  grpc::Status call_during_stop;
  int scrape_during_stop = 0;
  options.before_metrics_stop = [&] {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::PublicKey key;
    call_during_stop = v1::VettingService::NewStub(MakeChannel(address, "clerk"))
                           ->GetVettingPublicKey(&ctx, {}, &key);
    httplib::Client http("127.0.0.1", metrics_port);
    http.set_read_timeout(20, 0);
    auto res = http.Get("/metrics");
    scrape_during_stop = res ? res->status : -1;
  };
  absl::StatusOr<std::unique_ptr<server::RegistryServer>> server =
      server::RegistryServer::Start(std::move(options));
  ASSERT_TRUE(server.ok()) << server.status();
  address = absl::StrCat("127.0.0.1:", (*server)->port());
  metrics_port = (*server)->metrics_port();
  ASSERT_GT(metrics_port, 0);
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline());
    v1::PublicKey key;
    ASSERT_TRUE(v1::VettingService::NewStub(MakeChannel(address, "clerk"))
                    ->GetVettingPublicKey(&ctx, {}, &key)
                    .ok());
  }
  SlowMetricsClient slow(metrics_port, 2, absl::Milliseconds(100));
  ASSERT_TRUE(slow.AwaitLines(6, absl::Seconds(20)));
  std::future<void> stopped =
      std::async(std::launch::async, [&] { (*server)->Shutdown(absl::Seconds(10)); });
  EXPECT_EQ(stopped.wait_for(std::chrono::seconds(20)), std::future_status::ready)
      << "the stop waited for the slow metrics client";
  EXPECT_TRUE(slow.running());
  slow.Stop();
  stopped.wait();
  EXPECT_FALSE(call_during_stop.ok()) << "gRPC still served while the metrics listener ran on";
  EXPECT_EQ(call_during_stop.error_code(), grpc::StatusCode::UNAVAILABLE)
      << call_during_stop.error_message();
  EXPECT_EQ(scrape_during_stop, 200) << "the metrics listener stopped before gRPC";
}

}  // namespace
}  // namespace registry::testing

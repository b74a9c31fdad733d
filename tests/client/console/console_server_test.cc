// registry-console's HTTP handlers against a fake registry: the start secret and the session
// cookie, CSRF tokens, the security headers of every response, the Host and cross-site checks,
// role gating (a refused page asks the registry nothing), and the escaping of every string the
// registry sends.
#include "client/console/console_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <tuple>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "client/console/catalog.h"
#include "client/console/html.h"
#include "client/console/record_form.h"
#include "common/country_codes.h"
#include "common/daily_limit_text.h"
#include "common/reference_text.h"
#include "client/console/registry_api.h"
#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "crypto/secret_bytes.h"
#include "crypto/tree_head.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "httplib.h"

namespace registry::console {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// What a hostile registry (or whoever wrote into it) would put in every string: markup, a quote
// to leave an attribute, a right-to-left override and a terminal escape.
constexpr char kHostile[] = "<script>alert(1)</script>\"'&\xe2\x80\xae\x1b[31m";

// Every string field of `message`, at any depth, set to kHostile (one item for lists).
void Poison(Message* message, int depth = 0) {
  if (depth > 6) return;
  const auto* descriptor = message->GetDescriptor();
  const auto* reflection = message->GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
        field->type() == FieldDescriptor::TYPE_STRING) {
      if (field->is_repeated()) {
        reflection->AddString(message, field, kHostile);
      } else {
        reflection->SetString(message, field, kHostile);
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      Message* child = field->is_repeated() ? reflection->AddMessage(message, field)
                                            : reflection->MutableMessage(message, field);
      Poison(child, depth + 1);
    }
  }
}

// Nothing the registry sent is markup or reorders text; what it sent is shown, escaped. Inside a
// form's input or text area a value is the data itself, which the official edits and sends back:
// there it is only HTML-escaped (it cannot leave its attribute or element), and it cannot reorder
// text outside its own box.
void ExpectInert(const std::string& body, const std::string& where) {
  EXPECT_FALSE(absl::StrContains(body, "<script>alert")) << where;
  EXPECT_FALSE(absl::StrContains(body, "\"'&")) << where;
  const std::string shown = std::regex_replace(
      std::regex_replace(body, std::regex("value=\"[^\"<>]*\""), "value=\"\""),
      std::regex("(<textarea[^>]*>)[^<]*</textarea>"), "$1</textarea>");
  EXPECT_FALSE(absl::StrContains(shown, "\xe2\x80\xae")) << where << ": a raw U+202E";
  EXPECT_FALSE(absl::StrContains(shown, "\x1b")) << where << ": a raw escape";
  EXPECT_TRUE(absl::StrContains(body, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;\\u202e\\x1b[31m"))
      << where << ": the registry's text is shown, escaped\n" << body;
}

const char kRecordId[] = "0123456789abcdef0123456789abcdef";

// The build's test PKI (ctest names it; run by hand, the build directory's).
std::string TestPki() {
  const char* dir = getenv("REGISTRY_TEST_PKI_DIR");
  return dir != nullptr && *dir != '\0' ? dir : REGISTRY_BINARY_DIR "/test-pki";
}

class FakeRegistry final : public Registry {
 public:
  // Every call but WhoAmI and GetReferenceData (which a session's start makes); and those of
  // them that change something in the registry.
  std::atomic<int> calls{0};
  std::atomic<int> changes{0};
  v1::WhoAmIResponse who;
  v1::GetReferenceDataResponse reference;
  v1::Record record;
  v1::GetRecordHistoryResponse history;
  v1::SearchRecordsResponse search;
  v1::VettingCheckResponse vetting;
  v1::ListChecksAboutPersonResponse checks;
  // The page of a person's history after `checks`, asked for with its next_page_token.
  v1::ListChecksAboutPersonResponse more_checks;
  std::vector<v1::ListChecksAboutPersonRequest> checks_requests;
  // What ListChecksAboutPerson answers, when not OK.
  absl::Status checks_status = absl::OkStatus();
  v1::ListAuditEventsResponse events;
  v1::ListBackupsResponse backups;
  v1::VerifyDataResponse data_check;
  absl::Status create_status = absl::OkStatus();
  // What GetRecord and GetRecordHistory answer, when not OK.
  absl::Status record_status = absl::OkStatus();
  absl::Status audit_status = absl::OkStatus();
  // What StreamAuditEvents answers, when not OK.
  absl::Status stream_status = absl::OkStatus();
  v1::AmendRecordRequest last_amend;
  // What AmendRecord answers.
  absl::Status amend_status = absl::InvalidArgumentError(kHostile);
  v1::CreateRecordRequest last_create;
  v1::SearchRecordsRequest last_search;
  // What SearchRecords answers, when not OK; else `search`.
  absl::Status search_status = absl::OkStatus();
  v1::ImportRecordsRequest last_import;
  // Every ImportRecords request, in the order made.
  std::vector<v1::ImportRecordsRequest> imports;
  // Whether ImportRecords answers only with the results of import_response for the rows sent,
  // as the registry does.
  bool only_rows_sent = false;
  // What ImportRecords answers, when set; else UNAVAILABLE.
  std::optional<v1::ImportRecordsResponse> import_response;
  // What ImportRecords answers, when not OK (before import_response).
  absl::Status import_status = absl::OkStatus();
  v1::ListAuditEventsRequest last_events;
  absl::Status vetting_status = absl::OkStatus();
  absl::Status expunge_status = absl::PermissionDeniedError(kHostile);
  // The ids an expunge (and its dry run) answers were erased with the record.
  std::vector<std::string> erased_with;
  // The last expunge asked (not a dry run).
  v1::ExpungeRecordRequest last_expunge;
  absl::Status export_status = absl::OkStatus();

  // What WhoAmI answers, when not OK (the registry down when a session starts).
  absl::Status who_status = absl::OkStatus();
  absl::StatusOr<v1::WhoAmIResponse> WhoAmI() override {
    if (!who_status.ok()) return who_status;
    return who;
  }
  absl::StatusOr<v1::GetReferenceDataResponse> GetReferenceData() override {
    return reference;
  }
  absl::StatusOr<v1::CreateRecordResponse> CreateRecord(const v1::CreateRecordRequest& request) override {
    ++calls;
    ++changes;
    last_create = request;
    if (!create_status.ok()) return create_status;
    v1::CreateRecordResponse response;
    response.set_record_id(kRecordId);
    return response;
  }
  absl::StatusOr<v1::GetRecordResponse> GetRecord(const v1::GetRecordRequest&) override {
    ++calls;
    if (!record_status.ok()) return record_status;
    v1::GetRecordResponse response;
    *response.mutable_record() = record;
    return response;
  }
  absl::StatusOr<v1::SearchRecordsResponse> SearchRecords(const v1::SearchRecordsRequest& request) override {
    ++calls;
    last_search = request;
    if (!search_status.ok()) return search_status;
    return search;
  }
  absl::StatusOr<v1::AmendRecordResponse> AmendRecord(const v1::AmendRecordRequest& request) override {
    ++calls;
    ++changes;
    last_amend = request;
    if (!amend_status.ok()) return amend_status;
    return v1::AmendRecordResponse();
  }
  absl::StatusOr<v1::GetRecordHistoryResponse> GetRecordHistory(
      const v1::GetRecordHistoryRequest&) override {
    ++calls;
    if (!record_status.ok()) return record_status;
    return history;
  }
  // What DisputeRecord and ResolveDispute answer, when not OK.
  absl::Status status_change_status = absl::FailedPreconditionError(kHostile);
  absl::StatusOr<v1::RecordStatusResponse> DisputeRecord(const v1::DisputeRecordRequest&) override {
    ++calls;
    ++changes;
    if (!status_change_status.ok()) return status_change_status;
    return v1::RecordStatusResponse();
  }
  absl::StatusOr<v1::RecordStatusResponse> ResolveDispute(const v1::ResolveDisputeRequest&) override {
    ++calls;
    ++changes;
    if (!status_change_status.ok()) return status_change_status;
    return v1::RecordStatusResponse();
  }
  absl::StatusOr<v1::ExpungeRecordResponse> ExpungeRecord(
      const v1::ExpungeRecordRequest& request) override {
    ++calls;
    // A dry run (the form's question which records go with it) changes nothing.
    v1::ExpungeRecordResponse answer;
    for (const std::string& id : erased_with) {
      v1::ErasedWithRecord* other = answer.add_records_erased_with_it();
      other->set_record_id(id);
      other->set_reason(v1::ErasedWithRecord::REASON_RETENTION_ENDED_KEPT_ONLY_BY_EXPUNGED);
    }
    if (request.dry_run()) return answer;
    ++changes;
    last_expunge = request;
    if (!expunge_status.ok()) return expunge_status;
    return answer;
  }
  absl::StatusOr<v1::ImportRecordsResponse> ImportRecords(
      const v1::ImportRecordsRequest& request) override {
    ++calls;
    if (!request.dry_run()) ++changes;
    last_import = request;
    imports.push_back(request);
    if (!import_status.ok()) return import_status;
    if (import_response.has_value() && only_rows_sent) {
      std::set<uint64_t> sent;
      for (const v1::ImportRow& row : request.rows()) sent.insert(row.line());
      v1::ImportRecordsResponse answer;
      for (const v1::ImportRowResult& result : import_response->results()) {
        if (sent.count(result.line()) > 0) *answer.add_results() = result;
      }
      return answer;
    }
    if (import_response.has_value()) return *import_response;
    return absl::UnavailableError(kHostile);
  }
  absl::StatusOr<v1::VettingCheckResponse> VettingCheck(const v1::VettingCheckRequest&) override {
    ++calls;
    ++changes;
    if (!vetting_status.ok()) return vetting_status;
    return vetting;
  }
  absl::StatusOr<v1::PublicKey> GetVettingPublicKey() override {
    ++calls;
    v1::PublicKey key;
    key.set_pem(kHostile);
    return key;
  }
  absl::StatusOr<v1::ListChecksAboutPersonResponse> ListChecksAboutPerson(
      const v1::ListChecksAboutPersonRequest& request) override {
    ++calls;
    checks_requests.push_back(request);
    if (!checks_status.ok()) return checks_status;
    if (!request.page_token().empty() && request.page_token() == checks.next_page_token()) {
      return more_checks;
    }
    return checks;
  }
  absl::StatusOr<v1::ListAuditEventsResponse> ListAuditEvents(
      const v1::ListAuditEventsRequest& request) override {
    ++calls;
    last_events = request;
    if (!audit_status.ok()) return audit_status;
    return events;
  }
  absl::Status StreamAuditEvents(const v1::StreamAuditEventsRequest&,
                                 const std::function<absl::Status(const v1::AuditEntry&)>& on_entry) override {
    ++calls;
    if (!stream_status.ok()) return stream_status;
    for (const v1::AuditEntry& entry : events.entries()) {
      if (absl::Status handled = on_entry(entry); !handled.ok()) return handled;
    }
    return absl::OkStatus();
  }
  absl::Status ExportAuditEvents(const v1::ExportAuditEventsRequest&,
                                 const std::function<absl::Status(const v1::AuditEntry&)>&) override {
    ++calls;
    return export_status;
  }
  // The log the auditor's verification reads, when set; else one that refuses every call.
  std::function<std::unique_ptr<client::AuditLogSource>()> audit_log;
  std::unique_ptr<client::AuditLogSource> AuditLog() override {
    ++calls;
    if (audit_log) return audit_log();
    class Refusing final : public client::AuditLogSource {
     public:
      absl::StatusOr<v1::SignedTreeHead> GetSignedTreeHead() override {
        return absl::DataLossError(kHostile);
      }
      absl::StatusOr<v1::ConsistencyProof> GetConsistencyProof(uint64_t, uint64_t) override {
        return absl::DataLossError(kHostile);
      }
      absl::StatusOr<v1::InclusionProof> GetInclusionProof(uint64_t, uint64_t) override {
        return absl::DataLossError(kHostile);
      }
      absl::Status StreamEvents(uint64_t, uint64_t,
                                const std::function<absl::Status(const v1::AuditEntry&)>&) override {
        return absl::DataLossError(kHostile);
      }
      absl::StatusOr<v1::PublicKey> GetAuditPublicKey() override {
        return absl::DataLossError(kHostile);
      }
    };
    return std::make_unique<Refusing>();
  }
  absl::StatusOr<v1::ListBackupsResponse> ListBackups() override {
    ++calls;
    return backups;
  }
  // What CreateBackup and VerifyData answer, when not OK.
  absl::Status backup_status = absl::OkStatus();
  absl::Status data_check_status = absl::OkStatus();
  absl::StatusOr<v1::BackupInfo> CreateBackup() override {
    ++calls;
    ++changes;
    if (!backup_status.ok()) return backup_status;
    v1::BackupInfo info;
    info.set_backup_id(7);
    info.add_pruned_backup_ids(3);
    return info;
  }
  // What VerifyBackup answers, when OK, and the backup it was last asked to verify.
  v1::VerifyBackupResponse backup_check;
  absl::Status backup_check_status = absl::OkStatus();
  uint32_t verified_backup = 0;
  absl::StatusOr<v1::VerifyBackupResponse> VerifyBackup(uint32_t backup_id) override {
    ++calls;
    verified_backup = backup_id;
    if (!backup_check_status.ok()) return backup_check_status;
    return backup_check;
  }
  absl::StatusOr<v1::VerifyDataResponse> VerifyData() override {
    ++calls;
    if (!data_check_status.ok()) return data_check_status;
    return data_check;
  }
  // What RotateKeys answers, when not OK.
  absl::Status rotate_status = absl::OkStatus();
  absl::StatusOr<v1::RotateKeysResponse> RotateKeys() override {
    ++calls;
    ++changes;
    if (!rotate_status.ok()) return rotate_status;
    v1::RotateKeysResponse response;
    response.set_current_kek_version(2);
    response.set_rewrapped(11);
    return response;
  }
};

// A registry that is down. The console's start and a session's (WhoAmI, GetReferenceData) are
// answered by `fake`, as a registry that was up then; every other call goes over gRPC, as the
// console makes it, to `address`, where nothing answers.
// How long a call to a registry that is down waits (and its probe, which takes at most as long):
// long enough for a refused connection to be told from a silent one, short enough that the
// tests of a registry that is down do not wait seconds a page.
constexpr absl::Duration kDownTimeout = absl::Milliseconds(300);

class DownRegistry final : public Registry {
 public:
  DownRegistry(std::shared_ptr<FakeRegistry> fake, const std::string& address,
               absl::Duration timeout)
      : fake_(std::move(fake)), grpc_(Connect(address, timeout)) {}

  absl::StatusOr<v1::WhoAmIResponse> WhoAmI() override { return fake_->WhoAmI(); }
  absl::StatusOr<v1::GetReferenceDataResponse> GetReferenceData() override {
    return fake_->GetReferenceData();
  }
  absl::StatusOr<v1::CreateRecordResponse> CreateRecord(const v1::CreateRecordRequest& r) override {
    return grpc_->CreateRecord(r);
  }
  absl::StatusOr<v1::GetRecordResponse> GetRecord(const v1::GetRecordRequest& r) override {
    return grpc_->GetRecord(r);
  }
  absl::StatusOr<v1::SearchRecordsResponse> SearchRecords(const v1::SearchRecordsRequest& r) override {
    return grpc_->SearchRecords(r);
  }
  absl::StatusOr<v1::AmendRecordResponse> AmendRecord(const v1::AmendRecordRequest& r) override {
    return grpc_->AmendRecord(r);
  }
  absl::StatusOr<v1::GetRecordHistoryResponse> GetRecordHistory(
      const v1::GetRecordHistoryRequest& r) override {
    return grpc_->GetRecordHistory(r);
  }
  absl::StatusOr<v1::RecordStatusResponse> DisputeRecord(const v1::DisputeRecordRequest& r) override {
    return grpc_->DisputeRecord(r);
  }
  absl::StatusOr<v1::RecordStatusResponse> ResolveDispute(const v1::ResolveDisputeRequest& r) override {
    return grpc_->ResolveDispute(r);
  }
  absl::StatusOr<v1::ExpungeRecordResponse> ExpungeRecord(const v1::ExpungeRecordRequest& r) override {
    return grpc_->ExpungeRecord(r);
  }
  absl::StatusOr<v1::ImportRecordsResponse> ImportRecords(const v1::ImportRecordsRequest& r) override {
    return grpc_->ImportRecords(r);
  }
  absl::StatusOr<v1::VettingCheckResponse> VettingCheck(const v1::VettingCheckRequest& r) override {
    return grpc_->VettingCheck(r);
  }
  absl::StatusOr<v1::PublicKey> GetVettingPublicKey() override { return grpc_->GetVettingPublicKey(); }
  absl::StatusOr<v1::ListChecksAboutPersonResponse> ListChecksAboutPerson(
      const v1::ListChecksAboutPersonRequest& r) override {
    return grpc_->ListChecksAboutPerson(r);
  }
  absl::StatusOr<v1::ListAuditEventsResponse> ListAuditEvents(
      const v1::ListAuditEventsRequest& r) override {
    return grpc_->ListAuditEvents(r);
  }
  absl::Status StreamAuditEvents(const v1::StreamAuditEventsRequest& r,
                                 const std::function<absl::Status(const v1::AuditEntry&)>& on_entry) override {
    return grpc_->StreamAuditEvents(r, on_entry);
  }
  absl::Status ExportAuditEvents(const v1::ExportAuditEventsRequest& r,
                                 const std::function<absl::Status(const v1::AuditEntry&)>& on_entry) override {
    return grpc_->ExportAuditEvents(r, on_entry);
  }
  std::unique_ptr<client::AuditLogSource> AuditLog() override { return grpc_->AuditLog(); }
  absl::StatusOr<v1::ListBackupsResponse> ListBackups() override { return grpc_->ListBackups(); }
  absl::StatusOr<v1::BackupInfo> CreateBackup() override { return grpc_->CreateBackup(); }
  absl::StatusOr<v1::VerifyBackupResponse> VerifyBackup(uint32_t id) override {
    return grpc_->VerifyBackup(id);
  }
  absl::StatusOr<v1::VerifyDataResponse> VerifyData() override { return grpc_->VerifyData(); }
  absl::StatusOr<v1::RotateKeysResponse> RotateKeys() override { return grpc_->RotateKeys(); }

 private:
  static std::unique_ptr<Registry> Connect(const std::string& address, absl::Duration timeout) {
    client::ConnectionSettings settings;
    settings.server = address;
    settings.timeout = timeout;
    return NewGrpcRegistry(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()),
                           settings);
  }

  const std::shared_ptr<FakeRegistry> fake_;
  const std::unique_ptr<Registry> grpc_;
};

// A TCP socket of 127.0.0.1 on a port of the system's choosing: listening (the system then takes
// connections into its backlog, and nobody ever answers them), or closed again at once (nothing
// listens at its port).
class LoopbackSocket {
 public:
  explicit LoopbackSocket(bool listen) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), size), 0);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size), 0);
    port_ = ntohs(address.sin_port);
    if (listen) {
      EXPECT_EQ(::listen(fd_, 16), 0);
    } else {
      close(fd_);
      fd_ = -1;
    }
  }
  ~LoopbackSocket() {
    if (fd_ >= 0) close(fd_);
  }
  LoopbackSocket(const LoopbackSocket&) = delete;
  LoopbackSocket& operator=(const LoopbackSocket&) = delete;
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A console for one role on 127.0.0.1:0, and an HTTP client with or without its session.
class ConsoleTest : public ::testing::Test {
 protected:
  // A clerk's console with `options` (a test's ConnectionLimits), and a client of it; the fake
  // registry it talks to is returned (and kept in fake_).
  std::shared_ptr<FakeRegistry> StartClerkConsole(ConsoleOptions options) {
    auto fake = std::make_shared<FakeRegistry>();
    fake->who.set_role(v1::ROLE_CLERK);
    fake_ = fake;
    console_ = std::make_unique<Console>(std::move(options), fake);
    EXPECT_TRUE(console_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", console_->port());
    return fake;
  }

  // `registry`, when given, makes the registry the console talks to out of the fake.
  void Start(v1::Role role, bool hostile = false,
             std::function<std::shared_ptr<Registry>(std::shared_ptr<FakeRegistry>)> registry =
                 nullptr) {
    auto fake = std::make_shared<FakeRegistry>();
    if (hostile) {
      Poison(&fake->who);
      Poison(&fake->reference);
      Poison(&fake->record);
      Poison(&fake->history);
      Poison(&fake->search);
      Poison(&fake->vetting);
      Poison(&fake->checks);
      Poison(&fake->backups);
      Poison(&fake->data_check);
      fake->data_check.set_problem_count(1);
      v1::AuditEvent event;
      Poison(&event);
      v1::AuditEntry* entry = fake->events.add_entries();
      entry->set_index(5);
      event.set_sequence(5);
      entry->set_event_bytes(event.SerializeAsString());
      *entry->mutable_event() = event;
      // A second entry whose server copy differs from its bytes: the warning is escaped too.
      v1::AuditEntry* differing = fake->events.add_entries();
      differing->set_index(6);
      event.set_sequence(6);
      differing->set_event_bytes(event.SerializeAsString());
      *differing->mutable_event() = event;
      differing->mutable_event()->set_actor("someone else");
      fake->events.set_next_page_token(kHostile);
      fake->history.add_versions()->CopyFrom(fake->history.versions(0));
      fake->history.mutable_versions(1)->mutable_record()->mutable_person()->set_surname(
          absl::StrCat(kHostile, " changed"));
      fake->vetting.set_result(v1::VETTING_RESULT_REFER);
      fake->vetting.set_check_id(kRecordId);
      fake->checks.mutable_checks(0)->set_status_code(7);
    }
    fake->record.mutable_metadata()->set_record_id(kRecordId);
    fake->record.mutable_conviction()->set_case_number("P 1/2024");
    fake->who.set_role(role);
    fake_ = fake;
    ConsoleOptions options;
    options.listen = "127.0.0.1:0";
    options.audit_state_path = audit_state_path_.empty()
                                   ? ::testing::TempDir() + "/console-audit-state.json"
                                   : audit_state_path_;
    options.start_url_changed = [this](ConsoleOptions::StartUrlEvent event,
                                       const std::string& url) {
      absl::MutexLock lock(&printed_mu_);
      printed_.emplace_back(event, url);
    };
    options.clock = [this] {
      absl::MutexLock lock(&clock_mu_);
      return absl::Now() + clock_ahead_;
    };
    console_ = std::make_unique<Console>(options, registry ? registry(fake) : fake);
    ASSERT_TRUE(console_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", console_->port());
    client_->set_read_timeout(30, 0);
  }

  void TearDown() override {
    if (console_ != nullptr) console_->Stop();
  }

  // Exchanges the start secret for a session; returns the cookie header value.
  std::string SignIn() {
    auto response = client_->Get(absl::StrCat("/start?s=", console_->start_secret()));
    EXPECT_TRUE(response);
    if (!response) return "";
    EXPECT_EQ(response->status, 303);
    const std::string cookie = response->get_header_value("Set-Cookie");
    cookie_ = cookie.substr(0, cookie.find(';'));
    // The CSRF token, as the pages carry it.
    auto home = client_->Get("/", {{"Cookie", cookie_}});
    const std::string marker = "name=\"csrf\" value=\"";
    const size_t at = home->body.find(marker);
    EXPECT_NE(at, std::string::npos);
    csrf_ = home->body.substr(at + marker.size(), 64);
    return cookie;
  }

  httplib::Result Get(const std::string& path) { return client_->Get(path, {{"Cookie", cookie_}}); }

  // When `response` redirects to a job's page, waits until the job has finished (its status,
  // /jobs/ID.json, says so: every call it makes to the registry comes before that).
  void WaitForJobOf(const httplib::Response& response) {
    const std::string location = response.get_header_value("Location");
    if (location.rfind("/jobs/", 0) != 0) return;
    for (int i = 0; i < 6000; ++i) {
      auto status = Get(location + ".json");
      ASSERT_TRUE(status) << location;
      if (absl::StrContains(status->body, "\"finished\":true")) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL() << location << " did not finish";
  }
  httplib::Result Post(const std::string& path, httplib::Params params, bool with_csrf = true) {
    if (with_csrf) params.emplace("csrf", csrf_);
    return client_->Post(path, {{"Cookie", cookie_}}, params);
  }

  // Posts, and when the answer is a redirect (a search's, to its results), follows it as the
  // browser does: the page the official then sees.
  httplib::Result PostAndFollow(const std::string& path, httplib::Params params) {
    auto posted = Post(path, std::move(params));
    if (!posted || posted->status != 303) return posted;
    return Get(posted->get_header_value("Location"));
  }

  // Adds to the fake registry's reference data the Basic Court of Prishtinë and article 229 of
  // 06/L-074, each named in English, Albanian and Serbian; the offence's entry.
  v1::OffenceEntry* AddPrishtineAndDegradationInThreeLanguages() {
    v1::CourtEntry* prishtine = fake_->reference.add_courts();
    prishtine->set_id("basic-prishtine");
    prishtine->set_name("Basic Court of Prishtinë/Priština");
    prishtine->set_name_sq("Gjykata Themelore e Prishtinës");
    prishtine->set_name_sr("Osnovni sud u Prištini");
    v1::OffenceEntry* degradation = fake_->reference.add_offences();
    degradation->set_law("06/L-074");
    degradation->set_article(229);
    degradation->set_title("Degradation of sexual integrity");
    degradation->set_title_sq("Degradimi i integritetit seksual");
    degradation->set_title_sr("Degradacija seksualnog integriteta");
    return degradation;
  }

  // Posts to `path` a form the console refuses itself: its answer is a redirect to a page under
  // `kept_under` (PATH/refused/ unless given), followed as the browser follows it; that page
  // (400) is returned, and the registry was not asked.
  std::string RefusedBeforeAnyCall(const std::string& path, httplib::Params params,
                                   std::string kept_under = "") {
    if (kept_under.empty()) kept_under = path + "/refused/";
    const int before = fake_->calls;
    auto posted = Post(path, std::move(params));
    EXPECT_TRUE(posted && posted->status == 303) << path;
    if (!posted || posted->status != 303) return "";
    EXPECT_TRUE(absl::StartsWith(posted->get_header_value("Location"), kept_under))
        << posted->get_header_value("Location");
    auto page = Get(posted->get_header_value("Location"));
    EXPECT_TRUE(page && page->status == 400) << path;
    EXPECT_EQ(fake_->calls, before) << "the registry was asked";
    return page ? page->body : "";
  }

  // Uploads `csv` to /import as records.csv: the dry run, its POST's answer.
  httplib::Result PostImportFileOnly(const std::string& csv) {
    httplib::MultipartFormDataItems upload = {{"csrf", csrf_, "", ""},
                                              {"file", csv, "records.csv", "text/csv"}};
    return client_->Post("/import", {{"Cookie", cookie_}}, upload);
  }
  // The same, followed as the browser follows its redirect: the check's page.
  httplib::Result PostImportFile(const std::string& csv) {
    auto posted = PostImportFileOnly(csv);
    if (!posted || posted->status != 303) return posted;
    return Get(posted->get_header_value("Location"));
  }
  // The fake registry answers an import with every one of `lines` valid.
  void EveryLineValid(uint64_t first, uint64_t last) {
    v1::ImportRecordsResponse verdict;
    for (uint64_t line = first; line <= last; ++line) {
      v1::ImportRowResult* result = verdict.add_results();
      result->set_line(line);
      result->set_outcome(v1::ImportRowResult::OUTCOME_VALID);
    }
    fake_->import_response = verdict;
  }

  void ExpectSecurityHeaders(const httplib::Result& response, const std::string& where) {
    ASSERT_TRUE(response) << where;
    EXPECT_EQ(response->get_header_value("Content-Security-Policy"), kContentSecurityPolicy) << where;
    EXPECT_EQ(response->get_header_value("X-Content-Type-Options"), "nosniff") << where;
    EXPECT_EQ(response->get_header_value("Referrer-Policy"), "same-origin") << where;
    EXPECT_EQ(response->get_header_value("X-Frame-Options"), "DENY") << where;
    EXPECT_EQ(response->get_header_value("Cache-Control"), "no-store") << where;
    EXPECT_FALSE(response->has_header("Access-Control-Allow-Origin")) << where;
    EXPECT_FALSE(response->has_header("Access-Control-Allow-Credentials")) << where;
  }

  // Signs in as each role in turn and opens every page (GET route) the role may open, handing
  // each answer to `visit`; a page that does not answer fails the test there.
  void ForEachPageOfEachRole(
      const std::function<void(v1::Role role, const std::string& path,
                               const httplib::Response& page)>& visit);

  // Moves the console's clock on by `by` (ConsoleOptions::clock): a test sees what time does
  // without waiting for it.
  void AdvanceClock(absl::Duration by) {
    absl::MutexLock lock(&clock_mu_);
    clock_ahead_ += by;
  }

  // Starts another session of the console whose identity the registry now says has `role`
  // (a session's start asks WhoAmI again): a clerk's change seen by a court's kept pages in the
  // same console process. The cookie and token are then the new session's.
  void SignInAs(v1::Role role) {
    fake_->who.set_role(role);
    SignIn();
  }

  // Opens /start?s=`secret` as a browser with no session, which is sent off the secret's address
  // to /not-started?why=`why` and given no cookie; returns that page, as the browser then shows
  // it (no answer at all: the failure, and that empty answer).
  httplib::Result OpenRefusedStart(const std::string& secret, const std::string& why) {
    auto refused = client_->Get(absl::StrCat("/start?s=", secret));
    EXPECT_TRUE(refused);
    if (!refused) return refused;
    EXPECT_EQ(refused->status, 303);
    EXPECT_EQ(refused->get_header_value("Location"), "/not-started?why=" + why);
    EXPECT_FALSE(refused->has_header("Set-Cookie"));
    return client_->Get("/not-started?why=" + why);
  }

  // A console for `role` with a session: the first two steps of most tests.
  void StartSignedIn(v1::Role role) {
    Start(role);
    SignIn();
  }

  // A court signed in, and the record it reads (surname Gashi; `personal_number` when given)
  // with a history of that one version: what the tests of a court's kept reads read.
  void StartCourtWithARecord(const std::string& personal_number = "") {
    StartSignedIn(v1::ROLE_COURT);
    fake_->record.mutable_person()->set_surname("Gashi");
    if (!personal_number.empty()) {
      fake_->record.mutable_person()->set_personal_number(personal_number);
    }
    fake_->history.add_versions()->mutable_record()->CopyFrom(fake_->record);
  }
  // The record's page, and a case reference and purpose a court reads it for.
  static std::string RecordPage() { return absl::StrCat("/records/", kRecordId); }
  static httplib::Params CourtPurpose() {
    return {{"case_ref", "PKR 77/2026"}, {"purpose", "sentencing"}};
  }

  // The audit log holds one event, index and sequence 5: `role` called `action`. Its bytes and
  // the server's copy agree, as the registry sends a sound entry.
  void LogOneEvent(v1::Role role, const std::string& action) {
    v1::AuditEvent event;
    event.set_sequence(5);
    event.set_role(role);
    event.set_action(action);
    v1::AuditEntry* entry = fake_->events.add_entries();
    entry->set_index(5);
    entry->set_event_bytes(event.SerializeAsString());
    *entry->mutable_event() = event;
  }

  // The auditor's verification state file, when a test wants one of its own (set before Start).
  std::string audit_state_path_;
  absl::Mutex clock_mu_;
  absl::Duration clock_ahead_ ABSL_GUARDED_BY(clock_mu_);
  std::shared_ptr<FakeRegistry> fake_;
  std::unique_ptr<Console> console_;
  std::unique_ptr<httplib::Client> client_;
  std::string cookie_;
  std::string csrf_;
  // The start URLs the console gave to print (options.start_url_changed), oldest first.
  absl::Mutex printed_mu_;
  std::vector<std::pair<ConsoleOptions::StartUrlEvent, std::string>> printed_
      ABSL_GUARDED_BY(printed_mu_);
};

TEST_F(ConsoleTest, WithoutASessionNothingIsServedAndTheRegistryIsNotAsked) {
  Start(v1::ROLE_CLERK);
  for (const char* path : {"/", "/records/new", "/search", "/audit",
                           "/records/0123456789abcdef0123456789abcdef"}) {
    auto response = client_->Get(path);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 401) << path;
  }
  auto forged = client_->Get("/", {{"Cookie", absl::StrCat(console_->cookie_name(), "=", std::string(64, 'a'))}});
  EXPECT_EQ(forged->status, 401);
  auto post = client_->Post("/records/new", httplib::Params{{"surname", "X"}});
  EXPECT_EQ(post->status, 401);
  EXPECT_EQ(fake_->calls, 0);
}

TEST_F(ConsoleTest, TheStartSecretBuysAnHttpOnlyStrictSessionCookie) {
  Start(v1::ROLE_CLERK);
  EXPECT_EQ(OpenRefusedStart(std::string(64, '0'), "secret")->status, 403);
  auto empty = client_->Get("/start");
  EXPECT_EQ(empty->status, 303);
  EXPECT_FALSE(empty->has_header("Set-Cookie"));
  EXPECT_EQ(console_->start_secret().size(), 64u) << "256 random bits";

  const std::string cookie = SignIn();
  EXPECT_TRUE(absl::StrContains(cookie, "HttpOnly")) << cookie;
  EXPECT_TRUE(absl::StrContains(cookie, "SameSite=Strict")) << cookie;
  EXPECT_TRUE(absl::StrContains(cookie, "Path=/")) << cookie;
  EXPECT_FALSE(absl::StrContains(cookie, console_->start_secret())) << "the session is not the secret";
  auto home = Get("/");
  EXPECT_EQ(home->status, 200);
  EXPECT_EQ(csrf_.size(), 64u);
  EXPECT_TRUE(absl::StartsWith(console_->StartUrl(),
                               absl::StrCat("http://127.0.0.1:", console_->port(), "/start?s=")));
}

// A start address stayed good until the console stopped: the browser's history kept it, and the
// next user of a shared workstation opened it after the official had signed out, into a new
// clerk's session. Each is good for one session; the next one is given to print after each use
// and after each sign-out.
TEST_F(ConsoleTest, AStartAddressStartsOneSessionAndTheNextIsPrintedAfterEachUseAndSignOut) {
  Start(v1::ROLE_CLERK);
  const std::string first = console_->start_secret();
  auto started = client_->Get(absl::StrCat("/start?s=", first));
  ASSERT_TRUE(started);
  EXPECT_EQ(started->status, 303);
  EXPECT_EQ(started->get_header_value("Location"), "/");
  EXPECT_TRUE(started->has_header("Set-Cookie"));
  const std::string next = console_->start_secret();
  EXPECT_NE(next, first);
  EXPECT_EQ(next.size(), 64u) << "256 random bits";
  {
    absl::MutexLock lock(&printed_mu_);
    ASSERT_EQ(printed_.size(), 1u);
    EXPECT_EQ(printed_[0].first, ConsoleOptions::StartUrlEvent::kUsed);
    EXPECT_EQ(printed_[0].second, console_->StartUrl());
  }
  // Opened again from the history: no session, and the browser is sent off the secret's address.
  auto said = OpenRefusedStart(first, "secret");
  ASSERT_TRUE(said);
  EXPECT_EQ(said->status, 403);
  EXPECT_TRUE(absl::StrContains(said->body,
                                Escape(Catalogs::Embedded().Text("sq", "refused.secret.help"))));

  // Signed in and out: the address used opens nothing; the one printed at sign-out does.
  SignIn();
  const std::string used = console_->start_secret();
  ASSERT_EQ(Post("/signout", {})->status, 303);
  std::string printed;
  {
    absl::MutexLock lock(&printed_mu_);
    ASSERT_EQ(printed_.size(), 3u);
    EXPECT_EQ(printed_[2].first, ConsoleOptions::StartUrlEvent::kSignedOut);
    printed = printed_[2].second;
  }
  EXPECT_EQ(printed, console_->StartUrl());
  EXPECT_EQ(client_->Get(absl::StrCat("/start?s=", next))->get_header_value("Location"),
            "/not-started?why=secret");
  auto fresh = client_->Get(printed.substr(printed.find("/start?s=")));
  EXPECT_EQ(fresh->get_header_value("Location"), "/");
  EXPECT_TRUE(fresh->has_header("Set-Cookie"));
  EXPECT_NE(console_->start_secret(), used);
}

// With the registry down at /start, its error page was shown at /start?s=SECRET: the secret stayed
// in the address bar. /start answers with a redirect in every case, and the secret is spent.
TEST_F(ConsoleTest, StartAnswersWithARedirectAwayFromTheSecretEvenWhenTheRegistryIsDown) {
  Start(v1::ROLE_CLERK);
  fake_->who_status = absl::UnavailableError("failed to connect to all addresses");
  const std::string secret = console_->start_secret();
  auto said = OpenRefusedStart(secret, "registry");
  ASSERT_TRUE(said);
  EXPECT_EQ(said->status, 503);
  EXPECT_TRUE(absl::StrContains(said->body,
                                Escape(Catalogs::Embedded().Text("sq", "refused.registry"))));
  ExpectSecurityHeaders(said, "registry down at the start");
  for (const std::string& target :
       {absl::StrCat("/start?s=", secret), std::string("/start"), std::string("/start?s=x")}) {
    auto refused = client_->Get(target);
    ASSERT_TRUE(refused) << target;
    EXPECT_EQ(refused->status, 303) << target;
    EXPECT_EQ(refused->get_header_value("Location"), "/not-started?why=secret") << target;
    EXPECT_FALSE(refused->has_header("Set-Cookie")) << target;
  }
  // The registry back: the address printed after that use starts a session.
  fake_->who_status = absl::OkStatus();
  SignIn();
  EXPECT_EQ(Get("/")->status, 200);
}

// Typed addresses showed notices of what never happened: "/admin?backup=999" said backup 999 was
// made, "/admin/rotated?..." a rotation, "?done=disputed" a dispute of an active record, any
// "/admin/checks/<32 hex>" that its result was shown. A notice is shown only at the address a
// change of this session was answered with.
TEST_F(ConsoleTest, ATypedAddressShowsNoNoticeOfAChangeThisSessionDidNotMake) {
  const Catalogs& catalogs = Catalogs::Embedded();
  StartSignedIn(v1::ROLE_ADMIN);
  auto backup = Get("/admin?backup=999");
  ASSERT_TRUE(backup);
  EXPECT_EQ(backup->status, 200);
  EXPECT_FALSE(absl::StrContains(backup->body, "id=\"admin-done\"")) << backup->body;
  auto rotated = Get("/admin/rotated?kek_version=99&rewrapped=99999999999999999999");
  EXPECT_EQ(rotated->status, 303);
  EXPECT_EQ(rotated->get_header_value("Location"), "/admin");
  auto check = Get(absl::StrCat("/admin/checks/", std::string(32, 'a')));
  EXPECT_EQ(check->status, 404);
  EXPECT_FALSE(absl::StrContains(check->body, Escape(catalogs.Text("sq", "admin.check.shown"))));
  EXPECT_TRUE(absl::StrContains(check->body, Escape(catalogs.Text("sq", "admin.check.unknown"))));
  // The backup this session made is said at the address it was answered with, and only there.
  const std::string made = Post("/admin/backup", {})->get_header_value("Location");
  EXPECT_TRUE(absl::StrContains(Get(made)->body, "id=\"admin-done\""));
  EXPECT_FALSE(absl::StrContains(Get("/admin?backup=999")->body, "id=\"admin-done\""));
  // Nor by the language switch, which leads back to any address of the console.
  auto switched = Post("/language", {{"lang", "en"}, {"back", "/admin?backup=998"}});
  EXPECT_EQ(switched->get_header_value("Location"), "/admin?backup=998");
  EXPECT_FALSE(absl::StrContains(Get("/admin?backup=998")->body, "id=\"admin-done\""));
  // Another session did not make it.
  SignIn();
  EXPECT_FALSE(absl::StrContains(Get(made)->body, "id=\"admin-done\""));
  console_->Stop();

  StartSignedIn(v1::ROLE_CLERK);
  const std::string record = absl::StrCat("/records/", kRecordId);
  for (const char* done : {"created", "amended", "disputed", "resolved"}) {
    auto shown = Get(absl::StrCat(record, "?done=", done));
    ASSERT_TRUE(shown) << done;
    EXPECT_EQ(shown->status, 200) << done;
    EXPECT_FALSE(absl::StrContains(
        shown->body, Escape(catalogs.Text("sq", absl::StrCat("record.done.", done)))))
        << done;
  }
  const std::string created = Post("/records/new", {{"surname", "Kërqeli"}})
                                  ->get_header_value("Location");
  EXPECT_EQ(created, absl::StrCat(record, "?done=created"));
  EXPECT_TRUE(absl::StrContains(Get(created)->body,
                                Escape(catalogs.Text("sq", "record.done.created"))));
  EXPECT_FALSE(absl::StrContains(Get(absl::StrCat(record, "?done=disputed"))->body,
                                 Escape(catalogs.Text("sq", "record.done.disputed"))));
}

TEST_F(ConsoleTest, AStateChangingRequestNeedsTheSessionsCsrfToken) {
  StartSignedIn(v1::ROLE_CLERK);
  const httplib::Params form = {{"surname", "Kërqeli"}};
  auto without = Post("/records/new", form, /*with_csrf=*/false);
  EXPECT_EQ(without->status, 403);
  httplib::Params wrong = form;
  wrong.emplace("csrf", std::string(64, 'f'));
  auto forged = Post("/records/new", wrong, false);
  EXPECT_EQ(forged->status, 403);
  // In the query string it does not count: tokens travel in the body only (a POST to an
  // address with a query is refused before anything else, 400).
  auto in_query = client_->Post(absl::StrCat("/records/new?csrf=", csrf_), {{"Cookie", cookie_}}, form);
  EXPECT_EQ(in_query->status, 400);
  auto language = Post("/language", {{"lang", "en"}}, false);
  EXPECT_EQ(language->status, 403);
  EXPECT_EQ(fake_->calls, 0) << "a refused request asks the registry nothing";

  auto with = Post("/records/new", form);
  EXPECT_EQ(with->status, 303) << with->body;
  EXPECT_EQ(fake_->calls, 1);
}

TEST_F(ConsoleTest, EveryResponseCarriesTheSecurityHeadersAndNoCors) {
  Start(v1::ROLE_CLERK);
  ExpectSecurityHeaders(client_->Get("/"), "401");
  ExpectSecurityHeaders(client_->Get("/start?s=nope"), "bad secret");
  ExpectSecurityHeaders(client_->Get("/assets/console.css"), "asset");
  SignIn();
  ExpectSecurityHeaders(Get("/"), "home");
  ExpectSecurityHeaders(Get("/records/new"), "form");
  ExpectSecurityHeaders(Get("/no/such/page"), "404");
  ExpectSecurityHeaders(Get("/audit"), "403 role");
  ExpectSecurityHeaders(Post("/records/new", {}, false), "403 csrf");
  auto options = client_->Options("/", {{"Cookie", cookie_},
                                        {"Origin", "http://evil.example"},
                                        {"Access-Control-Request-Method", "POST"}});
  ExpectSecurityHeaders(options, "preflight");
  EXPECT_GE(options->status, 400);
  const std::string csp = kContentSecurityPolicy;
  EXPECT_TRUE(absl::StrContains(csp, "default-src 'none'"));
  EXPECT_TRUE(absl::StrContains(csp, "script-src 'self'"));
  EXPECT_FALSE(absl::StrContains(csp, "unsafe-inline"));
  EXPECT_TRUE(absl::StrContains(csp, "frame-ancestors 'none'"));
  EXPECT_TRUE(absl::StrContains(csp, "form-action 'self'"));
  // The pages use no inline script or style, which the policy would block.
  auto page = Get("/records/new");
  EXPECT_FALSE(absl::StrContains(page->body, "<script>"));
  EXPECT_FALSE(absl::StrContains(page->body, "style=\""));
  EXPECT_FALSE(absl::StrContains(page->body, " onclick"));
  EXPECT_FALSE(absl::StrContains(page->body, "http://")) << "no external assets";
  EXPECT_FALSE(absl::StrContains(page->body, "https://")) << "no external assets";
}

// What the console itself finds wrong is said in the page's language as its own words: it was
// shown as "the registry said", marked as English, which a screen reader then read as English.
TEST_F(ConsoleTest, TheConsolesOwnErrorsAreNotCreditedToTheRegistry) {
  StartSignedIn(v1::ROLE_CLERK);
  auto bad = PostAndFollow("/records/open", {{"id", "not-an-id"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  const Catalogs& catalogs = Catalogs::Embedded();
  EXPECT_TRUE(absl::StrContains(bad->body, Escape(catalogs.Text("sq", "record.open.bad_id"))))
      << bad->body;
  EXPECT_FALSE(absl::StrContains(bad->body, Escape(catalogs.Text("sq", "error.server_said"))))
      << bad->body;
  EXPECT_FALSE(absl::StrContains(bad->body, "<q lang=\"en\">")) << bad->body;
  // Nothing was being saved: the heading says what to correct, not "the record was not saved".
  EXPECT_TRUE(absl::StrContains(bad->body, Escape(catalogs.Text("sq", "form.fix")))) << bad->body;
  EXPECT_FALSE(absl::StrContains(bad->body, Escape(catalogs.Text("sq", "form.problems"))))
      << bad->body;
}

// Fields come from the body of a POST only: cpp-httplib merged the address's query into them,
// so the purpose of a court's read could come from a link (with the CSRF token in the body).
TEST_F(ConsoleTest, APostWithAQueryInItsAddressIsRefused) {
  StartSignedIn(v1::ROLE_CLERK);
  auto posted = client_->Post("/records/new?surname=X", {{"Cookie", cookie_}},
                              httplib::Params{{"csrf", csrf_}});
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 400);
  ExpectSecurityHeaders(posted, "400");
  auto plain = Post("/records/new", {{"surname", "X"}});
  ASSERT_TRUE(plain);
  EXPECT_NE(plain->status, 400) << plain->body;
}

// A file over the console's limit was answered "Not found: the console has no such page", the
// clerk told the Import page did not exist. It now says the file is too large, and the limit.
TEST_F(ConsoleTest, AnUploadOverTheLimitIsSaidToBeTooLargeNotAMissingPage) {
  StartSignedIn(v1::ROLE_CLERK);
  const std::string body(65 << 20, 'a');
  auto big = client_->Post("/import", {{"Cookie", cookie_}}, body, "text/csv");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_TRUE(absl::StrContains(big->body, "64 MiB")) << big->body;
  EXPECT_FALSE(absl::StrContains(big->body, "no such page")) << big->body;
  ExpectSecurityHeaders(big, "413");
}

std::string FieldGroup(const std::string& body, const std::string& id);

// A form over 8 KiB (cpp-httplib's limit for a form) was refused 413 as an import file over
// 64 MiB, the form lost and no field named. A court's search with a case reference of 8,200
// letters is read whole, and the field named (by the console, which checks a reference's shape
// as the registry's gate does, nothing sent); the form comes back with it.
TEST_F(ConsoleTest, ASearchFormOverEightKibIsReadAndTheFieldNamed) {
  StartSignedIn(v1::ROLE_COURT);
  fake_->search_status = absl::InvalidArgumentError(
      "purpose.case_reference: 1..64 ASCII letters, digits, spaces or /-.:_");
  const std::string case_ref(8200, 'A');
  auto found = PostAndFollow("/search", {{"purpose", "sentencing"},
                                {"personal-number", "1234567890"},
                                {"case_ref", case_ref}});
  ASSERT_TRUE(found);
  EXPECT_EQ(found->status, 400) << found->body;
  EXPECT_EQ(fake_->calls, 0);
  const Catalogs& catalogs = Catalogs::Embedded();
  EXPECT_TRUE(absl::StrContains(FieldGroup(found->body, "case_ref"),
                                Escape(catalogs.Text("sq", "rule.reference"))))
      << found->body;
  for (const char* key : {"refused.too_large", "refused.form_too_large"}) {
    EXPECT_FALSE(absl::StrContains(found->body, Escape(catalogs.Text("sq", key)))) << key;
  }
  EXPECT_TRUE(absl::StrContains(found->body, "value=\"1234567890\""))
      << "the form keeps what was typed";
}

// Legitimate input passes 8 KiB: a record whose names, aliases, birth place and address are
// Cyrillic at their longest (six bytes a letter once sent) is entered, not refused as a file.
TEST_F(ConsoleTest, ARecordFormWithCyrillicNamesAtTheirLongestIsEntered) {
  StartSignedIn(v1::ROLE_CLERK);
  const auto cyrillic = [](int letters) {
    std::string text;
    for (int i = 0; i < letters; ++i) text += "\xd0\x96";  // Cyrillic Zhe
    return text;
  };
  std::vector<std::string> aliases(10, cyrillic(100));
  auto entered = Post("/records/new", {{"surname", cyrillic(100)},
                                       {"given-name", cyrillic(100)},
                                       {"father-name", cyrillic(100)},
                                       {"alias", absl::StrJoin(aliases, "\n")},
                                       {"birth-place", cyrillic(100)},
                                       {"address", cyrillic(200)}});
  ASSERT_TRUE(entered);
  EXPECT_EQ(entered->status, 303) << entered->body;
  EXPECT_EQ(fake_->last_create.person().surname(), cyrillic(100));
  EXPECT_EQ(fake_->last_create.person().aliases_size(), 10);
  EXPECT_EQ(fake_->last_create.person().last_known_address(), cyrillic(200));
}

// A person's later conviction keeps the earlier ones: it goes to the registry first, whatever
// line of the file or batch it is in, and the file's lines are still reported in their order.
TEST_F(ConsoleTest, AnImportSendsAPersonsLaterConvictionBeforeTheEarlierOne) {
  StartSignedIn(v1::ROLE_CLERK);
  const std::string csv =
      "surname,given_name,father_name,sex,birth_date,birth_place,citizenships,personal_number,"
      "last_known_address,court_id,case_number,judgment_date,final_date,offences,sentence_type,"
      "sentence_months,bans,release_date,juvenile,foreign_court,foreign_country\n"
      "Vokshi,Adem,,male,1970-01-01,,XK,1800000005,,basic-gjilan,P 1/2010,2009-12-01,"
      "2010-01-10,06/L-074:228:0,fine,0,,,false,,\n"
      "Vokshi,Adem,,male,1970-01-01,,XK,1800000005,,basic-gjilan,P 2/2025,2024-12-01,"
      "2025-01-10,06/L-074:228:0,fine,0,,,false,,\n";
  v1::ImportRecordsResponse verdict;
  for (const uint64_t line : {3, 2}) {
    v1::ImportRowResult* result = verdict.add_results();
    result->set_line(line);
    result->set_outcome(line == 2 ? v1::ImportRowResult::OUTCOME_INVALID
                                  : v1::ImportRowResult::OUTCOME_VALID);
    if (line == 2) result->set_error("person.surname: a problem of line two");
  }
  fake_->import_response = verdict;
  auto checked = PostImportFile(csv);
  ASSERT_TRUE(checked);
  EXPECT_EQ(checked->status, 200) << checked->body;
  ASSERT_EQ(fake_->last_import.rows_size(), 2);
  EXPECT_EQ(fake_->last_import.rows(0).line(), 3u) << "the later conviction goes first";
  EXPECT_EQ(fake_->last_import.rows(1).line(), 2u);
  EXPECT_TRUE(absl::StrContains(checked->body, "a problem of line two")) << checked->body;
  fake_->import_response.reset();
}

// A dry run cut into batches checks a person's earlier conviction with the later one that keeps
// it, which an earlier batch found valid: carried into the later batch, it is checked first, as
// the import itself would have entered it.
TEST_F(ConsoleTest, ADryRunCarriesAPersonsLaterConvictionIntoTheBatchOfTheEarlierOne) {
  StartSignedIn(v1::ROLE_CLERK);
  std::string csv =
      "surname,given_name,father_name,sex,birth_date,birth_place,citizenships,personal_number,"
      "last_known_address,court_id,case_number,judgment_date,final_date,offences,sentence_type,"
      "sentence_months,bans,release_date,juvenile,foreign_court,foreign_country\n"
      "Vokshi,Adem,,male,1970-01-01,,XK,1800000005,,basic-gjilan,P 1/2010,2009-12-01,"
      "2010-01-10,06/L-074:228:0,fine,0,,,false,,\n";
  // 99 other people's convictions, final between the two of the person: with the later one, a
  // batch's worth (100 rows), sent before the earlier one.
  for (int i = 0; i < 99; ++i) {
    absl::StrAppend(&csv, "Gashi,Arta,,female,1980-01-01,,XK,", 1900000000 + i,
                    ",,basic-gjilan,P ", 100 + i, "/2015,2015-01-01,2015-02-01,06/L-074:228:0,"
                    "fine,0,,,false,,\n");
  }
  absl::StrAppend(&csv,
                  "Vokshi,Adem,,male,1970-01-01,,XK,1800000005,,basic-gjilan,P 2/2025,2024-12-01,"
                  "2025-01-10,06/L-074:228:0,fine,0,,,false,,\n");
  const uint64_t later_line = 102;
  EveryLineValid(2, later_line);
  const int before = fake_->calls;
  auto checked = PostImportFile(csv);
  ASSERT_TRUE(checked);
  EXPECT_EQ(checked->status, 200) << checked->body;
  EXPECT_EQ(fake_->calls - before, 2) << "two batches";
  // The second batch: the later conviction carried first, then the earlier one.
  ASSERT_EQ(fake_->last_import.rows_size(), 2);
  EXPECT_EQ(fake_->last_import.rows(0).line(), later_line);
  EXPECT_EQ(fake_->last_import.rows(1).line(), 2u);
  fake_->import_response.reset();
}

// A form larger than any the console sends is refused as a form, in its own words; an import
// file (multipart) larger than that is still read as a file, and a large form posted to no page
// is told there is no such page.
// Every body is held to a limit as it is read, whatever its type and whether it says its length
// or comes in chunks (cpp-httplib applies its own limit to neither a chunked body nor one read by
// the console); a body of another type than a form is no form, even with a token in it.
TEST_F(ConsoleTest, ABodyOfAnyTypeOrSentInChunksIsHeldToALimit) {
  StartSignedIn(v1::ROLE_CLERK);
  const std::string fields = absl::StrCat("csrf=", csrf_, "&personal-number=1234567890");
  auto plain = client_->Post("/search", {{"Cookie", cookie_}}, fields, "text/plain");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 403) << "a text/plain body holds no form's token";
  auto upper = client_->Post("/search", {{"Cookie", cookie_}}, std::string(kMaxFormBytes + 1, 'a'),
                             "Application/X-WWW-Form-Urlencoded");
  ASSERT_TRUE(upper);
  EXPECT_EQ(upper->status, 413) << "a media type is named in any case";
  const std::string megabyte(1 << 20, 'x');
  size_t sent = 0;
  auto chunked = client_->Post(
      "/search", {{"Cookie", cookie_}},
      [&](size_t, httplib::DataSink& sink) {
        if (sent > kMaxUploadBytes) {
          sink.done();
          return true;
        }
        sent += megabyte.size();
        return sink.write(megabyte.data(), megabyte.size());
      },
      "text/plain");
  // The console stops reading past its limit and closes the connection: the client may see the
  // 413, or only the connection closed under it.
  if (chunked) {
    EXPECT_EQ(chunked->status, 413);
  }
  EXPECT_LE(sent, kMaxUploadBytes + 2 * megabyte.size());
  EXPECT_EQ(fake_->calls, 0) << "none of them reached the registry";
  // The console still answers.
  httplib::Client again("127.0.0.1", console_->port());
  auto home = again.Get("/", {{"Cookie", cookie_}});
  ASSERT_TRUE(home);
  EXPECT_EQ(home->status, 200);
}

// A raw TCP connection to 127.0.0.1:`port`.
int ConnectToLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  return fd;
}

// Appends to `answer` what `fd` holds (recv with `flags`: MSG_DONTWAIT takes only what is there);
// false once the peer has closed the connection (with a reset too).
bool TakeAnswer(int fd, int flags, std::string* answer) {
  char buf[4096];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof(buf), flags);
    if (n > 0) {
      answer->append(buf, static_cast<size_t>(n));
      continue;
    }
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

// A raw connection to the console that sends `head` at once and then `trickle` a byte at a time,
// each well within any read timeout, keeping what the console answers.
class Trickler {
 public:
  Trickler(int port, const std::string& head, std::string trickle)
      : fd_(ConnectToLoopback(port)), trickle_(std::move(trickle)) {
    EXPECT_EQ(send(fd_, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  }
  ~Trickler() { close(fd_); }
  Trickler(const Trickler&) = delete;
  Trickler& operator=(const Trickler&) = delete;

  // Takes what the console answered and sends the next byte; false once the console has closed
  // the connection (with a reset too: the console closes with the request's rest unread).
  bool Turn() {
    if (closed_) return false;
    if (!TakeAnswer(fd_, MSG_DONTWAIT, &answer_)) {
      closed_ = true;
      return false;
    }
    if (sent_ < trickle_.size()) {
      if (send(fd_, trickle_.data() + sent_, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) ++sent_;
    }
    return true;
  }
  bool closed_by_console() const { return closed_; }
  const std::string& answer() const { return answer_; }

 private:
  int fd_ = -1;
  const std::string trickle_;
  size_t sent_ = 0;
  std::string answer_;
  bool closed_ = false;
};

// Runs every trickler's turn every 100 ms until the console has closed each, or 25 s have passed.
std::thread TrickleAll(std::vector<std::unique_ptr<Trickler>>& tricklers) {
  return std::thread([&tricklers] {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(25);
    while (std::chrono::steady_clock::now() < end) {
      bool any = false;
      for (auto& trickler : tricklers) any = trickler->Turn() || any;
      if (!any) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
}

// Limits short enough for a test: a second for a head, a form, and an upload's grace.
ConsoleOptions TrickleOptions() {
  ConsoleOptions options;
  options.listen = "127.0.0.1:0";
  options.audit_state_path = ::testing::TempDir() + "/console-audit-state.json";
  options.connection_limits.request_head = absl::Seconds(1);
  options.connection_limits.form_body = absl::Seconds(1);
  options.connection_limits.transfer_grace = absl::Seconds(1);
  options.connection_limits.workers = 2;
  return options;
}

// A client that sent its request a byte at a time, each within cpp-httplib's read timeout, held a
// worker for as long as it went on: eight of them (the library's pool on two cores), with headers
// that never end or a form's body, and the console answered no one. A request's head and a form
// now have a deadline each and an import file a rate to keep: past it the console answers 408 or
// closes, and its worker serves the next connection. Here nine trickle in against two workers,
// and a page asked for after them is still answered.
TEST_F(ConsoleTest, ClientsThatTrickleTheirRequestsInDoNotHoldTheConsolesWorkers) {
  const std::shared_ptr<FakeRegistry> fake = StartClerkConsole(TrickleOptions());
  client_->set_read_timeout(20, 0);
  SignIn();
  const std::string host = absl::StrCat("Host: 127.0.0.1:", console_->port(), "\r\n");
  const std::string cookie = absl::StrCat("Cookie: ", cookie_, "\r\n");
  const std::string boundary = "trickle";
  std::vector<std::unique_ptr<Trickler>> tricklers;
  for (int i = 0; i < 3; ++i) {
    // Headers that never end.
    tricklers.push_back(std::make_unique<Trickler>(
        console_->port(), absl::StrCat("GET / HTTP/1.1\r\n", host, cookie),
        absl::StrCat("X-Trickle: ", std::string(1000, 'a'))));
    // A form's body.
    tricklers.push_back(std::make_unique<Trickler>(
        console_->port(),
        absl::StrCat("POST /search HTTP/1.1\r\n", host, cookie,
                     "Content-Type: application/x-www-form-urlencoded\r\n"
                     "Content-Length: 2000\r\n\r\n"),
        absl::StrCat("csrf=", csrf_, "&surname=", std::string(2000, 'a'))));
    // An import file.
    tricklers.push_back(std::make_unique<Trickler>(
        console_->port(),
        absl::StrCat("POST /import HTTP/1.1\r\n", host, cookie,
                     "Content-Type: multipart/form-data; boundary=", boundary,
                     "\r\nContent-Length: 100000\r\n\r\n"),
        absl::StrCat("--", boundary, "\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n",
                     csrf_, "\r\n--", boundary,
                     "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.csv\"\r\n"
                     "Content-Type: text/csv\r\n\r\n",
                     std::string(1000, 'a'))));
  }
  std::thread trickling = TrickleAll(tricklers);
  auto home = Get("/");
  trickling.join();
  ASSERT_TRUE(home) << "the console answered no one";
  EXPECT_EQ(home->status, 200);
  int refused = 0;
  for (const auto& trickler : tricklers) {
    EXPECT_TRUE(trickler->closed_by_console()) << "a trickling request still holds a worker";
    // The console answers 408, unless the client's next byte came before its close.
    const std::string& answer = trickler->answer();
    EXPECT_TRUE(answer.empty() || absl::StartsWith(answer, "HTTP/1.1 408 ")) << answer;
    if (absl::StartsWith(answer, "HTTP/1.1 408 ")) ++refused;
  }
  EXPECT_GT(refused, 0) << "the console says why";
  EXPECT_EQ(fake->calls, 0) << "no trickling request reached the registry";
}

// The same over TLS, where a handshake can trickle too: the library waited for each of its bytes
// under its read timeout.
TEST_F(ConsoleTest, AHandshakeThatTricklesInDoesNotHoldTheConsolesWorkers) {
  const std::string pki = TestPki();
  auto fake = std::make_shared<FakeRegistry>();
  fake->who.set_role(v1::ROLE_CLERK);
  ConsoleOptions options = TrickleOptions();
  options.tls_cert_file = pki + "/server/cert.pem";
  options.tls_key_file = pki + "/server/key.pem";
  options.connection_limits.workers = 3;
  Console console(options, fake);
  ASSERT_TRUE(console.Start().ok());
  // More than cpp-httplib's own pool of 8.
  std::vector<std::unique_ptr<Trickler>> tricklers;
  for (int i = 0; i < 9; ++i) {
    // A TLS record of 16 KiB announced, its bytes sent one by one.
    tricklers.push_back(std::make_unique<Trickler>(console.port(), std::string("\x16\x03\x01\x40\x00", 5),
                                                   std::string(1000, 'a')));
  }
  std::thread trickling = TrickleAll(tricklers);
  httplib::SSLClient tls("127.0.0.1", console.port());
  tls.enable_server_certificate_verification(false);  // the test CA's name is not 127.0.0.1
  tls.set_connection_timeout(20, 0);  // its handshake waits for a worker too
  tls.set_read_timeout(20, 0);
  auto started = tls.Get(absl::StrCat("/start?s=", console.start_secret()));
  trickling.join();
  ASSERT_TRUE(started) << "the console answered no one";
  EXPECT_EQ(started->status, 303);
  for (const auto& trickler : tricklers) {
    EXPECT_TRUE(trickler->closed_by_console()) << "a trickling handshake still holds a worker";
  }
  console.Stop();
}

// cpp-httplib reads header lines, each up to 8 KiB, without a limit on their number: a client
// could send them until the console's memory ran out. A head past kMaxRequestHeadBytes is refused
// unread, and the console answers the next request.
TEST_F(ConsoleTest, ARequestHeadPastItsLimitIsRefusedNotReadToTheEnd) {
  StartSignedIn(v1::ROLE_CLERK);
  std::string head = absl::StrCat("GET / HTTP/1.1\r\nHost: 127.0.0.1:", console_->port(),
                                  "\r\nCookie: ", cookie_, "\r\n");
  while (head.size() <= kMaxRequestHeadBytes) head += "X-Pad: " + std::string(1000, 'a') + "\r\n";
  head += "\r\n";
  Trickler endless(console_->port(), head, "");
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (endless.Turn() && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(endless.closed_by_console());
  const std::string& answer = endless.answer();
  EXPECT_TRUE(answer.empty() || absl::StartsWith(answer, "HTTP/1.1 400 ")) << answer.substr(0, 200);
  auto home = Get("/");
  ASSERT_TRUE(home);
  EXPECT_EQ(home->status, 200);
}

TEST_F(ConsoleTest, AFormOverTheConsolesLimitIsSaidToBeAFormNotAFile) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  auto huge = Post("/search", {{"personal-number", "1234567890"},
                               {"surname", std::string(kMaxFormBytes, 'A')}});
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->status, 413);
  EXPECT_TRUE(absl::StrContains(huge->body, Escape(catalogs.Text("sq", "refused.form_too_large"))))
      << huge->body;
  EXPECT_TRUE(
      absl::StrContains(huge->body, Escape(catalogs.Text("en", "refused.form_too_large.help"))))
      << huge->body;
  EXPECT_FALSE(absl::StrContains(huge->body, "64 MiB")) << huge->body;
  EXPECT_EQ(fake_->calls, 0) << "a refused form asks the registry nothing";
  ExpectSecurityHeaders(huge, "413 form");
  // The refused form was read to its end: the next request is answered as usual.
  auto home = Get("/");
  ASSERT_TRUE(home);
  EXPECT_EQ(home->status, 200);

  httplib::MultipartFormDataItems upload = {
      {"csrf", csrf_, "", ""},
      {"file", std::string(kMaxFormBytes * 2, 'a'), "records.txt", "text/plain"}};
  auto posted = client_->Post("/import", {{"Cookie", cookie_}}, upload);
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 303) << posted->body;
  auto file = Get(posted->get_header_value("Location"));
  ASSERT_TRUE(file);
  EXPECT_EQ(file->status, 400) << file->body;
  EXPECT_TRUE(absl::StrContains(file->body, Escape(catalogs.Text("sq", "import.bad_type"))))
      << file->body;

  auto nowhere = Post("/no/such/page", {{"surname", std::string(9000, 'A')}});
  ASSERT_TRUE(nowhere);
  EXPECT_EQ(nowhere->status, 404);
  EXPECT_TRUE(absl::StrContains(nowhere->body, Escape(catalogs.Text("sq", "refused.not_found"))))
      << nowhere->body;
}

// A request for parts of a file gets the whole file once, with or without a session, and a
// refusal stays one page: cpp-httplib would answer a thousand ranges of the stylesheet with a
// thousand copies of it.
TEST_F(ConsoleTest, NoFileIsSentInRanges) {
  Start(v1::ROLE_CLERK);
  std::string ranges = "bytes=0-";
  for (int i = 0; i < 1000; ++i) ranges += ",0-";
  auto whole = client_->Get("/assets/console.css");
  ASSERT_TRUE(whole);
  ASSERT_EQ(whole->status, 200);
  auto asked_in_parts = client_->Get("/assets/console.css", {{"Range", ranges}});
  ASSERT_TRUE(asked_in_parts);
  EXPECT_EQ(asked_in_parts->status, 200);
  EXPECT_EQ(asked_in_parts->body, whole->body);
  auto refused = client_->Get("/", {{"Range", ranges}});
  auto refused_whole = client_->Get("/");
  ASSERT_TRUE(refused && refused_whole);
  EXPECT_EQ(refused->status, 401);
  EXPECT_EQ(refused->body, refused_whole->body);
  SignIn();
  auto page = client_->Get("/", {{"Cookie", cookie_}, {"Range", "bytes=0-10"}});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_GT(page->body.size(), 11u);
}

TEST_F(ConsoleTest, OtherHostsAndOtherSitesAreRefused) {
  StartSignedIn(v1::ROLE_CLERK);
  const std::string port = absl::StrCat(console_->port());
  // DNS rebinding: another name for 127.0.0.1.
  auto rebound = client_->Get("/", {{"Cookie", cookie_}, {"Host", "evil.example:" + port}});
  EXPECT_EQ(rebound->status, 421);
  auto cross = client_->Get("/", {{"Cookie", cookie_}, {"Sec-Fetch-Site", "cross-site"}});
  EXPECT_EQ(cross->status, 403);
  auto origin = client_->Post("/records/new", {{"Cookie", cookie_}, {"Origin", "http://evil.example"}},
                              httplib::Params{{"csrf", csrf_}});
  EXPECT_EQ(origin->status, 403);
  auto opaque = client_->Post("/records/new", {{"Cookie", cookie_}, {"Origin", "null"}},
                              httplib::Params{{"csrf", csrf_}});
  EXPECT_EQ(opaque->status, 403) << "a sandboxed frame or a redirect from elsewhere";
  EXPECT_EQ(fake_->calls, 0);
  auto localhost = client_->Get("/", {{"Cookie", cookie_}, {"Host", "localhost:" + port}});
  EXPECT_EQ(localhost->status, 200);
  auto same = client_->Get("/", {{"Cookie", cookie_}, {"Sec-Fetch-Site", "same-origin"},
                                 {"Origin", "http://127.0.0.1:" + port}});
  EXPECT_EQ(same->status, 200);
}

TEST_F(ConsoleTest, PagesFollowTheRoleTheRegistryAssigned) {
  struct Case {
    v1::Role role;
    std::vector<std::string> allowed;
    std::vector<std::string> refused;
  };
  const std::string record = absl::StrCat("/records/", kRecordId);
  const std::vector<Case> cases = {
      {v1::ROLE_CLERK, {"/records/new", "/search", "/import", "/subject", record},
       {"/audit", "/audit/verify", "/vetting"}},
      {v1::ROLE_COURT, {"/search"}, {"/records/new", record + "/amend", "/import", "/audit", "/vetting", "/subject"}},
      {v1::ROLE_VETTING, {"/vetting"}, {"/records/new", "/search", record, "/audit", "/import"}},
      {v1::ROLE_AUDITOR, {"/audit/verify", "/audit/export"}, {"/records/new", "/search", record, "/vetting"}},
      {v1::ROLE_ADMIN, {"/", "/admin", "/admin/rotate-keys"},
       {"/records/new", "/search", record, "/audit", "/vetting", "/import"}},
  };
  for (const Case& c : cases) {
    Start(c.role);
    SignIn();
    for (const std::string& path : c.allowed) {
      EXPECT_EQ(Get(path)->status, 200) << v1::Role_Name(c.role) << " " << path;
    }
    const int before = fake_->calls;
    for (const std::string& path : c.refused) {
      auto response = Get(path);
      EXPECT_EQ(response->status, 403) << v1::Role_Name(c.role) << " " << path;
    }
    EXPECT_EQ(Post("/records/new", {{"surname", "X"}})->status == 403, c.role != v1::ROLE_CLERK);
    EXPECT_EQ(Post("/vetting", {{"surname", "X"}})->status == 403, c.role != v1::ROLE_VETTING);
    EXPECT_EQ(Post("/audit/verify", {})->status == 403, c.role != v1::ROLE_AUDITOR);
    EXPECT_EQ(Post("/admin/backup", {})->status == 403, c.role != v1::ROLE_ADMIN);
    if (c.role == v1::ROLE_ADMIN) {
      EXPECT_EQ(fake_->calls, before + 1) << "refused pages ask nothing";
    }
    // The menu offers only the role's pages.
    const std::string home = Get("/")->body;
    EXPECT_EQ(absl::StrContains(home, "href=\"/records/new\""), c.role == v1::ROLE_CLERK);
    EXPECT_EQ(absl::StrContains(home, "href=\"/audit\""), c.role == v1::ROLE_AUDITOR);
    EXPECT_EQ(absl::StrContains(home, "href=\"/vetting\""), c.role == v1::ROLE_VETTING);
    EXPECT_EQ(absl::StrContains(home, "href=\"/admin\""), c.role == v1::ROLE_ADMIN);
    console_->Stop();
    console_.reset();
  }
}

// A route's pattern as a path: its record, job or certificate id, or its event number.
std::string PathOf(const std::string& pattern) {
  std::string path = std::regex_replace(pattern, std::regex("\\(\\[0-9a-f\\]\\{32\\}\\)"), kRecordId);
  path = std::regex_replace(path, std::regex("\\(\\[0-9\\]\\{1,20\\}\\)"), "5");
  path = std::regex_replace(path, std::regex("\\\\\\."), ".");
  EXPECT_EQ(path.find_first_of("()[]{}\\"), std::string::npos) << "a pattern the test cannot fill: " << pattern;
  return path;
}

const std::vector<v1::Role>& AllRoles() {
  static const std::vector<v1::Role> roles = {v1::ROLE_CLERK, v1::ROLE_COURT, v1::ROLE_VETTING,
                                              v1::ROLE_AUDITOR, v1::ROLE_ADMIN};
  return roles;
}

bool RouteAllows(const Console::Route& route, v1::Role role) {
  return route.roles.empty() ||
         std::find(route.roles.begin(), route.roles.end(), role) != route.roles.end();
}

void ConsoleTest::ForEachPageOfEachRole(
    const std::function<void(v1::Role role, const std::string& path,
                             const httplib::Response& page)>& visit) {
  for (v1::Role role : AllRoles()) {
    Start(role);
    SignIn();
    for (const Console::Route& route : console_->routes()) {
      if (route.method != "GET" || !RouteAllows(route, role)) continue;
      const std::string path = PathOf(route.pattern);
      auto page = Get(path);
      ASSERT_TRUE(page) << v1::Role_Name(role) << " " << path;
      visit(role, path, *page);
    }
    console_->Stop();
    console_.reset();
  }
}

// Every POST route of the console, whatever the role and whatever the body's encoding, is refused
// without the session's CSRF token (none, another, in the query string only), before it asks the
// registry anything; and no GET route changes anything in the registry.
TEST_F(ConsoleTest, EveryStateChangingRouteNeedsTheSessionsCsrfToken) {
  for (v1::Role role : AllRoles()) {
    Start(role);
    SignIn();
    int posts = 0;
    for (const Console::Route& route : console_->routes()) {
      const std::string path = PathOf(route.pattern);
      const std::string where = absl::StrCat(v1::Role_Name(role), " ", route.method, " ", path);
      if (route.method == "GET") {
        ASSERT_TRUE(Get(path)) << where;
        continue;
      }
      ASSERT_EQ(route.method, "POST") << where;
      ++posts;
      const httplib::Params form = {{"confirm", "ROTATE"}, {"lang", "en"}, {"surname", "X"}};
      EXPECT_EQ(Post(path, form, /*with_csrf=*/false)->status, 403) << where << ": no token";
      httplib::Params forged = form;
      forged.emplace("csrf", std::string(64, 'f'));
      EXPECT_EQ(Post(path, forged, false)->status, 403) << where << ": another token";
      EXPECT_EQ(client_->Post(absl::StrCat(path, "?csrf=", csrf_), {{"Cookie", cookie_}}, form)->status,
                400)
          << where << ": the token in the query string";
      httplib::MultipartFormDataItems multipart = {{"confirm", "ROTATE", "", ""},
                                                   {"csrf", std::string(64, '0'), "", ""}};
      EXPECT_EQ(client_->Post(path, {{"Cookie", cookie_}}, multipart)->status, 403)
          << where << ": multipart, another token";
      EXPECT_EQ(client_->Post(path, {{"Cookie", cookie_}}, "{\"csrf\": \"" + csrf_ + "\"}",
                              "application/json")->status,
                403)
          << where << ": JSON";
    }
    EXPECT_GE(posts, 14) << "every state-changing page is a POST";
    EXPECT_EQ(fake_->changes, 0) << v1::Role_Name(role) << ": a GET or a refused POST changed something";
    console_->Stop();
    console_.reset();
  }
}

// What each role may open, written out: a page added for the wrong roles (or for all of them)
// fails here rather than passing the test below by its own declaration.
const std::map<v1::Role, std::set<std::string>>& ExpectedPages() {
  const std::set<std::string> everyone = {"GET /", "POST /language", "POST /signout",
                                          "GET /jobs/([0-9a-f]{32})",
                                          "GET /jobs/([0-9a-f]{32})\\.json"};
  const auto with = [&](std::set<std::string> own) {
    own.insert(everyone.begin(), everyone.end());
    return own;
  };
  const std::string record = "/records/([0-9a-f]{32})";
  static const auto* pages = new std::map<v1::Role, std::set<std::string>>{
      {v1::ROLE_CLERK,
       with({"GET /records/new", "POST /records/new", "POST /records/open",
             "GET /records/open/refused/([0-9a-f]{32})", "GET " + record,
             "GET " + record + "/history", "GET " + record + "/amend", "POST " + record + "/amend",
             "POST " + record + "/dispute", "POST " + record + "/resolve",
             "GET " + record + "/expunge", "POST " + record + "/expunge", "GET /search",
             "POST /search", "GET /search/results/([0-9a-f]{32})", "GET /subject", "POST /subject", "GET /import", "POST /import",
             "POST /import/run", "GET /subject/answers/([0-9a-f]{32})",
             "GET " + record + "/expunge/refused/([0-9a-f]{32})",
             "GET /import/checks/([0-9a-f]{32})", "GET /import/refused/([0-9a-f]{32})",
             "GET /records/new/refused/([0-9a-f]{32})", "GET /search/refused/([0-9a-f]{32})",
             "GET " + record + "/dispute/refused/([0-9a-f]{32})",
             "GET " + record + "/resolve/refused/([0-9a-f]{32})",
             "GET " + record + "/amend/refused/([0-9a-f]{32})"})},
      {v1::ROLE_COURT,
       with({"GET " + record, "POST " + record, "GET " + record + "/history",
             "POST " + record + "/history", "GET " + record + "/read/([0-9a-f]{32})",
             "GET " + record + "/history/read/([0-9a-f]{32})", "GET /search", "POST /search",
             "GET /search/results/([0-9a-f]{32})", "GET " + record + "/refused/([0-9a-f]{32})",
             "GET " + record + "/history/refused/([0-9a-f]{32})",
             "GET /search/refused/([0-9a-f]{32})"})},
      {v1::ROLE_VETTING,
       with({"GET /vetting", "POST /vetting", "GET /vetting/results/([0-9a-f]{32})",
             "GET /vetting/refused/([0-9a-f]{32})",
             "GET /vetting/certificates/([0-9a-f]{32})",
             "GET /vetting/certificates/([0-9a-f]{32})\\.json", "GET /vetting/public-key.pem"})},
      {v1::ROLE_AUDITOR,
       with({"GET /audit", "POST /audit", "GET /audit/results/([0-9a-f]{32})",
             "GET /audit/refused/([0-9a-f]{32})",
             "GET /audit/events/([0-9]{1,20})", "GET /audit/verify",
             "POST /audit/verify", "GET /audit/export", "POST /audit/export",
             "GET /audit/export/refused/([0-9a-f]{32})"})},
      {v1::ROLE_ADMIN,
       with({"GET /admin", "POST /admin/backup", "POST /admin/verify-data",
             "GET /admin/checks/([0-9a-f]{32})", "GET /admin/rotate-keys",
             "POST /admin/rotate-keys", "GET /admin/rotated",
             "GET /admin/rotate-keys/refused/([0-9a-f]{32})",
             "GET /admin/backup/refused/([0-9a-f]{32})",
             "GET /admin/verify-data/refused/([0-9a-f]{32})",
             "POST /admin/backups/([0-9]{1,20})/verify",
             "GET /admin/backups/([0-9]{1,20})/verify/refused/([0-9a-f]{32})",
             "GET /admin/backup-checks/([0-9a-f]{32})"})},
  };
  return *pages;
}

// Every page that names roles refuses the others with 403 before asking the registry anything,
// whether it is read or sent; a page for every role serves each of them.
TEST_F(ConsoleTest, EveryRouteRefusesTheRolesItIsNotFor) {
  for (v1::Role role : AllRoles()) {
    Start(role);
    SignIn();
    std::set<std::string> open;
    for (const Console::Route& route : console_->routes()) {
      if (RouteAllows(route, role)) open.insert(absl::StrCat(route.method, " ", route.pattern));
    }
    EXPECT_EQ(open, ExpectedPages().at(role)) << v1::Role_Name(role);
    int refused = 0;
    for (const Console::Route& route : console_->routes()) {
      const std::string path = PathOf(route.pattern);
      const std::string where = absl::StrCat(v1::Role_Name(role), " ", route.method, " ", path);
      const int before = fake_->calls;
      auto response = route.method == "GET" ? Get(path) : Post(path, {{"surname", "X"}});
      ASSERT_TRUE(response) << where;
      if (RouteAllows(route, role)) {
        EXPECT_NE(response->status, 403) << where << "\n" << response->body;
        // A page that starts a background job (an import, a verification) redirects to it: its
        // calls to the registry must not land in a later route's count.
        WaitForJobOf(*response);
        // Signing out ends the session: the routes after it are walked in a new one.
        if (route.pattern == "/signout") SignIn();
        continue;
      }
      ++refused;
      EXPECT_EQ(response->status, 403) << where;
      EXPECT_EQ(fake_->calls, before) << where << ": a refused page asked the registry";
      EXPECT_TRUE(absl::StrContains(response->body, "refused") ||
                  absl::StrContains(response->body, "<h1>"))
          << where;
    }
    EXPECT_GT(refused, 10) << v1::Role_Name(role);
    console_->Stop();
    console_.reset();
  }
}

// No page, stylesheet or script names anything outside the console: no external script, style,
// image, font or form target, and no inline code the policy would have to allow.
TEST_F(ConsoleTest, NoPageLoadsAnythingFromElsewhere) {
  for (v1::Role role : AllRoles()) {
    Start(role);
    SignIn();
    std::vector<std::string> paths = {"/assets/console.css", "/assets/console.js"};
    for (const Console::Route& route : console_->routes()) {
      if (route.method == "GET" && RouteAllows(route, role)) paths.push_back(PathOf(route.pattern));
    }
    for (const std::string& path : paths) {
      auto response = Get(path);
      ASSERT_TRUE(response) << path;
      const std::string& body = response->body;
      const std::string where = absl::StrCat(v1::Role_Name(role), " ", path);
      EXPECT_FALSE(std::regex_search(body, std::regex("(src|href|action)=\"(https?:)?//")))
          << where;
      EXPECT_FALSE(std::regex_search(body, std::regex("url\\(\\s*['\"]?(https?:)?//"))) << where;
      EXPECT_FALSE(std::regex_search(body, std::regex("@import"))) << where;
      EXPECT_FALSE(std::regex_search(body, std::regex("<script(?![^>]*src=\"/assets/console\\.js\")"))) << where;
      EXPECT_FALSE(std::regex_search(body, std::regex("<style|style=\"| on[a-z]+=\""))) << where;
      EXPECT_FALSE(absl::StrContains(body, "javascript:")) << where;
    }
    console_->Stop();
    console_.reset();
  }
}

// The officer's page listed and made backups but could not verify one (registry-cli admin
// verify-backup can; docs/operations.md asks for the newest to be verified weekly). Each backup
// has its Verify button: the POST asks the registry (VerifyBackup, audited there) for that
// backup, and is answered by a redirect to a page that shows the result once, as a data check's;
// a reload restores nothing again. A refusal waits at a page of its own, with the button again.
TEST_F(ConsoleTest, EachBackupIsVerifiedByItsButtonAndAReloadDoesNotVerifyAgain) {
  StartSignedIn(v1::ROLE_ADMIN);
  const Catalogs& catalogs = Catalogs::Embedded();
  fake_->backups.add_backups()->set_backup_id(7);
  fake_->backups.add_backups()->set_backup_id(8);
  const std::string overview = Get("/admin")->body;
  for (const char* id : {"7", "8"}) {
    EXPECT_TRUE(absl::StrContains(
        overview, absl::StrCat("<form method=\"post\" action=\"/admin/backups/", id,
                               "/verify\" autocomplete=\"off\">")))
        << overview;
  }
  fake_->backup_check.set_backup_id(8);
  fake_->backup_check.set_ok(false);
  fake_->backup_check.set_files_intact(true);
  fake_->backup_check.set_records(12);
  fake_->backup_check.set_problem_count(1);
  fake_->backup_check.add_problems("record <b>x</b> missing");
  auto verified = Post("/admin/backups/8/verify", {});
  ASSERT_EQ(verified->status, 303) << verified->body;
  EXPECT_EQ(fake_->verified_backup, 8u);
  const std::string result = verified->get_header_value("Location");
  EXPECT_TRUE(std::regex_match(result, std::regex("/admin/backup-checks/[0-9a-f]{32}"))) << result;
  const int calls = fake_->calls;
  auto shown = Get(result);
  ASSERT_EQ(shown->status, 200);
  EXPECT_TRUE(absl::StrContains(
      shown->body, FormatEscaped("sq", catalogs.Text("sq", "admin.backup_check.failed"),
                                 {{"id", "8"}, {"n", "1"}})))
      << shown->body;
  EXPECT_TRUE(absl::StrContains(shown->body, "record &lt;b&gt;x&lt;/b&gt; missing"));
  EXPECT_TRUE(absl::StrContains(shown->body, "<td>12</td>")) << shown->body;
  shown = Get(result);
  EXPECT_EQ(shown->status, 410);
  EXPECT_TRUE(
      absl::StrContains(shown->body, Escape(catalogs.Text("sq", "admin.backup_check.shown"))));
  EXPECT_EQ(fake_->calls, calls) << "a reload verified the backup again";
  // Another id names no verification of this session's.
  EXPECT_EQ(Get(absl::StrCat("/admin/backup-checks/", std::string(32, 'a')))->status, 404);

  fake_->backup_check_status = absl::NotFoundError("no backup 9");
  auto refused = Post("/admin/backups/9/verify", {});
  ASSERT_EQ(refused->status, 303);
  const std::string page = refused->get_header_value("Location");
  EXPECT_TRUE(std::regex_match(page, std::regex("/admin/backups/9/verify/refused/[0-9a-f]{32}")))
      << page;
  const int before = fake_->calls;
  const std::string body = Get(page)->body;
  EXPECT_TRUE(absl::StrContains(body, "no backup 9")) << body;
  EXPECT_TRUE(absl::StrContains(
      body, "<form method=\"post\" action=\"/admin/backups/9/verify\" autocomplete=\"off\">"))
      << body;
  EXPECT_EQ(fake_->calls, before);
}

TEST_F(ConsoleTest, TheSecurityOfficerSeesCountsAndIdsAndRotatesOnlyWhenTyped) {
  Start(v1::ROLE_ADMIN, /*hostile=*/true);
  SignIn();
  const std::string overview = Get("/admin")->body;
  ExpectInert(overview, "backups");
  auto checked = Post("/admin/verify-data", {});
  ASSERT_EQ(checked->status, 303);
  ExpectInert(Get(checked->get_header_value("Location"))->body, "data check");
  auto backup = Post("/admin/backup", {});
  EXPECT_EQ(backup->status, 303);
  EXPECT_EQ(backup->get_header_value("Location"), "/admin?backup=7&pruned=3");
  EXPECT_EQ(fake_->changes, 1);
  // Only digits come back from the address: a typed value is not shown.
  const std::string shown = Get("/admin?backup=<b>&pruned=<i>")->body;
  EXPECT_FALSE(absl::StrContains(shown, "<b>"));
  EXPECT_FALSE(absl::StrContains(shown, "<i>"));
  EXPECT_FALSE(absl::StrContains(shown, "id=\"admin-done\""));
  EXPECT_TRUE(absl::StrContains(Get("/admin?backup=7&pruned=3")->body, "id=\"admin-done\""));

  EXPECT_EQ(PostAndFollow("/admin/rotate-keys", {})->status, 400);
  EXPECT_EQ(PostAndFollow("/admin/rotate-keys", {{"confirm", "rotate"}})->status, 400);
  EXPECT_EQ(PostAndFollow("/admin/rotate-keys", {{"confirm", "yes"}})->status, 400);
  EXPECT_EQ(fake_->changes, 1) << "the key is rotated only when the word is typed";
  auto rotated = Post("/admin/rotate-keys", {{"confirm", " ROTATE "}});
  EXPECT_EQ(rotated->status, 303);
  EXPECT_EQ(fake_->changes, 2);
  const std::string done = Get(rotated->get_header_value("Location"))->body;
  EXPECT_TRUE(absl::StrContains(done, "11")) << done;
}

// The element of the input `id`'s field group: from its opening to the next field's.
std::string FieldGroup(const std::string& body, const std::string& id) {
  const size_t start = body.find(absl::StrCat("id=\"field-", id, "\""));
  if (start == std::string::npos) return "";
  const size_t end = body.find("id=\"field-", start + 1);
  return body.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// A KJC clerk expunged a later conviction and an earlier one of the person, kept only by it, went
// for good unsaid. The expunge form names it beforehand (the registry's dry run, which changes
// nothing), and the notice after the expunge names it again.
TEST_F(ConsoleTest, TheExpungeFormAndItsNoticeNameTheRecordsErasedWithIt) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  const std::string record = absl::StrCat("/records/", kRecordId);
  const std::string earlier = "fedcba9876543210fedcba9876543210";
  fake_->erased_with = {earlier};
  const int changes = fake_->changes;
  auto form = Get(record + "/expunge");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 200);
  EXPECT_TRUE(absl::StrContains(form->body, absl::StrCat("<p id=\"erased-with-", earlier, "\">")))
      << form->body;
  const std::string goes = catalogs.Text("sq", "record.expunge.goes_with");
  EXPECT_TRUE(absl::StrContains(
      form->body, Escape(absl::StrReplaceAll(goes, {{"{id}", earlier}}))))
      << form->body;
  EXPECT_EQ(fake_->changes, changes);

  fake_->expunge_status = absl::OkStatus();
  auto expunged = Post(record + "/expunge", {{"legal_basis", "KP 103"}, {"confirm", "P 1/2024"}});
  ASSERT_TRUE(expunged);
  EXPECT_EQ(expunged->status, 303);
  auto home = Get(expunged->get_header_value("Location"));
  ASSERT_TRUE(home);
  const std::string with = absl::StrReplaceAll(catalogs.Text("sq", "record.expunged.with"),
                                               {{"{id}", earlier}, {"{expunged}", kRecordId}});
  EXPECT_TRUE(absl::StrContains(home->body, Escape(with))) << home->body;
}

// Between the form's question and the clerk's confirmation, another clerk may enter a conviction
// that only this record keeps. The form sends back the records it named going with it (none is
// an answer too), so the registry refuses an expunge that would now erase another; refused so,
// the form asks the registry again and names what goes now.
TEST_F(ConsoleTest, TheExpungeFormSendsTheRecordsItNamedAsGoingWithItAndAsksAgainWhenTheyChanged) {
  StartSignedIn(v1::ROLE_CLERK);
  const std::string record = absl::StrCat("/records/", kRecordId);
  const std::string earlier = "fedcba9876543210fedcba9876543210";
  fake_->erased_with = {earlier};
  auto form = Get(record + "/expunge");
  ASSERT_TRUE(form);
  const std::string hidden =
      absl::StrCat("<input type=\"hidden\" name=\"erased_with\" value=\"", earlier, "\">");
  EXPECT_TRUE(absl::StrContains(form->body, hidden)) << form->body;

  fake_->expunge_status = absl::OkStatus();
  auto expunged = Post(record + "/expunge", {{"legal_basis", "KP 103"},
                                             {"confirm", "P 1/2024"},
                                             {"erased_with", earlier}});
  ASSERT_TRUE(expunged);
  EXPECT_EQ(expunged->status, 303);
  EXPECT_TRUE(fake_->last_expunge.confirms_erased_with_it());
  EXPECT_EQ(std::vector<std::string>(fake_->last_expunge.erased_with_it_confirmed().begin(),
                                     fake_->last_expunge.erased_with_it_confirmed().end()),
            std::vector<std::string>{earlier});

  // A form that named none confirms none; the registry, finding one now, refuses.
  fake_->expunge_status = absl::AbortedError(
      "the records erased with it have changed since the question: ask again");
  auto refused = PostAndFollow(record + "/expunge", {{"legal_basis", "KP 103"},
                                                     {"confirm", "P 1/2024"},
                                                     {"erased_with", ""}});
  ASSERT_TRUE(refused);
  EXPECT_TRUE(fake_->last_expunge.confirms_erased_with_it());
  EXPECT_EQ(fake_->last_expunge.erased_with_it_confirmed_size(), 0);
  EXPECT_TRUE(absl::StrContains(refused->body, absl::StrCat("<p id=\"erased-with-", earlier)))
      << refused->body;
  EXPECT_TRUE(absl::StrContains(refused->body, hidden)) << refused->body;
}

// On the forms that are not a record (vetting, expunging, exporting), a field the registry refuses
// is marked beside its input, and the others are not.
TEST_F(ConsoleTest, TheRegistrysFieldErrorsStandBesideTheirInputs) {
  StartSignedIn(v1::ROLE_VETTING);
  fake_->vetting_status = absl::InvalidArgumentError(
      "consent_reference: 1..64 ASCII letters, digits, spaces or /-.:_, with a letter or digit; birth_date: must be a real date");
  std::string body =
      PostAndFollow("/vetting", {{"consent_ref", "C 1"}, {"birth-date", "1990-02-30"}})->body;
  EXPECT_TRUE(absl::StrContains(FieldGroup(body, "consent_ref"), "id=\"consent_ref-error\"")) << body;
  EXPECT_TRUE(absl::StrContains(FieldGroup(body, "birth-date"), "id=\"birth-date-error\"")) << body;
  EXPECT_FALSE(absl::StrContains(body, "id=\"surname-error\""));
  EXPECT_TRUE(absl::StrContains(FieldGroup(body, "consent_ref"), "aria-invalid=\"true\""));
  console_->Stop();

  StartSignedIn(v1::ROLE_CLERK);
  const std::string record = absl::StrCat("/records/", kRecordId);
  fake_->expunge_status = absl::InvalidArgumentError(
      "legal_basis: 1..64 ASCII letters, digits, spaces or /-.:_, with a letter or digit, citing the law");
  body = PostAndFollow(record + "/expunge", {{"legal_basis", "a, b"}, {"confirm", "P 1/2024"}})
             ->body;
  EXPECT_TRUE(absl::StrContains(FieldGroup(body, "legal_basis"), "id=\"legal_basis-error\"")) << body;
  EXPECT_FALSE(absl::StrContains(body, "id=\"confirm-error\""));
  // A wrong confirmation stops here, beside its own input, and asks the registry nothing.
  const int changes = fake_->changes;
  body = PostAndFollow(record + "/expunge", {{"legal_basis", "KP 103"}, {"confirm", "P 2/2024"}})
             ->body;
  EXPECT_TRUE(absl::StrContains(FieldGroup(body, "confirm"), "id=\"confirm-error\"")) << body;
  EXPECT_EQ(fake_->changes, changes);
  console_->Stop();

  StartSignedIn(v1::ROLE_AUDITOR);
  fake_->export_status = absl::InvalidArgumentError("recipient: 1..64 ASCII letters, digits, spaces or /-.:_, with a letter or digit");
  body = PostAndFollow("/audit/export", {{"recipient", "a;b"}, {"reference", "R 1"}})->body;
  EXPECT_TRUE(absl::StrContains(FieldGroup(body, "recipient"), "id=\"recipient-error\"")) << body;
  EXPECT_FALSE(absl::StrContains(body, "id=\"reference-error\""));
}

// The person of the record the fake registry holds, for the corrections below: Arben Krasniqi.
v1::Person& StoredPersonOf(v1::Record* record) {
  v1::Person& person = *record->mutable_person();
  person.set_surname("Krasniqi");
  person.set_given_name("Arben");
  person.set_sex(v1::SEX_MALE);
  person.set_birth_date("1980-04-12");
  person.set_personal_number("1234567890");
  return person;
}

// A correction of one field sends that field only, so what the form cannot show (here two bans of
// one kind) stays as stored; the page says so, and a change of such a record's bans is refused
// beside them without asking the registry.
TEST_F(ConsoleTest, ACorrectionLeavesWhatTheFormCannotShowAsStored) {
  StartSignedIn(v1::ROLE_CLERK);
  v1::Person& person = StoredPersonOf(&fake_->record);
  person.set_last_known_address(" Rr. X ");
  v1::Conviction& conviction = *fake_->record.mutable_conviction();
  conviction.set_court_id("basic-prishtine");
  conviction.set_judgment_date("2024-03-01");
  conviction.set_final_date("2024-05-15");
  v1::Offence* offence = conviction.add_offences();
  offence->set_law("06/L-074");
  offence->set_article(230);
  offence->set_paragraph(1);
  conviction.mutable_sentence()->set_type(v1::SENTENCE_TYPE_IMPRISONMENT);
  conviction.mutable_sentence()->set_months(24);
  for (const char* end : {"", "2030-01-01"}) {
    v1::AccessoryBan* ban = conviction.add_bans();
    ban->set_type(v1::BAN_TYPE_PROFESSION);
    ban->set_end_date(end);
  }
  const std::string amend = absl::StrCat("/records/", kRecordId, "/amend");
  auto page = Get(amend);
  ASSERT_TRUE(page);
  EXPECT_TRUE(absl::StrContains(page->body, "id=\"bans-not-shown\"")) << page->body;

  v1::CreateRecordRequest shown;
  *shown.mutable_person() = person;
  *shown.mutable_conviction() = conviction;
  FormValues values = FormFromRecord(shown);
  values["father-name"] = {"Besim"};
  values["reason"] = {"court notice 12/2024"};
  values["version"] = {"1"};
  const auto params = [&values] {
    httplib::Params out;
    for (const auto& [name, list] : values) {
      for (const std::string& value : list) out.emplace(name, value);
    }
    return out;
  };
  Post(amend, params());
  EXPECT_EQ(std::vector<std::string>(fake_->last_amend.update_mask().paths().begin(),
                                     fake_->last_amend.update_mask().paths().end()),
            std::vector<std::string>{"person.father_name"});

  const int changes = fake_->changes;
  values["ban-profession-end"] = {"2031-01-01"};
  const std::string body = PostAndFollow(amend, params())->body;
  EXPECT_TRUE(absl::StrContains(body, "id=\"ban-profession-error\"")) << body;
  EXPECT_EQ(fake_->changes, changes) << "the registry was asked to replace the bans";
}

// A correction refused by a field it left as it was carries the registry's note on it, "(left as
// it was: ...)", which stayed in English on an Albanian or Serbian page. The note is said in the
// page's language after the rule, naming the changed fields by the form's labels.
TEST_F(ConsoleTest, ACorrectionsNoteOnAFieldItLeftAsItWasIsSaidInThePagesLanguage) {
  StartSignedIn(v1::ROLE_CLERK);
  v1::Person& person = StoredPersonOf(&fake_->record);
  v1::Conviction& conviction = *fake_->record.mutable_conviction();
  conviction.set_court_id("basic-prishtine");
  conviction.set_case_number("P 1/2024");
  conviction.set_judgment_date("2024-03-01");
  conviction.set_final_date("2024-05-15");
  conviction.mutable_sentence()->set_type(v1::SENTENCE_TYPE_FINE);
  v1::CreateRecordRequest shown;
  *shown.mutable_person() = person;
  *shown.mutable_conviction() = conviction;
  FormValues values = FormFromRecord(shown);
  values["judgment-date"] = {"2024-06-01"};
  values["reason"] = {"court notice 12/2024"};
  values["version"] = {"1"};
  httplib::Params params;
  for (const auto& [name, list] : values) {
    for (const std::string& value : list) params.emplace(name, value);
  }
  fake_->amend_status = absl::InvalidArgumentError(
      "conviction.court_id: not in the court table (left as it was: the reference tables no "
      "longer list what the record holds; amend it too, or have the entry put back in the "
      "reference data); conviction.final_date: must be on or after the judgment date and not in "
      "the future (left as it was: this amendment did not change it, and it no longer fits the "
      "amended judgment date, sentence. Amend it too); conviction.offences: 1..20 offences (left "
      "as it was: the record was entered before the registry checked this; amend it too)");
  const Catalogs& catalogs = Catalogs::Embedded();
  for (const char* language : {"sq", "sr", "en"}) {
    SCOPED_TRACE(language);
    ASSERT_EQ(Post("/language", {{"lang", language}, {"back", "/"}})->status, 303);
    const std::string body =
        PostAndFollow(absl::StrCat("/records/", kRecordId, "/amend"), params)->body;
    const auto said = [&](const char* key) { return Escape(catalogs.Text(language, key)); };
    EXPECT_TRUE(absl::StrContains(
        FieldGroup(body, "court"),
        absl::StrCat(said("rule.court"), " ", said("amend.note.reference_gone"))))
        << body;
    const std::string fields = absl::StrCat(catalogs.Text(language, "field.judgment-date"), ", ",
                                            catalogs.Text(language, "field.sentence"));
    EXPECT_TRUE(absl::StrContains(
        FieldGroup(body, "final-date"),
        absl::StrCat(said("rule.final_date"), " ",
                     Escape(absl::StrReplaceAll(catalogs.Text(language, "amend.note.not_changed"),
                                                {{"{fields}", fields}})))))
        << body;
    // The form offers no offence here (the fake's table is empty): said in the list above it.
    EXPECT_TRUE(absl::StrContains(body, absl::StrCat(said("rule.offences"), " ",
                                                     said("amend.note.stored_before"))))
        << body;
    EXPECT_FALSE(absl::StrContains(body, "left as it was")) << body;
  }
}

TEST_F(ConsoleTest, EveryStringFromTheRegistryIsEscapedOnTheClerksPages) {
  Start(v1::ROLE_CLERK, /*hostile=*/true);
  SignIn();
  const std::string record = absl::StrCat("/records/", kRecordId);
  for (const std::string& path : {std::string("/"), std::string("/records/new"), record,
                                  record + "/history", record + "/amend", record + "/expunge"}) {
    auto response = Get(path);
    ASSERT_TRUE(response) << path;
    ExpectInert(response->body, path);
  }
  ExpectInert(PostAndFollow("/search", {{"personal-number", "1234567890"}})->body, "search");
  ExpectInert(
      PostAndFollow("/subject", {{"personal-number", "1234567890"}, {"request_ref", "R1"}})->body,
      "subject");
  ExpectInert(PostAndFollow(record + "/dispute", {{"reason", "r"}})->body, "dispute error");
  ExpectInert(
      PostAndFollow(record + "/expunge", {{"legal_basis", "b"}, {"confirm", kHostile}})->body,
      "expunge form");
  fake_->create_status = absl::InvalidArgumentError(
      absl::StrCat("person.surname: ", kHostile, "; ", kHostile));
  ExpectInert(PostAndFollow("/records/new", {{"surname", "X"}})->body, "create error");
}

// A court's read is the official's act for a purpose it states: a link made elsewhere (in a mail
// or a chat) that names a case reference and a purpose only shows the purpose form, filled in,
// for the official to send; the read is made by that form (POST, with the CSRF token).
// A data subject is owed the whole history: the page follows the registry's page tokens to the
// end and shows every check, the later pages' (older) below the first's.
TEST_F(ConsoleTest, ADataSubjectsHistoryIsShownWholeEveryPageFollowed) {
  StartSignedIn(v1::ROLE_CLERK);
  const std::string token = absl::StrCat("1790000000000000.", kRecordId);
  v1::CheckSummary* newest = fake_->checks.add_checks();
  newest->set_organisation("flooding-org");
  newest->set_checked_at("2026-09-21T12:00:05Z");
  newest->set_status_code(8);
  fake_->checks.set_next_page_token(token);
  v1::CheckSummary* earlier = fake_->more_checks.add_checks();
  earlier->set_organisation("earlier-org");
  earlier->set_checked_at("2026-09-21T12:00:01Z");
  earlier->set_result(v1::VETTING_RESULT_CLEAR);

  auto shown =
      PostAndFollow("/subject", {{"personal-number", "1234567890"}, {"request_ref", "DSR-1"}});
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->status, 200) << shown->body;
  const size_t first = shown->body.find("flooding-org");
  const size_t second = shown->body.find("earlier-org");
  ASSERT_NE(first, std::string::npos) << shown->body;
  ASSERT_NE(second, std::string::npos) << shown->body;
  EXPECT_LT(first, second);
  ASSERT_EQ(fake_->checks_requests.size(), 2u);
  EXPECT_EQ(fake_->checks_requests[0].page_size(), 1000u);
  EXPECT_EQ(fake_->checks_requests[0].page_token(), "");
  EXPECT_EQ(fake_->checks_requests[1].page_token(), token);
  EXPECT_EQ(fake_->checks_requests[1].request_reference(), "DSR-1");
  EXPECT_EQ(fake_->checks_requests[1].personal_number(), "1234567890");

  // A registry that hands back the token it was given is refused, not followed for ever.
  fake_->checks_requests.clear();
  fake_->more_checks.set_next_page_token(token);
  auto looping =
      PostAndFollow("/subject", {{"personal-number", "1234567890"}, {"request_ref", "DSR-1"}});
  ASSERT_TRUE(looping);
  EXPECT_EQ(looping->status, 400);
  EXPECT_FALSE(absl::StrContains(looping->body, "earlier-org"));
  EXPECT_EQ(fake_->checks_requests.size(), 2u);
}

// A check asked under another personal number is in the history of a person whose record took
// part in it: the page says so, and shows the answer only when it was theirs (REFER), never the
// asked number's.
TEST_F(ConsoleTest, ACheckAskedUnderAnotherNumberShowsOnlyAReferAsTheSubjectsAnswer) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  v1::CheckSummary* other = fake_->checks.add_checks();
  other->set_organisation("other-number-org");
  other->set_checked_at("2026-09-21T12:00:05Z");
  other->set_asked_under_another_number(true);
  v1::CheckSummary* refer = fake_->checks.add_checks();
  refer->set_organisation("refer-org");
  refer->set_checked_at("2026-09-21T12:00:01Z");
  refer->set_asked_under_another_number(true);
  refer->set_result(v1::VETTING_RESULT_REFER);
  auto shown =
      PostAndFollow("/subject", {{"personal-number", "1234567890"}, {"request_ref", "DSR-1"}});
  ASSERT_TRUE(shown);
  ASSERT_EQ(shown->status, 200) << shown->body;
  EXPECT_TRUE(absl::StrContains(shown->body,
                                Escape(catalogs.Text("sq", "subject.other_number"))))
      << shown->body;
  EXPECT_TRUE(absl::StrContains(shown->body,
                                Escape(catalogs.Text("sq", "subject.other_number_refer"))))
      << shown->body;
  EXPECT_FALSE(absl::StrContains(shown->body, Escape(catalogs.Text("sq", "result.not_clear"))))
      << shown->body;
}

TEST_F(ConsoleTest, ACourtReadsOnlyByPostingItsPurposeNeverByFollowingALink) {
  StartSignedIn(v1::ROLE_COURT);
  fake_->record.mutable_person()->set_surname("Gashi");
  for (const std::string& page : {std::string("/records/") + kRecordId,
                                  std::string("/records/") + kRecordId + "/history"}) {
    const int before = fake_->calls.load();
    auto linked = Get(page + "?case_ref=PKR%20LINK%2F26&purpose=criminal_proceedings");
    ASSERT_TRUE(linked) << page;
    EXPECT_EQ(fake_->calls.load(), before) << page << ": a link made the court's read";
    EXPECT_TRUE(absl::StrContains(linked->body, "method=\"post\"")) << page;
    EXPECT_TRUE(absl::StrContains(linked->body, "name=\"csrf\"")) << page;
    EXPECT_TRUE(absl::StrContains(linked->body, "PKR LINK/26")) << page << ": not filled in";
    EXPECT_FALSE(absl::StrContains(linked->body, "Gashi")) << page;

    auto forged = Post(page, {{"case_ref", "PKR 1/26"}, {"purpose", "criminal_proceedings"}},
                       /*with_csrf=*/false);
    ASSERT_TRUE(forged) << page;
    EXPECT_EQ(forged->status, 403) << page;
    EXPECT_EQ(fake_->calls.load(), before) << page << ": a post without the token read";

    auto empty = Post(page, {{"case_ref", ""}, {"purpose", "criminal_proceedings"}});
    ASSERT_TRUE(empty) << page;
    EXPECT_EQ(fake_->calls.load(), before) << page << ": read without a case reference";

    auto sent = Post(page, {{"case_ref", "PKR 1/26"}, {"purpose", "criminal_proceedings"}});
    ASSERT_TRUE(sent) << page;
    EXPECT_EQ(sent->status, 303) << page << ": answered by a redirect to the read's page";
    EXPECT_EQ(fake_->calls.load(), before + 1) << page;
  }
  // The record page opens its history by a form that posts the same purpose, never a link.
  auto read = PostAndFollow(absl::StrCat("/records/", kRecordId),
                            {{"case_ref", "PKR 1/26"}, {"purpose", "criminal_proceedings"}});
  ASSERT_TRUE(read);
  EXPECT_TRUE(absl::StrContains(read->body, "Gashi"));
  EXPECT_FALSE(absl::StrContains(read->body, "case_ref=")) << "a link carrying the purpose";
  EXPECT_TRUE(absl::StrContains(read->body, "value=\"PKR 1/26\""));
}

TEST_F(ConsoleTest, EveryStringFromTheRegistryIsEscapedOnTheOtherRolesPages) {
  Start(v1::ROLE_COURT, true);
  SignIn();
  ExpectInert(
      PostAndFollow("/search", {{"personal-number", "1"}, {"case_ref", "C 1"}, {"purpose", "x"}})
          ->body,
      "court search");
  ExpectInert(
      PostAndFollow(absl::StrCat("/records/", kRecordId), {{"case_ref", "C"}, {"purpose", "x"}})
          ->body,
      "court read");
  console_->Stop();

  Start(v1::ROLE_VETTING, true);
  SignIn();
  ExpectInert(Get("/vetting")->body, "vetting form");
  auto answered = Post("/vetting", {{"personal-number", "1"}});
  ASSERT_EQ(answered->status, 303);
  ExpectInert(Get(answered->get_header_value("Location"))->body, "vetting answer");
  ExpectInert(Get(absl::StrCat("/vetting/certificates/", kRecordId))->body, "certificate page");
  EXPECT_EQ(Get("/vetting/public-key.pem")->status, 502) << "a PEM that is not a key is not served";
  console_->Stop();

  Start(v1::ROLE_AUDITOR, true);
  SignIn();
  const std::string events = Get("/audit")->body;
  ExpectInert(events, "audit events");
  EXPECT_TRUE(absl::StrContains(events, "WARNING: event 6")) << "the differing copy is flagged";
  ExpectInert(Get("/audit/events/5")->body, "audit event");
  fake_->audit_status = absl::InvalidArgumentError(kHostile);
  ExpectInert(Get("/audit")->body, "audit error");
  // The verification runs in the background; its page shows the log's refusal, escaped.
  auto started = Post("/audit/verify", {});
  ASSERT_EQ(started->status, 303);
  WaitForJobOf(*started);
  const std::string body = Get(started->get_header_value("Location"))->body;
  ASSERT_TRUE(absl::StrContains(body, "id=\"verify-result\"")) << body;
  ExpectInert(body, "verification");
}

// A log source that serves a head and no proof or event: a verification of it reaches its
// first head only.
class HeadOnlyLog : public client::AuditLogSource {
 public:
  absl::StatusOr<v1::ConsistencyProof> GetConsistencyProof(uint64_t, uint64_t) override {
    return absl::UnimplementedError("no proof");
  }
  absl::StatusOr<v1::InclusionProof> GetInclusionProof(uint64_t, uint64_t) override {
    return absl::UnimplementedError("no proof");
  }
  absl::Status StreamEvents(uint64_t, uint64_t,
                            const std::function<absl::Status(const v1::AuditEntry&)>&) override {
    return absl::UnimplementedError("no events");
  }
};

// An audit log that serves one signed head and nothing else (no event, no proof).
class OneHeadLog final : public HeadOnlyLog {
 public:
  explicit OneHeadLog(v1::SignedTreeHead head) : head_(std::move(head)) {}
  absl::StatusOr<v1::SignedTreeHead> GetSignedTreeHead() override { return head_; }
  absl::StatusOr<v1::PublicKey> GetAuditPublicKey() override {
    return absl::UnimplementedError("no key");
  }

 private:
  v1::SignedTreeHead head_;
};

// A head of log kRecordId of `size` events (its root `size` times 'r'), signed now by the key
// of seed `seed`.
v1::SignedTreeHead SignedHead(char seed, uint64_t size) {
  auto signer = crypto::Ed25519Signer::FromSeed(crypto::SecretBytes(std::string(32, seed)));
  EXPECT_TRUE(signer.ok()) << signer.status();
  v1::SignedTreeHead head;
  head.set_log_id(kRecordId);
  head.set_tree_size(size);
  head.set_root_hash(std::string(32, static_cast<char>('r' + size % 8)));
  head.set_timestamp_micros(static_cast<uint64_t>(absl::ToUnixMicros(absl::Now())));
  head.set_key_id((*signer)->key_id());
  auto bytes = crypto::TreeHeadSigningBytes(head.log_id(), head.tree_size(),
                                            head.timestamp_micros(), head.root_hash(),
                                            head.key_id());
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  auto signature = (*signer)->Sign(*bytes);
  EXPECT_TRUE(signature.ok()) << signature.status();
  head.set_signature(*signature);
  return head;
}

TEST_F(ConsoleTest, AVerificationFailureTheVerifierFindsIsItsOwnNotTheRegistrysRefusal) {
  // The auditor pinned 10 events of the log under key 'k'; the registry now serves a head of 5
  // (a rollback). It had been shown as "The registry refused · The registry's data failed a
  // check · The registry said: log truncated", though the registry refused nothing.
  StartSignedIn(v1::ROLE_AUDITOR);
  const std::string state_path = ::testing::TempDir() + "/console-audit-state.json";
  auto signer = crypto::Ed25519Signer::FromSeed(crypto::SecretBytes(std::string(32, 'k')));
  ASSERT_TRUE(signer.ok()) << signer.status();
  client::AuditState state;
  client::LogState* pinned = state.add_logs();
  pinned->set_log_id(kRecordId);
  *pinned->mutable_verified_head() = SignedHead('k', 10);
  pinned->mutable_audit_key()->set_key_id((*signer)->key_id());
  pinned->mutable_audit_key()->set_ed25519((*signer)->public_key());
  ASSERT_TRUE(client::SaveAuditState(state_path, state).ok());
  const auto verify = [&](char seed, uint64_t size) {
    fake_->audit_log = [seed, size] {
      return std::make_unique<OneHeadLog>(SignedHead(seed, size));
    };
    auto started = Post("/audit/verify", {});
    EXPECT_EQ(started->status, 303);
    WaitForJobOf(*started);
    const std::string job = started->get_header_value("Location");
    const std::string body = Get(job)->body;
    EXPECT_TRUE(absl::StrContains(body, "id=\"verify-result\"")) << body;
    return std::make_pair(job, body);
  };

  auto [job, body] = verify('k', 5);
  EXPECT_TRUE(absl::StrContains(body, "data-finding=\"tampered\"")) << body;
  EXPECT_TRUE(absl::StrContains(body, "Verifikimi i kësaj konzole gjeti se ditari është "
                                      "manipuluar")) << body;
  EXPECT_TRUE(absl::StrContains(body, "zyrtari i sigurisë i KGjK-së")) << body;
  EXPECT_TRUE(absl::StrContains(body, "log truncated: size 5 &lt; previously verified 10"))
      << body;
  EXPECT_FALSE(absl::StrContains(body, "Regjistri refuzoi</h2>")) << body;
  EXPECT_FALSE(absl::StrContains(body, "Regjistri tha:")) << body;
  ASSERT_EQ(Post("/language", {{"lang", "en"}, {"back", job}})->status, 303);
  body = Get(job)->body;
  EXPECT_TRUE(absl::StrContains(body, "This console&#39;s verification found the log tampered "
                                      "with")) << body;
  EXPECT_TRUE(absl::StrContains(body, "report it at once to the KJC security officer")) << body;
  EXPECT_TRUE(absl::StrContains(body, "system:restore")) << body;
  EXPECT_FALSE(absl::StrContains(body, "The registry refused</h2>")) << body;
  EXPECT_FALSE(absl::StrContains(body, "The registry said:")) << body;
  ASSERT_EQ(Post("/language", {{"lang", "sr"}, {"back", job}})->status, 303);
  body = Get(job)->body;
  EXPECT_TRUE(absl::StrContains(body, "Provera ove konzole otkrila je da je dnevnik izmenjen"))
      << body;
  EXPECT_FALSE(absl::StrContains(body, "Registar je odbio</h2>")) << body;

  // A head under another key than the pinned one: the verifier stops, nothing is pinned.
  body = verify('z', 12).second;
  EXPECT_TRUE(absl::StrContains(body, "data-finding=\"stopped\"")) << body;
  EXPECT_TRUE(absl::StrContains(body, "Provera ove konzole je zaustavljena")) << body;
  EXPECT_FALSE(absl::StrContains(body, "Registar je odbio</h2>")) << body;

  // What the registry itself answers stays its own.
  fake_->audit_log = nullptr;
  auto started = Post("/audit/verify", {});
  ASSERT_EQ(started->status, 303);
  WaitForJobOf(*started);
  body = Get(started->get_header_value("Location"))->body;
  EXPECT_TRUE(absl::StrContains(body, "Registar je odbio</h2>")) << body;
  EXPECT_FALSE(absl::StrContains(body, "verify-finding")) << body;
  std::remove(state_path.c_str());
}

TEST_F(ConsoleTest, TheLanguageFollowsTheSessionAndDefaultsToAlbanian) {
  StartSignedIn(v1::ROLE_CLERK);
  auto home = Get("/");
  EXPECT_TRUE(absl::StrContains(home->body, "<html lang=\"sq\""));
  EXPECT_EQ(home->get_header_value("Content-Language"), "sq");
  auto switched = Post("/language", {{"lang", "sr"}, {"back", "/search"}});
  EXPECT_EQ(switched->status, 303);
  EXPECT_EQ(switched->get_header_value("Location"), "/search");
  EXPECT_TRUE(absl::StrContains(Get("/")->body, "<html lang=\"sr-Latn\""));
  // Only a path of this console: never another site.
  auto away = Post("/language", {{"lang", "en"}, {"back", "//evil.example/"}});
  EXPECT_EQ(away->get_header_value("Location"), "/");
}

// `text` with the character references Escape() writes turned back into characters.
// The opening tag of a form posted to `action`, as every page writes it.
std::string PostForm(const std::string& action) {
  return absl::StrCat("<form method=\"post\" action=\"", action, "\" autocomplete=\"off\">");
}

std::string Unescape(const std::string& text) {
  return absl::StrReplaceAll(
      text, {{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}});
}

// The fields of a page's language switch (its hidden inputs, the CSRF token among them), as the
// browser posts them.
httplib::Params LanguageForm(const std::string& body) {
  httplib::Params fields;
  const size_t start = body.find("<form class=\"lang\" method=\"post\" action=\"/language\" ");
  const size_t end = body.find("</form>", start);
  if (start == std::string::npos || end == std::string::npos) {
    ADD_FAILURE() << "no language switch:\n" << body;
    return fields;
  }
  const std::string form = body.substr(start, end - start);
  static const std::regex hidden("<input type=\"hidden\" name=\"([^\"]*)\" value=\"([^\"]*)\">");
  for (auto it = std::sregex_iterator(form.begin(), form.end(), hidden);
       it != std::sregex_iterator(); ++it) {
    fields.emplace(Unescape((*it)[1].str()), Unescape((*it)[2].str()));
  }
  return fields;
}

std::string Field(const httplib::Params& fields, const std::string& name) {
  auto it = fields.find(name);
  return it == fields.end() ? "<none>" : it->second;
}

// Every address a page names: its links and its forms' targets.
std::vector<std::string> Addresses(const std::string& body) {
  std::vector<std::string> found;
  static const std::regex address("(href|action|src)=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), address);
       it != std::sregex_iterator(); ++it) {
    found.push_back(Unescape((*it)[2].str()));
  }
  return found;
}

void ExpectInNoAddress(const httplib::Result& response, const std::string& typed,
                       const std::string& where) {
  ASSERT_TRUE(response) << where;
  EXPECT_FALSE(absl::StrContains(response->get_header_value("Location"), typed)) << where;
  for (const std::string& address : Addresses(response->body)) {
    EXPECT_FALSE(absl::StrContains(address, typed)) << where << ": " << address;
  }
}

// "Open a record" was a GET form: a personal number typed into it by mistake went into the
// address, the browser's history and any log of addresses. It is posted with the session's
// token, and only a validated record id goes on into an address.
TEST_F(ConsoleTest, TheRecordIdIsPostedAndOnlyAValidIdGoesIntoAnAddress) {
  StartSignedIn(v1::ROLE_CLERK);
  const std::string home = Get("/")->body;
  EXPECT_TRUE(std::regex_search(
      home, std::regex("<form method=\"post\" action=\"/records/open\"[^>]*><input type=\"hidden\" "
                       "name=\"csrf\"")))
      << home;
  auto opened = Post("/records/open", {{"id", absl::AsciiStrToUpper(kRecordId) + " "}});
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->status, 303);
  EXPECT_EQ(opened->get_header_value("Location"), absl::StrCat("/records/", kRecordId));

  for (const std::string& typed : {std::string("1234567890"), std::string("Arben Krasniqi")}) {
    auto posted = Post("/records/open", {{"id", typed}});
    ASSERT_TRUE(posted) << typed;
    ASSERT_EQ(posted->status, 303) << typed;
    ExpectInNoAddress(posted, typed, typed);
    auto refused = Get(posted->get_header_value("Location"));
    ASSERT_TRUE(refused) << typed;
    EXPECT_EQ(refused->status, 400) << typed;
    ExpectInNoAddress(refused, typed, typed);
    // Shown again in the form, in the page's body, for the clerk to correct, beside the error.
    EXPECT_TRUE(absl::StrContains(FieldGroup(refused->body, "id"),
                                  absl::StrCat("value=\"", Escape(typed), "\"")))
        << refused->body;
    EXPECT_TRUE(absl::StrContains(FieldGroup(refused->body, "id"), "id=\"id-error\""));
  }
  EXPECT_EQ(Post("/records/open", {{"id", kRecordId}}, /*with_csrf=*/false)->status, 403);
  // The old address is no page: nothing typed is read from an address.
  EXPECT_EQ(Get(absl::StrCat("/records/open?id=", kRecordId))->status, 404);
  EXPECT_EQ(fake_->calls, 0);
}

// No page of any role has a form that sends what is typed into it in its address: every form
// is posted.
TEST_F(ConsoleTest, EveryFormOfEveryPageIsPosted) {
  ForEachPageOfEachRole([](v1::Role role, const std::string& path, const httplib::Response& page) {
    EXPECT_FALSE(std::regex_search(page.body, std::regex("<form(?![^>]*method=\"post\")")))
        << v1::Role_Name(role) << " " << path << ": a form that is not posted";
  });
}

// The audit log's filters were a GET form, the actor (an official's certificate identity, typed)
// in the address and in every "next page" link. The form is posted: a filter an address may hold
// (dates, an action, an outcome, a record id, all validated) is answered with that address; one
// with an actor is answered by the page itself, which pages on by posting it again.
TEST_F(ConsoleTest, TheAuditFilterKeepsWhatIsTypedOutOfEveryAddress) {
  StartSignedIn(v1::ROLE_AUDITOR);
  fake_->events.set_next_page_token("50");
  EXPECT_TRUE(absl::StrContains(Get("/audit")->body, PostForm("/audit")));

  const int before = fake_->calls;
  auto plain = Post("/audit", {{"from", " 2026-01-01"}, {"action", "VettingCheck"},
                               {"record_id", kRecordId}, {"actor", ""}});
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 303);
  const std::string address = plain->get_header_value("Location");
  EXPECT_EQ(address,
            absl::StrCat("/audit?from=2026-01-01&action=VettingCheck&record_id=", kRecordId));
  EXPECT_EQ(fake_->calls, before) << "the redirect's page asks, once";
  auto shown = Get(address);
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->status, 200);
  EXPECT_EQ(fake_->last_events.filter().record_id(), kRecordId);
  EXPECT_EQ(fake_->last_events.filter().from_time(), "2026-01-01T00:00:00Z");
  EXPECT_TRUE(absl::StrContains(
      shown->body, absl::StrCat("href=\"/audit?from=2026-01-01&amp;action=VettingCheck&amp;"
                                "record_id=", kRecordId, "&amp;page=50\"")))
      << shown->body;

  const std::string actor = "ana.krasniqi";
  auto posted = Post("/audit", {{"actor", actor}, {"action", "VettingCheck"}});
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 303);
  ExpectInNoAddress(posted, actor, "redirect of a filter by actor");
  auto filtered = Get(posted->get_header_value("Location"));
  ASSERT_TRUE(filtered);
  EXPECT_EQ(filtered->status, 200);
  EXPECT_EQ(fake_->last_events.filter().actor(), actor);
  ExpectInNoAddress(filtered, actor, "filtered by actor");
  EXPECT_FALSE(absl::StrContains(filtered->body, "actor=")) << filtered->body;
  // The next page: a form that posts the filter again, with the page token.
  EXPECT_TRUE(std::regex_search(
      filtered->body,
      std::regex("<form method=\"post\" action=\"/audit\" class=\"open\" autocomplete=\"off\">"
                 "<input type=\"hidden\" name=\"csrf\"[^>]*><input type=\"hidden\" "
                 "name=\"actor\" value=\"ana.krasniqi\"><input type=\"hidden\" "
                 "name=\"action\" value=\"VettingCheck\"><input "
                 "type=\"hidden\" name=\"page\" value=\"50\"><button")))
      << filtered->body;
  auto next = PostAndFollow("/audit", {{"actor", actor}, {"action", "VettingCheck"}, {"page", "50"}});
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(fake_->last_events.page_token(), "50");
  EXPECT_EQ(fake_->last_events.filter().actor(), actor);

  // An actor in an address (made elsewhere) is neither used nor shown.
  auto linked = Get(absl::StrCat("/audit?actor=", actor));
  ASSERT_TRUE(linked);
  EXPECT_EQ(fake_->last_events.filter().actor(), "");
  EXPECT_FALSE(absl::StrContains(linked->body, actor)) << "not in the form, not in the switch";
  EXPECT_EQ(Field(LanguageForm(linked->body), "back"), "/audit");

  // An action that is no method of the API, or a page token that is no number (text typed into
  // the fields the page fills), stops at the form too: neither goes on into an address.
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"action", "/1234567890 Arben Krasniqi"},
                                                        {"action", "/registry.v1.X/NotAMethod"},
                                                        {"page", "1234567890 Arben"}}) {
    auto odd = Post("/audit", {{name, value}});
    ASSERT_TRUE(odd);
    ASSERT_EQ(odd->status, 303) << name << "=" << value;
    EXPECT_TRUE(std::regex_match(odd->get_header_value("Location"),
                                 std::regex("/audit/refused/[0-9a-f]{32}")))
        << name << "=" << value;
    EXPECT_EQ(Get(odd->get_header_value("Location"))->status, 400) << name << "=" << value;
  }

  // A record id filter that is not one (a personal number typed there) stops at the form.
  const int asked = fake_->calls;
  auto wrong = PostAndFollow("/audit", {{"record_id", "1234567890"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 400);
  EXPECT_TRUE(absl::StrContains(FieldGroup(wrong->body, "record_id"), "id=\"record_id-error\""));
  ExpectInNoAddress(wrong, "1234567890", "wrong record id");
  EXPECT_EQ(fake_->calls, asked);
}

// An auditor finds the event of the check an employer quotes from a vetting certificate (after a
// REFER) by its id: the filter goes to the registry lowercased, as the registry writes its ids,
// and stays in the page's address and its paging links. One that is no check id (a personal
// number typed there) stops beside its field, in the page's language, and the registry is not
// asked.
TEST_F(ConsoleTest, TheAuditPageFiltersByTheCheckIdOfAVettingCertificate) {
  StartSignedIn(v1::ROLE_AUDITOR);
  fake_->events.set_next_page_token("50");
  const std::string check_id = "0123456789abcdef0123456789abcdef";
  const std::string label = Escape(Catalogs::Embedded().Text("sq", "audit.filter.check_id"));
  EXPECT_TRUE(absl::StrContains(FieldGroup(Get("/audit")->body, "check_id"), label));

  auto posted = Post("/audit", {{"check_id", " 0123456789ABCDEF0123456789abcdef "},
                                {"action", "VettingCheck"}});
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 303);
  const std::string address = posted->get_header_value("Location");
  EXPECT_EQ(address, absl::StrCat("/audit?action=VettingCheck&check_id=", check_id));
  auto shown = Get(address);
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->status, 200);
  EXPECT_EQ(fake_->last_events.filter().check_id(), check_id);
  EXPECT_TRUE(absl::EndsWith(fake_->last_events.filter().action(), "/VettingCheck"));
  EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "check_id"),
                                absl::StrCat("value=\"", check_id, "\"")));
  EXPECT_TRUE(absl::StrContains(
      shown->body,
      absl::StrCat("href=\"/audit?action=VettingCheck&amp;check_id=", check_id, "&amp;page=50\"")))
      << shown->body;
  EXPECT_EQ(Field(LanguageForm(shown->body), "back"), address);
  // Posted with an actor, the page pages on by posting the check id again.
  auto with_actor = PostAndFollow("/audit", {{"actor", "ana.krasniqi"}, {"check_id", check_id}});
  ASSERT_TRUE(with_actor);
  EXPECT_EQ(with_actor->status, 200);
  EXPECT_EQ(fake_->last_events.filter().check_id(), check_id);
  EXPECT_TRUE(absl::StrContains(
      with_actor->body,
      absl::StrCat("<input type=\"hidden\" name=\"check_id\" value=\"", check_id, "\">")))
      << with_actor->body;

  const int asked = fake_->calls;
  const std::string refusal = Escape(Catalogs::Embedded().Text("sq", "audit.bad_check_id"));
  for (const std::string& wrong : {std::string("1234567890"), absl::StrCat(check_id, "0"),
                                   std::string("0123456789abcdef0123456789abcdeg")}) {
    auto posted = Post("/audit", {{"check_id", wrong}});
    ASSERT_TRUE(posted) << wrong;
    ASSERT_EQ(posted->status, 303) << wrong;
    ExpectInNoAddress(posted, wrong, "wrong check id's redirect");
    auto refused = Get(posted->get_header_value("Location"));
    ASSERT_TRUE(refused) << wrong;
    EXPECT_EQ(refused->status, 400) << wrong;
    const std::string group = FieldGroup(refused->body, "check_id");
    EXPECT_TRUE(absl::StrContains(group, "id=\"check_id-error\"")) << group;
    EXPECT_TRUE(absl::StrContains(group, refusal)) << group;
    // Only as the value of its input (and of the language switch's, which shows the form
    // again), for the auditor to correct: in no error text and no address.
    EXPECT_TRUE(absl::StrContains(group, absl::StrCat("value=\"", wrong, "\""))) << group;
    const auto count = [&](const std::string& text) {
      size_t n = 0;
      for (size_t at = refused->body.find(text); at != std::string::npos;
           at = refused->body.find(text, at + 1)) {
        ++n;
      }
      return n;
    };
    EXPECT_EQ(count(wrong), count(absl::StrCat("value=\"", wrong, "\""))) << refused->body;
    ExpectInNoAddress(refused, wrong, "wrong check id");
  }
  auto linked = Get("/audit?check_id=1234567890");
  ASSERT_TRUE(linked);
  EXPECT_EQ(linked->status, 400);
  EXPECT_EQ(Field(LanguageForm(linked->body), "back"), "/audit");
  EXPECT_EQ(fake_->calls, asked) << "the registry is not asked";
}

TEST(ConsoleAddressTest, OnlyAnAddressOfThisConsoleThatNeedsNoEscaping) {
  EXPECT_TRUE(IsConsoleAddress("/"));
  EXPECT_TRUE(IsConsoleAddress("/search"));
  EXPECT_TRUE(IsConsoleAddress(absl::StrCat("/records/", kRecordId, "?done=created")));
  EXPECT_TRUE(IsConsoleAddress("/audit?from=2026-01-01T00%3A00%3A00Z&action=VettingCheck&page=50"));
  for (const char* other : {"", "search", "//evil.example/", "/\\evil.example", "https://evil.example/",
                            "/search?a=1?b=2", "/search?a=<b>", "/search?a=\"", "/search?a=b c",
                            "/search?a=\r\nSet-Cookie:x", "/search#x", "/s%65arch", "/search?a='"}) {
    EXPECT_FALSE(IsConsoleAddress(other)) << other;
  }
  EXPECT_FALSE(IsConsoleAddress("/search?a=\xc3\xab"));
  EXPECT_FALSE(IsConsoleAddress(absl::StrCat("/", std::string(2000, 'a'))));
}

// The language switch kept only the page's path: a page's query (a filter, the notice of what was
// just done) was lost. It leads back to the same address, query included.
TEST_F(ConsoleTest, TheLanguageSwitchKeepsTheAddressOfTheGetPageItIsOn) {
  StartSignedIn(v1::ROLE_CLERK);
  // A record this session created: its page's notice is this session's.
  const std::string created = Post("/records/new", {{"surname", "Kërqeli"}})
                                  ->get_header_value("Location");
  EXPECT_EQ(created, absl::StrCat("/records/", kRecordId, "?done=created"));
  const httplib::Params fields = LanguageForm(Get(created)->body);
  EXPECT_EQ(Field(fields, "back"), created);
  EXPECT_EQ(fields.count("keep.done"), 0u) << "the address holds it";
  httplib::Params english = fields;
  english.emplace("lang", "en");
  auto switched = client_->Post("/language", {{"Cookie", cookie_}}, english);
  ASSERT_TRUE(switched);
  EXPECT_EQ(switched->status, 303);
  EXPECT_EQ(switched->get_header_value("Location"), created);
  auto shown = Get(created);
  EXPECT_TRUE(absl::StrContains(shown->body, "<html lang=\"en\""));
  EXPECT_TRUE(absl::StrContains(shown->body, Escape(Catalogs::Embedded().Text("en", "record.done.created"))));
  for (const char* away : {"//evil.example/", "/\\evil.example", "https://evil.example/x",
                           "/search?x=<b>"}) {
    auto refused = Post("/language", {{"lang", "en"}, {"back", away}});
    ASSERT_TRUE(refused) << away;
    EXPECT_EQ(refused->get_header_value("Location"), "/") << away;
  }

  // A link made elsewhere that carries a person's details fills no form with them, and the switch
  // does not send them back to the browser: it leads to the page without its query.
  const std::string number = "1234567890";
  for (const std::string& linked :
       {absl::StrCat("/search?personal-number=", number, "&surname=Krasniqi"),
        absl::StrCat("/subject?personal-number=", number)}) {
    auto page = Get(linked);
    ASSERT_TRUE(page);
    EXPECT_FALSE(absl::StrContains(page->body, number)) << linked;
    EXPECT_FALSE(absl::StrContains(page->body, "Krasniqi")) << linked;
    EXPECT_EQ(Field(LanguageForm(page->body), "back"), linked.substr(0, linked.find('?')));
  }
  console_->Stop();

  StartSignedIn(v1::ROLE_VETTING);
  auto vetting = Get(absl::StrCat("/vetting?personal-number=", number, "&surname=Krasniqi"));
  ASSERT_TRUE(vetting);
  EXPECT_FALSE(absl::StrContains(vetting->body, number));
  EXPECT_EQ(Field(LanguageForm(vetting->body), "back"), "/vetting");
  console_->Stop();

  StartSignedIn(v1::ROLE_AUDITOR);
  const std::string filtered = "/audit?action=VettingCheck&page=50";
  EXPECT_EQ(Field(LanguageForm(Get(filtered)->body), "back"), filtered);
  // A filter that is refused is not sent back either.
  EXPECT_EQ(Field(LanguageForm(Get("/audit?record_id=1234567890")->body), "back"), "/audit");
}

// On a page a POST made (search results, a refused form, a court's read), the switch lost what
// the official had entered. Its fields come back in the switch's own POST body (never an address,
// never the session) and the form is shown again, filled in, in the new language; nothing is
// asked of the registry again.
TEST_F(ConsoleTest, TheLanguageSwitchShowsAPostedFormAgainFilledIn) {
  StartSignedIn(v1::ROLE_CLERK);
  const auto switch_to = [&](const std::string& body, const std::string& lang) {
    httplib::Params fields = LanguageForm(body);
    fields.emplace("lang", lang);
    return client_->Post("/language", {{"Cookie", cookie_}}, fields);
  };
  const std::string number = "1234567890";
  // A search the registry did not answer (not reached): the form comes back as its POST's page.
  fake_->search_status = absl::UnavailableError("connection refused");
  auto found = Post("/search", {{"personal-number", number}});
  fake_->search_status = absl::OkStatus();
  ASSERT_TRUE(found);
  httplib::Params fields = LanguageForm(found->body);
  EXPECT_EQ(Field(fields, "back"), "/search");
  EXPECT_EQ(Field(fields, "keep.personal-number"), number);
  EXPECT_EQ(fields.count("keep.csrf"), 0u);
  int calls = fake_->calls;
  auto english = switch_to(found->body, "en");
  ASSERT_TRUE(english);
  EXPECT_EQ(english->status, 200);
  EXPECT_FALSE(english->has_header("Location"));
  EXPECT_TRUE(absl::StrContains(english->body, "<html lang=\"en\""));
  EXPECT_TRUE(absl::StrContains(FieldGroup(english->body, "personal-number"),
                                absl::StrCat("value=\"", number, "\"")))
      << english->body;
  EXPECT_TRUE(absl::StrContains(english->body, "<form method=\"post\" action=\"/search\""));
  EXPECT_EQ(fake_->calls, calls) << "the switch searched again";
  ExpectInNoAddress(english, number, "re-shown search");
  // And again from there.
  auto serbian = switch_to(english->body, "sr");
  ASSERT_TRUE(serbian);
  EXPECT_TRUE(absl::StrContains(serbian->body, "<html lang=\"sr-Latn\""));
  EXPECT_TRUE(absl::StrContains(FieldGroup(serbian->body, "personal-number"),
                                absl::StrCat("value=\"", number, "\"")));

  // A refused record form comes back with what the clerk had entered.
  fake_->create_status = absl::InvalidArgumentError("person.birth_date: must be a real date");
  // (Answered by a redirect to a page of the session's, to which the switch leads back.)
  auto refused =
      PostAndFollow("/records/new", {{"surname", "Krasniqi"}, {"birth-date", "1990-02-30"}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  calls = fake_->calls;
  auto form = switch_to(refused->body, "en");
  ASSERT_EQ(form->status, 303);
  form = Get(form->get_header_value("Location"));
  EXPECT_EQ(form->status, 400);
  EXPECT_TRUE(absl::StrContains(form->body, "<html lang=\"en\""));
  EXPECT_TRUE(absl::StrContains(FieldGroup(form->body, "surname"), "value=\"Krasniqi\""));
  EXPECT_TRUE(absl::StrContains(FieldGroup(form->body, "birth-date"), "value=\"1990-02-30\""));
  EXPECT_EQ(fake_->calls, calls);
  EXPECT_EQ(fake_->changes, 1) << "the switch created a record";

  // A refused dispute is answered by a redirect to a page of its own, to which the switch leads
  // back: its reason filled in.
  const std::string record = absl::StrCat("/records/", kRecordId);
  auto dispute = Post(record + "/dispute", {{"reason", "wrong court"}});
  ASSERT_EQ(dispute->status, 303);
  const std::string disputed = dispute->get_header_value("Location");
  dispute = Get(disputed);
  EXPECT_EQ(Field(LanguageForm(dispute->body), "back"), disputed);
  auto back = switch_to(dispute->body, "en");
  ASSERT_EQ(back->status, 303);
  back = Get(back->get_header_value("Location"));
  EXPECT_TRUE(absl::StrContains(back->body, "<html lang=\"en\""));
  EXPECT_TRUE(absl::StrContains(back->body, ">wrong court</textarea>")) << back->body;

  // A refused correction comes back with the clerk's changes, on the version they were made to
  // (answered by a redirect to a page of the session's, to which the switch leads back).
  auto amend = PostAndFollow(record + "/amend", {{"surname", "Krasniqi-Gashi"}, {"version", "3"},
                                                 {"reason", "court notice 12/2024"}});
  EXPECT_EQ(amend->status, 400);
  calls = fake_->calls;
  auto amended = switch_to(amend->body, "en");
  ASSERT_EQ(amended->status, 303);
  amended = Get(amended->get_header_value("Location"));
  EXPECT_EQ(amended->status, 400);
  EXPECT_TRUE(absl::StrContains(amended->body, "<html lang=\"en\""));
  EXPECT_EQ(fake_->calls, calls) << "the switch sent the correction again";
  EXPECT_TRUE(absl::StrContains(FieldGroup(amended->body, "surname"), "value=\"Krasniqi-Gashi\""));
  EXPECT_TRUE(absl::StrContains(amended->body, "<input type=\"hidden\" name=\"version\" value=\"3\">"));
  EXPECT_TRUE(absl::StrContains(amended->body, ">court notice 12/2024</textarea>"));

  // A form near the size the console accepts (a long reason in Cyrillic, six bytes a letter when
  // sent, the whole form some 50 bytes under kMaxFormBytes), refused by the console itself (a
  // ban's end without its start: no registry call), is kept and redirected to as the registry's
  // refusals are: the switch carries none of its fields, and leads back to the kept page.
  std::string long_reason;
  for (size_t i = 0; i < (kMaxFormBytes - 208) / 6; ++i) long_reason += "\xd0\x96";  // Zhe
  auto large = Post(record + "/amend", {{"surname", "Krasniqi-Gashi"}, {"version", "3"},
                                        {"ban-work_with_children-end", "2031-02-03"},
                                        {"reason", long_reason}});
  ASSERT_TRUE(large);
  ASSERT_EQ(large->status, 303);
  const std::string kept_form = large->get_header_value("Location");
  large = Get(kept_form);
  EXPECT_EQ(large->status, 400);
  fields = LanguageForm(large->body);
  EXPECT_EQ(fields.count("keep.reason"), 0u);
  auto switched = switch_to(large->body, "en");
  ASSERT_TRUE(switched);
  EXPECT_EQ(switched->status, 303);
  EXPECT_EQ(switched->get_header_value("Location"), kept_form);

  // An expunged record has no page to go back to: its redirect leads home, which the switch
  // keeps, with the notice's address of checked values only.
  fake_->expunge_status = absl::OkStatus();
  auto expunged = Post(record + "/expunge", {{"legal_basis", "KP 103"}, {"confirm", "P 1/2024"}});
  EXPECT_EQ(expunged->status, 303);
  const std::string notice = expunged->get_header_value("Location");
  fields = LanguageForm(Get(notice)->body);
  EXPECT_EQ(Field(fields, "back"), notice);
  EXPECT_EQ(fields.count("keep.confirm"), 0u);

  // The open-record form, refused, is kept in the session: the switch leads back to its page,
  // which shows what was typed in the new language.
  auto posted_id = Post("/records/open", {{"id", number}});
  ASSERT_EQ(posted_id->status, 303);
  const std::string kept_id = posted_id->get_header_value("Location");
  auto open = Get(kept_id);
  EXPECT_EQ(Field(LanguageForm(open->body), "back"), kept_id);
  auto switched_id = switch_to(open->body, "sq");
  EXPECT_EQ(switched_id->status, 303);
  EXPECT_EQ(switched_id->get_header_value("Location"), kept_id);
  auto reshown = Get(kept_id);
  EXPECT_TRUE(absl::StrContains(FieldGroup(reshown->body, "id"),
                                absl::StrCat("value=\"", number, "\"")));
  ExpectInNoAddress(reshown, number, "open-record form re-shown");

  // Only a page of this console and of this role, with the usual check.
  auto other = Post("/language", {{"lang", "en"}, {"back", "/audit"}, {"keep.actor", "x"}});
  EXPECT_EQ(other->status, 403);
  auto nowhere = Post("/language", {{"lang", "en"}, {"back", "/nowhere"}, {"keep.x", "y"}});
  EXPECT_EQ(nowhere->status, 303);
  EXPECT_EQ(nowhere->get_header_value("Location"), "/nowhere");
  console_->Stop();

  // A court's read: its page (the read's POST redirects to it) is shown again from the session
  // in the new language, its purpose kept for the reads it offers; the record is not read again.
  StartSignedIn(v1::ROLE_COURT);
  fake_->record.mutable_person()->set_surname("Gashi");
  auto read =
      PostAndFollow(record, {{"case_ref", "PKR 1/26"}, {"purpose", "criminal_proceedings"}});
  ASSERT_TRUE(absl::StrContains(read->body, "Gashi"));
  calls = fake_->calls;
  auto read_switched = switch_to(read->body, "en");
  ASSERT_EQ(read_switched->status, 303);
  auto read_in_english = Get(read_switched->get_header_value("Location"));
  EXPECT_EQ(read_in_english->status, 200);
  EXPECT_EQ(fake_->calls, calls) << "the switch read the record";
  EXPECT_TRUE(absl::StrContains(read_in_english->body, "<html lang=\"en\""));
  EXPECT_TRUE(absl::StrContains(read_in_english->body, "Gashi"));
  EXPECT_TRUE(absl::StrContains(read_in_english->body,
                                "<input type=\"hidden\" name=\"case_ref\" value=\"PKR 1/26\">"));
  console_->Stop();

  // A vetting check is not made again: its certificate's page says the same in the new language.
  StartSignedIn(v1::ROLE_VETTING);
  fake_->vetting.set_check_id(kRecordId);
  fake_->vetting.mutable_certificate();
  auto checked = Post("/vetting", {{"personal-number", number}, {"consent_ref", "C 1"}});
  ASSERT_EQ(checked->status, 303);
  fields = LanguageForm(Get(checked->get_header_value("Location"))->body);
  EXPECT_EQ(Field(fields, "back"), absl::StrCat("/vetting/certificates/", kRecordId));
  EXPECT_EQ(fields.count("keep.personal-number"), 0u);
  console_->Stop();

  // The security officer: a data check's page leads back to the overview; a rotation, done for
  // good, to the page that says so (not to its form).
  StartSignedIn(v1::ROLE_ADMIN);
  auto checked_data = Post("/admin/verify-data", {});
  ASSERT_EQ(checked_data->status, 303);
  const std::string check_page = Get(checked_data->get_header_value("Location"))->body;
  fields = LanguageForm(check_page);
  EXPECT_EQ(Field(fields, "back"), "/admin");
  auto overview = switch_to(check_page, "en");
  EXPECT_EQ(overview->status, 303);
  EXPECT_EQ(overview->get_header_value("Location"), "/admin");
  auto rotated = Post("/admin/rotate-keys", {{"confirm", "ROTATE"}});
  ASSERT_EQ(rotated->status, 303);
  fields = LanguageForm(Get(rotated->get_header_value("Location"))->body);
  EXPECT_EQ(Field(fields, "back"), "/admin/rotated?kek_version=2&rewrapped=11");
  EXPECT_EQ(fields.count("keep.confirm"), 0u);
  console_->Stop();

  // The auditor's events filtered by an actor: shown again, in the new language, still filtered.
  StartSignedIn(v1::ROLE_AUDITOR);
  auto posted = Post("/audit", {{"actor", "ana.krasniqi"}});
  ASSERT_EQ(posted->status, 303);
  const std::string kept = posted->get_header_value("Location");
  auto switched_events = switch_to(Get(kept)->body, "en");
  EXPECT_EQ(switched_events->status, 303);
  EXPECT_EQ(switched_events->get_header_value("Location"), kept);
  auto again = Get(kept);
  EXPECT_EQ(again->status, 200);
  EXPECT_TRUE(absl::StrContains(again->body, "<html lang=\"en\""));
  EXPECT_EQ(fake_->last_events.filter().actor(), "ana.krasniqi");
  EXPECT_TRUE(absl::StrContains(FieldGroup(again->body, "actor"), "value=\"ana.krasniqi\""));
  ExpectInNoAddress(again, "ana.krasniqi", "events re-shown");
}

// The language switch threw away what was typed in the page's form and not yet sent (a reason
// for a dispute, a new record, a search). The page's script puts the form's fields in the
// switch's body, as the console does for a form a POST sent, and names the form's action
// (which need not be a page: the dispute form posts to /records/ID/dispute, on the record's page);
// the console shows the form's page again, filled in, in the new language, and sends nothing.
TEST_F(ConsoleTest, TheLanguageSwitchShowsAgainWhatWasTypedAndNotYetSent) {
  StartSignedIn(v1::ROLE_CLERK);
  const std::string record = absl::StrCat("/records/", kRecordId);
  auto page = Get(record);
  ASSERT_TRUE(page);
  ASSERT_TRUE(absl::StrContains(page->body, absl::StrCat("action=\"", record, "/dispute\"")));
  const int changes = fake_->changes;
  auto switched = Post("/language", {{"lang", "en"},
                                     {"back", record + "/dispute"},
                                     {"keep.reason", "the court's name is wrong"}});
  ASSERT_TRUE(switched);
  EXPECT_EQ(switched->status, 200) << switched->get_header_value("Location");
  EXPECT_TRUE(absl::StrContains(switched->body, "<html lang=\"en\""));
  EXPECT_TRUE(absl::StrContains(switched->body, ">the court&#39;s name is wrong</textarea>"))
      << switched->body;
  EXPECT_EQ(fake_->changes, changes) << "the switch disputed the record";
  ExpectInNoAddress(switched, "the court's name is wrong", "a reason carried by the switch");
  // A form typed on a page of its own (a new record) comes back the same way.
  auto form = Post("/language", {{"lang", "sr"}, {"back", "/records/new"},
                                 {"keep.surname", "Krasniqi"}, {"keep.given-name", "Driton"}});
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 200);
  EXPECT_TRUE(absl::StrContains(form->body, "<html lang=\"sr-Latn\""));
  EXPECT_TRUE(absl::StrContains(FieldGroup(form->body, "surname"), "value=\"Krasniqi\""));
  EXPECT_TRUE(absl::StrContains(FieldGroup(form->body, "given-name"), "value=\"Driton\""));
  EXPECT_EQ(fake_->changes, changes) << "the switch created a record";

  // The script does it, on every page's switch, and asks first where it cannot (a file chosen,
  // two forms typed in, a body over what the console takes), in the page's language.
  auto script = client_->Get("/assets/console.js");
  ASSERT_TRUE(script);
  for (const char* part : {"document.querySelectorAll(\"form.lang\").forEach(keepWhatWasTyped)",
                           "\"keep.\" + name", "switcher.elements.namedItem(\"back\").value",
                           "window.confirm(switcher.getAttribute(\"data-unsent\"))",
                           "field.value !== field.defaultValue"}) {
    EXPECT_TRUE(absl::StrContains(script->body, part)) << part;
  }
  const Catalogs& catalogs = Catalogs::Embedded();
  for (const char* lang : {"sq", "en"}) {
    Post("/language", {{"lang", lang}, {"back", "/"}});
    auto shown = Get("/records/new");
    ASSERT_TRUE(shown);
    EXPECT_TRUE(absl::StrContains(
        shown->body,
        absl::StrCat("<form class=\"lang\" method=\"post\" action=\"/language\" data-unsent=\"",
                     Escape(catalogs.Text(lang, "lang.unsent")), "\" data-max-bytes=\"",
                     kMaxFormBytes, "\"")))
        << lang;
  }
}

// The box of a registry that cannot be reached said "open the record to check it" on every page,
// the security officer's backups and the auditor's verification too, where there is no record.
// It says what to check for what the page did: nothing for a page that only reads, the record
// for a record's form, the result for any other change sent.
TEST_F(ConsoleTest, TheUnreachableBoxSaysWhatToCheckForWhatThePageDid) {
  const Catalogs& catalogs = Catalogs::Embedded();
  const std::string help = Escape(catalogs.Text("sq", "error.unreachable_help"));
  const std::string record_help = Escape(catalogs.Text("sq", "error.unreachable_record"));
  const std::string sent_help = Escape(catalogs.Text("sq", "error.unreachable_sent"));
  LoopbackSocket nobody(/*listen=*/false);
  const auto down = [&](std::shared_ptr<FakeRegistry> fake) {
    return std::make_shared<DownRegistry>(fake, nobody.address(), kDownTimeout);
  };
  Start(v1::ROLE_ADMIN, false, down);
  SignIn();
  auto backups = Get("/admin");
  ASSERT_TRUE(backups);
  EXPECT_EQ(backups->status, 503);
  EXPECT_TRUE(absl::StrContains(backups->body, help)) << backups->body;
  EXPECT_FALSE(absl::StrContains(backups->body, record_help));
  EXPECT_FALSE(absl::StrContains(backups->body, sent_help));
  auto backup = Post("/admin/backup", {});
  EXPECT_EQ(backup->status, 503);
  EXPECT_TRUE(absl::StrContains(backup->body, sent_help)) << backup->body;
  EXPECT_FALSE(absl::StrContains(backup->body, record_help));
  console_->Stop();

  Start(v1::ROLE_AUDITOR, false, down);
  SignIn();
  auto started = Post("/audit/verify", {});
  ASSERT_TRUE(started);
  WaitForJobOf(*started);
  auto verified = Get(started->get_header_value("Location"));
  ASSERT_TRUE(verified);
  EXPECT_TRUE(absl::StrContains(verified->body, help)) << verified->body;
  EXPECT_FALSE(absl::StrContains(verified->body, record_help));
  EXPECT_FALSE(absl::StrContains(verified->body, sent_help));
  console_->Stop();

  Start(v1::ROLE_CLERK, false, down);
  SignIn();
  auto created = Post("/records/new", {{"surname", "Krasniqi"}});
  EXPECT_EQ(created->status, 503);
  EXPECT_TRUE(absl::StrContains(created->body, record_help)) << created->body;
  auto read = Get(absl::StrCat("/records/", kRecordId));
  EXPECT_EQ(read->status, 503);
  EXPECT_FALSE(absl::StrContains(read->body, record_help));
}

// With registryd down, a page showed gRPC's text ("Details: failed to connect to all addresses;
// last error: UNKNOWN: ipv4:127.0.0.1:4750: Failed to connect to remote host: Connection
// refused"), where registry-cli says "nothing answers at ADDR: is registryd running there?". The
// console reads the failure as registry-cli does (client::ProbedOutcome) and says it in its own
// words, in the page's language, without gRPC's.
TEST_F(ConsoleTest, AnUnreachableRegistryIsSaidInTheConsolesWordsWithoutGrpcsText) {
  const Catalogs& catalogs = Catalogs::Embedded();
  LoopbackSocket nobody(/*listen=*/false);
  const std::string address = nobody.address();
  Start(v1::ROLE_CLERK, false, [&](std::shared_ptr<FakeRegistry> fake) {
    return std::make_shared<DownRegistry>(fake, address, kDownTimeout);
  });
  SignIn();
  for (const char* lang : {"sq", "en", "sr"}) {
    ASSERT_EQ(Post("/language", {{"lang", lang}, {"back", "/"}})->status, 303);
    auto read = Get(absl::StrCat("/records/", kRecordId));
    ASSERT_TRUE(read);
    EXPECT_EQ(read->status, 503);
    EXPECT_TRUE(absl::StrContains(
        read->body, absl::StrCat("<p id=\"unreachable-why\">",
                                 Escape(catalogs.Text(lang, "error.unreachable_no_answer")),
                                 "</p>")))
        << lang << "\n" << read->body;
    EXPECT_TRUE(absl::StrContains(read->body, "<code>UNAVAILABLE</code>")) << read->body;
    for (const char* grpc : {"failed to connect", "Connection refused", "ipv4:", "last error"}) {
      EXPECT_FALSE(absl::StrContains(read->body, grpc)) << lang << ": " << grpc;
    }
    EXPECT_FALSE(absl::StrContains(read->body, Escape(catalogs.Text(lang, "error.details"))))
        << read->body;
  }
}

// With registryd down, every page said "The registry refused" (and a refused form's 400): it
// refused nothing, it was not reached. The page says so under a heading of its own, in the page's
// language, with 503 and the advice; a form comes back with what was typed.
TEST_F(ConsoleTest, AnUnreachableRegistryIsSaidToBeUnreachable) {
  const Catalogs& catalogs = Catalogs::Embedded();
  const auto said = [&](const std::string& body, const char* lang, const char* tag) {
    EXPECT_TRUE(absl::StrContains(
        body, absl::StrCat("<", tag, ">", Escape(catalogs.Text(lang, "error.unreachable_title")),
                           "</", tag, ">")))
        << body;
    EXPECT_TRUE(absl::StrContains(body, Escape(catalogs.Text(lang, "error.unreachable_help"))));
    EXPECT_FALSE(absl::StrContains(body, Escape(catalogs.Text(lang, "error.title"))));
    EXPECT_FALSE(absl::StrContains(body, Escape(catalogs.Text(lang, "error.server_said"))));
  };
  LoopbackSocket nobody(/*listen=*/false);
  LoopbackSocket silent(/*listen=*/true);
  // Nothing listens: UNAVAILABLE at once. A listener that never answers: DEADLINE_EXCEEDED.
  for (const auto& target : std::vector<std::pair<std::string, std::string>>{
           {nobody.address(), "UNAVAILABLE"}, {silent.address(), "DEADLINE_EXCEEDED"}}) {
    // Copies, not structured bindings: a lambda below captures the address (C++17 lets no
    // lambda capture a structured binding).
    const std::string address = target.first;
    const std::string code = target.second;
    SCOPED_TRACE(address);
    Start(v1::ROLE_CLERK, false, [&](std::shared_ptr<FakeRegistry> fake) {
      return std::make_shared<DownRegistry>(fake, address, kDownTimeout);
    });
    SignIn();
    const std::string record = absl::StrCat("/records/", kRecordId);
    auto read = Get(record);
    ASSERT_TRUE(read);
    EXPECT_EQ(read->status, 503);
    said(read->body, "sq", "h1");
    EXPECT_TRUE(absl::StrContains(read->body, absl::StrCat("<code>", code, "</code>"))) << read->body;

    // A form sent: shown again, filled in as it was sent, under the box.
    auto created = Post("/records/new", {{"surname", "Krasniqi"}, {"birth-date", "1980-04-12"},
                                         {"offence", "06/L-074:230:1"}});
    ASSERT_TRUE(created);
    EXPECT_EQ(created->status, 503);
    said(created->body, "sq", "h2");
    EXPECT_TRUE(absl::StrContains(FieldGroup(created->body, "surname"), "value=\"Krasniqi\""));
    EXPECT_TRUE(absl::StrContains(FieldGroup(created->body, "birth-date"), "value=\"1980-04-12\""));
    EXPECT_TRUE(absl::StrContains(created->body, "value=\"06/L-074:230:1\" checked"));
    // A search (it answered 400) and a correction (the record it reads first is not there).
    auto found = Post("/search", {{"personal-number", "1234567890"}});
    EXPECT_EQ(found->status, 503);
    said(found->body, "sq", "h2");
    EXPECT_TRUE(absl::StrContains(FieldGroup(found->body, "personal-number"), "value=\"1234567890\""));
    auto amended = Post(record + "/amend", {{"surname", "Krasniqi-Gashi"}, {"version", "3"},
                                            {"reason", "court notice 12/2024"}});
    EXPECT_EQ(amended->status, 503);
    said(amended->body, "sq", "h2");
    EXPECT_TRUE(absl::StrContains(FieldGroup(amended->body, "surname"), "value=\"Krasniqi-Gashi\""));
    EXPECT_TRUE(absl::StrContains(amended->body, ">court notice 12/2024</textarea>"));

    // In the page's language.
    Post("/language", {{"lang", "en"}, {"back", "/"}});
    read = Get(record);
    EXPECT_EQ(read->status, 503);
    said(read->body, "en", "h1");
    console_->Stop();
    console_.reset();
  }

  // An employer's check, and the security officer's page and rotation.
  Start(v1::ROLE_VETTING, false, [&](std::shared_ptr<FakeRegistry> fake) {
    return std::make_shared<DownRegistry>(fake, nobody.address(), kDownTimeout);
  });
  SignIn();
  auto checked = Post("/vetting", {{"surname", "Krasniqi"}, {"consent_ref", "C 1"}});
  EXPECT_EQ(checked->status, 503);
  said(checked->body, "sq", "h2");
  EXPECT_FALSE(checked->has_header("Location"));
  EXPECT_TRUE(absl::StrContains(FieldGroup(checked->body, "surname"), "value=\"Krasniqi\""));
  console_->Stop();
  console_.reset();

  Start(v1::ROLE_ADMIN, false, [&](std::shared_ptr<FakeRegistry> fake) {
    return std::make_shared<DownRegistry>(fake, nobody.address(), kDownTimeout);
  });
  SignIn();
  auto overview = Get("/admin");
  EXPECT_EQ(overview->status, 503);
  said(overview->body, "sq", "h2");
  auto rotated = Post("/admin/rotate-keys", {{"confirm", "ROTATE"}});
  EXPECT_EQ(rotated->status, 503);
  said(rotated->body, "sq", "h2");
}

// The courts carry the days they judged (the District and Municipal Courts until 2012-12-31, the
// Basic Courts from 2013-01-01), and the form listed them flat, without: a clerk entering a 2010
// judgment chose a Basic Court and was refused. The list groups them by their days, the groups
// named in the page's language, the courts' names kept in English; a court abroad stands alone.
TEST_F(ConsoleTest, TheRecordFormGroupsTheCourtsByTheDaysTheyJudged) {
  Start(v1::ROLE_CLERK);
  const auto add = [&](const char* id, const char* name, const char* from, const char* to) {
    v1::CourtEntry* court = fake_->reference.add_courts();
    court->set_id(id);
    court->set_name(name);
    court->set_valid_from(from);
    court->set_valid_to(to);
  };
  add("basic-prishtine", "Basic Court of Prishtina", "2013-01-01", "");
  add("supreme-court", "Supreme Court of Kosovo", "", "");
  add("district-prishtine", "District Court of Prishtina", "", "2012-12-31");
  add("basic-prizren", "Basic Court of Prizren", "2013-01-01", "");
  add("special-chamber", "Special Chamber", "2005-01-01", "2012-12-31");
  v1::CourtEntry* foreign = fake_->reference.add_courts();
  foreign->set_id("foreign");
  foreign->set_name("A court outside Kosovo");
  foreign->set_foreign(true);
  SignIn();  // the session's start reads the reference data again
  const Catalogs& catalogs = Catalogs::Embedded();
  const auto option = [](const char* id, const char* name) {
    return absl::StrCat("<option value=\"", id, "\" lang=\"en\">", name, "</option>");
  };
  for (const char* language : {"sq", "en", "sr"}) {
    SCOPED_TRACE(language);
    ASSERT_EQ(Post("/language", {{"lang", language}, {"back", "/records/new"}})->status, 303);
    const std::string form = Get("/records/new")->body;
    const auto group = [&](const std::string& key,
                           std::vector<std::pair<std::string, std::string>> values) {
      std::string text = catalogs.Text(language, key);
      for (const auto& [name, value] : values) {
        text = absl::StrReplaceAll(text, {{absl::StrCat("{", name, "}"), value}});
      }
      return absl::StrCat("<optgroup label=\"", Escape(text), "\">");
    };
    EXPECT_TRUE(absl::StrContains(
        form, absl::StrCat(group("court.group.from", {{"date", "2013-01-01"}}),
                           option("basic-prishtine", "Basic Court of Prishtina"),
                           option("basic-prizren", "Basic Court of Prizren"), "</optgroup>",
                           group("court.group.always", {}),
                           option("supreme-court", "Supreme Court of Kosovo"), "</optgroup>",
                           group("court.group.until", {{"date", "2012-12-31"}}),
                           option("district-prishtine", "District Court of Prishtina"),
                           "</optgroup>",
                           group("court.group.between",
                                 {{"from", "2005-01-01"}, {"to", "2012-12-31"}}),
                           option("special-chamber", "Special Chamber"), "</optgroup>",
                           "<option value=\"foreign\">",
                           Escape(catalogs.Text(language, "court.foreign")), "</option>")))
        << form;
  }
}

// The offence table lists whole articles (paragraph 0), and the form offered only them: a clerk
// could not record "art. 230 para. 1", which the registry takes. Beside each whole article's box
// is a paragraph input, labelled in the page's language; the record gets the paragraph typed; one
// that is no whole number 0..99 is said beside the offences, the value kept, and nothing is sent.
TEST_F(ConsoleTest, AParagraphOfAWholeArticleIsRecordedFromTheRecordForm) {
  Start(v1::ROLE_CLERK);
  for (const auto& [article, paragraph] :
       std::vector<std::pair<uint32_t, uint32_t>>{{230, 0}, {231, 2}}) {
    v1::OffenceEntry* entry = fake_->reference.add_offences();
    entry->set_law("06/L-074");
    entry->set_article(article);
    entry->set_paragraph(paragraph);
    entry->set_title("Rape");
    entry->set_confirmed(true);
  }
  SignIn();  // the session's start reads the reference data again
  const Catalogs& catalogs = Catalogs::Embedded();
  const std::string name = ParagraphInputName("06/L-074:230:0");
  const std::string form = Get("/records/new")->body;
  EXPECT_TRUE(absl::StrContains(
      form, absl::StrCat("<label for=\"offence-paragraph\">",
                         Escape(catalogs.Text("sq", "field.offence-paragraph")),
                         "<span class=\"vh\">, 06/L-074 art. 230</span></label> <input type=\"text\" "
                         "id=\"offence-paragraph\" name=\"", Escape(name), "\" value=\"\" "
                         "inputmode=\"numeric\"")))
      << form;
  EXPECT_TRUE(absl::StrContains(form, Escape(catalogs.Text("sq", "field.offence-paragraph.hint"))));
  EXPECT_FALSE(absl::StrContains(form, "id=\"offence-1-paragraph\"")) << "art. 231 para. 2 is a paragraph";

  auto created = Post("/records/new", {{"surname", "Krasniqi"}, {"offence", "06/L-074:230:0"},
                                       {name, "1"}});
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 303);
  ASSERT_EQ(fake_->last_create.conviction().offences_size(), 1);
  EXPECT_EQ(fake_->last_create.conviction().offences(0).article(), 230u);
  EXPECT_EQ(fake_->last_create.conviction().offences(0).paragraph(), 1u);

  const int changes = fake_->changes;
  auto bad = PostAndFollow("/records/new", {{"surname", "Krasniqi"}, {"offence", "06/L-074:230:0"},
                                   {name, "12a"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(fake_->changes, changes) << "a bad paragraph went to the registry";
  EXPECT_TRUE(absl::StrContains(
      bad->body,
      absl::StrCat("<p class=\"field-error\" id=\"offence-error\"><span class=\"vh\">",
                   Escape(catalogs.Text("sq", "form.error_prefix")), " </span>",
                   FormatEscaped("sq", catalogs.Text("sq", "form.paragraph"),
                                 {{"law", "06/L-074"}, {"article", "230"}, {"value", "12a"}}),
                   "</p>")))
      << bad->body;
  EXPECT_TRUE(absl::StrContains(
      bad->body, absl::StrCat("name=\"", Escape(name), "\" value=\"12a\" inputmode=\"numeric\" "
                              "autocomplete=\"off\" class=\"short\" aria-describedby=\""
                              "offence-paragraph-hint offence-error\" aria-invalid=\"true\">")))
      << bad->body;
  EXPECT_TRUE(absl::StrContains(bad->body, "value=\"06/L-074:230:0\" checked"));

  // The registry's verdict on the rest of the form comes with the form's own problem, in one
  // pass: what the form could read goes as a dry-run import row, which changes nothing.
  v1::ImportRecordsResponse verdict;
  v1::ImportRowResult* row = verdict.add_results();
  row->set_line(1);
  row->set_outcome(v1::ImportRowResult::OUTCOME_INVALID);
  row->set_error("person.given_name is required; person.birth_date: not a real date");
  fake_->import_response = verdict;
  auto both = PostAndFollow("/records/new", {{"surname", "Krasniqi"}, {"birth-date", "1980-02-30"},
                                    {"offence", "06/L-074:230:0"}, {name, "12a"}});
  ASSERT_TRUE(both);
  EXPECT_EQ(both->status, 400);
  EXPECT_EQ(fake_->changes, changes);
  EXPECT_TRUE(fake_->last_import.dry_run());
  ASSERT_EQ(fake_->last_import.rows_size(), 1);
  EXPECT_EQ(fake_->last_import.rows(0).record().person().birth_date(), "1980-02-30");
  for (const char* input : {"offence", "given-name", "birth-date"}) {
    EXPECT_TRUE(absl::StrContains(both->body, absl::StrCat("id=\"", input, "-error\"")))
        << input << ": " << both->body;
  }
  // The registry down: the form's own problem alone, as before.
  fake_->import_response.reset();
  auto alone = PostAndFollow(
      "/records/new", {{"surname", "Krasniqi"}, {"offence", "06/L-074:230:0"}, {name, "12a"}});
  ASSERT_TRUE(alone);
  EXPECT_EQ(alone->status, 400);
  EXPECT_TRUE(absl::StrContains(alone->body, "id=\"offence-error\""));
  EXPECT_FALSE(absl::StrContains(alone->body, "id=\"given-name-error\""));

  // A record that names art. 230 para. 1: the article's box, checked, with 1 beside it.
  v1::Conviction& conviction = *fake_->record.mutable_conviction();
  v1::Offence* offence = conviction.add_offences();
  offence->set_law("06/L-074");
  offence->set_article(230);
  offence->set_paragraph(1);
  offence->set_title("Rape");
  const std::string amend = absl::StrCat("/records/", kRecordId, "/amend");
  const std::string shown = Get(amend)->body;
  EXPECT_TRUE(absl::StrContains(shown, "value=\"06/L-074:230:0\" checked")) << shown;
  EXPECT_TRUE(absl::StrContains(shown, absl::StrCat("name=\"", Escape(name), "\" value=\"1\"")));
  EXPECT_FALSE(absl::StrContains(shown, "value=\"06/L-074:230:1\"")) << "a box of the bare code";

  // Only the paragraph changed: the amendment sends the offences.
  v1::CreateRecordRequest current;
  *current.mutable_person() = fake_->record.person();
  *current.mutable_conviction() = conviction;
  FormValues values = FormFromRecord(current, fake_->reference.offences());
  values[name] = {"2"};
  httplib::Params params = {{"reason", "court notice 12/2024"}, {"version", "1"}};
  for (const auto& [field, list] : values) {
    for (const std::string& value : list) params.emplace(field, value);
  }
  Post(amend, params);
  EXPECT_EQ(std::vector<std::string>(fake_->last_amend.update_mask().paths().begin(),
                                     fake_->last_amend.update_mask().paths().end()),
            std::vector<std::string>{"conviction.offences"});
  ASSERT_EQ(fake_->last_amend.conviction().offences_size(), 1);
  EXPECT_EQ(fake_->last_amend.conviction().offences(0).paragraph(), 2u);
}

// A key rotation and a vetting check were answered by their POST, so a reload sent it again: a
// second rotation, or a second check, which counts against the employer's limit and is audited.
// Each is answered by a redirect to a page that shows what was done (the check's answer once),
// whose address holds ids and numbers only, and which asks the registry nothing when reloaded.
TEST_F(ConsoleTest, AReloadNeitherRotatesTheKeyNorChecksACandidateAgain) {
  StartSignedIn(v1::ROLE_ADMIN);
  auto rotated = Post("/admin/rotate-keys", {{"confirm", "ROTATE"}});
  ASSERT_TRUE(rotated);
  EXPECT_EQ(rotated->status, 303);
  const std::string done = rotated->get_header_value("Location");
  EXPECT_EQ(done, "/admin/rotated?kek_version=2&rewrapped=11");
  EXPECT_EQ(fake_->changes, 1);
  int calls = fake_->calls;
  const std::string text = FormatEscaped(
      "sq", Catalogs::Embedded().Text("sq", "admin.rotated.text"), {{"version", "2"}, {"n", "11"}});
  for (int reload = 0; reload < 2; ++reload) {
    auto shown = Get(done);
    ASSERT_TRUE(shown);
    EXPECT_EQ(shown->status, 200);
    EXPECT_TRUE(absl::StrContains(shown->body, text)) << shown->body;
    EXPECT_FALSE(absl::StrContains(shown->body, "action=\"/admin/rotate-keys\""));
  }
  EXPECT_EQ(fake_->calls, calls);
  EXPECT_EQ(fake_->changes, 1);
  // Only numbers come back from the address.
  auto odd = Get("/admin/rotated?kek_version=%3Cb%3E&rewrapped=1");
  EXPECT_EQ(odd->status, 303);
  EXPECT_EQ(odd->get_header_value("Location"), "/admin");
  console_->Stop();

  StartSignedIn(v1::ROLE_VETTING);
  const std::string number = "1234567890";
  fake_->vetting.set_result(v1::VETTING_RESULT_NOT_CLEAR);
  fake_->vetting.set_check_id(kRecordId);
  fake_->vetting.mutable_certificate()->mutable_certificate()->set_personal_number(number);
  const httplib::Params form = {{"personal-number", number}, {"surname", "Krasniqi"},
                                {"consent_ref", "C 1"}};
  auto checked = Post("/vetting", form);
  ASSERT_TRUE(checked);
  EXPECT_EQ(checked->status, 303);
  const std::string result = checked->get_header_value("Location");
  EXPECT_EQ(result, absl::StrCat("/vetting/results/", kRecordId));
  EXPECT_EQ(fake_->calls, 1);
  auto shown = Get(result);
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->status, 200);
  EXPECT_TRUE(absl::StrContains(shown->body, "<code id=\"result-code\">NOT_CLEAR</code>")) << shown->body;
  EXPECT_TRUE(absl::StrContains(shown->body, absl::StrCat("href=\"/vetting/certificates/", kRecordId, "\"")));
  // Reloaded: the certificate's page, which says the same; the registry is not asked.
  auto reloaded = Get(result);
  EXPECT_EQ(reloaded->status, 303);
  EXPECT_EQ(reloaded->get_header_value("Location"), absl::StrCat("/vetting/certificates/", kRecordId));
  EXPECT_EQ(fake_->calls, 1);

  // An answer without a certificate, under a check id that is none: the address holds an id of
  // the console's; reloaded, the page says that the answer was shown, and checks nothing.
  fake_->vetting.clear_certificate();
  fake_->vetting.set_check_id("not an id");
  checked = Post("/vetting", form);
  EXPECT_EQ(checked->status, 303);
  const std::string other = checked->get_header_value("Location");
  EXPECT_TRUE(std::regex_match(other, std::regex("/vetting/results/[0-9a-f]{32}"))) << other;
  EXPECT_EQ(fake_->calls, 2);
  shown = Get(other);
  EXPECT_EQ(shown->status, 200);
  EXPECT_TRUE(absl::StrContains(shown->body, "<code id=\"result-code\">NOT_CLEAR</code>"));
  EXPECT_EQ(Field(LanguageForm(shown->body), "back"), "/vetting");
  reloaded = Get(other);
  EXPECT_EQ(reloaded->status, 410);
  EXPECT_TRUE(absl::StrContains(reloaded->body,
                                Escape(Catalogs::Embedded().Text("sq", "vetting.result_shown"))));
  EXPECT_FALSE(absl::StrContains(reloaded->body, "result-code"));
  EXPECT_EQ(fake_->calls, 2);
  // Another session does not see this one's answers.
  fake_->vetting.set_check_id(kRecordId);
  checked = Post("/vetting", form);
  const std::string mine = checked->get_header_value("Location");
  SignIn();
  EXPECT_EQ(Get(mine)->status, 404);
}

// The security officer's data check was answered by its POST, so a reload ran the whole-data
// check again. It is answered by a redirect to a page whose address holds an id of the console's
// only; the page shows the result once, and asks the registry nothing when reloaded.
TEST_F(ConsoleTest, ADataCheckIsAnsweredByARedirectAndAReloadDoesNotCheckAgain) {
  StartSignedIn(v1::ROLE_ADMIN);
  fake_->data_check.set_records(42);
  auto checked = Post("/admin/verify-data", {});
  ASSERT_TRUE(checked);
  EXPECT_EQ(checked->status, 303);
  const std::string result = checked->get_header_value("Location");
  EXPECT_TRUE(std::regex_match(result, std::regex("/admin/checks/[0-9a-f]{32}"))) << result;
  EXPECT_EQ(fake_->calls, 1);
  auto shown = Get(result);
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->status, 200);
  EXPECT_TRUE(absl::StrContains(shown->body, "id=\"check-result\"")) << shown->body;
  EXPECT_TRUE(absl::StrContains(shown->body, "<td>42</td>")) << shown->body;
  EXPECT_EQ(Field(LanguageForm(shown->body), "back"), "/admin");
  EXPECT_EQ(fake_->calls, 1);
  // Reloaded: the page says that the result was shown, and nothing is checked again.
  for (int reload = 0; reload < 2; ++reload) {
    auto again = Get(result);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 410);
    EXPECT_TRUE(absl::StrContains(again->body,
                                  Escape(Catalogs::Embedded().Text("sq", "admin.check.shown"))))
        << again->body;
    EXPECT_FALSE(absl::StrContains(again->body, "id=\"check-result\""));
  }
  EXPECT_EQ(fake_->calls, 1) << "a reload ran the data check again";
  // Another session does not see this one's results.
  checked = Post("/admin/verify-data", {});
  const std::string mine = checked->get_header_value("Location");
  EXPECT_EQ(fake_->calls, 2);
  SignIn();
  EXPECT_EQ(Get(mine)->status, 404) << "another session made no such check";
  EXPECT_EQ(fake_->calls, 2);
}

// On a shared court computer the official could not end their session: it lasted until the
// console stopped or 8 idle hours passed. Every page has a Sign out button (a posted form with
// the session's token); signing out ends the session at once, so the cookie opens nothing
// however long the browser keeps it, tells the browser to drop it, and leads to a page, needing
// no session, that says how to start again.
TEST_F(ConsoleTest, SigningOutEndsTheSessionAndItsCookieOpensNothingAfterwards) {
  const std::string form = "<form class=\"signout\" method=\"post\" action=\"/signout\" "
                           "autocomplete=\"off\"><input "
                           "type=\"hidden\" name=\"csrf\" value=\"";
  // On every page of every role, with the token of the role's session.
  ASSERT_NO_FATAL_FAILURE(ForEachPageOfEachRole(
      [&](v1::Role role, const std::string& path, const httplib::Response& page) {
        if (!absl::StartsWith(page.get_header_value("Content-Type"), "text/html")) return;
        EXPECT_TRUE(absl::StrContains(page.body, absl::StrCat(form, csrf_, "\">")))
            << v1::Role_Name(role) << " " << path << ": no sign-out";
      }));

  StartSignedIn(v1::ROLE_CLERK);
  const std::string other_cookie = cookie_;
  const std::string other_csrf = csrf_;
  SignIn();  // a second session, of another browser: it goes on
  Post("/language", {{"lang", "en"}, {"back", "/"}});
  auto out = Post("/signout", {});
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 303);
  EXPECT_EQ(out->get_header_value("Location"), "/signed-out?lang=en");
  const std::string expired = out->get_header_value("Set-Cookie");
  EXPECT_TRUE(absl::StartsWith(expired, absl::StrCat(console_->cookie_name(), "=;"))) << expired;
  for (const char* flag : {"; Path=/", "; HttpOnly", "; SameSite=Strict", "; Max-Age=0"}) {
    EXPECT_TRUE(absl::StrContains(expired, flag)) << expired;
  }

  // The old cookie, kept by a browser that did not drop it: 401 on every page and every POST,
  // the token included, and the registry is not asked.
  const int calls = fake_->calls;
  for (const Console::Route& route : console_->routes()) {
    const std::string path = PathOf(route.pattern);
    auto response = route.method == "GET" ? Get(path) : Post(path, {{"surname", "X"}});
    ASSERT_TRUE(response) << route.method << " " << path;
    EXPECT_EQ(response->status, 401) << route.method << " " << path;
  }
  EXPECT_EQ(fake_->calls, calls);

  // The page it leads to needs no session, and says so in the session's language.
  const Catalogs& catalogs = Catalogs::Embedded();
  auto page = client_->Get(out->get_header_value("Location"));
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  ExpectSecurityHeaders(page, "signed out");
  EXPECT_TRUE(absl::StrContains(page->body, "<html lang=\"en\""));
  for (const char* key : {"signout.title", "signout.text", "signout.again", "signout.stop"}) {
    EXPECT_TRUE(absl::StrContains(page->body, Escape(catalogs.Text("en", key)))) << key;
  }
  EXPECT_FALSE(absl::StrContains(page->body, "name=\"csrf\""));
  EXPECT_TRUE(absl::StrContains(client_->Get("/signed-out")->body,
                                Escape(catalogs.Text("sq", "signout.text"))))
      << "Albanian by default";

  // The other session was not ended.
  cookie_ = other_cookie;
  csrf_ = other_csrf;
  EXPECT_EQ(Get("/")->status, 200);
}

TEST_F(ConsoleTest, SigningOutNeedsTheSessionsCsrfToken) {
  StartSignedIn(v1::ROLE_CLERK);
  auto without = Post("/signout", {}, /*with_csrf=*/false);
  ASSERT_TRUE(without);
  EXPECT_EQ(without->status, 403);
  EXPECT_FALSE(without->has_header("Set-Cookie"));
  auto forged = Post("/signout", {{"csrf", std::string(64, 'f')}}, /*with_csrf=*/false);
  EXPECT_EQ(forged->status, 403);
  auto in_query = client_->Post(absl::StrCat("/signout?csrf=", csrf_), {{"Cookie", cookie_}},
                                httplib::Params{});
  EXPECT_EQ(in_query->status, 400);
  // A link or an image of another page cannot sign the official out either: it is no GET.
  EXPECT_EQ(Get("/signout")->status, 404);
  EXPECT_EQ(Get("/")->status, 200) << "the session was ended without the token";
  EXPECT_EQ(Post("/signout", {})->status, 303);
  EXPECT_EQ(Get("/")->status, 401);
}

// With registryd down, the record form came back with what was typed, but a dispute, a
// resolution and an expunging did not: the clerk's reason, legal basis and confirmation were
// lost behind a bare error page. Each form comes back alone, filled in as it was sent, under the
// box that says the registry cannot be reached (503), to be sent again.
TEST_F(ConsoleTest, AnUnreachableRegistryKeepsTheReasonOfADisputeAResolutionAndAnExpunging) {
  const Catalogs& catalogs = Catalogs::Embedded();
  const auto said = [&](const httplib::Result& response, const std::string& where) {
    ASSERT_TRUE(response) << where;
    EXPECT_EQ(response->status, 503) << where;
    EXPECT_TRUE(absl::StrContains(
        response->body,
        absl::StrCat("<h2>", Escape(catalogs.Text("sq", "error.unreachable_title")), "</h2>")))
        << where << "\n" << response->body;
  };
  LoopbackSocket nobody(/*listen=*/false);
  const std::string address = nobody.address();
  Start(v1::ROLE_CLERK, false, [&](std::shared_ptr<FakeRegistry> fake) {
    return std::make_shared<DownRegistry>(fake, address, kDownTimeout);
  });
  SignIn();
  const std::string record = absl::StrCat("/records/", kRecordId);
  for (const char* action : {"dispute", "resolve"}) {
    const std::string where = action;
    const std::string reason = absl::StrCat("letter of the data subject 3/2026 (", action, ")");
    auto sent = Post(absl::StrCat(record, "/", action), {{"reason", reason}});
    said(sent, where);
    EXPECT_TRUE(absl::StrContains(
        sent->body, PostForm(absl::StrCat(record, "/", action))))
        << sent->body;
    EXPECT_TRUE(absl::StrContains(sent->body, absl::StrCat(">", reason, "</textarea>")))
        << sent->body;
  }
  // The record itself cannot be read: the form says so, and keeps both fields.
  auto expunge = Post(record + "/expunge", {{"legal_basis", "KP 103"}, {"confirm", "P 1/2024"}});
  said(expunge, "expunge");
  EXPECT_TRUE(absl::StrContains(
      expunge->body, PostForm(absl::StrCat(record, "/expunge"))));
  EXPECT_TRUE(absl::StrContains(FieldGroup(expunge->body, "legal_basis"), "value=\"KP 103\""))
      << expunge->body;
  EXPECT_TRUE(absl::StrContains(FieldGroup(expunge->body, "confirm"), "value=\"P 1/2024\""))
      << expunge->body;
  EXPECT_TRUE(absl::StrContains(expunge->body,
                                Escape(catalogs.Text("sq", "record.expunge.unread"))));
  console_->Stop();
  console_.reset();

  // The record read, the expunging itself not reached: the confirmation, right for this record,
  // is kept with the legal basis.
  StartSignedIn(v1::ROLE_CLERK);
  fake_->expunge_status = absl::UnavailableError("failed to connect to all addresses");
  expunge = Post(record + "/expunge", {{"legal_basis", "KP 103"}, {"confirm", "P 1/2024"}});
  said(expunge, "expunge sent");
  EXPECT_TRUE(absl::StrContains(FieldGroup(expunge->body, "legal_basis"), "value=\"KP 103\""));
  EXPECT_TRUE(absl::StrContains(FieldGroup(expunge->body, "confirm"), "value=\"P 1/2024\""));
  // A registry that stops while the call is under way ends it CANCELLED: the same, not "the
  // registry refused" with the legal basis lost (the expunge may have been made; the box says to
  // check the record).
  fake_->expunge_status = absl::CancelledError("Cancelled");
  expunge = Post(record + "/expunge", {{"legal_basis", "KP 103"}, {"confirm", "P 1/2024"}});
  said(expunge, "expunge cancelled by the registry");
  EXPECT_TRUE(absl::StrContains(FieldGroup(expunge->body, "legal_basis"), "value=\"KP 103\""));
  EXPECT_TRUE(absl::StrContains(expunge->body,
                                Escape(catalogs.Text("sq", "error.unreachable_help"))));
  // Refused, the confirmation comes back as typed, as the legal basis does.
  fake_->expunge_status = absl::PermissionDeniedError("not allowed");
  expunge =
      PostAndFollow(record + "/expunge", {{"legal_basis", "KP 103"}, {"confirm", "P 1/2024"}});
  EXPECT_EQ(expunge->status, 400);
  EXPECT_TRUE(absl::StrContains(FieldGroup(expunge->body, "confirm"), "value=\"P 1/2024\""));
}

TEST(ListenAddressTest, OnlyLoopbackUnlessAllowedAndThenOnlyWithTls) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.1.2.3"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost("example.org"));
  EXPECT_EQ(SplitListenAddress("[::1]:8080")->first, "::1");
  EXPECT_FALSE(SplitListenAddress("8080").ok());
  EXPECT_FALSE(SplitListenAddress(":8080").ok());

  auto fake = std::make_shared<FakeRegistry>();
  ConsoleOptions options;
  options.listen = "0.0.0.0:0";
  Console refused(options, fake);
  absl::Status status = refused.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(status.message(), "--allow-remote")) << status;
  options.allow_remote = true;
  Console without_tls(options, fake);
  status = without_tls.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(status.message(), "--tls-cert")) << status;

  const std::string pki = TestPki();
  options.tls_cert_file = pki + "/server/cert.pem";
  options.tls_key_file = pki + "/server/key.pem";
  // Even with TLS, not every address at once: the Host check needs the one name. In any
  // spelling: "0", "0.0" and "0x0" are 0.0.0.0 to the resolver, and the mapped form listened on
  // every interface while only the two spellings above were refused.
  for (const char* any : {"0.0.0.0:0", "[::]:0", "0:0", "0.0:0", "0x0:0", "[::ffff:0.0.0.0]:0",
                          "[0:0:0:0:0:0:0:0]:0"}) {
    options.listen = any;
    Console everywhere(options, fake);
    status = everywhere.Start();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << any;
    EXPECT_TRUE(absl::StrContains(status.message(), "every address")) << status;
  }
  options.tls_key_file.clear();
  options.listen = "127.0.0.1:0";
  Console half(options, fake);
  EXPECT_EQ(half.Start().code(), absl::StatusCode::kInvalidArgument) << "a certificate without its key";
}

// A port in use was "cannot listen on 127.0.0.1:P", with no reason and no way out: the reason is
// the system's, and the error offers --listen 127.0.0.1:0, which picks a free port.
TEST(ListenAddressTest, APortInUseIsSaidWithItsReasonAndHowToTakeAFreeOne) {
  const int taken = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(taken, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(taken, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(taken, 1), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(getsockname(taken, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string listen = absl::StrCat("127.0.0.1:", ntohs(address.sin_port));
  auto fake = std::make_shared<FakeRegistry>();
  fake->who.set_role(v1::ROLE_CLERK);
  ConsoleOptions options;
  options.listen = listen;
  Console console(options, fake);
  const absl::Status status = console.Start();
  close(taken);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_TRUE(absl::StartsWith(status.message(), absl::StrCat("cannot listen on ", listen,
                                                              ": Address already in use")))
      << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "--listen 127.0.0.1:0")) << status;
}

// The HTTP library's default socket options let a second console bind the port of a running one
// (SO_REUSEPORT), and the two then split the browser's requests: its sessions were lost and its
// forms refused. The second is refused as any other program on the port would be.
TEST(ListenAddressTest, ASecondConsoleOnThePortOfARunningOneIsRefused) {
  auto fake = std::make_shared<FakeRegistry>();
  fake->who.set_role(v1::ROLE_CLERK);
  ConsoleOptions options;
  options.listen = "127.0.0.1:0";
  Console first(options, fake);
  ASSERT_TRUE(first.Start().ok());
  const std::string listen = absl::StrCat("127.0.0.1:", first.port());
  options.listen = listen;
  Console second(options, fake);
  const absl::Status status = second.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_TRUE(absl::StartsWith(status.message(), absl::StrCat("cannot listen on ", listen,
                                                              ": Address already in use")))
      << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "another registry-console")) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "--listen 127.0.0.1:0")) << status;
  if (status.ok()) second.Stop();
  first.Stop();
}

// With its own certificate the console serves HTTPS only, its cookie is Secure and browsers are
// told to keep to HTTPS.
TEST_F(ConsoleTest, WithTlsTheCookieIsSecureAndTheUrlHttps) {
  const std::string pki = TestPki();
  auto fake = std::make_shared<FakeRegistry>();
  fake->who.set_role(v1::ROLE_CLERK);
  ConsoleOptions options;
  options.listen = "127.0.0.1:0";
  options.tls_cert_file = pki + "/server/cert.pem";
  options.tls_key_file = pki + "/server/key.pem";
  Console console(options, fake);
  ASSERT_TRUE(console.Start().ok());
  EXPECT_TRUE(absl::StartsWith(console.StartUrl(), "https://127.0.0.1:")) << console.StartUrl();
  httplib::SSLClient tls("127.0.0.1", console.port());
  tls.enable_server_certificate_verification(false);  // the test CA's name is not 127.0.0.1
  auto started = tls.Get(absl::StrCat("/start?s=", console.start_secret()));
  ASSERT_TRUE(started);
  EXPECT_EQ(started->status, 303);
  const std::string cookie = started->get_header_value("Set-Cookie");
  EXPECT_TRUE(absl::StrContains(cookie, "; Secure")) << cookie;
  EXPECT_TRUE(absl::StrContains(cookie, "HttpOnly")) << cookie;
  EXPECT_TRUE(started->has_header("Strict-Transport-Security"));
  httplib::Client plain("127.0.0.1", console.port());
  plain.set_read_timeout(5, 0);
  auto clear = plain.Get("/");
  EXPECT_TRUE(!clear || clear->status != 200) << "no page in clear";
  console.Stop();
}

// A console that runs for weeks runs many imports and verifications: the threads that ran them
// are joined once their work is done, not kept until the console stops.
TEST_F(ConsoleTest, FinishedBackgroundWorkLeavesNoThreadBehind) {
  auto fake = std::make_shared<FakeRegistry>();
  fake->who.set_role(v1::ROLE_AUDITOR);
  ConsoleOptions options;
  options.listen = "127.0.0.1:0";
  Console console(options, fake);
  ASSERT_TRUE(console.Start().ok());
  std::atomic<int> ran{0};
  for (int i = 0; i < 40; ++i) console.RunInBackground([&ran] { ++ran; });
  // Each call joins the threads whose work has finished; a thread may still be between its
  // work and its end at one call, and is joined at a later one.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (console.background_threads() > 1 && std::chrono::steady_clock::now() < deadline) {
    console.RunInBackground([&ran] { ++ran; });
    std::this_thread::yield();
  }
  EXPECT_LE(console.background_threads(), 1u);
  console.Stop();
  EXPECT_GE(ran.load(), 40);
}

// ---- counts, positions, a court abroad, a stale correction, a search's field errors, and what a
// form sends back ----

// The Serbian page for 1, 2 and 5 records says each count in its own form.
TEST_F(ConsoleTest, ASearchsCountsTakeTheSerbianFormOfTheirNumber) {
  StartSignedIn(v1::ROLE_CLERK);
  ASSERT_EQ(Post("/language", {{"lang", "sr"}, {"back", "/search"}})->status, 303);
  for (const auto& [count, words] : std::vector<std::pair<int, std::string>>{
           {1, "1 odgovarajući upis"}, {2, "2 odgovarajuća upisa"}, {5, "5 odgovarajućih upisa"}}) {
    fake_->search.clear_records();
    for (int i = 0; i < count; ++i) fake_->search.add_records()->CopyFrom(fake_->record);
    const std::string body = PostAndFollow("/search", {{"personal-number", "1234567890"}})->body;
    EXPECT_TRUE(absl::StrContains(body, absl::StrCat("<caption>", words, "</caption>")))
        << count << "\n" << body;
    EXPECT_FALSE(absl::StrContains(body, "plural")) << count;
  }
}

// More than 100 records matched: the table was captioned "100 matching records" and said only
// after its last row that more match. The notice comes first, as registry-cli prints it, and the
// caption says that these are the first 100.
TEST_F(ConsoleTest, MoreMatchesThanShownAreSaidBeforeTheTableWhoseCaptionSaysTheFirstOnes) {
  StartSignedIn(v1::ROLE_COURT);
  for (int i = 0; i < 100; ++i) fake_->search.add_records()->CopyFrom(fake_->record);
  fake_->search.set_more_records(true);
  const Catalogs& catalogs = Catalogs::Embedded();
  for (const auto& [language, caption] : std::vector<std::pair<std::string, std::string>>{
           {"en", "More than 100 matching records; the first 100 shown"},
           {"sq", "Përputhen më shumë se 100 regjistrime; shfaqen 100 të parat"},
           {"sr", "Više od 100 odgovarajućih upisa; prikazano je prvih 100"}}) {
    ASSERT_EQ(Post("/language", {{"lang", language}, {"back", "/search"}})->status, 303);
    auto page = PostAndFollow("/search", {{"personal-number", "1234567890"},
                                          {"case_ref", "P 1/2024"},
                                          {"purpose", "criminal_proceedings"}});
    ASSERT_TRUE(page);
    ASSERT_EQ(page->status, 200) << page->body;
    const std::string& body = page->body;
    const size_t notice = body.find("id=\"more-records\"");
    const size_t table = body.find("<table class=\"results\">");
    ASSERT_NE(notice, std::string::npos) << body;
    ASSERT_NE(table, std::string::npos) << body;
    EXPECT_LT(notice, table) << language << ": the notice comes after the rows";
    EXPECT_TRUE(absl::StrContains(body, absl::StrCat("<caption>", Escape(caption), "</caption>")))
        << language << "\n" << body;
    EXPECT_FALSE(absl::StrContains(
        body, absl::StrCat("<caption>",
                           Escape(Format(language, catalogs.Text(language, "search.exact"),
                                         {{"n", "100"}})),
                           "</caption>")))
        << language;
  }
}

// A conviction by a court abroad is said to be so in the page's language, never as "foreign:".
TEST_F(ConsoleTest, ACourtAbroadIsNamedInTheUsersLanguage) {
  StartSignedIn(v1::ROLE_CLERK);
  fake_->record.mutable_conviction()->set_court_id("foreign");
  fake_->record.mutable_conviction()->set_foreign_court("Landgericht Wien");
  fake_->record.mutable_conviction()->set_foreign_country("AT");
  const std::string body = Get(absl::StrCat("/records/", kRecordId))->body;
  EXPECT_TRUE(absl::StrContains(body, "Gjykatë e huaj: Landgericht Wien (AT)")) << body;
  EXPECT_FALSE(absl::StrContains(body, "foreign:")) << body;
}

// A position an employer checks for is named in the page's language, its code beside it: in the
// check form, on the certificate and in a data subject's list of checks.
TEST_F(ConsoleTest, APositionIsNamedInTheUsersLanguage) {
  Start(v1::ROLE_VETTING);
  fake_->who.add_position_categories("teacher");
  fake_->who.add_position_categories("unlisted_post");
  SignIn();
  std::string body = Get("/vetting")->body;
  EXPECT_TRUE(absl::StrContains(body, "<option value=\"teacher\">mësimdhënës (teacher)</option>"))
      << body;
  EXPECT_TRUE(absl::StrContains(body, "<option value=\"unlisted_post\">unlisted_post</option>"))
      << "a code the catalogs do not name is shown as it is";
  ASSERT_EQ(Post("/language", {{"lang", "sr"}, {"back", "/vetting"}})->status, 303);
  body = Get("/vetting")->body;
  EXPECT_TRUE(absl::StrContains(body, "nastavnik (teacher)")) << body;
  fake_->vetting.set_result(v1::VETTING_RESULT_CLEAR);
  fake_->vetting.set_check_id(kRecordId);
  fake_->vetting.mutable_certificate()->mutable_certificate()->set_position_category("teacher");
  auto checked = Post("/vetting", {{"position", "teacher"}, {"consent_ref", "C 1"}});
  ASSERT_EQ(checked->status, 303) << checked->body;
  ASSERT_EQ(Get(checked->get_header_value("Location"))->status, 200);
  body = Get(absl::StrCat("/vetting/certificates/", kRecordId))->body;
  EXPECT_TRUE(absl::StrContains(body, "<td>nastavnik (teacher)</td>")) << body;
  console_->Stop();

  StartSignedIn(v1::ROLE_CLERK);
  ASSERT_EQ(Post("/language", {{"lang", "en"}, {"back", "/subject"}})->status, 303);
  fake_->checks.add_checks()->set_position_category("care_worker");
  body = PostAndFollow("/subject", {{"personal-number", "1234567890"}, {"request_ref", "DSR-1"}})
             ->body;
  EXPECT_TRUE(absl::StrContains(body, "<td>care worker (care_worker)</td>")) << body;
  EXPECT_TRUE(absl::StrContains(body, "<caption>1 check</caption>")) << body;
}

// A correction refused because the record changed since the form read it offers the way on: the
// record as it is now.
TEST_F(ConsoleTest, ACorrectionOfARecordThatChangedMeanwhileLinksToItsCurrentVersion) {
  StartSignedIn(v1::ROLE_CLERK);
  fake_->amend_status = absl::AbortedError("expected_version 1, the record is at version 2");
  auto refused = PostAndFollow(absl::StrCat("/records/", kRecordId, "/amend"),
                      {{"version", "1"}, {"surname", "Krasniqi"}, {"reason", "Court notice 7"}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(fake_->last_amend.expected_version(), 1u);
  EXPECT_TRUE(absl::StrContains(
      refused->body,
      absl::StrCat("<a id=\"reread\" href=\"/records/", kRecordId, "\">",
                   Escape(Catalogs::Embedded().Text("sq", "record.amend.reread")), "</a>")))
      << refused->body;
  // Any other refusal has no such link.
  fake_->amend_status = absl::PermissionDeniedError("no");
  refused = PostAndFollow(absl::StrCat("/records/", kRecordId, "/amend"),
                 {{"version", "1"}, {"surname", "Krasniqi"}, {"reason", "Court notice 7"}});
  EXPECT_FALSE(absl::StrContains(refused->body, "id=\"reread\"")) << refused->body;
}

// The catalog's message `key` in `language` about the name `name`, as a page shows it.
std::string NameSaid(const std::string& language, const std::string& key, const std::string& name) {
  return FormatEscaped(language, Catalogs::Embedded().Text(language, key), {{"name", name}});
}

// The clerk's record with surname Krasniqi and the aliases Gashi and Berisha, at version 3, and
// its amend form as the page fills it, a reason given: what the tests of names a correction
// removes start from (they change the surname and the alias box).
httplib::Params NamedRecordForm(FakeRegistry& fake) {
  v1::Person& person = *fake.record.mutable_person();
  person.set_surname("Krasniqi");
  person.set_given_name("Arben");
  person.add_aliases("Gashi");
  person.add_aliases("Berisha");
  fake.record.mutable_metadata()->set_version(3);
  fake.amend_status = absl::OkStatus();
  v1::CreateRecordRequest shown;
  *shown.mutable_person() = fake.record.person();
  *shown.mutable_conviction() = fake.record.conviction();
  httplib::Params params;
  for (const auto& [name, list] : FormFromRecord(shown)) {
    for (const std::string& value : list) params.emplace(name, value);
  }
  params.emplace("reason", "court notice 12/2024");
  params.emplace("version", "3");
  return params;
}

void SetParam(httplib::Params* params, const std::string& name, const std::string& value) {
  params->erase(name);
  params->emplace(name, value);
}

// The value of the box that says yes to the names a correction removes, as the page holds it.
std::string RemoveNamesValue(const std::string& body) {
  std::smatch found;
  if (!std::regex_search(body, found,
                         std::regex("name=\"remove-names\" value=\"([^\"]*)\""))) {
    return "";
  }
  return found[1];
}

// registry-cli asks before an amendment that removes a name the record is found and linked by
// (the surname replaced, not kept as an alias); the console saved such a correction at once. It
// now shows the form again naming each name that would go and why, sends nothing, and sends it
// only with the box ticked for those names; the notice then names them.
TEST_F(ConsoleTest, ACorrectionThatReplacesTheSurnameIsSentOnlyOnceItsRemovalIsConfirmed) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  httplib::Params params = NamedRecordForm(*fake_);
  SetParam(&params, "surname", "Hoxha");
  const std::string amend = absl::StrCat("/records/", kRecordId, "/amend");
  auto posted = Post(amend, params);
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 303) << posted->body;
  const std::string kept = posted->get_header_value("Location");
  EXPECT_TRUE(std::regex_match(kept, std::regex(amend + "/refused/[0-9a-f]{32}"))) << kept;
  EXPECT_EQ(fake_->changes, 0) << "the correction was sent";
  const int calls = fake_->calls;
  auto shown = Get(kept);
  ASSERT_TRUE(shown);
  EXPECT_EQ(fake_->calls, calls) << "the kept form asked the registry again";
  const std::string& body = shown->body;
  EXPECT_TRUE(absl::StrContains(body, "id=\"names-removed\"")) << body;
  EXPECT_TRUE(absl::StrContains(body, Escape(catalogs.Text("sq", "record.amend.names_removed"))));
  EXPECT_TRUE(absl::StrContains(
      body, NameSaid("sq", "record.amend.surname_replaced", "Krasniqi")))
      << body;
  EXPECT_TRUE(
      absl::StrContains(body, Escape(catalogs.Text("sq", "record.amend.names_removed.why"))));
  EXPECT_FALSE(absl::StrContains(body, "Gashi</li>")) << "a kept alias is no removal";
  EXPECT_TRUE(absl::StrContains(FieldGroup(body, "surname"), "value=\"Hoxha\"")) << body;
  EXPECT_TRUE(absl::StrContains(body, "<input type=\"hidden\" name=\"version\" value=\"3\">"));
  const std::string yes = RemoveNamesValue(body);
  ASSERT_FALSE(yes.empty()) << body;
  EXPECT_FALSE(absl::StrContains(body, "name=\"remove-names\" value=\"" + yes + "\" checked"));

  // A yes to other names than those the correction now removes sends nothing.
  SetParam(&params, "remove-names", "surname:Gashi");
  ASSERT_EQ(Post(amend, params)->status, 303);
  EXPECT_EQ(fake_->changes, 0) << "a yes to other names sent the correction";

  SetParam(&params, "remove-names", yes);
  auto saved = Post(amend, params);
  ASSERT_TRUE(saved);
  ASSERT_EQ(saved->status, 303) << saved->body;
  EXPECT_EQ(fake_->changes, 1);
  EXPECT_EQ(fake_->last_amend.person().surname(), "Hoxha");
  EXPECT_EQ(fake_->last_amend.expected_version(), 3u);
  const std::string location = saved->get_header_value("Location");
  EXPECT_TRUE(std::regex_match(
      location, std::regex(absl::StrCat("/records/", kRecordId,
                                        "\\?done=amended&removed=[0-9a-f]{32}"))))
      << location;
  EXPECT_FALSE(absl::StrContains(location, "Krasniqi")) << "a name went into an address";
  const std::string page = Get(location)->body;
  EXPECT_TRUE(absl::StrContains(page, Escape(catalogs.Text("sq", "record.done.amended"))));
  EXPECT_TRUE(absl::StrContains(page, Escape(catalogs.Text("sq", "record.done.names_removed"))))
      << page;
  EXPECT_TRUE(absl::StrContains(
      page, NameSaid("sq", "record.amend.surname_replaced", "Krasniqi")))
      << page;
  // The same address typed by another session says nothing of the names removed.
  SignIn();
  EXPECT_FALSE(absl::StrContains(Get(location)->body,
                                 Escape(catalogs.Text("sq", "record.done.names_removed"))));
}

// A line taken out of the alias box removes that alias: the form comes back naming it, and
// nothing is sent. An alias respelt as the registry compares names (case, accents), or a surname
// replaced that is kept among the aliases, removes nothing, and is saved at once.
TEST_F(ConsoleTest, AnAliasLineRemovedIsConfirmedButARespeltAliasIsNoRemoval) {
  StartSignedIn(v1::ROLE_CLERK);
  ASSERT_EQ(Post("/language", {{"lang", "en"}, {"back", "/"}})->status, 303);
  httplib::Params params = NamedRecordForm(*fake_);
  const std::string amend = absl::StrCat("/records/", kRecordId, "/amend");
  SetParam(&params, "alias", "Gashi");
  std::string body = PostAndFollow(amend, params)->body;
  EXPECT_EQ(fake_->changes, 0) << "the correction was sent";
  EXPECT_TRUE(absl::StrContains(
      body, NameSaid("en", "record.amend.alias_removed", "Berisha")))
      << body;
  EXPECT_FALSE(absl::StrContains(body, "Krasniqi</li>")) << "the surname is kept";
  EXPECT_FALSE(absl::StrContains(
      body, NameSaid("en", "record.amend.alias_removed", "Gashi")));
  SetParam(&params, "remove-names", RemoveNamesValue(body));
  auto saved = Post(amend, params);
  ASSERT_EQ(saved->status, 303);
  EXPECT_EQ(fake_->changes, 1);
  body = Get(saved->get_header_value("Location"))->body;
  EXPECT_TRUE(absl::StrContains(
      body, NameSaid("en", "record.amend.alias_removed", "Berisha")))
      << body;

  // Respelt: the same names.
  params = NamedRecordForm(*fake_);
  SetParam(&params, "alias", "GASHI\nBërisha");
  saved = Post(amend, params);
  ASSERT_EQ(saved->status, 303);
  EXPECT_EQ(saved->get_header_value("Location"),
            absl::StrCat("/records/", kRecordId, "?done=amended"));
  EXPECT_EQ(fake_->changes, 2);
  // The married name over the maiden one, which is kept as an alias.
  SetParam(&params, "surname", "Hoxha");
  SetParam(&params, "alias", "Gashi\nBerisha\nkrasniqi");
  saved = Post(amend, params);
  ASSERT_EQ(saved->status, 303);
  EXPECT_EQ(saved->get_header_value("Location"),
            absl::StrCat("/records/", kRecordId, "?done=amended"));
  EXPECT_EQ(fake_->changes, 3);
}

// A record no longer held (expunged: the back button onto its page, or its id opened) was titled
// "The registry refused" over "Not found": the registry refused nothing, the record is not there.
TEST_F(ConsoleTest, ARecordNoLongerHeldIsSaidToBeNotInTheRegistryNotRefused) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  fake_->record_status = absl::NotFoundError("no such record");
  for (const char* language : {"sq", "sr", "en"}) {
    ASSERT_EQ(Post("/language", {{"lang", language}, {"back", "/"}})->status, 303);
    for (const std::string& body :
         {Get(absl::StrCat("/records/", kRecordId))->body,
          PostAndFollow("/records/open", {{"id", kRecordId}})->body}) {
      EXPECT_TRUE(absl::StrContains(
          body, absl::StrCat("<h2>", Escape(catalogs.Text(language, "error.not_found_title")),
                             "</h2>")))
          << language << body;
      EXPECT_FALSE(absl::StrContains(body, Escape(catalogs.Text(language, "error.title"))))
          << language << body;
    }
  }
  // Any other refusal is still one.
  fake_->record_status = absl::PermissionDeniedError("no");
  EXPECT_TRUE(absl::StrContains(Get(absl::StrCat("/records/", kRecordId))->body,
                                Escape(catalogs.Text("en", "error.title"))));
}

// A position whose name in the page's language is its code ("teacher" in English) was shown as
// "teacher (teacher)": it is shown once.
TEST_F(ConsoleTest, APositionNamedByItsOwnCodeIsShownOnce) {
  Start(v1::ROLE_VETTING);
  fake_->who.add_position_categories("teacher");
  fake_->who.add_position_categories("care_worker");
  SignIn();
  ASSERT_EQ(Post("/language", {{"lang", "en"}, {"back", "/vetting"}})->status, 303);
  const std::string body = Get("/vetting")->body;
  EXPECT_TRUE(absl::StrContains(body, "<option value=\"teacher\">teacher</option>")) << body;
  EXPECT_FALSE(absl::StrContains(body, "teacher (teacher)")) << body;
  EXPECT_TRUE(absl::StrContains(body, "care worker (care_worker)")) << body;
}

// The data subject's page lists the checks asked under another personal number that named the
// person too (marked so); its introduction said only those naming their number were listed.
TEST_F(ConsoleTest, TheSubjectPageSaysChecksAskedUnderAnotherNumberAreListedToo) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  for (const char* language : {"sq", "sr", "en"}) {
    ASSERT_EQ(Post("/language", {{"lang", language}, {"back", "/subject"}})->status, 303);
    const std::string intro = catalogs.Text(language, "subject.intro");
    EXPECT_TRUE(absl::StrContains(Get("/subject")->body, Escape(intro))) << language;
    // "REFER (asked under another personal number)": what marks them is said in the intro.
    std::string marked = catalogs.Text(language, "subject.other_number_refer");
    marked = marked.substr(marked.find('(') + 1);
    marked = marked.substr(0, marked.find(')'));
    EXPECT_TRUE(absl::StrContains(intro, marked)) << language << ": " << intro;
  }
}

// A country code refused with the code meant ("not a country code in ISO 3166-1 (for the United
// Kingdom, GB)"), or as a place that is no country, was shown in English on every page: it is
// said in the page's language, beside the field.
TEST_F(ConsoleTest, ARefusedCountryCodeWithItsHintIsSaidInThePagesLanguage) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  for (const auto& [language, code] :
       std::vector<std::pair<std::string, std::string>>{{"sq", "UK"}, {"sr", "AQ"}}) {
    ASSERT_EQ(Post("/language", {{"lang", language}, {"back", "/records/new"}})->status, 303);
    const std::string rule = UnknownCountryCodeRule(code);
    fake_->create_status =
        absl::InvalidArgumentError(absl::StrCat("person.citizenships[0]: ", rule));
    const std::string body =
        PostAndFollow("/records/new", {{"surname", "Gashi"}, {"citizenship", code}})->body;
    EXPECT_TRUE(absl::StrContains(
        FieldGroup(body, "citizenship"),
        Escape(catalogs.Text(language, absl::StrCat("rule.country_unknown.", code)))))
        << language << body;
    EXPECT_FALSE(absl::StrContains(body, Escape(rule))) << language << body;
  }
}

// A court's search that the registry refuses for a field shows the problem beside that field's
// input, in the page's language when the catalogs know the rule.
TEST_F(ConsoleTest, ACourtsSearchShowsTheRegistrysProblemBesideTheFieldItNames) {
  StartSignedIn(v1::ROLE_COURT);
  ASSERT_EQ(Post("/language", {{"lang", "sr"}, {"back", "/search"}})->status, 303);
  const Catalogs& catalogs = Catalogs::Embedded();
  fake_->search_status =
      absl::InvalidArgumentError("name.birth_date: must be a real date YYYY-MM-DD from 1900-01-01");
  std::string body = PostAndFollow("/search", {{"case_ref", "PKR 77/2026"},
                                      {"purpose", "sentencing"},
                                      {"surname", "Krasniqi"},
                                      {"given-name", "Arben"},
                                      {"birth-date", "1990-02-30"}})
                         ->body;
  const std::string birth = FieldGroup(body, "birth-date");
  EXPECT_TRUE(absl::StrContains(birth, "id=\"birth-date-error\"")) << body;
  EXPECT_TRUE(absl::StrContains(birth, Escape(catalogs.Text("sr", "rule.real_date")))) << birth;
  EXPECT_TRUE(absl::StrContains(birth, "aria-invalid=\"true\""));
  EXPECT_FALSE(absl::StrContains(body, "id=\"surname-error\""));
  EXPECT_FALSE(absl::StrContains(body, "id=\"case_ref-error\""));

  fake_->search_status = absl::FailedPreconditionError("purpose.case_reference is required");
  body = PostAndFollow("/search", {{"case_ref", " "}, {"purpose", "sentencing"},
                          {"personal-number", "1234567890"}})
             ->body;
  const std::string case_ref = FieldGroup(body, "case_ref");
  EXPECT_TRUE(absl::StrContains(case_ref, "id=\"case_ref-error\"")) << body;
  EXPECT_TRUE(absl::StrContains(case_ref, Escape(catalogs.Text("sr", "rule.required")))) << case_ref;
  EXPECT_FALSE(absl::StrContains(body, "id=\"personal-number-error\""));
}

// A form's value that is not valid UTF-8 comes back in its input with each bad sequence as
// U+FFFD: the page stays valid UTF-8, and the form sends it back valid.
TEST_F(ConsoleTest, InvalidUtf8TypedIntoASearchComesBackAsTheReplacementCharacter) {
  StartSignedIn(v1::ROLE_CLERK);
  const std::string body =
      PostAndFollow("/search", {{"surname", "Ab\xC3(\xFF\xE2\x82"}, {"given-name", "Ćana"},
                                {"birth-date", "1990-01-01"}})
          ->body;
  EXPECT_TRUE(absl::StrContains(body, "value=\"Ab\xEF\xBF\xBD(\xEF\xBF\xBD\xEF\xBF\xBD\""))
      << body;
  EXPECT_TRUE(absl::StrContains(body, "value=\"Ćana\"")) << "valid UTF-8 is kept";
  // Escape() writes a U+FFFD for each invalid sequence and nothing else of the kind: the page
  // has none when escaping it adds no U+FFFD.
  const auto replacements = [](const std::string& text) {
    size_t count = 0;
    for (size_t at = text.find("\xEF\xBF\xBD"); at != std::string::npos;
         at = text.find("\xEF\xBF\xBD", at + 1)) {
      ++count;
    }
    return count;
  };
  EXPECT_EQ(replacements(Escape(body)), replacements(body)) << "the page is valid UTF-8";
}

// ---- a slow line, refusals in the session's language, the registry's fixed words ----

// Sends `head` at once and then `body` in pieces of `piece` bytes, one every 100 ms on a fixed
// schedule (so that a loaded machine makes it no slower), until all is sent or the console has
// answered or closed; returns what the console answered by the time it closed the connection.
std::string SendPaced(int port, const std::string& head, const std::string& body, size_t piece) {
  const int fd = ConnectToLoopback(port);
  std::string answer;
  bool closed = false;
  const auto take = [&](int flags) { closed = closed || !TakeAnswer(fd, flags, &answer); };
  bool sending = send(fd, head.data(), head.size(), MSG_NOSIGNAL) ==
                 static_cast<ssize_t>(head.size());
  const auto start = std::chrono::steady_clock::now();
  for (size_t at = 0, turn = 0; sending && at < body.size(); at += piece, ++turn) {
    std::this_thread::sleep_until(start + std::chrono::milliseconds(100 * turn));
    take(MSG_DONTWAIT);
    if (closed || !answer.empty()) break;
    const size_t n = std::min(piece, body.size() - at);
    sending = send(fd, body.data() + at, n, MSG_NOSIGNAL) == static_cast<ssize_t>(n);
  }
  timeval wait{20, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
  while (!closed) take(0);
  close(fd);
  return answer;
}

// An import request's head and multipart body around `file`, as a browser sends it.
std::pair<std::string, std::string> ImportRequest(int port, const std::string& cookie,
                                                  const std::string& csrf,
                                                  const std::string& file) {
  const std::string boundary = "paced";
  std::string body = absl::StrCat(
      "--", boundary, "\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n", csrf, "\r\n--",
      boundary,
      "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"records.csv\"\r\n"
      "Content-Type: text/csv\r\n\r\n",
      file, "\r\n--", boundary, "--\r\n");
  std::string head = absl::StrCat("POST /import HTTP/1.1\r\nHost: 127.0.0.1:", port,
                                  "\r\nCookie: ", cookie,
                                  "\r\nConnection: close\r\nContent-Type: multipart/form-data; "
                                  "boundary=",
                                  boundary, "\r\nContent-Length: ", body.size(), "\r\n\r\n");
  return {std::move(head), std::move(body)};
}

// A clerk on a court's poor line sent a CSV of 2.6 MB at 30 to 50 KB/s: the console wanted
// 64 KiB/s and answered 408 every time. It now wants 16 KiB/s on average after its grace; here,
// with the grace shortened to a second, 128 KiB sent at 32 KiB/s (past what 64 KiB/s allowed
// after two seconds) reaches the dry run whole.
TEST_F(ConsoleTest, AnImportSentAboveTheFloorButBelowSixtyFourKibASecondIsAccepted) {
  ConsoleOptions options = TrickleOptions();
  ASSERT_EQ(options.connection_limits.min_rate, ConnectionLimits{}.min_rate)
      << "the console's own rate is what is tried";
  const std::shared_ptr<FakeRegistry> fake = StartClerkConsole(options);
  SignIn();
  const std::string row =
      "Vokshi,Adem,,male,1970-01-01,,XK,1800000005,,basic-gjilan,P 1/2010,2009-12-01,"
      "2010-01-10,06/L-074:228:0,fine,0,,,false,,\n";
  std::string csv =
      "surname,given_name,father_name,sex,birth_date,birth_place,citizenships,personal_number,"
      "last_known_address,court_id,case_number,judgment_date,final_date,offences,sentence_type,"
      "sentence_months,bans,release_date,juvenile,foreign_court,foreign_country\n";
  while (csv.size() < (128u << 10)) csv += row;
  const auto [head, body] = ImportRequest(console_->port(), cookie_, csrf_, csv);
  // 32 KiB a second: 3,277 bytes every 100 ms.
  const std::string answer = SendPaced(console_->port(), head, body, (32u << 10) / 10);
  EXPECT_FALSE(absl::StartsWith(answer, "HTTP/1.1 408 ")) << answer.substr(0, 2000);
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 ")) << "the console answered";
  EXPECT_GT(fake->last_import.rows_size(), 0) << "the whole file reached the dry run";
}

// Below the floor an import is still refused, and the page says what the console needs and how
// to import on a slow line, with a link back to the import page: "open the page again and send
// it once more" failed the same way each time and led nowhere.
TEST_F(ConsoleTest, AnImportSentBelowTheFloorIsRefusedWithWhatIsNeededAndALinkBackToTheImport) {
  const std::shared_ptr<FakeRegistry> fake = StartClerkConsole(TrickleOptions());
  SignIn();
  const auto [head, body] =
      ImportRequest(console_->port(), cookie_, csrf_, std::string(200000, 'a'));
  // 4 KB a second, a quarter of the floor.
  const std::string answer = SendPaced(console_->port(), head, body, 400);
  ASSERT_TRUE(absl::StartsWith(answer, "HTTP/1.1 408 ")) << answer.substr(0, 2000);
  const Catalogs& catalogs = Catalogs::Embedded();
  EXPECT_TRUE(absl::StrContains(answer, Escape(catalogs.Text("sq", "refused.too_slow.help"))))
      << answer;
  EXPECT_TRUE(absl::StrContains(catalogs.Text("en", "refused.too_slow.help"), "16 KiB"));
  EXPECT_TRUE(absl::StrContains(answer, "<a href=\"/import\">")) << answer;
  EXPECT_TRUE(absl::StrContains(answer, Escape(catalogs.Text("sq", "refused.back_import"))))
      << answer;
  EXPECT_EQ(fake->calls, 0) << "nothing of the file reached the registry";
}

// An address over the HTTP library's limit (8 KiB) was answered 414 within milliseconds without a
// cookie; with a cookie jar, curl sent it with an empty Cookie header and no end of the head, and
// the console, which read the headers before answering 414, waited for the head's deadline (10 s)
// and answered 408, "the file arrived too slowly ... import it in smaller files", on a page with
// no file. It is 414 at once, whatever follows the address; a page's head that is too slow is
// told so without a word of files.
TEST_F(ConsoleTest, AnAddressTooLongIsRefusedAtOnceAndAPageTooSlowIsToldNothingOfAFile) {
  const std::shared_ptr<FakeRegistry> fake = StartClerkConsole(TrickleOptions());
  SignIn();
  const std::string host = absl::StrCat("Host: 127.0.0.1:", console_->port(), "\r\n");
  // The headers after the host: none, the session's cookie, an empty one, and an empty one with
  // no end of the head after it, as curl sent it with a cookie jar.
  for (const std::string& cookie :
       {std::string("\r\n"), absl::StrCat("Cookie: ", cookie_, "\r\n\r\n"),
        std::string("Cookie: \r\n\r\n"), std::string("Cookie: \r\n")}) {
    const std::string head = absl::StrCat("GET /records/", std::string(9000, 'a'),
                                          " HTTP/1.1\r\n", host, cookie);
    const int fd = ConnectToLoopback(console_->port());
    const auto start = std::chrono::steady_clock::now();
    ASSERT_EQ(send(fd, head.data(), head.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(head.size()));
    std::string answer;
    while (answer.find("</html>") == std::string::npos &&
           TakeAnswer(fd, MSG_DONTWAIT, &answer) &&
           std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const auto waited = std::chrono::steady_clock::now() - start;
    close(fd);
    EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 414 ")) << cookie << answer.substr(0, 600);
    EXPECT_LT(waited, std::chrono::milliseconds(500)) << cookie;
    EXPECT_TRUE(absl::StrContains(
        answer, Escape(Catalogs::Embedded().Text("en", "refused.uri_too_long.help"))))
        << answer;
  }
  // A page's head that never ends is still refused for its pace, but told nothing of a file.
  const int fd = ConnectToLoopback(console_->port());
  const std::string head = absl::StrCat("GET / HTTP/1.1\r\n", host, "Cookie: \r\n");
  ASSERT_EQ(send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  timeval wait{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
  std::string answer;
  while (TakeAnswer(fd, 0, &answer) && answer.find("</html>") == std::string::npos) {
  }
  close(fd);
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 408 ")) << answer.substr(0, 600);
  EXPECT_TRUE(absl::StrContains(
      answer, Escape(Catalogs::Embedded().Text("en", "refused.page_too_slow.help"))))
      << answer;
  EXPECT_FALSE(absl::StrContains(answer, "import")) << answer;
  EXPECT_EQ(fake->calls, 0);
}

// A refusal was always in Albanian with English beneath. With a session, it is in the session's
// language (with English beneath unless that is English); the page does not change the session.
TEST_F(ConsoleTest, ARefusalWithASerbianSessionIsInSerbian) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  // Without a session: Albanian, and English beneath.
  auto anonymous = client_->Get("/no/such/page");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_TRUE(absl::StrContains(anonymous->body, "<html lang=\"sq\""));
  EXPECT_TRUE(absl::StrContains(anonymous->body, Escape(catalogs.Text("en", "refused.no_session"))));

  ASSERT_EQ(Post("/language", {{"lang", "sr"}, {"back", "/"}})->status, 303);
  auto missing = Get("/no/such/page");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_TRUE(absl::StrContains(missing->body, "<html lang=\"sr-Latn\"")) << missing->body;
  EXPECT_TRUE(absl::StrContains(missing->body, Escape(catalogs.Text("sr", "refused.not_found"))))
      << missing->body;
  EXPECT_TRUE(absl::StrContains(missing->body, Escape(catalogs.Text("en", "refused.not_found"))))
      << missing->body;
  EXPECT_FALSE(absl::StrContains(missing->body, Escape(catalogs.Text("sq", "refused.not_found"))))
      << missing->body;
  EXPECT_TRUE(absl::StrContains(missing->body, "<a href=\"/\">")) << missing->body;
  // A refusal before the body is read (a POST with a query) likewise.
  auto queried = Post("/search?surname=X", {{"surname", "X"}});
  ASSERT_TRUE(queried);
  EXPECT_EQ(queried->status, 400);
  EXPECT_TRUE(absl::StrContains(queried->body, Escape(catalogs.Text("sr", "refused.bad_request"))))
      << queried->body;

  // In English: English alone.
  ASSERT_EQ(Post("/language", {{"lang", "en"}, {"back", "/"}})->status, 303);
  auto english = Get("/no/such/page");
  ASSERT_TRUE(english);
  EXPECT_TRUE(absl::StrContains(english->body, "<html lang=\"en\"")) << english->body;
  EXPECT_FALSE(absl::StrContains(english->body, Escape(catalogs.Text("sq", "refused.not_found"))))
      << english->body;
  EXPECT_FALSE(absl::StrContains(english->body, "<div lang=\"en\">")) << english->body;
  // The session is still the one it was, in its language.
  auto home = Get("/");
  ASSERT_TRUE(home);
  EXPECT_EQ(home->status, 200);
  EXPECT_TRUE(absl::StrContains(home->body, "<html lang=\"en\""));
}

// Version 1's reason is the registry's own word, "created": an Albanian or Serbian page said it
// in English. It is said in the page's language; a clerk's own reason stays as written.
TEST_F(ConsoleTest, TheHistoryOfACreatedRecordInAlbanianShowsTheTranslatedReasonNotCreated) {
  StartSignedIn(v1::ROLE_CLERK);
  v1::RecordVersion* created = fake_->history.add_versions();
  *created->mutable_record() = fake_->record;
  created->mutable_record()->mutable_metadata()->set_version(1);
  created->set_reason("created");
  v1::RecordVersion* amended = fake_->history.add_versions();
  *amended->mutable_record() = fake_->record;
  amended->mutable_record()->mutable_metadata()->set_version(2);
  amended->set_reason("court notice 12/2024");
  auto history = Get(absl::StrCat("/records/", kRecordId, "/history"));
  ASSERT_TRUE(history);
  EXPECT_EQ(history->status, 200) << history->body;
  const std::string word =
      Escape(Catalogs::Embedded().Text("sq", "record.history.reason.created"));
  EXPECT_TRUE(absl::StrContains(history->body, absl::StrCat("<q>", word, "</q>")))
      << history->body;
  EXPECT_FALSE(absl::StrContains(history->body, "<q>created</q>")) << history->body;
  EXPECT_TRUE(absl::StrContains(history->body, "<q>court notice 12/2024</q>")) << history->body;
}

// Each version of a history carries the dates it was written with; when another conviction of the
// person extends them, or the retention rules changed, the registry sends the dates in force and
// why. The page said nothing of them: it read as if the record left vetting on the newest
// version's date. They stand after the versions, with the reason; a history without them (the
// newest version's dates in force) says nothing of it.
TEST_F(ConsoleTest, AHistoryShowsTheDatesInForceWithTheirReasonAfterTheVersionsAndNoneWhenUnset) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  v1::RecordVersion* version = fake_->history.add_versions();
  *version->mutable_record() = fake_->record;
  version->mutable_record()->mutable_metadata()->set_version(1);
  version->mutable_record()->mutable_metadata()->set_employer_visible_until("2031-05-01");
  version->mutable_record()->mutable_metadata()->set_delete_after("2041-05-01");
  version->set_reason("created");
  const std::string path = absl::StrCat("/records/", kRecordId, "/history");
  const std::string paragraph = "<p id=\"dates-in-force\">";

  auto unset = Get(path);
  ASSERT_TRUE(unset);
  EXPECT_EQ(unset->status, 200) << unset->body;
  EXPECT_FALSE(absl::StrContains(unset->body, "dates-in-force")) << unset->body;
  for (const char* key : {"extended", "rules", "both", "other"}) {
    EXPECT_FALSE(absl::StrContains(
        unset->body,
        Escape(catalogs.Text("sq", absl::StrCat("record.history.dates_in_force.", key)))))
        << key << unset->body;
  }

  struct Case {
    bool extended;
    bool rules;
    const char* key;
  };
  for (const Case& c : {Case{true, false, "extended"}, Case{false, true, "rules"},
                        Case{true, true, "both"}, Case{false, false, "other"}}) {
    v1::DatesInForce* dates = fake_->history.mutable_dates_in_force();
    dates->set_employer_visible_until("2036-09-30");
    dates->set_delete_after("2046-09-30");
    dates->set_extended_by_another_conviction(c.extended);
    dates->set_retention_rules_changed(c.rules);
    auto page = Get(path);
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 200) << page->body;
    const std::string& body = page->body;
    const size_t at = body.find(paragraph);
    ASSERT_NE(at, std::string::npos) << c.key << body;
    EXPECT_GT(at, body.rfind("</section>")) << "after the versions: " << c.key;
    const std::string shown = body.substr(at, body.find("</p>", at) + 4 - at);
    EXPECT_TRUE(absl::StrContains(shown, "2036-09-30")) << shown;
    EXPECT_TRUE(absl::StrContains(shown, "2046-09-30")) << shown;
    const std::string why =
        Escape(catalogs.Text("sq", absl::StrCat("record.history.dates_in_force.", c.key)));
    EXPECT_TRUE(absl::StrContains(shown, absl::StrCat("(", why, ").</p>"))) << shown;
    // The version's own dates are not said to be in force, and are shown with the version.
    EXPECT_FALSE(absl::StrContains(shown, "2031-05-01")) << shown;
    const std::string versions = body.substr(0, at);
    EXPECT_TRUE(absl::StrContains(versions, "<td>2031-05-01</td>")) << versions;
    EXPECT_TRUE(absl::StrContains(versions, "<td>2041-05-01</td>")) << versions;
  }
}

// Each version of a history keeps the dates it was written with: the console's history showed
// none of them (they were left out with the rest of a version's bookkeeping), and a version that
// changed only its dates was said to change nothing. Each version shows its own, and a change of
// them is marked like any other.
TEST_F(ConsoleTest, AHistoryShowsEachVersionsOwnDatesAndMarksAChangeOfThem) {
  StartSignedIn(v1::ROLE_CLERK);
  for (const auto& [version, visible] : {std::pair<int, const char*>{1, "2031-05-01"},
                                         std::pair<int, const char*>{2, "2036-09-30"}}) {
    v1::RecordVersion* v = fake_->history.add_versions();
    *v->mutable_record() = fake_->record;
    v->mutable_record()->mutable_metadata()->set_version(version);
    v->mutable_record()->mutable_metadata()->set_employer_visible_until(visible);
    v->mutable_record()->mutable_metadata()->set_delete_after("2046-09-30");
    v->set_reason(version == 1 ? "created" : "re-dated");
  }
  auto page = Get(absl::StrCat("/records/", kRecordId, "/history"));
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200) << page->body;
  const size_t second = page->body.find("<section class=\"version\">",
                                        page->body.find("<section class=\"version\">") + 1);
  ASSERT_NE(second, std::string::npos) << page->body;
  const std::string first = page->body.substr(0, second);
  const std::string later = page->body.substr(second);
  EXPECT_TRUE(absl::StrContains(first, "<td>2031-05-01</td>")) << first;
  EXPECT_TRUE(absl::StrContains(first, "<td>2046-09-30</td>")) << first;
  EXPECT_TRUE(absl::StrContains(later, "2031-05-01</del>")) << later;
  EXPECT_TRUE(absl::StrContains(later, "2036-09-30</ins>")) << later;
  EXPECT_TRUE(absl::StrContains(later, "<td>2046-09-30</td>")) << later;
  const std::string changed_row = absl::StrCat(
      "<tr class=\"changed\"><th scope=\"row\">",
      Escape(Catalogs::Embedded().Text("sq", "record.visible_until")));
  EXPECT_TRUE(absl::StrContains(later, changed_row)) << later;
  EXPECT_FALSE(absl::StrContains(first, "class=\"changed\"")) << first;
}


// A search with a personal number and names was answered by the number alone, the names still
// filled in and nothing saying they were not used. Two ways of asking at once are refused beside
// the fields typed, in the session's language, what was typed kept, and the registry not asked;
// the clerk's search is the court's.
TEST_F(ConsoleTest, ASearchWithAPersonalNumberAndNamesIsRefusedBesideTheFieldsNotHalfUsed) {
  const Catalogs& catalogs = Catalogs::Embedded();
  for (const v1::Role role : {v1::ROLE_COURT, v1::ROLE_CLERK}) {
    Start(role);
    SignIn();
    ASSERT_EQ(Post("/language", {{"lang", "sr"}, {"back", "/search"}})->status, 303);
    const int before = fake_->calls;
    auto refused = PostAndFollow("/search", {{"case_ref", "PKR 77/2026"},
                                             {"purpose", "sentencing"},
                                             {"personal-number", "1000000789"},
                                             {"surname", "Gashi"},
                                             {"given-name", "X"},
                                             {"birth-date", "1980-01-01"}});
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400) << refused->body;
    EXPECT_EQ(fake_->calls, before) << "nothing is sent to the registry";
    const std::string& body = refused->body;
    EXPECT_TRUE(absl::StrContains(body, Escape(catalogs.Text("sr", "search.both_ways")))) << body;
    const std::string field = Escape(catalogs.Text("sr", "search.both_ways.field"));
    for (const char* input : {"personal-number", "surname", "given-name", "birth-date"}) {
      const std::string group = FieldGroup(body, input);
      EXPECT_TRUE(absl::StrContains(group, absl::StrCat("id=\"", input, "-error\""))) << input;
      EXPECT_TRUE(absl::StrContains(group, field)) << group;
    }
    for (const char* typed : {"1000000789", "Gashi", "1980-01-01"}) {
      EXPECT_TRUE(absl::StrContains(body, absl::StrCat("value=\"", typed, "\""))) << typed;
    }
    EXPECT_FALSE(absl::StrContains(body, "id=\"results\"")) << body;
    // One way alone still asks the registry.
    auto by_number = Post("/search", {{"case_ref", "PKR 77/2026"},
                                      {"purpose", "sentencing"},
                                      {"personal-number", "1000000789"}});
    ASSERT_TRUE(by_number);
    EXPECT_EQ(by_number->status, 303) << by_number->body;
    EXPECT_EQ(fake_->calls, before + 1);
    console_->Stop();
    console_.reset();
  }
}

std::string ImportCsvHeader() {
  return "surname,given_name,father_name,sex,birth_date,birth_place,citizenships,personal_number,"
         "last_known_address,court_id,case_number,judgment_date,final_date,offences,sentence_type,"
         "sentence_months,bans,release_date,juvenile,foreign_court,foreign_country\n";
}

// An import row of `person` (a personal number), living at `address`.
std::string ImportCsvRow(int person, const std::string& address = "",
                         const std::string& given = "Arta") {
  return absl::StrCat("Gashi,", given, ",,female,1980-01-01,,XK,", 1900000000 + person, ",",
                      address, ",basic-gjilan,P ", 100 + person,
                      "/2015,2015-01-01,2015-02-01,06/L-074:228:0,fine,0,,,false,,\n");
}

// One row saved as Windows-1250 ("Arbër" with ë as one byte) failed the whole check with the
// registry's refusal naming no line, and a row of 3 MB with RESOURCE_EXHAUSTED said as "too many
// requests". Both are listed by line, as registry-cli lists them, and the good rows are checked.
TEST_F(ConsoleTest, ADryRunListsARowNotInUtf8AndATooLargeOneAndChecksTheOthers) {
  StartSignedIn(v1::ROLE_CLERK);
  ASSERT_EQ(Post("/language", {{"lang", "en"}, {"back", "/import"}})->status, 303);
  const std::string csv =
      absl::StrCat(ImportCsvHeader(), ImportCsvRow(1), ImportCsvRow(2, "", "Arb\xebr"),
                   ImportCsvRow(3, std::string(3 << 20, 'a')), ImportCsvRow(4));
  v1::ImportRecordsResponse verdict;
  for (const uint64_t line : {2, 5}) {
    v1::ImportRowResult* result = verdict.add_results();
    result->set_line(line);
    result->set_outcome(v1::ImportRowResult::OUTCOME_VALID);
  }
  fake_->import_response = verdict;
  auto checked = PostImportFile(csv);
  ASSERT_TRUE(checked);
  EXPECT_EQ(checked->status, 200) << checked->body.substr(0, 4000);
  // The first request is the dry run of the rows that can be sent; the registry then checks the
  // rest of the row not in UTF-8 (ImportCheckRequests).
  ASSERT_GE(fake_->imports.size(), 1u);
  ASSERT_EQ(fake_->imports[0].rows_size(), 2);
  for (const v1::ImportRow& row : fake_->imports[0].rows()) {
    EXPECT_TRUE(row.line() == 2 || row.line() == 5) << row.line();
  }
  const std::string& body = checked->body;
  EXPECT_TRUE(absl::StrContains(
      body, "<td class=\"nowrap\">3</td><td><span lang=\"en\">given_name: not valid UTF-8 "
            "(save the file as UTF-8)</span></td>"))
      << body;
  EXPECT_TRUE(absl::StrContains(body, "<td class=\"nowrap\">4</td><td><span lang=\"en\">row of "))
      << body;
  EXPECT_TRUE(absl::StrContains(body, "more than any valid record (256 KiB)")) << body;
  EXPECT_TRUE(absl::StrContains(body, "2 valid rows, 0 already registered, 2 invalid")) << body;
  fake_->import_response.reset();
}

// Rows of up to 256 KiB each went to the registry 100 at a time, in one message of many MiB past
// the channel's limit: a batch ends before its rows reach 4 MiB, as registry-cli's do.
TEST_F(ConsoleTest, ADryRunOfLargeRowsIsSentInBatchesTheChannelTakes) {
  StartSignedIn(v1::ROLE_CLERK);
  std::string csv = ImportCsvHeader();
  constexpr int kRows = 40;
  for (int i = 0; i < kRows; ++i) {
    absl::StrAppend(&csv, ImportCsvRow(i, std::string(200 << 10, 'a')));
  }
  EveryLineValid(2, 1 + kRows);
  const int before = fake_->calls;
  auto checked = PostImportFile(csv);
  ASSERT_TRUE(checked);
  EXPECT_EQ(checked->status, 200);
  EXPECT_GE(fake_->calls - before, 2) << "8 MiB of rows cannot go in one message";
  EXPECT_LE(fake_->last_import.ByteSizeLong(), size_t{4} << 20);
  fake_->import_response.reset();
}

// A request past the channel's limit (gRPC's RESOURCE_EXHAUSTED "... message larger than max")
// was said to be "too many requests: try again later", which trying again would not help.
TEST_F(ConsoleTest, AMessageTooLargeForTheChannelIsNotSaidToBeTooManyRequests) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  fake_->import_response.reset();
  // The fake answers with what a channel says of a message over its limit.
  fake_->import_status =
      absl::ResourceExhaustedError("Received message larger than max (9000000 vs. 8388608)");
  auto checked = PostImportFile(absl::StrCat(ImportCsvHeader(), ImportCsvRow(1)));
  ASSERT_TRUE(checked);
  EXPECT_FALSE(absl::StrContains(checked->body,
                                 Escape(catalogs.Text("sq", "status.RESOURCE_EXHAUSTED"))))
      << checked->body;
  EXPECT_TRUE(absl::StrContains(checked->body, Escape(catalogs.Text("sq", "status.too_large"))))
      << checked->body;
}

// A vetting check refused for the daily limit on checks of one name was said to be "too many
// requests: try again later", and the limit's own words stayed English on an Albanian page:
// each of the two daily limits on one person is said in the page's language, and which it is.
TEST_F(ConsoleTest, ADailyLimitOnChecksOfOnePersonIsSaidInThePagesLanguageAndWhichLimitItIs) {
  StartSignedIn(v1::ROLE_VETTING);
  const Catalogs& catalogs = Catalogs::Embedded();
  const std::vector<std::pair<std::string, std::string>> refusals = {
      {absl::StrCat(registry::kNameLimitReached, " of 20 checks of one surname and given name, "
                    "whoever the candidates are, is reached"),
       "status.name_limit"},
      {absl::StrCat(registry::kNumberLimitReached, " is reached"), "status.number_limit"},
      {"too many calls", "status.RESOURCE_EXHAUSTED"}};
  for (const auto& [message, key] : refusals) {
    fake_->vetting_status = absl::ResourceExhaustedError(message);
    const std::string body =
        PostAndFollow("/vetting", {{"surname", "Hoxha"}, {"consent_ref", "C 1"}})->body;
    EXPECT_TRUE(absl::StrContains(body, Escape(catalogs.Text("sq", key)))) << key << body;
    for (const char* other : {"status.name_limit", "status.number_limit",
                              "status.RESOURCE_EXHAUSTED"}) {
      if (other != key) {
        EXPECT_FALSE(absl::StrContains(body, Escape(catalogs.Text("sq", other)))) << key;
      }
    }
  }
}

// The registry's problems with a CSV row were named by proto paths ("person.personal_number:")
// where registry-cli names the columns, and stayed English on an Albanian page although the
// record form says the same rules in Albanian. Columns as the CLI names them; the rules the form
// translates, translated; only what is not is marked English.
TEST_F(ConsoleTest, AnImportsProblemsNameTheColumnsAndAreTranslatedWhereTheFormIs) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  v1::ImportRecordsResponse verdict;
  v1::ImportRowResult* result = verdict.add_results();
  result->set_line(2);
  result->set_outcome(v1::ImportRowResult::OUTCOME_INVALID);
  result->set_error(
      "person.personal_number: does not match the personal number format (10 digits); "
      "conviction.case_number: 1..64 letters, digits, spaces or /-.:; "
      "conviction.court_id: an untranslated rule");
  fake_->import_response = verdict;
  auto checked = PostImportFile(absl::StrCat(ImportCsvHeader(), ImportCsvRow(1)));
  ASSERT_TRUE(checked);
  const std::string& body = checked->body;
  EXPECT_FALSE(absl::StrContains(body, "person.personal_number")) << body;
  EXPECT_FALSE(absl::StrContains(body, "conviction.")) << body;
  EXPECT_FALSE(absl::StrContains(body, "<td lang=\"en\">")) << body;
  EXPECT_FALSE(absl::StrContains(body, "does not match")) << body;
  EXPECT_TRUE(absl::StrContains(body, "<li>personal_number: ")) << body;
  EXPECT_TRUE(absl::StrContains(
      body, absl::StrCat("case_number: ", Escape(catalogs.Text("sq", "rule.case_number")))))
      << body;
  EXPECT_TRUE(absl::StrContains(body, "<span lang=\"en\">court_id: an untranslated rule</span>"))
      << body;
  // The table of bad lines scrolls in its own box, its line numbers whole.
  EXPECT_TRUE(absl::StrContains(
      body, "<div class=\"table-scroll\"><table class=\"results\" id=\"bad-lines\">"))
      << body;
  EXPECT_TRUE(absl::StrContains(body, "<tr><td class=\"nowrap\">2</td>")) << body;
  fake_->import_response.reset();
}

// What the console itself does not hold (a task, a checked file, an audit event) was titled "The
// registry refused": the registry refused nothing. It has a title of its own, in every language.
TEST_F(ConsoleTest, WhatTheConsoleDoesNotHoldIsNotTitledAsTheRegistrysRefusal) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  for (const char* language : {"sq", "sr", "en"}) {
    ASSERT_EQ(Post("/language", {{"lang", language}, {"back", "/"}})->status, 303);
    auto job = Get(absl::StrCat("/jobs/", kRecordId));
    auto upload = Post("/import/run", {{"upload", kRecordId}});
    for (const httplib::Result* page : {&job, &upload}) {
      ASSERT_TRUE(*page);
      EXPECT_EQ((*page)->status, 404);
      const std::string& body = (*page)->body;
      EXPECT_FALSE(absl::StrContains(body, Escape(catalogs.Text(language, "error.title"))))
          << body;
      EXPECT_TRUE(absl::StrContains(
          body, absl::StrCat("<h1>", Escape(catalogs.Text(language, "error.local_not_found")))))
          << body;
    }
  }
}

// An event past the log's end was titled "The registry refused" with its INVALID_ARGUMENT
// "start_index/end_index: outside the log", and an index past any the log can hold "the registry
// said: event index", though the console had not asked it. Both are an event not found.
TEST_F(ConsoleTest, AnAuditEventPastTheLogsEndIsNotFoundNotARefusal) {
  StartSignedIn(v1::ROLE_AUDITOR);
  const Catalogs& catalogs = Catalogs::Embedded();
  fake_->stream_status = absl::InvalidArgumentError("start_index/end_index: outside the log");
  const int calls = fake_->calls;
  for (const std::string index : {"5000", "18446744073709551615", "18446744073709551616"}) {
    auto page = Get(absl::StrCat("/audit/events/", index));
    ASSERT_TRUE(page) << index;
    EXPECT_EQ(page->status, 404) << index;
    const std::string& body = page->body;
    EXPECT_TRUE(absl::StrContains(
        body, absl::StrCat("<h1>", Escape(catalogs.Text("sq", "error.local_not_found")))))
        << body;
    EXPECT_TRUE(absl::StrContains(body, Escape(catalogs.Text("sq", "audit.no_event")))) << body;
    EXPECT_FALSE(absl::StrContains(body, Escape(catalogs.Text("sq", "error.title")))) << body;
    EXPECT_FALSE(absl::StrContains(body, Escape(catalogs.Text("sq", "error.server_said"))))
        << body;
    EXPECT_FALSE(absl::StrContains(body, "outside the log")) << body;
    EXPECT_FALSE(absl::StrContains(body, "event index")) << body;
  }
  EXPECT_EQ(fake_->calls, calls + 1) << "only 5000 could be an event of the log";
  // Any other refusal is still the registry's.
  fake_->stream_status = absl::PermissionDeniedError("not an auditor");
  auto refused = Get("/audit/events/5");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_TRUE(absl::StrContains(refused->body, Escape(catalogs.Text("sq", "error.title"))));
}

// An expunging was answered by a page of its own: a reload sent the form again, and the registry,
// asked for the record first, answered NOT_FOUND (an audited read). It is answered by a redirect
// home, as a creation, a correction and a dispute are by one to the record: the notice there
// says what was done, and a reload of it asks the registry nothing.
TEST_F(ConsoleTest, AnExpungingIsAnsweredByARedirectAndAReloadAsksTheRegistryNothing) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  fake_->expunge_status = absl::OkStatus();
  const std::string record = absl::StrCat("/records/", kRecordId);
  auto expunged = Post(record + "/expunge", {{"legal_basis", "KP 103"}, {"confirm", "P 1/2024"}});
  ASSERT_TRUE(expunged);
  EXPECT_EQ(expunged->status, 303) << expunged->body;
  EXPECT_EQ(fake_->changes, 1);
  const std::string location = expunged->get_header_value("Location");
  EXPECT_EQ(location, absl::StrCat("/?done=expunged&record_id=", kRecordId));
  const int calls = fake_->calls;
  for (int reload = 0; reload < 2; ++reload) {
    auto home = Get(location);
    ASSERT_TRUE(home);
    EXPECT_EQ(home->status, 200);
    EXPECT_TRUE(absl::StrContains(
        home->body, FormatEscaped("sq", catalogs.Text("sq", "record.expunged.text"),
                                  {{"id", kRecordId}})))
        << home->body;
  }
  EXPECT_EQ(fake_->calls, calls) << "a reload of the notice asked the registry";
  EXPECT_EQ(fake_->changes, 1);
  // An address that names no record id, or a record this session did not expunge (a link made
  // up elsewhere, which said a live record was expunged): no notice, nothing of the address.
  for (const std::string& made_up :
       {std::string("/?done=expunged&record_id=%3Cb%3Ex"),
        std::string("/?done=expunged&record_id=87c3d67c33376237068b615cff15e473"),
        std::string("/?done=expunged")}) {
    auto other = Get(made_up);
    ASSERT_TRUE(other);
    EXPECT_FALSE(absl::StrContains(other->body, "id=\"expunged\"")) << made_up;
    EXPECT_FALSE(absl::StrContains(other->body, "&lt;b&gt;x")) << other->body;
    EXPECT_FALSE(absl::StrContains(
        other->body, FormatEscaped("sq", catalogs.Text("sq", "record.expunged.text"),
                                   {{"id", "87c3d67c33376237068b615cff15e473"}})))
        << made_up;
  }
  EXPECT_FALSE(absl::StrContains(Get("/")->body, "id=\"expunged\""));
}

// On the record form, a ban's end date typed beside its unticked box, or a paragraph beside an
// unticked offence, was dropped and the record saved without it. The form is refused, nothing is
// saved, and it comes back as typed with the error beside the field; the correction form alike.
TEST_F(ConsoleTest, ADateOrAParagraphBesideAnUntickedBoxRefusesTheFormKeptAsTyped) {
  Start(v1::ROLE_CLERK);
  v1::OffenceEntry* entry = fake_->reference.add_offences();
  entry->set_law("06/L-074");
  entry->set_article(230);
  entry->set_title("Rape");
  entry->set_confirmed(true);
  SignIn();
  const Catalogs& catalogs = Catalogs::Embedded();
  const std::string name = ParagraphInputName("06/L-074:230:0");

  auto ban = PostAndFollow("/records/new",
                           {{"surname", "Krasniqi"}, {"ban-profession-end", "2030-01-01"}});
  ASSERT_TRUE(ban);
  EXPECT_EQ(ban->status, 400);
  EXPECT_EQ(fake_->changes, 0) << "the record was saved";
  const std::string end = FieldGroup(ban->body, "ban-profession-end");
  EXPECT_TRUE(absl::StrContains(end, "id=\"ban-profession-end-error\"")) << end;
  EXPECT_TRUE(absl::StrContains(end, Escape(catalogs.Text("sq", "form.ban_unticked")))) << end;
  EXPECT_TRUE(absl::StrContains(end, "value=\"2030-01-01\"")) << end;
  EXPECT_TRUE(absl::StrContains(end, "aria-invalid=\"true\"")) << end;
  EXPECT_FALSE(absl::StrContains(FieldGroup(ban->body, "ban-profession"), " checked"));
  EXPECT_TRUE(absl::StrContains(ban->body, "<a href=\"#ban-profession-end\">"));

  auto paragraph = PostAndFollow("/records/new", {{"surname", "Krasniqi"}, {name, "1"}});
  ASSERT_TRUE(paragraph);
  EXPECT_EQ(paragraph->status, 400);
  EXPECT_EQ(fake_->changes, 0) << "the record was saved";
  EXPECT_TRUE(absl::StrContains(
      paragraph->body,
      absl::StrCat("<p class=\"field-error\" id=\"offence-error\"><span class=\"vh\">",
                   Escape(catalogs.Text("sq", "form.error_prefix")), " </span>",
                   FormatEscaped("sq", catalogs.Text("sq", "form.paragraph_unticked"),
                                 {{"law", "06/L-074"}, {"article", "230"}}),
                   "</p>")))
      << paragraph->body;
  EXPECT_TRUE(absl::StrContains(
      paragraph->body,
      absl::StrCat("name=\"", Escape(name), "\" value=\"1\" inputmode=\"numeric\" "
                   "autocomplete=\"off\" class=\"short\" aria-describedby=\""
                   "offence-paragraph-hint offence-error\" aria-invalid=\"true\">")))
      << paragraph->body;
  EXPECT_FALSE(absl::StrContains(paragraph->body, "value=\"06/L-074:230:0\" checked"));

  const std::string amend = absl::StrCat("/records/", kRecordId, "/amend");
  for (const auto& [field, value] : std::vector<std::pair<std::string, std::string>>{
           {"ban-work_with_children-end", "2031-02-03"}, {name, "2"}}) {
    auto corrected = PostAndFollow(amend, {{"reason", "court notice 12/2024"}, {"version", "1"},
                                           {"surname", "Krasniqi"}, {field, value}});
    ASSERT_TRUE(corrected);
    EXPECT_EQ(corrected->status, 400) << field;
    EXPECT_TRUE(absl::StrContains(corrected->body, absl::StrCat("value=\"", value, "\"")))
        << field;
  }
  EXPECT_EQ(fake_->changes, 0) << "a correction was sent";
}

// A ban ticked with its end date left empty was saved as a ban for life. The form offers "for
// life" beside each ban's end date, and refuses a ban with neither, beside that ban's end date;
// life imprisonment is a sentence of the form.
TEST_F(ConsoleTest, ABanNeedsAnEndOrForLifeChosenAndLifeImprisonmentIsOffered) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  const std::string form = Get("/records/new")->body;
  EXPECT_TRUE(absl::StrContains(form, "value=\"life_imprisonment\"")) << form;
  EXPECT_TRUE(absl::StrContains(form, Escape(catalogs.Text("sq", "sentence.life_imprisonment"))));
  const std::string life = FieldGroup(form, "ban-work_with_children-life");
  EXPECT_TRUE(absl::StrContains(life, "type=\"checkbox\"")) << life;
  EXPECT_TRUE(absl::StrContains(life, Escape(catalogs.Text("sq", "field.ban-life")))) << life;

  auto ban = PostAndFollow("/records/new", {{"surname", "Krasniqi"}, {"ban-profession", "on"}});
  ASSERT_TRUE(ban);
  EXPECT_EQ(ban->status, 400);
  EXPECT_EQ(fake_->changes, 0) << "the record was saved";
  const std::string end = FieldGroup(ban->body, "ban-profession-end");
  EXPECT_TRUE(absl::StrContains(end, "id=\"ban-profession-end-error\"")) << end;
  EXPECT_TRUE(absl::StrContains(end, Escape(catalogs.Text("sq", "form.ban_end_or_life"))))
      << end;
  EXPECT_TRUE(absl::StrContains(ban->body, "<a href=\"#ban-profession-end\">"));
}

// Chrome keeps pages in its back/forward cache despite "Cache-Control: no-store" and restored a
// record's page, name and personal number included, after the record was expunged (its dispute
// form still working), until a cookie changed. The script fetches a restored page again by its
// address, and every change the console answers sets an HttpOnly cookie anew, which keeps Chrome
// from restoring the pages shown before it (even without the script). What a browser does with
// them is not tested here; what the console sends for it is.
TEST_F(ConsoleTest, AChangeMakesThePagesShownBeforeItUnfitForTheBackForwardCache) {
  Start(v1::ROLE_CLERK);
  auto script = client_->Get("/assets/console.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 200);
  for (const char* part : {"window.addEventListener(\"pageshow\"", "event.persisted",
                           "window.location.replace(window.location.pathname + "
                           "window.location.search)"}) {
    EXPECT_TRUE(absl::StrContains(script->body, part)) << part;
  }
  SignIn();
  const std::string record = absl::StrCat("/records/", kRecordId);
  // Every page loads the script; reading a page changes no cookie.
  for (const std::string& path : {std::string("/"), std::string("/records/new"), record,
                                  record + "/expunge", record + "/amend"}) {
    auto page = Get(path);
    ASSERT_TRUE(page) << path;
    EXPECT_TRUE(absl::StrContains(page->body, "<script src=\"/assets/console.js\" defer>"))
        << path;
    EXPECT_FALSE(page->has_header("Set-Cookie")) << path;
  }
  const std::string changed = absl::StrCat(console_->cookie_name(), "-changed=");
  std::set<std::string> values;
  const auto expect_changed = [&](const httplib::Result& response, const std::string& where) {
    ASSERT_TRUE(response) << where;
    EXPECT_EQ(response->status, 303) << where << ": " << response->body;
    const std::string cookie = response->get_header_value("Set-Cookie");
    ASSERT_TRUE(absl::StartsWith(cookie, changed)) << where << ": " << cookie;
    const std::string value = cookie.substr(changed.size(), cookie.find(';') - changed.size());
    EXPECT_EQ(value.size(), 32u) << where << ": " << cookie;
    EXPECT_TRUE(values.insert(value).second) << where << ": the same value again";
    for (const char* flag : {"; Path=/", "; HttpOnly", "; SameSite=Strict"}) {
      EXPECT_TRUE(absl::StrContains(cookie, flag)) << where << ": " << cookie;
    }
    EXPECT_FALSE(absl::StrContains(cookie, "Max-Age")) << where;
  };
  expect_changed(Post("/records/new", {{"surname", "Krasniqi"}}), "created");
  expect_changed(Post("/language", {{"lang", "en"}, {"back", record}}), "language");
  fake_->expunge_status = absl::OkStatus();
  expect_changed(Post(record + "/expunge", {{"legal_basis", "KP 103"}, {"confirm", "P 1/2024"}}),
                 "expunged");
  // A refused form changed nothing: its page, which the POST redirects to, sets no cookie.
  auto refused = PostAndFollow("/records/new", {{"ban-profession-end", "2030-01-01"}});
  EXPECT_EQ(refused->status, 400);
  EXPECT_FALSE(refused->has_header("Set-Cookie"));
  // Signing out drops it, with the session's cookie.
  auto out = Post("/signout", {});
  ASSERT_TRUE(out);
  ASSERT_EQ(out->get_header_value_count("Set-Cookie"), 2u);
  std::set<std::string> names;
  for (size_t i = 0; i < 2; ++i) {
    const std::string cookie = out->get_header_value("Set-Cookie", i);
    EXPECT_TRUE(absl::StrContains(cookie, "; Max-Age=0")) << cookie;
    names.insert(cookie.substr(0, cookie.find('=')));
  }
  EXPECT_EQ(names, (std::set<std::string>{console_->cookie_name(),
                                          absl::StrCat(console_->cookie_name(), "-changed")}));
}

// Opening the start address again (a second tab) starts a new session, whose cookie replaces the
// first one's in the browser: a form of the first tab then carried a token of no session its
// cookie named, and was refused as "not sent from this console's own page", its content lost. It
// is refused as a form of an earlier session, and what it held comes back in a form of the new
// session that shows it again; a token this console never gave is still refused as another
// site's form, and the registry is asked nothing either way.
TEST_F(ConsoleTest, AFormOfAnEarlierSessionIsRefusedAsSuchAndWhatItHeldIsKept) {
  Start(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  SignIn();
  const std::string first_csrf = csrf_;
  SignIn();  // the start address again: the browser now holds the second session's cookie
  const std::string second_csrf = csrf_;
  const std::string earlier = Escape(catalogs.Text("sq", "refused.earlier_session.help"));
  const std::string not_ours = Escape(catalogs.Text("sq", "refused.csrf.help"));

  auto refused = Post("/records/new", {{"csrf", first_csrf}, {"surname", "Krasniqi"},
                                       {"given-name", "Arben"}},
                      /*with_csrf=*/false);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_TRUE(absl::StrContains(refused->body, earlier)) << refused->body;
  EXPECT_FALSE(absl::StrContains(refused->body, not_ours));
  EXPECT_FALSE(absl::StrContains(refused->body, first_csrf)) << "the earlier token is not shown";
  // The form that shows it again: the new session's token, the fields, back to the form's page.
  const size_t form =
      refused->body.find("<form method=\"post\" action=\"/language\" id=\"keep-form\" "
                         "autocomplete=\"off\">");
  ASSERT_NE(form, std::string::npos) << refused->body;
  const std::string keep = refused->body.substr(form, refused->body.find("</form>", form) - form);
  for (const std::string& part :
       {absl::StrCat("name=\"csrf\" value=\"", second_csrf, "\""),
        std::string("name=\"back\" value=\"/records/new\""),
        std::string("name=\"keep.surname\" value=\"Krasniqi\""),
        std::string("name=\"keep.given-name\" value=\"Arben\"")}) {
    EXPECT_TRUE(absl::StrContains(keep, part)) << part << "\n" << keep;
  }
  auto shown = Post("/language", {{"lang", "sq"}, {"back", "/records/new"},
                                  {"keep.surname", "Krasniqi"}, {"keep.given-name", "Arben"}});
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->status, 200);
  EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "surname"), "value=\"Krasniqi\""));
  EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "given-name"), "value=\"Arben\""));

  // A token the console never gave: another site's form, as before.
  auto forged = Post("/records/new", {{"csrf", std::string(64, 'f')}, {"surname", "X"}},
                     /*with_csrf=*/false);
  EXPECT_EQ(forged->status, 403);
  EXPECT_TRUE(absl::StrContains(forged->body, not_ours));
  EXPECT_FALSE(absl::StrContains(forged->body, earlier));
  EXPECT_FALSE(absl::StrContains(forged->body, "keep.surname"));
  EXPECT_EQ(fake_->calls, 0) << "a refused form reached the registry";

  // The second session signed out and a third started: the second's token is of an ended
  // session, and its cookie, kept by a browser, is told that its session ended.
  EXPECT_EQ(Post("/signout", {})->status, 303);
  auto ended = Get("/");
  EXPECT_EQ(ended->status, 401);
  EXPECT_TRUE(absl::StrContains(ended->body,
                                Escape(catalogs.Text("sq", "refused.session_ended.help"))));
  SignIn();
  auto after = Post(absl::StrCat("/records/", kRecordId, "/dispute"),
                    {{"csrf", second_csrf}, {"reason", "court notice 12/2024"}},
                    /*with_csrf=*/false);
  EXPECT_EQ(after->status, 403);
  EXPECT_TRUE(absl::StrContains(after->body, earlier));
  EXPECT_TRUE(absl::StrContains(after->body, absl::StrCat("name=\"back\" value=\"/records/",
                                                          kRecordId, "\"")));
  EXPECT_EQ(fake_->changes, 0);

  // Signing out from a page of the earlier session signs the browser's session out.
  auto out = Post("/signout", {{"csrf", first_csrf}}, /*with_csrf=*/false);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 303);
  EXPECT_EQ(Get("/")->status, 401);
}

// "Who checked me" showed the registry's refusal of a request reference or a personal number in
// a box, in English, beside no field. Each problem stands beside the input it names, in the
// page's language where the catalogs know the rule, as the search and the vetting check show
// theirs; the box says the refusal and takes the focus.
TEST_F(ConsoleTest, ADataSubjectRequestShowsTheRegistrysProblemsBesideTheirFieldsTranslated) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  ASSERT_EQ(Post("/language", {{"lang", "sr"}, {"back", "/subject"}})->status, 303);
  fake_->checks_status = absl::InvalidArgumentError(
      absl::StrCat("personal_number: does not match the personal number format (10 digits); "
                   "request_reference: ",
                   kReferenceRule));
  auto refused =
      PostAndFollow("/subject", {{"personal-number", "12"}, {"request_ref", "ZLP 12/2026"}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  const std::string number = FieldGroup(refused->body, "personal-number");
  EXPECT_TRUE(absl::StrContains(number, "id=\"personal-number-error\"")) << refused->body;
  EXPECT_TRUE(absl::StrContains(number, "aria-invalid=\"true\"")) << number;
  EXPECT_FALSE(absl::StrContains(number, "does not match")) << number;
  const std::string reference = FieldGroup(refused->body, "request_ref");
  EXPECT_TRUE(absl::StrContains(reference, Escape(catalogs.Text("sr", "rule.reference"))))
      << reference;
  EXPECT_TRUE(absl::StrContains(reference, "value=\"ZLP 12/2026\"")) << reference;
  EXPECT_TRUE(absl::StrContains(refused->body, "role=\"alert\" tabindex=\"-1\" autofocus"));
  // A missing reference, as the registry's gate says it, is the reference's too.
  fake_->checks_status = absl::FailedPreconditionError("request_reference is required");
  auto missing =
      PostAndFollow("/subject", {{"personal-number", "1234567890"}, {"request_ref", ""}});
  EXPECT_TRUE(absl::StrContains(FieldGroup(missing->body, "request_ref"),
                                Escape(catalogs.Text("sr", "rule.required"))))
      << missing->body;
}

// The auditor's events were refused with the registry's problem with a filter field (a time
// range the wrong way round) in a box only; it stands beside that field as well.
TEST_F(ConsoleTest, TheAuditFilterShowsTheRegistrysProblemBesideTheFieldItNames) {
  StartSignedIn(v1::ROLE_AUDITOR);
  fake_->audit_status =
      absl::InvalidArgumentError("filter.from_time: must be before filter.to_time");
  auto refused = Get("/audit?from=2026-02-01&to=2026-01-01");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  const std::string from = FieldGroup(refused->body, "from");
  EXPECT_TRUE(absl::StrContains(from, "id=\"from-error\"")) << refused->body;
  EXPECT_TRUE(absl::StrContains(from, "must be before")) << from;
  EXPECT_FALSE(absl::StrContains(FieldGroup(refused->body, "to"), "id=\"to-error\""));
}

// Going back from a record to a search's results asked the browser to send the search's form
// again ("Confirm Form Resubmission"), which repeated an audited search in the official's name.
// The search's POST is answered by a redirect to a page of its own, whose address is a random id
// of the session's: it shows the results again, as often as the official goes back to them,
// asking the registry nothing; another session cannot open it, and nothing typed is in its
// address.
TEST_F(ConsoleTest, BackFromARecordTheSearchsResultsAreShownAgainWithoutSearchingAgain) {
  for (const v1::Role role : {v1::ROLE_CLERK, v1::ROLE_COURT}) {
    Start(role);
    SignIn();
    fake_->search.add_records()->CopyFrom(fake_->record);
    const std::string number = "1234567890";
    httplib::Params fields = {{"personal-number", number}};
    if (role == v1::ROLE_COURT) {
      fields.emplace("case_ref", "PKR 77/2026");
      fields.emplace("purpose", "sentencing");
    }
    const int before = fake_->calls;
    auto searched = Post("/search", fields);
    ASSERT_TRUE(searched);
    EXPECT_EQ(searched->status, 303) << searched->body;
    EXPECT_EQ(fake_->calls, before + 1);
    const std::string results = searched->get_header_value("Location");
    EXPECT_TRUE(std::regex_match(results, std::regex("/search/results/[0-9a-f]{32}"))) << results;
    for (int again = 0; again < 2; ++again) {  // the first time, and back from the record
      auto shown = Get(results);
      ASSERT_TRUE(shown);
      EXPECT_EQ(shown->status, 200);
      EXPECT_TRUE(absl::StrContains(shown->body, "id=\"results\"")) << shown->body;
      EXPECT_TRUE(absl::StrContains(shown->body, "P 1/2024")) << "the record found";
      EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "personal-number"),
                                    absl::StrCat("value=\"", number, "\"")))
          << "the form as it was sent";
      ExpectInNoAddress(shown, number, "results");
      // The language switch re-reads this page; nothing typed goes into its form.
      const httplib::Params language = LanguageForm(shown->body);
      EXPECT_EQ(Field(language, "back"), results);
      for (const auto& [name, value] : language) {
        EXPECT_FALSE(absl::StartsWith(name, "keep.")) << name;
      }
      if (role == v1::ROLE_COURT) {
        // Each read posts the purpose the search stated.
        EXPECT_TRUE(absl::StrContains(
            shown->body, "<input type=\"hidden\" name=\"case_ref\" value=\"PKR 77/2026\">"));
      }
    }
    EXPECT_EQ(fake_->calls, before + 1) << "the results' page searched again";
    // Another session does not hold them; nor does this one an id it never made.
    const std::string mine = cookie_;
    SignIn();
    auto other = Get(results);
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status, 404);
    EXPECT_FALSE(absl::StrContains(other->body, number));
    EXPECT_FALSE(absl::StrContains(other->body, "P 1/2024"));
    cookie_ = mine;
    EXPECT_EQ(Get(absl::StrCat("/search/results/", kRecordId))->status, 404);
    // Signed out, the session's results are gone with it.
    EXPECT_EQ(Post("/signout", {})->status, 303);
    EXPECT_NE(Get(results)->status, 200);
    EXPECT_EQ(fake_->calls, before + 1);
    console_->Stop();
    console_.reset();
  }
}

// An import's problems found by the console itself (a date that is not one, a word a column does
// not take) were in English on every page, and two translated rules on one line ran together
// ("….; last_known_address: …"). They are in the page's language where the record form's
// catalog has the rule, and each problem is on a line of its own.
TEST_F(ConsoleTest, AnImportsProblemsAreTranslatedAndEachIsOnALineOfItsOwn) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  ASSERT_EQ(Post("/language", {{"lang", "sr"}, {"back", "/import"}})->status, 303);
  std::string bad = ImportCsvRow(2);
  bad = absl::StrReplaceAll(bad, {{"1980-01-01", "1980-02-30"}, {",fine,", ",prison,"},
                                  {",false,", ",maybe,"}});
  v1::ImportRecordsResponse verdict;
  v1::ImportRowResult* result = verdict.add_results();
  result->set_line(2);
  result->set_outcome(v1::ImportRowResult::OUTCOME_INVALID);
  result->set_error(
      "person.surname: 0..100 characters of valid UTF-8, no control characters; "
      "person.last_known_address: 0..200 characters of valid UTF-8, no control characters");
  fake_->import_response = verdict;
  auto checked = PostImportFile(absl::StrCat(ImportCsvHeader(), ImportCsvRow(1), bad));
  ASSERT_TRUE(checked);
  const std::string& body = checked->body;
  EXPECT_FALSE(absl::StrContains(body, "not a real date")) << body;
  EXPECT_FALSE(absl::StrContains(body, "not true or false")) << body;
  EXPECT_FALSE(absl::StrContains(body, ".; ")) << body;
  EXPECT_TRUE(absl::StrContains(
      body, absl::StrCat("<li>birth_date: ", Escape(catalogs.Text("sr", "rule.real_date")),
                         "</li>")))
      << body;
  EXPECT_TRUE(absl::StrContains(body, "<li>sentence_type: Nije nijedna od prihvaćenih reči: "
                                      "<code>imprisonment</code>, <code>life_imprisonment</code>, "
                                      "<code>suspended</code>"))
      << body;
  EXPECT_TRUE(absl::StrContains(body, "<li>juvenile: Nije nijedna od prihvaćenih reči: "
                                      "<code>true</code>, <code>false</code>.</li>"))
      << body;
  EXPECT_TRUE(absl::StrContains(body, "</li><li>last_known_address: ")) << body;
  fake_->import_response.reset();
}

// A ban's cell without an end date, or with an end that is not a date, was said in English on
// Albanian and Serbian pages while the other cells' problems were translated. Both are in the
// page's language, with the ban's type in the forms to write.
TEST_F(ConsoleTest, AnImportsBanProblemsAreTranslatedWithTheBansType) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  const std::string no_end =
      absl::StrReplaceAll(ImportCsvRow(2), {{",0,,,false,", ",0,profession,,false,"}});
  const std::string bad_end = absl::StrReplaceAll(
      ImportCsvRow(3), {{",0,,,false,", ",0,contact_with_victim:2030-02-30,,false,"}});
  const std::string both = absl::StrReplaceAll(
      ImportCsvRow(4), {{",0,,,false,", ",0,work_with_children;profession:1899-12-31,,false,"}});
  // The registry takes the one good row (line 2).
  v1::ImportRecordsResponse verdict;
  v1::ImportRowResult* result = verdict.add_results();
  result->set_line(2);
  result->set_outcome(v1::ImportRowResult::OUTCOME_VALID);
  fake_->import_response = verdict;
  for (const char* language : {"sq", "sr"}) {
    ASSERT_EQ(Post("/language", {{"lang", language}, {"back", "/import"}})->status, 303);
    auto checked =
        PostImportFile(absl::StrCat(ImportCsvHeader(), ImportCsvRow(1), no_end, bad_end, both));
    ASSERT_TRUE(checked);
    const std::string& body = checked->body;
    EXPECT_FALSE(absl::StrContains(body, "no end date")) << language << "\n" << body;
    EXPECT_FALSE(absl::StrContains(body, "or none for life")) << language << "\n" << body;
    const std::string ban_no_end = FormatEscaped(
        language, catalogs.Text(language, "import.rule.ban_no_end"),
        {{"end", "<code>profession:YYYY-MM-DD</code>"}, {"life", "<code>profession:none</code>"}});
    const std::string ban_end_date =
        FormatEscaped(language, catalogs.Text(language, "import.rule.ban_end_date"),
                      {{"none", "<code>none</code>"}});
    EXPECT_TRUE(absl::StrContains(body, absl::StrCat("bans: ", ban_no_end)))
        << language << "\n" << body;
    EXPECT_TRUE(absl::StrContains(body, absl::StrCat("bans: ", ban_end_date)))
        << language << "\n" << body;
    // Of a cell of two bans, each problem is named by its item.
    const std::string item = catalogs.Text(language, "import.item");
    const std::string children_no_end =
        absl::StrReplaceAll(ban_no_end, {{"profession", "work_with_children"}});
    EXPECT_TRUE(absl::StrContains(
        body, absl::StrCat("bans: ", absl::StrReplaceAll(item, {{"{n}", "1"}}), " ",
                           children_no_end)))
        << language << "\n" << body;
    EXPECT_TRUE(absl::StrContains(
        body, absl::StrCat("bans: ", absl::StrReplaceAll(item, {{"{n}", "2"}}), " ",
                           ban_end_date)))
        << language << "\n" << body;
  }
  fake_->import_response.reset();
}

// The audit log showed an event's role as its code ("clerk") on Albanian and Serbian pages. It
// is named in the page's language, as the header names the official's own role.
TEST_F(ConsoleTest, TheAuditLogNamesAnEventsRoleInThePagesLanguage) {
  StartSignedIn(v1::ROLE_AUDITOR);
  const Catalogs& catalogs = Catalogs::Embedded();
  LogOneEvent(v1::ROLE_COURT, "/registry.v1.RecordService/SearchRecords");
  for (const char* language : {"sq", "sr"}) {
    ASSERT_EQ(Post("/language", {{"lang", language}, {"back", "/"}})->status, 303);
    const std::string named = Escape(catalogs.Text(language, "role.court"));
    for (const char* path : {"/audit", "/audit/events/5"}) {
      const std::string body = Get(path)->body;
      EXPECT_TRUE(absl::StrContains(body, absl::StrCat(named, " (<code>court</code>)")))
          << language << " " << path << "\n" << body;
    }
  }
}

// A form the registry refused whole (a duplicate, a correction of a record changed meanwhile)
// left the focus on the page's body: only a list of field errors took it. The refusal's box takes
// it. A duplicate names the record that holds the conviction: its id links to that record, when
// it is a record id.
TEST_F(ConsoleTest, AWholeFormRefusalTakesTheFocusAndADuplicateLinksTheRecordItNames) {
  StartSignedIn(v1::ROLE_CLERK);
  fake_->create_status = absl::AlreadyExistsError(absl::StrCat(
      "a record with this court, case number and personal number exists: ", kRecordId));
  auto duplicate = PostAndFollow("/records/new", {{"surname", "Gashi"}});
  ASSERT_TRUE(duplicate);
  EXPECT_EQ(duplicate->status, 400);
  // Said beside the case number, with the list of the form's problems above it.
  EXPECT_TRUE(absl::StrContains(duplicate->body, "id=\"error-summary\"")) << duplicate->body;
  EXPECT_TRUE(absl::StrContains(
      FieldGroup(duplicate->body, "case-number"),
      absl::StrCat("<a id=\"existing-record\" href=\"/records/", kRecordId, "\">", kRecordId,
                   "</a>")))
      << duplicate->body;
  // What is not a record id is said, never linked.
  fake_->create_status = absl::AlreadyExistsError(
      "a record with this court, case number and personal number exists: ../admin");
  auto odd = PostAndFollow("/records/new", {{"surname", "Gashi"}});
  EXPECT_FALSE(absl::StrContains(odd->body, "existing-record")) << odd->body;
  EXPECT_TRUE(absl::StrContains(odd->body, "exists: ../admin")) << odd->body;
  // A correction of a record changed since it was read.
  fake_->amend_status = absl::AbortedError("the record changed since it was read");
  auto stale = PostAndFollow(absl::StrCat("/records/", kRecordId, "/amend"),
                    {{"surname", "Gashi-Krasniqi"}, {"version", "1"}, {"reason", "r"}});
  ASSERT_TRUE(stale);
  EXPECT_TRUE(absl::StrContains(stale->body, "role=\"alert\" tabindex=\"-1\" autofocus"))
      << stale->body;
  // The console's own refusal of a whole search, too.
  auto neither = PostAndFollow("/search", {});
  EXPECT_EQ(neither->status, 400);
  EXPECT_TRUE(absl::StrContains(neither->body, "role=\"alert\" tabindex=\"-1\" autofocus"));
}

// A court's read of a record or its history was answered by its POST: Back and Reload asked the
// browser to send the form again ("Confirm Form Resubmission"), and a reload made a second audited
// GetRecord (or GetRecordHistory) in the court's name. The POST reads once and redirects to a page
// whose address is a random id of the session's: shown again from the session as often as the
// official reloads it or comes back to it, the registry not asked; another session cannot open
// it, a session keeps the newest ones only, and signing out drops them.
TEST_F(ConsoleTest, ACourtsReadIsAnsweredByARedirectAndAReloadDoesNotReadAgain) {
  StartCourtWithARecord();
  const std::string record = RecordPage();
  const httplib::Params purpose = CourtPurpose();
  std::vector<std::string> pages;
  for (const std::string& path : {record, record + "/history"}) {
    const int before = fake_->calls;
    auto read = Post(path, purpose);
    ASSERT_TRUE(read);
    EXPECT_EQ(read->status, 303) << path << "\n" << read->body;
    EXPECT_EQ(fake_->calls, before + 1) << path;
    const std::string page = read->get_header_value("Location");
    EXPECT_TRUE(std::regex_match(page, std::regex(path + "/read/[0-9a-f]{32}"))) << page;
    for (int again = 0; again < 3; ++again) {  // the first time, a reload, back to it
      auto shown = Get(page);
      ASSERT_TRUE(shown);
      EXPECT_EQ(shown->status, 200) << path;
      EXPECT_TRUE(absl::StrContains(shown->body, "Gashi")) << shown->body;
      // Its reads post the purpose the read stated; the switch shows this page again.
      EXPECT_TRUE(absl::StrContains(
          shown->body, "<input type=\"hidden\" name=\"case_ref\" value=\"PKR 77/2026\">"))
          << shown->body;
      EXPECT_EQ(Field(LanguageForm(shown->body), "back"), page);
    }
    EXPECT_EQ(fake_->calls, before + 1) << path << ": the read's page read again";
    pages.push_back(page);
  }
  // The record's page is not the history's, nor another record's.
  EXPECT_EQ(Get(absl::StrCat(record, "/history/read/", pages[0].substr(pages[0].size() - 32)))
                ->status,
            404);
  EXPECT_EQ(Get(absl::StrCat(record, "/read/", kRecordId))->status, 404);
  // Another session does not hold them.
  const std::string mine = cookie_;
  const std::string token = csrf_;
  SignIn();
  for (const std::string& page : pages) {
    auto other = Get(page);
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status, 404) << page;
    EXPECT_FALSE(absl::StrContains(other->body, "Gashi"));
  }
  cookie_ = mine;
  csrf_ = token;
  // The newest reads only: the oldest is pushed out.
  for (size_t i = 0; i + 1 < kMaxKept; ++i) ASSERT_EQ(Post(record, purpose)->status, 303);
  EXPECT_EQ(Get(pages[0])->status, 404);
  EXPECT_EQ(Get(pages[1])->status, 200);
  // Signed out, the session's reads go with it.
  EXPECT_EQ(Post("/signout", {})->status, 303);
  EXPECT_NE(Get(pages[1])->status, 200);
}

// A court's read refused for the case reference it stated was a box alone, the purpose form gone.
// The form comes back, with the refusal above it and the problem beside the case reference, in
// the page's language.
TEST_F(ConsoleTest, ACourtsReadRefusedForItsCaseReferenceShowsItBesideThatField) {
  StartSignedIn(v1::ROLE_COURT);
  const Catalogs& catalogs = Catalogs::Embedded();
  ASSERT_EQ(Post("/language", {{"lang", "sq"}, {"back", "/search"}})->status, 303);
  fake_->record_status = absl::InvalidArgumentError(
      absl::StrCat("purpose.case_reference: ", kReferenceRule));
  const std::string record = absl::StrCat("/records/", kRecordId);
  for (const std::string& path : {record, record + "/history"}) {
    auto refused = PostAndFollow(path, {{"case_ref", "PKR <b>"}, {"purpose", "sentencing"}});
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400) << path;
    const std::string group = FieldGroup(refused->body, "case_ref");
    EXPECT_TRUE(absl::StrContains(group, Escape(catalogs.Text("sq", "rule.reference"))))
        << path << "\n" << refused->body;
    EXPECT_TRUE(absl::StrContains(group, "value=\"PKR &lt;b&gt;\"")) << group;
    EXPECT_TRUE(absl::StrContains(
        refused->body, PostForm(path)));
  }
}

// Going back from an event to the events of a filter that names an actor asked the browser to
// send the filter again: such a filter is posted (an official's identity goes into no address).
// The POST is answered by a redirect to a page whose address is a random id of the session's;
// another session cannot open it.
TEST_F(ConsoleTest, BackFromAnEventTheEventsOfAFilterByActorAreShownWithoutPostingAgain) {
  StartSignedIn(v1::ROLE_AUDITOR);
  const std::string actor = "ana.krasniqi";
  auto posted = Post("/audit", {{"actor", actor}, {"from", "2026-01-01"}});
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 303);
  const std::string kept = posted->get_header_value("Location");
  EXPECT_TRUE(std::regex_match(kept, std::regex("/audit/results/[0-9a-f]{32}"))) << kept;
  for (int again = 0; again < 2; ++again) {
    auto shown = Get(kept);
    ASSERT_TRUE(shown);
    EXPECT_EQ(shown->status, 200);
    EXPECT_EQ(fake_->last_events.filter().actor(), actor);
    EXPECT_EQ(fake_->last_events.filter().from_time(), "2026-01-01T00:00:00Z");
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "actor"),
                                  absl::StrCat("value=\"", actor, "\"")));
    ExpectInNoAddress(shown, actor, "events by actor");
    EXPECT_EQ(Field(LanguageForm(shown->body), "back"), kept);
  }
  const std::string mine = cookie_;
  SignIn();
  fake_->last_events.Clear();
  auto other = Get(kept);
  EXPECT_EQ(other->status, 404);
  EXPECT_FALSE(absl::StrContains(other->body, actor));
  EXPECT_EQ(fake_->last_events.filter().actor(), "");
  cookie_ = mine;
}

// /audit?page=<script> said "Choose one of the options offered" above the form, though no field
// chooses a page. A page number that is no number is said to be no page (the value is not shown)
// and the registry is not asked; the form's button shows the first page.
TEST_F(ConsoleTest, APageNumberThatIsNoNumberIsSaidToBeNoPageNotAChoiceToMake) {
  StartSignedIn(v1::ROLE_AUDITOR);
  const Catalogs& catalogs = Catalogs::Embedded();
  const int before = fake_->calls;
  const std::string odd = "<script>alert(7)</script>";
  const auto check = [&](const httplib::Result& page, const std::string& lang,
                         const std::string& where) {
    ASSERT_TRUE(page) << where;
    EXPECT_EQ(page->status, 400) << where;
    EXPECT_TRUE(absl::StrContains(page->body, Escape(catalogs.Text(lang, "audit.bad_page"))))
        << where << "\n" << page->body;
    EXPECT_FALSE(absl::StrContains(page->body, Escape(catalogs.Text(lang, "form.choose"))))
        << where << "\n" << page->body;
    EXPECT_FALSE(absl::StrContains(page->body, "alert(7)")) << where << ": the value echoed";
    EXPECT_FALSE(absl::StrContains(page->body, "href=\"#page\"")) << where << ": no such field";
    EXPECT_TRUE(absl::StrContains(page->body, PostForm("/audit")))
        << where;
  };
  check(Get(absl::StrCat("/audit?action=VettingCheck&page=", UrlEncode(odd))),
        "sq", "linked");
  check(PostAndFollow("/audit", {{"actor", "ana.krasniqi"}, {"page", "12a"}}), "sq", "posted");
  ASSERT_EQ(Post("/language", {{"lang", "en"}, {"back", "/audit"}})->status, 303);
  check(Get("/audit?page=-1"), "en", "in English");
  check(Get("/audit?page=123456789012345678901"), "en", "past 20 digits");
  EXPECT_EQ(fake_->calls, before) << "the registry was asked";

  // A number is the registry's page token, as before.
  auto page = Get("/audit?page=50");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(fake_->last_events.page_token(), "50");
  EXPECT_FALSE(absl::StrContains(page->body, "id=\"bad-page\""));
}

// /audit?page=99999, past the end of the log (a restore shortened it), showed the registry's
// "INVALID_ARGUMENT / The registry said: page_token: not a token from this service", where a page
// number that is no number gets the console's own line. It is a page that does not exist: 400
// above the filter form, in the session's language, without the registry's words.
TEST_F(ConsoleTest, APageNumberPastTheEndOfTheLogIsSaidToBeNoPageInTheConsolesWords) {
  StartSignedIn(v1::ROLE_AUDITOR);
  const Catalogs& catalogs = Catalogs::Embedded();
  fake_->audit_status = absl::InvalidArgumentError("page_token: not a token from this service");
  for (const char* lang : {"sq", "en"}) {
    ASSERT_EQ(Post("/language", {{"lang", lang}, {"back", "/audit"}})->status, 303);
    auto page = Get("/audit?action=VettingCheck&page=99999");
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 400) << lang;
    EXPECT_EQ(fake_->last_events.page_token(), "99999");
    EXPECT_TRUE(absl::StrContains(page->body, "id=\"bad-page\"")) << page->body;
    EXPECT_TRUE(
        absl::StrContains(page->body, Escape(catalogs.Text(lang, "audit.page_past_end"))))
        << lang << "\n" << page->body;
    EXPECT_FALSE(absl::StrContains(page->body, "not a token")) << page->body;
    EXPECT_FALSE(absl::StrContains(page->body, Escape(catalogs.Text(lang, "error.server_said"))));
    EXPECT_TRUE(absl::StrContains(page->body, PostForm("/audit")));
  }
  // Another refusal of the registry's is said as before, in its words.
  fake_->audit_status = absl::InvalidArgumentError("filter.from_time: after filter.to_time");
  auto refused = Get("/audit?page=50");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  EXPECT_FALSE(absl::StrContains(refused->body, "id=\"bad-page\""));
  EXPECT_TRUE(absl::StrContains(refused->body, "after filter.to_time")) << refused->body;
}

// -5 months was told "Enter a whole number" in the record form: the registry's rule for the
// sentence chosen is said beside the field instead.
TEST_F(ConsoleTest, MonthsOutOfRangeInTheRecordFormAreToldTheRuleNotToBeAWholeNumber) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  for (const auto& [sentence, key] : std::vector<std::pair<std::string, std::string>>{
           {"imprisonment", "rule.months"}, {"suspended", "rule.months_suspended"}}) {
    auto refused = PostAndFollow("/records/new",
                        {{"surname", "Krasniqi"}, {"sentence", sentence}, {"months", "-5"}});
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400) << sentence;
    EXPECT_EQ(fake_->changes, 0) << "the record was saved";
    const std::string months = FieldGroup(refused->body, "months");
    EXPECT_TRUE(absl::StrContains(months, Escape(catalogs.Text("sq", key))))
        << sentence << "\n" << months;
    EXPECT_FALSE(absl::StrContains(months, Escape(catalogs.Text("sq", "form.whole_number"))))
        << sentence << "\n" << months;
    EXPECT_TRUE(absl::StrContains(months, "value=\"-5\"")) << "the form keeps what was typed";
  }
}

// A log that holds no event yet, signed by the key of seed 'f', which it serves as its own: a
// first verification trusts that key.
class EmptyLogWithItsKey final : public HeadOnlyLog {
 public:
  EmptyLogWithItsKey() {
    auto signer = crypto::Ed25519Signer::FromSeed(crypto::SecretBytes(std::string(32, 'f')));
    EXPECT_TRUE(signer.ok()) << signer.status();
    signer_ = *std::move(signer);
  }
  const std::string& key_id() const { return signer_->key_id(); }
  absl::StatusOr<v1::SignedTreeHead> GetSignedTreeHead() override {
    v1::SignedTreeHead head;
    head.set_log_id(kRecordId);
    head.set_tree_size(0);
    head.set_root_hash(crypto::merkle::EmptyRoot());
    head.set_timestamp_micros(static_cast<uint64_t>(absl::ToUnixMicros(absl::Now())));
    head.set_key_id(signer_->key_id());
    auto bytes = crypto::TreeHeadSigningBytes(head.log_id(), head.tree_size(),
                                              head.timestamp_micros(), head.root_hash(),
                                              head.key_id());
    if (!bytes.ok()) return bytes.status();
    auto signature = signer_->Sign(*bytes);
    if (!signature.ok()) return signature.status();
    head.set_signature(*signature);
    return head;
  }
  absl::StatusOr<v1::PublicKey> GetAuditPublicKey() override {
    v1::PublicKey key;
    key.set_ed25519(signer_->public_key());
    key.set_key_id(signer_->key_id());
    return key;
  }

 private:
  std::unique_ptr<crypto::Ed25519Signer> signer_;
};

// An auditor's first verification trusts the registry's key and says so: that note was the one
// English line on an Albanian or Serbian page. It is said in the page's language, the key beside
// it; registry-cli's English words are not shown.
TEST_F(ConsoleTest, AKeyTrustedOnFirstUseIsNotedInThePagesLanguage) {
  audit_state_path_ = ::testing::TempDir() + "/console-first-use-state.json";
  std::remove(audit_state_path_.c_str());
  StartSignedIn(v1::ROLE_AUDITOR);
  const Catalogs& catalogs = Catalogs::Embedded();
  const std::string key_id = EmptyLogWithItsKey().key_id();
  fake_->audit_log = [] { return std::make_unique<EmptyLogWithItsKey>(); };
  auto started = Post("/audit/verify", {});
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 303);
  WaitForJobOf(*started);
  const std::string job = started->get_header_value("Location");
  for (const char* lang : {"sq", "sr", "en"}) {
    ASSERT_EQ(Post("/language", {{"lang", lang}, {"back", job}})->status, 303);
    const std::string body = Get(job)->body;
    EXPECT_TRUE(absl::StrContains(body, "id=\"verify-result\"")) << lang << "\n" << body;
    EXPECT_TRUE(absl::StrContains(
        body, FormatEscaped(lang, catalogs.Text(lang, "verify.note.first_use"),
                            {{"key", absl::StrCat("<code>", key_id, "</code>")}})))
        << lang << "\n" << body;
    EXPECT_FALSE(absl::StrContains(body, "no audit key given or pinned")) << lang << "\n" << body;
    EXPECT_FALSE(absl::StrContains(body, "on first use")) << lang << "\n" << body;
  }
  std::remove(audit_state_path_.c_str());
}

// The console's background verification shares registry-cli's state file. A log whose key
// signed another log the file knows was warned of once, then saved, and every later run (the
// console's, a daily job's) was green. It is warned of at every run and not saved, until it is
// accepted with registry-cli audit verify --accept-new-log.
TEST_F(ConsoleTest, AReplacedLogIsWarnedOfAtEveryVerificationAndNotSaved) {
  audit_state_path_ = ::testing::TempDir() + "/console-replaced-log-state.json";
  const EmptyLogWithItsKey log;
  client::AuditState state;
  client::LogState* earlier = state.add_logs();
  earlier->set_log_id(std::string(32, 'e'));
  earlier->mutable_audit_key()->set_key_id(log.key_id());
  ASSERT_TRUE(client::SaveAuditState(audit_state_path_, state).ok());
  StartSignedIn(v1::ROLE_AUDITOR);
  fake_->audit_log = [] { return std::make_unique<EmptyLogWithItsKey>(); };
  for (int run = 0; run < 2; ++run) {
    auto started = Post("/audit/verify", {});
    ASSERT_TRUE(started);
    ASSERT_EQ(started->status, 303);
    WaitForJobOf(*started);
    const std::string body = Get(started->get_header_value("Location"))->body;
    EXPECT_TRUE(absl::StrContains(body, "now signs another log")) << "run " << run << body;
    EXPECT_TRUE(absl::StrContains(body, "--accept-new-log")) << "run " << run;
    auto saved = client::LoadAuditState(audit_state_path_);
    ASSERT_TRUE(saved.ok() && saved->has_value());
    EXPECT_EQ((*saved)->SerializeAsString(), state.SerializeAsString()) << "run " << run;
  }
  std::remove(audit_state_path_.c_str());
}

// The purpose form posted with an empty case reference (a request made outside the page: its
// inputs are required) came back with no word beside the field. "Required" stands beside each
// input left empty, as beside any field, and nothing is read.
TEST_F(ConsoleTest, ACourtsReadPostedWithoutACaseReferenceSaysItIsRequiredBesideIt) {
  Start(v1::ROLE_COURT);
  fake_->who.add_purpose_codes("criminal_proceedings");
  SignIn();
  const Catalogs& catalogs = Catalogs::Embedded();
  const std::string required = Escape(catalogs.Text("sq", "rule.required"));
  const std::string record = absl::StrCat("/records/", kRecordId);
  const int before = fake_->calls;
  for (const std::string& path : {record, record + "/history"}) {
    for (const char* empty : {"", "   "}) {
      auto refused =
          PostAndFollow(path, {{"case_ref", empty}, {"purpose", "criminal_proceedings"}});
      ASSERT_TRUE(refused) << path;
      EXPECT_EQ(refused->status, 400) << path;
      const std::string case_ref = FieldGroup(refused->body, "case_ref");
      EXPECT_TRUE(absl::StrContains(case_ref, required)) << path << "\n" << refused->body;
      EXPECT_TRUE(absl::StrContains(case_ref, "aria-invalid=\"true\"")) << case_ref;
      EXPECT_FALSE(absl::StrContains(FieldGroup(refused->body, "purpose"), required)) << path;
      EXPECT_TRUE(absl::StrContains(refused->body, "<a href=\"#case_ref\">")) << path;
      EXPECT_TRUE(absl::StrContains(
          FieldGroup(refused->body, "purpose"), "value=\"criminal_proceedings\" selected"))
          << "the form keeps what was sent\n" << refused->body;
    }
    auto no_purpose = PostAndFollow(path, {{"case_ref", "PKR 1/26"}, {"purpose", ""}});
    ASSERT_TRUE(no_purpose) << path;
    EXPECT_EQ(no_purpose->status, 400) << path;
    EXPECT_TRUE(absl::StrContains(FieldGroup(no_purpose->body, "purpose"), required)) << path;
    EXPECT_FALSE(absl::StrContains(FieldGroup(no_purpose->body, "case_ref"), required)) << path;
    EXPECT_TRUE(absl::StrContains(FieldGroup(no_purpose->body, "case_ref"),
                                  "value=\"PKR 1/26\"")) << path;
  }
  EXPECT_EQ(fake_->calls, before) << "read without a case reference or a purpose";

  // Opened by a link, the form asks without saying anything is missing.
  auto linked = Get(record);
  ASSERT_TRUE(linked);
  EXPECT_EQ(linked->status, 200);
  EXPECT_FALSE(absl::StrContains(linked->body, required));
}

// Reloading the answer of "who checked me" sent the form again and repeated the audited
// ListChecksAboutPerson in the clerk's name with the person's number. The request is answered by
// a redirect to a page of the session's, refusal or not, which a reload shows again as it was,
// filled in, without asking the registry; nothing typed is in its address; another session does
// not find it.
TEST_F(ConsoleTest, ADataSubjectRequestIsAnsweredByARedirectAndAReloadAsksTheRegistryNothing) {
  StartSignedIn(v1::ROLE_CLERK);
  fake_->checks.add_checks()->set_organisation("org-that-checked");
  auto posted =
      Post("/subject", {{"personal-number", "1234567890"}, {"request_ref", "DSR 1/2026"}});
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 303) << posted->body;
  const std::string location = posted->get_header_value("Location");
  EXPECT_TRUE(std::regex_match(location, std::regex("/subject/answers/[0-9a-f]{32}"))) << location;
  EXPECT_EQ(fake_->checks_requests.size(), 1u);
  for (int reload = 0; reload < 2; ++reload) {
    auto shown = Get(location);
    ASSERT_TRUE(shown);
    EXPECT_EQ(shown->status, 200);
    EXPECT_TRUE(absl::StrContains(shown->body, "org-that-checked")) << shown->body;
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "personal-number"),
                                  "value=\"1234567890\""))
        << shown->body;
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "request_ref"), "value=\"DSR 1/2026\""));
  }
  EXPECT_EQ(fake_->checks_requests.size(), 1u) << "a reload repeated the audited call";

  // Refused alike: the refusal beside its field, shown again without another call.
  fake_->checks_status = absl::InvalidArgumentError(
      "personal_number: does not match the personal number format (10 digits)");
  posted = Post("/subject", {{"personal-number", "12"}, {"request_ref", "DSR 1/2026"}});
  ASSERT_EQ(posted->status, 303) << posted->body;
  const std::string refused = posted->get_header_value("Location");
  EXPECT_FALSE(absl::StrContains(refused, "12/")) << refused;
  for (int reload = 0; reload < 2; ++reload) {
    auto shown = Get(refused);
    EXPECT_EQ(shown->status, 400);
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "personal-number"),
                                  "id=\"personal-number-error\""))
        << shown->body;
  }
  EXPECT_EQ(fake_->checks_requests.size(), 2u);
  // Another session (and an id never given) finds nothing.
  SignIn();
  EXPECT_EQ(Get(location)->status, 404);
  EXPECT_EQ(Get("/subject/answers/00000000000000000000000000000000")->status, 404);
}

// A file the console could not read as an import (no header, empty) was titled "The registry
// refused ... The registry said:" with the reader's English words, though the registry was not
// asked. It is the console's own finding, "Not possible" in the page's language, the reader's
// words marked as English.
TEST_F(ConsoleTest, AnImportFileTheConsoleCannotReadIsItsOwnFindingNotTheRegistrysRefusal) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  const int calls = fake_->calls;
  for (const std::string& file : {std::string("hello,world\n1,2\n"), std::string()}) {
    auto posted = PostImportFileOnly(file);
    ASSERT_TRUE(posted);
    ASSERT_EQ(posted->status, 303) << posted->body;
    auto checked = Get(posted->get_header_value("Location"));
    ASSERT_TRUE(checked);
    EXPECT_EQ(checked->status, 400);
    const std::string& body = checked->body;
    EXPECT_TRUE(absl::StrContains(body, Escape(catalogs.Text("sq", "error.local_not_possible"))))
        << body;
    EXPECT_TRUE(absl::StrContains(body, Escape(catalogs.Text("sq", "import.unreadable")))) << body;
    EXPECT_FALSE(absl::StrContains(body, Escape(catalogs.Text("sq", "error.title")))) << body;
    EXPECT_FALSE(absl::StrContains(body, Escape(catalogs.Text("sq", "error.server_said"))))
        << body;
    EXPECT_TRUE(absl::StrContains(body, "<q lang=\"en\" id=\"file-problem\">")) << body;
  }
  EXPECT_EQ(fake_->calls, calls);
}

// The console's check of an import file listed one problem of a row (the first it found), where
// registry-cli lists every one: the registry checks the rest of such a row (a dry run), and its
// problems join the row's own, by column, in the page's language.
TEST_F(ConsoleTest, AnImportCheckNamesEveryProblemOfARowAtOnceAsTheCliDoes) {
  StartSignedIn(v1::ROLE_CLERK);
  fake_->only_rows_sent = true;
  std::string bad = ImportCsvRow(2);
  bad = absl::StrReplaceAll(bad, {{",fine,", ",<i>imp</i>,"}});
  v1::ImportRecordsResponse verdict;
  v1::ImportRowResult* valid = verdict.add_results();
  valid->set_line(2);
  valid->set_outcome(v1::ImportRowResult::OUTCOME_VALID);
  v1::ImportRowResult* invalid = verdict.add_results();
  invalid->set_line(3);
  invalid->set_outcome(v1::ImportRowResult::OUTCOME_INVALID);
  invalid->set_error("conviction.court_id: not in the court table");
  fake_->import_response = verdict;
  auto checked = PostImportFile(absl::StrCat(ImportCsvHeader(), ImportCsvRow(1), bad));
  ASSERT_TRUE(checked);
  EXPECT_EQ(checked->status, 200) << checked->body;
  ASSERT_EQ(fake_->imports.size(), 2u);
  EXPECT_TRUE(fake_->imports[1].dry_run());
  ASSERT_EQ(fake_->imports[1].rows_size(), 1);
  EXPECT_EQ(fake_->imports[1].rows(0).line(), 3u);
  const std::string& body = checked->body;
  const size_t row = body.find("<td class=\"nowrap\">3</td>");
  ASSERT_NE(row, std::string::npos) << body;
  const std::string cell = body.substr(row, body.find("</tr>", row) - row);
  EXPECT_TRUE(absl::StrContains(cell, "<li>court_id: ")) << cell;
  EXPECT_TRUE(absl::StrContains(cell, "<li>sentence_type: ")) << cell;
  EXPECT_FALSE(absl::StrContains(cell, "conviction.")) << cell;
}

// A refused expunging was answered by its POST, so back and reload sent it again: after the
// record was expunged, that repeated an audited read answered NOT_FOUND. A refusal, the console's
// or the registry's, is answered by a redirect to a page of the session's that shows the form as
// it was sent, each problem beside its field, and asks the registry nothing when reloaded.
TEST_F(ConsoleTest, ARefusedExpungingIsAnsweredByARedirectAndAReloadAsksTheRegistryNothing) {
  StartSignedIn(v1::ROLE_CLERK);
  const std::string record = absl::StrCat("/records/", kRecordId);
  auto refused = Post(record + "/expunge", {{"legal_basis", "KP 103"}, {"confirm", "P 78/2024"}});
  ASSERT_TRUE(refused);
  ASSERT_EQ(refused->status, 303) << refused->body;
  const std::string location = refused->get_header_value("Location");
  EXPECT_TRUE(std::regex_match(
      location, std::regex(absl::StrCat(record, "/expunge/refused/[0-9a-f]{32}"))))
      << location;
  int calls = fake_->calls;
  for (int reload = 0; reload < 2; ++reload) {
    auto shown = Get(location);
    ASSERT_TRUE(shown);
    EXPECT_EQ(shown->status, 400);
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "confirm"), "id=\"confirm-error\""))
        << shown->body;
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "legal_basis"), "value=\"KP 103\""));
    EXPECT_TRUE(absl::StrContains(
        shown->body, PostForm(absl::StrCat(record, "/expunge"))));
  }
  EXPECT_EQ(fake_->calls, calls) << "a reload of the refused form asked the registry";
  fake_->expunge_status = absl::OkStatus();
  auto expunged = Post(record + "/expunge", {{"legal_basis", "KP 103"}, {"confirm", "P 1/2024"}});
  ASSERT_EQ(expunged->status, 303);
  // The record is gone, and so is its refused form, which named it: back to it, and reloading
  // it, shows nothing of the record and reads nothing.
  fake_->record_status = absl::NotFoundError("no such record");
  calls = fake_->calls;
  for (int reload = 0; reload < 2; ++reload) {
    auto shown = Get(location);
    ASSERT_TRUE(shown);
    EXPECT_EQ(shown->status, 404);
    EXPECT_FALSE(absl::StrContains(shown->body, "P 1/2024")) << shown->body;
    EXPECT_FALSE(absl::StrContains(shown->body, "KP 103")) << shown->body;
  }
  EXPECT_EQ(fake_->calls, calls) << "a reload of the refused form asked the registry";
  // The registry's refusal alike.
  fake_->record_status = absl::OkStatus();
  fake_->expunge_status = absl::PermissionDeniedError("not allowed");
  refused = Post(record + "/expunge", {{"legal_basis", "KP 103"}, {"confirm", "P 1/2024"}});
  ASSERT_EQ(refused->status, 303);
  const int after = fake_->calls;
  auto shown = Get(refused->get_header_value("Location"));
  EXPECT_EQ(shown->status, 400);
  EXPECT_TRUE(absl::StrContains(shown->body, "not allowed")) << shown->body;
  EXPECT_EQ(fake_->calls, after);
  // Another record's address does not show this record's form.
  const std::string other_record = absl::StrReplaceAll(
      location, {{std::string(kRecordId), "87c3d67c33376237068b615cff15e473"}});
  EXPECT_EQ(Get(other_record)->status, 404);
}

// An import's check was answered by its POST, so a reload sent the file again and checked it
// again (a dry run, audited); a refused check alike. Both are answered by a redirect to a page
// the session holds.
TEST_F(ConsoleTest, AnImportCheckIsAnsweredByARedirectAndAReloadDoesNotCheckAgain) {
  StartSignedIn(v1::ROLE_CLERK);
  EveryLineValid(2, 2);
  auto posted = PostImportFileOnly(absl::StrCat(ImportCsvHeader(), ImportCsvRow(1)));
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 303) << posted->body;
  const std::string location = posted->get_header_value("Location");
  EXPECT_TRUE(std::regex_match(location, std::regex("/import/checks/[0-9a-f]{32}"))) << location;
  const int calls = fake_->calls;
  for (int reload = 0; reload < 2; ++reload) {
    auto shown = Get(location);
    EXPECT_EQ(shown->status, 200);
    EXPECT_TRUE(absl::StrContains(shown->body, "id=\"dry-run-summary\"")) << shown->body;
    EXPECT_TRUE(absl::StrContains(shown->body, "action=\"/import/run\"")) << shown->body;
  }
  EXPECT_EQ(fake_->calls, calls);
  fake_->import_status = absl::PermissionDeniedError("not allowed");
  posted = PostImportFileOnly(absl::StrCat(ImportCsvHeader(), ImportCsvRow(1)));
  ASSERT_EQ(posted->status, 303) << posted->body;
  const int after = fake_->calls;
  auto shown = Get(posted->get_header_value("Location"));
  EXPECT_EQ(shown->status, 400);
  EXPECT_TRUE(absl::StrContains(shown->body, "not allowed")) << shown->body;
  EXPECT_EQ(Get(posted->get_header_value("Location"))->status, 400);
  EXPECT_EQ(fake_->calls, after);
}

// A vetting check or a key rotation the registry refused was answered by its POST, so back and
// reload sent it again: another audited check, counted against the employer's limit, or another
// rotation. The refusal is answered by a redirect to a page the session holds, the form shown
// again as sent, and a reload asks the registry nothing.
TEST_F(ConsoleTest, ARefusedVettingCheckOrRotationIsAnsweredByARedirectAndAReloadSendsNothing) {
  StartSignedIn(v1::ROLE_VETTING);
  fake_->vetting_status = absl::InvalidArgumentError("birth_date: must be a real date");
  auto refused = Post("/vetting", {{"surname", "Hoxha"}, {"birth-date", "1990-02-30"}});
  ASSERT_TRUE(refused);
  ASSERT_EQ(refused->status, 303) << refused->body;
  const std::string location = refused->get_header_value("Location");
  EXPECT_TRUE(std::regex_match(location, std::regex("/vetting/refused/[0-9a-f]{32}"))) << location;
  const int calls = fake_->calls;
  for (int reload = 0; reload < 2; ++reload) {
    auto shown = Get(location);
    EXPECT_EQ(shown->status, 400);
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "birth-date"), "id=\"birth-date-error\""))
        << shown->body;
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "surname"), "value=\"Hoxha\""));
  }
  EXPECT_EQ(fake_->calls, calls);
  console_->Stop();

  StartSignedIn(v1::ROLE_ADMIN);
  fake_->rotate_status = absl::PermissionDeniedError("not allowed");
  refused = Post("/admin/rotate-keys", {{"confirm", "ROTATE"}});
  ASSERT_EQ(refused->status, 303) << refused->body;
  const std::string rotation = refused->get_header_value("Location");
  EXPECT_TRUE(std::regex_match(rotation, std::regex("/admin/rotate-keys/refused/[0-9a-f]{32}")))
      << rotation;
  const int before = fake_->calls;
  for (int reload = 0; reload < 2; ++reload) {
    auto shown = Get(rotation);
    EXPECT_EQ(shown->status, 400);
    EXPECT_TRUE(absl::StrContains(shown->body, "not allowed")) << shown->body;
  }
  EXPECT_EQ(fake_->calls, before);
}

// Any /vetting/results/<32 hex> this session never checked (another session's, one made up) said
// that its result "was shown once". Only the address this session's check was answered with says
// so; any other is not found.
TEST_F(ConsoleTest, AVettingResultThisSessionNeverCheckedIsNotFoundNotShownOnce) {
  StartSignedIn(v1::ROLE_VETTING);
  const Catalogs& catalogs = Catalogs::Embedded();
  auto made_up = Get("/vetting/results/00000000000000000000000000000000");
  ASSERT_TRUE(made_up);
  EXPECT_EQ(made_up->status, 404);
  EXPECT_TRUE(absl::StrContains(made_up->body,
                                Escape(catalogs.Text("sq", "vetting.result_unknown"))))
      << made_up->body;
  EXPECT_FALSE(absl::StrContains(made_up->body,
                                 Escape(catalogs.Text("sq", "vetting.result_shown"))));
}

// The English audit log named an employer's events "Employer (vetting) (vetting)": the role's
// name held its code, which the page adds beside it.
TEST_F(ConsoleTest, TheAuditLogNamesAnEmployersRoleWithItsCodeOnce) {
  StartSignedIn(v1::ROLE_AUDITOR);
  LogOneEvent(v1::ROLE_VETTING, "/registry.v1.VettingService/VettingCheck");
  for (const char* language : {"en", "sq", "sr"}) {
    ASSERT_EQ(Post("/language", {{"lang", language}, {"back", "/"}})->status, 303);
    const std::string body = Get("/audit/events/5")->body;
    EXPECT_TRUE(absl::StrContains(body, "(<code>vetting</code>)")) << body;
    EXPECT_FALSE(absl::StrContains(body, ") (<code>vetting</code>)")) << language << body;
  }
}

// A refused search, court's read or record form was answered by the POST's own page: reloading
// it sent the form again, one more audited call in the official's name each time (refused
// vetting checks, expungings and rotations already redirected). Each is now answered by a
// redirect to a page of the session's that shows the refusal and the form as typed (nothing typed
// in its address); a reload of it asks the registry nothing.
TEST_F(ConsoleTest, ARefusedSearchCourtReadOrRecordFormIsAnsweredByARedirectAndAReloadAsksNothing) {
  StartSignedIn(v1::ROLE_COURT);
  fake_->search_status = absl::InvalidArgumentError("name.birth_date: must be a real date");
  auto refused = Post("/search", {{"case_ref", "PKR 1/2026"},
                                  {"purpose", "sentencing"},
                                  {"surname", "Hoxha"},
                                  {"given-name", "Ana"},
                                  {"birth-date", "1990-02-30"}});
  ASSERT_TRUE(refused);
  ASSERT_EQ(refused->status, 303) << refused->body;
  const std::string search = refused->get_header_value("Location");
  EXPECT_TRUE(std::regex_match(search, std::regex("/search/refused/[0-9a-f]{32}"))) << search;
  int calls = fake_->calls;
  for (int reload = 0; reload < 2; ++reload) {
    auto shown = Get(search);
    ASSERT_TRUE(shown);
    EXPECT_EQ(shown->status, 400);
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "birth-date"), "birth-date-error"))
        << shown->body;
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "surname"), "value=\"Hoxha\""));
    EXPECT_TRUE(absl::StrContains(shown->body, "<form method=\"post\" action=\"/search\""));
  }
  EXPECT_EQ(fake_->calls, calls) << "a reload searched again";

  fake_->record_status = absl::NotFoundError("no record with this id");
  const std::string record = absl::StrCat("/records/", kRecordId);
  for (const std::string& path : {record, record + "/history"}) {
    refused = Post(path, {{"case_ref", "PKR 1/2026"}, {"purpose", "sentencing"}});
    ASSERT_TRUE(refused);
    ASSERT_EQ(refused->status, 303) << path << refused->body;
    const std::string read = refused->get_header_value("Location");
    EXPECT_TRUE(std::regex_match(read, std::regex(path + "/refused/[0-9a-f]{32}"))) << read;
    calls = fake_->calls;
    for (int reload = 0; reload < 2; ++reload) {
      auto shown = Get(read);
      ASSERT_TRUE(shown);
      EXPECT_EQ(shown->status, 400);
      EXPECT_TRUE(absl::StrContains(shown->body, "no record with this id")) << shown->body;
      EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "case_ref"), "value=\"PKR 1/2026\""));
      EXPECT_TRUE(absl::StrContains(
          shown->body, PostForm(path)));
    }
    EXPECT_EQ(fake_->calls, calls) << path << ": a reload read again";
  }
  console_->Stop();

  StartSignedIn(v1::ROLE_CLERK);
  fake_->create_status = absl::InvalidArgumentError("person.birth_date: must be a real date");
  refused = Post("/records/new", {{"surname", "Krasniqi"}, {"birth-date", "1990-02-30"}});
  ASSERT_TRUE(refused);
  ASSERT_EQ(refused->status, 303) << refused->body;
  const std::string form = refused->get_header_value("Location");
  EXPECT_TRUE(std::regex_match(form, std::regex("/records/new/refused/[0-9a-f]{32}"))) << form;
  calls = fake_->calls;
  for (int reload = 0; reload < 2; ++reload) {
    auto shown = Get(form);
    ASSERT_TRUE(shown);
    EXPECT_EQ(shown->status, 400);
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "birth-date"), "birth-date-error"))
        << shown->body;
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "surname"), "value=\"Krasniqi\""));
  }
  EXPECT_EQ(fake_->calls, calls) << "a reload sent the record again";

  // A dispute and a resolution alike (the fake refuses both).
  for (const std::string action : {"dispute", "resolve"}) {
    const std::string path = absl::StrCat("/records/", kRecordId, "/", action);
    refused = Post(path, {{"reason", "wrong court"}});
    ASSERT_TRUE(refused);
    ASSERT_EQ(refused->status, 303) << action << refused->body;
    const std::string status = refused->get_header_value("Location");
    EXPECT_TRUE(std::regex_match(status, std::regex(path + "/refused/[0-9a-f]{32}"))) << status;
    calls = fake_->calls;
    for (int reload = 0; reload < 2; ++reload) {
      auto shown = Get(status);
      ASSERT_TRUE(shown);
      EXPECT_NE(shown->status, 200);
      EXPECT_TRUE(absl::StrContains(shown->body, ">wrong court</textarea>")) << shown->body;
      EXPECT_TRUE(absl::StrContains(
          shown->body, PostForm(path)));
    }
    EXPECT_EQ(fake_->calls, calls) << action << ": a reload sent it again";
  }
}

// A refused correction (the record changed meanwhile, a field refused), an export, a backup and
// a data check were answered by their POST, so a reload or the back button sent the form again:
// one more audited call in the official's name each time. Each is answered by a redirect to a
// page that shows the refusal and the form as typed, and asks the registry nothing when reloaded.
TEST_F(ConsoleTest, ARefusedCorrectionExportOrBackupIsAnsweredByARedirectAndAReloadAsksNothing) {
  StartSignedIn(v1::ROLE_CLERK);
  const std::string amend = absl::StrCat("/records/", kRecordId, "/amend");
  for (const auto& [refusal, said] : std::vector<std::pair<absl::Status, std::string>>{
           {absl::AbortedError("expected_version 1, the record is at version 2"),
            "id=\"reread\""},
           {absl::InvalidArgumentError("person.birth_date: must be a real date"),
            "id=\"birth-date-error\""}}) {
    fake_->amend_status = refusal;
    auto refused = Post(amend, {{"version", "1"},
                                {"surname", "Krasniqi-Gashi"},
                                {"reason", "court notice 12/2024"}});
    ASSERT_TRUE(refused);
    ASSERT_EQ(refused->status, 303) << said << refused->body;
    const std::string page = refused->get_header_value("Location");
    EXPECT_TRUE(std::regex_match(page, std::regex(amend + "/refused/[0-9a-f]{32}"))) << page;
    const int calls = fake_->calls;
    for (int reload = 0; reload < 2; ++reload) {
      auto shown = Get(page);
      ASSERT_TRUE(shown);
      EXPECT_EQ(shown->status, 400);
      EXPECT_TRUE(absl::StrContains(shown->body, said)) << shown->body;
      EXPECT_TRUE(
          absl::StrContains(FieldGroup(shown->body, "surname"), "value=\"Krasniqi-Gashi\""));
      EXPECT_TRUE(absl::StrContains(shown->body, ">court notice 12/2024</textarea>"));
      EXPECT_TRUE(absl::StrContains(shown->body,
                                    "<input type=\"hidden\" name=\"version\" value=\"1\">"));
      EXPECT_TRUE(absl::StrContains(
          shown->body, absl::StrCat("<form method=\"post\" action=\"", amend, "\"")));
    }
    EXPECT_EQ(fake_->calls, calls) << said << ": a reload sent the correction again";
  }
  console_->Stop();

  StartSignedIn(v1::ROLE_AUDITOR);
  fake_->export_status = absl::InvalidArgumentError(
      "recipient: 1..64 ASCII letters, digits, spaces or /-.:_, with a letter or digit");
  auto refused = Post("/audit/export", {{"recipient", "a;b"}, {"reference", "R 1"}});
  ASSERT_TRUE(refused);
  ASSERT_EQ(refused->status, 303) << refused->body;
  const std::string exported = refused->get_header_value("Location");
  EXPECT_TRUE(std::regex_match(exported, std::regex("/audit/export/refused/[0-9a-f]{32}")))
      << exported;
  int calls = fake_->calls;
  for (int reload = 0; reload < 2; ++reload) {
    auto shown = Get(exported);
    ASSERT_TRUE(shown);
    EXPECT_EQ(shown->status, 400);
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "recipient"), "id=\"recipient-error\""))
        << shown->body;
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "recipient"), "value=\"a;b\""));
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "reference"), "value=\"R 1\""));
    EXPECT_TRUE(
        absl::StrContains(shown->body, PostForm("/audit/export")));
  }
  EXPECT_EQ(fake_->calls, calls) << "a reload exported again";
  console_->Stop();

  StartSignedIn(v1::ROLE_ADMIN);
  fake_->backup_status = absl::PermissionDeniedError("backups are switched off");
  fake_->data_check_status = absl::FailedPreconditionError("a data check is running");
  for (const auto& [path, said] : std::vector<std::pair<std::string, std::string>>{
           {"/admin/backup", "backups are switched off"},
           {"/admin/verify-data", "a data check is running"}}) {
    refused = Post(path, {});
    ASSERT_TRUE(refused);
    ASSERT_EQ(refused->status, 303) << path << refused->body;
    const std::string page = refused->get_header_value("Location");
    EXPECT_TRUE(std::regex_match(page, std::regex(path + "/refused/[0-9a-f]{32}"))) << page;
    calls = fake_->calls;
    for (int reload = 0; reload < 2; ++reload) {
      auto shown = Get(page);
      ASSERT_TRUE(shown);
      EXPECT_GE(shown->status, 400) << path;
      EXPECT_TRUE(absl::StrContains(shown->body, said)) << shown->body;
      EXPECT_TRUE(absl::StrContains(
          shown->body, PostForm(path)));
    }
    EXPECT_EQ(fake_->calls, calls) << path << ": a reload asked the registry again";
  }
}

// An id to open a record that is none, an import file the console could not read, a court's read
// posted with no case reference, and the record's read refused to an expunging were answered by
// the POST's own page: a reload sent the form (the file, the personal number typed by mistake)
// again, and the expunging's read again, audited. Each is answered by a redirect to a page of the
// session's at a random id that shows the refusal and the form as typed; a reload of it sends
// nothing, and another session does not find it.
TEST_F(ConsoleTest,
       ARefusedRecordIdImportFilePurposeOrExpungeReadIsAnsweredByARedirectAndAReloadSendsNothing) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  const std::string typed = "1234567890";
  int calls = fake_->calls;
  auto posted = Post("/records/open", {{"id", typed}});
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 303) << posted->body;
  const std::string opened = posted->get_header_value("Location");
  EXPECT_TRUE(std::regex_match(opened, std::regex("/records/open/refused/[0-9a-f]{32}")))
      << opened;
  for (int reload = 0; reload < 2; ++reload) {
    auto shown = Get(opened);
    ASSERT_TRUE(shown);
    EXPECT_EQ(shown->status, 400);
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "id"),
                                  absl::StrCat("value=\"", typed, "\"")))
        << shown->body;
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "id"), "id=\"id-error\""));
    EXPECT_TRUE(absl::StrContains(shown->body, "action=\"/records/open\""));
    ExpectInNoAddress(shown, typed, "the refused id's page");
  }
  // An id of a record's shape goes on to the record's page; the POST itself asks nothing.
  posted = Post("/records/open", {{"id", "87c3d67c33376237068b615cff15e473"}});
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 303);
  EXPECT_EQ(posted->get_header_value("Location"), "/records/87c3d67c33376237068b615cff15e473");
  EXPECT_EQ(fake_->calls, calls) << "a refused id, or its reload, asked the registry";

  // A file the console cannot read, or of a type it does not read: the registry is not asked.
  for (const auto& [name, key] : std::vector<std::pair<std::string, std::string>>{
           {"records.csv", "import.unreadable"}, {"records.txt", "import.bad_type"}}) {
    httplib::MultipartFormDataItems upload = {{"csrf", csrf_, "", ""},
                                              {"file", "hello,world\n1,2\n", name, "text/csv"}};
    auto file = client_->Post("/import", {{"Cookie", cookie_}}, upload);
    ASSERT_TRUE(file);
    ASSERT_EQ(file->status, 303) << name << file->body;
    const std::string refused = file->get_header_value("Location");
    EXPECT_TRUE(std::regex_match(refused, std::regex("/import/refused/[0-9a-f]{32}"))) << refused;
    for (int reload = 0; reload < 2; ++reload) {
      auto shown = Get(refused);
      ASSERT_TRUE(shown);
      EXPECT_EQ(shown->status, 400) << name;
      EXPECT_TRUE(absl::StrContains(shown->body, Escape(catalogs.Text("sq", key))))
          << shown->body;
      EXPECT_TRUE(absl::StrContains(shown->body, "action=\"/import\"")) << shown->body;
    }
  }
  EXPECT_EQ(fake_->calls, calls) << "a file refused here, or its reload, asked the registry";

  // The record's read refused to an expunging: said from the session, not read again.
  const std::string record = absl::StrCat("/records/", kRecordId);
  fake_->record_status = absl::NotFoundError("no such record");
  posted = Post(record + "/expunge", {{"legal_basis", "KP 103"}, {"confirm", "P 1/2024"}});
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 303) << posted->body;
  const std::string expunge = posted->get_header_value("Location");
  EXPECT_TRUE(std::regex_match(expunge, std::regex(record + "/expunge/refused/[0-9a-f]{32}")))
      << expunge;
  calls = fake_->calls;
  for (int reload = 0; reload < 2; ++reload) {
    auto shown = Get(expunge);
    ASSERT_TRUE(shown);
    EXPECT_EQ(shown->status, 404);
    EXPECT_TRUE(absl::StrContains(shown->body, "no such record")) << shown->body;
  }
  EXPECT_EQ(fake_->calls, calls) << "a reload read the record again";
  // Another session finds none of them.
  SignIn();
  EXPECT_EQ(Get(opened)->status, 404);
  EXPECT_EQ(Get(expunge)->status, 404);
  console_->Stop();

  // A court's read posted with its case reference left empty: nothing is read, then or at a
  // reload of the form that says so.
  Start(v1::ROLE_COURT);
  fake_->who.add_purpose_codes("criminal_proceedings");
  SignIn();
  calls = fake_->calls;
  const std::string required = Escape(catalogs.Text("sq", "rule.required"));
  for (const std::string& path : {record, record + "/history"}) {
    posted = Post(path, {{"case_ref", " "}, {"purpose", "criminal_proceedings"}});
    ASSERT_TRUE(posted);
    ASSERT_EQ(posted->status, 303) << path << posted->body;
    const std::string read = posted->get_header_value("Location");
    EXPECT_TRUE(std::regex_match(read, std::regex(path + "/refused/[0-9a-f]{32}"))) << read;
    for (int reload = 0; reload < 2; ++reload) {
      auto shown = Get(read);
      ASSERT_TRUE(shown);
      EXPECT_EQ(shown->status, 400);
      EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "case_ref"), required))
          << shown->body;
      EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "purpose"),
                                    "value=\"criminal_proceedings\" selected"));
      EXPECT_TRUE(absl::StrContains(shown->body, PostForm(path)));
    }
  }
  EXPECT_EQ(fake_->calls, calls) << "read without a case reference";
}

// The auditor's filter and export, refused by the console's own checks (a date that is none, a
// record id that is a personal number), and a key rotation whose confirmation word was typed
// wrong, were answered by the POST's own page: a reload sent the form again, with the actor or
// the recipient typed. Each is answered by a redirect to a page of the session's at a random id
// that shows the form as sent, each problem beside its field; a reload of it sends nothing.
TEST_F(ConsoleTest,
       ARefusedAuditFilterExportOrRotationWordIsAnsweredByARedirectAndAReloadSendsNothing) {
  StartSignedIn(v1::ROLE_AUDITOR);
  const std::string actor = "ana.krasniqi";
  int calls = fake_->calls;
  auto posted = Post("/audit", {{"actor", actor}, {"from", "2026-13-45"}});
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 303) << posted->body;
  const std::string filter = posted->get_header_value("Location");
  EXPECT_TRUE(std::regex_match(filter, std::regex("/audit/refused/[0-9a-f]{32}"))) << filter;
  for (int reload = 0; reload < 2; ++reload) {
    auto shown = Get(filter);
    ASSERT_TRUE(shown);
    EXPECT_EQ(shown->status, 400);
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "from"), "id=\"from-error\""))
        << shown->body;
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "from"), "value=\"2026-13-45\""));
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "actor"),
                                  absl::StrCat("value=\"", actor, "\"")));
    EXPECT_TRUE(absl::StrContains(shown->body, PostForm("/audit")));
    ExpectInNoAddress(shown, actor, "the refused filter's page");
    EXPECT_EQ(Field(LanguageForm(shown->body), "back"), filter);
  }
  EXPECT_EQ(fake_->calls, calls) << "a filter refused here, or its reload, read events";

  posted = Post("/audit/export", {{"recipient", "Prokuroria Themelore"},
                                  {"reference", "R 1"},
                                  {"record_id", "1234567890"}});
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 303) << posted->body;
  const std::string exported = posted->get_header_value("Location");
  EXPECT_TRUE(std::regex_match(exported, std::regex("/audit/export/refused/[0-9a-f]{32}")))
      << exported;
  for (int reload = 0; reload < 2; ++reload) {
    auto shown = Get(exported);
    ASSERT_TRUE(shown);
    EXPECT_EQ(shown->status, 400);
    EXPECT_TRUE(
        absl::StrContains(FieldGroup(shown->body, "record_id"), "id=\"record_id-error\""))
        << shown->body;
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "recipient"),
                                  "value=\"Prokuroria Themelore\""));
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "reference"), "value=\"R 1\""));
    EXPECT_TRUE(absl::StrContains(shown->body, PostForm("/audit/export")));
    ExpectInNoAddress(shown, "1234567890", "the refused export's page");
  }
  EXPECT_EQ(fake_->calls, calls) << "an export refused here, or its reload, exported";
  console_->Stop();

  StartSignedIn(v1::ROLE_ADMIN);
  calls = fake_->calls;
  const int changes = fake_->changes;
  posted = Post("/admin/rotate-keys", {{"confirm", "rotate"}});
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 303) << posted->body;
  const std::string rotation = posted->get_header_value("Location");
  EXPECT_TRUE(std::regex_match(rotation, std::regex("/admin/rotate-keys/refused/[0-9a-f]{32}")))
      << rotation;
  for (int reload = 0; reload < 2; ++reload) {
    auto shown = Get(rotation);
    ASSERT_TRUE(shown);
    EXPECT_EQ(shown->status, 400);
    EXPECT_TRUE(absl::StrContains(FieldGroup(shown->body, "confirm"), "id=\"confirm-error\""))
        << shown->body;
    EXPECT_TRUE(absl::StrContains(shown->body, PostForm("/admin/rotate-keys")));
  }
  EXPECT_EQ(fake_->calls, calls) << "a word typed wrong, or its reload, asked the registry";
  EXPECT_EQ(fake_->changes, changes);
}

// The words a catalog message of `language` says with `time` in its {time} (escaped, as a page
// shows them).
std::string WithTime(absl::string_view language, absl::string_view key, const std::string& time) {
  return Escape(absl::StrReplaceAll(Catalogs::Embedded().Text(language, key), {{"{time}", time}}));
}

// The console's clock as a kept page says it ("14:05:09", UTC).
std::string ClockTime(absl::Time time) {
  return absl::FormatTime("%H:%M:%S", time, absl::UTCTimeZone());
}

// A court's history kept in the session said "Dates now in force" minutes after the read. A kept
// history says them as of its read, with the read's time.
TEST_F(ConsoleTest, AKeptHistorySaysTheDatesInForceAsOfItsReadNeverNow) {
  StartCourtWithARecord();
  v1::DatesInForce* dates = fake_->history.mutable_dates_in_force();
  dates->set_employer_visible_until("2036-09-30");
  dates->set_delete_after("2046-09-30");
  dates->set_extended_by_another_conviction(true);
  const Catalogs& catalogs = Catalogs::Embedded();
  const std::string now_text = catalogs.Text("sq", "record.history.dates_in_force");
  const std::string now_words = Escape(now_text.substr(0, now_text.find('{')));
  const std::string at_text = catalogs.Text("sq", "record.history.dates_in_force_at");
  const absl::Time before = console_->Now();
  auto read = Post(RecordPage() + "/history", CourtPurpose());
  const absl::Time after = console_->Now();
  ASSERT_TRUE(read);
  ASSERT_EQ(read->status, 303) << read->body;
  AdvanceClock(absl::Minutes(3));
  auto shown = Get(read->get_header_value("Location"));
  ASSERT_TRUE(shown);
  ASSERT_EQ(shown->status, 200) << shown->body;
  const size_t at = shown->body.find("<p id=\"dates-in-force\">");
  ASSERT_NE(at, std::string::npos) << shown->body;
  const std::string paragraph = shown->body.substr(at, shown->body.find("</p>", at) - at);
  EXPECT_FALSE(absl::StrContains(paragraph, now_words)) << paragraph;
  bool said = false;
  for (const absl::Time t : {before, after}) {
    const std::string words = Escape(absl::StrReplaceAll(
        at_text.substr(0, at_text.find("{visible_until}")), {{"{time}", ClockTime(t)}}));
    said |= absl::StrContains(paragraph, words);
  }
  EXPECT_TRUE(said) << paragraph;
  EXPECT_TRUE(absl::StrContains(paragraph, "2036-09-30")) << paragraph;
}

// A court's read kept in the session (so that a reload makes no audited read again) was shown
// under "The record as the registry holds it now", with no time, after the record was resolved,
// corrected or expunged: a court saw a disputed record as disputed, an erased one as held. A kept
// read says when the registry answered, never "now", and offers a form that reads it again (a new
// audited read, with the same case reference and purpose), which reading the page does not send.
TEST_F(ConsoleTest, AKeptCourtReadSaysWhenItWasReadNeverNowAndOffersToReadItAgain) {
  StartCourtWithARecord();
  const std::string record = RecordPage();
  const httplib::Params purpose = CourtPurpose();
  const std::string now_caption = Escape(Catalogs::Embedded().Text("sq", "record.view.caption"));
  for (const std::string& path : {record, record + "/history"}) {
    const absl::Time before = console_->Now();
    auto read = Post(path, purpose);
    const absl::Time after = console_->Now();
    ASSERT_TRUE(read);
    ASSERT_EQ(read->status, 303) << read->body;
    const int calls = fake_->calls;
    AdvanceClock(absl::Minutes(3));
    for (int reload = 0; reload < 2; ++reload) {
      auto shown = Get(read->get_header_value("Location"));
      ASSERT_TRUE(shown);
      EXPECT_EQ(shown->status, 200) << path;
      EXPECT_TRUE(absl::StrContains(shown->body, "Gashi")) << shown->body;
      EXPECT_FALSE(absl::StrContains(shown->body, now_caption)) << path << "\n" << shown->body;
      // The time of the read, not of the page's showing (three minutes later).
      bool said = false;
      for (const absl::Time at : {before, after}) {
        const bool notice =
            absl::StrContains(shown->body, WithTime("sq", "record.read_at", ClockTime(at)));
        const bool caption =
            path != record ||
            absl::StrContains(shown->body, absl::StrCat("<caption>",
                                                        WithTime("sq", "record.view.caption_at",
                                                                 ClockTime(at))));
        said |= notice && caption;
      }
      EXPECT_TRUE(said) << path << "\n" << shown->body;
      // Read again: a form that posts the read's purpose to the read's own address.
      const size_t notice = shown->body.find("id=\"read-at\"");
      ASSERT_NE(notice, std::string::npos) << shown->body;
      const std::string again =
          shown->body.substr(notice, shown->body.find("</div>", notice) - notice);
      EXPECT_TRUE(absl::StrContains(
          again, absl::StrCat("<form class=\"open\" method=\"post\" action=\"", path,
                              "\" autocomplete=\"off\">")))
          << again;
      EXPECT_TRUE(absl::StrContains(
          again, "<input type=\"hidden\" name=\"case_ref\" value=\"PKR 77/2026\">"))
          << again;
      EXPECT_TRUE(absl::StrContains(again, Escape(Catalogs::Embedded().Text("sq",
                                                                            "record.read_again"))))
          << again;
    }
    EXPECT_EQ(fake_->calls, calls) << path << ": showing the kept read read again";
    // Sent, it reads again.
    auto reread = Post(path, purpose);
    ASSERT_EQ(reread->status, 303);
    EXPECT_EQ(fake_->calls, calls + 1);
  }
  // A clerk's own read is made for its page: "now" is what it says.
  SignInAs(v1::ROLE_CLERK);
  auto clerk = Get(record);
  EXPECT_TRUE(absl::StrContains(clerk->body, now_caption)) << clerk->body;
  EXPECT_FALSE(absl::StrContains(clerk->body, "id=\"read-at\"")) << clerk->body;
}

// A search's results, a court's read and a refused form were kept until the session ended (eight
// idle hours): the person's name, number and case stayed on an open console and in its memory.
// They are kept for ten minutes; after that their address says they are no longer held, offers
// the read's form again, and reads nothing, however often it is reloaded.
TEST_F(ConsoleTest, AKeptReadSearchOrFormIsForgottenAfterTenMinutesAndItsAddressReadsNothing) {
  StartSignedIn(v1::ROLE_COURT);
  fake_->record.mutable_person()->set_surname("Gashi");
  fake_->search.add_records()->CopyFrom(fake_->record);
  const std::string record = absl::StrCat("/records/", kRecordId);
  const httplib::Params purpose = {{"case_ref", "PKR 77/2026"}, {"purpose", "sentencing"}};
  auto read = Post(record, purpose);
  ASSERT_EQ(read->status, 303);
  auto searched = Post("/search", {{"personal-number", "1234567890"},
                                   {"case_ref", "PKR 77/2026"}, {"purpose", "sentencing"}});
  ASSERT_EQ(searched->status, 303);
  fake_->search_status = absl::InvalidArgumentError("personal_number: not a personal number");
  auto refused = Post("/search", {{"personal-number", "1234567891"},
                                  {"case_ref", "PKR 77/2026"}, {"purpose", "sentencing"}});
  ASSERT_EQ(refused->status, 303);
  const std::vector<std::string> pages = {read->get_header_value("Location"),
                                          searched->get_header_value("Location"),
                                          refused->get_header_value("Location")};
  const int calls = fake_->calls;
  AdvanceClock(kKeptAnswerLife - absl::Minutes(1));
  for (const std::string& page : pages) {
    auto shown = Get(page);
    ASSERT_TRUE(shown);
    EXPECT_NE(shown->status, 404) << page << ": kept for ten minutes";
  }
  AdvanceClock(absl::Minutes(2));
  for (const std::string& page : pages) {
    for (int reload = 0; reload < 2; ++reload) {
      auto shown = Get(page);
      ASSERT_TRUE(shown);
      EXPECT_EQ(shown->status, 404) << page;
      for (const char* personal : {"Gashi", "1234567890", "1234567891", "P 1/2024"}) {
        EXPECT_FALSE(absl::StrContains(shown->body, personal)) << page << "\n" << shown->body;
      }
    }
  }
  EXPECT_EQ(fake_->calls, calls) << "an expired page asked the registry";
  // The read's address says it is no longer held, above the form that reads it again.
  auto gone = Get(pages[0]);
  EXPECT_TRUE(absl::StrContains(gone->body,
                                Escape(Catalogs::Embedded().Text("sq", "record.read_gone"))))
      << gone->body;
  EXPECT_TRUE(absl::StrContains(
      gone->body, PostForm(record)))
      << gone->body;
  EXPECT_EQ(fake_->calls, calls);
}

// A vetting check's answer and certificate, the security officer's data check, the auditor's
// filter by actor and a clerk's checked import file stayed in the session until it ended (eight
// idle hours): a candidate's name and number, an official's identity, a file of convictions, on
// an open console and in its memory. Each is kept for ten minutes, as a court's read is; after
// that its address says, in the session's language, that it is no longer held and how to ask
// again, shows nothing of it, and asks the registry nothing, however often it is reloaded.
TEST_F(ConsoleTest, AKeptVettingAnswerDataCheckAuditFilterOrImportIsForgottenAfterTenMinutes) {
  const Catalogs& catalogs = Catalogs::Embedded();
  // `pages` are kept now; within ten minutes each is still shown, after them each answers
  // `status` with the catalog's `gone` words of every language and nothing of `hidden`, and no
  // page asks the registry anything.
  struct Gone {
    std::string page;
    int status;
    std::string gone;
  };
  const auto expect_forgotten = [&](const std::vector<Gone>& pages,
                                    const std::vector<std::string>& hidden,
                                    const std::string& within) {
    AdvanceClock(kKeptAnswerLife - absl::Minutes(1));
    auto shown = Get(within);
    ASSERT_TRUE(shown);
    EXPECT_EQ(shown->status, 200) << within << ": kept for ten minutes\n" << shown->body;
    AdvanceClock(absl::Minutes(2));
    const int calls = fake_->calls;
    for (const char* language : {"sq", "en", "sr"}) {
      ASSERT_EQ(Post("/language", {{"lang", language}, {"back", "/"}})->status, 303);
      for (const Gone& gone : pages) {
        for (int reload = 0; reload < 2; ++reload) {
          auto page = Get(gone.page);
          ASSERT_TRUE(page);
          EXPECT_EQ(page->status, gone.status) << gone.page << "\n" << page->body;
          EXPECT_TRUE(absl::StrContains(page->body, Escape(catalogs.Text(language, gone.gone))))
              << language << " " << gone.page << "\n" << page->body;
          for (const std::string& personal : hidden) {
            EXPECT_FALSE(absl::StrContains(page->body, personal)) << gone.page << "\n"
                                                                  << page->body;
          }
        }
      }
    }
    EXPECT_EQ(fake_->calls, calls) << "a forgotten page asked the registry";
  };

  // An employer's check: its answer (never shown) and its certificate.
  StartSignedIn(v1::ROLE_VETTING);
  const std::string number = "1234567890";
  fake_->vetting.set_result(v1::VETTING_RESULT_NOT_CLEAR);
  fake_->vetting.set_check_id(kRecordId);
  v1::VettingCertificate* certificate = fake_->vetting.mutable_certificate()->mutable_certificate();
  certificate->set_personal_number(number);
  certificate->set_surname("Krasniqi");
  auto checked = Post("/vetting", {{"personal-number", number}, {"surname", "Krasniqi"},
                                   {"consent_ref", "C 1"}});
  ASSERT_EQ(checked->status, 303);
  fake_->vetting.set_check_id(std::string(32, 'b'));
  auto unseen = Post("/vetting", {{"personal-number", number}, {"surname", "Krasniqi"},
                                  {"consent_ref", "C 1"}});
  ASSERT_EQ(unseen->status, 303);
  ASSERT_EQ(Get(checked->get_header_value("Location"))->status, 200);
  const std::string certificate_page = absl::StrCat("/vetting/certificates/", kRecordId);
  expect_forgotten({{unseen->get_header_value("Location"), 404, "vetting.result_unknown"},
                    {checked->get_header_value("Location"), 404, "vetting.result_unknown"},
                    {certificate_page, 404, "vetting.unknown"},
                    {certificate_page + ".json", 404, "vetting.unknown"}},
                   {number, "Krasniqi", "NOT_CLEAR"}, certificate_page);
  console_->Stop();

  // The security officer's data check, not yet shown; another, shown at once.
  StartSignedIn(v1::ROLE_ADMIN);
  fake_->data_check.set_records(4242);
  auto data = Post("/admin/verify-data", {});
  ASSERT_EQ(data->status, 303);
  auto shown_data = Post("/admin/verify-data", {});
  ASSERT_EQ(shown_data->status, 303);
  ASSERT_EQ(Get(shown_data->get_header_value("Location"))->status, 200);
  expect_forgotten({{data->get_header_value("Location"), 404, "admin.check.unknown"},
                    {shown_data->get_header_value("Location"), 404, "admin.check.unknown"}},
                   {"4242", "id=\"check-result\""}, "/admin");
  console_->Stop();

  // The auditor's filter by actor: its list is read again within the ten minutes, not after.
  StartSignedIn(v1::ROLE_AUDITOR);
  const std::string actor = "ana.krasniqi";
  auto filtered = Post("/audit", {{"actor", actor}, {"from", "2026-01-01"}});
  ASSERT_EQ(filtered->status, 303);
  const std::string events = filtered->get_header_value("Location");
  expect_forgotten({{events, 404, "audit.filter_gone"}}, {actor}, events);
  console_->Stop();

  // A clerk's file, checked and not yet imported: its page, and its import.
  StartSignedIn(v1::ROLE_CLERK);
  EveryLineValid(2, 2);
  auto file = PostImportFileOnly(absl::StrCat(ImportCsvHeader(), ImportCsvRow(1)));
  ASSERT_EQ(file->status, 303) << file->body;
  const std::string check = file->get_header_value("Location");
  expect_forgotten({{check, 404, "import.gone"}}, {"Gashi", "1900000001", "records.csv"}, check);
  const int calls = fake_->calls;
  auto run = Post("/import/run", {{"upload", check.substr(check.rfind('/') + 1)}});
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, 404) << run->body;
  EXPECT_TRUE(absl::StrContains(run->body, Escape(catalogs.Text("sr", "import.gone"))))
      << run->body;
  EXPECT_EQ(fake_->calls, calls) << "a file past its life was imported";
}

// A file's dry run is shown from the session until the import, with what the registry said of
// its rows then: the page says when it checked (never as if now), in each language, and showing
// it again minutes later asks the registry nothing.
TEST_F(ConsoleTest, AKeptImportCheckSaysWhenTheRegistryCheckedTheFileNeverNow) {
  StartSignedIn(v1::ROLE_CLERK);
  EveryLineValid(2, 2);
  const absl::Time before = console_->Now();
  auto file = PostImportFileOnly(absl::StrCat(ImportCsvHeader(), ImportCsvRow(1)));
  const absl::Time after = console_->Now();
  ASSERT_EQ(file->status, 303) << file->body;
  const int calls = fake_->calls;
  AdvanceClock(absl::Minutes(3));
  for (const char* language : {"sq", "en", "sr"}) {
    ASSERT_EQ(Post("/language", {{"lang", language}, {"back", "/"}})->status, 303);
    auto shown = Get(file->get_header_value("Location"));
    ASSERT_EQ(shown->status, 200);
    bool said = false;
    for (const absl::Time at : {before, after}) {
      said |=
          absl::StrContains(shown->body, WithTime(language, "import.checked_at", ClockTime(at)));
    }
    EXPECT_TRUE(said) << language << "\n" << shown->body;
  }
  EXPECT_EQ(fake_->calls, calls);
}

// A clerk's expunging left every kept page of the record as it was: a search's results still
// listed the person, a court's read still showed every version, and the clerk's Back showed the
// refused expunge form naming the person. An expunging through the console forgets, in every
// session it holds, the kept reads, results and forms that name the record, at once; a correction
// or a dispute's resolution forgets the kept reads and results of the record (the next view is a
// fresh read). What names another record stays.
TEST_F(ConsoleTest, ExpungingOrChangingARecordForgetsEverySessionsKeptPagesOfIt) {
  StartCourtWithARecord("1234567890");
  const std::string record = RecordPage();
  const httplib::Params purpose = CourtPurpose();
  const auto kept_reads = [&] {
    std::vector<std::string> pages;
    for (const std::string& path : {record, record + "/history"}) {
      auto read = Post(path, purpose);
      EXPECT_EQ(read->status, 303);
      pages.push_back(read->get_header_value("Location"));
    }
    fake_->search.add_records()->CopyFrom(fake_->record);
    auto listing = Post("/search", {{"personal-number", "1234567890"},
                                    {"case_ref", "PKR 77/2026"}, {"purpose", "sentencing"}});
    EXPECT_EQ(listing->status, 303);
    pages.push_back(listing->get_header_value("Location"));
    fake_->search.clear_records();
    return pages;
  };
  const auto expect_gone = [&](const std::vector<std::string>& pages, const std::string& why) {
    const int calls = fake_->calls;
    for (const std::string& page : pages) {
      auto shown = Get(page);
      ASSERT_TRUE(shown);
      EXPECT_EQ(shown->status, 404) << why << ": " << page;
      for (const char* personal : {"Gashi", "1234567890", "P 1/2024"}) {
        EXPECT_FALSE(absl::StrContains(shown->body, personal)) << why << "\n" << shown->body;
      }
    }
    EXPECT_EQ(fake_->calls, calls) << why << ": a forgotten page asked the registry";
  };

  // A dispute resolved by a clerk of this console.
  std::vector<std::string> court_pages = kept_reads();
  const std::string court = cookie_;
  const std::string court_csrf = csrf_;
  // Back to the court's session, once the console's identity is a court's again.
  const auto as_court = [&] {
    SignInAs(v1::ROLE_COURT);
    cookie_ = court;
    csrf_ = court_csrf;
  };
  SignInAs(v1::ROLE_CLERK);
  fake_->status_change_status = absl::OkStatus();
  ASSERT_EQ(Post(record + "/resolve", {{"reason", "The court's ruling of 3 May"}})->status, 303);
  as_court();
  expect_gone(court_pages, "resolved");

  // A correction (the former surname kept as an alias: it removes no name).
  court_pages = kept_reads();
  SignInAs(v1::ROLE_CLERK);
  fake_->amend_status = absl::OkStatus();
  ASSERT_EQ(Post(record + "/amend", {{"surname", "Gashi-Krasniqi"}, {"alias", "Gashi"},
                                     {"version", "1"}, {"reason", "r"}})
                ->status,
            303);
  as_court();
  expect_gone(court_pages, "corrected");

  // An expunging, by another clerk's session than the one whose refused form names the record.
  court_pages = kept_reads();
  auto unrelated = Post("/search", {{"personal-number", "9999999999"},
                                    {"case_ref", "PKR 77/2026"}, {"purpose", "sentencing"}});
  ASSERT_EQ(unrelated->status, 303);
  SignInAs(v1::ROLE_CLERK);
  const std::string clerk = cookie_;
  const std::string clerk_csrf = csrf_;
  fake_->search.add_records()->CopyFrom(fake_->record);
  auto clerk_search = Post("/search", {{"personal-number", "1234567890"}});
  ASSERT_EQ(clerk_search->status, 303);
  auto refused_form =
      Post(record + "/expunge", {{"legal_basis", "KP 103"}, {"confirm", "P 78/2024"}});
  ASSERT_EQ(refused_form->status, 303);
  const std::vector<std::string> clerk_pages = {clerk_search->get_header_value("Location"),
                                                refused_form->get_header_value("Location")};
  for (const std::string& page : clerk_pages) EXPECT_NE(Get(page)->status, 404) << page;
  SignInAs(v1::ROLE_CLERK);
  fake_->expunge_status = absl::OkStatus();
  ASSERT_EQ(Post(record + "/expunge", {{"legal_basis", "KP 103"}, {"confirm", "P 1/2024"}})
                ->status,
            303);
  fake_->record_status = absl::NotFoundError("no such record");
  cookie_ = clerk;
  csrf_ = clerk_csrf;
  expect_gone(clerk_pages, "expunged, the clerk's");
  as_court();
  expect_gone(court_pages, "expunged, the court's");
  // A search that did not list it is still shown.
  EXPECT_EQ(Get(unrelated->get_header_value("Location"))->status, 200);
}

// The record form scrolled sideways below about 634 CSS px (200% zoom): a fieldset is as wide as
// its widest input unless told otherwise, so max-width: 100% did not narrow a 36em input. The
// stylesheet lets fieldsets narrow, and long words break, so that no page scrolls sideways at
// 400 px.
TEST_F(ConsoleTest, TheStylesheetLetsFieldsetsNarrowSoNoFormScrollsSidewaysOnANarrowScreen) {
  Start(v1::ROLE_CLERK);
  auto css = client_->Get("/assets/console.css");
  ASSERT_TRUE(css);
  ASSERT_EQ(css->status, 200);
  EXPECT_TRUE(std::regex_search(css->body, std::regex("(^|\\n)fieldset \\{[^}]*min-width: 0;")))
      << "a fieldset keeps its inputs' width";
  EXPECT_TRUE(std::regex_search(css->body,
                                std::regex("(^|\\n)body \\{[^}]*overflow-wrap: anywhere;")))
      << "a long word widens the page";
  EXPECT_TRUE(std::regex_search(css->body, std::regex("max-width: 100%[^}]*\\}")));
  // The home page's record id field, in an inline (flex) form: a flex item kept its width.
  EXPECT_TRUE(std::regex_search(
      css->body, std::regex("(^|\\n)form\\.inline > \\.field \\{[^}]*min-width: 0;")))
      << "a field of an inline form keeps its input's width";
}

// Each <form>, <input>, <select> and <textarea> of `body` that lacks autocomplete="off" (a
// hidden input aside, which the HTML standard keeps from saying it); `*forms` counts the forms.
std::vector<std::string> AutofilledTags(const std::string& body, int* forms) {
  std::vector<std::string> found;
  static const std::regex tag("<(form|input|select|textarea)( [^>]*)?>");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), tag);
       it != std::sregex_iterator(); ++it) {
    const std::string attributes = (*it)[2].str();
    if ((*it)[1].str() == "form") ++*forms;
    if (absl::StrContains(attributes, " type=\"hidden\"")) continue;
    if (!absl::StrContains(attributes, " autocomplete=\"off\"")) found.push_back(it->str());
  }
  return found;
}

// Back after saving a record showed the New record form with the previous person's sex, court,
// sentence, offences, ban and aliases restored by the browser (only its text inputs said
// autocomplete="off"), and the amend form its old reason. Every form of every page, and every
// control in it, says autocomplete="off": the pages each role opens, and the forms the console
// or the registry refused, shown again with what was typed.
TEST_F(ConsoleTest, EveryFormAndEveryControlOfEveryPageTurnsAutocompleteOff) {
  int forms = 0;
  const auto expect_off = [&](const std::string& where, const std::string& body) {
    for (const std::string& tag : AutofilledTags(body, &forms)) {
      ADD_FAILURE() << where << ": " << tag;
    }
  };
  ForEachPageOfEachRole([&](v1::Role role, const std::string& path, const httplib::Response& page) {
    expect_off(absl::StrCat(v1::Role_Name(role), " ", path), page.body);
  });
  EXPECT_GT(forms, 20);

  StartSignedIn(v1::ROLE_CLERK);
  const std::string record = absl::StrCat("/records/", kRecordId);
  const httplib::Params person = {{"surname", "Krasniqi"}, {"given-name", "Arben"},
                                  {"sex", "male"},         {"alias", "Beni"},
                                  {"offence", "06/L-074:230:0"}, {"ban", "children"},
                                  {"sentence", "imprisonment"},  {"months", "-5"}};
  for (const auto& [path, extra] : std::vector<std::pair<std::string, httplib::Params>>{
           {"/records/new", {}},
           {record + "/amend", {{"version", "1"}, {"reason", "letter 3/2026"}}}}) {
    httplib::Params form = person;
    form.insert(extra.begin(), extra.end());
    auto refused = PostAndFollow(path, form);
    ASSERT_TRUE(refused) << path;
    EXPECT_EQ(refused->status, 400) << path;
    EXPECT_TRUE(absl::StrContains(refused->body, "value=\"-5\"")) << refused->body;
    expect_off(path + " refused", refused->body);
  }
  fake_->create_status = absl::InvalidArgumentError("person.surname: too long");
  auto registry_refused = PostAndFollow("/records/new", {{"surname", "Krasniqi"}});
  ASSERT_TRUE(registry_refused);
  expect_off("/records/new refused by the registry", registry_refused->body);
  expect_off("/search refused", PostAndFollow("/search", {{"surname", "Krasniqi"}})->body);

  StartSignedIn(v1::ROLE_VETTING);
  auto vetting = PostAndFollow("/vetting", {{"personal-number", "x"}, {"consent_ref", "C 1"}});
  ASSERT_TRUE(vetting);
  expect_off("/vetting refused", vetting->body);
}

// Tables broke words and numbers mid-character at 1280 and 400 px (an audit event's number 24 as
// "2" above "4", a personal number cut in two): their cells inherited the page's
// overflow-wrap: anywhere, which lets a table laid out automatically narrow each column to one
// character. A cell breaks no word, numbers, ids and dates keep to one line, and a table wider
// than the screen scrolls in its own box.
TEST_F(ConsoleTest, TheStylesheetKeepsATablesWordsWholeAndScrollsAWideTableInItsOwnBox) {
  Start(v1::ROLE_CLERK);
  auto css = client_->Get("/assets/console.css");
  ASSERT_TRUE(css);
  ASSERT_EQ(css->status, 200);
  EXPECT_TRUE(std::regex_search(
      css->body, std::regex("(^|\\n)th, td \\{[^}]*overflow-wrap: break-word;")))
      << "a cell breaks a word";
  EXPECT_TRUE(std::regex_search(
      css->body, std::regex("(^|\\n)td\\.nowrap, th\\.nowrap, td code \\{[^}]*"
                            "white-space: nowrap;")))
      << "a number or an id breaks";
  EXPECT_TRUE(std::regex_search(
      css->body, std::regex("(^|\\n)\\.table-scroll \\{[^}]*overflow-x: auto;[^}]*"
                            "position: relative;")))
      << "a wide table (or the hidden words of its links) widens the page";
}

// Every table of every page stands in its own scrolling box, and the cells of a search's
// results that hold a date, a personal number or a case number keep to one line.
TEST_F(ConsoleTest, EveryTableScrollsInItsOwnBoxAndASearchsNumbersKeepToOneLine) {
  int tables = 0;
  const auto expect_boxed = [&](const std::string& where, const std::string& body) {
    for (size_t at = body.find("<table"); at != std::string::npos;
         at = body.find("<table", at + 1)) {
      ++tables;
      const std::string box = "<div class=\"table-scroll\">";
      EXPECT_TRUE(at >= box.size() && body.compare(at - box.size(), box.size(), box) == 0)
          << where << ": " << body.substr(at, 80);
    }
  };
  ForEachPageOfEachRole([&](v1::Role role, const std::string& path, const httplib::Response& page) {
    expect_boxed(absl::StrCat(v1::Role_Name(role), " ", path), page.body);
  });

  StartSignedIn(v1::ROLE_AUDITOR);
  LogOneEvent(v1::ROLE_CLERK, "/registry.v1.RecordService/CreateRecord");
  for (const char* path : {"/audit", "/audit/events/5"}) expect_boxed(path, Get(path)->body);

  StartSignedIn(v1::ROLE_CLERK);
  fake_->history.add_versions()->mutable_record()->CopyFrom(fake_->record);
  expect_boxed("history", Get(absl::StrCat("/records/", kRecordId, "/history"))->body);
  EXPECT_GE(tables, 4);
  fake_->record.mutable_person()->set_personal_number("1000000231");
  fake_->record.mutable_person()->set_birth_date("1980-02-03");
  *fake_->search.add_records() = fake_->record;
  auto found = PostAndFollow("/search", {{"personal-number", "1000000231"}});
  ASSERT_TRUE(found);
  expect_boxed("/search", found->body);
  for (const char* value : {"1000000231", "1980-02-03", "P 1/2024"}) {
    EXPECT_TRUE(absl::StrContains(found->body, absl::StrCat("<td class=\"nowrap\">", value,
                                                            "</td>")))
        << value << "\n" << found->body;
  }
}

// A court's name search with the given name or the date of birth left empty was answered by a
// box only ("give a personal number, or surname, given name and date of birth"): no word beside
// the empty fields, none marked invalid, nothing to follow to them. Each empty field of the name
// search says "required" beside it, marked invalid, linked from the list above the form; nothing
// is asked of the registry.
TEST_F(ConsoleTest, ANameSearchWithAFieldLeftEmptySaysRequiredBesideEachEmptyField) {
  StartSignedIn(v1::ROLE_COURT);
  const Catalogs& catalogs = Catalogs::Embedded();
  const int before = fake_->calls;
  auto refused = PostAndFollow("/search", {{"case_ref", "PKR 77/2026"},
                                           {"purpose", "sentencing"},
                                           {"surname", "Gashi"}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  EXPECT_EQ(fake_->calls, before) << "the registry was asked";
  const std::string& body = refused->body;
  const std::string required = Escape(catalogs.Text("sq", "rule.required"));
  for (const char* input : {"given-name", "birth-date"}) {
    const std::string group = FieldGroup(body, input);
    EXPECT_TRUE(absl::StrContains(group, absl::StrCat("id=\"", input, "-error\""))) << group;
    EXPECT_TRUE(absl::StrContains(group, required)) << group;
    EXPECT_TRUE(absl::StrContains(group, "aria-invalid=\"true\"")) << group;
    EXPECT_TRUE(absl::StrContains(body, absl::StrCat("<a href=\"#", input, "\">"))) << input;
  }
  EXPECT_TRUE(absl::StrContains(body, "id=\"error-summary\"")) << body;
  EXPECT_FALSE(absl::StrContains(body, "id=\"surname-error\"")) << body;
  EXPECT_FALSE(absl::StrContains(body, "id=\"personal-number-error\"")) << body;
  EXPECT_TRUE(absl::StrContains(FieldGroup(body, "surname"), "value=\"Gashi\"")) << body;
}

// A consent reference with a letter the audit log cannot hold (ë) or a request reference with a
// "<" hid every other problem of the vetting form and of "who checked me": the registry's gate
// checks references first, so the official needed two refused, audited calls. The console checks
// a reference's shape itself, and when it is wrong names every problem it can find at once
// (a personal number's characters, a date, a field left empty), without calling the registry.
TEST_F(ConsoleTest, ABadReferenceIsToldWithEveryOtherProblemTheConsoleFindsAndNothingIsSent) {
  StartSignedIn(v1::ROLE_VETTING);
  const Catalogs& catalogs = Catalogs::Embedded();
  int before = fake_->calls;
  const std::string vetting = RefusedBeforeAnyCall("/vetting", {{"personal-number", "100 000 0231"},
                                                                {"surname", "Hoxha"},
                                                                {"birth-date", "1990-02-30"},
                                                                {"consent_ref", "Pëlqim 1/2026"}});
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"consent_ref", "rule.reference"},
      {"personal-number", "rule.personal_number_chars"},
      {"given-name", "rule.required"},
      {"birth-date", "rule.real_date"},
      {"position", "rule.required"}};
  for (const auto& [input, key] : expected) {
    const std::string group = FieldGroup(vetting, input);
    EXPECT_TRUE(absl::StrContains(group, Escape(catalogs.Text("sq", key)))) << input << group;
    EXPECT_TRUE(absl::StrContains(group, "aria-invalid=\"true\"")) << group;
    EXPECT_TRUE(absl::StrContains(vetting, absl::StrCat("<a href=\"#", input, "\">")))
        << input;
  }
  EXPECT_FALSE(absl::StrContains(vetting, "id=\"surname-error\""));
  EXPECT_TRUE(absl::StrContains(FieldGroup(vetting, "consent_ref"),
                                "value=\"Pëlqim 1/2026\""));
  // A reference the console takes is the registry's to judge with the rest, as before.
  Post("/vetting", {{"surname", "Hoxha"}, {"consent_ref", "C 1/2026"}});
  EXPECT_EQ(fake_->calls, before + 1);
  console_->Stop();

  StartSignedIn(v1::ROLE_CLERK);
  before = fake_->calls;
  const std::string subject = RefusedBeforeAnyCall(
      "/subject", {{"personal-number", "100\t0231"}, {"request_ref", "DSR <1>"}},
      "/subject/answers/");
  for (const auto& [input, key] : std::vector<std::pair<std::string, std::string>>{
           {"request_ref", "rule.reference"}, {"personal-number", "rule.personal_number_chars"}}) {
    const std::string group = FieldGroup(subject, input);
    EXPECT_TRUE(absl::StrContains(group, Escape(catalogs.Text("sq", key)))) << input << group;
    EXPECT_TRUE(absl::StrContains(subject, absl::StrCat("<a href=\"#", input, "\">")))
        << input;
  }
  EXPECT_TRUE(absl::StrContains(FieldGroup(subject, "request_ref"),
                                "value=\"DSR &lt;1&gt;\""));
  EXPECT_FALSE(absl::StrContains(subject, "id=\"results\"")) << "no checks are listed";
  Post("/subject", {{"personal-number", "1000000231"}, {"request_ref", "DSR 1/2026"}});
  EXPECT_GT(fake_->calls, before);
}

// The forms the console refused itself (a correction with -5 months, a search with no query or
// with a number and names) were answered by their POST with a 400 page: what was typed about a
// person stayed in the browser's session history, to be sent again by Back or Reload. Like the
// registry's refusals, they are kept in the session and answered by a redirect to the refused
// form's page, which a reload shows again without sending anything.
TEST_F(ConsoleTest, TheConsolesOwnRefusalsOfACorrectionAndASearchAreAnsweredByARedirect) {
  StartSignedIn(v1::ROLE_CLERK);
  const std::string record = absl::StrCat("/records/", kRecordId);
  const Catalogs& catalogs = Catalogs::Embedded();
  struct Case {
    std::string path;
    httplib::Params form;
    std::string kept_under;
    std::string shown;  // what the kept page shows
  };
  const std::vector<Case> cases = {
      {record + "/amend",
       {{"surname", "Krasniqi"}, {"version", "1"}, {"reason", "letter 3/2026"},
        {"sentence", "imprisonment"}, {"months", "-5"}},
       record + "/amend/refused/", Escape(catalogs.Text("sq", "rule.months"))},
      {"/records/new", {{"surname", "Krasniqi"}, {"sentence", "imprisonment"}, {"months", "-5"}},
       "/records/new/refused/", Escape(catalogs.Text("sq", "rule.months"))},
      {"/search", {}, "/search/refused/", Escape(catalogs.Text("sq", "search.need_query"))},
      {"/search", {{"personal-number", "1000000231"}, {"surname", "Krasniqi"}},
       "/search/refused/", Escape(catalogs.Text("sq", "search.both_ways"))},
  };
  for (const Case& c : cases) {
    const int changes = fake_->changes;
    auto posted = Post(c.path, c.form);
    ASSERT_TRUE(posted) << c.path;
    EXPECT_EQ(posted->status, 303) << c.path << "\n" << posted->body;
    const std::string kept = posted->get_header_value("Location");
    EXPECT_TRUE(absl::StartsWith(kept, c.kept_under)) << c.path << ": " << kept;
    for (int reload = 0; reload < 2; ++reload) {
      auto shown = Get(kept);
      ASSERT_TRUE(shown) << kept;
      EXPECT_EQ(shown->status, 400) << kept;
      EXPECT_TRUE(absl::StrContains(shown->body, c.shown)) << kept << "\n" << shown->body;
      for (const auto& [name, value] : c.form) {
        if (name == "sentence" || name == "version") continue;
        EXPECT_TRUE(absl::StrContains(shown->body, absl::StrCat(">", Escape(value), "<")) ||
                    absl::StrContains(shown->body, absl::StrCat("value=\"", Escape(value), "\"")))
            << kept << ": " << name;
      }
    }
    EXPECT_EQ(fake_->changes, changes) << c.path << ": something was changed";
  }
}

// Two counts under one article (06/L-074 art. 230 para. 1 and para. 4) are typed in the article's
// one paragraph input, "1, 4": the record gets an offence for each. Before, "1, 4" was refused as
// no whole number and such a record could be made with registry-cli only. A list with a
// paragraph that is none is refused, the input kept as typed, and nothing is sent.
TEST_F(ConsoleTest, TwoParagraphsOfOneArticleAreRecordedFromTheRecordForm) {
  Start(v1::ROLE_CLERK);
  v1::OffenceEntry* entry = fake_->reference.add_offences();
  entry->set_law("06/L-074");
  entry->set_article(230);
  entry->set_paragraph(0);
  entry->set_title("Rape");
  entry->set_confirmed(true);
  SignIn();  // the session's start reads the reference data again
  const std::string name = ParagraphInputName("06/L-074:230:0");
  auto created = Post("/records/new", {{"surname", "Krasniqi"}, {"offence", "06/L-074:230:0"},
                                       {name, "1, 4"}});
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 303);
  ASSERT_EQ(fake_->last_create.conviction().offences_size(), 2);
  EXPECT_EQ(fake_->last_create.conviction().offences(0).paragraph(), 1u);
  EXPECT_EQ(fake_->last_create.conviction().offences(1).paragraph(), 4u);
  EXPECT_EQ(fake_->last_create.conviction().offences(1).article(), 230u);

  const int changes = fake_->changes;
  auto bad = PostAndFollow("/records/new", {{"surname", "Krasniqi"},
                                            {"offence", "06/L-074:230:0"},
                                            {name, "1, 4a"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(fake_->changes, changes) << "a bad paragraph went to the registry";
  EXPECT_TRUE(absl::StrContains(
      bad->body, absl::StrCat("name=\"", Escape(name), "\" value=\"1, 4a\"")))
      << bad->body;
  EXPECT_TRUE(absl::StrContains(
      bad->body, FormatEscaped("sq", Catalogs::Embedded().Text("sq", "form.paragraph"),
                               {{"law", "06/L-074"}, {"article", "230"}, {"value", "1, 4a"}})))
      << bad->body;
}

// The refusals a clerk meets most (a duplicate, an expunged or spent conviction, an amendment onto
// another record's case number) were said above the form in the registry's English, quoted, on
// Albanian and Serbian pages too. Each is said in the page's language beside the case number,
// the field marked invalid, with the link to the record it names where there is one.
TEST_F(ConsoleTest, AConvictionRefusedWholeIsSaidBesideTheCaseNumberInThePagesLanguage) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  ASSERT_EQ(Post("/language", {{"lang", "sq"}, {"back", "/records/new"}})->status, 303);
  const std::string other = "87c3d67c33376237068b615cff15e473";
  const std::string link = absl::StrCat("<a id=\"existing-record\" href=\"/records/", other,
                                        "\">", other, "</a>");
  const std::string head = catalogs.Text("sq", "rule.retention_ended");
  const struct {
    absl::Status refusal;
    std::string key;
    bool linked;
  } kCases[] = {
      {absl::AlreadyExistsError(absl::StrCat(
           "a record with this court, case number and personal number exists: ", other)),
       "rule.conviction_exists", true},
      {absl::FailedPreconditionError(
           "conviction: a record of this court, case number and personal number was expunged, "
           "and an expunged conviction is not entered again"),
       "rule.conviction_expunged", false},
      {absl::FailedPreconditionError(
           "conviction: its retention period has ended (it was due for deletion on 2021-03-04), "
           "so it is not entered: only a later conviction of the person that became final by "
           "2016-03-04 would have kept it"),
       "", false},
  };
  for (const auto& c : kCases) {
    fake_->create_status = c.refusal;
    auto refused = PostAndFollow("/records/new", {{"surname", "Gashi"}});
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400);
    const std::string group = FieldGroup(refused->body, "case-number");
    EXPECT_TRUE(absl::StrContains(group, "aria-invalid=\"true\"")) << group;
    EXPECT_TRUE(absl::StrContains(group, "id=\"case-number-error\"")) << group;
    if (!c.key.empty()) {
      EXPECT_TRUE(absl::StrContains(group, Escape(catalogs.Text("sq", c.key)))) << group;
    } else {
      EXPECT_TRUE(absl::StrContains(group, "2021-03-04")) << group;
      EXPECT_TRUE(absl::StrContains(group, "2016-03-04")) << group;
      EXPECT_TRUE(absl::StrContains(group, "Afati i ruajtjes")) << group;
    }
    EXPECT_EQ(absl::StrContains(group, link), c.linked) << group;
    EXPECT_FALSE(absl::StrContains(refused->body, "<q lang=\"en\">")) << refused->body;
    EXPECT_FALSE(absl::StrContains(refused->body, "<span lang=\"en\">")) << refused->body;
    EXPECT_FALSE(absl::StrContains(refused->body, "Regjistri tha")) << refused->body;
  }
  // An amendment onto another record's case number, and onto its court and personal number.
  for (const std::string& paths :
       {std::string("conviction.case_number"),
        std::string("conviction.court_id, person.personal_number")}) {
    fake_->amend_status = absl::AlreadyExistsError(absl::StrCat(
        paths, ": another record has this court, case number and personal number: ", other));
    v1::CreateRecordRequest current;
    *current.mutable_person() = fake_->record.person();
    *current.mutable_conviction() = fake_->record.conviction();
    FormValues values = FormFromRecord(current);
    values["case-number"] = {"P 2/2024"};
    httplib::Params params = {{"reason", "court notice 12/2024"}, {"version", "1"}};
    for (const auto& [field, list] : values) {
      for (const std::string& value : list) params.emplace(field, value);
    }
    auto clash = PostAndFollow(absl::StrCat("/records/", kRecordId, "/amend"), params);
    ASSERT_TRUE(clash);
    const std::string input =
        paths == "conviction.case_number" ? "case-number" : "court";
    const std::string group = FieldGroup(clash->body, input);
    EXPECT_TRUE(absl::StrContains(group, Escape(catalogs.Text("sq", "rule.conviction_clash"))))
        << clash->body;
    EXPECT_TRUE(absl::StrContains(group, "aria-invalid=\"true\"")) << group;
    EXPECT_TRUE(absl::StrContains(group, link)) << group;
    EXPECT_FALSE(absl::StrContains(clash->body, "another record has")) << clash->body;
  }
}

// An import's refusals of a row's conviction as a whole were in English and named `conviction:`,
// which no column of the file is: each is in the page's language and named by the case number's
// column, the other fields a stored record differs in by their labels.
TEST_F(ConsoleTest, AnImportsConvictionProblemsNameTheCaseNumberColumnInThePagesLanguage) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  ASSERT_EQ(Post("/language", {{"lang", "sr"}, {"back", "/import"}})->status, 303);
  const std::string errors[] = {
      "conviction: a record of this court, case number and personal number was expunged, and an "
      "expunged conviction is not entered again",
      "conviction: conflicts with the stored record of this court, case number and personal "
      "number, which differs in father's name, place of birth, last known address; not changed: "
      "correct the row, or the record with an amendment",
      "conviction: its retention period has ended (it was due for deletion on 2021-03-04), so it "
      "is not entered: only a later conviction of the person that became final by 2016-03-04 "
      "would have kept it",
      "conviction: the same conviction (court, case number, personal number) as another row of "
      "this import (line 5); one row per conviction"};
  for (const std::string& error : errors) {
    v1::ImportRecordsResponse verdict;
    v1::ImportRowResult* result = verdict.add_results();
    result->set_line(2);
    result->set_outcome(v1::ImportRowResult::OUTCOME_INVALID);
    result->set_error(error);
    fake_->import_response = verdict;
    auto checked = PostImportFile(absl::StrCat(ImportCsvHeader(), ImportCsvRow(1)));
    ASSERT_TRUE(checked);
    const std::string& body = checked->body;
    EXPECT_FALSE(absl::StrContains(body, "conviction:")) << body;
    EXPECT_FALSE(absl::StrContains(body, "case number and personal number")) << body;
    EXPECT_TRUE(absl::StrContains(body, "case_number: ")) << body;
  }
  const std::string body =
      PostImportFile(absl::StrCat(ImportCsvHeader(), ImportCsvRow(1)))->body;
  EXPECT_TRUE(absl::StrContains(body, "(red 5)")) << body;
  v1::ImportRecordsResponse verdict;
  v1::ImportRowResult* result = verdict.add_results();
  result->set_line(2);
  result->set_outcome(v1::ImportRowResult::OUTCOME_INVALID);
  result->set_error(errors[1]);
  fake_->import_response = verdict;
  const std::string conflict =
      PostImportFile(absl::StrCat(ImportCsvHeader(), ImportCsvRow(1)))->body;
  EXPECT_TRUE(absl::StrContains(
      conflict, Escape(absl::StrCat(catalogs.Text("sr", "field.father-name"), ", ",
                                    catalogs.Text("sr", "field.birth-place"), ", ",
                                    catalogs.Text("sr", "field.address")))))
      << conflict;
  // A ban's end the registry refuses, in the console's words for a file: no box to tick, an
  // end date or `none`.
  result->set_error(
      "conviction.bans[0].end_date: empty (for life) or a date YYYY-MM-DD on or after the date "
      "the judgment became final, within 100 years of it");
  fake_->import_response = verdict;
  const std::string ban = PostImportFile(absl::StrCat(ImportCsvHeader(), ImportCsvRow(1)))->body;
  EXPECT_TRUE(absl::StrContains(ban, "Datum isteka mora biti")) << ban;
  EXPECT_TRUE(absl::StrContains(ban, "<code>none</code>")) << ban;
  EXPECT_FALSE(absl::StrContains(ban, "TYPE:none")) << ban;
  EXPECT_FALSE(absl::StrContains(ban, "lang=\"en\">bans")) << ban;
  fake_->import_response.reset();
}

// A court's search with a case reference the registry's gate refuses and an impossible date was
// sent, refused for the reference alone (an audited call), and the date was named only on the
// next try; the auditor's export and a court's read alike. The console names every problem it
// can find at once and sends nothing.
TEST_F(ConsoleTest, AReferenceBearingFormNamesEveryProblemAtOnceAndSendsNothing) {
  StartSignedIn(v1::ROLE_COURT);
  const Catalogs& catalogs = Catalogs::Embedded();
  int before = fake_->calls;
  auto search = PostAndFollow("/search", {{"case_ref", "L\xc3\xabnd\xc3\xab 7"},
                                          {"purpose", "sentencing"},
                                          {"surname", "Krasniqi"},
                                          {"given-name", "Arben"},
                                          {"birth-date", "1980-13-12"}});
  ASSERT_TRUE(search);
  EXPECT_EQ(search->status, 400);
  EXPECT_EQ(fake_->calls, before) << "the registry was asked";
  EXPECT_TRUE(absl::StrContains(FieldGroup(search->body, "case_ref"),
                                Escape(catalogs.Text("sq", "rule.reference"))))
      << search->body;
  EXPECT_TRUE(absl::StrContains(FieldGroup(search->body, "birth-date"),
                                Escape(catalogs.Text("sq", "rule.real_date"))))
      << search->body;
  EXPECT_TRUE(absl::StrContains(search->body, "<a href=\"#birth-date\">")) << search->body;
  // A reference too long, with a personal number holding a space.
  search = PostAndFollow("/search", {{"case_ref", std::string(70, 'A')},
                                     {"purpose", "sentencing"},
                                     {"personal-number", "12 345"}});
  EXPECT_EQ(fake_->calls, before) << "the registry was asked";
  EXPECT_TRUE(absl::StrContains(FieldGroup(search->body, "case_ref"), "case_ref-error"));
  EXPECT_TRUE(absl::StrContains(FieldGroup(search->body, "personal-number"),
                                Escape(catalogs.Text("sq", "rule.personal_number_chars"))))
      << search->body;
  // A court's read alike: the purpose form with the reference's problem, nothing read.
  auto read = PostAndFollow(absl::StrCat("/records/", kRecordId),
                            {{"case_ref", "L\xc3\xabnd\xc3\xab 7"}, {"purpose", "sentencing"}});
  EXPECT_EQ(fake_->calls, before) << "the registry was asked";
  EXPECT_TRUE(absl::StrContains(FieldGroup(read->body, "case_ref"),
                                Escape(catalogs.Text("sq", "rule.reference"))))
      << read->body;
  console_->Stop();

  StartSignedIn(v1::ROLE_AUDITOR);
  before = fake_->calls;
  auto exported = PostAndFollow("/audit/export", {{"recipient", ""},
                                                  {"reference", "K\xc3\xabrkesa 5"}});
  ASSERT_TRUE(exported);
  EXPECT_EQ(exported->status, 400);
  EXPECT_EQ(fake_->calls, before) << "the registry was asked";
  EXPECT_TRUE(absl::StrContains(FieldGroup(exported->body, "recipient"),
                                Escape(catalogs.Text("sq", "rule.required"))))
      << exported->body;
  EXPECT_TRUE(absl::StrContains(FieldGroup(exported->body, "reference"),
                                Escape(catalogs.Text("sq", "rule.reference"))))
      << exported->body;
}

// A refused expunging kept the legal basis and lost the confirmation typed; a legal basis the
// registry's gate refuses was sent, and the confirmation's problem came only after. Both are
// named at once, nothing sent, and each field keeps what was typed.
TEST_F(ConsoleTest, ARefusedExpungingKeepsTheConfirmationAndNamesABadLegalBasisWithIt) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  const std::string record = absl::StrCat("/records/", kRecordId);
  const int changes = fake_->changes;
  auto refused = PostAndFollow(record + "/expunge",
                               {{"legal_basis", "KP <103>"}, {"confirm", "p 1/2024"}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  EXPECT_EQ(fake_->changes, changes);
  EXPECT_TRUE(absl::StrContains(FieldGroup(refused->body, "confirm"), "value=\"p 1/2024\""))
      << refused->body;
  EXPECT_TRUE(absl::StrContains(FieldGroup(refused->body, "confirm"), "id=\"confirm-error\""));
  EXPECT_TRUE(absl::StrContains(FieldGroup(refused->body, "legal_basis"),
                                Escape(catalogs.Text("sq", "rule.legal_basis"))))
      << refused->body;
  // Serbian letters are the legal basis's: not refused here.
  refused = PostAndFollow(record + "/expunge",
                          {{"legal_basis", "KZ 04/L-082 \xc4\x8dlan 103"}, {"confirm", "x"}});
  EXPECT_FALSE(absl::StrContains(refused->body, "id=\"legal_basis-error\"")) << refused->body;
  EXPECT_TRUE(absl::StrContains(FieldGroup(refused->body, "confirm"), "value=\"x\""));
}

// On Albanian and Serbian pages a backup verification's problems were in English: their fixed
// words are in the page's language, the counts and numbers as values.
TEST_F(ConsoleTest, ABackupVerificationsProblemsAreInThePagesLanguage) {
  StartSignedIn(v1::ROLE_ADMIN);
  ASSERT_EQ(Post("/language", {{"lang", "sr"}, {"back", "/admin"}})->status, 303);
  fake_->backup_check.set_backup_id(3);
  fake_->backup_check.set_ok(false);
  fake_->backup_check.set_files_intact(true);
  fake_->backup_check.set_problem_count(2);
  fake_->backup_check.add_problems("audit log: event 7 missing");
  fake_->backup_check.add_problems("restore failed: no space left");
  auto shown = PostAndFollow("/admin/backups/3/verify", {});
  ASSERT_TRUE(shown);
  EXPECT_TRUE(absl::StrContains(shown->body, "nedostaje doga\xc4\x91" "aj 7")) << shown->body;
  EXPECT_TRUE(absl::StrContains(shown->body, "Vra\xc4\x87" "anje nije uspelo: "
                                             "<code lang=\"en\">no space left</code>"))
      << shown->body;
  EXPECT_FALSE(absl::StrContains(shown->body, "audit log: event")) << shown->body;
}

// registry-cli refuses a candidate's name the registry would refuse ("Gashi1") before its call;
// the console called the registry, which refused it and counted the check against the
// employer's daily limit. The console refuses it itself, beside the field, and sends nothing.
TEST_F(ConsoleTest, AVettingCheckWithANameTheRegistryWouldRefuseIsRefusedBeforeAnyCall) {
  StartSignedIn(v1::ROLE_VETTING);
  const Catalogs& catalogs = Catalogs::Embedded();
  const std::string vetting = RefusedBeforeAnyCall("/vetting", {{"personal-number", "1000000231"},
                                                                {"surname", "Gashi1"},
                                                                {"given-name", "Arta"},
                                                                {"birth-date", "1990-02-03"},
                                                                {"position", "teacher"},
                                                                {"consent_ref", "C 1/2026"}});
  const std::string group = FieldGroup(vetting, "surname");
  EXPECT_TRUE(absl::StrContains(group, Escape(catalogs.Text("sq", "rule.name")))) << group;
  EXPECT_TRUE(absl::StrContains(group, "aria-invalid=\"true\"")) << group;
  EXPECT_TRUE(absl::StrContains(vetting, "<a href=\"#surname\">"));
  EXPECT_FALSE(absl::StrContains(vetting, "id=\"given-name-error\""));
}

// On Albanian and Serbian pages, two problems of an import row were said in English: the
// registry's ban end rule, as the import words it for a row the console found bad too
// ("bans: a date YYYY-MM-DD ...; or none for a ban for life (TYPE:none, ...)"), and the console's
// own "offences: not LAW:ARTICLE:PARAGRAPH, e.g. ...". Both are in the page's language.
TEST_F(ConsoleTest, AnImportsOffenceCodeAndTheRegistrysBanEndAreTranslatedInARowFoundBadHere) {
  StartSignedIn(v1::ROLE_CLERK);
  const Catalogs& catalogs = Catalogs::Embedded();
  const std::string bad = absl::StrReplaceAll(
      ImportCsvRow(2), {{"2015-01-01,2015-02-01,06/L-074:228:0,fine,0,,",
                         "2020-01-01,2020-02-01,abc,fine,0,profession:2200-01-01,"}});
  ASSERT_NE(bad, ImportCsvRow(2));
  v1::ImportRecordsResponse verdict;
  v1::ImportRowResult* result = verdict.add_results();
  result->set_line(3);
  result->set_outcome(v1::ImportRowResult::OUTCOME_INVALID);
  result->set_error(
      "conviction.offences: 1..20 offences; conviction.bans[0].end_date: empty (for life) or a "
      "date YYYY-MM-DD on or after the date the judgment became final, within 100 years of it");
  result = verdict.add_results();
  result->set_line(2);
  result->set_outcome(v1::ImportRowResult::OUTCOME_VALID);
  fake_->import_response = verdict;
  fake_->only_rows_sent = true;
  for (const char* language : {"sq", "sr"}) {
    ASSERT_EQ(Post("/language", {{"lang", language}, {"back", "/import"}})->status, 303);
    auto checked = PostImportFile(absl::StrCat(ImportCsvHeader(), ImportCsvRow(1), bad));
    ASSERT_TRUE(checked);
    const std::string& body = checked->body;
    EXPECT_FALSE(absl::StrContains(body, "lang=\"en\">offences")) << language << "\n" << body;
    EXPECT_FALSE(absl::StrContains(body, "lang=\"en\">bans")) << language << "\n" << body;
    EXPECT_FALSE(absl::StrContains(body, "TYPE:none")) << language << "\n" << body;
    const std::string offence = FormatEscaped(
        language, catalogs.Text(language, "import.rule.offence_code"),
        {{"form", "<code>LAW:ARTICLE:PARAGRAPH</code>"},
         {"example", "<code>06/L-074:230:1</code>"},
         {"articles", "999"},
         {"paragraphs", "99"}});
    EXPECT_TRUE(absl::StrContains(body, absl::StrCat("offences: ", offence)))
        << language << "\n" << body;
    const std::string ban_end = FormatEscaped(
        language, catalogs.Text(language, "import.rule.ban_end"), {{"none", "<code>none</code>"}});
    EXPECT_TRUE(absl::StrContains(body, absl::StrCat("bans: ", ban_end)))
        << language << "\n" << body;
  }
  fake_->import_response.reset();
  fake_->only_rows_sent = false;
}

// Every problem the console's reading of a CSV row can find in a cell (client/record_fields.cc
// ApplyField, client/record_import.cc), and the registry's problems of the other cells of such
// a row, are shown in the page's language: a row is broken in one cell at a time, in every way
// each cell can be, and nothing on the page is left in English. (A cell that is not UTF-8 and a
// row too large to send are the file's, not a rule's: said as registry-cli says them.)
TEST_F(ConsoleTest, EveryProblemTheConsoleFindsInAnImportCellIsInThePagesLanguage) {
  StartSignedIn(v1::ROLE_CLERK);
  const std::vector<std::string> columns = absl::StrSplit(
      absl::StripSuffix(ImportCsvHeader(), "\n"), ',');
  const std::vector<std::pair<std::string, std::vector<std::string>>> cells = {
      {"surname", {"", "Ga\u200bshi"}},
      {"given_name", {""}},
      {"sex", {"", "x"}},
      {"birth_date", {"", "2030-13-01", "1980-1-1", "1899-12-31", "1980-02-30"}},
      {"citizenships", {"x", "UK", "QQ", "XK;xyz"}},
      {"personal_number", {"", "19 00000001", "19000000\xc3\xab"}},
      {"court_id", {""}},
      {"case_number", {""}},
      {"judgment_date", {"", "2015-02-30"}},
      {"final_date", {"", "2015-13-01"}},
      {"offences", {"", "abc", ";", "06/L-074:1000:0", "06/L-074:228:0;abc"}},
      {"sentence_type", {"", "prison"}},
      {"sentence_months", {"x", "601", "-1"}},
      {"bans", {"profession", "profession:2030-13-01", "flogging:none", "profession:;x:none",
                "profession:none;work_with_children:1899-12-31"}},
      {"release_date", {"2030-02-30"}},
      {"juvenile", {"maybe"}},
      {"foreign_country", {"x", "QQ"}},
  };
  std::string csv = ImportCsvHeader();
  int line = 1;
  for (const auto& [column, values] : cells) {
    const size_t at = std::find(columns.begin(), columns.end(), column) - columns.begin();
    ASSERT_LT(at, columns.size()) << column;
    for (const std::string& value : values) {
      std::vector<std::string> row = absl::StrSplit(
          absl::StripSuffix(ImportCsvRow(++line), "\n"), ',');
      ASSERT_EQ(row.size(), columns.size());
      row[at] = absl::StrCat("\"", value, "\"");
      absl::StrAppend(&csv, absl::StrJoin(row, ","), "\n");
    }
  }
  // The registry finds nothing more of the rows.
  fake_->import_response = v1::ImportRecordsResponse();
  for (const char* language : {"sq", "sr"}) {
    ASSERT_EQ(Post("/language", {{"lang", language}, {"back", "/import"}})->status, 303);
    auto checked = PostImportFile(csv);
    ASSERT_TRUE(checked);
    const std::string& body = checked->body;
    EXPECT_TRUE(absl::StrContains(body, absl::StrCat("<td class=\"nowrap\">", line, "</td>")))
        << language << "\n" << body;
    EXPECT_FALSE(absl::StrContains(body, "<span lang=\"en\">")) << language << "\n" << body;
    EXPECT_FALSE(absl::StrContains(body, "<td lang=\"en\">")) << language << "\n" << body;
  }
  fake_->import_response.reset();
}

// Officials work in Albanian and Serbian, and the record form and a record's page named every
// offence and court in English. They are named in the page's language where the reference data
// has it; an entry without a translation keeps its English, marked lang="en".
TEST_F(ConsoleTest, OffencesAndCourtsAreNamedInThePagesLanguageOrInEnglishSoMarked) {
  Start(v1::ROLE_CLERK);
  v1::CourtEntry* prizren = fake_->reference.add_courts();
  prizren->set_id("basic-prizren");
  prizren->set_name("Basic Court of Prizren");
  v1::OffenceEntry* degradation = AddPrishtineAndDegradationInThreeLanguages();
  degradation->set_confirmed(true);
  v1::OffenceEntry* untranslated = fake_->reference.add_offences();
  untranslated->set_law("06/L-074");
  untranslated->set_article(231);
  untranslated->set_title("Sexual abuse by abuse of position");
  untranslated->set_confirmed(true);
  SignIn();  // the session's start reads the reference data again
  v1::Conviction& conviction = *fake_->record.mutable_conviction();
  conviction.set_court_id("basic-prishtine");
  conviction.set_court_name("Basic Court of Prishtinë/Priština");
  for (const uint32_t article : {229u, 231u}) {
    v1::Offence* offence = conviction.add_offences();
    offence->set_law("06/L-074");
    offence->set_article(article);
    offence->set_paragraph(article == 229 ? 1 : 0);
    offence->set_title(article == 229 ? degradation->title() : untranslated->title());
  }

  const std::string prizren_option =
      "<option value=\"basic-prizren\" lang=\"en\">Basic Court of Prizren</option>";
  const std::string untranslated_label =
      "<span lang=\"en\">06/L-074 art. 231 (Sexual abuse by abuse of position)</span>";
  const struct {
    const char* language;
    std::string court;
    std::string title;
  } kCases[] = {
      {"sq", "Gjykata Themelore e Prishtinës", "Degradimi i integritetit seksual"},
      {"sr", "Osnovni sud u Prištini", "Degradacija seksualnog integriteta"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.language);
    ASSERT_EQ(Post("/language", {{"lang", c.language}, {"back", "/records/new"}})->status, 303);
    const std::string form = Get("/records/new")->body;
    EXPECT_TRUE(absl::StrContains(
        form, absl::StrCat("<option value=\"basic-prishtine\">", c.court, "</option>")))
        << form;
    EXPECT_TRUE(absl::StrContains(form, prizren_option)) << form;
    EXPECT_TRUE(absl::StrContains(
        form, absl::StrCat("<label for=\"offence\">06/L-074 art. 229 (", c.title, ")")))
        << form;
    EXPECT_TRUE(absl::StrContains(form, untranslated_label)) << form;
    EXPECT_FALSE(absl::StrContains(form, "Degradation of sexual integrity")) << form;

    const std::string page = Get(absl::StrCat("/records/", kRecordId))->body;
    EXPECT_TRUE(absl::StrContains(page, absl::StrCat(c.court, " (basic-prishtine)"))) << page;
    EXPECT_FALSE(absl::StrContains(page, "Basic Court of Prishtinë/Priština")) << page;
    EXPECT_TRUE(absl::StrContains(page, absl::StrCat("06/L-074 art. 229 §1 (", c.title, ")")))
        << page;
    EXPECT_FALSE(absl::StrContains(page, "Degradation of sexual integrity")) << page;
    EXPECT_TRUE(absl::StrContains(page, untranslated_label)) << page;
  }

  // In English, as before: each name in English, marked so.
  ASSERT_EQ(Post("/language", {{"lang", "en"}, {"back", "/records/new"}})->status, 303);
  const std::string form = Get("/records/new")->body;
  EXPECT_TRUE(absl::StrContains(form, "<option value=\"basic-prishtine\" lang=\"en\">"
                                      "Basic Court of Prishtinë/Priština</option>"))
      << form;
  EXPECT_TRUE(absl::StrContains(form, "<label for=\"offence\"><span lang=\"en\">06/L-074 art. "
                                      "229 (Degradation of sexual integrity)</span>"))
      << form;
  const std::string page = Get(absl::StrCat("/records/", kRecordId))->body;
  EXPECT_TRUE(absl::StrContains(
      page, "<span lang=\"en\">Basic Court of Prishtinë/Priština (basic-prishtine)</span>"))
      << page;
  EXPECT_TRUE(absl::StrContains(
      page, "<span lang=\"en\">06/L-074 art. 229 §1 (Degradation of sexual integrity)</span>"))
      << page;
  EXPECT_FALSE(absl::StrContains(page, "Gjykata Themelore")) << page;
}

// A court's official read every court and offence of a record in English on an Albanian or a
// Serbian page: the registry gave its tables to clerks only. Courts read them too now, and a
// court's read of a record names them in the page's language.
TEST_F(ConsoleTest, ACourtsReadNamesTheCourtAndTheOffenceInThePagesLanguage) {
  Start(v1::ROLE_COURT);
  fake_->who.add_purpose_codes("criminal_proceedings");
  v1::OffenceEntry* degradation = AddPrishtineAndDegradationInThreeLanguages();
  SignIn();
  v1::Conviction& conviction = *fake_->record.mutable_conviction();
  conviction.set_court_id("basic-prishtine");
  conviction.set_court_name("Basic Court of Prishtinë/Priština");
  v1::Offence* offence = conviction.add_offences();
  offence->set_law("06/L-074");
  offence->set_article(229);
  offence->set_title(degradation->title());
  const std::string record = absl::StrCat("/records/", kRecordId);
  for (const auto& [language, court, title] :
       {std::make_tuple("sq", "Gjykata Themelore e Prishtinës", "Degradimi i integritetit seksual"),
        std::make_tuple("sr", "Osnovni sud u Prištini", "Degradacija seksualnog integriteta")}) {
    SCOPED_TRACE(language);
    ASSERT_EQ(Post("/language", {{"lang", language}, {"back", "/"}})->status, 303);
    auto read = PostAndFollow(record, {{"case_ref", "PKR 1/26"},
                                       {"purpose", "criminal_proceedings"}});
    ASSERT_TRUE(read);
    ASSERT_EQ(read->status, 200) << read->body;
    EXPECT_TRUE(absl::StrContains(read->body, absl::StrCat(court, " (basic-prishtine)")))
        << read->body;
    EXPECT_TRUE(absl::StrContains(read->body, absl::StrCat("06/L-074 art. 229 (", title, ")")))
        << read->body;
    EXPECT_FALSE(absl::StrContains(read->body, "Degradation of sexual integrity"));
  }
}

}  // namespace
}  // namespace registry::console

// registry-cli against a server that lies: a fake registryd (real gRPC over mTLS with the test
// PKI) whose answers carry terminal escape sequences, a right-to-left override, C1 controls and
// newlines in every string, whose error messages hold invalid UTF-8 too, and whose audit entries
// come with a decoded copy that differs from the hashed bytes. Each command line runs whole,
// through RunCli, as a user would run it.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/cli.h"
#include "client/json_io.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/server_credentials.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/audit.grpc.pb.h"
#include "registry/v1/info.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "tests/testing/cli_run.h"
#include "tests/testing/server_credentials.h"
#include "tests/testing/test_pki.h"

namespace registry::client {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// ESC sequences that clear the screen and set the window title, a C1 CSI, a right-to-left
// override and a newline that would forge a line of output.
constexpr char kHostile[] =
    "\x1b[2J\x1b]0;owned\x07" "A\xc2\x9b" "31m\xe2\x80\xae" "gnp.exe\nWARNING: forged";
// How ForTerminal shows it.
constexpr char kHostileEscaped[] =
    "\\x1b[2J\\x1b]0;owned\\x07A\\u009b31m\\u202egnp.exe\\nWARNING: forged";
// Error messages may hold bytes that are not UTF-8 at all.
constexpr char kHostileMessage[] = "\x1b[31mdenied\xff\xe2\x80\xae";
constexpr char kHostileMessageEscaped[] = "\\x1b[31mdenied\\xff\\u202e";

// Fails unless every byte of `text` is harmless on a terminal: well-formed UTF-8 with no C0
// control but the CLI's own line feeds, no DEL, no C1 control and no bidirectional formatting.
void ExpectTerminalSafe(const std::string& text) {
  for (size_t i = 0; i < text.size();) {
    const unsigned char b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      EXPECT_TRUE(b == '\n' || (b >= 0x20 && b != 0x7f))
          << "control byte " << int{b} << " at " << i << " in: " << text;
      ++i;
      continue;
    }
    const size_t length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 0;
    ASSERT_NE(length, 0u) << "stray byte at " << i << " in: " << text;
    ASSERT_LE(i + length, text.size()) << "truncated UTF-8 at " << i;
    uint32_t c = b & (0x7f >> length);
    for (size_t k = 1; k < length; ++k) c = (c << 6) | (text[i + k] & 0x3f);
    EXPECT_FALSE((c >= 0x80 && c <= 0x9f) || c == 0x061c || c == 0x200e || c == 0x200f ||
                 (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
        << "formatting character U+" << std::hex << c << " at " << std::dec << i;
    i += length;
  }
}

v1::AuditEvent Event(uint64_t sequence, const std::string& actor) {
  v1::AuditEvent event;
  event.set_sequence(sequence);
  event.set_time("2026-11-28T14:30:00.000001Z");
  event.set_actor(actor);
  event.set_role(v1::ROLE_COURT);
  event.set_action("/registry.v1.RecordService/GetRecord");
  event.add_record_ids("0123456789abcdef0123456789abcdef");
  event.set_outcome(0);
  return event;
}

// An entry as an honest server sends it: the bytes and their decoding.
v1::AuditEntry Entry(uint64_t index, const v1::AuditEvent& event) {
  v1::AuditEntry entry;
  entry.set_index(index);
  entry.set_event_bytes(event.SerializeAsString());
  *entry.mutable_event() = event;
  return entry;
}

class FakeAudit final : public v1::AuditService::Service {
 public:
  std::vector<v1::AuditEntry> entries;
  // Sent with every page: a server that never lets --all finish.
  std::string next_page_token;
  int list_calls = 0;

  grpc::Status ListAuditEvents(grpc::ServerContext*, const v1::ListAuditEventsRequest*,
                               v1::ListAuditEventsResponse* response) override {
    ++list_calls;
    for (const v1::AuditEntry& entry : entries) *response->add_entries() = entry;
    response->set_next_page_token(next_page_token);
    return grpc::Status::OK;
  }
  grpc::Status ExportAuditEvents(grpc::ServerContext*, const v1::ExportAuditEventsRequest*,
                                 grpc::ServerWriter<v1::AuditEntry>* writer) override {
    for (const v1::AuditEntry& entry : entries) writer->Write(entry);
    return grpc::Status::OK;
  }
  grpc::Status GetSignedTreeHead(grpc::ServerContext*, const v1::GetSignedTreeHeadRequest*,
                                 v1::SignedTreeHead*) override {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, kHostileMessage);
  }
};

class FakeRecords final : public v1::RecordService::Service {
 public:
  static v1::Record HostileRecord() {
    v1::Record record;
    record.mutable_metadata()->set_record_id("0123456789abcdef0123456789abcdef");
    record.mutable_metadata()->set_created_by(kHostile);
    record.mutable_metadata()->set_created_at("2026-01-10T09:00:00Z");
    record.mutable_person()->set_surname(kHostile);
    record.mutable_person()->set_given_name("Arben");
    record.mutable_person()->add_aliases(kHostile);
    v1::Conviction* conviction = record.mutable_conviction();
    conviction->set_court_id("foreign");
    conviction->set_foreign_court(kHostile);
    conviction->set_foreign_country("AL");
    v1::Offence* offence = conviction->add_offences();
    offence->set_law("06/L-074");
    offence->set_article(230);
    offence->set_title(kHostile);
    v1::AccessoryBan* ban = conviction->add_bans();
    ban->set_type(v1::BAN_TYPE_WORK_WITH_CHILDREN);
    ban->set_end_date(kHostile);
    return record;
  }

  grpc::Status GetRecord(grpc::ServerContext*, const v1::GetRecordRequest*,
                         v1::GetRecordResponse* response) override {
    *response->mutable_record() = HostileRecord();
    return grpc::Status::OK;
  }
  grpc::Status GetRecordHistory(grpc::ServerContext*, const v1::GetRecordHistoryRequest*,
                                v1::GetRecordHistoryResponse* response) override {
    v1::RecordVersion* version = response->add_versions();
    *version->mutable_record() = HostileRecord();
    version->set_reason(kHostile);
    return grpc::Status::OK;
  }
  grpc::Status DisputeRecord(grpc::ServerContext*, const v1::DisputeRecordRequest*,
                             v1::RecordStatusResponse*) override {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, kHostileMessage);
  }
};

class FakeVetting final : public v1::VettingService::Service {
 public:
  std::string pem;
  // The next_page_token of every page of a person's history: empty, one page.
  std::string history_token;
  std::atomic<int> history_pages{0};

  grpc::Status ListChecksAboutPerson(grpc::ServerContext*,
                                     const v1::ListChecksAboutPersonRequest*,
                                     v1::ListChecksAboutPersonResponse* response) override {
    ++history_pages;
    response->set_next_page_token(history_token);
    v1::CheckSummary* check = response->add_checks();
    check->set_organisation(kHostile);
    check->set_checked_at("2026-11-28T14:30:00Z");
    check->set_position_category(kHostile);
    check->set_result(v1::VETTING_RESULT_CLEAR);
    return grpc::Status::OK;
  }
  grpc::Status GetVettingPublicKey(grpc::ServerContext*, const v1::GetVettingPublicKeyRequest*,
                                   v1::PublicKey* response) override {
    response->set_pem(pem);
    return grpc::Status::OK;
  }
  grpc::Status VettingCheck(grpc::ServerContext*, const v1::VettingCheckRequest*,
                            v1::VettingCheckResponse* response) override {
    response->set_result(v1::VETTING_RESULT_REFER);
    response->set_check_id(kHostile);
    response->set_refer_contact(kHostile);
    return grpc::Status::OK;
  }
};

class FakeInfo final : public v1::InfoService::Service {
 public:
  grpc::Status WhoAmI(grpc::ServerContext*, const v1::WhoAmIRequest*,
                      v1::WhoAmIResponse* response) override {
    response->set_identity(kHostile);
    response->set_role(v1::ROLE_COURT);
    response->set_organisation(kHostile);
    response->set_organisation_name(kHostile);
    response->add_purpose_codes(kHostile);
    return grpc::Status::OK;
  }
};

class FakeAdmin final : public v1::AdminService::Service {
 public:
  // As gRPC answers a call registryd had received but not handed on when it was stopped.
  grpc::Status RotateKeys(grpc::ServerContext*, const v1::RotateKeysRequest*,
                          v1::RotateKeysResponse*) override {
    return grpc::Status(grpc::StatusCode::CANCELLED, "CANCELLED");
  }
  grpc::Status ListBackups(grpc::ServerContext*, const v1::ListBackupsRequest*,
                           v1::ListBackupsResponse* response) override {
    v1::BackupInfo* backup = response->add_backups();
    backup->set_backup_id(3);
    backup->set_created_at(kHostile);
    return grpc::Status::OK;
  }
};

using ::registry::testing::CliArgsAs;
using ::registry::testing::CliRun;
using ::registry::testing::RunCliCaptured;

class HostileServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int port = 0;
    server_ = registry::testing::StartFakeRegistry(
        {&audit_, &records_, &vetting_, &admin_, &info_}, &port);
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    address_ = absl::StrCat("127.0.0.1:", port);
    dir_ = testing::MakeTempDir("hostile-server-test");
  }

  void TearDown() override {
    server_->Shutdown();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  CliRun Run(const std::vector<std::string>& command, bool json = false) {
    return RunCliCaptured(CliArgsAs(address_, "auditor", command, json));
  }

  FakeAudit audit_;
  FakeRecords records_;
  FakeVetting vetting_;
  FakeAdmin admin_;
  FakeInfo info_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::string dir_;
};

TEST_F(HostileServerTest, RecordGetShowsEveryServerStringEscaped) {
  const CliRun run = Run({"record", "get", "0123456789abcdef0123456789abcdef"});
  ASSERT_EQ(run.code, 0) << run.err;
  ExpectTerminalSafe(run.out);
  for (const char* label : {"Surname:", "Aliases:", "Court:", "Offences:", "Bans:", "Created:"}) {
    SCOPED_TRACE(label);
    const size_t at = run.out.find(label);
    ASSERT_NE(at, std::string::npos) << run.out;
    const std::string line = run.out.substr(at, run.out.find('\n', at) - at);
    EXPECT_THAT(line, HasSubstr(kHostileEscaped));
  }
  EXPECT_THAT(run.out, HasSubstr("06/L-074 art. 230 (" + std::string(kHostileEscaped) + ")"));
  // The newline inside the value did not make a line of its own.
  EXPECT_THAT(run.out, Not(HasSubstr("\nWARNING: forged")));
}

TEST_F(HostileServerTest, RecordHistoryEscapesTheReason) {
  const CliRun run = Run({"record", "history", "0123456789abcdef0123456789abcdef"});
  ASSERT_EQ(run.code, 0) << run.err;
  ExpectTerminalSafe(run.out);
  EXPECT_THAT(run.out, HasSubstr(absl::StrCat("== version 0, 2026-01-10T09:00:00Z, by ",
                                              kHostileEscaped, ": ", kHostileEscaped, "\n")));
}

TEST_F(HostileServerTest, ErrorMessagesFromTheServerAreEscaped) {
  const CliRun dispute =
      Run({"record", "dispute", "0123456789abcdef0123456789abcdef", "--reason", "x"});
  EXPECT_EQ(dispute.code, 1);
  EXPECT_EQ(dispute.err, absl::StrCat("error: PERMISSION_DENIED: ", kHostileMessageEscaped, "\n"));
  const CliRun verify = Run({"audit", "verify", "--state", dir_ + "/state.json"});
  EXPECT_EQ(verify.code, 1);
  // The server's own UNAVAILABLE came over a working connection: said as a call whose outcome is
  // not known, with the server's words escaped inside.
  EXPECT_THAT(verify.err, StartsWith("error: UNAVAILABLE: the call to "));
  EXPECT_THAT(verify.err, HasSubstr(absl::StrCat(" ended after it had reached the server (",
                                                 kHostileMessageEscaped, "): ")));
  ExpectTerminalSafe(verify.err);
}

// A call the server's side cancelled (registryd stopping with the call received) was reported
// as a bare "CANCELLED: CANCELLED", which said nothing of whether the change was made.
TEST_F(HostileServerTest, ACallTheServerCancelledIsSaidToHaveAnOutcomeThatIsNotKnown) {
  const CliRun rotate = Run({"admin", "rotate-keys"});
  EXPECT_EQ(rotate.code, 1);
  EXPECT_THAT(rotate.err, StartsWith(absl::StrCat("error: CANCELLED: the registry at ", address_,
                                                  " stopped the call before answering it (")));
  // gRPC's own word for it is the code already printed.
  EXPECT_EQ(rotate.err.find("CANCELLED", 8), std::string::npos) << rotate.err;
  EXPECT_THAT(rotate.err, HasSubstr("whether it was carried out is not known"));
}

TEST_F(HostileServerTest, VetHistoryAndBackupsEscapeNamesAndDates) {
  const CliRun history =
      Run({"vet", "history", "--personal-number", "1234567890", "--request-ref", "DSR-1"});
  ASSERT_EQ(history.code, 0) << history.err;
  ExpectTerminalSafe(history.out);
  EXPECT_THAT(history.out, HasSubstr(kHostileEscaped));
  const CliRun backups = Run({"admin", "backups"});
  ASSERT_EQ(backups.code, 0) << backups.err;
  ExpectTerminalSafe(backups.out);
  EXPECT_THAT(backups.out, HasSubstr(absl::StrCat("3      ", kHostileEscaped)));
}

// `vet history` follows page tokens to the end; a server that hands back the token it was given
// would keep it going for ever, and is refused after the second page instead.
TEST_F(HostileServerTest, VetHistoryStopsWhenTheServerRepeatsAPageToken) {
  vetting_.history_token = kHostile;
  const CliRun history =
      Run({"vet", "history", "--personal-number", "1234567890", "--request-ref", "DSR-1"});
  EXPECT_NE(history.code, 0) << history.out;
  EXPECT_THAT(history.err, HasSubstr("the server returned the same page token again"));
  EXPECT_EQ(vetting_.history_pages, 2);
  ExpectTerminalSafe(history.out);
  ExpectTerminalSafe(history.err);
}

TEST_F(HostileServerTest, WhoAmIChoicesAndAReferContactAreEscaped) {
  const CliRun who = Run({"whoami"});
  ASSERT_EQ(who.code, 0) << who.err;
  ExpectTerminalSafe(who.out);
  EXPECT_THAT(who.out, HasSubstr(absl::StrCat("identity:              ", kHostileEscaped, "\n")));
  const CliRun help = Run({"record", "get", "--help"});
  ASSERT_EQ(help.code, 0) << help.err;
  ExpectTerminalSafe(help.out);
  EXPECT_THAT(help.out, HasSubstr(absl::StrCat("  ", kHostileEscaped, "\n")));
  // The refusal that lists the codes a court may state lists the server's, escaped.
  const CliRun refused =
      Run({"record", "dispute", "0123456789abcdef0123456789abcdef", "--reason", "x"});
  ExpectTerminalSafe(refused.err);
  const CliRun refer =
      Run({"vet", "check", "--personal-number", "1234567890", "--surname", "K", "--given-name", "A",
           "--birth-date", "1980-04-12", "--position", "teacher", "--consent-ref", "C-1"});
  ASSERT_EQ(refer.code, 0) << refer.err;
  ExpectTerminalSafe(refer.out);
  EXPECT_THAT(refer.out, Not(HasSubstr("\nWARNING: forged")));
  // Escaped, and whole on a line of its own: too long to follow "quoting check id" on 80 columns.
  EXPECT_THAT(refer.out, HasSubstr(absl::StrCat("quoting check id\n  ", kHostileEscaped, ".\n")));
}

TEST_F(HostileServerTest, VetPublicKeyPrintsOnlyAPemThatIsNothingButAKey) {
  const std::string good =
      "-----BEGIN PUBLIC KEY-----\n"
      "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
      "-----END PUBLIC KEY-----\n";
  vetting_.pem = good;
  const CliRun printed = Run({"vet", "public-key"});
  ASSERT_EQ(printed.code, 0) << printed.err;
  EXPECT_EQ(printed.out, good);
  // OpenSSL would read the key and skip what surrounds it; the CLI refuses to print or save it.
  vetting_.pem = absl::StrCat("\x1b[2J\x1b]0;owned\x07\n", good);
  const CliRun refused = Run({"vet", "public-key"});
  EXPECT_EQ(refused.code, 1);
  EXPECT_EQ(refused.out, "");
  EXPECT_THAT(refused.err, HasSubstr("error: DATA_LOSS: the server's public key PEM holds"));
  const CliRun not_saved = Run({"vet", "public-key", "--out", dir_ + "/key.pem"});
  EXPECT_EQ(not_saved.code, 1);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/key.pem"));
}

// The log as the tests below serve it: 0 honest; 1 a court read whose decoded copy pretends to
// be a retention job; 2 honest, with a hostile case reference; 3 bytes that are no event; 4 an
// event whose bytes give another sequence than its index.
void ServeTamperedLog(FakeAudit& audit) {
  audit.entries.push_back(Entry(0, Event(0, "spiffe://registry.kjc.dev/court/dev-court")));
  v1::AuditEntry disguised = Entry(1, Event(1, "spiffe://registry.kjc.dev/court/dev-court"));
  disguised.mutable_event()->set_actor("system:retention");
  audit.entries.push_back(disguised);
  v1::AuditEvent hostile = Event(2, "spiffe://registry.kjc.dev/court/dev-court");
  hostile.set_case_reference(kHostile);
  audit.entries.push_back(Entry(2, hostile));
  v1::AuditEntry garbage = Entry(3, Event(3, "spiffe://registry.kjc.dev/court/dev-court"));
  garbage.set_event_bytes("\xff\xff\xff");
  audit.entries.push_back(garbage);
  audit.entries.push_back(Entry(4, Event(9, "spiffe://registry.kjc.dev/court/dev-court")));
}

TEST_F(HostileServerTest, AuditListShowsTheHashedEventsAndFlagsEveryDifference) {
  ServeTamperedLog(audit_);
  const CliRun run = Run({"audit", "list"});
  EXPECT_EQ(run.code, 1) << run.err;
  ExpectTerminalSafe(run.out);
  const std::string event =
      "  2026-11-28T14:30:00Z  court    GetRecord              OK\n"
      "      by spiffe://registry.kjc.dev/court/dev-court\n"
      "      records 0123456789abcdef0123456789abcdef\n";
  EXPECT_EQ(
      run.out,
      absl::StrCat(
          "SEQ   TIME                  ROLE     METHOD                 OUTCOME\n", "0   ", event,
          // What the tree holds, not what the server's copy says; and the line after
          // says so.
          "1   ", event,
          "WARNING: event 1: server's decoded copy differs from the hashed bytes (the "
          "hashed event is shown)\n",
          "2   ", event, "      case \"", kHostileEscaped, "\"\n",
          "3     (3 bytes that are not an audit event)\n",
          "WARNING: event 3: the hashed bytes are not an audit event; the server's decoded "
          "copy is not shown\n",
          "4   ", event, "WARNING: event 4: the hashed bytes say it is event 9\n"));
  EXPECT_THAT(run.out, Not(HasSubstr("system:retention")));
}

TEST_F(HostileServerTest, AuditListOfAnHonestLogExitsZero) {
  audit_.entries.push_back(Entry(0, Event(0, "spiffe://registry.kjc.dev/court/dev-court")));
  v1::AuditEvent hostile = Event(1, "spiffe://registry.kjc.dev/court/dev-court");
  hostile.set_organisation(kHostile);
  audit_.entries.push_back(Entry(1, hostile));
  const CliRun run = Run({"audit", "list"});
  EXPECT_EQ(run.code, 0) << run.err;
  ExpectTerminalSafe(run.out);
  // No line of its own, that is; the hostile value quotes one, escaped, inside its line.
  EXPECT_THAT(run.out, Not(::testing::StartsWith("WARNING")));
  EXPECT_THAT(run.out, Not(HasSubstr("\nWARNING")));
  // Escaped inside its detail line (wrapped at its spaces like any long detail).
  EXPECT_THAT(run.out,
              HasSubstr("(\\x1b[2J\\x1b]0;owned\\x07A\\u009b31m\\u202egnp.exe\\nWARNING:"));
}

// --verified lists nothing the log did not prove: a server that cannot give a signed head gets
// its error shown and no event, and its list (which it would happily serve) is never asked for.
TEST_F(HostileServerTest, AVerifiedListShowsNothingOfALogThatDoesNotVerify) {
  ServeTamperedLog(audit_);
  const CliRun run =
      Run({"audit", "list", "--verified", "--all", "--state", dir_ + "/audit-state.json"});
  EXPECT_NE(run.code, 0);
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(run.err, HasSubstr("UNAVAILABLE"));
  EXPECT_EQ(audit_.list_calls, 0);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/audit-state.json"));
}

TEST_F(HostileServerTest, AuditListAllStopsWhenTheServerHandsBackTheSameToken) {
  audit_.entries.push_back(Entry(0, Event(0, "spiffe://registry.kjc.dev/court/dev-court")));
  audit_.next_page_token = "again";
  const CliRun run = Run({"audit", "list", "--all"});
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.err, "error: DATA_LOSS: the server returned the same page token again\n");
  EXPECT_EQ(audit_.list_calls, 2);
}

TEST_F(HostileServerTest, AuditListJsonCarriesTheHashedEventAndWarnsOnStderr) {
  ServeTamperedLog(audit_);
  const CliRun run = Run({"audit", "list"}, /*json=*/true);
  EXPECT_EQ(run.code, 1) << run.err;
  const std::vector<std::string> lines =
      absl::StrSplit(run.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 5u) << run.out;
  // The outcome comes named ("OK"), as the text names it; the rest is the API's AuditEntry.
  const auto as_entry = [](std::string line) {
    const size_t at = line.find("\"outcome\":\"");
    if (at != std::string::npos) {
      const size_t end = line.find('"', at + 11);
      line.replace(at, end + 1 - at, "\"outcome\":0");
    }
    return line;
  };
  v1::AuditEntry disguised;
  ASSERT_TRUE(ParseJson(as_entry(lines[1]), "line", &disguised).ok()) << lines[1];
  EXPECT_EQ(disguised.event().actor(), "spiffe://registry.kjc.dev/court/dev-court");
  v1::AuditEntry garbage;
  ASSERT_TRUE(ParseJson(as_entry(lines[3]), "line", &garbage).ok()) << lines[3];
  EXPECT_FALSE(garbage.has_event());
  // With --json, stderr holds JSON lines only: each warning is {"warning":"..."}.
  EXPECT_THAT(run.err, HasSubstr("{\"warning\":\"event 1: server's decoded copy differs"));
  EXPECT_THAT(run.err,
              HasSubstr("{\"warning\":\"event 3: the hashed bytes are not an audit event"));
  EXPECT_THAT(run.err, Not(HasSubstr("WARNING")));
}

TEST_F(HostileServerTest, AuditExportKeepsWhatWasServedButWarns) {
  ServeTamperedLog(audit_);
  const std::string path = dir_ + "/export.jsonl";
  const CliRun run = Run({"audit", "export", "--out", path, "--recipient", "IPA", "--reference",
                          "IPA-2026-1"});
  EXPECT_EQ(run.code, 1) << run.err;
  EXPECT_EQ(run.out, absl::StrCat("exported 5 entries to ", path, "\n"));
  EXPECT_THAT(run.err, HasSubstr("WARNING: event 1: server's decoded copy differs"));
  // The warning says which of the two the file holds (it said the hashed event was shown).
  EXPECT_THAT(run.err, HasSubstr("(the file keeps the server's copy beside the hashed bytes"));
  EXPECT_THAT(run.err, Not(HasSubstr("the hashed event is shown")));
  // The file is evidence: the entries exactly as the server sent them.
  const std::string exported = testing::ReadFileOrDie(path);
  EXPECT_THAT(exported, HasSubstr("system:retention"));
}

}  // namespace
}  // namespace registry::client

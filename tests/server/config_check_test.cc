// The config an operator writes: the shipped examples show every field of ServerConfig, every
// field's default is documented in config.proto, the backup schedule stays within the erasure
// promise, and `registryd --check_config` names every problem start-up would meet, one line each.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "crypto/blind_index.h"
#include "registry/v1/config.pb.h"
#include "server/check_config.h"
#include "server/config.h"
#include "server/key_file.h"
#include "server/registry_server.h"
#include "server/revocation.h"
#include "server/tls_identity.h"
#include "storage/backups.h"
#include "storage/database.h"
#include "storage/ids.h"
#include "storage/pending_write.h"
#include "tests/testing/clients.h"
#include "tests/testing/config_problems.h"
#include "tests/testing/data_files.h"
#include "tests/testing/held_port.h"
#include "tests/testing/installation.h"
#include "tests/testing/log_lines.h"
#include "tests/testing/stored_data.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::server {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using ::testing::HasSubstr;

// The key registryd authenticates its backups with (storage/backups.h), for backups a test makes
// through the storage layer that registryd is then to restore.
crypto::SecretBytes BackupAuthKeyOf(const StorageStack& st) {
  absl::StatusOr<crypto::SecretBytes> key =
      crypto::DeriveKey(st.derivation_root, storage::kBackupAuthKeyPurpose);
  EXPECT_TRUE(key.ok()) << key.status();
  return key.ok() ? *std::move(key) : crypto::SecretBytes();
}

// An audit event of no call, as a test appends to make the log grow.
registry::v1::AuditEvent TestEvent() {
  registry::v1::AuditEvent e;
  e.set_actor("system:test");
  e.set_action("test");
  return e;
}

// The names of the fields of `d` (and, recursively, of its message fields) that `object` lacks.
void MissingFields(const Descriptor* d, const google::protobuf::Struct& object,
                   const std::string& prefix, std::vector<std::string>* missing) {
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const std::string path = prefix + f->name();
    auto it = object.fields().find(f->name());
    if (it == object.fields().end()) {
      missing->push_back(path);
      continue;
    }
    if (f->type() == FieldDescriptor::TYPE_MESSAGE) {
      ASSERT_TRUE(it->second.has_struct_value()) << path;
      MissingFields(f->message_type(), it->second.struct_value(), path + ".", missing);
    }
  }
}

class ShippedConfigTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ShippedConfigTest, ShowsEveryFieldAndIsValid) {
  const std::string json =
      testing::ReadFileOrDie(absl::StrCat(REGISTRY_SOURCE_DIR "/", GetParam()));
  registry::v1::ServerConfig config;
  ASSERT_TRUE(ParseJson(json, &config).ok()) << ParseJson(json, &config);
  google::protobuf::Struct object;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &object).ok());
  std::vector<std::string> missing;
  MissingFields(registry::v1::ServerConfig::descriptor(), object, "", &missing);
  EXPECT_THAT(missing, ::testing::IsEmpty());
  // And the values are the documented defaults or within bounds.
  auto finished = FinishConfig(config, "/etc/registryd");
  EXPECT_TRUE(finished.ok()) << finished.status();
}

INSTANTIATE_TEST_SUITE_P(Files, ShippedConfigTest,
                         ::testing::Values("deploy/registryd.example.json",
                                           "deploy/debian/registryd.json"));

// Every field of every message in config.proto says what it defaults to, or that it is required.
TEST(ConfigProtoTest, EveryFieldDocumentsItsDefault) {
  const std::string text =
      testing::ReadFileOrDie(REGISTRY_SOURCE_DIR "/proto/registry/v1/config.proto");
  const std::regex field(R"(^\s*(?:repeated\s+)?[A-Za-z0-9_.]+\s+([a-z0-9_]+)\s*=\s*\d+;)");
  std::vector<std::string> comment;
  std::set<std::string> documented, undocumented;
  std::string message;
  for (const std::string& line : std::vector<std::string>(absl::StrSplit(text, '\n'))) {
    std::smatch m;
    const std::string trimmed(absl::StripAsciiWhitespace(line));
    if (absl::StartsWith(trimmed, "//")) {
      comment.push_back(absl::AsciiStrToLower(trimmed));
      continue;
    }
    if (absl::StartsWith(trimmed, "message ")) {
      message = std::vector<std::string>(absl::StrSplit(trimmed, ' '))[1];
    } else if (std::regex_search(line, m, field)) {
      const std::string name = absl::StrCat(message, ".", m[1].str());
      const std::string joined = absl::StrJoin(comment, " ");
      (absl::StrContains(joined, "default") || absl::StrContains(joined, "required")
           ? documented
           : undocumented)
          .insert(name);
    }
    comment.clear();
  }
  EXPECT_THAT(undocumented, ::testing::IsEmpty());
  // The parse saw every field the descriptors have, so none can slip past it.
  int fields = 0;
  const google::protobuf::FileDescriptor* file =
      registry::v1::ServerConfig::descriptor()->file();
  for (int i = 0; i < file->message_type_count(); ++i) {
    const Descriptor* d = file->message_type(i);
    for (int j = 0; j < d->field_count(); ++j) {
      ++fields;
      EXPECT_TRUE(documented.count(absl::StrCat(d->name(), ".", d->field(j)->name())))
          << d->field(j)->full_name();
    }
  }
  EXPECT_EQ(documented.size(), static_cast<size_t>(fields));
}

const char kMinimal[] = R"({"listen_address": "127.0.0.1:0",
  "tls": {"client_ca_file": "ca.pem", "cert_file": "c.pem", "key_file": "k.pem"},
  "data_dir": "data", "key_file": "keys.json", "policy_file": "policy.json",
  "reference_dir": "ref")";

absl::StatusOr<registry::v1::ServerConfig> Load(const std::string& extra) {
  const std::string dir = testing::MakeTempDir("config");
  const std::string path = dir + "/c.json";
  std::ofstream(path) << kMinimal << extra << "}";
  return LoadConfig(path);
}

TEST(BackupScheduleTest, DefaultsAreWithinTheErasurePromise) {
  auto c = Load("");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->backup().keep_count(), 14u);
  EXPECT_EQ(c->backup().keep_days(), 35u);
  EXPECT_EQ(c->backup().interval_hours(), 24u);
  EXPECT_LE(c->backup().keep_days() * 24 + c->backup().interval_hours(), kMaxBackupErasureHours);
  EXPECT_TRUE(c->metrics().listen_address().empty()) << "metrics are off by default";
}

TEST(BackupScheduleTest, ARetentionBeyondTheErasurePromiseIsRefused) {
  for (const char* bad : {R"(, "backup": {"keep_days": 36})",
                          R"(, "backup": {"keep_days": 3650})",
                          R"(, "backup": {"keep_days": 35, "interval_hours": 25})",
                          R"(, "backup": {"keep_days": 30, "interval_hours": 169})"}) {
    auto c = Load(bad);
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(c.status().message()), HasSubstr("backup.")) << bad;
  }
  auto c = Load(R"(, "backup": {"keep_days": 7, "interval_hours": 6, "keep_count": 28})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->backup().interval_hours(), 6u);
}

TEST(MetricsConfigTest, TheListenAddressIsCheckedAndNamed) {
  auto c = Load(R"(, "metrics": {"listen_address": "127.0.0.1"})");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("metrics.listen_address"));
  c = Load(R"(, "metrics": {"listen_address": "127.0.0.1:9464"})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->metrics().listen_address(), "127.0.0.1:9464");
}

// A complete, valid installation in a temporary folder, from the test PKI.
class CheckConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("check-config");
    ASSERT_NO_FATAL_FAILURE(testing::WriteInstallationFiles(dir_));
    // Any free port: the check binds the addresses it is given.
    PutConfig("127.0.0.1:0", R"("metrics": {"listen_address": "127.0.0.1:0"})");
  }

  // registryd.json of this installation, listening at `listen`, with `more` fields.
  void PutConfig(const std::string& listen, const std::string& more) {
    Put("registryd.json",
        testing::InstallationConfig(listen, more.empty() ? "" : absl::StrCat(", ", more)));
  }

  // A new file gets the mode a umask of 022 gives, whatever the umask; one already there keeps
  // its own.
  void Put(const std::string& name, const std::string& content) {
    const bool there = std::filesystem::exists(dir_ + "/" + name);
    std::ofstream(dir_ + "/" + name, std::ios::trunc) << content;
    if (!there) ::chmod((dir_ + "/" + name).c_str(), 0644);
  }
  std::vector<std::string> Check() {
    return CheckConfig(dir_ + "/registryd.json", absl::Now(), ::geteuid());
  }

  // `registryd --config` on this installation, bounded (a start that is not refused serves until
  // stopped); its stderr and stdout in *out.
  int Start(std::string* out) {
    const std::string file = dir_ + "/start.txt";
    const std::string cmd = absl::StrCat("timeout 60 " REGISTRY_BINARY_DIR "/registryd --config ",
                                         dir_, "/registryd.json > ", file, " 2>&1");
    const int rc = std::system(cmd.c_str());
    *out = testing::ReadFileOrDie(file);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }

  int Run(std::string* out) {
    const std::string file = dir_ + "/out.txt";
    const std::string cmd = absl::StrCat(REGISTRY_BINARY_DIR "/registryd --check_config ", dir_,
                                         "/registryd.json > ", file, " 2>&1");
    const int rc = std::system(cmd.c_str());
    *out = testing::ReadFileOrDie(file);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }

  // registryd with `args` on this installation; its stdout and stderr in *out.
  int Registryd(const std::string& args, std::string* out) {
    const std::string file = dir_ + "/mode.txt";
    const std::string cmd = absl::StrCat(REGISTRY_BINARY_DIR "/registryd --config ", dir_,
                                         "/registryd.json ", args, " > ", file, " 2>&1");
    const int rc = std::system(cmd.c_str());
    *out = testing::ReadFileOrDie(file);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }

  // This installation's stored data as start-up opens it (made when absent), with `erasures`
  // more erasures in the ledger that the database has applied and `events` more audit events;
  // the audit watermark follows the log. The database is closed on return.
  void AddData(int erasures, int events) {
    absl::StatusOr<registry::v1::ServerConfig> config = LoadConfig(dir_ + "/registryd.json");
    ASSERT_TRUE(config.ok()) << config.status();
    absl::StatusOr<StorageStack> st = OpenStorage(*config, SystemClock::Get());
    ASSERT_TRUE(st.ok()) << st.status();
    for (int i = 0; i < erasures; ++i) {
      absl::StatusOr<std::string> id = storage::NewRegistryId();
      ASSERT_TRUE(id.ok());
      storage::PendingWrite w;
      ASSERT_TRUE(st->ledger->Append(*id, std::string(32, static_cast<char>('a' + i)), {},
                                     absl::Now(), &w)
                      .ok());
      ASSERT_TRUE(st->audit->Append(TestEvent(), &w).ok());
    }
    for (int i = 0; i < events; ++i) ASSERT_TRUE(st->audit->Append(TestEvent(), nullptr).ok());
    ASSERT_TRUE(st->watermark->Advance(*st->audit).ok());
  }

  // Opens the stored data of `config` as start-up opens it, and its backup folder, and calls
  // `use` with them and the key registryd authenticates its backups with: for backups made
  // through the storage layer as registryd makes them (with their record that it made them).
  // The data is closed on return. Fatal on failure.
  void WithStoredDataAndBackups(
      const registry::v1::ServerConfig& config,
      const std::function<void(StorageStack&, storage::Backups&, const crypto::SecretBytes&)>&
          use) {
    absl::StatusOr<StorageStack> st = OpenStorage(config, SystemClock::Get());
    ASSERT_TRUE(st.ok()) << st.status();
    absl::StatusOr<std::unique_ptr<storage::Backups>> backups =
        storage::Backups::Open(config.backup_dir());
    ASSERT_TRUE(backups.ok()) << backups.status();
    use(*st, **backups, BackupAuthKeyOf(*st));
  }

  // Makes backups 1 to `count` of the stored data of `config` (WithStoredDataAndBackups).
  void MakeBackups(const registry::v1::ServerConfig& config, uint32_t count) {
    WithStoredDataAndBackups(config, [&](StorageStack& st, storage::Backups& backups,
                                         const crypto::SecretBytes& auth) {
      for (uint32_t want = 1; want <= count; ++want) {
        absl::StatusOr<storage::Backups::Info> made = backups.Create(st.db.get(), &auth);
        ASSERT_TRUE(made.ok()) << made.status();
        ASSERT_EQ(made->id, want);
      }
    });
  }

  std::string Ledger() {
    absl::StatusOr<registry::v1::ServerConfig> config = LoadConfig(dir_ + "/registryd.json");
    return config.ok() ? config->erasure_ledger_file() : "";
  }

  // One of the CRL files, as "crl/NAME".
  std::string ACrlFile() {
    return "crl/" + std::filesystem::directory_iterator(dir_ + "/crl")->path().filename().string();
  }

  // The config names a copy of the reference data in this installation ("reference"), which a
  // test may change; the check finds no problem with it.
  void UseACopyOfTheReferenceData() {
    ASSERT_EQ(::mkdir((dir_ + "/reference").c_str(), 0700), 0);
    for (const auto& entry :
         std::filesystem::directory_iterator(REGISTRY_SOURCE_DIR "/deploy/reference")) {
      Put("reference/" + entry.path().filename().string(),
          testing::ReadFileOrDie(entry.path().string()));
    }
    Put("registryd.json",
        absl::StrReplaceAll(testing::ReadFileOrDie(dir_ + "/registryd.json"),
                            {{REGISTRY_SOURCE_DIR "/deploy/reference", "reference"}}));
    ASSERT_THAT(Check(), ::testing::IsEmpty());
  }

  std::string dir_;
};

// --check_config holds the stored data to the erasure ledger as start-up does: with the ledger
// gone, the check said "no problem found" and the start then refused. Neither the check nor the
// refused start makes a new, empty ledger (the start left one, which the next start then read as
// the ledger).
TEST_F(CheckConfigTest, AMissingErasureLedgerIsAProblemAsAtStartAndNeitherMakesAnEmptyOne) {
  ASSERT_NO_FATAL_FAILURE(AddData(/*erasures=*/1, /*events=*/0));
  EXPECT_THAT(Check(), ::testing::IsEmpty());
  const std::string ledger = Ledger();
  ASSERT_TRUE(std::filesystem::remove(ledger));

  const std::string problem = absl::StrCat("erasure_ledger_file: the erasure ledger ", ledger,
                                           " is missing, but this database has applied 1 "
                                           "erasures");
  EXPECT_THAT(Check(), ::testing::ElementsAre(HasSubstr(problem)));
  std::string out;
  EXPECT_EQ(Run(&out), 2) << out;
  EXPECT_THAT(out, HasSubstr("problem: " + problem));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("no problem found")));
  EXPECT_FALSE(std::filesystem::exists(ledger)) << "the check made a ledger";
  EXPECT_EQ(Start(&out), 2) << out;
  EXPECT_THAT(testing::OneErrorLogLine(out).fields().at("msg").string_value(),
              HasSubstr("is missing, but this database has applied 1 erasures"));
  EXPECT_FALSE(std::filesystem::exists(ledger)) << "the refused start made an empty ledger";
}

// Start-up reads back the audit events since the last data check and refuses a damaged one; the
// check opened the log and held it to the watermark only, and said "no problem found" over it.
TEST_F(CheckConfigTest, AnAuditEventDeletedSinceTheLastDataCheckIsAProblemAsAtStart) {
  ASSERT_NO_FATAL_FAILURE(AddData(/*erasures=*/0, /*events=*/5));
  EXPECT_THAT(Check(), ::testing::IsEmpty());
  uint64_t deleted = 0;
  {
    absl::StatusOr<registry::v1::ServerConfig> config = LoadConfig(dir_ + "/registryd.json");
    ASSERT_TRUE(config.ok()) << config.status();
    absl::StatusOr<StorageStack> st = OpenStorage(*config, SystemClock::Get());
    ASSERT_TRUE(st.ok()) << st.status();
    // Not the last event, which AuditLog::Open checks itself.
    deleted = st->audit->CurrentHead().size - 3;
    ASSERT_NO_FATAL_FAILURE(
        testing::DeleteStored(st->db.get(), storage::Cf::kAudit, storage::EncodeU64(deleted)));
  }
  const std::string problem =
      absl::StrCat("data_dir: the audit log is damaged at event ", deleted, " (");
  EXPECT_THAT(Check(), ::testing::ElementsAre(::testing::AllOf(
                           HasSubstr(problem), HasSubstr("This is an incident"))));
  std::string out;
  EXPECT_EQ(Run(&out), 2) << out;
  EXPECT_THAT(out, HasSubstr("problem: " + problem));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("no problem found")));
  // The start refuses it with the same words.
  EXPECT_EQ(Start(&out), 1) << out;
  EXPECT_THAT(testing::OneErrorLogLine(out).fields().at("msg").string_value(),
              HasSubstr(absl::StrCat("the audit log is damaged at event ", deleted, " (")));
}

// A data folder put back from an earlier copy (or lost) is behind the audit watermark: the
// check names it as the start refuses it.
TEST_F(CheckConfigTest, ADataFolderPutBackFromAnEarlierCopyIsAProblemAsAtStart) {
  ASSERT_NO_FATAL_FAILURE(AddData(/*erasures=*/0, /*events=*/2));
  std::filesystem::copy(dir_ + "/data", dir_ + "/data-earlier",
                        std::filesystem::copy_options::recursive);
  ASSERT_NO_FATAL_FAILURE(AddData(/*erasures=*/0, /*events=*/5));
  EXPECT_THAT(Check(), ::testing::IsEmpty());
  std::filesystem::remove_all(dir_ + "/data");
  std::filesystem::rename(dir_ + "/data-earlier", dir_ + "/data");

  EXPECT_THAT(Check(), ::testing::ElementsAre(::testing::AllOf(
                           HasSubstr("audit_watermark_file: the audit log holds "),
                           HasSubstr("events, fewer than the "))));
  std::string out;
  EXPECT_EQ(Run(&out), 2) << out;
  EXPECT_THAT(out, HasSubstr("problem: audit_watermark_file: the audit log holds "));
  // Lost writes are no configuration error: the start exits 1.
  EXPECT_EQ(Start(&out), 1) << out;
  EXPECT_THAT(testing::OneErrorLogLine(out).fields().at("msg").string_value(),
              HasSubstr("fewer than the "));

  // No data folder at all: start-up would begin an empty registry, and refuses it.
  std::filesystem::remove_all(dir_ + "/data");
  EXPECT_THAT(Check(), ::testing::ElementsAre(HasSubstr(
                           absl::StrCat("data_dir: ", dir_, "/data holds no database"))));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/data")) << "the check made a data folder";
}

// The key folder put back without its audit watermark, and a data folder that holds no database
// (emptied, or a mistyped data_dir): the check said "no problem found", and the start began an
// empty registry, applied the ledger's erasures to it and answered CLEAR for everyone. The
// ledger's authenticated erasures prove there was data: both refuse it (exit 2), and neither
// makes a database there. An empty ledger (a first start) is no such proof.
TEST_F(CheckConfigTest, AnEmptyDataFolderBesideAnErasureLedgerWithEntriesIsAProblemAsAtStart) {
  ASSERT_NO_FATAL_FAILURE(AddData(/*erasures=*/2, /*events=*/1));
  absl::StatusOr<registry::v1::ServerConfig> config = LoadConfig(dir_ + "/registryd.json");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(std::filesystem::remove(config->audit_watermark_file()));
  std::filesystem::remove_all(dir_ + "/data");
  ASSERT_EQ(::mkdir((dir_ + "/data").c_str(), 0700), 0);

  const std::string problem =
      absl::StrCat("data_dir: ", dir_, "/data holds no database, but the erasure ledger ",
                   Ledger(), " holds 2 erasures of this registry");
  EXPECT_THAT(Check(), ::testing::ElementsAre(::testing::AllOf(
                           HasSubstr(problem), HasSubstr("--restore_backup"))));
  std::string out;
  EXPECT_EQ(Run(&out), 2) << out;
  EXPECT_THAT(out, HasSubstr("problem: " + problem));
  EXPECT_EQ(Start(&out), 2) << out;
  EXPECT_THAT(testing::OneErrorLogLine(out).fields().at("msg").string_value(),
              HasSubstr(problem));
  EXPECT_FALSE(storage::Database::Exists(dir_ + "/data")) << "a database was made";

  // A first start: a ledger that holds no erasure proves nothing.
  std::ofstream(Ledger(), std::ios::trunc);
  EXPECT_THAT(Check(), ::testing::IsEmpty());
}

// A ledger cut short (an older copy put back) was said by the check as "truncated, replaced or
// lost" with no next step, where a restore said to put back the current ledger.
TEST_F(CheckConfigTest, ALedgerThatLacksAppliedErasuresSaysToPutBackTheCurrentOne) {
  ASSERT_NO_FATAL_FAILURE(AddData(/*erasures=*/2, /*events=*/0));
  EXPECT_THAT(Check(), ::testing::IsEmpty());
  const std::string ledger = Ledger();
  const std::string full = testing::ReadFileOrDie(ledger);
  Put(std::filesystem::path(ledger).filename().string(), full.substr(0, full.find('\n') + 1));
  EXPECT_THAT(Check(), ::testing::ElementsAre(::testing::AllOf(
                           HasSubstr(absl::StrCat("erasure_ledger_file: the erasure ledger ",
                                                  ledger, " does not hold the 2 erasures")),
                           HasSubstr("put back the current erasure ledger"))));
}

// tls.crl_directory removed from a config whose installation checked revocation: the check said
// "no problem found", the start said nothing of revocation, and a revoked certificate was taken
// again. The CRL numbers file (written once a numbered CRL was in force) shows it was on: the
// check and the start refuse it as a config problem (exit 2). Without that evidence (the file
// moved aside on purpose, or never written) the check warns that revocation is off.
TEST_F(CheckConfigTest, ACrlFolderDroppedFromTheConfigWhereRevocationWasInForceIsAProblem) {
  absl::StatusOr<registry::v1::ServerConfig> config = LoadConfig(dir_ + "/registryd.json");
  ASSERT_TRUE(config.ok()) << config.status();
  const std::string numbers = config->crl_number_file();
  Put(std::filesystem::path(numbers).filename().string(), std::string(64, 'A') + " 1\n");
  ::chmod(numbers.c_str(), 0600);
  EXPECT_THAT(Check(), ::testing::IsEmpty());
  const std::string with = testing::ReadFileOrDie(dir_ + "/registryd.json");
  ASSERT_TRUE(absl::StrContains(with, R"(, "crl_directory": "crl")"));
  Put("registryd.json", absl::StrReplaceAll(with, {{R"(, "crl_directory": "crl")", ""}}));

  const std::string problem = absl::StrCat(
      "tls.crl_directory: not set, but the CRL numbers file ", numbers, " (crl_number_file)");
  EXPECT_THAT(Check(), ::testing::ElementsAre(HasSubstr(problem)));
  std::string out;
  EXPECT_EQ(Run(&out), 2) << out;
  EXPECT_THAT(out, HasSubstr("problem: " + problem));
  EXPECT_THAT(out, HasSubstr("revocation was checked for this installation"));
  EXPECT_EQ(Start(&out), 2) << out;
  EXPECT_THAT(testing::OneErrorLogLine(out).fields().at("msg").string_value(),
              HasSubstr(problem));

  // Moved aside on purpose: no problem, but said.
  std::filesystem::rename(numbers, numbers + ".kept");
  EXPECT_THAT(Check(), ::testing::IsEmpty());
  EXPECT_EQ(Run(&out), 0) << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat("warning: ", kRevocationOff)));
  EXPECT_THAT(out, HasSubstr("revocation checking is off"));
  EXPECT_THAT(out, HasSubstr("no problem found; 1 warning (above)"));
}

// Another installation's key file in place of this one's: the check compares the key check
// value with the database's as start-up does.
TEST_F(CheckConfigTest, AnotherInstallationsKeyFileIsAProblemAsAtStart) {
  ASSERT_NO_FATAL_FAILURE(AddData(/*erasures=*/1, /*events=*/1));
  EXPECT_THAT(Check(), ::testing::IsEmpty());
  auto other = GenerateKeyFile(absl::Now());
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(std::filesystem::remove(dir_ + "/keys.json"));
  ASSERT_TRUE(WriteKeyFile(dir_ + "/keys.json", *other, false).ok());

  EXPECT_THAT(Check(), ::testing::ElementsAre(HasSubstr(
                           "key_file: the key file does not belong to this database (key check "
                           "value differs)")));
  std::string out;
  EXPECT_EQ(Run(&out), 2) << out;
  EXPECT_THAT(out, HasSubstr("problem: key_file: the key file does not belong to this database"));
  EXPECT_EQ(Start(&out), 2) << out;
  EXPECT_THAT(testing::OneErrorLogLine(out).fields().at("msg").string_value(),
              HasSubstr("key check value differs"));
}

// Beside a registryd that has the database open (a new config checked before a restart), the
// stored data cannot be read: the check says what it did not check rather than "no problem
// found".
TEST_F(CheckConfigTest, StoredDataInUseIsSaidToBeNotCheckedRatherThanFine) {
  ASSERT_NO_FATAL_FAILURE(AddData(/*erasures=*/0, /*events=*/1));
  absl::StatusOr<registry::v1::ServerConfig> config = LoadConfig(dir_ + "/registryd.json");
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<StorageStack> running = OpenStorage(*config, SystemClock::Get());
  ASSERT_TRUE(running.ok()) << running.status();

  std::string out;
  EXPECT_EQ(Run(&out), 0) << out;
  EXPECT_THAT(out, HasSubstr("not checked: the data in "));
  EXPECT_THAT(out, HasSubstr("the database is open"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("no problem found")));
  // (In the process that has it open last: closing the probe's descriptor of the lock file
  // drops this process's own lock on it.)
  std::vector<std::string> not_checked;
  EXPECT_THAT(CheckConfig(dir_ + "/registryd.json", absl::Now(), ::geteuid(), &not_checked),
              ::testing::IsEmpty());
  EXPECT_THAT(not_checked, ::testing::ElementsAre(HasSubstr("the database is open")));
}

// A key file of mode 0644 was the one problem said, and the stored data, the ledger and the
// watermark it opens were skipped without a word: a missing audit watermark appeared only after
// chmod 600. The key file is still read for the check, and what it opens is checked.
TEST_F(CheckConfigTest, AKeyFileRefusedForItsModeHidesNoProblemOfWhatItOpens) {
  ASSERT_NO_FATAL_FAILURE(AddData(/*erasures=*/0, /*events=*/1));
  absl::StatusOr<registry::v1::ServerConfig> config = LoadConfig(dir_ + "/registryd.json");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(std::filesystem::remove(config->audit_watermark_file()));
  ASSERT_EQ(::chmod((dir_ + "/keys.json").c_str(), 0644), 0);
  std::vector<std::string> not_checked;
  const std::vector<std::string> problems =
      CheckConfig(dir_ + "/registryd.json", absl::Now(), ::geteuid(), &not_checked);
  const std::string all = absl::StrJoin(problems, "\n");
  EXPECT_THAT(problems, ::testing::Contains(HasSubstr("(mode 0644)"))) << all;
  EXPECT_THAT(problems, ::testing::Contains(HasSubstr("audit_watermark_file"))) << all;
  EXPECT_THAT(not_checked, ::testing::IsEmpty()) << absl::StrJoin(not_checked, "\n");
  // A key file that cannot be read at all leaves them unchecked, and says so.
  Put("keys.json", "not a key file");
  not_checked.clear();
  CheckConfig(dir_ + "/registryd.json", absl::Now(), ::geteuid(), &not_checked);
  EXPECT_THAT(not_checked,
              ::testing::ElementsAre(HasSubstr("the key file cannot be used (above)")));
}

// A metrics address with a port past 65535 (or none) hid every other problem behind "not
// checked: everything the config names": a missing policy file among them. The address is the
// config's own problem, and the rest is checked without it.
TEST_F(CheckConfigTest, AListenAddressThatIsNotHostPortHidesNoOtherProblem) {
  std::filesystem::remove(dir_ + "/policy.json");
  for (const char* address : {"127.0.0.1:99999", "localhost", ":70000"}) {
    SCOPED_TRACE(address);
    PutConfig("127.0.0.1:0",
              absl::StrCat(R"("metrics": {"listen_address": ")", address, R"("})"));
    std::vector<std::string> not_checked;
    const std::vector<std::string> problems =
        CheckConfig(dir_ + "/registryd.json", absl::Now(), ::geteuid(), &not_checked);
    const std::string all = absl::StrJoin(problems, "\n");
    EXPECT_THAT(problems, ::testing::Contains(HasSubstr("metrics.listen_address"))) << all;
    EXPECT_THAT(problems, ::testing::Contains(HasSubstr("policy_file: "))) << all;
    EXPECT_THAT(not_checked, ::testing::IsEmpty()) << absl::StrJoin(not_checked, "\n");
  }
}

// Every file of a folder by name: its size and its modification time, in nanoseconds.
std::map<std::string, std::pair<uintmax_t, int64_t>> FilesOf(const std::string& folder) {
  std::map<std::string, std::pair<uintmax_t, int64_t>> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    struct stat st {};
    EXPECT_EQ(::stat(entry.path().c_str(), &st), 0) << entry.path();
    files[entry.path().filename().string()] = {
        static_cast<uintmax_t>(st.st_size),
        int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec};
  }
  return files;
}

// The check opened the database read-write, which wrote a new MANIFEST, OPTIONS and write-ahead
// log, changed CURRENT and renamed LOG aside, though it promises to write nothing into it.
TEST_F(CheckConfigTest, TheCheckLeavesTheDataFolderOfACleanStopAsItWas) {
  ASSERT_NO_FATAL_FAILURE(AddData(/*erasures=*/1, /*events=*/3));
  const auto before = FilesOf(dir_ + "/data");
  ASSERT_FALSE(before.empty());

  std::string out;
  EXPECT_EQ(Run(&out), 0) << out;
  EXPECT_THAT(out, HasSubstr("no problem found"));
  EXPECT_EQ(FilesOf(dir_ + "/data"), before) << "names, sizes and times of every file";
}

// After a kill the check replayed the write-ahead log into new table files and deleted the log
// (RocksDB's crash recovery), and said "no problem found": the check of an ExecStartPre changed
// the folder a crash left, the evidence of what the crash cut off with it.
TEST_F(CheckConfigTest, TheCheckLeavesTheDataFolderAKillLeftAsItWasAndReadsItsWrites) {
  ASSERT_NO_FATAL_FAILURE(AddData(/*erasures=*/1, /*events=*/1));
  absl::StatusOr<registry::v1::ServerConfig> config = LoadConfig(dir_ + "/registryd.json");
  ASSERT_TRUE(config.ok()) << config.status();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Writes that reach only the write-ahead log, then a kill: nothing is flushed or closed.
    absl::StatusOr<StorageStack> st = OpenStorage(*config, SystemClock::Get());
    if (!st.ok()) ::_exit(3);
    const registry::v1::AuditEvent e = TestEvent();
    for (int i = 0; i < 8; ++i) {
      if (!st->audit->Append(e, nullptr).ok()) ::_exit(4);
    }
    if (!st->watermark->Advance(*st->audit).ok()) ::_exit(5);
    ::kill(::getpid(), SIGKILL);
    ::_exit(6);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  const auto before = FilesOf(dir_ + "/data");
  bool log_with_writes = false;
  for (const auto& [name, file] : before) {
    if (absl::EndsWith(name, ".log") && file.first > 0) log_with_writes = true;
  }
  ASSERT_TRUE(log_with_writes) << "the kill left writes in a write-ahead log";

  std::string out;
  // The watermark was moved past the writes in the log: read without them, the log would be
  // behind it, a problem.
  EXPECT_EQ(Run(&out), 0) << out;
  EXPECT_THAT(out, HasSubstr("no problem found"));
  EXPECT_EQ(FilesOf(dir_ + "/data"), before) << "names, sizes and times of every file";
  EXPECT_THAT(Check(), ::testing::IsEmpty());
  EXPECT_EQ(FilesOf(dir_ + "/data"), before) << "names, sizes and times of every file";
}

// An installation with stored data and three backups of it (ids 1, 2, 3), the newest of which
// is damaged: one checksum in its meta file edited to a number no checksum can be.
class DamagedBackupTest : public CheckConfigTest {
 protected:
  void SetUp() override {
    CheckConfigTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(AddData(/*erasures=*/0, /*events=*/2));
    absl::StatusOr<registry::v1::ServerConfig> config = LoadConfig(dir_ + "/registryd.json");
    ASSERT_TRUE(config.ok()) << config.status();
    backup_dir_ = config->backup_dir();
    ASSERT_NO_FATAL_FAILURE(MakeBackups(*config, 3));
    const std::string meta = backup_dir_ + "/meta/3";
    std::vector<std::string> lines = absl::StrSplit(testing::ReadFileOrDie(meta), '\n');
    ASSERT_GT(lines.size(), 4u);
    // The first file's line (after the date, the sequence number, the metadata and the count).
    size_t first = 3;
    while (first < lines.size() && lines[first].find(" crc32 ") == std::string::npos) ++first;
    ASSERT_LT(first, lines.size()) << meta;
    const size_t crc = lines[first].find(" crc32 ");
    lines[first] = absl::StrCat(lines[first].substr(0, crc), " crc32 99999999999");
    std::ofstream(meta, std::ios::trunc) << absl::StrJoin(lines, "\n");
  }

  std::string backup_dir_;
};

// The check said "no problem found" of a backup folder whose newest backup could not be restored.
// It warns (start-up serves beside a damaged backup, and warns of it too).
TEST_F(DamagedBackupTest, TheCheckWarnsOfADamagedBackupByIdWithoutFailing) {
  std::string out;
  EXPECT_EQ(Run(&out), 0) << out;
  EXPECT_THAT(out, HasSubstr("warning: backup_dir: backup 3 is damaged and can be neither "
                             "verified nor restored"));
  EXPECT_THAT(out, HasSubstr(backup_dir_ + "/meta/3"));
  EXPECT_THAT(out, HasSubstr("no problem found; 1 warning (above)"));
  std::vector<std::string> not_checked;
  std::vector<std::string> warnings;
  EXPECT_THAT(CheckConfig(dir_ + "/registryd.json", absl::Now(), ::geteuid(), &not_checked,
                          &warnings),
              ::testing::IsEmpty());
  EXPECT_THAT(warnings, ::testing::ElementsAre(HasSubstr("backup 3 is damaged")));
}

// A record edited so that it describes a shared file otherwise than the others do
// (`sed -i '4s/crc32 [0-9]*/crc32 12345/' meta/1`): the check said "no problem found" while no
// backup could be listed or made. It warns of that backup by id, with what to do.
TEST_F(DamagedBackupTest, TheCheckWarnsOfTwoRecordsThatDescribeASharedFileDifferently) {
  const std::string meta = backup_dir_ + "/meta/1";
  ASSERT_NE(testing::EditSharedChecksum(backup_dir_, 1, "12345"), "");

  std::vector<std::string> not_checked;
  std::vector<std::string> warnings;
  EXPECT_THAT(CheckConfig(dir_ + "/registryd.json", absl::Now(), ::geteuid(), &not_checked,
                          &warnings),
              ::testing::IsEmpty());
  EXPECT_THAT(warnings,
              ::testing::Contains(::testing::AllOf(
                  HasSubstr("backup 1 is damaged"), HasSubstr("describes the shared file"),
                  HasSubstr(absl::StrCat("move ", meta, " out of")),
                  HasSubstr("no backup can be made"))));
}

// `--restore_backup 0` restored backup 2 when backup 3 was damaged, and said only "restored
// backup into ...". It refuses, naming the damaged backup and the command that restores the
// older one; `--restore_backup 3` says that backup 3 is damaged, not that there is none; neither
// changes the data folder. A restore says which backup it restored.
TEST_F(DamagedBackupTest, ARestoreOfTheNewestRefusesADamagedOneAndEveryRestoreNamesItsBackup) {
  const auto data = FilesOf(dir_ + "/data");
  std::string out;
  EXPECT_EQ(Registryd("--restore_backup 0", &out), 1) << out;
  EXPECT_THAT(out, HasSubstr("backup 3 is damaged"));
  EXPECT_THAT(out, HasSubstr("registryd --restore_backup 2"));
  EXPECT_THAT(out, HasSubstr("was not changed"));
  EXPECT_EQ(FilesOf(dir_ + "/data"), data);

  EXPECT_EQ(Registryd("--restore_backup 3", &out), 1) << out;
  EXPECT_THAT(out, HasSubstr("backup 3 is damaged"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("no backup 3")));
  EXPECT_EQ(FilesOf(dir_ + "/data"), data);

  EXPECT_EQ(Registryd("--restore_backup 2", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat("restored backup 2 into ", dir_, "/data")));
}

// `--restore_backup 7` with no backup 7 said only that there is none: the backups there are
// are listed, by id and date, to choose from; the data folder is not changed.
TEST_F(DamagedBackupTest, ARestoreOfABackupThatIsNotThereListsTheBackupsThatAre) {
  const auto data = FilesOf(dir_ + "/data");
  std::string out;
  EXPECT_EQ(Registryd("--restore_backup 7", &out), 1) << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat("the backups in ", backup_dir_, " are 1 (")));
  EXPECT_THAT(out, ::testing::ContainsRegex(", 2 \\([0-9]{4}-[0-9]{2}-[0-9]{2}T"));
  EXPECT_THAT(out, HasSubstr("was not changed"));
  EXPECT_EQ(FilesOf(dir_ + "/data"), data);
}

// `registryd --key_file_record /tmp/none.json` (a path mistyped) advised running
// `registryd --key_file_record FILE`, the command just run: it says there is no file there.
TEST_F(CheckConfigTest, AKeyFileRecordOfAPathWithNoFileSaysSoWithoutAdvisingItself) {
  const std::string file = dir_ + "/record.txt";
  const std::string cmd = absl::StrCat(REGISTRY_BINARY_DIR "/registryd --key_file_record ", dir_,
                                       "/none.json > ", file, " 2>&1");
  const int rc = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 2);
  const std::string out = testing::ReadFileOrDie(file);
  EXPECT_THAT(out, HasSubstr(absl::StrCat("there is no file at ", dir_, "/none.json")));
  EXPECT_THAT(out, HasSubstr("check the path typed"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("--key_file_record FILE")));
}

// A backup newer than one that records the erasures it holds (the erasures-applied/v1 line of
// its metadata), yet without that line, was listed as made before backups recorded them: it lost
// the line since (its metadata edited, or made by hand in the backup folder). A problem, by id.
TEST_F(CheckConfigTest, ABackupWithoutItsErasuresLineNewerThanOneWithItIsAProblem) {
  ASSERT_NO_FATAL_FAILURE(AddData(/*erasures=*/0, /*events=*/2));
  absl::StatusOr<registry::v1::ServerConfig> config = LoadConfig(dir_ + "/registryd.json");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_NO_FATAL_FAILURE(MakeBackups(*config, 2));
  const std::string meta = config->backup_dir() + "/meta/2";
  std::vector<std::string> kept;
  for (const std::string& line :
       std::vector<std::string>(absl::StrSplit(testing::ReadFileOrDie(meta), '\n'))) {
    if (!absl::StartsWith(line, "metadata ")) kept.push_back(line);
  }
  std::ofstream(meta, std::ios::trunc) << absl::StrJoin(kept, "\n");
  std::string out;
  EXPECT_EQ(Run(&out), 2) << out;
  EXPECT_THAT(out, HasSubstr("backup 2 in "));
  EXPECT_THAT(out, HasSubstr("is newer than backup 1, which carries it"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("made before backups recorded the erasures they hold")));
}

// `registryd --restore_backup 2`, backup 2 made before backup 1 was restored (on the branch that
// restore gave up) and holding more events than the log it replaces, printed only "restored
// backup 2 ...": sizes alone said nothing was lost, while every event since the two parted was.
// It says that the backup is from another branch, where the two part and what is given up.
TEST_F(CheckConfigTest, ARestoreOfABackupFromAnAbandonedBranchPrintsWhatItGivesUp) {
  ASSERT_NO_FATAL_FAILURE(AddData(/*erasures=*/0, /*events=*/2));
  absl::StatusOr<registry::v1::ServerConfig> config = LoadConfig(dir_ + "/registryd.json");
  ASSERT_TRUE(config.ok()) << config.status();
  uint64_t parting = 0;
  ASSERT_NO_FATAL_FAILURE(WithStoredDataAndBackups(
      *config,
      [&](StorageStack& st, storage::Backups& backups, const crypto::SecretBytes& auth) {
        parting = st.audit->CurrentHead().size;
        ASSERT_TRUE(backups.Create(st.db.get(), &auth).ok());
        for (int i = 0; i < 5; ++i) ASSERT_TRUE(st.audit->Append(TestEvent(), nullptr).ok());
        ASSERT_TRUE(backups.Create(st.db.get(), &auth).ok());
        ASSERT_TRUE(st.watermark->Advance(*st.audit).ok());
      }));
  std::string out;
  ASSERT_EQ(Registryd("--restore_backup 1", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("the audit log is back at the backup's head: the 5 events"));
  // The log now holds backup 1's events and the restore's own.
  ASSERT_EQ(Registryd("--restore_backup 2", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat(
                       "backup 2 is from another branch of the audit log: the 1 event the log "
                       "held after its first ", parting, " (where the two part) is given up, "
                       "gone from this registry")));
}

// `registryd --restore_backup` printed "the 1 events written after it are gone" of one event, and
// of a backup_dir that does not exist only "there is no backup in DIR": it says "the 1 event
// written after it is gone", and that the backup folder does not exist, naming the setting.
TEST_F(CheckConfigTest, ARestoreSaysOneEventInTheSingularAndAMissingBackupFolderAsSuch) {
  ASSERT_NO_FATAL_FAILURE(AddData(/*erasures=*/0, /*events=*/2));
  absl::StatusOr<registry::v1::ServerConfig> config = LoadConfig(dir_ + "/registryd.json");
  ASSERT_TRUE(config.ok()) << config.status();
  std::filesystem::remove_all(config->backup_dir());
  const auto data = FilesOf(dir_ + "/data");
  std::string out;
  EXPECT_EQ(Registryd("--restore_backup 0", &out), 1) << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat("the backup folder ", config->backup_dir(),
                                          " (backup_dir in the config) does not exist")));
  EXPECT_THAT(out, HasSubstr("was not changed"));
  EXPECT_EQ(FilesOf(dir_ + "/data"), data);

  ASSERT_NO_FATAL_FAILURE(WithStoredDataAndBackups(
      *config,
      [&](StorageStack& st, storage::Backups& backups, const crypto::SecretBytes& auth) {
        ASSERT_TRUE(backups.Create(st.db.get(), &auth).ok());
        ASSERT_TRUE(st.audit->Append(TestEvent(), nullptr).ok());
        ASSERT_TRUE(st.watermark->Advance(*st.audit).ok());
      }));
  ASSERT_EQ(Registryd("--restore_backup 1", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("the audit log is back at the backup's head: the 1 event written "
                             "after it is gone from this registry"));
}

// registryd run by another user than the one that owns the data directory or the key file (root,
// following a runbook, for a service that runs as its own user) would leave files that user
// owns, mode 0600, unreadable to the service: it refuses, naming whom to run as, and writes
// nothing.
TEST_F(CheckConfigTest, AModeThatWritesRefusesToRunAsAnotherUserThanTheOwner) {
  ASSERT_EQ(::mkdir((dir_ + "/data").c_str(), 0700), 0);
  absl::StatusOr<registry::v1::ServerConfig> config = LoadConfig(dir_ + "/registryd.json");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(CheckRunsAsOwner(*config, ::geteuid()).ok());
  const absl::Status other = CheckRunsAsOwner(*config, ::geteuid() + 4242);
  EXPECT_EQ(other.code(), absl::StatusCode::kFailedPrecondition) << other;
  EXPECT_THAT(std::string(other.message()), HasSubstr("sudo -u "));
  if (::geteuid() != 0) GTEST_SKIP() << "giving the folder to another user needs root";

  ASSERT_EQ(::chown((dir_ + "/data").c_str(), 65534, 65534), 0);
  for (const char* mode : {"--verify_data", "--retire_kek 1", "--restore_backup 0", ""}) {
    SCOPED_TRACE(mode);
    const std::string file = dir_ + "/out.txt";
    // Bounded: without the refusal, the mode without a flag would serve until stopped.
    const std::string cmd = absl::StrCat("timeout 60 " REGISTRY_BINARY_DIR "/registryd --config ",
                                         dir_, "/registryd.json ", mode, " > ", file, " 2>&1");
    const int rc = std::system(cmd.c_str());
    const std::string out = testing::ReadFileOrDie(file);
    EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 2) << out;
    EXPECT_THAT(out, HasSubstr(absl::StrCat(dir_, "/data belongs to ")));
    EXPECT_TRUE(std::filesystem::is_empty(dir_ + "/data")) << "something was written";
  }
}

// The check holds the user it runs as to the owner of the key file, as every mode that writes
// does: a key file of another user passed the check, and the start then refused it.
TEST_F(CheckConfigTest, AKeyFileOfAnotherUserIsAProblemAsTheStartRefusesIt) {
  EXPECT_THAT(Check(), ::testing::IsEmpty());
  EXPECT_THAT(CheckConfig(dir_ + "/registryd.json", absl::Now(), ::geteuid() + 4242),
              ::testing::ElementsAre(
                  HasSubstr(absl::StrCat("user: ", dir_, "/keys.json belongs to "))));
  if (::geteuid() != 0) GTEST_SKIP() << "giving the key file to another user needs root";

  ASSERT_EQ(::chown((dir_ + "/keys.json").c_str(), 65534, 65534), 0);
  EXPECT_THAT(Check(), ::testing::ElementsAre(
                           HasSubstr(absl::StrCat("user: ", dir_, "/keys.json belongs to "))));
  std::string out;
  EXPECT_EQ(Run(&out), 2) << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat("problem: user: ", dir_, "/keys.json belongs to ")));
  EXPECT_EQ(Start(&out), 2) << out;
  EXPECT_THAT(testing::OneErrorLogLine(out).fields().at("msg").string_value(),
              HasSubstr(absl::StrCat(dir_, "/keys.json belongs to ")));
}

// An older CRL put back over the one in force while registryd was stopped: start-up refuses it
// (the CRL numbers file holds a higher number), but --check_config read no numbers file and said
// "no problem found". It reads the file now, writes it never, and says the file it read.
TEST_F(CheckConfigTest, ACrlOlderThanOneReadBeforeIsAProblemAsAtStartAndTheNumbersAreNotWritten) {
  absl::StatusOr<registry::v1::ServerConfig> config = LoadConfig(dir_ + "/registryd.json");
  ASSERT_TRUE(config.ok()) << config.status();
  const std::string numbers = config->crl_number_file();
  const std::string pki = testing::TestPki::Get().dir();
  const auto put_crls = [&](const std::string& from) {
    for (const auto& entry : std::filesystem::directory_iterator(pki + "/" + from)) {
      Put("crl/" + entry.path().filename().string(),
          testing::ReadFileOrDie(entry.path().string()));
    }
  };
  put_crls("crl-next");
  EXPECT_THAT(Check(), ::testing::IsEmpty());
  EXPECT_FALSE(std::filesystem::exists(numbers)) << "the check wrote the CRL numbers";
  {
    // As start-up reads the newer CRL and keeps its number.
    auto read = Revocation::Load(config->tls().client_ca_file(), config->tls().crl_directory(),
                                 numbers);
    ASSERT_TRUE(read.ok()) << read.status();
  }
  const std::string kept = testing::ReadFileOrDie(numbers);
  ASSERT_FALSE(kept.empty());

  put_crls("crl");
  EXPECT_THAT(Check(), ::testing::Contains(HasSubstr(
                           "is older than number 4097 read before (an earlier copy put back?)")));
  std::string out;
  EXPECT_EQ(Run(&out), 2) << out;
  EXPECT_THAT(out, HasSubstr("is older than number"));
  EXPECT_EQ(testing::ReadFileOrDie(numbers), kept) << "the check wrote the CRL numbers";
  EXPECT_EQ(Start(&out), 2) << out;
  EXPECT_THAT(testing::OneErrorLogLine(out).fields().at("msg").string_value(),
              HasSubstr("is older than number"));

  // A damaged numbers file is named as start-up names it: the file itself, not a copy.
  Put(std::filesystem::path(numbers).filename().string(), "not a number line\n");
  EXPECT_THAT(Check(), ::testing::Contains(HasSubstr(
                           absl::StrCat("crl_number_file ", numbers, ": line 1 "))));
  EXPECT_EQ(testing::ReadFileOrDie(numbers), "not a number line\n");
}

// The public keys are exported to be published: they were written 0600 (registryd's own umask)
// even under a umask of 022, and a web server or an auditor's account could not read them.
TEST_F(CheckConfigTest, ExportedPublicKeysAreReadableByAll) {
  const std::string keys = dir_ + "/published";
  ASSERT_EQ(::mkdir(keys.c_str(), 0755), 0);
  const std::string file = dir_ + "/export.txt";
  const std::string cmd = absl::StrCat("umask 022; ", REGISTRY_BINARY_DIR "/registryd --config ",
                                       dir_, "/registryd.json --export_public_keys ", keys, " > ",
                                       file, " 2>&1");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << testing::ReadFileOrDie(file);
  for (const char* name : {"audit.pub.pem", "vetting.pub.pem"}) {
    struct stat st {};
    ASSERT_EQ(::stat((keys + "/" + name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_mode & 07777, 0644u) << name;
    EXPECT_THAT(testing::ReadFileOrDie(keys + "/" + name), HasSubstr("BEGIN PUBLIC KEY"));
  }
  // A link planted at the name is not written through.
  const std::string target = dir_ + "/target";
  Put("target", "kept");
  ASSERT_TRUE(std::filesystem::remove(keys + "/audit.pub.pem"));
  std::filesystem::create_symlink(target, keys + "/audit.pub.pem");
  EXPECT_NE(std::system(cmd.c_str()), 0);
  EXPECT_EQ(testing::ReadFileOrDie(target), "kept");
}

// A CRL folder that is not there, or that holds no current CRL for a client CA, fails the check
// and stops the start too, as the runbook says ("The service does not start"). The start had
// gone on and served nothing but refusals. A fatal start-up error is one JSON line at level
// error with its stage and exit code, like the rest of the log.
TEST_F(CheckConfigTest, NoCurrentCrlFailsTheCheckAndStopsTheStart) {
  const std::string config = testing::ReadFileOrDie(dir_ + "/registryd.json");
  const std::string crls = testing::TestPki::Get().dir();
  for (const std::string how : {"missing folder", "empty folder", "expired CRL"}) {
    SCOPED_TRACE(how);
    std::filesystem::remove_all(dir_ + "/crl");
    ASSERT_EQ(::mkdir((dir_ + "/crl").c_str(), 0700), 0);
    Put("registryd.json", config);
    std::string expected = "no current revocation list for client CA";
    if (how == "missing folder") {
      Put("registryd.json", std::regex_replace(config, std::regex(R"("crl_directory": "crl")"),
                                               R"("crl_directory": "crl-gone")"));
      expected = absl::StrCat("tls.crl_directory: cannot read the CRL folder ", dir_, "/crl-gone");
    } else if (how == "expired CRL") {
      for (const auto& entry : std::filesystem::directory_iterator(crls + "/crl-expired")) {
        Put("crl/" + entry.path().filename().string(),
            testing::ReadFileOrDie(entry.path().string()));
      }
    }
    EXPECT_THAT(Check(), ::testing::Contains(HasSubstr(expected)));
    std::string out;
    EXPECT_EQ(Start(&out), 2) << out;
    const google::protobuf::Struct line = testing::OneErrorLogLine(out);
    ASSERT_TRUE(line.fields().contains("msg")) << out;
    EXPECT_THAT(line.fields().at("msg").string_value(),
                HasSubstr("registryd: start-up: tls.crl_directory: "));
    EXPECT_THAT(line.fields().at("msg").string_value(), HasSubstr(expected));
    EXPECT_EQ(line.fields().at("stage").string_value(), "start-up");
    EXPECT_EQ(line.fields().at("exit_code").number_value(), 2);
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/data")) << "the start went as far as the data";
  }
}

// A backup folder registryd cannot write fails the check and stops the start alike.
TEST_F(CheckConfigTest, ABackupFolderThatIsNoFolderFailsTheCheckAndStopsTheStart) {
  Put("backups", "a file where the backup folder should be");
  const std::string problem = absl::StrCat("backup_dir: ", dir_, "/backups is not a folder");
  EXPECT_THAT(Check(), ::testing::ElementsAre(HasSubstr(problem)));
  std::string out;
  EXPECT_EQ(Start(&out), 2) << out;
  EXPECT_THAT(testing::OneErrorLogLine(out).fields().at("msg").string_value(),
              HasSubstr(absl::StrCat("registryd: start-up: ", problem)));

  // One of the backup engine's folders in it that is no folder: the same in the check.
  std::filesystem::remove(dir_ + "/backups");
  std::filesystem::create_directories(dir_ + "/backups");
  ::chmod((dir_ + "/backups").c_str(), 0700);  // whatever the umask
  Put("backups/private", "a file where the engine's folder should be");
  EXPECT_THAT(Check(), ::testing::ElementsAre(HasSubstr(absl::StrCat(
                           "backup_dir: the backup folder ", dir_,
                           "/backups/private is not a folder"))));
}

// The default backup folder, "<data_dir>/../backups", before a first start has made data_dir:
// the folder that will hold it is writable, so neither the check nor the start refuses it.
TEST_F(CheckConfigTest, TheDefaultBackupFolderBeforeTheFirstStartIsNoProblem) {
  const std::string config = testing::ReadFileOrDie(dir_ + "/registryd.json");
  Put("registryd.json",
      std::regex_replace(config, std::regex(R"("backup_dir": "backups",)"), ""));
  ASSERT_FALSE(std::filesystem::exists(dir_ + "/data"));
  EXPECT_THAT(Check(), ::testing::IsEmpty());
  EXPECT_TRUE(WritableFolder("backup_dir", dir_ + "/data/../backups").ok());
}

// A server key every local account may read is a problem to the check and, in the same words
// (ServerKeyModeProblem), stops the start, which took it before: whoever reads it can pose as the
// registry. Its group may read it (root, group registryd, 0640).
TEST_F(CheckConfigTest, AServerKeyOpenToEveryLocalAccountIsAProblemAndStopsTheStart) {
  const std::string key = dir_ + "/tls/key.pem";
  ASSERT_EQ(::chmod(key.c_str(), 0644), 0);
  const std::string said = "tls.key_file: " + key +
                           " is open to every local account (mode 0644): whoever reads it can "
                           "pose as the registry to every official; run chmod 600 " +
                           key + " (or 0640, owner root, group registryd)";
  EXPECT_EQ(ServerKeyModeProblem(key), said);
  EXPECT_THAT(Check(), ::testing::ElementsAre(said));
  std::string out;
  EXPECT_EQ(Start(&out), 2) << out;
  EXPECT_THAT(testing::OneErrorLogLine(out).fields().at("msg").string_value(), HasSubstr(said));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/data")) << "the data folder was made";
  ASSERT_EQ(::chmod(key.c_str(), 0640), 0);
  EXPECT_THAT(Check(), ::testing::IsEmpty());
}

TEST_F(CheckConfigTest, AGoodInstallationHasNoProblem) {
  EXPECT_THAT(Check(), ::testing::IsEmpty());
  std::string out;
  EXPECT_EQ(Run(&out), 0) << out;
  EXPECT_THAT(out, HasSubstr("no problem found"));
}

TEST_F(CheckConfigTest, EveryProblemGetsItsOwnLineNamingTheField) {
  // Five things wrong at once: each is reported, none hides another.
  ::chmod((dir_ + "/keys.json").c_str(), 0644);
  Put("policy.json", "{\"principals\": [");
  Put("tls/key.pem", testing::TestPki::Get().ReadFile("server2/key.pem"));
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/crl")) {
    std::filesystem::remove(entry.path());
  }
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::TestPki::Get().dir() + "/crl-expired")) {
    Put("crl/" + entry.path().filename().string(), testing::ReadFileOrDie(entry.path().string()));
  }
  Put("data", "a file where the data folder should be");
  const std::vector<std::string> problems = Check();
  const std::string all = absl::StrJoin(problems, "\n");
  EXPECT_EQ(problems.size(), 5u) << all;
  for (const char* field :
       {"key_file:", "policy_file:", "tls.key_file:", "tls.crl_directory:", "data_dir:"}) {
    int lines = 0;
    for (const std::string& p : problems) lines += absl::StartsWith(p, field) ? 1 : 0;
    EXPECT_EQ(lines, 1) << field << "\n" << all;
  }
  std::string out;
  EXPECT_EQ(Run(&out), 2) << out;
  EXPECT_THAT(out, HasSubstr("5 problems"));
  int lines = 0;
  for (const std::string& line : std::vector<std::string>(absl::StrSplit(out, '\n'))) {
    lines += absl::StartsWith(line, "problem: ") ? 1 : 0;
  }
  EXPECT_EQ(lines, 5) << out;
}

// The config's own fields: every value out of range is listed at once (the check stopped at
// the first), each on one line naming its field, and a start is refused naming them all.
TEST_F(CheckConfigTest, EveryFieldOfTheConfigThatIsWrongIsListedAtOnce) {
  PutConfig("127.0.0.1:99999", R"("backup": {"keep_days": 40},
      "vetting": {"lookup_floor_micros": 5},
      "data_check_interval_hours": 100000)");
  const std::vector<std::string> problems = Check();
  const std::string all = absl::StrJoin(problems, "\n");
  ASSERT_EQ(problems.size(), 5u) << all;
  for (const char* field : {"listen_address: port", "backup.keep_days must be",
                            "backup.keep_days * 24 + backup.interval_hours",
                            "vetting.lookup_floor_micros must be",
                            "data_check_interval_hours must be"}) {
    int lines = 0;
    for (const std::string& p : problems) lines += absl::StrContains(p, field) ? 1 : 0;
    EXPECT_EQ(lines, 1) << field << "\n" << all;
  }
  for (const std::string& p : problems) {
    EXPECT_TRUE(absl::StartsWith(p, dir_ + "/registryd.json: ")) << p;
  }
  std::string out;
  EXPECT_EQ(Start(&out), 2) << out;
  EXPECT_THAT(out, HasSubstr("vetting.lookup_floor_micros must be"));
  EXPECT_THAT(out, HasSubstr("listen_address: port"));

  // A file that is no JSON is one problem, said on one line.
  Put("registryd.json", "{\"listen_address\": \n \"127.0.0.1:7443\",\n\n");
  const std::vector<std::string> broken = Check();
  ASSERT_EQ(broken.size(), 1u) << absl::StrJoin(broken, "\n");
  EXPECT_EQ(broken[0].find('\n'), std::string::npos) << broken[0];
}

// A policy or a config that gives a key twice is a problem of the check and stops a start,
// named by the file and the key's path: protobuf's parser would merge the two (a second list of
// principals adds its principals to the first) or take the last.
TEST_F(CheckConfigTest, APolicyOrAConfigGivingAKeyTwiceIsAProblemNamingTheFileAndTheKey) {
  const std::string policy =
      testing::ReadFileOrDie(REGISTRY_SOURCE_DIR "/deploy/dev/policy.json");
  Put("policy.json", absl::StrCat(R"({"denied_certificate_sha256": [], )",
                                  policy.substr(policy.find('{') + 1)));
  std::vector<std::string> problems = Check();
  ASSERT_EQ(problems.size(), 1u) << absl::StrJoin(problems, "\n");
  EXPECT_EQ(problems[0], absl::StrCat("policy_file: ", dir_,
                                      "/policy.json: denied_certificate_sha256: given twice"));
  std::string out;
  EXPECT_EQ(Run(&out), 2) << out;
  EXPECT_THAT(out, HasSubstr("policy.json: denied_certificate_sha256: given twice"));

  Put("policy.json", policy);
  PutConfig("127.0.0.1:0", R"("metrics": {"listen_address": "127.0.0.1:0"},
      "listen_address": "127.0.0.1:0")");
  problems = Check();
  ASSERT_EQ(problems.size(), 1u) << absl::StrJoin(problems, "\n");
  EXPECT_EQ(problems[0], dir_ + "/registryd.json: listen_address: given twice");
  EXPECT_EQ(Start(&out), 2) << out;
  EXPECT_THAT(out, HasSubstr("registryd.json: listen_address: given twice"));
}

// A policy that gives a clerk's identity the administrator's role (or any identity a role its URI
// does not name, or another trust domain) is a problem of the check and stops a start, naming
// the principal's place in the list.
TEST_F(CheckConfigTest, APolicyGivingAnIdentityARoleItsUriDoesNotNameIsAProblemAndStopsAStart) {
  const std::string policy =
      testing::ReadFileOrDie(REGISTRY_SOURCE_DIR "/deploy/dev/policy.json");
  const std::string first = R"("principals": [)";
  ASSERT_TRUE(absl::StrContains(policy, first));
  for (const std::string& added :
       {std::string(R"({"id": "spiffe://registry.kjc.dev/clerk/unlisted", "role": "ROLE_ADMIN",
                       "organisation": "kjc-security"}, )"),
        std::string(R"({"id": "spiffe://registry.kjc.dev/vetting/x", "role": "ROLE_COURT",
                       "organisation": "basic-court-prishtine"}, )")}) {
    SCOPED_TRACE(added);
    Put("policy.json", absl::StrReplaceAll(policy, {{first, first + added}}));
    const std::vector<std::string> problems = Check();
    ASSERT_EQ(problems.size(), 1u) << absl::StrJoin(problems, "\n");
    EXPECT_THAT(problems[0],
                ::testing::StartsWith(absl::StrCat("policy_file: ", dir_,
                                                   "/policy.json: principals[0].id: ")));
    std::string out;
    EXPECT_EQ(Run(&out), 2) << out;
    EXPECT_THAT(out, HasSubstr("principals[0].id: "));
    EXPECT_EQ(Start(&out), 2) << out;
    EXPECT_THAT(out, HasSubstr("principals[0].id: "));
  }
  // Another trust domain, last in the list.
  const std::string last = R"("ROLE_ADMIN", "organisation": "kjc-security"})";
  ASSERT_TRUE(absl::StrContains(policy, last));
  Put("policy.json",
      absl::StrReplaceAll(policy, {{last, last + R"(, {"id": "spiffe://other.example/admin/x",
                                   "role": "ROLE_ADMIN", "organisation": "kjc-security"})"}}));
  const std::vector<std::string> problems = Check();
  ASSERT_EQ(problems.size(), 1u) << absl::StrJoin(problems, "\n");
  EXPECT_THAT(problems[0], HasSubstr("/policy.json: principals[6].id: "));
  EXPECT_THAT(problems[0], HasSubstr("trust domain \"other.example\""));

  Put("policy.json", policy);
  EXPECT_THAT(Check(), ::testing::IsEmpty());
}

TEST_F(CheckConfigTest, MissingFilesAndAnUnreadableConfigAreProblems) {
  std::filesystem::remove(dir_ + "/keys.json");
  std::filesystem::remove(dir_ + "/tls/cert.pem");
  std::vector<std::string> problems = Check();
  EXPECT_EQ(problems.size(), 2u) << absl::StrJoin(problems, "\n");
  // A field it does not know hides none of the config's other problems, and what could not be
  // checked is said to be so.
  Put("registryd.json", "{\"listen_address\": \"127.0.0.1:0\", \"colour\": \"blue\"}");
  std::vector<std::string> not_checked;
  problems = CheckConfig(dir_ + "/registryd.json", absl::Now(), ::geteuid(), &not_checked);
  EXPECT_THAT(problems, ::testing::Contains(HasSubstr("colour")));
  EXPECT_THAT(problems, ::testing::Contains(HasSubstr("data_dir is required")));
  EXPECT_THAT(not_checked, ::testing::ElementsAre(HasSubstr("the config itself cannot be used")));
  std::string out;
  EXPECT_EQ(Run(&out), 2) << out;
  EXPECT_THAT(out, HasSubstr("not checked: everything the config names"));
}

// A missing CA bundle was said twice (by the TLS check and by the CRLs'), and a file registryd
// may not read was said as "cannot read PATH" with no reason, a CRL as "not a readable CRL", like
// a damaged one.
TEST_F(CheckConfigTest, AProblemIsSaidOnceAndAFileItMayNotReadIsSaidToBeSo) {
  std::filesystem::remove(dir_ + "/tls/ca.pem");
  std::vector<std::string> problems = Check();
  EXPECT_EQ(std::count_if(problems.begin(), problems.end(),
                          [](const std::string& p) {
                            return absl::StrContains(p, "tls.client_ca_file: cannot read");
                          }),
            1)
      << absl::StrJoin(problems, "\n");
  Put("tls/ca.pem", testing::TestPki::Get().CaPem());
  if (::geteuid() == 0) return;  // root reads any file whatever its mode
  ASSERT_EQ(::chmod((dir_ + "/policy.json").c_str(), 0), 0);
  std::string crl;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/crl")) {
    crl = entry.path().filename().string();
    ASSERT_EQ(::chmod(entry.path().c_str(), 0), 0);
  }
  problems = Check();
  ::chmod((dir_ + "/policy.json").c_str(), 0644);
  const std::string all = absl::StrJoin(problems, "\n");
  EXPECT_THAT(problems, ::testing::Contains(HasSubstr(absl::StrCat(
                            "policy_file: cannot read ", dir_,
                            "/policy.json: permission denied: the account registryd runs as"))))
      << all;
  EXPECT_THAT(problems, ::testing::Contains(HasSubstr(absl::StrCat(crl, ": cannot read "))))
      << all;
  EXPECT_THAT(all, ::testing::Not(HasSubstr("not a readable CRL")));
}

// An unknown field (`bogus_key`) hid every other problem: the check names it and goes on with
// the rest of the config, as it reads without it.
TEST_F(CheckConfigTest, AnUnknownFieldHidesNoOtherProblem) {
  PutConfig("127.0.0.1:0", R"("bogus_key": 1, "backup": {"keep_days": 40})");
  std::filesystem::remove(dir_ + "/keys.json");
  std::vector<std::string> not_checked;
  const std::vector<std::string> problems =
      CheckConfig(dir_ + "/registryd.json", absl::Now(), ::geteuid(), &not_checked);
  const std::string all = absl::StrJoin(problems, "\n");
  EXPECT_THAT(problems, ::testing::Contains(HasSubstr("bogus_key"))) << all;
  EXPECT_THAT(problems, ::testing::Contains(HasSubstr("backup.keep_days must be"))) << all;
  // Only the unknown field: what the config names is checked too.
  PutConfig("127.0.0.1:0", R"("bogus_key": 1)");
  not_checked.clear();
  EXPECT_THAT(CheckConfig(dir_ + "/registryd.json", absl::Now(), ::geteuid(), &not_checked),
              ::testing::UnorderedElementsAre(HasSubstr("bogus_key"),
                                              HasSubstr(absl::StrCat("key_file: key file ", dir_,
                                                                     "/keys.json"))));
  // Only what the missing key file opens is said to be unchecked, not the config's rest.
  EXPECT_THAT(not_checked,
              ::testing::ElementsAre(HasSubstr("the key file cannot be used (above)")));
  std::string out;
  EXPECT_EQ(Start(&out), 2) << out;
  EXPECT_THAT(out, HasSubstr("bogus_key"));
}

// A key that names no field beside a value of the wrong type, or two wrong types, were said one
// at a time, in protobuf's words ("(threads): invalid value \"two\" for type TYPE_UINT32"): an
// operator mending the config met the next only at the next check. Every one is named at once,
// by its path, in words, with the rest of the config checked; the start says them too.
TEST_F(CheckConfigTest, EveryUnknownKeyAndValueOfTheWrongTypeIsNamedAtOnceInWords) {
  PutConfig("127.0.0.1:0",
            R"("dat_dir": 1, "threads": "two", "backup": {"keep_days": true, "keep_count": 3},)"
            R"( "retention_interval_seconds": -1, "Krasniqi Arben": 1, "audit": [1])");
  std::vector<std::string> not_checked;
  const std::vector<std::string> problems =
      CheckConfig(dir_ + "/registryd.json", absl::Now(), ::geteuid(), &not_checked);
  const std::string all = absl::StrJoin(problems, "\n");
  for (const std::string expected :
       {"dat_dir: not a field; did you mean data_dir?",
        // Fields with a range of their own say it, not the type's.
        "threads must be 0 (gRPC chooses) or 64..10000",
        "backup.keep_days must be 1..35",
        "audit: must be an object, in { }",
        "retention_interval_seconds: must be a whole number from 0 to 4294967295",
        "the file: holds a key that names no field"}) {
    EXPECT_THAT(problems, ::testing::Contains(HasSubstr(expected))) << all;
  }
  EXPECT_THAT(all, ::testing::Not(HasSubstr("TYPE_")));
  EXPECT_THAT(all, ::testing::Not(HasSubstr("Krasniqi")));
  EXPECT_THAT(all, ::testing::Not(HasSubstr("Cannot find field")));
  // The rest of the config is read and checked: what it names too.
  EXPECT_THAT(not_checked, ::testing::IsEmpty()) << absl::StrJoin(not_checked, "\n");
  std::string out;
  EXPECT_EQ(Start(&out), 2) << out;
  EXPECT_THAT(out, HasSubstr("dat_dir: not a field"));
  EXPECT_THAT(out, HasSubstr("threads must be 0 (gRPC chooses) or 64..10000"));
}

// policy_file naming registryd.json was said "metrics: Cannot find field.", and the policy's
// other problems in protobuf's words, where the config's get the registry's. The policy's are
// said as the config's are; a config where the policy belongs, or a policy given as the config,
// is said to be one, with the file that belongs there.
TEST_F(CheckConfigTest, APolicyFilesProblemsAreSaidAsTheConfigsAndAnotherRegistryFileIsNamed) {
  const std::string policy = testing::ReadFileOrDie(dir_ + "/policy.json");
  Put("policy.json", testing::ReadFileOrDie(dir_ + "/registryd.json"));
  std::vector<std::string> problems = Check();
  std::string all = absl::StrJoin(problems, "\n");
  EXPECT_THAT(problems,
              ::testing::Contains(::testing::StartsWith(absl::StrCat(
                  "policy_file: ", dir_, "/policy.json: this is registryd's config"))))
      << all;
  EXPECT_THAT(all, HasSubstr("policy_file must name the policy file")) << all;
  EXPECT_THAT(all, ::testing::Not(HasSubstr("Cannot find field"))) << all;

  Put("policy.json", absl::StrCat("{\"rolle\": 1, ", policy.substr(policy.find('{') + 1)));
  problems = Check();
  all = absl::StrJoin(problems, "\n");
  EXPECT_THAT(all,
              HasSubstr(absl::StrCat("policy_file: ", dir_, "/policy.json: rolle: not a field")))
      << all;
  EXPECT_THAT(all, ::testing::Not(HasSubstr("Cannot find field"))) << all;
  std::string out;
  EXPECT_EQ(Start(&out), 2) << out;
  EXPECT_THAT(out, HasSubstr("rolle: not a field")) << out;

  // The policy given as the config.
  Put("real-policy.json", policy);
  problems = CheckConfig(dir_ + "/real-policy.json", absl::Now(), ::geteuid());
  all = absl::StrJoin(problems, "\n");
  EXPECT_THAT(all, HasSubstr("this is an access policy")) << all;
  EXPECT_THAT(all, HasSubstr("--config names the config")) << all;
}

// A folder where the config or the policy belongs is said to be one: the JSON parser had said
// "Unexpected end of string. Expected a value."
TEST_F(CheckConfigTest, AFolderWhereTheConfigOrThePolicyBelongsIsSaidToBeOne) {
  std::filesystem::remove(dir_ + "/policy.json");
  ASSERT_EQ(::mkdir((dir_ + "/policy.json").c_str(), 0700), 0);
  EXPECT_THAT(Check(), ::testing::ElementsAre(absl::StrCat(
                           "policy_file: cannot read ", dir_,
                           "/policy.json: it is a folder, not a file")));
  std::string out;
  EXPECT_EQ(Start(&out), 2) << out;
  EXPECT_THAT(out, HasSubstr("/policy.json: it is a folder, not a file"));

  ASSERT_EQ(::mkdir((dir_ + "/folder.json").c_str(), 0700), 0);
  EXPECT_THAT(CheckConfig(dir_ + "/folder.json", absl::Now(), ::geteuid()),
              ::testing::ElementsAre(
                  absl::StrCat("cannot read ", dir_, "/folder.json: it is a folder, not a file")));
}

// Whoever may write the policy decides who reads the records; whoever may write the state can
// put back an earlier copy of it. A policy, or state, that every local account may change (the
// file, or a folder above it without the sticky bit) fails the check and stops the start,
// naming what to run. The group may write: it is the service's own (docs/operations.md).
TEST_F(CheckConfigTest, APolicyOrStateEveryLocalAccountMayChangeIsAProblemAndStopsTheStart) {
  ASSERT_NO_FATAL_FAILURE(AddData(/*erasures=*/1, /*events=*/1));
  ASSERT_EQ(::mkdir((dir_ + "/backups").c_str(), 0700), 0);
  for (const char* name : {"policy.json", "erasures.ledger", "audit.watermark", "crl.numbers"}) {
    if (std::filesystem::exists(dir_ + "/" + name)) {
      ASSERT_EQ(::chmod((dir_ + "/" + name).c_str(), 0660), 0) << name;
    }
  }
  ASSERT_EQ(::chmod((dir_ + "/data").c_str(), 0770), 0);
  ASSERT_EQ(::chmod(dir_.c_str(), 0770), 0);
  EXPECT_THAT(Check(), ::testing::IsEmpty());

  ASSERT_EQ(::chmod((dir_ + "/policy.json").c_str(), 0666), 0);
  const std::string policy = absl::StrCat(dir_, "/policy.json is writable by every local "
                                          "account (mode 0666): run chmod o-w ", dir_,
                                          "/policy.json");
  EXPECT_THAT(Check(), ::testing::ElementsAre("policy_file: " + policy));
  std::string out;
  EXPECT_EQ(Run(&out), 2) << out;
  EXPECT_EQ(Start(&out), 2) << out;
  EXPECT_THAT(testing::OneErrorLogLine(out).fields().at("msg").string_value(),
              HasSubstr("registryd: start-up: " + policy));
  ASSERT_EQ(::chmod((dir_ + "/policy.json").c_str(), 0640), 0);

  ASSERT_EQ(::chmod((dir_ + "/data").c_str(), 0777), 0);
  ASSERT_EQ(::chmod((dir_ + "/backups").c_str(), 0777), 0);
  ASSERT_EQ(::chmod(Ledger().c_str(), 0666), 0);
  ASSERT_EQ(::chmod((dir_ + "/audit.watermark").c_str(), 0666), 0);
  std::vector<std::string> problems = Check();
  const std::string all = absl::StrJoin(problems, "\n");
  EXPECT_EQ(problems.size(), 4u) << all;
  for (const std::string field :
       {"data_dir", "backup_dir", "erasure_ledger_file", "audit_watermark_file"}) {
    EXPECT_THAT(problems, ::testing::Contains(::testing::AllOf(
                              ::testing::StartsWith(field + ": " + dir_ + "/"),
                              HasSubstr("is writable by every local account"),
                              HasSubstr("run chmod o-w "))))
        << all;
  }
  EXPECT_EQ(Start(&out), 2) << out;
  EXPECT_THAT(testing::OneErrorLogLine(out).fields().at("msg").string_value(),
              HasSubstr(absl::StrCat("data_dir: ", dir_, "/data is writable by every local")));
  for (const char* name : {"erasures.ledger", "audit.watermark"}) {
    ASSERT_EQ(::chmod((dir_ + "/" + name).c_str(), 0600), 0);
  }
  ASSERT_EQ(::chmod((dir_ + "/data").c_str(), 0700), 0);
  ASSERT_EQ(::chmod((dir_ + "/backups").c_str(), 0700), 0);
  EXPECT_THAT(Check(), ::testing::IsEmpty());

  // The folder that holds them all: any account may rename the policy or the ledger away and
  // put its own in its place.
  ASSERT_EQ(::chmod(dir_.c_str(), 0777), 0);
  problems = Check();
  EXPECT_THAT(problems, ::testing::Contains(::testing::StartsWith(absl::StrCat(
                            "policy_file: ", dir_, ", a folder above ", dir_,
                            "/policy.json, is writable by every local account without the "
                            "sticky bit (mode 0777)"))))
      << absl::StrJoin(problems, "\n");
  EXPECT_THAT(problems, ::testing::Contains(::testing::StartsWith(absl::StrCat(
                            "erasure_ledger_file: ", dir_, ", a folder above "))));
  ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
}

// What registryd trusts is held to it as the policy is: another local account that may change
// the config (naming a policy of its own), the client CA bundle (adding a CA of its own), the
// CRL folder or the reference data (shortening retention) is a problem, and the start refuses.
TEST_F(CheckConfigTest, WhatRegistrydTrustsEveryLocalAccountMayChangeIsAProblemAndStopsTheStart) {
  ASSERT_NO_FATAL_FAILURE(UseACopyOfTheReferenceData());

  const auto open = [this](const std::string& name, const char* mode) {
    return absl::StrCat(dir_, "/", name, " is writable by every local account (mode ", mode,
                        "): run chmod o-w ", dir_, "/", name);
  };
  std::string out;
  ASSERT_EQ(::chmod((dir_ + "/registryd.json").c_str(), 0666), 0);
  EXPECT_THAT(Check(), ::testing::ElementsAre(open("registryd.json", "0666")));
  EXPECT_EQ(Start(&out), 2) << out;
  EXPECT_THAT(out, HasSubstr(open("registryd.json", "0666")));
  ASSERT_EQ(::chmod((dir_ + "/registryd.json").c_str(), 0644), 0);

  const std::pair<std::string, std::string> trusted[] = {
      {"tls.client_ca_file", "tls/ca.pem"},
      {"tls.cert_file", "tls/cert.pem"},
      {"reference_dir", "reference/retention.json"},
      {"tls.crl_directory", ACrlFile()}};
  for (const auto& [field, name] : trusted) {
    SCOPED_TRACE(name);
    ASSERT_EQ(::chmod((dir_ + "/" + name).c_str(), 0666), 0);
    EXPECT_THAT(Check(), ::testing::ElementsAre(field + ": " + open(name, "0666")));
    EXPECT_EQ(Start(&out), 2) << out;
    EXPECT_THAT(out, HasSubstr(field + ": " + open(name, "0666")));
    ASSERT_EQ(::chmod((dir_ + "/" + name).c_str(), 0644), 0);
  }
  // A folder of them that others may write: they may put any file in it.
  for (const char* folder : {"reference", "crl"}) {
    ASSERT_EQ(::chmod((dir_ + "/" + folder).c_str(), 0777), 0);
    EXPECT_THAT(Check(), ::testing::ElementsAre(HasSubstr(open(folder, "0777"))));
    ASSERT_EQ(::chmod((dir_ + "/" + folder).c_str(), 0755), 0);
  }
  EXPECT_THAT(Check(), ::testing::IsEmpty());
}

// A file of reference_dir or tls.crl_directory that is a symbolic link into a folder every
// account may write (without the sticky bit) passed, where key_file laid out so was refused:
// neither the link nor its target is writable by all, but any account may put its own file in
// place of the target. Each entry is held to the folders above what it names, as key_file is.
TEST_F(CheckConfigTest, ATrustedFileThatLinksIntoAFolderEveryAccountMayWriteIsAProblem) {
  ASSERT_NO_FATAL_FAILURE(UseACopyOfTheReferenceData());
  const std::string open_folder = dir_ + "/open";
  ASSERT_EQ(::mkdir(open_folder.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(open_folder.c_str(), 0777), 0);  // the umask left aside
  const std::pair<std::string, std::string> trusted[] = {
      {"reference_dir", "reference/retention.json"}, {"tls.crl_directory", ACrlFile()}};
  for (const auto& [field, name] : trusted) {
    SCOPED_TRACE(name);
    const std::string file = dir_ + "/" + name;
    const std::string target =
        open_folder + "/" + std::filesystem::path(name).filename().string();
    std::filesystem::rename(file, target);
    ASSERT_EQ(::chmod(target.c_str(), 0644), 0);
    std::filesystem::create_symlink(target, file);
    EXPECT_THAT(Check(), ::testing::ElementsAre(::testing::AllOf(
                             ::testing::StartsWith(absl::StrCat(field, ": ", open_folder,
                                                                ", a folder above ", file)),
                             HasSubstr("without the sticky bit"))));
    std::string out;
    EXPECT_EQ(Start(&out), 2) << out;
    EXPECT_THAT(out, HasSubstr(absl::StrCat(field, ": ", open_folder, ", a folder above ")));
    // With the sticky bit (as /tmp), no other account may rename or delete the file: no problem.
    ASSERT_EQ(::chmod(open_folder.c_str(), 01777), 0);
    EXPECT_THAT(Check(), ::testing::IsEmpty());
    ASSERT_EQ(::chmod(open_folder.c_str(), 0777), 0);
    std::filesystem::remove(file);
    std::filesystem::rename(target, file);
  }
  EXPECT_THAT(Check(), ::testing::IsEmpty());
}

// An empty config (a file truncated by a full disk, or made with touch) was said in the JSON
// parser's words: "Unexpected end of string. Expected a value. ^".
TEST_F(CheckConfigTest, AnEmptyConfigIsSaidToBeEmpty) {
  Put("registryd.json", " \n");
  EXPECT_THAT(Check(), ::testing::ElementsAre(absl::StrCat(
                           dir_, "/registryd.json: the file is empty: it must hold one JSON "
                           "object")));
}

// A personal-number pattern that is no regular expression was said with its field twice
// ("personal_number_pattern: personal_number_pattern: not a valid ...").
TEST_F(CheckConfigTest, ABadPersonalNumberPatternNamesItsFieldOnce) {
  PutConfig("127.0.0.1:0", R"("personal_number_pattern": "[0-9")");
  EXPECT_THAT(Check(), ::testing::ElementsAre(
                           "personal_number_pattern: not a valid ECMAScript regular expression"));
}

// The check passed a listen address that was not this machine's, or a host that did not
// resolve, and the start that followed it (the unit's ExecStartPre) stopped on it. Both
// addresses are bound as start-up binds them: such an address is a problem naming its field; a
// port in use only a warning (the check may run beside the registryd that listens there).
TEST_F(CheckConfigTest, AListenAddressNotOfThisMachineIsAProblemAndAPortInUseAWarning) {
  // 192.0.2.1 is set aside for documentation (RFC 5737): no machine's own address.
  PutConfig("127.0.0.1:0", R"("metrics": {"listen_address": "192.0.2.1:9464"})");
  EXPECT_THAT(Check(), ::testing::ElementsAre(absl::StrCat(
                           "metrics.listen_address: cannot listen on 192.0.2.1:9464: the address "
                           "is not one of this machine's: give one of its addresses, 127.0.0.1, "
                           "or 0.0.0.0 for all")));
  std::string out;
  EXPECT_EQ(Run(&out), 2) << out;
  PutConfig("no-such-host.invalid:7443", "");
  EXPECT_THAT(Check(), ::testing::ElementsAre(HasSubstr(
                           "listen_address: cannot listen on no-such-host.invalid:7443: the host "
                           "is not an address, or a name this machine resolves")));

  const testing::HeldPort held;
  ASSERT_GT(held.port(), 0);
  const std::string in_use = held.address();
  PutConfig(in_use, "");
  std::vector<std::string> warnings;
  EXPECT_THAT(CheckConfig(dir_ + "/registryd.json", absl::Now(), ::geteuid(), nullptr, &warnings),
              ::testing::IsEmpty());
  EXPECT_THAT(warnings, ::testing::ElementsAre(absl::StrCat(
                            "listen_address: cannot listen on ", in_use,
                            ": the port is in use (another program, or another registryd, "
                            "listens there): stop it or choose another port")));
  EXPECT_EQ(Run(&out), 0) << out;
  EXPECT_THAT(out, HasSubstr("no problem found; 1 warning (above)"));
}

// The files registryd writes beside the key file are checked as start-up needs them: their
// folder must be there (registryd makes none of them) and the file no folder. The check passed
// them and the start was then refused, a CRL number file that could not be written blaming
// the CRLs.
TEST_F(CheckConfigTest, AStateFileWithoutItsFolderOrThatIsAFolderIsAProblemAsAtStart) {
  const std::string more = R"(, "metrics": {"listen_address": "127.0.0.1:0"})";
  ASSERT_EQ(::mkdir((dir_ + "/numbers").c_str(), 0700), 0);
  PutConfig("127.0.0.1:0", absl::StrCat(R"("crl_number_file": "numbers")", more));
  EXPECT_THAT(Check(), ::testing::ElementsAre(absl::StrCat(
                           "crl_number_file: ", dir_, "/numbers is a folder, not a file")));
  std::string out;
  EXPECT_EQ(Start(&out), 2) << out;
  std::string msg = testing::OneErrorLogLine(out).fields().at("msg").string_value();
  EXPECT_THAT(msg, HasSubstr(absl::StrCat("crl_number_file: ", dir_, "/numbers is a folder")));
  EXPECT_THAT(msg, ::testing::Not(HasSubstr("current CRL")));

  for (const std::string field : {"crl_number_file", "audit_watermark_file",
                                  "erasure_ledger_file"}) {
    SCOPED_TRACE(field);
    std::filesystem::remove_all(dir_ + "/data");
    PutConfig("127.0.0.1:0", absl::StrCat("\"", field, R"(": "gone/file")", more));
    // (The watermark and the CRL numbers go beside the ledger by default: their folder is gone
    // too.)
    EXPECT_THAT(Check(), ::testing::Contains(::testing::StartsWith(absl::StrCat(
                             field, ": the folder of ", dir_, "/gone/file cannot be used"))));
    EXPECT_EQ(Start(&out), 2) << out;
    msg = testing::OneErrorLogLine(out).fields().at("msg").string_value();
    EXPECT_THAT(msg, HasSubstr(absl::StrCat("registryd: start-up: ", field, ": the folder of ",
                                            dir_, "/gone/")))
        << msg;
    EXPECT_THAT(msg, ::testing::Not(HasSubstr("current CRL"))) << msg;
  }
}

// A role's client certificate (extendedKeyUsage clientAuth, a URI subjectAltName only) given as
// the server's passed the check, and registryd served with it; every client then refused the
// server with "unsuitable certificate purpose", which read as the wrong server. The check and
// the start name it in the same words, with the certificate to use instead.
TEST_F(CheckConfigTest, AClientsCertificateAsTheServersIsAProblemAsAtStart) {
  const testing::TestPki& pki = testing::TestPki::Get();
  Put("tls/cert.pem", pki.ReadFile("clerk/cert.pem"));
  Put("tls/key.pem", pki.ReadFile("clerk/key.pem"));
  const std::string file = dir_ + "/tls/cert.pem";
  const std::vector<std::string> problems = Check();
  EXPECT_THAT(
      problems,
      ::testing::ElementsAre(
          ::testing::AllOf(
              ::testing::StartsWith("tls.cert_file: " + file + " is not made for TLS server "
                                    "authentication (its extendedKeyUsage is clientAuth)"),
              HasSubstr("use the server's certificate, made for TLS server authentication "
                        "(extendedKeyUsage serverAuth; registry-pki.sh server PKI DNS-NAME")),
          ::testing::AllOf(::testing::StartsWith("tls.cert_file: " + file + " names no host"),
                           HasSubstr("it names spiffe://"))));
  std::string out;
  EXPECT_EQ(Run(&out), 2) << out;
  for (const std::string& p : problems) EXPECT_THAT(out, HasSubstr("problem: " + p));
  EXPECT_EQ(Start(&out), 2) << out;
  const std::string msg = testing::OneErrorLogLine(out).fields().at("msg").string_value();
  EXPECT_THAT(msg, HasSubstr(absl::StrJoin(problems, "; "))) << msg;
}

// The server's extensions as dev-pki.sh and registry-pki.sh give them.
constexpr char kServerExtensions[] =
    "basicConstraints = critical, CA:FALSE\n"
    "keyUsage = critical, digitalSignature\n"
    "extendedKeyUsage = serverAuth\n"
    "subjectAltName = DNS:localhost, IP:127.0.0.1";

// The problems of a certificate issued now by the test CA with `extensions` (for an RSA key with
// `rsa`), as the server's, `later` after it was issued; its file is *file.
std::vector<std::string> ProblemsOf(const std::string& extensions, std::string* file,
                                    bool rsa = false, absl::Duration later = absl::ZeroDuration()) {
  const testing::TestPki& pki = testing::TestPki::Get();
  const testing::TestPki::Identity id = rsa ? pki.IssueForRsaKey("localhost", extensions)
                                            : pki.IssueClient("localhost", extensions);
  *file = testing::MakeTempDir("server-cert") + "/cert.pem";
  std::ofstream(*file) << id.cert_pem;
  return ServerCertificateProblems(*file, absl::Now() + later);
}

TEST(ServerCertificateTest, EachReasonACertificateCannotServeTlsIsNamedWithTheFileAndTheFix) {
  const std::string good = kServerExtensions;
  std::string file;
  EXPECT_THAT(ProblemsOf(good, &file), ::testing::IsEmpty());

  const auto without = [&good](const std::string& line) {
    return absl::StrReplaceAll(good, {{line + "\n", ""}, {"\n" + line, ""}});
  };
  const auto with = [&good](const std::string& from, const std::string& to) {
    return absl::StrReplaceAll(good, {{from, to}});
  };
  struct Case {
    std::string extensions;
    std::string says;
    std::string fix;
  };
  const Case cases[] = {
      {with("serverAuth", "clientAuth, emailProtection"),
       " is not made for TLS server authentication (its extendedKeyUsage is clientAuth, "
       "emailProtection)",
       "made for TLS server authentication (extendedKeyUsage serverAuth;"},
      {with("serverAuth", "1.3.6.1.4.1.99999.1"),
       " is not made for TLS server authentication (its extendedKeyUsage is 1.3.6.1.4.1.99999.1)",
       "(extendedKeyUsage serverAuth;"},
      {with("digitalSignature", "keyEncipherment, keyAgreement"),
       "'s key may not sign the TLS handshake (its keyUsage is keyEncipherment, keyAgreement)",
       "whose keyUsage includes digitalSignature"},
      {without("subjectAltName = DNS:localhost, IP:127.0.0.1"),
       " names no host (no DNS name or IP address in its subjectAltName)",
       "issued for the name or address the clients connect to"},
      {with("DNS:localhost, IP:127.0.0.1", "URI:spiffe://kjc.example/server"),
       " names no host (no DNS name or IP address in its subjectAltName; it names "
       "spiffe://kjc.example/server)",
       "issued for the name or address the clients connect to"},
      {with("CA:FALSE", "CA:TRUE"), " is a CA's certificate (basicConstraints CA:TRUE)",
       "which is CA:FALSE"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.extensions);
    const std::vector<std::string> problems = ProblemsOf(c.extensions, &file);
    EXPECT_THAT(problems, ::testing::ElementsAre(::testing::AllOf(
                              ::testing::StartsWith("tls.cert_file: " + file + c.says),
                              HasSubstr(c.fix), HasSubstr("registry-pki.sh server"))));
    EXPECT_EQ(ServerCertificateServes(file, absl::Now()).message(), absl::StrJoin(problems, "; "));
  }
  // An RSA key that may only decrypt the client's secret is still a problem under any other
  // keyUsage.
  EXPECT_THAT(ProblemsOf(with("digitalSignature", "keyAgreement"), &file, /*rsa=*/true),
              ::testing::ElementsAre(HasSubstr("'s key may not sign the TLS handshake (its "
                                               "keyUsage is keyAgreement)")));
}

// What OpenSSL's clients accept of a server is no problem: no extendedKeyUsage or keyUsage at
// all, serverAuth beside other purposes, an IP address as the only name, and an RSA key whose
// keyUsage is keyEncipherment (TLS 1.2's key exchange by RSA) alone.
TEST(ServerCertificateTest, WhatTheClientsAcceptIsNoProblem) {
  const std::string good = kServerExtensions;
  std::string file;
  for (const std::string& extensions :
       {absl::StrReplaceAll(good, {{"extendedKeyUsage = serverAuth\n", ""},
                                   {"keyUsage = critical, digitalSignature\n", ""}}),
        absl::StrReplaceAll(good, {{"serverAuth", "clientAuth, serverAuth"}}),
        absl::StrReplaceAll(good, {{"DNS:localhost, IP:127.0.0.1", "IP:127.0.0.1"}})}) {
    SCOPED_TRACE(extensions);
    EXPECT_THAT(ProblemsOf(extensions, &file), ::testing::IsEmpty());
    EXPECT_TRUE(ServerCertificateServes(file, absl::Now()).ok());
  }
  const std::string encipher =
      absl::StrReplaceAll(good, {{"digitalSignature", "keyEncipherment"}});
  EXPECT_THAT(ProblemsOf(encipher, &file, /*rsa=*/true), ::testing::IsEmpty());
  EXPECT_THAT(ProblemsOf(encipher, &file), ::testing::SizeIs(1));
}

// The certificate's dates, judged at the time given, name the file and what to do.
TEST(ServerCertificateTest, AnExpiredOrNotYetValidCertificateNamesTheFileAndWhatToDo) {
  std::string file;
  std::vector<std::string> problems =
      ProblemsOf(kServerExtensions, &file, false, absl::Hours(49));
  EXPECT_THAT(
      problems,
      ::testing::ElementsAre(::testing::AllOf(
          ::testing::StartsWith("tls.cert_file: the certificate in " + file + " has expired: "),
          HasSubstr("issue the server a new one (registry-pki.sh server"),
          HasSubstr("Renew or replace the server certificate"))));
  problems = ProblemsOf(kServerExtensions, &file, false, -absl::Hours(1));
  EXPECT_THAT(problems,
              ::testing::ElementsAre("tls.cert_file: the certificate in " + file +
                                     " is not valid yet: check this machine's clock, or use a "
                                     "certificate valid now"));
  std::ofstream(file, std::ios::trunc) << "no certificate";
  EXPECT_THAT(ServerCertificateProblems(file, absl::Now()),
              ::testing::ElementsAre("tls.cert_file: " + file + " holds no PEM certificate"));
}

// A file the config names that is not there was said as "tls.cert_file: cannot read PATH: No
// such file or directory", the one problem of the check that said nothing of what to do.
TEST_F(CheckConfigTest, AMissingFileTheConfigNamesSaysWhatToDo) {
  Put("registryd.json",
      absl::StrReplaceAll(testing::InstallationConfig("127.0.0.1:0", ""),
                          {{"tls/cert.pem", "tls/nope.pem"},
                           {REGISTRY_SOURCE_DIR "/deploy/reference", dir_ + "/no-reference"}}));
  const std::vector<std::string> problems = Check();
  EXPECT_THAT(problems,
              ::testing::Contains(::testing::AllOf(
                  ::testing::StartsWith("tls.cert_file: cannot read "),
                  ::testing::EndsWith("nope.pem: No such file or directory; put the file there, "
                                      "or correct tls.cert_file in the config"))));
  EXPECT_THAT(problems, ::testing::Contains(absl::StrCat(
                            "reference_dir: cannot read ", dir_,
                            "/no-reference/offences.json: No such file or directory; put the "
                            "file there, or correct reference_dir in the config")));
  std::string out;
  EXPECT_EQ(Run(&out), 2) << out;
  EXPECT_THAT(out, HasSubstr("or correct tls.cert_file in the config")) << out;
}

// A backup registryd did not make (a sound backup's files and meta file copied as backup 7, no
// record of authentication), its metadata line claiming more erasures than the ledger holds,
// was said as an erasure ledger "truncated, replaced or lost" that no ledger could satisfy. It
// is said as the backup folder's problem: the backup, why, and to move it out.
TEST(CheckConfigBackupsTest, ABackupNotMadeHereClaimingErasuresIsNamedAsTheBackupFolders) {
  std::unique_ptr<testing::TestServer> server = testing::TestServer::Start();
  const uint32_t made = testing::CreatedBackup(*server).backup_id();
  ASSERT_NE(made, 0u);
  server->Stop();
  const std::string dir = server->config().backup_dir();
  std::filesystem::copy(absl::StrCat(dir, "/private/", made), dir + "/private/7",
                        std::filesystem::copy_options::recursive);
  std::vector<std::string> lines =
      absl::StrSplit(testing::ReadBinary(absl::StrCat(dir, "/meta/", made)), '\n');
  bool claimed = false;
  for (std::string& line : lines) {
    line = absl::StrReplaceAll(line, {{absl::StrCat("private/", made, "/"), "private/7/"}});
    if (absl::StartsWith(line, "metadata ")) {
      line = absl::StrCat("metadata ", absl::BytesToHexString(absl::StrCat(
                                           "erasures-applied/v1 5 ", std::string(64, 'b'))));
      claimed = true;
    }
  }
  ASSERT_TRUE(claimed);
  std::ofstream(dir + "/meta/7", std::ios::binary) << absl::StrJoin(lines, "\n");
  const std::vector<std::string> problems = testing::ConfigProblems(server->config(), "forged");
  EXPECT_THAT(problems,
              ::testing::Contains(::testing::AllOf(
                  ::testing::StartsWith(absl::StrCat("backup_dir: backup 7 in ", dir,
                                                     " is not as this registry made it (it has "
                                                     "no record that this registry made it)")),
                  HasSubstr("Move it out of the backup folder"))));
  for (const std::string& p : problems) {
    EXPECT_THAT(p, ::testing::Not(HasSubstr("erasure_ledger_file"))) << p;
  }
}

}  // namespace
}  // namespace registry::server

// Configuration errors: one clear message, exit code 2, for the library and the binary.
#include "server/config.h"

#include <sys/wait.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace registry::server {
namespace {

std::string Write(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

const char kGood[] = R"({"listen_address": "127.0.0.1:0",
  "tls": {"client_ca_file": "ca.pem", "cert_file": "c.pem", "key_file": "k.pem"},
  "data_dir": "data", "key_file": "keys.json", "policy_file": "policy.json",
  "reference_dir": "ref"})";

TEST(ConfigTest, ResolvesRelativePathsAndFillsDefaults) {
  const std::string dir = testing::MakeTempDir("config");
  auto c = LoadConfig(Write(dir, "c.json", kGood));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->data_dir(), dir + "/data");
  EXPECT_EQ(c->tls().client_ca_file(), dir + "/ca.pem");
  EXPECT_EQ(c->vetting().certificate_validity_days(), 90u);
  EXPECT_EQ(c->personal_number_pattern(), "[0-9]{10}");
  EXPECT_EQ(c->erasure_ledger_file(), dir + "/erasures.ledger");
  EXPECT_EQ(c->audit_watermark_file(), dir + "/audit.watermark");
  EXPECT_EQ(c->crl_number_file(), dir + "/crl.numbers");
}

// What the data directory is checked against may not be kept inside it: a copy put back would
// bring its own.
TEST(ConfigTest, TheLedgerAndTheWatermarkMustBeOutsideTheDataDirectory) {
  const std::string dir = testing::MakeTempDir("config");
  for (const char* field : {"erasure_ledger_file", "audit_watermark_file", "crl_number_file"}) {
    std::string text = kGood;
    text.insert(1, absl::StrCat("\"", field, "\": \"data/x\", "));
    auto c = LoadConfig(Write(dir, "c.json", text));
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_NE(c.status().message().find(absl::StrCat(field, " must be outside data_dir")),
              std::string::npos)
        << c.status();
  }
}

// A key file inside the data folder went with it when a restore moved the folder aside, and
// registryd could not start again; one inside the backups would be carried by every backup. Both
// were accepted: only the files kept beside the key file were held outside the data folder.
TEST(ConfigTest, AKeyFileInsideTheDataOrBackupFolderIsRefusedSayingWhyAndWhatToDo) {
  const std::string dir = testing::MakeTempDir("config");
  for (const char* key_file : {"data/keys.json", "./data/x/keys.json"}) {
    std::string text = kGood;
    text.replace(text.find("\"keys.json\""), strlen("\"keys.json\""),
                 absl::StrCat("\"", key_file, "\""));
    text.insert(1, R"("erasure_ledger_file": "ledger/erasures.ledger", )");
    auto c = LoadConfig(Write(dir, "c.json", text));
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << key_file;
    EXPECT_THAT(std::string(c.status().message()),
                ::testing::HasSubstr("key_file must be outside data_dir: a restore moves the "
                                     "data folder aside"))
        << key_file;
    EXPECT_THAT(std::string(c.status().message()), ::testing::HasSubstr("set key_file there"));
    const std::vector<std::string> problems = ConfigProblems(dir + "/c.json");
    EXPECT_THAT(problems, ::testing::Contains(::testing::HasSubstr(
                              "key_file must be outside data_dir")))
        << key_file;
  }
  std::string text = kGood;
  text.replace(text.find("\"keys.json\""), strlen("\"keys.json\""), "\"backups/keys.json\"");
  text.insert(1, R"("backup_dir": "backups", "erasure_ledger_file": "ledger/erasures.ledger", )");
  auto c = LoadConfig(Write(dir, "c.json", text));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(c.status().message()),
              ::testing::HasSubstr("key_file must be outside backup_dir: a backup must not "
                                   "carry the key that opens it"));
}

// "key_file": "data/CURRENT" with no ledger set was refused only as "erasure_ledger_file must be
// outside data_dir", a field the operator never wrote: the path derived is said as derived.
TEST(ConfigTest, AFileDerivedFromTheKeyFilesFolderIsNamedAsDerived) {
  const std::string dir = testing::MakeTempDir("config");
  std::string text = kGood;
  text.replace(text.find("\"keys.json\""), strlen("\"keys.json\""), "\"data/CURRENT\"");
  auto c = LoadConfig(Write(dir, "c.json", text));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string said(c.status().message());
  EXPECT_THAT(said, ::testing::HasSubstr("key_file must be outside data_dir"));
  EXPECT_THAT(said, ::testing::HasSubstr(absl::StrCat(
                        "erasure_ledger_file (not set: beside key_file, ", dir,
                        "/data/erasures.ledger) must be outside data_dir")));
  EXPECT_THAT(said, ::testing::HasSubstr(absl::StrCat(
                        "audit_watermark_file (not set: beside key_file, ", dir,
                        "/data/audit.watermark) must be outside data_dir")));
  // One written is named as written.
  text.insert(1, R"("crl_number_file": "data/n", )");
  c = LoadConfig(Write(dir, "c.json", text));
  EXPECT_THAT(std::string(c.status().message()),
              ::testing::HasSubstr("; crl_number_file must be outside data_dir"));
}

// The same, however the path is spelled: a "." or ".." step, a doubled slash, or a symbolic link
// into the data directory is inside it too. So are backups, and the data directory may not be
// inside the backups either.
TEST(ConfigTest, WhatMustBeOutsideTheDataDirectoryIsJudgedAsTheFileSystemResolvesIt) {
  const std::string dir = testing::MakeTempDir("config");
  std::filesystem::create_directories(dir + "/data");
  std::filesystem::create_directory_symlink(dir + "/data", dir + "/link");
  for (const char* path : {"./data/x", "data/./x", "other/../data/x", "data//x", "link/x"}) {
    std::string text = kGood;
    text.insert(1, absl::StrCat("\"erasure_ledger_file\": \"", path, "\", "));
    auto c = LoadConfig(Write(dir, "c.json", text));
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << path;
  }
  for (const char* backups : {"data/backups", "./data/b", "link/b", "data", "."}) {
    std::string text = kGood;
    text.insert(1, absl::StrCat("\"backup_dir\": \"", backups, "\", "));
    auto c = LoadConfig(Write(dir, "c.json", text));
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << backups;
    EXPECT_NE(c.status().message().find("backup_dir must be outside data_dir"), std::string::npos)
        << c.status();
  }
  // Beside it is fine, also under a name that starts like it.
  std::string text = kGood;
  text.insert(1, R"("backup_dir": "data-backups", "erasure_ledger_file": "database/x", )");
  EXPECT_TRUE(LoadConfig(Write(dir, "c.json", text)).ok());
}

TEST(ConfigTest, UnknownCallerLimitsDefaultAndAreBounded) {
  const std::string dir = testing::MakeTempDir("config");
  auto c = LoadConfig(Write(dir, "c.json", kGood));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->unknown_callers().audited_per_minute(), 10u);
  EXPECT_EQ(c->unknown_callers().audited_burst(), 20u);

  std::string text = kGood;
  text.insert(1, R"("unknown_callers": {"audited_per_minute": 3, "audited_burst": 7}, )");
  c = LoadConfig(Write(dir, "c.json", text));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->unknown_callers().audited_per_minute(), 3u);
  EXPECT_EQ(c->unknown_callers().audited_burst(), 7u);

  for (const char* bad : {R"("unknown_callers": {"audited_per_minute": 10001}, )",
                          R"("unknown_callers": {"audited_burst": 100001}, )"}) {
    text = kGood;
    text.insert(1, bad);
    c = LoadConfig(Write(dir, "c.json", text));
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(c.status().message().find("unknown_callers"), std::string::npos) << c.status();
  }
}

// Audit retention: 0 keeps every event; a year or more is accepted as given (the ECRIS-TCN
// keeps its logs three years).
TEST(ConfigTest, AuditRetentionIsZeroOrAtLeastAYear) {
  const std::string dir = testing::MakeTempDir("config");
  auto kept = LoadConfig(Write(dir, "c.json", kGood));
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(kept->audit().retention_days(), 0u);
  for (uint32_t days : {365u, 1095u, 36500u}) {
    std::string text = kGood;
    text.insert(1, absl::StrCat("\"audit\": {\"retention_days\": ", days, "}, "));
    auto c = LoadConfig(Write(dir, "c.json", text));
    ASSERT_TRUE(c.ok()) << days << ": " << c.status();
    EXPECT_EQ(c->audit().retention_days(), days);
  }
}

// The vetting lookup's floor (server/fixed_span.h): 1 ms unless set; a value too short to
// cover a lookup, or one of seconds, is refused and named.
TEST(ConfigTest, TheVettingLookupFloorDefaultsToAMillisecondAndIsBounded) {
  const std::string dir = testing::MakeTempDir("config");
  auto c = LoadConfig(Write(dir, "c.json", kGood));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->vetting().lookup_floor_micros(), 1000u);
  for (uint32_t micros : {200u, 2500u, 100000u}) {
    std::string text = kGood;
    text.insert(1, absl::StrCat("\"vetting\": {\"lookup_floor_micros\": ", micros, "}, "));
    c = LoadConfig(Write(dir, "c.json", text));
    ASSERT_TRUE(c.ok()) << micros << ": " << c.status();
    EXPECT_EQ(c->vetting().lookup_floor_micros(), micros);
  }
  for (uint32_t micros : {1u, 199u, 100001u}) {
    std::string text = kGood;
    text.insert(1, absl::StrCat("\"vetting\": {\"lookup_floor_micros\": ", micros, "}, "));
    c = LoadConfig(Write(dir, "c.json", text));
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << micros;
    EXPECT_NE(c.status().message().find("vetting.lookup_floor_micros"), std::string::npos)
        << c.status();
  }
}

TEST(ConfigTest, TheDataCheckRunsDailyByDefaultAndAtLeastMonthly) {
  const std::string dir = testing::MakeTempDir("config");
  auto c = LoadConfig(Write(dir, "c.json", kGood));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->data_check_interval_hours(), 24u);
  for (uint32_t hours : {1u, 720u, 721u}) {
    std::string text = kGood;
    text.insert(1, absl::StrCat("\"data_check_interval_hours\": ", hours, ", "));
    c = LoadConfig(Write(dir, "c.json", text));
    if (hours <= 720) {
      ASSERT_TRUE(c.ok()) << hours << ": " << c.status();
      EXPECT_EQ(c->data_check_interval_hours(), hours);
    } else {
      EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << hours;
      EXPECT_NE(c.status().message().find("data_check_interval_hours"), std::string::npos);
    }
  }
}

TEST(ConfigTest, AConfigThatSkippedFinishingStillHoldsTheLookupToTheDefaultFloor) {
  registry::v1::ServerConfig unfinished;
  EXPECT_EQ(VettingLookupFloor(unfinished), absl::Microseconds(kDefaultLookupFloorMicros));
  unfinished.mutable_vetting()->set_lookup_floor_micros(2500);
  EXPECT_EQ(VettingLookupFloor(unfinished), absl::Microseconds(2500));
}

// "backup": {"interval_hours": -5} was said as "must be a whole number from 0 to 4294967295",
// the type's range, where 1000 said "must be 1..168". A value the JSON reading refuses (negative,
// fractional, text) says the field's own range, as a value outside it does, for every field
// that has one, at --check_config and at the start alike.
TEST(ConfigTest, ANumberOutsideItsTypeIsSaidWithTheFieldsOwnRange) {
  const std::string dir = testing::MakeTempDir("config");
  const struct {
    const char* field;  // as the config writes it, "object.key" or "key"
    const char* said;
  } cases[] = {
      {"backup.interval_hours", "backup.interval_hours must be 1..168"},
      {"backup.keep_count", "backup.keep_count must be 1..1000"},
      {"backup.keep_days", "backup.keep_days must be 1..35"},
      {"audit.retention_days", "audit.retention_days must be 0 (keep every event) or 365..36500"},
      {"unknown_callers.audited_per_minute", "unknown_callers.audited_per_minute must be 1..10000"},
      {"unknown_callers.audited_burst", "unknown_callers.audited_burst must be 1..100000"},
      {"threads", "threads must be 0 (gRPC chooses) or 64..10000"},
      {"vetting.certificate_validity_days", "vetting.certificate_validity_days must be 1..3650"},
      {"vetting.lookup_floor_micros", "vetting.lookup_floor_micros must be 200..100000"},
      {"vetting.lookup_micros_per_read", "vetting.lookup_micros_per_read must be 1..1000"},
      {"data_check_interval_hours", "data_check_interval_hours must be 1..720"},
  };
  for (const auto& c : cases) {
    const std::string field = c.field;
    const size_t dot = field.find('.');
    for (const char* value : {"-5", "2.5", "\"two\"", "4294967296"}) {
      std::string text = kGood;
      text.insert(1, dot == std::string::npos
                         ? absl::StrCat("\"", field, "\": ", value, ", ")
                         : absl::StrCat("\"", field.substr(0, dot), "\": {\"",
                                        field.substr(dot + 1), "\": ", value, "}, "));
      const std::string path = Write(dir, "c.json", text);
      const std::vector<std::string> problems = ConfigProblems(path);
      EXPECT_THAT(problems, ::testing::Contains(::testing::HasSubstr(c.said)))
          << field << " = " << value;
      EXPECT_THAT(problems, ::testing::Each(::testing::Not(::testing::HasSubstr("4294967295"))))
          << field << " = " << value;
      const absl::StatusOr<registry::v1::ServerConfig> loaded = LoadConfig(path);
      EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument) << field;
      EXPECT_THAT(std::string(loaded.status().message()), ::testing::HasSubstr(c.said))
          << field << " = " << value;
    }
  }
}

TEST(ConfigTest, MissingFileIsNotFound) {
  EXPECT_EQ(LoadConfig("/nonexistent/registryd.json").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ConfigTest, UnknownFieldIsRefusedAndNamed) {
  const std::string dir = testing::MakeTempDir("config");
  std::string text = kGood;
  text.insert(1, "\"listen_adress\": \"x\", ");
  auto c = LoadConfig(Write(dir, "c.json", text));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("listen_adress"), std::string::npos) << c.status();
}

// Protobuf's parser takes the last of two values, and merges two objects or lists: a key given
// twice, at any depth, is refused naming the file and the key's path, never a value.
TEST(ConfigTest, AKeyGivenTwiceIsRefusedNamingTheFileAndItsPath) {
  const std::string dir = testing::MakeTempDir("config");
  std::string top = kGood;
  top.insert(1, R"("policy_file": "other-policy.json", )");
  std::string path = Write(dir, "top.json", top);
  auto c = LoadConfig(path);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << c.status();
  EXPECT_EQ(c.status().message(), path + ": policy_file: given twice");

  std::string nested = kGood;
  const std::string key = R"("key_file": "k.pem")";
  nested.replace(nested.find(key), key.size(), R"("key_file": "k.pem", "key_file": "x.pem")");
  path = Write(dir, "nested.json", nested);
  c = LoadConfig(path);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << c.status();
  EXPECT_EQ(c.status().message(), path + ": tls.key_file: given twice");
  EXPECT_EQ(ConfigProblems(path), std::vector<std::string>{path + ": tls.key_file: given twice"});
}

TEST(ConfigTest, BadAddressAndMissingFieldsAreNamed) {
  const std::string dir = testing::MakeTempDir("config");
  for (const auto& [from, to, field] :
       {std::make_tuple("127.0.0.1:0", "127.0.0.1", "listen_address"),
        std::make_tuple("127.0.0.1:0", "127.0.0.1:99999", "listen_address"),
        std::make_tuple("\"data_dir\": \"data\",", "", "data_dir"),
        std::make_tuple("\"reference_dir\": \"ref\"", "\"threads\": 1", "reference_dir"),
        std::make_tuple("\"data_dir\": \"data\",",
                        "\"data_dir\": \"data\", \"audit\": {\"retention_days\": 30},",
                        "audit.retention_days"),
        std::make_tuple("\"data_dir\": \"data\",",
                        "\"data_dir\": \"data\", \"audit\": {\"retention_days\": 364},",
                        "audit.retention_days"),
        std::make_tuple("\"data_dir\": \"data\",",
                        "\"data_dir\": \"data\", \"audit\": {\"retention_days\": 36501},",
                        "audit.retention_days")}) {
    std::string text = kGood;
    text.replace(text.find(from), std::string(from).size(), to);
    auto c = LoadConfig(Write(dir, "c.json", text));
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_NE(c.status().message().find(field), std::string::npos) << c.status();
  }
}

// A syntax error was said in protobuf's words with its copy of the text around it and a caret
// that, flattened onto one line, pointed at nothing. It is said with its line and column.
TEST(ConfigTest, ASyntaxErrorIsSaidWithItsLineAndColumn) {
  const std::string dir = testing::MakeTempDir("config");
  const struct {
    std::string text;
    std::string expected;
  } cases[] = {
      {"{\"listen_address\": \"127.0.0.1:0\",\n  \"data_dir\": \"data\"\n  \"key_file\": \"k\"}",
       "line 3, column 3: Expected , or } after key:value pair."},
      // Cut short: said to be, not "Closing quote expected in string.".
      {"{\"listen_address\": \"127.0.0.1:0\",\n \"data_dir\": \"data",
       "line 2, column 19: the file ends inside its JSON (a text, { or [ not closed): it was cut "
       "short, or a quote or bracket is missing before this point"},
      {"{\"listen_address\": \"127.0.0.1:0\"} x", "column 35: "},
  };
  for (const auto& c : cases) {
    const std::string path = Write(dir, "c.json", c.text);
    const auto loaded = LoadConfig(path);
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(loaded.status().message()),
                ::testing::StartsWith(absl::StrCat(path, ": ", c.expected)));
    EXPECT_THAT(std::string(loaded.status().message()), ::testing::Not(::testing::HasSubstr("^")));
    EXPECT_THAT(ConfigProblems(path),
                ::testing::ElementsAre(::testing::StartsWith(absl::StrCat(path, ": ", c.expected))));
  }
}

// A `threads` below what an ordinary load needs passed the check, and then gRPC refused calls
// itself ("Server Threadpool Exhausted"), none audited, logged or counted.
TEST(ConfigTest, ThreadsBelowSixtyFourAreRefusedSayingWhy) {
  const std::string dir = testing::MakeTempDir("config");
  for (const char* threads : {"1", "2", "63", "10001"}) {
    std::string text = kGood;
    text.insert(1, absl::StrCat("\"threads\": ", threads, ", "));
    auto c = LoadConfig(Write(dir, "c.json", text));
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << threads;
    EXPECT_THAT(std::string(c.status().message()),
                ::testing::HasSubstr("threads must be 0 (gRPC chooses) or 64..10000: gRPC "
                                     "refuses a call beyond them"))
        << threads;
  }
  for (const char* threads : {"0", "64", "10000"}) {
    std::string text = kGood;
    text.insert(1, absl::StrCat("\"threads\": ", threads, ", "));
    EXPECT_TRUE(LoadConfig(Write(dir, "c.json", text)).ok()) << threads;
  }
}

// The metrics port on the gRPC listener's port passed the check when the two were written
// differently (0.0.0.0:4767 and 127.0.0.1:4767), and start-up then failed to bind it with no
// reason. The same port of one host, or of every host, is a problem of the config.
TEST(ConfigTest, AMetricsAddressOnTheListenersPortIsRefused) {
  const std::string dir = testing::MakeTempDir("config");
  const struct {
    const char* listen;
    const char* metrics;
    bool refused;
  } cases[] = {
      {"0.0.0.0:4767", "127.0.0.1:4767", true},  {"127.0.0.1:4767", "[::]:4767", true},
      {"localhost:4767", "127.0.0.1:4767", true}, {"127.0.0.1:4767", "127.0.0.1:4767", true},
      {"127.0.0.1:4767", "127.0.0.2:4767", false}, {"0.0.0.0:4767", "127.0.0.1:4768", false},
      {"127.0.0.1:0", "127.0.0.1:0", false},
  };
  for (const auto& c : cases) {
    std::string text = kGood;
    text.replace(text.find("127.0.0.1:0"), 11, c.listen);
    text.insert(1, absl::StrCat(R"("metrics": {"listen_address": ")", c.metrics, R"("}, )"));
    const auto loaded = LoadConfig(Write(dir, "c.json", text));
    EXPECT_EQ(!loaded.ok(), c.refused) << c.listen << " " << c.metrics << " " << loaded.status();
    if (c.refused) {
      EXPECT_THAT(std::string(loaded.status().message()),
                  ::testing::HasSubstr("metrics.listen_address: "));
      EXPECT_THAT(std::string(loaded.status().message()),
                  ::testing::HasSubstr("the two cannot both listen there; choose another port"));
    }
  }
}

int RunRegistryd(const std::string& args) {
  const std::string cmd =
      absl::StrCat(REGISTRY_BINARY_DIR, "/registryd ", args, " >/dev/null 2>&1");
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST(ConfigTest, BinaryExitsTwoOnConfigErrors) {
  const std::string dir = testing::MakeTempDir("config");
  EXPECT_EQ(RunRegistryd("--config /nonexistent.json"), 2);
  std::string unknown = kGood;
  unknown.insert(1, "\"bogus\": 1, ");
  EXPECT_EQ(RunRegistryd("--config " + Write(dir, "u.json", unknown)), 2);
  std::string bad = kGood;
  bad.replace(bad.find("127.0.0.1:0"), 11, "127.0.0.1:http");
  EXPECT_EQ(RunRegistryd("--config " + Write(dir, "b.json", bad)), 2);
  // Valid config but the key file is missing: still a configuration error.
  EXPECT_EQ(RunRegistryd("--config " + Write(dir, "g.json", kGood)), 2);
  EXPECT_EQ(RunRegistryd(""), 2);
}

}  // namespace
}  // namespace registry::server

// Tamper flips: one random byte changed in a copy of a synced data directory (an SST file, the
// MANIFEST, the write-ahead log, an OPTIONS file or CURRENT), then registryd started on the copy
// and asked for every record (as a court), for a vetting answer about every person, and for a
// full audit verification (pinned audit key, every event hashed). Each flip must end in one of:
//   refused   registryd exits non-zero at start-up with a "registryd: start-up: ..." message;
//   error     a call fails (DATA_LOSS, UNAVAILABLE, ...), and every answer given is the original;
//   verify    the audit verification fails (the other answers being the original or errors);
//   same      every answer is the original one.
// Never an answer that differs from the original without an error for it, never a crash or a
// hang. The original answers come from registryd on an untouched copy.
//
// The data directory is made by a real registryd: records created, amended, disputed, people
// vetted, then a clean stop (SST files), then more of the same and a SIGKILL, so that the
// write-ahead log holds synced writes of its own.
//
// CI runs 200 flips; `tamper_flips_test --flips N` runs N (docs/reliability.md has the figures of
// a long run). The counts per outcome and per kind of file are printed, and appended as one JSON
// line to $REGISTRY_RELIABILITY_REPORT when it is set.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "client/audit_verifier.h"
#include "client/connection.h"
#include "client/grpc_audit_log_source.h"
#include "google/protobuf/util/message_differencer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/audit.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "storage/database.h"
#include "storage/table_probe.h"
#include "tests/reliability/registryd_child.h"
#include "tests/reliability/run_count.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

namespace fs = std::filesystem;

int g_flips = 100;

std::unique_ptr<grpc::ClientContext> Context(int seconds = 20) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

enum class Kind { kSst, kManifest, kWal, kOptions, kCurrent, kCount };
const char* KindName(Kind k) {
  switch (k) {
    case Kind::kSst: return "sst";
    case Kind::kManifest: return "manifest";
    case Kind::kWal: return "wal";
    case Kind::kOptions: return "options";
    case Kind::kCurrent: return "current";
    default: return "?";
  }
}

std::optional<Kind> KindOf(const std::string& name) {
  if (absl::EndsWith(name, ".sst")) return Kind::kSst;
  if (absl::StartsWith(name, "MANIFEST-")) return Kind::kManifest;
  if (absl::EndsWith(name, ".log") && name != "LOG") return Kind::kWal;
  if (absl::StartsWith(name, "OPTIONS-")) return Kind::kOptions;
  if (name == "CURRENT") return Kind::kCurrent;
  return std::nullopt;
}

// A record and a person to vet, as the golden run made them.
struct Subject {
  std::string record_id;
  int n = 0;
  v1::Person person;
};

// What one registryd said about the data.
struct Answers {
  enum class Start { kServing, kRefused, kCrashed, kHung, kSilentExit } start = Start::kServing;
  std::string start_message;
  std::vector<grpc::Status> record_status;
  std::vector<v1::Record> records;
  std::vector<grpc::Status> vet_status;
  std::vector<std::string> vet_answers;  // result and referral contact
  absl::Status verify;
  absl::Status stream;
  std::vector<std::string> events;  // the first `golden_events` event bytes
  bool crashed_while_serving = false;
};

// The start-up error line registryd prints before it exits (main.cc Fail).
std::string StartUpMessage(const std::string& log) {
  const size_t at = log.find("registryd: ");
  if (at == std::string::npos) return "";
  return log.substr(at, log.find('\n', at) - at);
}

class TamperFlips {
 public:
  void Run(int flips) {
    const uint64_t seed = std::random_device{}();
    dir_ = testing::MakeTempDir("tamper-flips");
    std::printf("tamper flips: seed %llu, %d flips, folder %s\n",
                static_cast<unsigned long long>(seed), flips, dir_.c_str());
    MakeGoldenData();
    if (::testing::Test::HasFailure()) return;
    CountGoldenEvents();
    golden_ = Ask(files_.data_dir, dir_ + "/reference");
    ASSERT_EQ(golden_.start, Answers::Start::kServing) << golden_.start_message;
    for (size_t i = 0; i < golden_.records.size(); ++i) {
      ASSERT_TRUE(golden_.record_status[i].ok()) << golden_.record_status[i].error_message();
    }
    for (const grpc::Status& s : golden_.vet_status) ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_TRUE(golden_.verify.ok()) << golden_.verify;
    ASSERT_TRUE(golden_.stream.ok()) << golden_.stream;
    ASSERT_EQ(golden_.events.size(), golden_events_);

    // The files that may be flipped, by kind.
    for (const auto& entry : fs::directory_iterator(files_.data_dir)) {
      const std::string name = entry.path().filename().string();
      std::optional<Kind> kind = KindOf(name);
      if (kind && entry.is_regular_file() && fs::file_size(entry.path()) > 0) {
        targets_[static_cast<int>(*kind)].push_back(name);
      }
    }
    for (int k = 0; k < static_cast<int>(Kind::kCount); ++k) {
      ASSERT_FALSE(targets_[k].empty()) << "no " << KindName(static_cast<Kind>(k)) << " file in "
                                        << absl::StrJoin(fs::directory_iterator(files_.data_dir),
                                                         " ", [](std::string* out, const auto& e) {
                                                           out->append(e.path().filename());
                                                         });
    }

    // Two flips at a time: one per core.
    std::atomic<int> next{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < 2; ++w) {
      workers.emplace_back([&, w] {
        std::mt19937_64 rng(seed + static_cast<uint64_t>(w) * 7919);
        for (int i = next.fetch_add(1); i < flips && !::testing::Test::HasFailure();
             i = next.fetch_add(1)) {
          OneFlip(i, rng);
        }
      });
    }
    for (auto& t : workers) t.join();
    Report(seed);
    if (!::testing::Test::HasFailure()) {
      std::error_code ignored;
      fs::remove_all(dir_, ignored);
    } else {
      std::printf("tamper flips: files kept in %s\n", dir_.c_str());
    }
  }

 private:
  void MakeGoldenData() {
    fs::create_directories(dir_ + "/install");
    files_ = RegistrydChild::Prepare(dir_ + "/install", testing::UnthrottledDevPolicy());
    RegistrydChild child(files_);
    // Phase 1: flushed into SST files by a clean stop.
    ASSERT_EQ(child.Start(absl::Seconds(60)), RegistrydChild::Outcome::kServing) << child.Log();
    Write(child, 0, 12);
    if (::testing::Test::HasFailure()) return;
    ASSERT_EQ(child.Terminate(absl::Seconds(60)), 0) << child.Log();
    // Phase 2: synced into the write-ahead log only.
    ASSERT_EQ(child.Start(absl::Seconds(60)), RegistrydChild::Outcome::kServing) << child.Log();
    Write(child, 12, 4);
    if (::testing::Test::HasFailure()) return;
    child.Kill();
  }

  // Creates `count` records from FictionalRecord(first), amends and disputes some, vets some.
  void Write(RegistrydChild& child, int first, int count) {
    auto clerk = v1::RecordService::NewStub(child.Channel("clerk"));
    auto vetting = v1::VettingService::NewStub(child.Channel("vetting"));
    for (int n = first; n < first + count; ++n) {
      const v1::CreateRecordRequest req = testing::FictionalRecord(n);
      v1::CreateRecordResponse created;
      grpc::Status s = clerk->CreateRecord(Context().get(), req, &created);
      ASSERT_TRUE(s.ok()) << s.error_message();
      subjects_.push_back({created.record_id(), n, req.person()});
      if (n % 3 == 0) {
        v1::AmendRecordRequest amend;
        amend.set_record_id(created.record_id());
        amend.mutable_person()->set_last_known_address(absl::StrCat("Rr. Flip ", n, ", Pejë"));
        amend.mutable_update_mask()->add_paths("person.last_known_address");
        amend.set_reason("address corrected by court notice");
        v1::AmendRecordResponse amended;
        s = clerk->AmendRecord(Context().get(), amend, &amended);
        ASSERT_TRUE(s.ok()) << s.error_message();
      }
      if (n % 4 == 1) {
        v1::DisputeRecordRequest dispute;
        dispute.set_record_id(created.record_id());
        dispute.set_reason("identity contested by the data subject");
        v1::RecordStatusResponse disputed;
        s = clerk->DisputeRecord(Context().get(), dispute, &disputed);
        ASSERT_TRUE(s.ok()) << s.error_message();
      }
      if (n % 2 == 0) {
        v1::VettingCheckResponse checked;
        s = vetting->VettingCheck(Context().get(),
                                  testing::CandidateOf(req.person(), absl::StrCat("C-", n)),
                                  &checked);
        ASSERT_TRUE(s.ok()) << s.error_message();
      }
    }
  }

  // How many events the data holds: they must come back byte for byte.
  void CountGoldenEvents() {
    const std::string scratch = dir_ + "/count";
    fs::copy(files_.data_dir, scratch, fs::copy_options::recursive);
    storage::DatabaseOptions o;
    o.path = scratch;
    o.create_if_missing = false;
    auto db = storage::Database::Open(o);
    ASSERT_TRUE(db.ok()) << db.status();
    auto it = (*db)->NewIterator(storage::Cf::kAudit);
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++golden_events_;
    ASSERT_TRUE(it->status().ok()) << it->status().ToString();
    it.reset();
    db->reset();
    fs::remove_all(scratch);
    ASSERT_GT(golden_events_, 30u);
  }

  // Starts registryd on a copy of `data` in `work` and asks everything.
  Answers Ask(const std::string& data, const std::string& work) {
    Answers a;
    fs::create_directories(work);
    const std::string copy = work + "/data";
    fs::copy(data, copy, fs::copy_options::recursive);
    RegistrydChild child(RegistrydChild::WithDataDir(files_, work, copy));
    const RegistrydChild::Outcome o = child.Start(absl::Seconds(60));
    if (o != RegistrydChild::Outcome::kServing) {
      const std::string log = child.Log();
      a.start_message = StartUpMessage(log);
      if (o == RegistrydChild::Outcome::kTimeout) {
        a.start = Answers::Start::kHung;
        a.start_message = log;
      } else if (child.exit_code() >= 128) {
        a.start = Answers::Start::kCrashed;
        a.start_message = absl::StrCat("exit ", child.exit_code(), "\n", log);
      } else if (child.exit_code() == 0 || a.start_message.empty()) {
        a.start = Answers::Start::kSilentExit;
        a.start_message = absl::StrCat("exit ", child.exit_code(), "\n", log);
      } else {
        a.start = Answers::Start::kRefused;
      }
      return a;
    }
    auto court = v1::RecordService::NewStub(child.Channel("court"));
    for (const Subject& s : subjects_) {
      v1::GetRecordRequest req;
      req.set_record_id(s.record_id);
      req.mutable_purpose()->set_case_reference(absl::StrCat("PKR ", s.n, "/2026"));
      req.mutable_purpose()->set_purpose_code("criminal_proceedings");
      v1::GetRecordResponse resp;
      a.record_status.push_back(court->GetRecord(Context().get(), req, &resp));
      a.records.push_back(resp.record());
    }
    auto vetting = v1::VettingService::NewStub(child.Channel("vetting"));
    for (const Subject& s : subjects_) {
      v1::VettingCheckResponse resp;
      a.vet_status.push_back(vetting->VettingCheck(
          Context().get(), testing::CandidateOf(s.person, absl::StrCat("CONSENT-", s.n)), &resp));
      a.vet_answers.push_back(absl::StrCat(resp.result(), " ", resp.refer_contact()));
    }
    client::ConnectionSettings settings;
    settings.timeout = absl::Seconds(30);
    settings.request_id = "tamper-flips";
    client::GrpcAuditLogSource source(child.Channel("auditor"), settings);
    client::AuditVerifyOptions options;
    options.full = true;
    if (!audit_key_pem_.empty()) options.public_key_pem = audit_key_pem_;
    absl::StatusOr<client::AuditVerification> verified =
        client::VerifyAuditLog(source, std::nullopt, options, absl::Now());
    a.verify = verified.status();
    if (audit_key_pem_.empty() && verified.ok()) {
      // The golden run pins the key (the key file is not in the data directory, so no flip can
      // change it); every flipped copy is verified against it.
      auto key = source.GetAuditPublicKey();
      if (key.ok()) audit_key_pem_ = key->pem();
    }
    a.stream = source.StreamEvents(0, golden_events_, [&](const v1::AuditEntry& e) {
      a.events.push_back(e.event_bytes());
      return absl::OkStatus();
    });
    // A process that died while answering crashed, whatever the answers were.
    if (child.Terminate(absl::Seconds(60)) >= 128) a.crashed_while_serving = true;
    return a;
  }

  void OneFlip(int i, std::mt19937_64& rng) {
    const Kind kind = static_cast<Kind>(i % static_cast<int>(Kind::kCount));
    const std::vector<std::string>& names = targets_[static_cast<int>(kind)];
    const std::string name = names[rng() % names.size()];
    const std::string flipped = absl::StrCat(dir_, "/flip-", i);
    fs::copy(files_.data_dir, flipped + "-src", fs::copy_options::recursive);
    const std::string path = flipped + "-src/" + name;
    std::string bytes = testing::ReadFileOrDie(path);
    const size_t offset = rng() % bytes.size();
    const uint8_t mask = static_cast<uint8_t>(1 + rng() % 255);
    bytes[offset] = static_cast<char>(static_cast<uint8_t>(bytes[offset]) ^ mask);
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out << bytes;
    }
    const std::string where =
        absl::StrFormat("flip %d: %s byte %d of %d xor 0x%02x", i, name, offset, bytes.size(), mask);
    const Answers a = Ask(flipped + "-src", flipped);
    const std::string outcome = Classify(a, where);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++counts_[KindName(kind)][outcome];
      ++totals_[outcome];
      if (outcome == "refused" && examples_.size() < 8 &&
          !examples_.count(a.start_message.substr(0, 60))) {
        examples_[a.start_message.substr(0, 60)] = a.start_message;
      }
    }
    std::error_code ignored;
    fs::remove_all(flipped, ignored);
    fs::remove_all(flipped + "-src", ignored);
  }

  // The outcome's name; fails the test for anything that is none of the four.
  std::string Classify(const Answers& a, const std::string& where) {
    switch (a.start) {
      case Answers::Start::kRefused:
        return "refused";
      case Answers::Start::kCrashed:
        ADD_FAILURE() << where << ": registryd crashed at start-up: " << a.start_message;
        return "crashed";
      case Answers::Start::kHung:
        ADD_FAILURE() << where << ": registryd neither served nor exited: " << a.start_message;
        return "hung";
      case Answers::Start::kSilentExit:
        ADD_FAILURE() << where << ": registryd exited without saying why: " << a.start_message;
        return "silent";
      case Answers::Start::kServing:
        break;
    }
    if (a.crashed_while_serving) {
      ADD_FAILURE() << where << ": registryd crashed while answering";
      return "crashed";
    }
    bool error = false;
    for (size_t r = 0; r < a.records.size(); ++r) {
      if (!a.record_status[r].ok()) {
        error = true;
        continue;
      }
      if (!google::protobuf::util::MessageDifferencer::Equals(a.records[r], golden_.records[r])) {
        ADD_FAILURE() << where << ": record " << subjects_[r].record_id
                      << " answered differently without an error:\n got "
                      << a.records[r].ShortDebugString() << "\nwant "
                      << golden_.records[r].ShortDebugString();
        return "wrong";
      }
    }
    for (size_t v = 0; v < a.vet_answers.size(); ++v) {
      if (!a.vet_status[v].ok()) {
        error = true;
        continue;
      }
      if (a.vet_answers[v] != golden_.vet_answers[v]) {
        ADD_FAILURE() << where << ": vetting of person " << subjects_[v].n
                      << " answered differently without an error: " << a.vet_answers[v]
                      << ", was " << golden_.vet_answers[v];
        return "wrong";
      }
    }
    if (!a.verify.ok()) return error ? "error" : "verify";
    // The log verified: then what it serves must be what it held.
    if (!a.stream.ok()) return "error";
    if (a.events != golden_.events) {
      size_t k = 0;
      while (k < a.events.size() && k < golden_.events.size() && a.events[k] == golden_.events[k]) {
        ++k;
      }
      ADD_FAILURE() << where << ": the audit log verified but event " << k << " differs";
      return "wrong";
    }
    return error ? "error" : "same";
  }

  void Report(uint64_t seed) {
    std::string by_kind;
    for (const auto& [kind, outcomes] : counts_) {
      std::vector<std::string> parts;
      for (const auto& [o, n] : outcomes) parts.push_back(absl::StrFormat("\"%s\": %d", o, n));
      absl::StrAppend(&by_kind, by_kind.empty() ? "" : ", ", "\"", kind, "\": {",
                      absl::StrJoin(parts, ", "), "}");
    }
    std::vector<std::string> totals;
    int total = 0;
    for (const auto& [o, n] : totals_) {
      totals.push_back(absl::StrFormat("\"%s\": %d", o, n));
      total += n;
    }
    const std::string line = absl::StrFormat(
        "{\"test\": \"tamper_flips\", \"seed\": %d, \"flips\": %d, \"records\": %d, "
        "\"events\": %d, \"outcomes\": {%s}, \"by_kind\": {%s}}",
        seed, total, subjects_.size(), golden_events_, absl::StrJoin(totals, ", "), by_kind);
    std::printf("%s\n", line.c_str());
    for (const auto& [prefix, message] : examples_) {
      std::printf("  refused with: %s\n", message.c_str());
    }
    if (const char* path = std::getenv("REGISTRY_RELIABILITY_REPORT"); path && *path) {
      std::ofstream(path, std::ios::app) << line << "\n";
    }
  }

  std::string dir_;
  RegistrydChild::Files files_;
  std::vector<Subject> subjects_;
  uint64_t golden_events_ = 0;
  std::string audit_key_pem_;
  Answers golden_;
  std::vector<std::string> targets_[static_cast<int>(Kind::kCount)];
  std::mutex mu_;
  std::map<std::string, std::map<std::string, int>> counts_;
  std::map<std::string, int> totals_;
  std::map<std::string, std::string> examples_;
};

TEST(TamperFlipsTest, EveryFlipIsRefusedAnErrorAFailedVerificationOrChangesNothing) {
  TamperFlips run;
  run.Run(g_flips);
}

// The one flip the random run above finds only now and then: the high bit of the word that says
// how a table's properties block is indexed. RocksDB parses that block before it checks it, and
// this RocksDB build aborts on it; registryd must name the file and refuse to start instead
// (storage/table_probe.h).
TEST(TamperFlipsTest, ADamagedPropertiesBlockIsNamedAndRefusedNotAnAbort) {
  const std::string dir = testing::MakeTempDir("damaged-table");
  fs::create_directories(dir + "/install");
  const RegistrydChild::Files files =
      RegistrydChild::Prepare(dir + "/install", testing::UnthrottledDevPolicy());
  {
    RegistrydChild child(files);
    ASSERT_EQ(child.Start(absl::Seconds(60)), RegistrydChild::Outcome::kServing) << child.Log();
    auto clerk = v1::RecordService::NewStub(child.Channel("clerk"));
    v1::CreateRecordResponse created;
    const grpc::Status s =
        clerk->CreateRecord(Context().get(), testing::FictionalRecord(0), &created);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(child.Terminate(absl::Seconds(60)), 0) << child.Log();  // flushes into tables
  }
  // Find that flip with the probe itself: the first byte near a table's end whose high bit makes
  // the reader abort.
  std::string damaged;
  for (const auto& entry : fs::directory_iterator(files.data_dir)) {
    if (entry.path().extension() != ".sst" || !damaged.empty()) continue;
    std::string bytes;
    {
      std::ifstream in(entry.path(), std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    for (size_t at = bytes.size() > 256 ? bytes.size() - 256 : 0; at < bytes.size(); ++at) {
      std::string flipped = bytes;
      flipped[at] = static_cast<char>(flipped[at] ^ 0x80);
      std::ofstream(entry.path(), std::ios::binary | std::ios::trunc) << flipped;
      if (!storage::ProbeTableFiles(files.data_dir).ok()) {
        damaged = entry.path().filename().string();
        break;
      }
      std::ofstream(entry.path(), std::ios::binary | std::ios::trunc) << bytes;
    }
  }
  // Debian 12's RocksDB aborts on that flip; without one there would be nothing to check.
  ASSERT_FALSE(damaged.empty()) << "no flip makes this RocksDB build abort: nothing was checked";
  RegistrydChild child(files);
  EXPECT_EQ(child.Start(absl::Seconds(60)), RegistrydChild::Outcome::kExited) << child.Log();
  EXPECT_EQ(child.exit_code(), 1) << child.Log();
  EXPECT_THAT(child.Log(), ::testing::HasSubstr(absl::StrCat("registryd: start-up: table file ",
                                                             damaged, " in ")));
  EXPECT_THAT(child.Log(), ::testing::HasSubstr("is damaged"));
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace registry::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (!registry::testing::ReadRunCount(argc, argv, "REGISTRY_TAMPER_FLIPS", "flips",
                                       &registry::testing::g_flips)) {
    return 2;
  }
  return RUN_ALL_TESTS();
}

// Crash cycles: a real registryd process, SIGKILLed at random moments while clerks create, amend,
// dispute and resolve records, an employer vets and an auditor collects signed tree heads. After
// every restart:
//  - every acknowledged write is present and reads back exactly (person, conviction, version,
//    status); a write whose reply was lost in the crash is either wholly there or wholly absent;
//  - the versions of each record and the audit log's successful change events naming it agree
//    one for one: no change without its event, no event claiming a change that is absent (and
//    the server's own data check, AdminService.VerifyData, finds nothing);
//  - vetting answers follow the records (NOT_CLEAR for an active record, REFER for a disputed
//    one);
//  - the audit log verifies in full from the state of the previous verification, and is
//    consistent with every signed head seen before the crash.
//
// CI runs 10 cycles; `crash_cycles_test --cycles N` runs N (docs/reliability.md has the figures
// of a long run). The counts are printed at the end, and appended as one JSON line to the file
// named by $REGISTRY_RELIABILITY_REPORT when it is set.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "client/audit_verifier.h"
#include "client/connection.h"
#include "client/grpc_audit_log_source.h"
#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "crypto/tree_head.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/audit.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "tests/reliability/registryd_child.h"
#include "tests/reliability/run_count.h"
#include "tests/testing/audit_verify.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

int g_cycles = 10;

constexpr char kRec[] = "/registry.v1.RecordService/";
// Records each clerk keeps at most: the workload then amends, disputes and resolves them, so that
// a long run's verification after each restart stays bounded.
constexpr size_t kMaxRecordsPerClerk = 40;
constexpr int kClerks = 3;

std::unique_ptr<grpc::ClientContext> Context(int seconds = 10) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

// A failed call whose outcome the client cannot know: the server died (or stopped answering)
// with the request sent. Any other failure is a definite answer, and a wrong one here.
bool OutcomeUnknown(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
      return true;
    default:
      return false;
  }
}

v1::Purpose CourtPurpose(int n) {
  v1::Purpose p;
  p.set_case_reference(absl::StrCat("PKR ", n, "/2026"));
  p.set_purpose_code("criminal_proceedings");
  return p;
}

// What the test knows of one record: the state of its last acknowledged write and, when a write's
// reply was lost in a crash, what that write would have made of it.
struct Model {
  std::string id;  // empty while only a create of unknown outcome exists
  int owner = 0;
  int n = 0;  // FictionalRecord(n): personal number and case number
  v1::Person person;
  v1::Conviction conviction;
  uint32_t version = 0;
  v1::RecordStatus status = v1::RECORD_STATUS_ACTIVE;
  bool acked = false;  // the create was acknowledged (or found after a crash)

  struct Pending {
    enum Kind { kCreate, kAmend, kDispute, kResolve } kind;
    v1::Person person;  // after the write
    v1::RecordStatus status;
  };
  std::optional<Pending> pending;
};

struct Counts {
  std::atomic<int64_t> creates{0}, amends{0}, disputes{0}, resolves{0};
  std::atomic<int64_t> vet_during{0};
  int64_t cycles = 0, killed_during_start = 0;
  int64_t unknown_committed = 0, unknown_absent = 0;
  int64_t records_verified = 0, versions_verified = 0, vet_after = 0;
  int64_t heads_seen = 0, events_verified = 0, change_events = 0;
  // Writes a kill cut off in the middle, dropped at the next start (storage/database.h, Open)
  // and recorded in the log.
  int64_t cut_off_writes = 0;
};

class CrashCycles {
 public:
  CrashCycles() : rng_(std::random_device{}()) {
    const uint64_t seed = rng_();
    rng_.seed(seed);
    seed_ = seed;
  }

  void Run(int cycles) {
    dir_ = testing::MakeTempDir("crash-cycles");
    files_ = RegistrydChild::Prepare(dir_, testing::UnthrottledDevPolicy());
    child_ = std::make_unique<RegistrydChild>(files_);
    std::printf("crash cycles: seed %llu, %d cycles, folder %s\n",
                static_cast<unsigned long long>(seed_), cycles, dir_.c_str());
    StartServing();
    if (::testing::Test::HasFatalFailure()) return;
    VerifyAfterRestart();  // the first state: an empty log
    for (int c = 0; c < cycles && !::testing::Test::HasFailure(); ++c) {
      OneCycle(c);
      ++counts_.cycles;
    }
    if (!::testing::Test::HasFailure()) {
      child_->Terminate(absl::Seconds(30));
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    } else {
      std::printf("crash cycles: files kept in %s\n", dir_.c_str());
      child_->Kill();
    }
    Report();
  }

 private:
  void StartServing() {
    const RegistrydChild::Outcome o = child_->Start(absl::Seconds(60));
    ASSERT_EQ(o, RegistrydChild::Outcome::kServing)
        << "registryd did not come back (exit " << child_->exit_code() << "):\n"
        << child_->Log();
  }

  void OneCycle(int cycle) {
    // One start in five is killed during start-up itself: WAL replay, the erasure ledger's
    // catch-up, the key rotation's resume and the retention jobs must survive that too.
    if (std::uniform_int_distribution<int>(0, 4)(rng_) == 0) {
      child_->Kill();
      child_->Spawn();
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 150)(rng_)));
      child_->Kill();
      ++counts_.killed_during_start;
      StartServing();
      if (::testing::Test::HasFatalFailure()) return;
      VerifyAfterRestart();
      if (::testing::Test::HasFailure()) return;
    }

    stop_.store(false);
    std::vector<std::thread> threads;
    for (int w = 0; w < kClerks; ++w) threads.emplace_back([this, w, cycle] { Clerk(w, cycle); });
    threads.emplace_back([this] { Employer(); });
    threads.emplace_back([this] { Auditor(); });
    const int run_ms = std::uniform_int_distribution<int>(100, 1500)(rng_);
    std::this_thread::sleep_for(std::chrono::milliseconds(run_ms));
    child_->Kill();
    stop_.store(true);
    for (auto& t : threads) t.join();
    if (::testing::Test::HasFailure()) return;

    StartServing();
    if (::testing::Test::HasFatalFailure()) return;
    VerifyAfterRestart();
  }

  // ---- the workload ----

  void Clerk(int w, int cycle) {
    std::mt19937_64 rng(seed_ ^ (static_cast<uint64_t>(cycle) << 8) ^ static_cast<uint64_t>(w));
    auto stub = v1::RecordService::NewStub(child_->Channel("clerk"));
    int op = 0;
    while (!stop_.load()) {
      std::vector<size_t> mine;
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (size_t i = 0; i < models_.size(); ++i) {
          if (models_[i].owner == w && models_[i].acked) mine.push_back(i);
        }
      }
      const bool create = mine.empty() || (mine.size() < kMaxRecordsPerClerk &&
                                            (op == 0 || rng() % 3 == 0));
      ++op;
      if (create) {
        if (!Create(stub.get(), w)) return;
        continue;
      }
      const size_t i = mine[rng() % mine.size()];
      if (!Change(stub.get(), i, rng)) return;
    }
  }

  // Returns false when the worker should stop (the server is gone).
  bool Create(v1::RecordService::Stub* stub, int w) {
    const int n = next_n_.fetch_add(1);
    v1::CreateRecordRequest req = testing::FictionalRecord(n);
    size_t index;
    {
      std::lock_guard<std::mutex> lock(mu_);
      Model m;
      m.owner = w;
      m.n = n;
      m.person = req.person();
      m.conviction = req.conviction();
      m.pending = Model::Pending{Model::Pending::kCreate, req.person(), v1::RECORD_STATUS_ACTIVE};
      models_.push_back(m);
      index = models_.size() - 1;
    }
    v1::CreateRecordResponse resp;
    const grpc::Status s = stub->CreateRecord(Context().get(), req, &resp);
    std::lock_guard<std::mutex> lock(mu_);
    Model& m = models_[index];
    if (s.ok()) {
      m.id = resp.record_id();
      m.version = resp.version();
      m.acked = true;
      m.pending.reset();
      EXPECT_EQ(resp.version(), 1u);
      ++counts_.creates;
      return true;
    }
    EXPECT_TRUE(OutcomeUnknown(s)) << "CreateRecord: " << s.error_code() << " "
                                   << s.error_message();
    return false;  // pending stays: resolved after the restart
  }

  bool Change(v1::RecordService::Stub* stub, size_t i, std::mt19937_64& rng) {
    Model m;
    {
      std::lock_guard<std::mutex> lock(mu_);
      m = models_[i];
    }
    grpc::Status s;
    uint32_t version = 0;
    v1::RecordStatus status = m.status;
    Model::Pending pending{Model::Pending::kAmend, m.person, m.status};
    // A dispute or its resolution: remembered as pending before the call, whose answer a crash
    // may take.
    const auto change_status = [&](auto req, auto rpc, Model::Pending::Kind kind,
                                   v1::RecordStatus to, const char* reason) {
      req.set_record_id(m.id);
      req.set_reason(reason);
      pending.kind = kind;
      pending.status = to;
      Remember(i, pending);
      v1::RecordStatusResponse resp;
      s = (stub->*rpc)(Context().get(), req, &resp);
      version = resp.version();
      status = resp.status();
    };
    const int pick = static_cast<int>(rng() % 4);
    if (m.status == v1::RECORD_STATUS_DISPUTED && pick < 2) {
      change_status(v1::ResolveDisputeRequest(), &v1::RecordService::Stub::ResolveDispute,
                    Model::Pending::kResolve, v1::RECORD_STATUS_ACTIVE, "identity confirmed");
    } else if (m.status == v1::RECORD_STATUS_ACTIVE && pick == 0) {
      change_status(v1::DisputeRecordRequest(), &v1::RecordService::Stub::DisputeRecord,
                    Model::Pending::kDispute, v1::RECORD_STATUS_DISPUTED,
                    "identity contested by the data subject");
    } else {
      v1::AmendRecordRequest req;
      req.set_record_id(m.id);
      req.set_expected_version(m.version);
      const std::string address =
          absl::StrCat("Rr. Cikli ", next_address_.fetch_add(1), ", Prishtinë");
      req.mutable_person()->set_last_known_address(address);
      req.mutable_update_mask()->add_paths("person.last_known_address");
      req.set_reason("address corrected by court notice");
      pending.kind = Model::Pending::kAmend;
      pending.person.set_last_known_address(address);
      Remember(i, pending);
      v1::AmendRecordResponse resp;
      s = stub->AmendRecord(Context().get(), req, &resp);
      version = resp.version();
    }
    std::lock_guard<std::mutex> lock(mu_);
    Model& target = models_[i];
    if (!s.ok()) {
      EXPECT_TRUE(OutcomeUnknown(s)) << "change of " << m.id << ": " << s.error_code() << " "
                                     << s.error_message();
      return false;
    }
    EXPECT_EQ(version, m.version + 1) << m.id;
    target.version = version;
    target.person = pending.person;
    target.status = pending.kind == Model::Pending::kAmend ? m.status : status;
    EXPECT_EQ(target.status, pending.status) << m.id;
    target.pending.reset();
    switch (pending.kind) {
      case Model::Pending::kAmend: ++counts_.amends; break;
      case Model::Pending::kDispute: ++counts_.disputes; break;
      case Model::Pending::kResolve: ++counts_.resolves; break;
      default: break;
    }
    return true;
  }

  void Remember(size_t i, const Model::Pending& p) {
    std::lock_guard<std::mutex> lock(mu_);
    models_[i].pending = p;
  }

  // Vets people whose record is acknowledged: never CLEAR. (Whether NOT_CLEAR or REFER depends on
  // a dispute that may be in flight; the exact answer is checked after the restart.)
  void Employer() {
    std::mt19937_64 rng(seed_ ^ 0x5eed);
    auto stub = v1::VettingService::NewStub(child_->Channel("vetting"));
    int k = 0;
    while (!stop_.load()) {
      v1::Person person;
      {
        std::lock_guard<std::mutex> lock(mu_);
        std::vector<size_t> acked;
        for (size_t i = 0; i < models_.size(); ++i) {
          if (models_[i].acked) acked.push_back(i);
        }
        if (acked.empty()) {
          person.Clear();
        } else {
          person = models_[acked[rng() % acked.size()]].person;
        }
      }
      if (person.personal_number().empty()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      v1::VettingCheckResponse resp;
      const grpc::Status s = stub->VettingCheck(
          Context().get(),
          testing::CandidateOf(
              person, testing::ConsentFor(person.personal_number(), absl::StrCat("CONSENT-", ++k))),
          &resp);
      if (!s.ok()) {
        EXPECT_TRUE(OutcomeUnknown(s)) << "VettingCheck: " << s.error_code() << " "
                                       << s.error_message();
        return;
      }
      EXPECT_NE(resp.result(), v1::VETTING_RESULT_CLEAR) << person.personal_number();
      ++counts_.vet_during;
    }
  }

  // Collects signed tree heads, each checked against the audit key when it arrives.
  void Auditor() {
    auto stub = v1::AuditService::NewStub(child_->Channel("auditor"));
    while (!stop_.load()) {
      v1::SignedTreeHead head;
      const grpc::Status s = stub->GetSignedTreeHead(Context().get(), {}, &head);
      if (!s.ok()) {
        EXPECT_TRUE(OutcomeUnknown(s)) << "GetSignedTreeHead: " << s.error_message();
        return;
      }
      if (!audit_key_.empty()) {
        auto bytes = crypto::TreeHeadSigningBytes(head.log_id(), head.tree_size(),
                                                  head.timestamp_micros(), head.root_hash(),
                                                  head.key_id());
        ASSERT_TRUE(bytes.ok()) << bytes.status();
        ASSERT_TRUE(crypto::Ed25519Verify(audit_key_, *bytes, head.signature()).ok());
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        heads_.push_back(head);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
    }
  }

  // ---- after each restart ----

  void VerifyAfterRestart() {
    auto court = v1::RecordService::NewStub(child_->Channel("court"));
    ResolvePending(court.get());
    if (::testing::Test::HasFailure()) return;
    std::map<std::string, uint32_t> versions = VerifyRecords(court.get());
    if (::testing::Test::HasFailure()) return;
    VerifyVetting();
    if (::testing::Test::HasFailure()) return;
    VerifyAudit(versions);
  }

  // Settles every write whose reply was lost: it is wholly there (the state it would have made)
  // or wholly absent (the last acknowledged state).
  void ResolvePending(v1::RecordService::Stub* court) {
    std::vector<Model> kept;
    for (Model& m : models_) {
      if (!m.pending) {
        kept.push_back(m);
        continue;
      }
      if (m.pending->kind == Model::Pending::kCreate) {
        v1::SearchRecordsRequest req;
        req.set_personal_number(m.person.personal_number());
        *req.mutable_purpose() = CourtPurpose(m.n);
        v1::SearchRecordsResponse resp;
        const grpc::Status s = court->SearchRecords(Context().get(), req, &resp);
        ASSERT_TRUE(s.ok()) << s.error_message();
        ASSERT_LE(resp.records_size(), 1);
        if (resp.records_size() == 0) {
          ++counts_.unknown_absent;
          continue;  // never happened: forget it
        }
        ++counts_.unknown_committed;
        m.id = resp.records(0).metadata().record_id();
        m.version = 1;
        m.acked = true;
        m.pending.reset();
        kept.push_back(m);
        continue;
      }
      v1::GetRecordRequest req;
      req.set_record_id(m.id);
      *req.mutable_purpose() = CourtPurpose(m.n);
      v1::GetRecordResponse resp;
      const grpc::Status s = court->GetRecord(Context().get(), req, &resp);
      ASSERT_TRUE(s.ok()) << m.id << ": " << s.error_message();
      const uint32_t got = resp.record().metadata().version();
      ASSERT_TRUE(got == m.version || got == m.version + 1)
          << m.id << " is at version " << got << ", acknowledged " << m.version;
      if (got == m.version + 1) {
        ++counts_.unknown_committed;
        m.version = got;
        m.person = m.pending->person;
        if (m.pending->kind != Model::Pending::kAmend) m.status = m.pending->status;
      } else {
        ++counts_.unknown_absent;
      }
      m.pending.reset();
      kept.push_back(m);
    }
    models_ = std::move(kept);
  }

  // Every record reads back exactly; returns each record's number of versions.
  std::map<std::string, uint32_t> VerifyRecords(v1::RecordService::Stub* court) {
    std::map<std::string, uint32_t> versions;
    for (const Model& m : models_) {
      v1::GetRecordRequest req;
      req.set_record_id(m.id);
      *req.mutable_purpose() = CourtPurpose(m.n);
      v1::GetRecordResponse resp;
      grpc::Status s = court->GetRecord(Context().get(), req, &resp);
      EXPECT_TRUE(s.ok()) << m.id << ": " << s.error_message();
      if (!s.ok()) return versions;
      const v1::Record& r = resp.record();
      EXPECT_EQ(r.metadata().version(), m.version) << m.id;
      EXPECT_EQ(r.metadata().status(), m.status) << m.id;
      EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(r.person(), m.person))
          << m.id << "\n got " << r.person().ShortDebugString() << "\nwant "
          << m.person.ShortDebugString();
      EXPECT_TRUE(testing::SameConviction(r.conviction(), m.conviction)) << m.id;

      v1::GetRecordHistoryRequest hreq;
      hreq.set_record_id(m.id);
      *hreq.mutable_purpose() = CourtPurpose(m.n);
      v1::GetRecordHistoryResponse hist;
      s = court->GetRecordHistory(Context().get(), hreq, &hist);
      EXPECT_TRUE(s.ok()) << m.id << ": " << s.error_message();
      if (!s.ok()) return versions;
      EXPECT_EQ(hist.versions_size(), static_cast<int>(m.version)) << m.id;
      for (int v = 0; v < hist.versions_size(); ++v) {
        EXPECT_EQ(hist.versions(v).record().metadata().version(), static_cast<uint32_t>(v + 1));
      }
      versions[m.id] = static_cast<uint32_t>(hist.versions_size());
      ++counts_.records_verified;
      counts_.versions_verified += hist.versions_size();
    }
    return versions;
  }

  void VerifyVetting() {
    auto stub = v1::VettingService::NewStub(child_->Channel("vetting"));
    for (const Model& m : models_) {
      v1::VettingCheckResponse resp;
      const grpc::Status s = stub->VettingCheck(
          Context().get(), testing::CandidateOf(m.person, absl::StrCat("CONSENT-V-", m.n)), &resp);
      ASSERT_TRUE(s.ok()) << s.error_message();
      const v1::VettingResult want = m.status == v1::RECORD_STATUS_DISPUTED
                                         ? v1::VETTING_RESULT_REFER
                                         : v1::VETTING_RESULT_NOT_CLEAR;
      EXPECT_EQ(resp.result(), want) << m.id << " status " << m.status;
      ++counts_.vet_after;
    }
  }

  void VerifyAudit(const std::map<std::string, uint32_t>& versions) {
    auto channel = child_->Channel("auditor");
    absl::StatusOr<client::AuditVerification> verified =
        testing::VerifyAuditLogOver(channel, state_, "crash-cycles");
    ASSERT_TRUE(verified.ok()) << verified.status();
    state_ = verified->state;
    const v1::SignedTreeHead& head = verified->log.verified_head();
    const std::unique_ptr<client::GrpcAuditLogSource> source =
        testing::AuditSourceOver(channel, "crash-cycles");
    if (audit_key_.empty()) {
      auto key = source->GetAuditPublicKey();
      ASSERT_TRUE(key.ok()) << key.status();
      audit_key_ = key->ed25519();
    }

    // Every head seen before the crash is a prefix of the log now.
    std::vector<v1::SignedTreeHead> heads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      heads.swap(heads_);
    }
    std::set<uint64_t> sizes;
    for (const v1::SignedTreeHead& old : heads) {
      ASSERT_EQ(old.log_id(), head.log_id());
      ASSERT_LE(old.tree_size(), head.tree_size()) << "a head seen before the crash is longer";
      if (!sizes.insert(old.tree_size()).second) continue;
      auto proof = source->GetConsistencyProof(old.tree_size(), head.tree_size());
      ASSERT_TRUE(proof.ok()) << proof.status();
      std::vector<std::string> hashes(proof->hashes().begin(), proof->hashes().end());
      const absl::Status consistent = crypto::merkle::VerifyConsistency(
          old.tree_size(), head.tree_size(), old.root_hash(), head.root_hash(), hashes);
      ASSERT_TRUE(consistent.ok()) << "head of size " << old.tree_size() << ": " << consistent;
      ++counts_.heads_seen;
    }

    // The changes the log records, one for one with the versions the records hold. The entries
    // were verified above; they are hashed again as they stream, so that what is counted here
    // is what the tree commits to.
    std::map<std::string, uint32_t> logged;
    int64_t events = 0;
    int64_t cut_off = 0;
    // (An empty log, before the first call, has no range to stream.)
    const auto stream = [&](uint64_t end, const auto& fn) {
      return end == 0 ? absl::OkStatus() : source->StreamEvents(0, end, fn);
    };
    absl::Status streamed = stream(head.tree_size(), [&](const v1::AuditEntry& e) {
      v1::AuditEvent ev;
      if (!ev.ParseFromString(e.event_bytes())) return absl::DataLossError("unparsable event");
      ++events;
      if (ev.actor() == "system:storage" && ev.action() == "recover-cut-off-write") ++cut_off;
      if (ev.outcome() != 0 || ev.record_ids_size() == 0) return absl::OkStatus();
      const std::string& action = ev.action();
      for (const char* method : {"CreateRecord", "AmendRecord", "DisputeRecord", "ResolveDispute"}) {
        if (action == absl::StrCat(kRec, method)) {
          EXPECT_EQ(ev.record_ids_size(), 1) << action;
          ++logged[ev.record_ids(0)];
        }
      }
      return absl::OkStatus();
    });
    ASSERT_TRUE(streamed.ok()) << streamed;
    for (const auto& [id, n] : versions) {
      EXPECT_EQ(logged.count(id) ? logged[id] : 0, n) << "record " << id
                                                      << ": versions vs change events";
    }
    for (const auto& [id, n] : logged) {
      EXPECT_TRUE(versions.count(id)) << "the log records " << n << " changes of " << id
                                      << ", a record the registry does not hold";
    }
    int64_t changes = 0;
    for (const auto& [id, n] : logged) changes += n;
    counts_.change_events = changes;
    counts_.cut_off_writes = cut_off;
    counts_.events_verified = static_cast<int64_t>(head.tree_size());

    // The server's own cross-check of records, index rows, versions and the log.
    auto admin = v1::AdminService::NewStub(child_->Channel("admin"));
    v1::VerifyDataResponse check;
    const grpc::Status s = admin->VerifyData(Context(60).get(), {}, &check);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(check.problem_count(), 0u) << check.DebugString();
    EXPECT_EQ(check.records(), models_.size());
  }

  void Report() {
    const std::string line = absl::StrFormat(
        "{\"test\": \"crash_cycles\", \"seed\": %d, \"cycles\": %d, \"killed_during_start\": %d, "
        "\"acked_creates\": %d, \"acked_amends\": %d, \"acked_disputes\": %d, "
        "\"acked_resolves\": %d, \"unknown_outcome_committed\": %d, "
        "\"unknown_outcome_absent\": %d, \"vetting_during\": %d, \"vetting_after\": %d, "
        "\"records\": %d, \"record_reads_verified\": %d, \"versions_verified\": %d, "
        "\"heads_checked\": %d, \"audit_events\": %d, \"change_events\": %d, "
        "\"cut_off_writes_dropped\": %d}",
        seed_, counts_.cycles, counts_.killed_during_start, counts_.creates.load(),
        counts_.amends.load(), counts_.disputes.load(), counts_.resolves.load(),
        counts_.unknown_committed, counts_.unknown_absent, counts_.vet_during.load(),
        counts_.vet_after, models_.size(), counts_.records_verified, counts_.versions_verified,
        counts_.heads_seen, counts_.events_verified, counts_.change_events,
        counts_.cut_off_writes);
    std::printf("%s\n", line.c_str());
    if (const char* path = std::getenv("REGISTRY_RELIABILITY_REPORT"); path && *path) {
      std::ofstream(path, std::ios::app) << line << "\n";
    }
  }

  std::mt19937_64 rng_;
  uint64_t seed_ = 0;
  std::string dir_;
  RegistrydChild::Files files_;
  std::unique_ptr<RegistrydChild> child_;
  std::atomic<bool> stop_{false};
  std::atomic<int> next_n_{1};
  std::atomic<int> next_address_{1};
  std::mutex mu_;
  std::vector<Model> models_;
  std::vector<v1::SignedTreeHead> heads_;
  std::string audit_key_;
  std::optional<client::AuditState> state_;
  Counts counts_;
};

TEST(CrashCyclesTest, AcknowledgedWritesSurviveSigkillAndTheLogStaysConsistent) {
  CrashCycles run;
  run.Run(g_cycles);
}

}  // namespace
}  // namespace registry::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (!registry::testing::ReadRunCount(argc, argv, "REGISTRY_CRASH_CYCLES", "cycles",
                                       &registry::testing::g_cycles)) {
    return 2;
  }
  return RUN_ALL_TESTS();
}

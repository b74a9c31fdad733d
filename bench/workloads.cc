#include "bench/workloads.h"

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "absl/time/civil_time.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "registry/v1/audit.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"

namespace registry::bench {
namespace {

namespace v1 = registry::v1;
using SteadyClock = std::chrono::steady_clock;

// Personal numbers from here on are never preloaded or created: vetting-none's candidates.
constexpr uint64_t kNoRecordBase = 9000000000;
// Their birth dates: 1900-01-01 to 1949-12-31, before every preloaded person's (1950 on).
constexpr int64_t kNoRecordBirthDays = 18262;
// Created records: thread t uses personal numbers from kCreateBase + t * kCreatePerThread.
constexpr uint64_t kCreateBase = 5000000000;
constexpr uint64_t kCreatePerThread = 10000000;

absl::Status WrongAnswer(absl::string_view what) {
  return absl::InternalError(absl::StrCat("wrong answer: ", what));
}

v1::Purpose CourtPurpose() {
  v1::Purpose p;
  p.set_case_reference("PKR 1/2026");
  p.set_purpose_code("criminal_proceedings");
  return p;
}

uint64_t Pick(std::mt19937_64& rng, uint64_t n) { return rng() % n; }

CallFn Baseline(const std::shared_ptr<grpc::Channel>& channel) {
  std::shared_ptr<grpc::health::v1::Health::Stub> stub = grpc::health::v1::Health::NewStub(channel);
  return [stub](std::mt19937_64&, grpc::ClientContext* ctx) -> absl::Status {
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    const grpc::Status s = stub->Check(ctx, req, &resp);
    if (!s.ok()) return CallError(s);
    if (resp.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
      return WrongAnswer("not SERVING");
    }
    return absl::OkStatus();
  };
}

CallFn Vetting(const std::shared_ptr<grpc::Channel>& channel, const BenchData& data,
               Candidate candidate) {
  std::shared_ptr<v1::VettingService::Stub> stub = v1::VettingService::NewStub(channel);
  const RecordGenerator* gen = data.preloaded;
  const uint64_t records = data.ids->size();
  const v1::VettingResult want = candidate == Candidate::kRecorded
                                     ? v1::VETTING_RESULT_NOT_CLEAR
                                     : v1::VETTING_RESULT_CLEAR;
  return [=](std::mt19937_64& rng, grpc::ClientContext* ctx) -> absl::Status {
    const v1::VettingCheckRequest req =
        VettingRequest(*gen, Pick(rng, records), candidate, NextConsentReference("CONSENT"));
    v1::VettingCheckResponse resp;
    const grpc::Status s = stub->VettingCheck(ctx, req, &resp);
    if (!s.ok()) return CallError(s);
    return CheckVettingAnswer(resp, want);
  };
}

// A court's read of preloaded record n: GetRecord by its id, or SearchRecords by its person's
// personal number, checked against what the preload wrote.
enum class CourtRead { kGet, kSearch };

CallFn Read(const std::shared_ptr<grpc::Channel>& channel, const BenchData& data,
            CourtRead read) {
  std::shared_ptr<v1::RecordService::Stub> stub = v1::RecordService::NewStub(channel);
  const RecordGenerator* gen = data.preloaded;
  const std::vector<RecordId>* ids = data.ids;
  const v1::Purpose purpose = CourtPurpose();
  return [=](std::mt19937_64& rng, grpc::ClientContext* ctx) -> absl::Status {
    const uint64_t n = Pick(rng, ids->size());
    const std::string id = IdString((*ids)[n]);
    const std::string personal_number = gen->PersonalNumber(n);
    if (read == CourtRead::kGet) {
      v1::GetRecordRequest req;
      req.set_record_id(id);
      *req.mutable_purpose() = purpose;
      v1::GetRecordResponse resp;
      const grpc::Status s = stub->GetRecord(ctx, req, &resp);
      if (!s.ok()) return CallError(s);
      if (resp.record().metadata().record_id() != id ||
          resp.record().person().personal_number() != personal_number) {
        return WrongAnswer("another record");
      }
      return absl::OkStatus();
    }
    v1::SearchRecordsRequest req;
    req.set_personal_number(personal_number);
    *req.mutable_purpose() = purpose;
    v1::SearchRecordsResponse resp;
    const grpc::Status s = stub->SearchRecords(ctx, req, &resp);
    if (!s.ok()) return CallError(s);
    for (const v1::Record& r : resp.records()) {
      if (r.metadata().record_id() == id) return absl::OkStatus();
    }
    return WrongAnswer("record not found");
  };
}

CallFn Create(const std::shared_ptr<grpc::Channel>& channel, const BenchData& data, int thread) {
  std::shared_ptr<v1::RecordService::Stub> stub = v1::RecordService::NewStub(channel);
  auto gen = std::make_shared<RecordGenerator>(kCreateBase + thread * kCreatePerThread,
                                               absl::StrCat("C", data.run_tag));
  auto counter = std::make_shared<uint64_t>(0);
  return [=](std::mt19937_64&, grpc::ClientContext* ctx) -> absl::Status {
    const v1::CreateRecordRequest req = gen->Record((*counter)++);
    v1::CreateRecordResponse resp;
    const grpc::Status s = stub->CreateRecord(ctx, req, &resp);
    if (!s.ok()) return CallError(s);
    if (resp.record_id().size() != 32 || resp.version() != 1) return WrongAnswer("bad reply");
    return absl::OkStatus();
  };
}

CallFn AuditList(const std::shared_ptr<grpc::Channel>& channel) {
  std::shared_ptr<v1::AuditService::Stub> stub = v1::AuditService::NewStub(channel);
  // Each client walks the log page by page and starts over at the end.
  auto token = std::make_shared<std::string>();
  return [=](std::mt19937_64&, grpc::ClientContext* ctx) -> absl::Status {
    v1::ListAuditEventsRequest req;
    req.set_page_size(100);
    req.set_page_token(*token);
    req.set_bytes_only(true);  // As registry-cli and the console ask.
    v1::ListAuditEventsResponse resp;
    const grpc::Status s = stub->ListAuditEvents(ctx, req, &resp);
    if (!s.ok()) return CallError(s);
    if (resp.entries_size() == 0) return WrongAnswer("empty page");
    if (!resp.next_page_token().empty() && resp.entries_size() != 100) {
      return WrongAnswer("short page before the end");
    }
    *token = resp.next_page_token();
    return absl::OkStatus();
  };
}

}  // namespace

std::string NextConsentReference(absl::string_view prefix) {
  // Letters drawn once per process: a work folder kept from an earlier run (--work-dir) holds
  // that run's references, bound to its candidates, and a counter alone would give them again.
  static const std::string run = [] {
    std::random_device random;
    std::string letters;
    for (int i = 0; i < 8; ++i) letters.push_back(static_cast<char>('A' + random() % 26));
    return letters;
  }();
  static std::atomic<uint64_t> next{0};
  return absl::StrCat(prefix, "-", run, "-", next.fetch_add(1, std::memory_order_relaxed));
}

v1::VettingCheckRequest VettingRequest(const RecordGenerator& gen, uint64_t n,
                                       Candidate candidate, std::string consent_reference) {
  v1::VettingCheckRequest req;
  // kNoRecordBase + n: as many digits as a preloaded number, and as many distinct people, so
  // the checks the server keeps per person also accumulate alike in both workloads.
  req.set_personal_number(candidate == Candidate::kRecorded
                              ? gen.PersonalNumber(n)
                              : absl::StrFormat("%010d", kNoRecordBase + n));
  req.set_surname(gen.Surname(n));
  req.set_given_name(gen.GivenName(n));
  // Without a record, the name and birth date must not be any record's either: one that names
  // the candidate under another number refers. Preloaded people are born from 1950, these
  // before (a date of the same length, so the requests stay the same size).
  req.set_birth_date(candidate == Candidate::kRecorded
                         ? gen.BirthDate(n)
                         : FormatDate(absl::CivilDay(1900, 1, 1) +
                                      static_cast<int64_t>((n * 7919) % kNoRecordBirthDays)));
  req.set_position_category("teacher");
  req.set_consent_reference(std::move(consent_reference));
  return req;
}

absl::Status CheckVettingAnswer(const v1::VettingCheckResponse& resp, v1::VettingResult want) {
  if (resp.result() != want) {
    return WrongAnswer(absl::StrCat("vetting ", v1::VettingResult_Name(resp.result()),
                                    ", expected ", v1::VettingResult_Name(want)));
  }
  if (resp.certificate().signature().size() != 64) return WrongAnswer("unsigned certificate");
  return absl::OkStatus();
}

absl::Status CallError(const grpc::Status& status) {
  // gRPC's and abseil's status codes are the same numbers.
  const std::string name =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
  return absl::InternalError(absl::StrCat(name, ": ", status.error_message().substr(0, 80)));
}

absl::StatusOr<WorkloadSpec> MakeWorkload(const std::string& name, const BenchData& data) {
  WorkloadSpec spec;
  spec.name = name;
  const bool needs_records = name == "vetting-record" || name == "vetting-none" || name == "get" ||
                             name == "search";
  if (needs_records && (data.ids == nullptr || data.ids->empty() || data.preloaded == nullptr)) {
    return absl::FailedPreconditionError(absl::StrCat(name, " needs preloaded records"));
  }
  if (name == "baseline") {
    // Any identity will do for the health service; vetting's keeps the TLS work identical.
    spec.identity = "vetting";
    spec.make_client = [](const std::shared_ptr<grpc::Channel>& c, int) { return Baseline(c); };
  } else if (name == "vetting-record" || name == "vetting-none") {
    spec.identity = "vetting";
    const Candidate candidate =
        name == "vetting-record" ? Candidate::kRecorded : Candidate::kNoRecord;
    spec.make_client = [data, candidate](const std::shared_ptr<grpc::Channel>& c, int) {
      return Vetting(c, data, candidate);
    };
  } else if (name == "get") {
    spec.identity = "court";
    spec.make_client = [data](const std::shared_ptr<grpc::Channel>& c, int) {
      return Read(c, data, CourtRead::kGet);
    };
  } else if (name == "search") {
    spec.identity = "court";
    spec.make_client = [data](const std::shared_ptr<grpc::Channel>& c, int) {
      return Read(c, data, CourtRead::kSearch);
    };
  } else if (name == "create") {
    spec.identity = "clerk";
    spec.make_client = [data](const std::shared_ptr<grpc::Channel>& c, int t) {
      return Create(c, data, t);
    };
  } else if (name == "audit-list") {
    spec.identity = "auditor";
    spec.make_client = [](const std::shared_ptr<grpc::Channel>& c, int) { return AuditList(c); };
  } else {
    return absl::NotFoundError(absl::StrCat("no workload \"", name, "\""));
  }
  return spec;
}

absl::StatusOr<WorkloadResult> RunClosedLoop(const WorkloadSpec& spec,
                                             const ChannelFactory& channels,
                                             const RunOptions& options) {
  const int n = options.concurrency;
  std::vector<std::shared_ptr<grpc::Channel>> chans;
  std::vector<CallFn> calls;
  for (int t = 0; t < n; ++t) {
    ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> c, channels.New(spec.identity));
    // Connect (TCP + TLS handshake) before the clock starts.
    if (!c->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(20))) {
      return absl::UnavailableError(
          absl::StrCat(spec.name, ": cannot connect to ", channels.address()));
    }
    calls.push_back(spec.make_client(c, t));
    chans.push_back(std::move(c));
  }

  struct PerThread {
    LatencyRecorder latencies;
    uint64_t ok = 0;
    uint64_t calls = 0;
    std::map<std::string, uint64_t> errors;
  };
  std::vector<PerThread> per_thread(n);
  absl::Notification go;
  SteadyClock::time_point warm_end, end;
  const auto deadline = absl::ToChronoNanoseconds(options.call_deadline);
  std::random_device seed;
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t) {
    const uint64_t thread_seed = (static_cast<uint64_t>(seed()) << 32) ^ seed() ^ t;
    threads.emplace_back([&, t, thread_seed] {
      std::mt19937_64 rng(thread_seed);
      PerThread& mine = per_thread[t];
      mine.latencies.Reserve(1 << 16);
      go.WaitForNotification();
      while (true) {
        const auto t0 = SteadyClock::now();
        if (t0 >= end) break;
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + deadline);
        const absl::Status s = calls[t](rng, &ctx);
        const auto t1 = SteadyClock::now();
        ++mine.calls;
        if (!s.ok()) {
          // Failures count wherever they happen, warm-up included.
          ++mine.errors[std::string(s.message())];
        } else if (t0 >= warm_end && t1 <= end) {
          mine.latencies.Add(static_cast<uint64_t>(
              std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
          ++mine.ok;
        }
      }
    });
  }
  const auto start = SteadyClock::now();
  warm_end = start + absl::ToChronoNanoseconds(options.warmup);
  end = warm_end + absl::ToChronoNanoseconds(options.duration);
  go.Notify();  // publishes warm_end and end to the threads
  for (auto& th : threads) th.join();

  WorkloadResult result;
  result.name = spec.name;
  result.concurrency = n;
  result.seconds = absl::ToDoubleSeconds(options.duration);
  std::vector<const LatencyRecorder*> recorders;
  for (const PerThread& p : per_thread) {
    result.ok += p.ok;
    result.calls += p.calls;
    recorders.push_back(&p.latencies);
    for (const auto& [kind, count] : p.errors) result.errors[kind] += count;
  }
  result.ops_per_second = Ratio(static_cast<double>(result.ok), result.seconds);
  result.latency = Summarize(MergeSamples(recorders));
  return result;
}

}  // namespace registry::bench

#include "bench/audit_verify.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/environment.h"
#include "bench/stats.h"
#include "client/audit_verifier.h"
#include "client/connection.h"
#include "client/grpc_audit_log_source.h"
#include "common/status_macros.h"
#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "crypto/tree_head.h"
#include "openssl/evp.h"
#include "registry/v1/audit.grpc.pb.h"

namespace registry::bench {
namespace {

namespace v1 = registry::v1;
namespace merkle = registry::crypto::merkle;
using SteadyClock = std::chrono::steady_clock;

absl::Status CallFailed(absl::string_view what, const grpc::Status& s) {
  return absl::UnavailableError(absl::StrCat(what, ": ", s.error_message()));
}

struct MdDeleter {
  void operator()(EVP_MD* md) const { EVP_MD_free(md); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// The event bytes, back to back, and where each one ends.
struct Arena {
  std::string bytes;
  std::vector<size_t> ends;
  absl::string_view at(size_t i) const {
    const size_t begin = i == 0 ? 0 : ends[i - 1];
    return absl::string_view(bytes).substr(begin, ends[i] - begin);
  }
};

// Bare OpenSSL, as fast as it goes: the digest fetched once, one context reused.
absl::StatusOr<double> TimeSha256PerEvent(const Arena& arena) {
  std::unique_ptr<EVP_MD, MdDeleter> md(EVP_MD_fetch(nullptr, "SHA2-256", nullptr));
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (md == nullptr || ctx == nullptr) return absl::InternalError("OpenSSL SHA-256 unavailable");
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // Volatile so the digests stay observable and the loop cannot be dropped.
  volatile unsigned char sink = 0;
  const auto start = SteadyClock::now();
  for (size_t i = 0; i < arena.ends.size(); ++i) {
    const absl::string_view e = arena.at(i);
    if (EVP_DigestInit_ex2(ctx.get(), md.get(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), e.data(), e.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), out, &len) != 1) {
      return absl::InternalError("SHA-256 failed");
    }
    sink = sink ^ out[0];
  }
  return SecondsSince(start);
}

absl::StatusOr<double> TimeSha256Concat(const Arena& arena) {
  std::unique_ptr<EVP_MD, MdDeleter> md(EVP_MD_fetch(nullptr, "SHA2-256", nullptr));
  if (md == nullptr) return absl::InternalError("OpenSSL SHA-256 unavailable");
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const auto start = SteadyClock::now();
  if (EVP_Digest(arena.bytes.data(), arena.bytes.size(), out, &len, md.get(), nullptr) != 1) {
    return absl::InternalError("SHA-256 failed");
  }
  return SecondsSince(start);
}

}  // namespace

absl::StatusOr<AuditVerifyResult> VerifyWholeLog(
    const std::shared_ptr<grpc::Channel>& auditor,
    const std::function<std::optional<double>()>& server_cpu) {
  AuditVerifyResult r;
  auto stub = v1::AuditService::NewStub(auditor);
  if (!auditor->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(20))) {
    return absl::UnavailableError("auditor channel: cannot connect");
  }
  Arena arena;

  v1::PublicKey key;
  {
    grpc::ClientContext ctx;
    const grpc::Status s = stub->GetAuditPublicKey(&ctx, v1::GetAuditPublicKeyRequest(), &key);
    if (!s.ok()) return CallFailed("GetAuditPublicKey", s);
  }
  v1::SignedTreeHead head;
  {
    grpc::ClientContext ctx;
    const grpc::Status s = stub->GetSignedTreeHead(&ctx, v1::GetSignedTreeHeadRequest(), &head);
    if (!s.ok()) return CallFailed("GetSignedTreeHead", s);
  }
  ASSIGN_OR_RETURN(
      std::string signed_bytes,
      crypto::TreeHeadSigningBytes(head.log_id(), head.tree_size(), head.timestamp_micros(),
                                   head.root_hash(), head.key_id()));
  r.signature_ok = crypto::Ed25519Verify(key.ed25519(), signed_bytes, head.signature()).ok();

  // What `registry-cli audit verify --full` does, timed: the client's verifier over
  // StreamAuditBatches (client/grpc_audit_log_source.h), every retained event hashed onto the
  // tree as its batch arrives, the root compared with a freshly signed head.
  const std::optional<double> server_before = server_cpu ? server_cpu() : std::nullopt;
  const std::optional<double> client_before = ProcessCpuSeconds(0);
  const auto start = SteadyClock::now();
  client::ConnectionSettings settings;
  settings.timeout = absl::Hours(1);
  settings.request_id = "registry-bench-audit-verify";
  client::GrpcAuditLogSource source(auditor, settings);
  client::AuditVerifyOptions options;
  options.full = true;
  options.public_key_pem = key.pem();
  const absl::StatusOr<client::AuditVerification> verified =
      client::VerifyAuditLog(source, std::nullopt, options, absl::Now());
  r.verify_seconds = SecondsSince(start);
  const std::optional<double> server_after = server_cpu ? server_cpu() : std::nullopt;
  const std::optional<double> client_after = ProcessCpuSeconds(0);
  if (server_before && server_after) r.verify_server_cpu_seconds = *server_after - *server_before;
  if (client_before && client_after) r.verify_client_cpu_seconds = *client_after - *client_before;
  if (!verified.ok() && verified.status().code() != absl::StatusCode::kDataLoss) {
    return verified.status();
  }
  r.root_matches = verified.ok();
  const v1::SignedTreeHead& verified_head = verified.ok() ? verified->log.verified_head() : head;
  const uint64_t size = verified_head.tree_size();
  r.events = verified.ok() ? verified->retained_verified : size;
  const uint64_t first = size - r.events;

  // The same events again, untimed, kept in memory for the in-memory figures below.
  merkle::CompactRange range;
  arena.ends.reserve(r.events);
  if (r.events > 0) {
    uint64_t expected = first;
    RETURN_IF_ERROR(source.StreamEvents(first, size, [&](const v1::AuditEntry& entry) {
      if (entry.index() != expected) {
        return absl::DataLossError(
            absl::StrCat("stream out of order at ", expected, ": got ", entry.index()));
      }
      ++expected;
      arena.bytes += entry.event_bytes();
      arena.ends.push_back(arena.bytes.size());
      return absl::OkStatus();
    }));
  }
  r.bytes = arena.bytes.size();

  // The former way, for comparison: StreamAuditEvents, one message per event with its decoded
  // copy, read and hashed on one thread.
  if (r.events > 0) {
    const auto legacy_start = SteadyClock::now();
    grpc::ClientContext ctx;
    v1::StreamAuditEventsRequest req;
    req.set_start_index(first);
    req.set_end_index(size);
    std::unique_ptr<grpc::ClientReader<v1::AuditEntry>> reader = stub->StreamAuditEvents(&ctx, req);
    v1::AuditEntry entry;
    uint64_t n = 0;
    while (reader->Read(&entry)) {
      range.AppendLeaf(entry.event_bytes(), nullptr);
      ++n;
    }
    const grpc::Status s = reader->Finish();
    if (!s.ok()) return CallFailed("StreamAuditEvents", s);
    r.legacy_stream_seconds = SecondsSince(legacy_start);
    if (n != r.events) return absl::DataLossError("StreamAuditEvents sent another count");
  }

  // The same work without the network. A first pass over freshly written memory costs this VM
  // about 0.3 us per event more than later ones (measured: the same SHA-256 loop 522 ns per
  // event the first time, 202 after), which would charge the tree alone for touching the
  // arena: one untimed pass first, so that the tree and the raw SHA-256 both read warm memory.
  RETURN_IF_ERROR(TimeSha256Concat(arena).status());
  auto tree_start = SteadyClock::now();
  merkle::CompactRange again;
  if (first > 0) return absl::UnimplementedError("the benchmark's log was pruned");
  for (size_t i = 0; i < arena.ends.size(); ++i) {
    again.AppendLeaf(arena.at(i), nullptr);
  }
  r.tree_seconds = SecondsSince(tree_start);
  if (again.Root() != range.Root()) return absl::InternalError("tree rebuild differs");
  if (r.root_matches && again.Root() != verified_head.root_hash()) {
    return absl::InternalError("the verified root differs from the rebuilt one");
  }
  ASSIGN_OR_RETURN(r.sha256_seconds, TimeSha256PerEvent(arena));
  ASSIGN_OR_RETURN(r.sha256_concat_seconds, TimeSha256Concat(arena));
  return r;
}

}  // namespace registry::bench

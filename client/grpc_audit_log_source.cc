#include "client/grpc_audit_log_source.h"

#include <deque>
#include <limits>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"

namespace registry::client {
namespace {

// Batches received ahead of the one being hashed: the receiving thread reads the next messages
// from the connection while the caller's thread hashes, and stops when this many wait. Each
// batch is at most the server's 256 KiB of events (a hostile server is held to gRPC's 4 MiB
// message limit), so memory stays bounded whatever the log sends.
constexpr size_t kBatchesAhead = 4;

// Hands batches from the receiving thread to the hashing thread, and emptied ones back.
class BatchPipe {
 public:
  // Receiving side. A batch to read into: one handed back, else a new one.
  std::unique_ptr<v1::AuditBatch> Spare() {
    absl::MutexLock lock(&mu_);
    if (spare_.empty()) return std::make_unique<v1::AuditBatch>();
    std::unique_ptr<v1::AuditBatch> batch = std::move(spare_.back());
    spare_.pop_back();
    return batch;
  }
  // Waits while kBatchesAhead batches wait. False when the hashing side stopped.
  bool Put(std::unique_ptr<v1::AuditBatch> batch) {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](BatchPipe* p) { return p->closed_ || p->ready_.size() < kBatchesAhead; }, this));
    if (closed_) return false;
    ready_.push_back(std::move(batch));
    return true;
  }
  // The stream ended (or failed: Finish says which).
  void End() {
    absl::MutexLock lock(&mu_);
    ended_ = true;
  }

  // Hashing side. The next batch; null after the last.
  std::unique_ptr<v1::AuditBatch> Take() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(+[](BatchPipe* p) { return p->ended_ || !p->ready_.empty(); }, this));
    if (ready_.empty()) return nullptr;
    std::unique_ptr<v1::AuditBatch> batch = std::move(ready_.front());
    ready_.pop_front();
    return batch;
  }
  void Recycle(std::unique_ptr<v1::AuditBatch> batch) {
    absl::MutexLock lock(&mu_);
    if (spare_.size() < 2) spare_.push_back(std::move(batch));
  }
  // The hashing side stops early: a waiting Put returns false, and so does every later one.
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }

 private:
  absl::Mutex mu_;
  std::deque<std::unique_ptr<v1::AuditBatch>> ready_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<v1::AuditBatch>> spare_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// Calls on_entry for every event of `batch`, reusing `entry`. The indices are the batch's
// first_index onwards; the verifier checks them against the ones it asked for. Each event's
// bytes move into the entry without a copy (the batch is parsed into again afterwards).
absl::Status DeliverBatch(v1::AuditBatch* batch, v1::AuditEntry* entry,
                          const std::function<absl::Status(const v1::AuditEntry&)>& on_entry) {
  const uint64_t count = static_cast<uint64_t>(batch->event_bytes_size());
  if (count == 0) return absl::DataLossError("the log sent an empty batch of events");
  if (batch->first_index() > std::numeric_limits<uint64_t>::max() - count) {
    return absl::DataLossError(
        absl::StrCat("the log sent a batch of events numbered beyond 2^64 from ",
                     batch->first_index()));
  }
  for (uint64_t i = 0; i < count; ++i) {
    entry->set_index(batch->first_index() + i);
    entry->mutable_event_bytes()->swap(*batch->mutable_event_bytes(static_cast<int>(i)));
    RETURN_IF_ERROR(on_entry(*entry));
  }
  return absl::OkStatus();
}

}  // namespace

GrpcAuditLogSource::GrpcAuditLogSource(const std::shared_ptr<grpc::Channel>& channel,
                                       const ConnectionSettings& settings)
    : stub_(v1::AuditService::NewStub(channel)), settings_(settings) {}

absl::StatusOr<v1::SignedTreeHead> GrpcAuditLogSource::GetSignedTreeHead() {
  return CallUnary<v1::SignedTreeHead>(
      settings_, [&](grpc::ClientContext* context, v1::SignedTreeHead* response) {
        return stub_->GetSignedTreeHead(context, v1::GetSignedTreeHeadRequest(), response);
      });
}

absl::StatusOr<v1::ConsistencyProof> GrpcAuditLogSource::GetConsistencyProof(
    uint64_t first_size, uint64_t second_size) {
  v1::GetConsistencyProofRequest request;
  request.set_first_size(first_size);
  request.set_second_size(second_size);
  return CallUnary<v1::ConsistencyProof>(
      settings_, [&](grpc::ClientContext* context, v1::ConsistencyProof* response) {
        return stub_->GetConsistencyProof(context, request, response);
      });
}

absl::StatusOr<v1::InclusionProof> GrpcAuditLogSource::GetInclusionProof(uint64_t leaf_index,
                                                                         uint64_t tree_size) {
  v1::GetInclusionProofRequest request;
  request.set_leaf_index(leaf_index);
  request.set_tree_size(tree_size);
  return CallUnary<v1::InclusionProof>(
      settings_, [&](grpc::ClientContext* context, v1::InclusionProof* response) {
        return stub_->GetInclusionProof(context, request, response);
      });
}

absl::Status GrpcAuditLogSource::StreamEvents(
    uint64_t start, uint64_t end,
    const std::function<absl::Status(const v1::AuditEntry&)>& on_entry) {
  if (end <= start) {
    // The API reads end_index 0 as "the current size": never send it by accident.
    return absl::InvalidArgumentError(absl::StrCat("empty event range [", start, ", ", end, ")"));
  }
  // StreamAuditBatches: many events per message, bytes only. A second thread receives while
  // this one hands the events to on_entry (which hashes them), so the two overlap.
  v1::StreamAuditBatchesRequest request;
  request.set_start_index(start);
  request.set_end_index(end);
  grpc::ClientContext context;
  PrepareContext(settings_, &context);
  std::unique_ptr<grpc::ClientReader<v1::AuditBatch>> reader =
      stub_->StreamAuditBatches(&context, request);
  BatchPipe pipe;
  std::thread receiver([&reader, &pipe] {
    for (;;) {
      std::unique_ptr<v1::AuditBatch> batch = pipe.Spare();
      if (!reader->Read(batch.get()) || !pipe.Put(std::move(batch))) break;
    }
    pipe.End();
  });
  v1::AuditEntry entry;
  absl::Status handled;
  while (std::unique_ptr<v1::AuditBatch> batch = pipe.Take()) {
    handled = DeliverBatch(batch.get(), &entry, on_entry);
    if (!handled.ok()) break;
    pipe.Recycle(std::move(batch));
  }
  if (!handled.ok()) {
    pipe.Close();
    context.TryCancel();
  }
  receiver.join();
  const grpc::Status finished = reader->Finish();
  if (!handled.ok()) return handled;  // the cancelled status says nothing new
  return ToAbslStatus(finished);
}

absl::StatusOr<v1::PublicKey> GrpcAuditLogSource::GetAuditPublicKey() {
  return CallUnary<v1::PublicKey>(
      settings_, [&](grpc::ClientContext* context, v1::PublicKey* response) {
        return stub_->GetAuditPublicKey(context, v1::GetAuditPublicKeyRequest(), response);
      });
}

absl::StatusOr<v1::PrunedPrefix> GrpcAuditLogSource::GetPrunedPrefix() {
  return CallUnary<v1::PrunedPrefix>(
      settings_, [&](grpc::ClientContext* context, v1::PrunedPrefix* response) {
        return stub_->GetPrunedPrefix(context, v1::GetPrunedPrefixRequest(), response);
      });
}

}  // namespace registry::client

#include "storage/audit_log.h"

#include <utility>

#include "common/public_status.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace registry::storage {
namespace {

namespace merkle = crypto::merkle;

constexpr char kFrontierKey[] = "audit/frontier";
// At most this many events share one write and fsync.
constexpr size_t kMaxGroup = 512;

std::string NodeKey(int level, uint64_t index) {
  std::string key(1, static_cast<char>(level));
  key += EncodeU64(index);
  return key;
}

// Replays a caller's batch into the group batch (RocksDB has no public WriteBatch append).
class BatchCopier : public rocksdb::WriteBatch::Handler {
 public:
  BatchCopier(Database* db, rocksdb::WriteBatch* out) : db_(db), out_(out) {}

  rocksdb::Status PutCF(uint32_t cf_id, const rocksdb::Slice& key,
                        const rocksdb::Slice& value) override {
    return out_->Put(Handle(cf_id), key, value);
  }
  rocksdb::Status DeleteCF(uint32_t cf_id, const rocksdb::Slice& key) override {
    return out_->Delete(Handle(cf_id), key);
  }
  rocksdb::Status SingleDeleteCF(uint32_t cf_id, const rocksdb::Slice& key) override {
    return out_->SingleDelete(Handle(cf_id), key);
  }
  rocksdb::Status DeleteRangeCF(uint32_t cf_id, const rocksdb::Slice& begin,
                                const rocksdb::Slice& end) override {
    return out_->DeleteRange(Handle(cf_id), begin, end);
  }
  rocksdb::Status MergeCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override {
    return rocksdb::Status::NotSupported("merge");
  }
  void LogData(const rocksdb::Slice&) override {}

 private:
  rocksdb::ColumnFamilyHandle* Handle(uint32_t cf_id) {
    for (int i = 0; i < static_cast<int>(Cf::kCount); ++i) {
      rocksdb::ColumnFamilyHandle* h = db_->cf(static_cast<Cf>(i));
      if (h->GetID() == cf_id) return h;
    }
    return db_->raw()->DefaultColumnFamily();
  }
  Database* db_;
  rocksdb::WriteBatch* out_;
};

}  // namespace

std::string SerializeEvent(const registry::v1::AuditEvent& event) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream raw(&out);
    google::protobuf::io::CodedOutputStream coded(&raw);
    coded.SetSerializationDeterministic(true);
    event.SerializeToCodedStream(&coded);
  }
  return out;
}

struct AuditLog::Writer {
  registry::v1::AuditEvent event;
  rocksdb::WriteBatch* mutations = nullptr;
  absl::Status status;
  uint64_t sequence = 0;
  bool done = false;
};

class AuditLog::StoredNodes : public merkle::NodeReader {
 public:
  explicit StoredNodes(Database* db) : db_(db) {}
  absl::StatusOr<std::string> Node(int level, uint64_t index) const override {
    ASSIGN_OR_RETURN(std::optional<std::string> v, db_->Get(Cf::kMerkle, NodeKey(level, index)));
    if (!v.has_value() || v->size() != 32) {
      return absl::DataLossError("audit tree node missing");
    }
    return *std::move(v);
  }

 private:
  Database* db_;
};

AuditLog::AuditLog(Database* db, const Clock* clock, merkle::CompactRange frontier)
    : db_(db),
      clock_(clock),
      nodes_(std::make_unique<StoredNodes>(db)),
      frontier_(std::move(frontier)) {}

AuditLog::~AuditLog() = default;

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(Database* db, const Clock* clock) {
  ASSIGN_OR_RETURN(std::optional<std::string> state, db->Get(Cf::kMeta, kFrontierKey));
  merkle::CompactRange frontier;
  if (state.has_value()) {
    ASSIGN_OR_RETURN(frontier, merkle::CompactRange::Parse(*state));
  }
  std::unique_ptr<AuditLog> log(new AuditLog(db, clock, std::move(frontier)));
  const uint64_t size = log->frontier_.size();
  // Cheap integrity checks, independent of the log's length: the last event exists and hashes
  // to the stored leaf, and nothing lies beyond it.
  ASSIGN_OR_RETURN(std::optional<std::string> beyond, db->Get(Cf::kAudit, EncodeU64(size)));
  if (beyond.has_value()) return absl::DataLossError("audit log has events beyond its tree");
  if (size > 0) {
    ASSIGN_OR_RETURN(std::optional<std::string> last, db->Get(Cf::kAudit, EncodeU64(size - 1)));
    if (!last.has_value()) return absl::DataLossError("audit log's last event is missing");
    ASSIGN_OR_RETURN(std::string leaf, log->nodes_->Node(0, size - 1));
    if (merkle::HashLeaf(*last) != leaf) {
      return absl::DataLossError("audit log's last event does not match its tree");
    }
    registry::v1::AuditEvent parsed;
    if (parsed.ParseFromString(*last)) {
      auto t = ParseInstant(parsed.time());
      if (t.ok()) log->last_time_ = *t;
    }
  }
  return log;
}

absl::StatusOr<uint64_t> AuditLog::Append(registry::v1::AuditEvent event,
                                          rocksdb::WriteBatch* mutations) {
  Writer w;
  w.event = std::move(event);
  w.mutations = mutations;

  mu_.Lock();
  queue_.push_back(&w);
  while (!w.done && (leader_active_ || queue_.front() != &w)) cv_.Wait(&mu_);
  if (w.done) {
    mu_.Unlock();
    if (!w.status.ok()) return w.status;
    return w.sequence;
  }
  // This writer leads the next group.
  leader_active_ = true;
  std::vector<Writer*> group;
  while (!queue_.empty() && group.size() < kMaxGroup) {
    group.push_back(queue_.front());
    queue_.pop_front();
  }
  merkle::CompactRange frontier = frontier_;
  absl::Time last_time = last_time_;
  mu_.Unlock();

  absl::Status status = WriteGroup(group, &frontier, &last_time);

  mu_.Lock();
  if (status.ok()) {
    frontier_ = std::move(frontier);
    last_time_ = last_time;
  }
  for (Writer* g : group) {
    g->status = status;
    g->done = true;
  }
  leader_active_ = false;
  cv_.SignalAll();
  mu_.Unlock();
  if (!w.status.ok()) return w.status;
  return w.sequence;
}

absl::Status AuditLog::WriteGroup(const std::vector<Writer*>& group,
                                  merkle::CompactRange* frontier, absl::Time* last_time) {
  rocksdb::WriteBatch batch;
  BatchCopier copier(db_, &batch);
  for (Writer* w : group) {
    if (w->mutations != nullptr) {
      rocksdb::Status s = w->mutations->Iterate(&copier);
      if (!s.ok()) return absl::InternalError("cannot copy a write batch");
    }
    absl::Time now = clock_->Now();
    if (now < *last_time) now = *last_time;  // event times never go backwards
    *last_time = now;
    w->sequence = frontier->size();
    w->event.set_sequence(w->sequence);
    w->event.set_time(FormatInstant(now, /*micros=*/true));
    const std::string bytes = SerializeEvent(w->event);
    batch.Put(db_->cf(Cf::kAudit), EncodeU64(w->sequence), bytes);
    frontier->Append(merkle::HashLeaf(bytes), [&](int level, uint64_t index,
                                                 absl::string_view hash) {
      batch.Put(db_->cf(Cf::kMerkle), NodeKey(level, index),
                rocksdb::Slice(hash.data(), hash.size()));
    });
  }
  batch.Put(db_->cf(Cf::kMeta), kFrontierKey, frontier->Serialize());
  return db_->Write(&batch);
}

AuditLog::Head AuditLog::CurrentHead() const {
  absl::MutexLock lock(&mu_);
  return Head{frontier_.size(), frontier_.Root()};
}

absl::StatusOr<std::string> AuditLog::ReadEvent(uint64_t index) const {
  if (index >= CurrentHead().size) return absl::NotFoundError("no such audit event");
  ASSIGN_OR_RETURN(std::optional<std::string> v, db_->Get(Cf::kAudit, EncodeU64(index)));
  if (!v.has_value()) return absl::DataLossError("audit event missing");
  return *std::move(v);
}

absl::Status AuditLog::Scan(uint64_t start, uint64_t end,
                            const std::function<bool(uint64_t, absl::string_view)>& fn) const {
  auto it = db_->NewIterator(Cf::kAudit);
  const std::string first = EncodeU64(start);
  // Events are numbered without gaps: a missing one is damage, never something to skip.
  uint64_t expected = start;
  for (it->Seek(rocksdb::Slice(first)); it->Valid() && expected < end; it->Next()) {
    if (it->key().size() != 8) return absl::DataLossError("malformed audit key");
    const uint64_t index = DecodeU64(absl::string_view(it->key().data(), 8));
    if (index != expected) {
      return PublicError(
          absl::DataLossError(absl::StrCat("audit event ", expected, " is missing")));
    }
    ++expected;
    if (!fn(index, absl::string_view(it->value().data(), it->value().size()))) {
      return absl::OkStatus();
    }
  }
  if (!it->status().ok()) return absl::DataLossError("audit scan failed");
  if (expected < end && expected < CurrentHead().size) {
    return PublicError(absl::DataLossError(absl::StrCat("audit event ", expected, " is missing")));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> AuditLog::InclusionProof(uint64_t index,
                                                                  uint64_t size) const {
  if (size > CurrentHead().size || index >= size) {
    return absl::InvalidArgumentError("leaf_index/tree_size out of range");
  }
  return merkle::InclusionProof(*nodes_, index, size);
}

absl::StatusOr<std::vector<std::string>> AuditLog::ConsistencyProof(uint64_t first_size,
                                                                    uint64_t second_size) const {
  if (second_size > CurrentHead().size || first_size == 0 || first_size > second_size) {
    return absl::InvalidArgumentError("first_size/second_size out of range");
  }
  return merkle::ConsistencyProof(*nodes_, first_size, second_size);
}

absl::StatusOr<std::string> AuditLog::RootAt(uint64_t size) const {
  if (size > CurrentHead().size) return absl::InvalidArgumentError("tree_size out of range");
  return merkle::RootAt(*nodes_, size);
}

}  // namespace registry::storage

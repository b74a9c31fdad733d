#include "server/audit_service.h"

#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/audit_filter.h"
#include "common/public_status.h"
#include "common/reference_text.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "crypto/tree_head.h"
#include "server/method_table.h"
#include "server/public_key_reply.h"
#include "storage/ids.h"

namespace registry::server {
namespace {

namespace v1 = registry::v1;

// One page scans at most this many events, so a selective filter cannot pin a thread.
constexpr uint64_t kMaxScanPerPage = 200000;

absl::Status CheckFilter(const v1::AuditFilter& f) {
  if (!f.from_time().empty() && !ParseInstant(f.from_time()).ok()) {
    return absl::InvalidArgumentError("filter.from_time: not an RFC 3339 instant");
  }
  if (!f.to_time().empty() && !ParseInstant(f.to_time()).ok()) {
    return absl::InvalidArgumentError("filter.to_time: not an RFC 3339 instant");
  }
  // An empty window is a mistake in the question, not an answer of "no events".
  if (!f.from_time().empty() && !f.to_time().empty() &&
      *ParseInstant(f.from_time()) >= *ParseInstant(f.to_time())) {
    return absl::InvalidArgumentError("filter.from_time: must be before filter.to_time");
  }
  if (f.actor().size() > 256) return absl::InvalidArgumentError("filter.actor: at most 256 bytes");
  if (f.action().size() > 128) return absl::InvalidArgumentError("filter.action: at most 128 bytes");
  if (f.record_id().size() > 64) {
    return absl::InvalidArgumentError("filter.record_id: at most 64 bytes");
  }
  // A check id is one the registry made (storage/ids.h), written one way only: any other text
  // matches no event, and is refused rather than answered with an empty list.
  if (!f.check_id().empty() && !storage::IsRegistryId(f.check_id())) {
    return absl::InvalidArgumentError(
        "filter.check_id: not a check id (32 characters 0-9 and a-f, as the certificate gives "
        "it)");
  }
  if (f.outcome_plus_one() < 0 || f.outcome_plus_one() > 17) {
    return absl::InvalidArgumentError("filter.outcome_plus_one: 0..17");
  }
  return absl::OkStatus();
}

// What a read of the log asked for, for its event's detail: the window, the actor and the action
// when they name a principal of the policy and a method of the API (other text is only counted,
// since it may hold anything), the outcome, and the events it covers. The record filtered on
// enters the event's record ids when it names a stored record; a typed id that names none may
// spell a personal number, and is withheld. A check id filtered on is named in the detail when
// the read met the check's event (`check_read`), so the log says which check's event the auditor
// read: that id is one the registry drew at random for a vetting call, no person's data. Any
// other is only what was typed: CheckFilter checks its shape alone, and 32 hex digits can spell a
// personal number (digits only are hex), so it is withheld like a record id that names nothing.
// "; events 5 to 104" (both included) for the events [start, end) a read looked at.
std::string RangeText(uint64_t start, uint64_t end) {
  if (start >= end) return "; no events";
  return end - start == 1 ? absl::StrCat("; event ", start)
                          : absl::StrCat("; events ", start, " to ", end - 1);
}

// Sets the event's detail to the filter and the events [start, end) looked at, and returns the
// filter's part, for a read that learns later how far it went.
std::string DescribeRead(const v1::AuditFilter& f, uint64_t start, uint64_t end, bool check_read,
                         const storage::RecordStore* records, Call* call) {
  std::vector<std::string> parts;
  if (!f.from_time().empty()) parts.push_back(absl::StrCat("from ", f.from_time()));
  if (!f.to_time().empty()) parts.push_back(absl::StrCat("to ", f.to_time()));
  if (!f.actor().empty()) {
    parts.push_back(call->policy().FindPrincipal(f.actor()) != nullptr
                        ? absl::StrCat("actor ", f.actor())
                        : absl::StrCat("actor (", f.actor().size(), " bytes)"));
  }
  if (!f.action().empty()) {
    parts.push_back(FindMethodRule(f.action()) != nullptr
                        ? absl::StrCat("action ", f.action())
                        : absl::StrCat("action (", f.action().size(), " bytes)"));
  }
  if (f.outcome_plus_one() != 0) {
    const auto outcome = static_cast<absl::StatusCode>(f.outcome_plus_one() - 1);
    parts.push_back(absl::StrCat("outcome ", absl::StatusCodeToString(outcome)));
  }
  if (!f.record_id().empty()) {
    absl::StatusOr<bool> stored = storage::IsRegistryId(f.record_id()) && records != nullptr
                                      ? records->IsStored(f.record_id())
                                      : absl::StatusOr<bool>(false);
    if (!stored.ok() || *stored) {
      call->event().add_record_ids(f.record_id());
      parts.push_back("the record named");
    } else {
      call->event().add_withheld(
          absl::StrCat("filter.record_id (", f.record_id().size(), " bytes, no such record)"));
      parts.push_back("a record id");
    }
  }
  if (!f.check_id().empty()) {
    if (check_read) {
      parts.push_back(absl::StrCat("check ", f.check_id()));
    } else {
      call->event().add_withheld(absl::StrCat("filter.check_id (", f.check_id().size(),
                                              " bytes, no such check among the events read)"));
      parts.push_back("a check id");
    }
  }
  std::string filter =
      absl::StrCat("filter: ", parts.empty() ? "none" : absl::StrJoin(parts, ", "));
  call->event().set_detail(absl::StrCat(filter, RangeText(start, end)));
  return filter;
}

}  // namespace

namespace {

// Whether an entry carries the decoded copy of its bytes (AuditEntry.event), or the bytes only.
enum class Decoded { kSend, kOmit };

// Hands `take` each event of [start, end) that matches `filter` (from the first retained event
// when there is no start), with its index and stored bytes, in order, until `take` says stop
// (false) or fails; decoded too, unless `decoded` is kOmit and the filter needs no field (then
// the event passed is empty). An event that does not decode is DATA_LOSS; a scan error comes
// first, then `take`'s.
// Events are in time order: the log never dates an event before the one it follows (AuditLog).
// So a filter's to_time ends a scan at the first event at or after it (`*passed_to` is then its
// index), and its from_time is found without reading what comes before (FirstAtOrAfter).
using TakeMatch =
    std::function<absl::StatusOr<bool>(uint64_t index, absl::string_view bytes, v1::AuditEvent)>;
absl::Status ScanMatching(const storage::AuditLog& log, const v1::AuditFilter& filter,
                          std::optional<uint64_t> start, uint64_t end, Decoded decoded,
                          const TakeMatch& take,
                          storage::BlockCache cache = storage::BlockCache::kFill,
                          std::optional<uint64_t>* passed_to = nullptr) {
  const bool decode = decoded == Decoded::kSend || !FiltersNothing(filter);
  std::optional<absl::Time> to;
  if (!filter.to_time().empty()) {
    ASSIGN_OR_RETURN(to, ParseInstant(filter.to_time()));
  }
  absl::Status inner;
  const auto visit = [&](uint64_t index, absl::string_view bytes) {
    v1::AuditEvent event;
    if (decode && !event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      inner = absl::DataLossError("audit event damaged");
      return false;
    }
    if (to.has_value()) {
      absl::StatusOr<absl::Time> time = ParseInstant(event.time());
      if (!time.ok()) {
        inner = absl::DataLossError(absl::StrCat("audit event ", index, ": its time is not one"));
        return false;
      }
      if (*time >= *to) {
        if (passed_to != nullptr) *passed_to = index;
        return false;
      }
    }
    if (decode) {
      absl::StatusOr<bool> match = MatchesAuditFilter(filter, event);
      if (!match.ok()) {
        inner = match.status();
        return false;
      }
      if (!*match) return true;
    }
    absl::StatusOr<bool> more = take(index, bytes, std::move(event));
    if (!more.ok()) {
      inner = more.status();
      return false;
    }
    return *more;
  };
  RETURN_IF_ERROR(start.has_value() ? log.Scan(*start, end, visit, cache)
                                     : log.ScanRetained(end, visit, cache));
  return inner;
}

// Whether the events a read of `filter` streams, [start, end) (from the first retained event
// when there is no start), hold one it matches, which then carries the filter's check id: read
// before the stream's event is written, which must say whether that id is the registry's
// (DescribeRead). Stops at the first match; false when the filter names no check.
absl::StatusOr<bool> ReadsTheCheck(const storage::AuditLog& log, const v1::AuditFilter& filter,
                                   std::optional<uint64_t> start, uint64_t end) {
  if (filter.check_id().empty()) return false;
  bool found = false;
  const auto take = [&](uint64_t, absl::string_view, v1::AuditEvent) -> absl::StatusOr<bool> {
    found = true;
    return false;
  };
  RETURN_IF_ERROR(
      ScanMatching(log, filter, start, end, Decoded::kOmit, take, storage::BlockCache::kBypass));
  return found;
}

// The first index of [lo, hi) whose event is at or after `filter`'s from_time (lo without one),
// found by reading about log2(hi - lo) events: a read from a time neither scans the log before
// it nor stops at damage there.
absl::StatusOr<uint64_t> FirstAtOrAfter(const storage::AuditLog& log,
                                        const v1::AuditFilter& filter, uint64_t lo, uint64_t hi) {
  if (filter.from_time().empty()) return lo;
  ASSIGN_OR_RETURN(const absl::Time from, ParseInstant(filter.from_time()));
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    ASSIGN_OR_RETURN(const std::string bytes, log.ReadEvent(mid));
    v1::AuditEvent event;
    if (!event.ParseFromString(bytes)) {
      return PublicError(absl::DataLossError(absl::StrCat("audit event ", mid, " is damaged")));
    }
    absl::StatusOr<absl::Time> time = ParseInstant(event.time());
    if (!time.ok()) {
      return PublicError(
          absl::DataLossError(absl::StrCat("audit event ", mid, ": its time is not one")));
    }
    if (*time < from) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

// A page token is the index of the next page's first event, in canonical decimal (what
// ListAuditEvents wrote: no sign, no spaces, no leading zeros), of an event the log holds; the
// log never shrinks, so any other text was not written here, and is refused rather than read as
// the end of the log or as another index.
bool ParsePageToken(absl::string_view token, uint64_t log_size, uint64_t* start) {
  if (token.empty() || token.size() > 20 || (token.size() > 1 && token[0] == '0')) return false;
  for (const char c : token) {
    if (c < '0' || c > '9') return false;
  }
  return absl::SimpleAtoi(token, start) && *start < log_size;
}

}  // namespace

grpc::Status AuditService::ListAuditEvents(grpc::ServerContext* ctx,
                                           const v1::ListAuditEventsRequest* req,
                                           v1::ListAuditEventsResponse* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(CheckFilter(req->filter()));
    if (req->page_size() > 1000) return absl::InvalidArgumentError("page_size: 0..1000");
    const uint32_t page_size = req->page_size() == 0 ? 100 : req->page_size();
    // The first page starts at the first event audit retention kept; a later page where the
    // previous one ended, which a pruning since may have deleted: then the scan says where the
    // log starts now (OUT_OF_RANGE) rather than skip to it.
    const bool first_page = req->page_token().empty();
    const uint64_t size = d_.audit->CurrentHead().size;
    uint64_t start = 0;
    // Where the scan starts: the first retained event (as the log says when it scans), else an
    // index (a later page, or the first event from the filter's time on).
    std::optional<uint64_t> scan_from;
    if (first_page) {
      start = d_.audit->CurrentPruned().size;
      if (!req->filter().from_time().empty()) {
        ASSIGN_OR_RETURN(start, FirstAtOrAfter(*d_.audit, req->filter(), start, size));
        scan_from = start;
      }
    } else if (!ParsePageToken(req->page_token(), size, &start)) {
      return absl::InvalidArgumentError("page_token: not a token from this service");
    } else {
      scan_from = start;
    }
    const uint64_t end = std::min(size, start + kMaxScanPerPage);
    uint64_t next = end;
    const auto take = [&](uint64_t index, absl::string_view bytes,
                          v1::AuditEvent event) -> absl::StatusOr<bool> {
      if (static_cast<uint32_t>(resp->entries_size()) == page_size) {
        next = index;
        return false;
      }
      v1::AuditEntry* entry = resp->add_entries();
      entry->set_index(index);
      entry->set_event_bytes(bytes.data(), bytes.size());
      if (!req->bytes_only()) *entry->mutable_event() = std::move(event);
      return true;
    };
    std::optional<uint64_t> passed_to;
    const absl::Status scanned = ScanMatching(*d_.audit, req->filter(), scan_from, end,
                                              req->bytes_only() ? Decoded::kOmit : Decoded::kSend,
                                              take, storage::BlockCache::kFill, &passed_to);
    // Described after the scan, whatever its outcome: a filter's check id is named only when the
    // page holds the check's event (every event it lists carries that id).
    const std::string filter =
        DescribeRead(req->filter(), start, end, resp->entries_size() > 0, d_.records, &call);
    RETURN_IF_ERROR(scanned);
    // Past the filter's to_time, no later event matches: there is no next page.
    if (passed_to.has_value()) next = *passed_to;
    if (!passed_to.has_value() && next < size) resp->set_next_page_token(absl::StrCat(next));
    // A full page stops before the window's end: the event says how far this read went.
    call.event().set_detail(absl::StrCat(filter, RangeText(start, next)));
    return absl::OkStatus();
  });
}

absl::Status AuditService::StreamEntries(Call& call, const v1::AuditFilter& filter,
                                         std::optional<uint64_t> start, uint64_t end,
                                         bool bytes_only, ReplyWriter<v1::AuditEntry>* writer) {
  // The call's own event must be durable before the first byte leaves.
  RETURN_IF_ERROR(call.Commit(nullptr));
  v1::AuditEntry entry;
  const auto send = [&](uint64_t index, absl::string_view bytes,
                        v1::AuditEvent event) -> absl::StatusOr<bool> {
    entry.set_index(index);
    entry.set_event_bytes(bytes.data(), bytes.size());
    if (!bytes_only) *entry.mutable_event() = std::move(event);
    // A certificate revoked, or a principal removed, while the stream runs ends it.
    RETURN_IF_ERROR(call.StillAdmitted());
    if (!writer->Write(entry)) return absl::CancelledError("client went away");
    return true;
  };
  // A stream reads its range once; pages of ListAuditEvents fill the cache (each starts in the
  // block where the page before it ended).
  return ScanMatching(*d_.audit, filter, start, end, bytes_only ? Decoded::kOmit : Decoded::kSend,
                      send, storage::BlockCache::kBypass);
}

grpc::Status AuditService::StreamAuditEventsTo(grpc::ServerContext* ctx,
                                               const v1::StreamAuditEventsRequest* req,
                                               ReplyWriter<v1::AuditEntry>* writer) {
  return d_.gate->Run(
      ctx, *req,
      [&](Call& call) -> absl::Status {
        RETURN_IF_ERROR(CheckFilter(req->filter()));
        const uint64_t size = d_.audit->CurrentHead().size;
        const uint64_t end = req->end_index() == 0 ? size : req->end_index();
        if (end > size || req->start_index() > end) {
          return absl::InvalidArgumentError("start_index/end_index: outside the log");
        }
        // Refused before the call's event is written, so that the event records the refusal.
        if (req->start_index() < end) RETURN_IF_ERROR(d_.audit->RequireRetained(req->start_index()));
        ASSIGN_OR_RETURN(const uint64_t start,
                         FirstAtOrAfter(*d_.audit, req->filter(), req->start_index(), end));
        // What was read goes into the event, as for a page of the list: a filtered stream (every
        // event about one record, or of one official) is a read of the same kind.
        const absl::StatusOr<bool> check_read = ReadsTheCheck(*d_.audit, req->filter(), start, end);
        DescribeRead(req->filter(), start, end, check_read.ok() && *check_read, d_.records, &call);
        RETURN_IF_ERROR(check_read.status());
        return StreamEntries(call, req->filter(), start, end, req->bytes_only(), writer);
      },
      [] {});
}

grpc::Status AuditService::StreamAuditBatchesTo(grpc::ServerContext* ctx,
                                                const v1::StreamAuditBatchesRequest* req,
                                                ReplyWriter<v1::AuditBatch>* writer) {
  return d_.gate->Run(
      ctx, *req,
      [&](Call& call) -> absl::Status {
        const uint64_t size = d_.audit->CurrentHead().size;
        const uint64_t end = req->end_index() == 0 ? size : req->end_index();
        if (end > size || req->start_index() > end) {
          return absl::InvalidArgumentError("start_index/end_index: outside the log");
        }
        // Refused before the call's event is written, so that the event records the refusal.
        if (req->start_index() < end) RETURN_IF_ERROR(d_.audit->RequireRetained(req->start_index()));
        // The range read, unfiltered, in the event.
        DescribeRead(v1::AuditFilter(), req->start_index(), end, /*check_read=*/false, d_.records,
                     &call);
        // The call's own event must be durable before the first byte leaves.
        RETURN_IF_ERROR(call.Commit(nullptr));
        // One batch buffer for the whole call: the bytes are copied once, from RocksDB's block
        // into the message, and the cleared message keeps its strings for the next batch.
        v1::AuditBatch batch;
        size_t batch_bytes = 0;
        uint64_t next = req->start_index();
        absl::Status inner;
        const auto flush = [&]() {
          if (batch.event_bytes_size() == 0) return true;
          if (absl::Status still = call.StillAdmitted(); !still.ok()) {
            inner = std::move(still);
            return false;
          }
          if (!writer->Write(batch)) {
            inner = absl::CancelledError("client went away");
            return false;
          }
          batch.clear_event_bytes();
          batch_bytes = 0;
          return true;
        };
        const auto add = [&](uint64_t index, absl::string_view bytes) {
          // Scan reports a gap itself; the batch's indices are implicit, so check once more.
          if (index != next) {
            inner = PublicError(
                absl::DataLossError(absl::StrCat("audit event ", next, " is missing")));
            return false;
          }
          if (batch.event_bytes_size() > 0 &&
              (batch_bytes + bytes.size() > kAuditBatchMaxBytes ||
               batch.event_bytes_size() >= kAuditBatchMaxEvents)) {
            if (!flush()) return false;
          }
          if (batch.event_bytes_size() == 0) batch.set_first_index(index);
          batch.add_event_bytes(bytes.data(), bytes.size());
          batch_bytes += bytes.size();
          ++next;
          return true;
        };
        // The whole log read once: its blocks would only push the calls' blocks out of the cache.
        RETURN_IF_ERROR(
            d_.audit->Scan(req->start_index(), end, add, storage::BlockCache::kBypass));
        RETURN_IF_ERROR(inner);
        flush();
        return inner;
      },
      [] {});
}

grpc::Status AuditService::ExportAuditEventsTo(grpc::ServerContext* ctx,
                                               const v1::ExportAuditEventsRequest* req,
                                               ReplyWriter<v1::AuditEntry>* writer) {
  return d_.gate->Run(
      ctx, *req,
      [&](Call& call) -> absl::Status {
        RETURN_IF_ERROR(CheckFilter(req->filter()));
        // Both were shape-checked and recorded by the gate (the recipient as the event's
        // recipient: the export goes to it, e.g. the supervisory authority).
        if (req->recipient().empty()) {
          return absl::InvalidArgumentError(absl::StrCat("recipient: ", kReferenceRule));
        }
        if (req->reference().empty()) {
          return absl::InvalidArgumentError(absl::StrCat("reference: ", kReferenceRule));
        }
        const uint64_t end = d_.audit->CurrentHead().size;
        const uint64_t pruned = d_.audit->CurrentPruned().size;
        ASSIGN_OR_RETURN(const uint64_t start,
                         FirstAtOrAfter(*d_.audit, req->filter(), pruned, end));
        // From the first retained event, as the log says when it scans, unless from a time.
        const std::optional<uint64_t> scan_from =
            req->filter().from_time().empty() ? std::nullopt : std::optional<uint64_t>(start);
        const absl::StatusOr<bool> check_read =
            ReadsTheCheck(*d_.audit, req->filter(), scan_from, end);
        DescribeRead(req->filter(), start, end, check_read.ok() && *check_read, d_.records, &call);
        RETURN_IF_ERROR(check_read.status());
        return StreamEntries(call, req->filter(), scan_from, end, /*bytes_only=*/false, writer);
      },
      [] {});
}

grpc::Status AuditService::GetSignedTreeHead(grpc::ServerContext* ctx,
                                             const v1::GetSignedTreeHeadRequest* req,
                                             v1::SignedTreeHead* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call& call) -> absl::Status {
    const storage::AuditLog::Head head = d_.audit->CurrentHead();
    const uint64_t ts = static_cast<uint64_t>(absl::ToUnixMicros(call.now()));
    const std::string& key_id = d_.audit_signer->key_id();
    ASSIGN_OR_RETURN(
        std::string signed_bytes,
        crypto::TreeHeadSigningBytes(d_.audit_log_id, head.size, ts, head.root, key_id));
    ASSIGN_OR_RETURN(std::string sig, d_.audit_signer->Sign(signed_bytes));
    resp->set_tree_size(head.size);
    resp->set_root_hash(head.root);
    resp->set_timestamp_micros(ts);
    resp->set_key_id(key_id);
    resp->set_signature(std::move(sig));
    resp->set_log_id(d_.audit_log_id);
    if (d_.metrics != nullptr) d_.metrics->RecordSignedHead(absl::Now());
    return absl::OkStatus();
  });
}

grpc::Status AuditService::GetInclusionProof(grpc::ServerContext* ctx,
                                             const v1::GetInclusionProofRequest* req,
                                             v1::InclusionProof* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call&) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<std::string> proof,
                     d_.audit->InclusionProof(req->leaf_index(), req->tree_size()));
    resp->set_leaf_index(req->leaf_index());
    resp->set_tree_size(req->tree_size());
    for (auto& h : proof) resp->add_hashes(std::move(h));
    return absl::OkStatus();
  });
}

grpc::Status AuditService::GetConsistencyProof(grpc::ServerContext* ctx,
                                               const v1::GetConsistencyProofRequest* req,
                                               v1::ConsistencyProof* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call&) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<std::string> proof,
                     d_.audit->ConsistencyProof(req->first_size(), req->second_size()));
    resp->set_first_size(req->first_size());
    resp->set_second_size(req->second_size());
    for (auto& h : proof) resp->add_hashes(std::move(h));
    return absl::OkStatus();
  });
}

grpc::Status AuditService::GetAuditPublicKey(grpc::ServerContext* ctx,
                                             const v1::GetAuditPublicKeyRequest* req,
                                             v1::PublicKey* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call&) -> absl::Status {
    FillPublicKey(*d_.audit_signer, resp);
    return absl::OkStatus();
  });
}

grpc::Status AuditService::GetPrunedPrefix(grpc::ServerContext* ctx,
                                           const v1::GetPrunedPrefixRequest* req,
                                           v1::PrunedPrefix* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call&) -> absl::Status {
    const storage::AuditLog::Pruned pruned = d_.audit->CurrentPruned();
    resp->set_pruned_size(pruned.size);
    if (pruned.size == 0) return absl::OkStatus();
    resp->set_newest_pruned_time(pruned.newest_time);
    resp->set_recorded_by(pruned.recorded_by);
    // The hashes stay in the tree whatever was deleted: the left edge is popcount(size) nodes.
    ASSIGN_OR_RETURN(const crypto::merkle::CompactRange edge, d_.audit->FrontierAt(pruned.size));
    for (std::string& hash : edge.Hashes()) resp->add_left_edge(std::move(hash));
    return absl::OkStatus();
  });
}

}  // namespace registry::server

#include "client/audit_verifier.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "client/files.h"
#include "client/json_io.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "crypto/tree_head.h"

namespace registry::client {
namespace {

// `word` as one shell word, quoted only when it needs to be, for a command the user is told to
// run: a state file path "My audit/st.json" would otherwise become two words.
std::string ShellWord(absl::string_view word) {
  constexpr absl::string_view kPlain = "_./-+=:,@%";
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [&](char c) {
    return absl::ascii_isalnum(c) || kPlain.find(c) != absl::string_view::npos;
  });
  if (plain) return std::string(word);
  return absl::StrCat("'", absl::StrReplaceAll(word, {{"'", "'\\''"}}), "'");
}

namespace merkle = crypto::merkle;

// The hint appended to a continuity error (a truncated, forked or earlier-dated head) when the
// verified head and the new one are signed by different keys. With the pinned key that cannot
// happen (the new head would be refused for its key); it happens when --public-key names another
// key than the one that signed the verified head. The heads state the same log id (else they
// would not be compared), so this is the same log under a new key, and the error stands.
std::string KeyChangeHint(const v1::SignedTreeHead& old_head, const v1::SignedTreeHead& head) {
  if (old_head.key_id() == head.key_id()) return "";
  return absl::StrCat(" (the verified head was signed by key ", old_head.key_id(),
                      ", this one by key ", head.key_id(), ")");
}

// "log 0123... at 127.0.0.1:7443 (key ab12..., verified 2026-11-28T14:30:00Z)".
std::string DescribeLog(const LogState& log) {
  return absl::StrCat(
      log.log_id().empty() ? "a log without id" : absl::StrCat("log ", log.log_id()),
      log.server().empty() ? "" : absl::StrCat(" at ", log.server()), " (key ",
      log.audit_key().key_id(), ", verified ", log.verified_at(), ")");
}

// A PublicKey message for a raw key.
v1::PublicKey MakeKey(const std::string& raw, absl::string_view pem) {
  v1::PublicKey key;
  key.set_key_id(crypto::Ed25519KeyId(raw));
  key.set_ed25519(raw);
  key.set_pem(std::string(pem));
  return key;
}

// Decides which audit key to trust, by the order in the header. `previous` is the state of the
// log the head belongs to, when the file knows it.
absl::StatusOr<v1::PublicKey> TrustedKey(AuditLogSource& source,
                                         const std::optional<LogState>& previous,
                                         const AuditVerifyOptions& options,
                                         std::vector<AuditNote>* notes) {
  const bool pinned = previous.has_value() && previous->has_audit_key();
  if (options.public_key_pem.has_value()) {
    ASSIGN_OR_RETURN(const std::string raw,
                     crypto::Ed25519PublicKeyFromPem(*options.public_key_pem));
    v1::PublicKey key = MakeKey(raw, *options.public_key_pem);
    if (pinned && previous->audit_key().key_id() != key.key_id()) {
      notes->push_back({AuditNote::Kind::kOther,
                        absl::StrCat("the key given with --public-key (", key.key_id(),
                                     ") replaces the pinned audit key ",
                                     previous->audit_key().key_id()),
                        ""});
    }
    return key;
  }
  if (pinned) {
    const v1::PublicKey& key = previous->audit_key();
    if (key.ed25519().size() != crypto::kEd25519PublicKeySize ||
        crypto::Ed25519KeyId(key.ed25519()) != key.key_id()) {
      return absl::InvalidArgumentError(
          "the state file's pinned audit key is damaged: pass --public-key");
    }
    return key;
  }
  ASSIGN_OR_RETURN(v1::PublicKey served, source.GetAuditPublicKey());
  std::string raw = served.ed25519();
  if (raw.empty() && !served.pem().empty()) {
    ASSIGN_OR_RETURN(raw, crypto::Ed25519PublicKeyFromPem(served.pem()));
  }
  if (raw.size() != crypto::kEd25519PublicKeySize) {
    return absl::DataLossError("the server's audit public key is not a 32-byte Ed25519 key");
  }
  v1::PublicKey key = MakeKey(raw, served.pem());
  if (!served.key_id().empty() && served.key_id() != key.key_id()) {
    return absl::DataLossError(absl::StrCat("the server's audit key id ", served.key_id(),
                                            " does not belong to its key (", key.key_id(), ")"));
  }
  notes->push_back({AuditNote::Kind::kKeyTrustedOnFirstUse,
                    absl::StrCat("no audit key given or pinned: trusting the server's key ",
                                 key.key_id(),
                                 " on first use; compare it with the key the KJC publishes"),
                    key.key_id()});
  return key;
}

absl::Status VerifyHeadSignature(const v1::SignedTreeHead& head, const v1::PublicKey& key,
                                 const std::optional<LogState>& previous, bool key_given) {
  if (head.key_id() != key.key_id() && key_given) {
    // The key typed is the user's claim of which key is the audit key, not one this client
    // trusted before: said as the key given (audit_commands.cc tells a wrong file from a
    // forgery as far as it can).
    return absl::FailedPreconditionError(
        absl::StrCat("the tree head is signed by key ", head.key_id(),
                     ", not by the key given with --public-key (", key.key_id(), ")"));
  }
  if (head.key_id() != key.key_id()) {
    std::string why;
    if (previous.has_value() && previous->has_audit_key() &&
        previous->audit_key().key_id() == key.key_id()) {
      why = absl::StrCat(" pinned for log ", head.log_id(),
                         ": the log's key changed (if the KJC published a new audit key, give it "
                         "with --public-key)");
    }
    return absl::FailedPreconditionError(
        absl::StrCat("the tree head is signed by key ", head.key_id(),
                     ", not by the trusted audit key ", key.key_id(), why));
  }
  if (head.root_hash().size() != merkle::kHashSize) {
    return absl::DataLossError("the tree head's root hash is not 32 bytes");
  }
  ASSIGN_OR_RETURN(
      const std::string message,
      crypto::TreeHeadSigningBytes(head.log_id(), head.tree_size(), head.timestamp_micros(),
                                   head.root_hash(), head.key_id()));
  const absl::Status verified = crypto::Ed25519Verify(key.ed25519(), message, head.signature());
  if (!verified.ok()) {
    return absl::DataLossError(
        absl::StrCat("bad tree head signature at size ", head.tree_size(), ": ",
                     verified.message()));
  }
  return absl::OkStatus();
}

// A head's timestamp for messages: RFC 3339 when it is a representable instant, else the raw
// number (a hostile head may carry anything up to 2^64 - 1).
std::string DescribeTimestamp(uint64_t micros) {
  if (micros > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return absl::StrCat(micros, " microseconds after 1970");
  }
  return FormatInstant(absl::FromUnixMicros(static_cast<int64_t>(micros)), /*micros=*/true);
}

// A signed head states when it was made. One dated beyond `now` plus the allowed skew cannot
// have been made now; pinning it would make every later honest head look earlier than it and be
// refused.
absl::Status VerifyNotAhead(const v1::SignedTreeHead& head, const AuditVerifyOptions& options,
                            absl::Time now) {
  if (options.max_clock_skew < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the allowed clock skew must not be negative");
  }
  const int64_t latest = absl::ToUnixMicros(now + options.max_clock_skew);
  if (latest < 0 || head.timestamp_micros() > static_cast<uint64_t>(latest)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the tree head is dated ", DescribeTimestamp(head.timestamp_micros()), ", more than ",
        absl::FormatDuration(options.max_clock_skew), " after this computer's clock (",
        FormatInstant(now, /*micros=*/true),
        "): the server's clock or this one is wrong, or the head was not signed now; it is not "
        "pinned (--clock-skew sets the tolerance)"));
  }
  return absl::OkStatus();
}

// Time only moves forward: a head dated before the one already verified is a rolled-back or
// replayed statement (or another log's). Checked after continuity, so that a truncated or forked
// log is named as such whatever date its head carries; equal dates are fine (two heads signed
// within the same microsecond).
absl::Status VerifyNotEarlier(const v1::SignedTreeHead& old_head, const v1::SignedTreeHead& head) {
  if (head.timestamp_micros() < old_head.timestamp_micros()) {
    return absl::DataLossError(absl::StrCat(
        "the tree head is dated ", DescribeTimestamp(head.timestamp_micros()),
        ", before the previously verified head (", DescribeTimestamp(old_head.timestamp_micros()),
        "): a rolled-back or replayed head", KeyChangeHint(old_head, head)));
  }
  return absl::OkStatus();
}

// Fetches the consistency proof first_size -> second_size and checks its shape before anything
// is copied: the sizes it claims to be for, at most kMaxProofHashes elements, each a hash.
absl::StatusOr<std::vector<std::string>> FetchConsistencyProof(AuditLogSource& source,
                                                               uint64_t first_size,
                                                               uint64_t second_size) {
  ASSIGN_OR_RETURN(const v1::ConsistencyProof served,
                   source.GetConsistencyProof(first_size, second_size));
  const std::string which = absl::StrCat(first_size, " -> ", second_size);
  if (served.first_size() != first_size || served.second_size() != second_size) {
    return absl::DataLossError(absl::StrCat("the log answered the request for the consistency "
                                            "proof ", which, " with a proof for ",
                                            served.first_size(), " -> ", served.second_size()));
  }
  if (served.hashes_size() > kMaxProofHashes) {
    return absl::DataLossError(absl::StrCat(
        "the log served a consistency proof ", which, " of ", served.hashes_size(),
        " hashes; no proof between trees of at most 2^64 - 1 events has more than ",
        kMaxProofHashes));
  }
  for (int i = 0; i < served.hashes_size(); ++i) {
    if (served.hashes(i).size() != merkle::kHashSize) {
      return absl::DataLossError(absl::StrCat("the log served a consistency proof ", which,
                                              " whose element ", i, " has ",
                                              served.hashes(i).size(), " bytes, not ",
                                              merkle::kHashSize));
    }
  }
  return std::vector<std::string>(served.hashes().begin(), served.hashes().end());
}

absl::Status VerifyExtendsPrevious(AuditLogSource& source, const v1::SignedTreeHead& old_head,
                                   const v1::SignedTreeHead& head) {
  const uint64_t m = old_head.tree_size();
  const uint64_t n = head.tree_size();
  if (n < m) {
    return absl::DataLossError(absl::StrCat("log truncated: size ", n, " < previously verified ", m,
                                            KeyChangeHint(old_head, head)));
  }
  if (n == m) {
    if (head.root_hash() != old_head.root_hash()) {
      return absl::DataLossError(
          absl::StrCat("forked head at size ", n, KeyChangeHint(old_head, head)));
    }
    return absl::OkStatus();
  }
  std::vector<std::string> proof;
  if (m > 0) {
    ASSIGN_OR_RETURN(proof, FetchConsistencyProof(source, m, n));
  }
  const absl::Status consistent =
      merkle::VerifyConsistency(m, n, old_head.root_hash(), head.root_hash(), proof);
  if (!consistent.ok()) {
    return absl::DataLossError(absl::StrCat("forked head: head at size ", n,
                                            " is not consistent with verified head at size ", m,
                                            KeyChangeHint(old_head, head)));
  }
  return absl::OkStatus();
}

// One pass of the stream over events [start, end) of the tree of the signed size n, hashed onto
// `base` (the frontier of the first `start` events). Returns copies of the frontier after every
// `step` events strictly inside the range, and the frontier at `end` last: at most
// (end - start - 1) / step + 1 frontiers whatever the log sends.
//
// Entry i of the stream must carry index i. When one does not, the rest of the stream is read
// without hashing, only to tell a missing event (its index never comes) from one out of order (it
// comes later); nothing is kept but that one index.
absl::StatusOr<std::vector<merkle::CompactRange>> HashPass(
    AuditLogSource& source, uint64_t n, const merkle::CompactRange& base, uint64_t end,
    uint64_t step, const std::function<void(uint64_t, absl::string_view)>& on_hashed = nullptr) {
  const uint64_t start = base.size();
  merkle::CompactRange range = base;
  std::vector<merkle::CompactRange> frontiers;
  uint64_t position = start;
  std::optional<uint64_t> gap;   // the first position whose event did not come in its place
  uint64_t gap_holder = 0;       // the index that came there instead
  RETURN_IF_ERROR(source.StreamEvents(start, end, [&](const v1::AuditEntry& entry) {
    if (position >= end) {
      if (end == n) {
        return absl::DataLossError(
            absl::StrCat("the log sent more events than the signed tree size ", n));
      }
      return absl::DataLossError(absl::StrCat("the log sent more events than the ", end - start,
                                              " asked for from index ", start));
    }
    const uint64_t index = entry.index();
    if (index >= n) {
      return absl::DataLossError(
          absl::StrCat("event ", index, " is beyond the signed tree size ", n));
    }
    if (gap.has_value()) {
      if (index == *gap) {
        return absl::DataLossError(absl::StrCat("event ", gap_holder, " out of order"));
      }
    } else if (index == position) {
      range.AppendLeaf(entry.event_bytes(), nullptr);
      if (on_hashed) on_hashed(index, entry.event_bytes());
      if (range.size() < end && (range.size() - start) % step == 0) frontiers.push_back(range);
    } else if (index < start) {
      return absl::DataLossError(absl::StrCat("the log sent event ", index,
                                              " in a stream that starts at index ", start));
    } else if (index < position) {
      return absl::DataLossError(absl::StrCat("event ", index, " sent twice"));
    } else {
      gap = position;
      gap_holder = index;
    }
    ++position;
    return absl::OkStatus();
  }));
  if (gap.has_value()) return absl::DataLossError(absl::StrCat("event ", *gap, " missing"));
  if (position < end) return absl::DataLossError(absl::StrCat("event ", position, " missing"));
  frontiers.push_back(std::move(range));
  return frontiers;
}

// The step that puts at most kSearchCheckpoints frontiers strictly inside a range of `length`.
uint64_t CheckpointStep(uint64_t length) { return length / (kSearchCheckpoints + 1) + 1; }

// Whether the client's tree of its first k events (frontier `prefix`, 0 < k < n) is not a prefix
// of the signed tree: the log's consistency proof k -> n does not verify against the client's
// root. A proof that is malformed (rather than one that does not match) is an error.
absl::StatusOr<bool> PrefixIsBad(AuditLogSource& source, const v1::SignedTreeHead& head,
                                 const merkle::CompactRange& prefix) {
  const uint64_t k = prefix.size();
  const uint64_t n = head.tree_size();
  ASSIGN_OR_RETURN(const std::vector<std::string> proof, FetchConsistencyProof(source, k, n));
  const absl::Status consistent =
      merkle::VerifyConsistency(k, n, prefix.Root(), head.root_hash(), proof);
  if (consistent.ok()) return false;
  if (consistent.code() == absl::StatusCode::kDataLoss) return true;
  return absl::DataLossError(absl::StrCat("the log served a malformed consistency proof ", k,
                                          " -> ", n, ": ", consistent.message()));
}

// Streams every event of the head's tree from the left edge `base` (the frontier of the pruned
// prefix, already found consistent with the head; empty when nothing was pruned) and checks them
// against its root. on_hashed sees each event of the first pass once it is hashed.
absl::Status VerifyAllEvents(AuditLogSource& source, const v1::SignedTreeHead& head,
                             const merkle::CompactRange& base,
                             const std::function<void(uint64_t, absl::string_view)>& on_hashed) {
  const uint64_t n = head.tree_size();
  if (n == 0) {
    if (head.root_hash() == merkle::EmptyRoot()) return absl::OkStatus();
    return absl::DataLossError("the signed head of the empty log has another root than the empty "
                               "tree's");
  }
  if (base.size() == n) {
    if (base.Root() == head.root_hash()) return absl::OkStatus();
    return absl::DataLossError("the left edge of the pruned prefix does not match the signed "
                               "tree head");
  }
  ASSIGN_OR_RETURN(std::vector<merkle::CompactRange> frontiers,
                   HashPass(source, n, base, n, CheckpointStep(n - base.size()), on_hashed));
  if (frontiers.back().Root() == head.root_hash()) return absl::OkStatus();
  frontiers.pop_back();

  // Some event does not match. Invariant: the first good.size() events are consistent with the
  // signed head (the pruned prefix, at first: its left edge was checked against the head), the
  // first `bad` are not (all n, at first, as their root differs); the frontiers lie strictly
  // between. Each round finds the first bad frontier by binary search, narrows [good, bad] to
  // the two frontiers around it and, while more than one event is left between them, streams
  // that stretch again to place new frontiers in it.
  merkle::CompactRange good = base;
  uint64_t bad = n;
  while (true) {
    size_t low = 0;
    size_t high = frontiers.size();
    while (low < high) {
      const size_t middle = low + (high - low) / 2;
      ASSIGN_OR_RETURN(const bool middle_is_bad, PrefixIsBad(source, head, frontiers[middle]));
      if (middle_is_bad) {
        high = middle;
      } else {
        low = middle + 1;
      }
    }
    if (high < frontiers.size()) bad = frontiers[high].size();
    if (low > 0) good = std::move(frontiers[low - 1]);
    if (bad - good.size() == 1) break;
    ASSIGN_OR_RETURN(frontiers,
                     HashPass(source, n, good, bad, CheckpointStep(bad - good.size())));
    frontiers.pop_back();  // the frontier at `bad`, already known to be bad
  }
  return absl::DataLossError(
      absl::StrCat("event ", good.size(), " does not match the signed tree"));
}

// The pruned prefix as the log states it, its shape checked before anything is copied: a log
// that cannot tell (Unimplemented) never pruned, as far as this client is concerned.
absl::StatusOr<v1::PrunedPrefix> FetchPrunedPrefix(AuditLogSource& source) {
  absl::StatusOr<v1::PrunedPrefix> served = source.GetPrunedPrefix();
  if (absl::IsUnimplemented(served.status())) return v1::PrunedPrefix();
  if (!served.ok()) return served.status();
  if (served->left_edge_size() > merkle::kMaxLevel + 1) {
    return absl::DataLossError(absl::StrCat("the log served a left edge of ",
                                            served->left_edge_size(),
                                            " hashes; no tree has more than 64"));
  }
  return served;
}

// Fetches the inclusion proof of leaf `index` in the tree of size n, shape-checked.
absl::StatusOr<std::vector<std::string>> FetchInclusionProof(AuditLogSource& source,
                                                             uint64_t index, uint64_t n) {
  ASSIGN_OR_RETURN(const v1::InclusionProof served, source.GetInclusionProof(index, n));
  if (served.leaf_index() != index || served.tree_size() != n) {
    return absl::DataLossError(absl::StrCat("the log answered the request for the inclusion proof "
                                            "of event ", index, " in ", n, " with a proof for "
                                            "event ", served.leaf_index(), " in ",
                                            served.tree_size()));
  }
  if (served.hashes_size() > merkle::kMaxLevel + 1) {
    return absl::DataLossError(absl::StrCat("the log served an inclusion proof of ",
                                            served.hashes_size(), " hashes; none has more than 64"));
  }
  for (const std::string& hash : served.hashes()) {
    if (hash.size() != merkle::kHashSize) {
      return absl::DataLossError("the log served an inclusion proof whose elements are not hashes");
    }
  }
  return std::vector<std::string>(served.hashes().begin(), served.hashes().end());
}

// Event `index` of the signed tree, fetched alone and proven to be in it.
absl::StatusOr<v1::AuditEvent> FetchIncludedEvent(AuditLogSource& source,
                                                  const v1::SignedTreeHead& head,
                                                  uint64_t index) {
  std::optional<std::string> bytes;
  RETURN_IF_ERROR(source.StreamEvents(index, index + 1, [&](const v1::AuditEntry& entry) {
    if (bytes.has_value() || entry.index() != index) {
      return absl::DataLossError(absl::StrCat("the log sent other events than event ", index,
                                              " when asked for it alone"));
    }
    bytes = entry.event_bytes();
    return absl::OkStatus();
  }));
  if (!bytes.has_value()) {
    return absl::DataLossError(absl::StrCat("the log did not send event ", index));
  }
  ASSIGN_OR_RETURN(const std::vector<std::string> proof,
                   FetchInclusionProof(source, index, head.tree_size()));
  const absl::Status included = merkle::VerifyInclusion(
      merkle::HashLeaf(*bytes), index, head.tree_size(), proof, head.root_hash());
  if (!included.ok()) {
    return absl::DataLossError(
        absl::StrCat("event ", index, " does not match the signed tree: ", included.message()));
  }
  v1::AuditEvent event;
  if (!event.ParseFromString(*bytes)) {
    return absl::DataLossError(absl::StrCat("event ", index, " is not an audit event"));
  }
  return event;
}

absl::StatusOr<absl::Time> TimeOf(absl::string_view text, absl::string_view what) {
  absl::StatusOr<absl::Time> time = ParseInstant(text);
  if (!time.ok()) {
    return absl::DataLossError(absl::StrCat(what, " is not an RFC 3339 instant: \"",
                                            absl::CHexEscape(text.substr(0, 64)), "\""));
  }
  return *time;
}

struct PrunedPrefixCheck {
  // The frontier of the first P events: where a full verification starts.
  merkle::CompactRange left_edge;
  uint32_t retention_days = 0;
};

// Check 4 of the header.
absl::StatusOr<PrunedPrefixCheck> VerifyPrunedPrefix(AuditLogSource& source,
                                                     const v1::SignedTreeHead& head,
                                                     const v1::PrunedPrefix& prefix,
                                                     const std::optional<LogState>& previous) {
  PrunedPrefixCheck check;
  const uint64_t p = prefix.pruned_size();
  const uint64_t n = head.tree_size();
  const uint64_t seen = previous.has_value() ? previous->pruned_size() : 0;
  if (p < seen) {
    return absl::DataLossError(absl::StrCat(
        "the log says audit retention deleted its first ", p, p == 1 ? " event" : " events",
        ", but a previous verification saw the first ", seen,
        " deleted: deleted events do not come back, the pruned prefix never shrinks"));
  }
  if (p == 0) {
    if (prefix.left_edge_size() != 0 || !prefix.newest_pruned_time().empty() ||
        prefix.recorded_by() != 0) {
      return absl::DataLossError("the log says nothing was pruned, yet describes a pruning");
    }
    return check;
  }
  if (p > n) {
    return absl::DataLossError(absl::StrCat("the log says audit retention deleted ", p,
                                            p == 1 ? " event" : " events", ", more than the ", n,
                                            " of its signed tree head"));
  }
  const std::string& newest_text = prefix.newest_pruned_time();
  ASSIGN_OR_RETURN(const absl::Time newest, TimeOf(newest_text, "the newest pruned event's time"));
  absl::StatusOr<merkle::CompactRange> edge = merkle::CompactRange::FromHashes(
      p, std::vector<std::string>(prefix.left_edge().begin(), prefix.left_edge().end()));
  if (!edge.ok()) {
    return absl::DataLossError(
        absl::StrCat("the log served a malformed left edge: ", edge.status().message()));
  }
  check.left_edge = *std::move(edge);
  const uint64_t recorded_by = prefix.recorded_by();
  if (recorded_by < p || recorded_by >= n) {
    return absl::DataLossError(absl::StrCat(
        "the log names event ", recorded_by, " as the record of the pruning of events [0, ", p,
        "), but that record must be a retained event of the signed tree, in [", p, ", ", n, ")"));
  }

  // The left edge is the signed tree's: its root is the root of the first p events.
  ASSIGN_OR_RETURN(const std::vector<std::string> proof, FetchConsistencyProof(source, p, n));
  const absl::Status consistent =
      merkle::VerifyConsistency(p, n, check.left_edge.Root(), head.root_hash(), proof);
  if (!consistent.ok()) {
    return absl::DataLossError(absl::StrCat(
        "the left edge of the pruned prefix (events [0, ", p, ")) does not match the signed tree "
        "head"));
  }

  // The pruning is on the record, inside the signed tree, and says what the log says.
  ASSIGN_OR_RETURN(const v1::AuditEvent recorded, FetchIncludedEvent(source, head, recorded_by));
  const std::string which = absl::StrCat("event ", recorded_by, ", which the log names as the "
                                         "record of its pruning,");
  if (recorded.actor() != kAuditRetentionActor || !recorded.has_pruning()) {
    return absl::DataLossError(absl::StrCat(which, " is not an audit retention event"));
  }
  const v1::AuditPruning& pruning = recorded.pruning();
  if (pruning.to_index() != p || pruning.newest_pruned_time() != newest_text ||
      pruning.from_index() >= pruning.to_index()) {
    return absl::DataLossError(absl::StrCat(
        which, " records events [", pruning.from_index(), ", ", pruning.to_index(),
        ") deleted up to ", absl::CHexEscape(pruning.newest_pruned_time()), ", not the first ", p,
        " up to ", newest_text));
  }
  // Its own statement holds together: what it deleted is older than its cutoff, and the cutoff
  // is the retention it states before its own time.
  ASSIGN_OR_RETURN(const absl::Time cutoff, TimeOf(pruning.cutoff(), "the pruning's cutoff"));
  ASSIGN_OR_RETURN(const absl::Time recorded_at, TimeOf(recorded.time(), "the pruning's time"));
  if (pruning.retention_days() == 0 || !(newest < cutoff) ||
      cutoff + absl::Hours(24) * static_cast<int64_t>(pruning.retention_days()) > recorded_at) {
    return absl::DataLossError(absl::StrCat(
        which, " does not hold together: it deleted events up to ", newest_text,
        " with a cutoff of ", absl::CHexEscape(pruning.cutoff()), " on ", recorded.time(),
        " for a retention of ", pruning.retention_days(), " days"));
  }
  // And it was made before the head that signs it: a pruning dated later was made on a clock
  // that ran ahead (moved forward, or told so by a false time server), which deletes events
  // that are not yet due, and the clock then put back.
  if (absl::ToUnixMicros(recorded_at) > static_cast<int64_t>(head.timestamp_micros())) {
    return absl::DataLossError(absl::StrCat(
        which, " is dated ", recorded.time(), ", after the tree head that signs it (",
        DescribeTimestamp(head.timestamp_micros()), "): the server's clock ran ahead, and "
        "its retention deleted events that were not yet due"));
  }
  check.retention_days = pruning.retention_days();

  if (!previous.has_value()) return check;
  // Against what this client saw before: the same prefix has the same newest event, a longer
  // one a newer or equal one, and no event whose time it recorded is claimed deleted as older
  // than the newest deleted event.
  if (p == seen && newest_text != previous->newest_pruned_time()) {
    return absl::DataLossError(absl::StrCat(
        "the log dates the newest of its first ", p, p == 1 ? " event" : " events",
        ", deleted by retention, ",
        newest_text, ", but a previous verification saw it dated ",
        absl::CHexEscape(previous->newest_pruned_time())));
  }
  if (p > seen && seen > 0) {
    ASSIGN_OR_RETURN(const absl::Time seen_newest,
                     TimeOf(previous->newest_pruned_time(), "the saved newest pruned time"));
    if (newest < seen_newest) {
      return absl::DataLossError(absl::StrCat(
          "the log says the newest of its first ", p, p == 1 ? " event" : " events",
          ", deleted by retention, is dated ",
          newest_text, ", before the newest of the first ", seen, " (",
          previous->newest_pruned_time(), ")"));
    }
  }
  for (const EventTime& sample : previous->event_times()) {
    if (sample.index() >= p) continue;
    ASSIGN_OR_RETURN(const absl::Time t, TimeOf(sample.time(), "a saved event time"));
    if (t > newest) {
      return absl::DataLossError(absl::StrCat(
          "the log says audit retention deleted its first ", p, p == 1 ? " event" : " events",
          ", the newest dated ",
          newest_text, ", but event ", sample.index(), ", verified by this client on ",
          previous->verified_at(), ", is dated ", sample.time(),
          ": events were deleted that are newer than the log says"));
    }
  }
  return check;
}

// Records the times of at most kEventTimeSamples events of [start, end), evenly spread with the
// last one included, from the bytes the verifier hashed. Bytes that are no audit event with a
// time are passed over (they make the root wrong anyway, or are not this client's business).
class EventTimeSampler {
 public:
  EventTimeSampler(uint64_t start, uint64_t end)
      : start_(start), end_(end), step_((end - start) / (kEventTimeSamples - 1) + 1) {}

  void Offer(uint64_t index, absl::string_view bytes) {
    if ((index - start_) % step_ != 0 && index + 1 != end_) return;
    v1::AuditEvent event;
    if (!event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return;
    if (!ParseInstant(event.time()).ok()) return;
    EventTime& sample = samples_.emplace_back();
    sample.set_index(index);
    sample.set_time(event.time());
  }

  std::vector<EventTime>& samples() { return samples_; }

 private:
  const uint64_t start_;
  const uint64_t end_;
  const uint64_t step_;
  std::vector<EventTime> samples_;
};

}  // namespace

bool LogIdShaped(absl::string_view log_id) {
  return log_id.size() == 32 && std::all_of(log_id.begin(), log_id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::vector<LogState> LogsOf(const AuditState& state) {
  std::vector<LogState> logs(state.logs().begin(), state.logs().end());
  if (state.has_verified_head() || state.has_audit_key()) {
    LogState legacy;
    *legacy.mutable_verified_head() = state.verified_head();
    *legacy.mutable_audit_key() = state.audit_key();
    legacy.set_verified_at(state.verified_at());
    logs.insert(logs.begin(), std::move(legacy));
  }
  return logs;
}

absl::StatusOr<AuditVerification> VerifyAuditLog(AuditLogSource& source,
                                                 const std::optional<AuditState>& previous,
                                                 const AuditVerifyOptions& options,
                                                 absl::Time now) {
  AuditVerification result;
  ASSIGN_OR_RETURN(v1::SignedTreeHead head, source.GetSignedTreeHead());
  ASSIGN_OR_RETURN(const v1::PrunedPrefix prefix, FetchPrunedPrefix(source));
  // An honest log writes the event recording a pruning in the batch that moves the prefix, so a
  // prefix whose record lies beyond the head was pruned after the head was signed: the next head
  // holds it. Asked once; any head is checked below as if it were the first.
  if (prefix.pruned_size() > 0 && prefix.recorded_by() >= head.tree_size()) {
    ASSIGN_OR_RETURN(head, source.GetSignedTreeHead());
  }
  if (!LogIdShaped(head.log_id())) {
    return absl::FailedPreconditionError(
        "the tree head names no log (no log id of 32 hex characters): the server is older than "
        "this registry-cli, or not a registry");
  }

  // This log's state: the one with its id; else, from a file older than log ids, the log
  // without id whose key signed this head (that file held one log, and the same key says it is
  // this one; the signature is checked below before anything is trusted).
  std::vector<LogState> logs = previous.has_value() ? LogsOf(*previous) : std::vector<LogState>();
  auto mine = std::find_if(logs.begin(), logs.end(),
                           [&](const LogState& l) { return l.log_id() == head.log_id(); });
  if (mine == logs.end()) {
    mine = std::find_if(logs.begin(), logs.end(), [&](const LogState& l) {
      return l.log_id().empty() && l.audit_key().key_id() == head.key_id();
    });
  }
  std::optional<LogState> known;
  if (mine != logs.end()) known = *mine;

  ASSIGN_OR_RETURN(v1::PublicKey key, TrustedKey(source, known, options, &result.notes));
  RETURN_IF_ERROR(
      VerifyHeadSignature(head, key, known, options.public_key_pem.has_value()));
  RETURN_IF_ERROR(VerifyNotAhead(head, options, now));
  if (!options.accept_new_log.empty() && options.accept_new_log != head.log_id()) {
    // Accepting a log by its id only: a replacement the person has not seen is never accepted
    // for one they meant. The id given is not repeated (it is what was typed).
    return absl::InvalidArgumentError(absl::StrCat(
        "--accept-new-log names another log than the server's audit log, ", head.log_id(),
        ": nothing was accepted or saved (verify without --accept-new-log to see what it warns "
        "of)"));
  }
  result.first_of_log = !known.has_value() || !known->has_verified_head();
  if (!result.first_of_log) result.compared_with = known->verified_head();
  if (!result.first_of_log) {
    RETURN_IF_ERROR(VerifyExtendsPrevious(source, known->verified_head(), head));
    RETURN_IF_ERROR(VerifyNotEarlier(known->verified_head(), head));
  }
  ASSIGN_OR_RETURN(PrunedPrefixCheck pruned, VerifyPrunedPrefix(source, head, prefix, known));
  const uint64_t p = prefix.pruned_size();
  std::vector<EventTime> event_times;
  if (options.full) {
    EventTimeSampler sampler(p, std::max(head.tree_size(), p + 1));
    RETURN_IF_ERROR(VerifyAllEvents(
        source, head, pruned.left_edge,
        [&](uint64_t index, absl::string_view bytes) {
          sampler.Offer(index, bytes);
          if (options.on_event) options.on_event(index, bytes);
        }));
    event_times = std::move(sampler.samples());
    result.retained_verified = head.tree_size() - p;
  } else if (known.has_value()) {
    // Without downloading events nothing new is learnt of their times; the old samples of
    // retained events still hold.
    for (const EventTime& sample : known->event_times()) {
      if (sample.index() >= p) event_times.push_back(sample);
    }
  }

  if (!known.has_value() && !logs.empty()) {
    // Not a truncation: another log, which the signed log id tells apart. Said, so that an
    // auditor who meant to check the log verified before knows this is not it.
    std::vector<std::string> others;
    for (const LogState& other : logs) others.push_back(DescribeLog(other));
    // First: the key trusted on first use, if any, is this other log's.
    result.notes.insert(
        result.notes.begin(),
        {AuditNote::Kind::kOther,
         absl::StrCat("this is audit log ", head.log_id(), options.server.empty() ? "" : " at ",
                      options.server, ", which this state file has not verified before; it knew ",
                      absl::StrJoin(others, "; "), ". Log ", head.log_id(),
                      " gets a state of its own"),
         ""});
    for (const LogState& other : logs) {
      // Another log, under another key nobody gave, at the address of a log verified before:
      // trusting the new key on first use would accept a replaced log and its forger's key.
      if (!options.public_key_pem.has_value() && !options.server.empty() &&
          other.server() == options.server && other.audit_key().key_id() != head.key_id()) {
        result.warnings.push_back(absl::StrCat(
            options.server, " served ", DescribeLog(other), " under the audit key ",
            other.audit_key().key_id(), "; it now serves another log, ", head.log_id(),
            ", under another key, ", head.key_id(),
            ", which nobody gave: if that server should still hold the earlier log, it was "
            "replaced (a new installation's key is given with --public-key)"));
      }
      if (other.audit_key().key_id() != head.key_id()) continue;
      // The same key signs two logs: the registry that kept the earlier one started another (a
      // new installation or a lost data folder with the keys kept), or its log was replaced.
      result.warnings.push_back(
          absl::StrCat("the audit key ", head.key_id(), " that signed ", DescribeLog(other),
                       " now signs another log, ", head.log_id(),
                       ": if that server should still hold the earlier log, it was replaced"));
    }
  }

  const bool accepted = options.accept_new_log == head.log_id();
  if (!result.warnings.empty() && accepted) {
    // Seen and accepted: said once more, as what was accepted, and pinned.
    for (const std::string& warning : result.warnings) {
      result.notes.push_back({AuditNote::Kind::kOther,
                              absl::StrCat("accepted as a new log with --accept-new-log ",
                                           head.log_id(), ": ", warning,
                                           "; the earlier log's state is kept in the file"),
                              ""});
    }
    result.warnings.clear();
  } else if (!result.warnings.empty()) {
    result.awaiting_acceptance = true;
    // With the --state given: without it, the command as written checked the default file and
    // left this one warning.
    const std::string state =
        options.state_path_given.empty()
            ? ""
            : absl::StrCat("--state ", ShellWord(options.state_path_given), " ");
    for (std::string& warning : result.warnings) {
      absl::StrAppend(&warning, ". This state file keeps the earlier log and does not pin log ",
                      head.log_id(), ", so this is said at every verification until the log is "
                      "accepted: if it is a new installation's log, run registry-cli audit "
                      "verify ", state, "--accept-new-log ", head.log_id());
    }
  } else if (accepted && known.has_value()) {
    result.notes.push_back(
        {AuditNote::Kind::kOther,
         absl::StrCat("--accept-new-log: log ", head.log_id(),
                      " is already pinned in this state file; nothing to accept"),
         ""});
  }

  result.log.set_log_id(head.log_id());
  result.log.set_server(options.server);
  *result.log.mutable_verified_head() = head;
  *result.log.mutable_audit_key() = std::move(key);
  result.log.set_verified_at(FormatInstant(now));
  result.log.set_pruned_size(p);
  result.log.set_newest_pruned_time(prefix.newest_pruned_time());
  for (EventTime& sample : event_times) *result.log.add_event_times() = std::move(sample);
  result.retention_days = pruned.retention_days;
  if (result.awaiting_acceptance) {
    // Nothing of this log is kept until it is accepted (see awaiting_acceptance).
    if (previous.has_value()) result.state = *previous;
    return result;
  }
  // The file: the other logs as they were, this log's state last (the one verified last).
  for (auto it = logs.begin(); it != logs.end(); ++it) {
    if (it != mine) *result.state.add_logs() = *it;
  }
  *result.state.add_logs() = result.log;
  return result;
}

absl::StatusOr<std::string> DefaultAuditStatePath() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    return absl::FailedPreconditionError("HOME is not set: give --state FILE");
  }
  return absl::StrCat(home, "/.registry-cli/audit-state.json");
}

absl::StatusOr<std::optional<AuditState>> LoadAuditState(absl::string_view path) {
  absl::StatusOr<std::string> text = ReadFileToString(path, "audit state");
  if (absl::IsNotFound(text.status())) return std::nullopt;
  if (!text.ok()) return text.status();
  AuditState state;
  RETURN_IF_ERROR(ParseJson(*text, absl::StrCat("audit state ", path), &state));
  return state;
}

namespace {

// An exclusive flock on `path`.lock, held while alive. Beside the state file, not on it: the file
// is replaced by a rename, and a lock on the replaced file would not exclude a writer that opened
// the new one. Blocks until the lock is free: a holder only re-reads, checks and writes.
class StateFileLock {
 public:
  static absl::StatusOr<StateFileLock> Take(absl::string_view path) {
    const size_t slash = path.rfind('/');
    if (slash != absl::string_view::npos && slash > 0) {
      RETURN_IF_ERROR(MakeDirectories(path.substr(0, slash), 0700));
    }
    const std::string lock_path = absl::StrCat(path, ".lock");
    const int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
      const int error = errno;
      return WithErrno(absl::UnavailableError(absl::StrCat(
                           "cannot open the audit state's lock file ", lock_path, ": ",
                           std::strerror(error))),
                       error);
    }
    while (flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      close(fd);
      return WithErrno(absl::UnavailableError(absl::StrCat(
                           "cannot lock the audit state's lock file ", lock_path, ": ",
                           std::strerror(error))),
                       error);
    }
    return StateFileLock(fd);
  }
  StateFileLock(StateFileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  StateFileLock& operator=(StateFileLock&&) = delete;
  ~StateFileLock() {
    if (fd_ >= 0) close(fd_);  // closing the only descriptor releases the flock
  }

 private:
  explicit StateFileLock(int fd) : fd_(fd) {}
  int fd_;
};

// Writes the state; the caller holds the lock.
absl::Status WriteAuditState(absl::string_view path, const AuditState& state) {
  ASSIGN_OR_RETURN(const std::string json, ToJsonLine(state));
  return WriteFileAtomically(path, absl::StrCat(json, "\n"), 0600);
}

bool SameHead(const v1::SignedTreeHead& a, const v1::SignedTreeHead& b) {
  return a.SerializeAsString() == b.SerializeAsString();
}

// Whether `a` is a later head than `b`: a larger tree, or the same tree signed later.
bool LaterHead(const v1::SignedTreeHead& a, const v1::SignedTreeHead& b) {
  if (a.tree_size() != b.tree_size()) return a.tree_size() > b.tree_size();
  return a.timestamp_micros() > b.timestamp_micros();
}

// This log's state from two verifications whose heads were found consistent: the later head
// with its key, the larger pruned prefix (it never moves back), and the event times of both
// that are still retained (at most kEventTimeSamples, spread evenly, the last one kept).
LogState MergeLogStates(const LogState& ours, const LogState& theirs) {
  const bool theirs_later = LaterHead(theirs.verified_head(), ours.verified_head());
  LogState merged = theirs_later ? theirs : ours;
  const LogState& other = theirs_later ? ours : theirs;
  if (other.pruned_size() > merged.pruned_size()) {
    merged.set_pruned_size(other.pruned_size());
    merged.set_newest_pruned_time(other.newest_pruned_time());
  }
  std::vector<EventTime> times;
  for (const LogState* log : {&ours, &theirs}) {
    for (const EventTime& sample : log->event_times()) {
      if (sample.index() >= merged.pruned_size()) times.push_back(sample);
    }
  }
  std::sort(times.begin(), times.end(), [](const EventTime& a, const EventTime& b) {
    return a.index() < b.index();
  });
  times.erase(std::unique(times.begin(), times.end(),
                          [](const EventTime& a, const EventTime& b) {
                            return a.index() == b.index();
                          }),
              times.end());
  merged.clear_event_times();
  const size_t step = times.size() / kEventTimeSamples + 1;
  for (size_t i = 0; i < times.size(); ++i) {
    if (i % step == 0 || i + 1 == times.size()) *merged.add_event_times() = times[i];
  }
  return merged;
}

}  // namespace

absl::Status SaveAuditState(absl::string_view path, const AuditState& state) {
  ASSIGN_OR_RETURN(const StateFileLock lock, StateFileLock::Take(path));
  return WriteAuditState(path, state);
}

absl::Status SaveVerifiedState(absl::string_view path, AuditVerification& result,
                               AuditLogSource& source) {
  // A log awaiting acceptance is not pinned: the file keeps the earlier log as it is.
  if (result.awaiting_acceptance) return absl::OkStatus();
  ASSIGN_OR_RETURN(const StateFileLock lock, StateFileLock::Take(path));
  ASSIGN_OR_RETURN(const std::optional<AuditState> now_saved, LoadAuditState(path));
  const v1::SignedTreeHead& head = result.log.verified_head();
  std::vector<LogState> logs =
      now_saved.has_value() ? LogsOf(*now_saved) : std::vector<LogState>();
  // This log's saved state, found as VerifyAuditLog found it.
  auto mine = std::find_if(logs.begin(), logs.end(),
                           [&](const LogState& l) { return l.log_id() == head.log_id(); });
  if (mine == logs.end()) {
    mine = std::find_if(logs.begin(), logs.end(), [&](const LogState& l) {
      return l.log_id().empty() && l.audit_key().key_id() == head.key_id();
    });
  }
  LogState log = result.log;
  const bool saved_meanwhile =
      mine != logs.end() && mine->has_verified_head() &&
      !(result.compared_with.has_value() &&
        SameHead(*result.compared_with, mine->verified_head()));
  if (saved_meanwhile) {
    // Another verification saved a head of this log while this one ran. Both heads were
    // verified, each against what it saw before, but not against each other: two views of one
    // log that forked at a size between them would both pass. So they must be consistent, and
    // the later stays: saving the earlier would move the saved head back, and a rollback to
    // between the two would then pass.
    const v1::SignedTreeHead& saved = mine->verified_head();
    const bool saved_later = LaterHead(saved, head);
    const v1::SignedTreeHead& older = saved_later ? head : saved;
    const v1::SignedTreeHead& newer = saved_later ? saved : head;
    const absl::Status consistent = VerifyExtendsPrevious(source, older, newer);
    const absl::Status in_order = consistent.ok() ? VerifyNotEarlier(older, newer) : consistent;
    if (!in_order.ok()) {
      return absl::DataLossError(absl::StrCat(
          in_order.message(), " (the head of size ", saved.tree_size(), " was verified and "
          "saved by another verification with the same state file while this one ran; the "
          "state file keeps it)"));
    }
    log = MergeLogStates(result.log, *mine);
    if (saved_later) {
      result.notes.push_back(
          {AuditNote::Kind::kOther,
           absl::StrCat("another verification with the same state file saved a later head of "
                        "this log (size ", saved.tree_size(), ", verified ", mine->verified_at(),
                        ") while this one ran; this head (size ", head.tree_size(),
                        ") is consistent with it, and the state file keeps the later one"),
           ""});
    }
  }
  // The file as it is now, with this log's state last (the one verified last); logs this run
  // loaded that the file no longer holds are kept (no verified head is ever dropped).
  AuditState merged;
  for (auto it = logs.begin(); it != logs.end(); ++it) {
    if (it != mine) *merged.add_logs() = *it;
  }
  for (const LogState& loaded : result.state.logs()) {
    if (loaded.log_id().empty() || loaded.log_id() == head.log_id()) continue;
    const bool kept = std::any_of(logs.begin(), logs.end(), [&](const LogState& l) {
      return l.log_id() == loaded.log_id();
    });
    if (!kept) *merged.add_logs() = loaded;
  }
  *merged.add_logs() = log;
  RETURN_IF_ERROR(WriteAuditState(path, merged));
  result.state = std::move(merged);
  return absl::OkStatus();
}

}  // namespace registry::client

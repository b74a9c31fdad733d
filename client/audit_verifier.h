// The auditor's check of the tamper-evident audit log (RFC 6962 Merkle tree with signed heads,
// docs/security.md property 7), done with the client's own code:
//
//  0. fetch the latest signed tree head and find its log in the state file by the log id the
//     head states (signed): the state of that log, if any, is the one the checks below use. A log
//     the file does not know starts a state of its own (with a note saying which log it is and
//     which the file knew; a warning when the same key signed one of those, since then the
//     registry that signed it now signs another log: a new installation, or a replaced log; a
//     log warned of is saved only once a person accepts it by its id, --accept-new-log, so that
//     the warning comes back at every run until then);
//  1. verify the head's Ed25519 signature with the trusted audit key: the one given
//     (--public-key), else the one pinned for that log, else the server's own key, pinned on
//     first use (with a note to print);
//  2. refuse a head dated more than options.max_clock_skew after `now`;
//  3. if the state holds a previously verified head of this log, of size m, the new head of size
//     n must extend it: n < m is a truncation, the same size with another root a fork, and for
//     n > m a consistency proof m -> n must verify; and it must not be dated before that head;
//  4. the pruned prefix (audit retention deleted the bytes of events [0, P), their tree hashes
//     stay; AuditService.GetPrunedPrefix, asked after the head, which is asked once more when the
//     prefix was moved after it was signed): P never moves back from the P this log's state saw;
//     the left edge of the tree at P must be consistent with the signed head (its root at P,
//     consistency proof P -> n); the retained event the log names as the record of that pruning
//     must be in the signed tree (inclusion proof) and say exactly P and the newest pruned
//     event's time, which it dates before its own cutoff (its time minus the retention it
//     states); and no event whose time the state recorded (a sample from the last full
//     verification) may be claimed pruned with a newest pruned time earlier than its own;
//  5. with `full`, stream every retained event, check that entry i carries index i, hash the
//     event bytes onto the left edge and compare the root with the signed root. On a mismatch,
//     find the first event that does not match: the client's root of its first k events must be
//     consistent with the signed head (consistency proof k -> n), and the smallest k for which it
//     is not means event k-1 is the first bad one.
//
// Only when everything verifies is a new state returned, for the caller to save: the file's
// other logs as they were, and this log's new head. It is saved with SaveVerifiedState, which
// merges it with what the file holds by then (below), so that two verifications sharing a state
// file (registry-cli and the console's "Verify the log") never move a saved head back.
//
// What the pruned-prefix checks can and cannot catch. A pruned event's bytes are gone, so nobody
// can check what it said; its hash stays in the tree, so the signed heads and every proof still
// commit to it. A tampered left-edge hash changes the root and fails (4), a tampered retained
// event fails (5), a prefix that shrinks fails (4). A log that deletes recent events and calls
// it retention must say so in an event inside its own signed tree (4), with dates the auditor
// sees (audit verify prints them); and it is caught outright when this client had verified one
// of those events and recorded its time. What stays out of reach: a log holding the signing key
// can append a pruning event with any dates and retention it likes; when no event this client
// recorded falls in the deleted range (a first verification, or events written and deleted
// between two verifications), only those printed dates can give it away.
//
// Everything the log sends is hostile until verified, sizes included: a head may claim any
// tree_size up to 2^64 - 1, a proof may hold any number of elements of any length, a stream may
// send more, fewer or other events than asked. Memory stays bounded whatever they say: the tree
// is kept as a frontier (O(log n) hashes), the search for the first bad event keeps a bounded
// number of frontiers and streams again instead of keeping leaves, proofs longer than any valid
// proof are refused before they are copied, and no loop or recursion runs to a count the server
// chose except the stream itself, which ends at the signed tree size. Time is what a log of that
// size costs: about n hashes, and about n / kSearchCheckpoints more for each further pass of the
// search for a first bad event.
//
//   GrpcAuditLogSource source(channel, settings);
//   ASSIGN_OR_RETURN(std::optional<AuditState> previous, LoadAuditState(path));
//   ASSIGN_OR_RETURN(AuditVerification result,
//                    VerifyAuditLog(source, previous, options, absl::Now()));
//   RETURN_IF_ERROR(SaveVerifiedState(path, result, source));
//
// Failures: DataLoss for every sign of tampering (bad signature, a timestamp earlier than the
// verified head's, truncation, fork, a missing, reordered or edited event — the message names the
// event index — a pruned prefix that moved back, does not match the tree or is not recorded as
// above, and a malformed proof or stream); FailedPrecondition when the head is signed by
// another key than the trusted one, or is dated further in the future than the allowed clock
// skew (either clock may be wrong: that is not proof of tampering, but such a head is never
// pinned), or states no log id (a server older than this client); InvalidArgument when
// options.accept_new_log names another log than the head's (nothing accepted); errors of the
// source pass through. A state file written before logs had ids holds a log without an id: a
// head signed by its key is taken for that log (so its truncation is still caught), any other
// for another log.
#ifndef REGISTRY_CLIENT_AUDIT_VERIFIER_H_
#define REGISTRY_CLIENT_AUDIT_VERIFIER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/audit_state.pb.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/vetting.pb.h"

namespace registry::client {

// The audit log as the verifier sees it: the AuditService calls it needs. Implemented over gRPC by
// GrpcAuditLogSource and in tests by an in-memory fake.
class AuditLogSource {
 public:
  virtual ~AuditLogSource() = default;

  virtual absl::StatusOr<v1::SignedTreeHead> GetSignedTreeHead() = 0;
  virtual absl::StatusOr<v1::ConsistencyProof> GetConsistencyProof(uint64_t first_size,
                                                                   uint64_t second_size) = 0;
  virtual absl::StatusOr<v1::InclusionProof> GetInclusionProof(uint64_t leaf_index,
                                                               uint64_t tree_size) = 0;
  // Calls on_entry for the entries [start, end) in the order the log sends them; stops early
  // and returns on_entry's error when it returns one. `end` is > start.
  virtual absl::Status StreamEvents(
      uint64_t start, uint64_t end,
      const std::function<absl::Status(const v1::AuditEntry&)>& on_entry) = 0;
  virtual absl::StatusOr<v1::PublicKey> GetAuditPublicKey() = 0;
  // What audit retention deleted. A log that cannot tell (Unimplemented, the default) is taken
  // for one that never pruned: then a deleted event is missing from the stream and fails the
  // check, so no deletion passes for lack of an answer.
  virtual absl::StatusOr<v1::PrunedPrefix> GetPrunedPrefix() {
    return absl::UnimplementedError("the log does not say whether it pruned");
  }
};

// How far in this computer's future a signed tree head may be dated. registryd dates a head
// when it signs it, at the auditor's request, so an honest head is at most the clocks' difference
// plus a round trip ahead. Five minutes covers a machine whose clock is not synchronised closely
// (the same tolerance Kerberos uses by default), yet keeps a head from being pinned with a date
// far ahead: every later honest head would then look like it went back in time and be refused,
// and a head signed in advance could be passed off as fresh.
inline constexpr absl::Duration kDefaultMaxClockSkew = absl::Minutes(5);

// How many frontiers the search for the first bad event keeps per pass (each at most 64 hashes,
// 2 KiB): more means fewer passes over the log (each pass narrows the range by this factor
// plus one, and re-streams 1/(this + 1) of the previous range), at a fixed cost in memory.
inline constexpr uint64_t kSearchCheckpoints = 64;

// The most hashes a consistency proof can hold between trees of at most 2^64 - 1 leaves: one per
// level of the larger tree (64) and the first tree's own subtree root. A longer proof is refused
// without being copied or walked. Inclusion proofs and left edges hold at most 64.
inline constexpr int kMaxProofHashes = 65;

// How many event times a full verification records in the state (AuditState.event_times),
// spread evenly over the retained events, the last one included.
inline constexpr uint64_t kEventTimeSamples = 64;

// The actor of the events that record audit retention (registryd's retention job).
inline constexpr char kAuditRetentionActor[] = "system:audit-retention";

struct AuditVerifyOptions {
  // The audit public key as PEM (--public-key). nullopt: the pinned key, else trust on first use.
  std::optional<std::string> public_key_pem;
  // The server's address (HOST:PORT), recorded with the log's state and named in notes.
  std::string server;
  // Download and check every event (--full).
  bool full = false;
  // A head dated more than this after `now` is refused (--clock-skew).
  absl::Duration max_clock_skew = kDefaultMaxClockSkew;
  // The id of a log the person accepts as a new log (--accept-new-log): a log whose state
  // warnings would otherwise withhold (AuditVerification::awaiting_acceptance) is pinned, and
  // its warnings become notes. Empty: none. Another log than the server's is refused.
  std::string accept_new_log;
  // --state as given, empty for the default file: the command the warnings say to run to accept
  // a new log names it, since that command without it would check (and pin in) another file.
  std::string state_path_given;
  // With `full`: given each retained event's index and bytes as they are hashed, once each, in
  // the order of the log (`audit list --verified` keeps the ones its filter selects). Nothing it
  // was given is verified until VerifyAuditLog returns OK: on an error, drop it all.
  std::function<void(uint64_t index, absl::string_view bytes)> on_event;
};

// A thing the user should know although nothing failed, in English as registry-cli prints it.
// Its kind tells a client that says it in words of its own (the console, in the page's
// language) which note it is, without matching the English text.
struct AuditNote {
  enum class Kind {
    kOther,
    // No key was given or pinned: the server's own key (`key_id`) was trusted on first use, to
    // be compared with the key the KJC publishes.
    kKeyTrustedOnFirstUse,
  };
  Kind kind = Kind::kOther;
  std::string text;
  // kKeyTrustedOnFirstUse: the id of the key trusted.
  std::string key_id;
};

struct AuditVerification {
  // The state file to save: every log it knew, with this log's entry (`log`) holding the head
  // just verified, the trusted key, the pruned prefix accepted and, after a full run, event times.
  AuditState state;
  // This log's entry of `state`.
  LogState log;
  // Things the user should know although nothing failed (e.g. a key trusted on first use,
  // another log than the one verified before).
  std::vector<AuditNote> notes;
  // The retention the log's latest pruning event states (0 when nothing was pruned).
  uint32_t retention_days = 0;
  // With `full`: how many retained events were downloaded and hashed (tree size - pruned size).
  uint64_t retained_verified = 0;
  // The state held no verified head of this log: nothing earlier was compared, so a log cut or
  // rewritten before now could not be seen. Later runs with the same state are compared with
  // this one.
  bool first_of_log = false;
  // The verified head of this log that the state held, which the new head was found to extend
  // (nullopt with first_of_log). SaveVerifiedState tells by it whether another verification
  // saved this log while this one ran.
  std::optional<v1::SignedTreeHead> compared_with;
  // Things that need a person's attention although this log verified: the key of a log verified
  // before now signs this other log. The command prints them as WARNING lines and exits 1.
  std::vector<std::string> warnings;
  // There are warnings and the log is not accepted (AuditVerifyOptions::accept_new_log): `state`
  // is the state as it was loaded, without this log, and SaveVerifiedState writes nothing. So
  // the earlier log stays pinned and the warnings come back at every verification (a daily job,
  // a retry, the console's) until a person accepts the new log by its id: saving it would have
  // made the next run find a known log and say nothing.
  bool awaiting_acceptance = false;
};

// The log ids have the shape of record ids: 32 lowercase hex characters.
bool LogIdShaped(absl::string_view log_id);

// Runs the checks described above. `previous` is the saved state, if any; `now` is this
// computer's clock when the verification starts: heads are checked against it (the allowed skew
// also covers the round trip to the server) and it is stamped into the new state.
absl::StatusOr<AuditVerification> VerifyAuditLog(AuditLogSource& source,
                                                 const std::optional<AuditState>& previous,
                                                 const AuditVerifyOptions& options,
                                                 absl::Time now);

// The logs of a state file, the one-log form of earlier files included (as a log without id).
std::vector<LogState> LogsOf(const AuditState& state);

// $HOME/.registry-cli/audit-state.json. FailedPrecondition when HOME is not set.
absl::StatusOr<std::string> DefaultAuditStatePath();

// Reads a state file: nullopt when it does not exist; InvalidArgument when it is not an
// AuditState in JSON; the read error otherwise.
absl::StatusOr<std::optional<AuditState>> LoadAuditState(absl::string_view path);

// Writes the state as JSON with mode 0600, creating its folder with mode 0700 when missing,
// under the exclusive lock SaveVerifiedState takes. It replaces the file whole: a verification's
// result is saved with SaveVerifiedState.
absl::Status SaveAuditState(absl::string_view path, const AuditState& state);

// Saves a verification's result as SaveAuditState writes, merged with the file as it is now.
// Under an exclusive flock on `path`.lock (the file itself is replaced by a rename) it reads the
// file again: its other logs are kept as they are now (another verification may have saved them
// since `result` was computed), as are those it no longer holds; and when another verification
// saved a head of this log that is not the one `result` was compared with, the two heads must be
// consistent (a consistency proof from `source` between them, and the later one not dated before
// the earlier; else DataLoss, and nothing is written) and the later is kept, with a note in
// result.notes when it is the saved one. A saved head never moves back. On success result.state
// is what was written. With result.awaiting_acceptance nothing is written (the file keeps what
// it holds) and result.state is left as it is.
absl::Status SaveVerifiedState(absl::string_view path, AuditVerification& result,
                               AuditLogSource& source);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_AUDIT_VERIFIER_H_

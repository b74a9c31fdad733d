// CheckStore: the vetting calls kept for the people they named (the `checks` family), so that a
// data subject, through a clerk, sees every organisation that asked about them.
//
// Layout:
//   checks key = 'H' || person key (32 bytes) || slot (16 bytes), where person key =
//                HMAC-SHA256(a key derived from the store's key for kHistoryPersonKeyPurpose,
//                personal-number token) and slot = the first 16 bytes of HMAC-SHA256(a key
//                derived from the store's key for "mac/vetting-check-slot/v2", person key ||
//                check id). Callers pass the personal-number token; the person key is derived
//                here. No key of the family equals, contains or can be computed from a token of
//                the `index` family (storage/record_store.h 'p' rows) without the key file, so the
//                files do not join a record to how often its person was vetting-checked; and the
//                two copies of a REFER (the asked number's and the deciding record's person's)
//                have unrelated slots, so the files do not say which two histories it links.
//          value = AES-256-GCM (crypto/aes_gcm.h AesGcm, key derived from the key file's root for
//                  kCheckStoreKeyPurpose) over a StoredCheck (stored.proto), which holds the
//                  check's time, with the key as associated data, so a value moved under another
//                  key fails. The StoredCheck is padded with zero bytes to a multiple of
//                  kSealedCheckBucket (512) bytes, so that the value's size says neither the
//                  result (a NOT_CLEAR or REFER names its deciding records, a CLEAR none) nor how
//                  many records decided it: every check of up to about eight deciding records,
//                  with the organisation ids and certificate names in use, is one size.
//          Whoever holds the files sees how many checks each (unnamed) person key has, not whose
//          it is, when they were made, nor which check a row is. Listing a person's checks
//          therefore reads all of them and orders them by the sealed time: there is no time to
//          seek to, so each page of a history reads the whole history, and keeps only the page's
//          checks in memory (List).
//          Earlier registries wrote token || slot (48 bytes, slot over the check id alone), and
//          before that token || u64be checked-at micros || check id (72 bytes): RekeyLegacyRows
//          moves both to the layout above at start-up (registryd, each batch audited), then
//          writes the sealed meta row "layouts/vetting-checks" so that later starts skip the scan.
//          The three layouts differ in length, so a move stopped part way is resumed by the next
//          start and no check is read twice or lost; the data check reads all three.
//   meta key = "limits/person-checks/" || pair token (32 bytes) || row tag (16 bytes), where
//              pair token = HMAC-SHA256(a key derived from the store's key for
//              kLimitPairKeyPurpose, organisation id || 0x00 || personal-number token) and row
//              tag = the first 16 bytes of HMAC-SHA256(a key derived from the store's key for
//              "mac/vetting-limit-check/v1", pair token || check id): the check id is the
//              certificate's, which the employer and the candidate hold, and the files do not
//              name it, nor link a check's limit rows to one another or to its REFER row.
//          value = AES-256-GCM (the store's key) over u64be checked-at micros || check id, with
//                  the key as associated data: one row for each check that took from the
//                  organisation's daily limit on checks of that person (server/rate_limiter.h),
//                  so that a restarted registryd still counts them. The key holds no time: the
//                  rows of one organisation and person are few (its daily limit's worth, kept two
//                  days), and counting opens them all and reads the sealed times. The files show,
//                  for each unnamed pair, how many such rows there are (the checks of the last
//                  two days), never when; they never name the organisation, nor link one
//                  organisation's rows across people.
//   meta key = "limits/org-refers/" || HMAC-SHA256(a key derived from the store's key for
//              "mac/vetting-refer-row/v1", check id) (32 bytes)
//          value = AES-256-GCM (the store's key) over u64be checked-at micros || org token (32
//                  bytes: HMAC-SHA256(the pair token's key, organisation id || 0x00)) || check id:
//                  one row for each check answered REFER, so that the alert on an organisation's
//                  many REFERs (server/rate_limiter.h CountRefer) counts the day's answers across
//                  a restart. The key names neither the organisation nor the time: counting one
//                  organisation's opens every REFER row of the last two days (one per REFER
//                  answered by the registry), and the files show only how many REFERs the
//                  registry gave in that time, not to whom or when.
//          Limit and REFER rows of the earlier layouts (prefix || pair or org token || u64be
//          micros || check tag or id, the time in the clear) are still read and counted; no new
//          one is written, and they are pruned within two days (kCountedRowsKept).
//   meta key = "consents/vetting/" || consent token (32 bytes), where consent token =
//              HMAC-SHA256(a key derived from the store's key for kConsentKeyPurpose,
//              organisation id || 0x00 || consent reference)
//          value = AES-256-GCM (the store's key) over the personal-number token of the candidate
//                  the organisation first gave that consent reference for, with the key as
//                  associated data: a consent is one candidate's, so the organisation's later
//                  check of another candidate under the same reference is refused
//                  (server/call_gate.cc). Written in the batch of the check the consent was first
//                  answered for. Neither the organisation nor the reference is in the files.
//                  Kept as long as the person's history is (for ever: a check entry is never
//                  deleted), so that a consent cannot be given again for another candidate later.
//   Both kinds of limit row are counted over the last 24 hours only, and deleted once their
//   sealed time is older than kCountedRowsKept (PruneCountedRows, from registryd's hourly
//   retention run, which opens every limit and REFER row), so the files keep a row for two days
//   (and an hour), not for ever: a row's presence says a check was made within that time. A row
//   that does not open is left for the data check to name.
//
// Erasure: a check whose result was decided by a record that is later expunged keeps who asked
// and when, but its result is withheld (StageWithhold), in the expunge's own batch.
//
//   ASSIGN_OR_RETURN(auto checks, CheckStore::Create(db, checks_key));
//   RETURN_IF_ERROR(checks->Stage(token, now, stored_check, &pending));
//   ASSIGN_OR_RETURN(CheckStore::HistoryPage page,
//                    checks->List(token, std::nullopt, 100, is_stored));
//   ... then checks->List(token, page.next, 100, is_stored) while page.next is set.
#ifndef REGISTRY_STORAGE_CHECK_STORE_H_
#define REGISTRY_STORAGE_CHECK_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "crypto/aes_gcm.h"
#include "crypto/hmac.h"
#include "registry/v1/vetting.pb.h"
#include "storage/database.h"
#include "storage/record_store.h"
#include "storage/stored.pb.h"

namespace registry::storage {

// What the store's key is derived for from the key file's root (crypto::DeriveKey).
inline constexpr char kCheckStoreKeyPurpose[] = "encryption/vetting-checks/aes-256-gcm/v1";
// What the limit rows' pair-token key is derived for from the store's key.
inline constexpr char kLimitPairKeyPurpose[] = "mac/vetting-limit-pair/v1";
// What the consent rows' token key is derived for from the store's key.
inline constexpr char kConsentKeyPurpose[] = "mac/vetting-consent/v1";
// What the checks family's person keys are derived for from the store's key.
inline constexpr char kHistoryPersonKeyPurpose[] = "mac/vetting-history-person/v1";

// Thread-safe.
class CheckStore {
 public:
  // The length of a check's slot in its row's key.
  static constexpr size_t kSlotSize = 16;
  // The length of a person key in a row's key.
  static constexpr size_t kPersonKeySize = 32;
  // How long the limit and REFER rows are kept: twice the 24 hours they are counted over.
  static constexpr absl::Duration kCountedRowsKept = absl::Hours(48);
  // A sealed check's StoredCheck is padded to a multiple of this many bytes (StoredCheck.padding).
  static constexpr size_t kSealedCheckBucket = 512;

  // `db` is not owned and must outlive the store; `key` is 32 bytes.
  static absl::StatusOr<std::unique_ptr<CheckStore>> Create(Database* db,
                                                            const crypto::SecretBytes& key);

  // Stages `check` about the person whose personal-number token (32 raw bytes) is `token`, made
  // at `at`, into `w`. check.summary().check_id() must be 32 lowercase hex characters.
  // Of check.deciding_record_ids only the person's own records are kept (OwnDecidingRecords):
  // a record whose head names another person (a namesake's, under another number, that referred
  // the check) is that person's, and its erasure must not change this person's entry.
  absl::Status Stage(absl::string_view token, absl::Time at, const StoredCheck& check,
                     PendingWrite* w) const;

  // The person key of the person whose personal-number token is `token` (kPersonKeySize raw
  // bytes): the start of their rows' keys, after the layout's mark.
  absl::StatusOr<std::string> PersonKey(absl::string_view token) const;
  // The slot of check `check_id` in its row's key in the history of the person whose token is
  // `token` (kSlotSize raw bytes): each history's copy of a check has a slot of its own.
  absl::StatusOr<std::string> Slot(absl::string_view token, absl::string_view check_id) const;
  // The slot of check `check_id` in a row of the earlier layout (token || slot over the check id).
  absl::StatusOr<std::string> EarlierSlot(absl::string_view check_id) const;
  // The key of check `check_id`'s row in the history of the person whose token is `token`.
  absl::StatusOr<std::string> RowKey(absl::string_view token, absl::string_view check_id) const;

  // A place in a person's history, which is ordered newest first: by the sealed time, and
  // checks of one microsecond by check id, highest first. Every check has a place of its own.
  struct HistoryPosition {
    int64_t checked_at_micros = 0;
    std::string check_id;
  };
  // One page of a person's history.
  struct HistoryPage {
    // Newest first.
    std::vector<registry::v1::CheckSummary> checks;
    // The place of the page's last check when more checks follow it; nullopt at the end.
    std::optional<HistoryPosition> next;
  };

  // The person's checks that come after `after` (from the newest when nullopt), newest first, at
  // most `page_size` (at least 1), and whether more follow. Pages follow from one another by
  // place, not by count, so a check made between two pages (it is newer than both) neither
  // repeats a check nor pushes one out of the later page. Reads every check of the person (the
  // keys are not in time order) and holds at most `page_size` of them. DataLoss when one fails
  // authentication.
  // A result decided by a record that is no longer stored (`is_stored`, e.g.
  // RecordStore::IsStored) is withheld here too, whatever the stored check says: a check row
  // saved before an erasure and written back afterwards authenticates (it is the registry's
  // own), and must not bring the result back.
  using IsStoredFn = std::function<absl::StatusOr<bool>(absl::string_view record_id)>;
  absl::StatusOr<HistoryPage> List(absl::string_view token,
                                   const std::optional<HistoryPosition>& after, size_t page_size,
                                   const IsStoredFn& is_stored) const;

  // Stages into `w` the row that says `organisation`'s check `check_id` of the person whose
  // token is `token`, made at `at`, took from its daily limit on checks of that person.
  absl::Status StageLimitTake(absl::string_view organisation, absl::string_view token,
                              absl::Time at, absl::string_view check_id, PendingWrite* w) const;

  // How many of `organisation`'s checks of the person whose token is `token`, made at `since`
  // or later, took from its daily limit (rows of StageLimitTake). Reads those rows only: the
  // work depends on the organisation's own checks, not on anyone else's. DataLoss when a row
  // fails authentication.
  absl::StatusOr<uint32_t> CountLimitTakes(absl::string_view organisation,
                                           absl::string_view token, absl::Time since) const;

  // The personal-number token (32 raw bytes) of the candidate `organisation` first gave
  // `consent_reference` for (rows of StageConsent), or nullopt when it gave it for none. One
  // point read. DataLoss when the row fails authentication.
  absl::StatusOr<std::optional<std::string>> ConsentCandidate(
      absl::string_view organisation, absl::string_view consent_reference) const;

  // Stages into `w` the row that binds `organisation`'s `consent_reference` to the candidate
  // whose personal-number token is `token`.
  absl::Status StageConsent(absl::string_view organisation, absl::string_view consent_reference,
                            absl::string_view token, PendingWrite* w) const;

  // The limit rows (StageLimitTake) made at `since` or later: for each of `check_ids`, how many
  // rows carry it (one for the person, one for each bucket of the name; a row names its check
  // by a keyed tag, so only the checks asked about are counted). A row whose key has another
  // shape or that fails authentication is a problem in `report` (named by its check when it is
  // one of `check_ids`, else by its position) and is not counted. For the data check.
  absl::StatusOr<std::map<std::string, int>> LimitTakesSince(
      absl::Time since, const std::vector<std::string>& check_ids,
      DataCheckReport* report) const;

  // Whether `organisation`'s limit row of check `check_id` of the person (or name bucket) whose
  // token is `token`, made at `since` or later, is stored. One point read (and, for a row of the
  // earlier layout, a read of the organisation's few rows of that person). For the data check.
  absl::StatusOr<bool> HasLimitTake(absl::string_view organisation, absl::string_view token,
                                    absl::Time since, absl::string_view check_id) const;

  // Stages into `w` the row that says `organisation`'s check `check_id`, made at `at`, was
  // answered REFER (meta "limits/org-refers/" + a keyed hash of the check id, sealed over the
  // time, a keyed token of the organisation and the check id: the files name neither the
  // organisation, nor the check, nor the time).
  absl::Status StageRefer(absl::string_view organisation, absl::Time at,
                          absl::string_view check_id, PendingWrite* w) const;

  // When `organisation`'s checks other than `except_check_id` answered REFER from `since` to
  // `until`, both included (rows of StageRefer), oldest first. Opens every REFER row (the keys
  // name no organisation); DataLoss when one fails authentication.
  absl::StatusOr<std::vector<absl::Time>> RefersBetween(absl::string_view organisation,
                                                        absl::Time since, absl::Time until,
                                                        absl::string_view except_check_id) const;

  // Whether `organisation`'s REFER row of check `check_id`, made at `since` or later, is stored.
  // One point read (and, for a row of the earlier layout, a read of the organisation's). DataLoss
  // when the row fails authentication. For the data check.
  absl::StatusOr<bool> HasRefer(absl::string_view organisation, absl::Time since,
                                absl::string_view check_id) const;

  // Deletes the limit and REFER rows made before `before`, `batch_rows` at a time: each batch
  // goes to `commit` (CommitFn below), which must write it before it returns. Returns how many
  // went. One pass over every such row, each opened for its sealed time (rows of the earlier
  // layouts: the time in their key); a key of another shape, or a row that does not open, is
  // left alone.
  using CommitFn = BatchCommitFn;
  absl::StatusOr<size_t> PruneCountedRows(absl::Time before, size_t batch_rows,
                                          const CommitFn& commit) const;

  // Every stored check, for the data check (server/data_check.h), as `on_check` sees it.
  // report->vetting_checks counts the authentic rows. A row whose key has neither layout is a
  // problem in `report`, named by its position, and is not passed on; so is an authentic row
  // stored under another check's slot, which is passed on too. One that fails authentication is
  // passed on for the caller to name (it knows which check ids have which slots). Once the rows
  // were moved (RekeyLegacyRows), an authentic row of an earlier layout is a problem too: no
  // history lists it. Reads past the block cache, like the other whole-data scans.
  struct StoredRow {
    // The slot in the row's key (Slot; for a row of an earlier layout, EarlierSlot of its check
    // id).
    std::string slot;
    // The check id the row holds; empty when the row does not authenticate.
    std::string check_id;
    bool authentic = false;
    // The person key (PersonKey) of the row: whose history the row is in.
    std::string person;
    // Whether the row is of an earlier layout (keyed by the token itself).
    bool earlier_layout = false;
    // The result the row holds (UNSPECIFIED when withheld or when the row does not authenticate).
    registry::v1::VettingResult result = registry::v1::VETTING_RESULT_UNSPECIFIED;
  };
  using OnCheckFn = std::function<void(const StoredRow& row)>;
  absl::Status CheckAll(const OnCheckFn& on_check, DataCheckReport* report) const;

  // The personal-number token (raw) the head of record `record_id` names, for the data check to
  // find the histories a REFER was copied into; nullopt when the record has no head, or its head
  // does not parse or names no number. Not authenticated here: the data check holds every head
  // to its MAC (RecordStore::CheckAll) and names one that fails.
  absl::StatusOr<std::optional<std::string>> PersonTokenOfRecord(
      absl::string_view record_id) const;

  // Moves every row of the earlier layouts (token || slot, and token || u64be micros || check id)
  // to the current one, `batch_rows` rows at a time: each batch (old rows deleted, new rows put)
  // goes to `commit`, which must write it before it returns; then marks the move done (a sealed
  // meta row, written directly), so that later calls return 0 without a scan. Returns how many
  // rows moved. An old row that fails authentication (or holds another check than its key
  // names) is left where it is, for the data check to name (CheckAll reads every layout).
  absl::StatusOr<size_t> RekeyLegacyRows(size_t batch_rows, const CommitFn& commit) const;

  // Stages into `w` a rewrite of every check about `token` that `record_id` helped decide: the
  // result becomes UNSPECIFIED with result_withheld set, and the record id is dropped. Returns how
  // many checks were rewritten. DataLoss when a check fails authentication.
  absl::StatusOr<int> StageWithhold(absl::string_view token, absl::string_view record_id,
                                    PendingWrite* w) const;

 private:
  struct Macs {
    std::unique_ptr<crypto::HmacSha256Key> pair;
    std::unique_ptr<crypto::HmacSha256Key> slot;
    std::unique_ptr<crypto::HmacSha256Key> earlier_slot;
    std::unique_ptr<crypto::HmacSha256Key> person;
    std::unique_ptr<crypto::HmacSha256Key> consent;
    std::unique_ptr<crypto::HmacSha256Key> tag;
    std::unique_ptr<crypto::HmacSha256Key> refer;
  };
  CheckStore(Database* db, std::unique_ptr<crypto::AesGcm> aead, Macs macs)
      : db_(db), aead_(std::move(aead)), macs_(std::move(macs)) {}

  // The tag that named check `check_id` in the limit and REFER rows of the earlier layout.
  absl::StatusOr<std::string> EarlierCheckTag(absl::string_view check_id) const;
  // The slot of `check_id` in the history whose person key is `person`.
  absl::StatusOr<std::string> SlotOfPerson(absl::string_view person,
                                           absl::string_view check_id) const;
  // Drops from check->deciding_record_ids every record whose head names another personal number
  // than `token`'s (one point read each): what decided an entry in a person's history, so that
  // erasing it withholds the entry, is that person's own records only. An erasure rewrites only
  // the erased record's person's history (StageWithhold), and List withholds an entry whose
  // deciding record is gone: an entry that named a namesake's record would turn from its REFER
  // to "withheld" when that record went, telling a person with no record of their own that a
  // namesake's was erased, and when. A record whose head is missing or does not parse is kept
  // (its erasure withholds the entry, as before).
  absl::Status OwnDecidingRecords(absl::string_view token, StoredCheck* check) const;
  // The personal-number token the head of `record_id` names (PersonTokenOfRecord), read
  // through `cache`.
  absl::StatusOr<std::optional<std::string>> HeadToken(absl::string_view record_id,
                                                       BlockCache cache) const;
  // 'H' || PersonKey(token): where the person's rows start.
  absl::StatusOr<std::string> HistoryPrefix(absl::string_view token) const;
  // Whether RekeyLegacyRows finished (its sealed mark is stored).
  absl::StatusOr<bool> LayoutMoved() const;

  // The key of the row of `organisation`'s `consent_reference`.
  absl::StatusOr<std::string> ConsentKey(absl::string_view organisation,
                                         absl::string_view consent_reference) const;

  // Where the rows of `kind` (a meta key prefix) of `organisation`, and of the person with
  // `token` when it is not empty, start (for a REFER row: kind || the organisation's token).
  absl::StatusOr<std::string> RowPrefix(absl::string_view kind, absl::string_view organisation,
                                        absl::string_view token) const;
  // A limit row's key: `prefix` (RowPrefix) || row tag of `check_id`.
  absl::StatusOr<std::string> LimitRowKey(const std::string& prefix,
                                          absl::string_view check_id) const;
  // A REFER row's key.
  absl::StatusOr<std::string> ReferRowKey(absl::string_view check_id) const;
  // What a limit or REFER row of the current layout seals.
  struct CountedRow {
    absl::Time at;
    std::string organisation;  // the organisation's token; REFER rows only
    std::string check_id;
  };
  // The row under `key` opened, or nullopt when it fails authentication or has another shape.
  std::optional<CountedRow> OpenCountedRow(absl::string_view key, absl::string_view value,
                                           bool refer) const;
  // A row under `key` sealed over the time, `organisation_token` (empty for a limit row) and the
  // check id, into `w`.
  absl::Status StageCountedRow(const std::string& key, absl::Time at,
                               absl::string_view organisation_token, absl::string_view check_id,
                               PendingWrite* w) const;
  // Calls `fn` with the time and the check (id, or an earlier row's tag or id) of each limit row
  // under `prefix`. DataLoss when one fails authentication.
  absl::Status ScanLimitRows(const std::string& prefix,
                             const std::function<void(absl::Time, absl::string_view)>& fn) const;

  absl::StatusOr<StoredCheck> Open(absl::string_view key, absl::string_view value) const;

  Database* const db_;
  const std::unique_ptr<crypto::AesGcm> aead_;
  const Macs macs_;
};

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_CHECK_STORE_H_

#include "storage/check_store.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/blind_index.h"
#include "storage/ids.h"

namespace registry::storage {
namespace {

constexpr size_t kCheckIdSize = kIdSize;
constexpr size_t kTokenSize = crypto::kBlindIndexTokenSize;
// What the keys are derived for from the store's key: the slots of the current layout (over
// person key || check id), the slots of the layout before it (over the check id alone), and the
// person keys.
constexpr char kCheckSlotKeyPurpose[] = "mac/vetting-check-slot/v2";
constexpr char kEarlierCheckSlotKeyPurpose[] = "mac/vetting-check-slot/v1";
// The first byte of every key of the current layout: 'H' || person key || slot.
constexpr char kRowMark = 'H';
constexpr size_t kRowKeySize = 1 + CheckStore::kPersonKeySize + CheckStore::kSlotSize;
// The layout before it (token || slot) and the one before that (token || u64be micros || id).
constexpr size_t kEarlierRowKeySize = kTokenSize + CheckStore::kSlotSize;
constexpr size_t kLegacyRowKeySize = kTokenSize + 8 + kCheckIdSize;
// The meta row that says every row of the earlier layouts that authenticates was moved.
constexpr char kLayoutMarkKey[] = "layouts/vetting-checks";
constexpr char kLayoutMark[] = "person-keyed slots/v1";
constexpr char kLimitTakePrefix[] = "limits/person-checks/";
constexpr char kReferPrefix[] = "limits/org-refers/";
constexpr char kConsentPrefix[] = "consents/vetting/";
// What the limit rows' tag key is derived for from the store's key: another key than the slots',
// so that a row of the checks family cannot be matched to its limit rows; and the REFER rows'.
constexpr char kCheckTagKeyPurpose[] = "mac/vetting-limit-check/v1";
constexpr char kReferTagKeyPurpose[] = "mac/vetting-refer-row/v1";
// The tag in a limit row's key: the first bytes of HMAC-SHA256 of pair token || check id (of
// the check id alone in the earlier rows, which carried a time).
constexpr size_t kCheckTagSize = 16;
// A limit row's key after its kind: pair token || tag; a REFER row's: HMAC of the check id.
constexpr size_t kLimitRowSize = crypto::kHmacSha256Size + kCheckTagSize;
constexpr size_t kReferRowSize = crypto::kHmacSha256Size;

uint64_t KeyMicros(absl::Time at) { return static_cast<uint64_t>(absl::ToUnixMicros(at)); }
absl::Time FromMicros(absl::string_view u64be) {
  return absl::FromUnixMicros(static_cast<int64_t>(DecodeU64(u64be)));
}

// A limit or REFER row of the earlier layouts: prefix || u64be micros || check tag (of the check
// id alone), or, before the tags, || the check id (32 hex characters). Its time and the check's
// tag or id, or nullopt for a key of another length.
struct CountedKey {
  absl::Time at;
  absl::string_view check;  // kCheckTagSize raw bytes, or an earlier row's check id
};
std::optional<CountedKey> ParseEarlierCountedKey(absl::string_view key, size_t prefix_size) {
  if (key.size() != prefix_size + 8 + kCheckTagSize &&
      key.size() != prefix_size + 8 + kCheckIdSize) {
    return std::nullopt;
  }
  return CountedKey{FromMicros(key.substr(prefix_size, 8)), key.substr(prefix_size + 8)};
}

// Whether an earlier counted row whose key ends in `check` is one of the check whose id is
// `check_id` and whose earlier tag is `tag`.
bool IsRowOf(absl::string_view check, absl::string_view check_id, absl::string_view tag) {
  return check.size() == kCheckTagSize ? check == tag : check == check_id;
}

// `check` serialized with zero padding that brings it to a multiple of
// CheckStore::kSealedCheckBucket bytes (StoredCheck.padding): the padding field takes one byte
// for its tag, one or two for its length, and the zeros.
std::string PaddedCheck(StoredCheck check) {
  check.clear_padding();
  const size_t bare = check.ByteSizeLong();
  constexpr size_t kBucket = CheckStore::kSealedCheckBucket;
  for (size_t target = (bare + 2 + kBucket - 1) / kBucket * kBucket;; target += kBucket) {
    // Lengths below 128 take one byte, up to 16383 two (kBucket keeps the zeros below that).
    for (const size_t length_bytes : {size_t{1}, size_t{2}}) {
      if (target < bare + 1 + length_bytes) continue;
      const size_t zeros = target - bare - 1 - length_bytes;
      if ((zeros < 128) != (length_bytes == 1)) continue;
      check.set_padding(std::string(zeros, '\0'));
      return check.SerializeAsString();
    }
  }
}

// Whether check `a` comes before check `b` in a history (newest first): the later sealed time
// first, and of checks of one microsecond the higher check id, so that every check has a place
// of its own and a page can start after any of them.
bool NewerInHistory(int64_t a_micros, absl::string_view a_id, int64_t b_micros,
                    absl::string_view b_id) {
  if (a_micros != b_micros) return a_micros > b_micros;
  return a_id > b_id;
}
bool NewerInHistory(const StoredCheck& a, const StoredCheck& b) {
  return NewerInHistory(a.checked_at_micros(), a.summary().check_id(), b.checked_at_micros(),
                        b.summary().check_id());
}

absl::StatusOr<std::unique_ptr<crypto::HmacSha256Key>> MacKey(const crypto::SecretBytes& key,
                                                              absl::string_view purpose) {
  ASSIGN_OR_RETURN(crypto::SecretBytes derived, crypto::DeriveKey(key, purpose));
  return crypto::HmacSha256Key::Create(derived);
}

}  // namespace

absl::StatusOr<std::unique_ptr<CheckStore>> CheckStore::Create(Database* db,
                                                               const crypto::SecretBytes& key) {
  Macs macs;
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::AesGcm> aead, crypto::AesGcm::Create(key));
  ASSIGN_OR_RETURN(macs.pair, MacKey(key, kLimitPairKeyPurpose));
  ASSIGN_OR_RETURN(macs.slot, MacKey(key, kCheckSlotKeyPurpose));
  ASSIGN_OR_RETURN(macs.earlier_slot, MacKey(key, kEarlierCheckSlotKeyPurpose));
  ASSIGN_OR_RETURN(macs.person, MacKey(key, kHistoryPersonKeyPurpose));
  ASSIGN_OR_RETURN(macs.consent, MacKey(key, kConsentKeyPurpose));
  ASSIGN_OR_RETURN(macs.tag, MacKey(key, kCheckTagKeyPurpose));
  ASSIGN_OR_RETURN(macs.refer, MacKey(key, kReferTagKeyPurpose));
  return std::unique_ptr<CheckStore>(new CheckStore(db, std::move(aead), std::move(macs)));
}

absl::StatusOr<std::string> CheckStore::EarlierCheckTag(absl::string_view check_id) const {
  ASSIGN_OR_RETURN(std::string mac, macs_.tag->Mac(check_id));
  mac.resize(kCheckTagSize);
  return mac;
}

absl::StatusOr<std::string> CheckStore::PersonKey(absl::string_view token) const {
  if (token.size() != kTokenSize) return absl::InternalError("check token must be 32 bytes");
  return macs_.person->Mac(token);
}

absl::StatusOr<std::string> CheckStore::SlotOfPerson(absl::string_view person,
                                                     absl::string_view check_id) const {
  ASSIGN_OR_RETURN(std::string mac, macs_.slot->Mac(absl::StrCat(person, check_id)));
  mac.resize(kSlotSize);
  return mac;
}

absl::StatusOr<std::string> CheckStore::Slot(absl::string_view token,
                                             absl::string_view check_id) const {
  ASSIGN_OR_RETURN(const std::string person, PersonKey(token));
  return SlotOfPerson(person, check_id);
}

absl::StatusOr<std::string> CheckStore::EarlierSlot(absl::string_view check_id) const {
  ASSIGN_OR_RETURN(std::string mac, macs_.earlier_slot->Mac(check_id));
  mac.resize(kSlotSize);
  return mac;
}

absl::StatusOr<std::string> CheckStore::HistoryPrefix(absl::string_view token) const {
  ASSIGN_OR_RETURN(const std::string person, PersonKey(token));
  return absl::StrCat(absl::string_view(&kRowMark, 1), person);
}

absl::StatusOr<std::string> CheckStore::RowKey(absl::string_view token,
                                               absl::string_view check_id) const {
  if (!IsRegistryId(check_id)) return absl::InternalError("malformed check id");
  ASSIGN_OR_RETURN(const std::string person, PersonKey(token));
  ASSIGN_OR_RETURN(const std::string slot, SlotOfPerson(person, check_id));
  return absl::StrCat(absl::string_view(&kRowMark, 1), person, slot);
}

absl::StatusOr<std::string> CheckStore::RowPrefix(absl::string_view kind,
                                                  absl::string_view organisation,
                                                  absl::string_view token) const {
  if (organisation.empty() || organisation.find('\0') != absl::string_view::npos) {
    return absl::InternalError("malformed organisation id for a limit row");
  }
  if (!token.empty() && token.size() != kTokenSize) {
    return absl::InternalError("check token must be 32 bytes");
  }
  ASSIGN_OR_RETURN(std::string pair,
                   macs_.pair->Mac(absl::StrCat(organisation, absl::string_view("\0", 1), token)));
  return absl::StrCat(kind, pair);
}

absl::StatusOr<std::string> CheckStore::LimitRowKey(const std::string& prefix,
                                                    absl::string_view check_id) const {
  if (!IsRegistryId(check_id)) return absl::InternalError("malformed check id");
  const absl::string_view pair = absl::string_view(prefix).substr(strlen(kLimitTakePrefix));
  ASSIGN_OR_RETURN(std::string tag, macs_.tag->Mac(absl::StrCat(pair, check_id)));
  tag.resize(kCheckTagSize);
  return absl::StrCat(prefix, tag);
}

absl::StatusOr<std::string> CheckStore::ReferRowKey(absl::string_view check_id) const {
  if (!IsRegistryId(check_id)) return absl::InternalError("malformed check id");
  ASSIGN_OR_RETURN(const std::string tag, macs_.refer->Mac(check_id));
  return absl::StrCat(kReferPrefix, tag);
}

std::optional<CheckStore::CountedRow> CheckStore::OpenCountedRow(absl::string_view key,
                                                                 absl::string_view value,
                                                                 bool refer) const {
  absl::StatusOr<std::string> plain = aead_->Decrypt(value, key);
  const size_t size = 8 + (refer ? crypto::kHmacSha256Size : 0) + kCheckIdSize;
  if (!plain.ok() || plain->size() != size) return std::nullopt;
  const absl::string_view p = *plain;
  CountedRow row;
  row.at = FromMicros(p.substr(0, 8));
  if (refer) row.organisation = std::string(p.substr(8, crypto::kHmacSha256Size));
  row.check_id = std::string(p.substr(size - kCheckIdSize));
  return row;
}

absl::Status CheckStore::StageCountedRow(const std::string& key, absl::Time at,
                                         absl::string_view organisation_token,
                                         absl::string_view check_id, PendingWrite* w) const {
  ASSIGN_OR_RETURN(std::string sealed,
                   aead_->Encrypt(absl::StrCat(EncodeU64(KeyMicros(at)), organisation_token,
                                               check_id),
                                  key));
  w->batch()->Put(Cf::kMeta, key, sealed);
  return absl::OkStatus();
}

absl::StatusOr<size_t> CheckStore::PruneCountedRows(absl::Time before, size_t batch_rows,
                                                    const CommitFn& commit) const {
  BatchedCommit batches(batch_rows, commit);
  for (const bool refer : {false, true}) {
    const absl::string_view kind = refer ? kReferPrefix : kLimitTakePrefix;
    const size_t row_size = kind.size() + (refer ? kReferRowSize : kLimitRowSize);
    const size_t earlier_prefix_size = kind.size() + crypto::kHmacSha256Size;
    // The iterator reads the rows as they were when it started: the batches committed meanwhile
    // do not move under it.
    auto it = db_->NewIterator(Cf::kMeta, BlockCache::kBypass);
    for (it->Seek(kind); it->Valid(); it->Next()) {
      const absl::string_view key = it->key();
      if (!absl::StartsWith(key, kind)) break;
      absl::Time at;
      if (key.size() == row_size) {
        // The time is sealed: every row is opened. One that does not open is left for the data
        // check to name (and the counts that meet it fail), not deleted unseen.
        const std::optional<CountedRow> row = OpenCountedRow(key, it->value(), refer);
        if (!row.has_value()) continue;
        at = row->at;
      } else if (const std::optional<CountedKey> earlier =
                     ParseEarlierCountedKey(key, earlier_prefix_size)) {
        at = earlier->at;
      } else {
        continue;
      }
      if (at >= before) continue;
      batches.write()->batch()->Delete(Cf::kMeta, key);
      RETURN_IF_ERROR(batches.RowStaged());
    }
    RETURN_IF_ERROR(it->status());
  }
  return batches.Finish();
}

absl::Status CheckStore::Stage(absl::string_view token, absl::Time at, const StoredCheck& check,
                               PendingWrite* w) const {
  ASSIGN_OR_RETURN(const std::string key, RowKey(token, check.summary().check_id()));
  StoredCheck dated = check;
  RETURN_IF_ERROR(OwnDecidingRecords(token, &dated));
  dated.set_checked_at_micros(absl::ToUnixMicros(at));
  ASSIGN_OR_RETURN(std::string sealed, aead_->Encrypt(PaddedCheck(std::move(dated)), key));
  w->batch()->Put(Cf::kChecks, key, sealed);
  return absl::OkStatus();
}

absl::Status CheckStore::StageLimitTake(absl::string_view organisation, absl::string_view token,
                                        absl::Time at, absl::string_view check_id,
                                        PendingWrite* w) const {
  if (token.empty()) return absl::InternalError("check token must be 32 bytes");
  ASSIGN_OR_RETURN(const std::string prefix, RowPrefix(kLimitTakePrefix, organisation, token));
  ASSIGN_OR_RETURN(const std::string key, LimitRowKey(prefix, check_id));
  return StageCountedRow(key, at, "", check_id, w);
}

absl::Status CheckStore::ScanLimitRows(
    const std::string& prefix, const std::function<void(absl::Time, absl::string_view)>& fn)
    const {
  auto it = db_->NewIterator(Cf::kMeta);
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    const absl::string_view key = it->key();
    if (!absl::StartsWith(key, prefix)) break;
    if (key.size() == prefix.size() + kCheckTagSize) {
      const std::optional<CountedRow> row = OpenCountedRow(key, it->value(), false);
      if (!row.has_value()) {
        return absl::DataLossError("a vetting limit row fails authentication");
      }
      fn(row->at, row->check_id);
      continue;
    }
    const std::optional<CountedKey> earlier = ParseEarlierCountedKey(key, prefix.size());
    if (!earlier.has_value() || !aead_->Decrypt(it->value(), key).ok()) {
      return absl::DataLossError("a vetting limit row fails authentication");
    }
    fn(earlier->at, earlier->check);
  }
  return it->status();
}

absl::StatusOr<uint32_t> CheckStore::CountLimitTakes(absl::string_view organisation,
                                                     absl::string_view token,
                                                     absl::Time since) const {
  if (token.empty()) return absl::InternalError("check token must be 32 bytes");
  ASSIGN_OR_RETURN(const std::string prefix, RowPrefix(kLimitTakePrefix, organisation, token));
  uint32_t count = 0;
  RETURN_IF_ERROR(ScanLimitRows(prefix, [&](absl::Time at, absl::string_view) {
    if (at >= since) ++count;
  }));
  return count;
}

absl::StatusOr<std::string> CheckStore::ConsentKey(absl::string_view organisation,
                                                   absl::string_view consent_reference) const {
  if (organisation.empty() || organisation.find('\0') != absl::string_view::npos) {
    return absl::InternalError("malformed organisation id for a consent row");
  }
  if (consent_reference.empty()) return absl::InternalError("empty consent reference");
  ASSIGN_OR_RETURN(std::string mac, macs_.consent->Mac(absl::StrCat(
                                        organisation, absl::string_view("\0", 1),
                                        consent_reference)));
  return absl::StrCat(kConsentPrefix, mac);
}

absl::StatusOr<std::optional<std::string>> CheckStore::ConsentCandidate(
    absl::string_view organisation, absl::string_view consent_reference) const {
  ASSIGN_OR_RETURN(const std::string key, ConsentKey(organisation, consent_reference));
  ASSIGN_OR_RETURN(std::optional<std::string> sealed, db_->Get(Cf::kMeta, key));
  if (!sealed.has_value()) return std::optional<std::string>();
  absl::StatusOr<std::string> token = aead_->Decrypt(*sealed, key);
  if (!token.ok() || token->size() != kTokenSize) {
    return absl::DataLossError("a vetting consent row fails authentication");
  }
  return std::optional<std::string>(*std::move(token));
}

absl::Status CheckStore::StageConsent(absl::string_view organisation,
                                      absl::string_view consent_reference,
                                      absl::string_view token, PendingWrite* w) const {
  if (token.size() != kTokenSize) return absl::InternalError("check token must be 32 bytes");
  ASSIGN_OR_RETURN(const std::string key, ConsentKey(organisation, consent_reference));
  ASSIGN_OR_RETURN(std::string sealed, aead_->Encrypt(token, key));
  w->batch()->Put(Cf::kMeta, key, sealed);
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, int>> CheckStore::LimitTakesSince(
    absl::Time since, const std::vector<std::string>& check_ids, DataCheckReport* report) const {
  std::map<std::string, int> takes;
  // The checks asked about by their ids, and by their earlier tags and ids for the rows of the
  // earlier layouts.
  std::map<std::string, std::string, std::less<>> id_of;
  for (const std::string& id : check_ids) {
    ASSIGN_OR_RETURN(std::string tag, EarlierCheckTag(id));
    id_of.emplace(std::move(tag), id);
    id_of.emplace(id, id);
  }
  const absl::string_view kind = kLimitTakePrefix;
  const size_t prefix_size = kind.size() + crypto::kHmacSha256Size;
  uint64_t position = 0;
  auto it = db_->NewIterator(Cf::kMeta, BlockCache::kBypass);
  for (it->Seek(kind); it->Valid(); it->Next(), ++position) {
    const absl::string_view key = it->key();
    if (!absl::StartsWith(key, kind)) break;
    if (key.size() == prefix_size + kCheckTagSize) {
      // The check and the time are sealed: a row that does not open names neither.
      const std::optional<CountedRow> row = OpenCountedRow(key, it->value(), false);
      if (!row.has_value()) {
        report->Add(absl::StrCat("vetting limit row ", position, ": fails authentication"));
        continue;
      }
      if (row->at < since) continue;
      if (const auto check = id_of.find(row->check_id); check != id_of.end()) {
        ++takes[check->second];
      }
      continue;
    }
    const std::optional<CountedKey> row = ParseEarlierCountedKey(key, prefix_size);
    if (!row.has_value() ||
        (row->check.size() != kCheckTagSize && !IsRegistryId(row->check))) {
      report->Add(absl::StrCat("vetting limit row ", position, ": malformed key"));
      continue;
    }
    if (row->at < since) continue;
    const auto check = id_of.find(row->check);
    if (!aead_->Decrypt(it->value(), key).ok()) {
      report->Add(check != id_of.end()
                      ? absl::StrCat("vetting limit row of check ", check->second,
                                     ": fails authentication")
                      : absl::StrCat("vetting limit row ", position, ": fails authentication"));
      continue;
    }
    if (check != id_of.end()) ++takes[check->second];
  }
  RETURN_IF_ERROR(it->status());
  return takes;
}

absl::StatusOr<bool> CheckStore::HasLimitTake(absl::string_view organisation,
                                              absl::string_view token, absl::Time since,
                                              absl::string_view check_id) const {
  if (token.empty()) return absl::InternalError("check token must be 32 bytes");
  ASSIGN_OR_RETURN(const std::string prefix, RowPrefix(kLimitTakePrefix, organisation, token));
  ASSIGN_OR_RETURN(const std::string key, LimitRowKey(prefix, check_id));
  ASSIGN_OR_RETURN(const std::optional<std::string> value,
                   db_->Get(Cf::kMeta, key, BlockCache::kBypass));
  if (value.has_value()) {
    const std::optional<CountedRow> row = OpenCountedRow(key, *value, false);
    if (row.has_value() && row->check_id == check_id && row->at >= since) return true;
  }
  // A row of the earlier layouts, among the few of the organisation and person.
  ASSIGN_OR_RETURN(const std::string tag, EarlierCheckTag(check_id));
  bool found = false;
  auto it = db_->NewIterator(Cf::kMeta, BlockCache::kBypass);
  for (it->Seek(prefix); it->Valid() && !found; it->Next()) {
    const absl::string_view row_key = it->key();
    if (!absl::StartsWith(row_key, prefix)) break;
    const std::optional<CountedKey> row = ParseEarlierCountedKey(row_key, prefix.size());
    found = row.has_value() && row->at >= since && IsRowOf(row->check, check_id, tag) &&
            aead_->Decrypt(it->value(), row_key).ok();
  }
  RETURN_IF_ERROR(it->status());
  return found;
}

absl::Status CheckStore::StageRefer(absl::string_view organisation, absl::Time at,
                                    absl::string_view check_id, PendingWrite* w) const {
  ASSIGN_OR_RETURN(const std::string org, RowPrefix(kReferPrefix, organisation, ""));
  ASSIGN_OR_RETURN(const std::string key, ReferRowKey(check_id));
  return StageCountedRow(key, at, absl::string_view(org).substr(strlen(kReferPrefix)), check_id,
                         w);
}

absl::StatusOr<std::vector<absl::Time>> CheckStore::RefersBetween(
    absl::string_view organisation, absl::Time since, absl::Time until,
    absl::string_view except_check_id) const {
  ASSIGN_OR_RETURN(const std::string org_prefix, RowPrefix(kReferPrefix, organisation, ""));
  const absl::string_view org = absl::string_view(org_prefix).substr(strlen(kReferPrefix));
  std::string except_tag;
  if (!except_check_id.empty()) {
    ASSIGN_OR_RETURN(except_tag, EarlierCheckTag(except_check_id));
  }
  const auto counted = [&](absl::Time at) { return at >= since && at <= until; };
  std::vector<absl::Time> times;
  // The rows name no organisation: every REFER row of the last two days is opened (they are
  // few: one for each check answered REFER), and the organisation's are counted.
  const absl::string_view kind = kReferPrefix;
  auto it = db_->NewIterator(Cf::kMeta);
  for (it->Seek(kind); it->Valid(); it->Next()) {
    const absl::string_view key = it->key();
    if (!absl::StartsWith(key, kind)) break;
    if (key.size() == kind.size() + kReferRowSize) {
      const std::optional<CountedRow> row = OpenCountedRow(key, it->value(), true);
      if (!row.has_value()) return absl::DataLossError("a vetting REFER row fails authentication");
      if (row->organisation == org && counted(row->at) && row->check_id != except_check_id) {
        times.push_back(row->at);
      }
      continue;
    }
    if (!absl::StartsWith(key, org_prefix)) continue;
    const std::optional<CountedKey> row = ParseEarlierCountedKey(key, org_prefix.size());
    if (!row.has_value() || !aead_->Decrypt(it->value(), key).ok()) {
      return absl::DataLossError("a vetting REFER row fails authentication");
    }
    if (counted(row->at) &&
        (except_check_id.empty() || !IsRowOf(row->check, except_check_id, except_tag))) {
      times.push_back(row->at);
    }
  }
  RETURN_IF_ERROR(it->status());
  std::sort(times.begin(), times.end());
  return times;
}

absl::StatusOr<bool> CheckStore::HasRefer(absl::string_view organisation, absl::Time since,
                                          absl::string_view check_id) const {
  ASSIGN_OR_RETURN(const std::string org_prefix, RowPrefix(kReferPrefix, organisation, ""));
  ASSIGN_OR_RETURN(const std::string key, ReferRowKey(check_id));
  ASSIGN_OR_RETURN(const std::optional<std::string> value,
                   db_->Get(Cf::kMeta, key, BlockCache::kBypass));
  if (value.has_value()) {
    const std::optional<CountedRow> row = OpenCountedRow(key, *value, true);
    if (!row.has_value() || row->check_id != check_id) {
      return absl::DataLossError("a vetting REFER row fails authentication");
    }
    if (row->organisation == absl::string_view(org_prefix).substr(strlen(kReferPrefix)) &&
        row->at >= since) {
      return true;
    }
  }
  // A row of the earlier layouts, under the organisation's token.
  ASSIGN_OR_RETURN(const std::string tag, EarlierCheckTag(check_id));
  bool found = false;
  auto it = db_->NewIterator(Cf::kMeta, BlockCache::kBypass);
  for (it->Seek(org_prefix); it->Valid() && !found; it->Next()) {
    const absl::string_view row_key = it->key();
    if (!absl::StartsWith(row_key, org_prefix)) break;
    const std::optional<CountedKey> row = ParseEarlierCountedKey(row_key, org_prefix.size());
    if (!row.has_value() || row->at < since || !IsRowOf(row->check, check_id, tag)) continue;
    if (!aead_->Decrypt(it->value(), row_key).ok()) {
      return absl::DataLossError("a vetting REFER row fails authentication");
    }
    found = true;
  }
  RETURN_IF_ERROR(it->status());
  return found;
}

absl::StatusOr<StoredCheck> CheckStore::Open(absl::string_view key,
                                             absl::string_view value) const {
  ASSIGN_OR_RETURN(std::string plain, aead_->Decrypt(value, key));
  StoredCheck check;
  if (!check.ParseFromString(plain)) return absl::DataLossError("check record damaged");
  return check;
}

absl::StatusOr<CheckStore::HistoryPage> CheckStore::List(
    absl::string_view token, const std::optional<HistoryPosition>& after, size_t page_size,
    const IsStoredFn& is_stored) const {
  if (page_size == 0) return absl::InternalError("a page of checks holds at least one");
  ASSIGN_OR_RETURN(const std::string prefix, HistoryPrefix(token));
  // The keys are not in time order, so every check of the person is read; only the newest
  // `page_size` after `after` are kept, in a heap whose front is the oldest of them, so that a
  // page costs the memory of a page whatever the length of the history (which anyone allowed to
  // ask about the person can make long).
  const auto newer = [](const StoredCheck& a, const StoredCheck& b) {
    return NewerInHistory(a, b);
  };
  std::vector<StoredCheck> kept;
  kept.reserve(std::min<size_t>(page_size, 1024));
  bool more = false;
  auto it = db_->NewIterator(Cf::kChecks);
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    const absl::string_view key = it->key();
    if (!absl::StartsWith(key, prefix)) break;
    ASSIGN_OR_RETURN(StoredCheck check, Open(key, it->value()));
    if (after.has_value() &&
        !NewerInHistory(after->checked_at_micros, after->check_id, check.checked_at_micros(),
                        check.summary().check_id())) {
      continue;  // on an earlier page
    }
    if (kept.size() < page_size) {
      kept.push_back(std::move(check));
      std::push_heap(kept.begin(), kept.end(), newer);
      continue;
    }
    more = true;
    if (!NewerInHistory(check, kept.front())) continue;
    std::pop_heap(kept.begin(), kept.end(), newer);
    kept.back() = std::move(check);
    std::push_heap(kept.begin(), kept.end(), newer);
  }
  RETURN_IF_ERROR(it->status());
  std::sort_heap(kept.begin(), kept.end(), newer);
  HistoryPage page;
  if (more) {
    page.next = HistoryPosition{kept.back().checked_at_micros(), kept.back().summary().check_id()};
  }
  page.checks.reserve(kept.size());
  for (StoredCheck& check : kept) {
    for (const std::string& id : check.deciding_record_ids()) {
      ASSIGN_OR_RETURN(const bool stored, is_stored(id));
      if (stored) continue;
      check.mutable_summary()->set_result(registry::v1::VETTING_RESULT_UNSPECIFIED);
      check.mutable_summary()->set_result_withheld(true);
      break;
    }
    page.checks.push_back(std::move(*check.mutable_summary()));
  }
  return page;
}

absl::StatusOr<bool> CheckStore::LayoutMoved() const {
  ASSIGN_OR_RETURN(const std::optional<std::string> sealed,
                   db_->Get(Cf::kMeta, kLayoutMarkKey, BlockCache::kBypass));
  if (!sealed.has_value()) return false;
  const absl::StatusOr<std::string> mark = aead_->Decrypt(*sealed, kLayoutMarkKey);
  return mark.ok() && *mark == kLayoutMark;
}

absl::Status CheckStore::CheckAll(const OnCheckFn& on_check, DataCheckReport* report) const {
  // Once the rows were moved at start, an authentic row left in an earlier layout is one no
  // history lists: put back from an earlier copy of the files, or kept from the move.
  ASSIGN_OR_RETURN(const bool moved, LayoutMoved());
  uint64_t position = 0;
  auto it = db_->NewIterator(Cf::kChecks, BlockCache::kBypass);
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++position) {
    const absl::string_view key = it->key();
    StoredRow row;
    if (key.size() == kRowKeySize && key[0] == kRowMark) {
      row.person = std::string(key.substr(1, kPersonKeySize));
      row.slot = std::string(key.substr(1 + kPersonKeySize));
    } else if (key.size() == kEarlierRowKeySize) {
      row.earlier_layout = true;
      ASSIGN_OR_RETURN(row.person, PersonKey(key.substr(0, kTokenSize)));
      row.slot = std::string(key.substr(kTokenSize));
    } else if (key.size() == kLegacyRowKeySize && IsRegistryId(key.substr(kTokenSize + 8))) {
      row.earlier_layout = true;
      ASSIGN_OR_RETURN(row.person, PersonKey(key.substr(0, kTokenSize)));
      ASSIGN_OR_RETURN(row.slot, EarlierSlot(key.substr(kTokenSize + 8)));
    } else {
      report->Add(absl::StrCat("vetting check row ", position, ": malformed key"));
      continue;
    }
    absl::StatusOr<StoredCheck> check = Open(key, it->value());
    if (check.ok()) {
      row.authentic = true;
      row.check_id = check->summary().check_id();
      row.result = check->summary().result();
      ++report->vetting_checks;
      // Only whoever holds the keys can seal a check under another check's slot.
      std::string own_slot;
      if (row.earlier_layout) {
        ASSIGN_OR_RETURN(own_slot, EarlierSlot(row.check_id));
      } else {
        ASSIGN_OR_RETURN(own_slot, SlotOfPerson(row.person, row.check_id));
      }
      if (own_slot != row.slot) {
        report->Add(absl::StrCat("vetting check ", row.check_id, ": stored under another slot"));
      } else if (row.earlier_layout && moved) {
        report->Add(absl::StrCat("vetting check ", row.check_id,
                                 ": stored in an earlier layout after the move at start, so its "
                                 "person's history does not list it"));
      }
    }
    on_check(row);
  }
  return it->status();
}

absl::StatusOr<std::optional<std::string>> CheckStore::PersonTokenOfRecord(
    absl::string_view record_id) const {
  return HeadToken(record_id, BlockCache::kBypass);
}

absl::StatusOr<std::optional<std::string>> CheckStore::HeadToken(absl::string_view record_id,
                                                                 BlockCache cache) const {
  ASSIGN_OR_RETURN(const std::optional<std::string> raw,
                   db_->Get(Cf::kRecords, record_id, cache));
  StoredHead head;
  if (!raw.has_value() || !head.ParseFromString(*raw) ||
      head.personal_number_token().size() != kTokenSize) {
    return std::nullopt;
  }
  return head.personal_number_token();
}

absl::Status CheckStore::OwnDecidingRecords(absl::string_view token, StoredCheck* check) const {
  auto* ids = check->mutable_deciding_record_ids();
  int kept = 0;
  for (int i = 0; i < ids->size(); ++i) {
    ASSIGN_OR_RETURN(const std::optional<std::string> owner,
                     HeadToken(ids->Get(i), BlockCache::kFill));
    if (owner.has_value() && *owner != token) continue;  // another person's record
    if (kept != i) ids->SwapElements(kept, i);
    ++kept;
  }
  ids->DeleteSubrange(kept, ids->size() - kept);
  return absl::OkStatus();
}

absl::StatusOr<size_t> CheckStore::RekeyLegacyRows(size_t batch_rows,
                                                   const CommitFn& commit) const {
  ASSIGN_OR_RETURN(const bool moved_before, LayoutMoved());
  if (moved_before) return 0;
  BatchedCommit batches(batch_rows, commit);
  // The iterator reads the rows as they were when it started; what the batches delete and put
  // meanwhile does not move under it. A batch deletes each old row with the put of its new one,
  // so a move stopped part way leaves every check in exactly one layout, and the next start
  // moves the rest (the rows of the current layout have a shape of their own).
  auto it = db_->NewIterator(Cf::kChecks, BlockCache::kBypass);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const absl::string_view key = it->key();
    if (key.size() != kEarlierRowKeySize && key.size() != kLegacyRowKeySize) continue;
    // A row that does not authenticate, or holds another check than its key names, stays where
    // it is: the data check reads old rows too and names it, as it names any damaged row, and
    // one edited row does not stop the registry from starting.
    absl::StatusOr<StoredCheck> opened = Open(key, it->value());
    if (!opened.ok()) continue;
    const StoredCheck& check = *opened;
    absl::Time at;
    if (key.size() == kLegacyRowKeySize) {
      if (check.summary().check_id() != key.substr(kTokenSize + 8)) continue;
      at = FromMicros(key.substr(kTokenSize, 8));
    } else {
      ASSIGN_OR_RETURN(const std::string slot, EarlierSlot(check.summary().check_id()));
      if (slot != key.substr(kTokenSize)) continue;
      at = absl::FromUnixMicros(check.checked_at_micros());
    }
    batches.write()->batch()->Delete(Cf::kChecks, key);
    RETURN_IF_ERROR(Stage(key.substr(0, kTokenSize), at, check, batches.write()));
    RETURN_IF_ERROR(batches.RowStaged());
  }
  RETURN_IF_ERROR(it->status());
  ASSIGN_OR_RETURN(const size_t moved, batches.Finish());
  // Every row that could move has: later starts skip the scan. The mark is the store's own
  // (sealed), and the data check names an authentic old row found after it.
  ASSIGN_OR_RETURN(const std::string mark, aead_->Encrypt(kLayoutMark, kLayoutMarkKey));
  Batch batch;
  batch.Put(Cf::kMeta, kLayoutMarkKey, mark);
  RETURN_IF_ERROR(db_->Write(batch));
  return moved;
}

absl::StatusOr<int> CheckStore::StageWithhold(absl::string_view token,
                                              absl::string_view record_id,
                                              PendingWrite* w) const {
  if (token.size() != kTokenSize) return 0;
  ASSIGN_OR_RETURN(const std::string prefix, HistoryPrefix(token));
  int rewritten = 0;
  auto it = db_->NewIterator(Cf::kChecks);
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    absl::string_view key = it->key();
    if (!absl::StartsWith(key, prefix)) break;
    ASSIGN_OR_RETURN(StoredCheck check, Open(key, it->value()));
    auto* ids = check.mutable_deciding_record_ids();
    if (std::find(ids->begin(), ids->end(), record_id) == ids->end()) continue;
    // Every deciding id goes: the result they decided is no longer shown, so they decide nothing.
    ids->Clear();
    check.mutable_summary()->set_result(registry::v1::VETTING_RESULT_UNSPECIFIED);
    check.mutable_summary()->set_result_withheld(true);
    ASSIGN_OR_RETURN(std::string sealed, aead_->Encrypt(PaddedCheck(std::move(check)), key));
    w->batch()->Put(Cf::kChecks, key, sealed);
    ++rewritten;
  }
  RETURN_IF_ERROR(it->status());
  return rewritten;
}

}  // namespace registry::storage

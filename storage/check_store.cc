#include "storage/check_store.h"

#include <algorithm>
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
// What the checks rows' slot key is derived for from the store's key.
constexpr char kCheckSlotKeyPurpose[] = "mac/vetting-check-slot/v1";
// token || slot, and the earlier token || u64be micros || check id.
constexpr size_t kRowKeySize = crypto::kBlindIndexTokenSize + CheckStore::kSlotSize;
constexpr size_t kLegacyRowKeySize = crypto::kBlindIndexTokenSize + 8 + kCheckIdSize;
constexpr char kLimitTakePrefix[] = "limits/person-checks/";
constexpr char kReferPrefix[] = "limits/org-refers/";
constexpr char kConsentPrefix[] = "consents/vetting/";
// What the limit and REFER rows' check tag key is derived for from the store's key: another key
// than the slots', so that a row of the checks family cannot be matched to its limit rows.
constexpr char kCheckTagKeyPurpose[] = "mac/vetting-limit-check/v1";
// The check tag in a limit or REFER row's key: the first bytes of HMAC-SHA256 of the check id.
constexpr size_t kCheckTagSize = 16;

uint64_t KeyMicros(absl::Time at) { return static_cast<uint64_t>(absl::ToUnixMicros(at)); }

// A limit or REFER row's key: prefix || u64be micros || check tag (CheckTag), the prefix being
// kind || 32-byte pair MAC (RowPrefix); rows written before the tag end in the check id itself
// (32 hex characters). Its time and the check's tag or id, or nullopt for a key of another
// length.
struct CountedKey {
  absl::Time at;
  absl::string_view check;  // kCheckTagSize raw bytes, or an earlier row's check id
};
std::optional<CountedKey> ParseCountedKey(absl::string_view key, size_t prefix_size) {
  if (key.size() != prefix_size + 8 + kCheckTagSize &&
      key.size() != prefix_size + 8 + kCheckIdSize) {
    return std::nullopt;
  }
  return CountedKey{
      absl::FromUnixMicros(static_cast<int64_t>(DecodeU64(key.substr(prefix_size, 8)))),
      key.substr(prefix_size + 8)};
}

// Whether a counted row whose key ends in `check` is one of the check whose id is `check_id`
// and whose tag is `tag`: rows of both layouts.
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

}  // namespace

absl::StatusOr<std::unique_ptr<CheckStore>> CheckStore::Create(Database* db,
                                                               const crypto::SecretBytes& key) {
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::AesGcm> aead, crypto::AesGcm::Create(key));
  ASSIGN_OR_RETURN(crypto::SecretBytes pair_key, crypto::DeriveKey(key, kLimitPairKeyPurpose));
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::HmacSha256Key> pair_mac,
                   crypto::HmacSha256Key::Create(pair_key));
  ASSIGN_OR_RETURN(crypto::SecretBytes slot_key, crypto::DeriveKey(key, kCheckSlotKeyPurpose));
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::HmacSha256Key> slot_mac,
                   crypto::HmacSha256Key::Create(slot_key));
  ASSIGN_OR_RETURN(crypto::SecretBytes consent_key, crypto::DeriveKey(key, kConsentKeyPurpose));
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::HmacSha256Key> consent_mac,
                   crypto::HmacSha256Key::Create(consent_key));
  ASSIGN_OR_RETURN(crypto::SecretBytes tag_key, crypto::DeriveKey(key, kCheckTagKeyPurpose));
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::HmacSha256Key> tag_mac,
                   crypto::HmacSha256Key::Create(tag_key));
  return std::unique_ptr<CheckStore>(new CheckStore(db, std::move(aead), std::move(pair_mac),
                                                    std::move(slot_mac), std::move(consent_mac),
                                                    std::move(tag_mac)));
}

absl::StatusOr<std::string> CheckStore::CheckTag(absl::string_view check_id) const {
  ASSIGN_OR_RETURN(std::string mac, tag_mac_->Mac(check_id));
  mac.resize(kCheckTagSize);
  return mac;
}

absl::StatusOr<std::string> CheckStore::Slot(absl::string_view check_id) const {
  ASSIGN_OR_RETURN(std::string mac, slot_mac_->Mac(check_id));
  mac.resize(kSlotSize);
  return mac;
}

absl::StatusOr<std::string> CheckStore::RowKey(absl::string_view token,
                                               absl::string_view check_id) const {
  if (token.size() != crypto::kBlindIndexTokenSize) {
    return absl::InternalError("check token must be 32 bytes");
  }
  if (!IsRegistryId(check_id)) return absl::InternalError("malformed check id");
  ASSIGN_OR_RETURN(const std::string slot, Slot(check_id));
  return absl::StrCat(token, slot);
}

absl::StatusOr<std::string> CheckStore::RowPrefix(absl::string_view kind,
                                                  absl::string_view organisation,
                                                  absl::string_view token) const {
  if (organisation.empty() || organisation.find('\0') != absl::string_view::npos) {
    return absl::InternalError("malformed organisation id for a limit row");
  }
  if (!token.empty() && token.size() != crypto::kBlindIndexTokenSize) {
    return absl::InternalError("check token must be 32 bytes");
  }
  ASSIGN_OR_RETURN(std::string pair,
                   pair_mac_->Mac(absl::StrCat(organisation, absl::string_view("\0", 1), token)));
  return absl::StrCat(kind, pair);
}

absl::Status CheckStore::StageCountedRow(const std::string& prefix, absl::Time at,
                                         absl::string_view check_id, PendingWrite* w) const {
  if (!IsRegistryId(check_id)) return absl::InternalError("malformed check id");
  ASSIGN_OR_RETURN(const std::string tag, CheckTag(check_id));
  const std::string key = absl::StrCat(prefix, EncodeU64(KeyMicros(at)), tag);
  ASSIGN_OR_RETURN(std::string sealed, aead_->Encrypt("", key));
  w->batch()->Put(Cf::kMeta, key, sealed);
  return absl::OkStatus();
}

absl::Status CheckStore::ScanCountedRows(
    const std::string& prefix, absl::Time since, absl::Time until,
    const std::function<void(absl::Time, absl::string_view)>& fn) const {
  auto it = db_->NewIterator(Cf::kMeta);
  for (it->Seek(absl::StrCat(prefix, EncodeU64(KeyMicros(since)))); it->Valid(); it->Next()) {
    const absl::string_view key = it->key();
    if (!absl::StartsWith(key, prefix)) break;
    const std::optional<CountedKey> row = ParseCountedKey(key, prefix.size());
    if (!row.has_value() || !aead_->Decrypt(it->value(), key).ok()) {
      return absl::DataLossError("a vetting limit row fails authentication");
    }
    if (row->at > until) break;
    fn(row->at, row->check);
  }
  return it->status();
}

absl::StatusOr<size_t> CheckStore::PruneCountedRows(absl::Time before, size_t batch_rows,
                                                    const CommitFn& commit) const {
  BatchedCommit batches(batch_rows, commit);
  for (const absl::string_view kind : {absl::string_view(kLimitTakePrefix),
                                       absl::string_view(kReferPrefix)}) {
    const size_t prefix_size = kind.size() + crypto::kHmacSha256Size;
    // The iterator reads the rows as they were when it started: the batches committed meanwhile
    // do not move under it.
    auto it = db_->NewIterator(Cf::kMeta, BlockCache::kBypass);
    for (it->Seek(kind); it->Valid(); it->Next()) {
      const absl::string_view key = it->key();
      if (!absl::StartsWith(key, kind)) break;
      const std::optional<CountedKey> row = ParseCountedKey(key, prefix_size);
      if (!row.has_value() || row->at >= before) continue;
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
  return StageCountedRow(prefix, at, check_id, w);
}

absl::StatusOr<uint32_t> CheckStore::CountLimitTakes(absl::string_view organisation,
                                                     absl::string_view token,
                                                     absl::Time since) const {
  if (token.empty()) return absl::InternalError("check token must be 32 bytes");
  ASSIGN_OR_RETURN(const std::string prefix, RowPrefix(kLimitTakePrefix, organisation, token));
  uint32_t count = 0;
  RETURN_IF_ERROR(ScanCountedRows(prefix, since, absl::InfiniteFuture(),
                                  [&](absl::Time, absl::string_view) { ++count; }));
  return count;
}

absl::StatusOr<std::string> CheckStore::ConsentKey(absl::string_view organisation,
                                                   absl::string_view consent_reference) const {
  if (organisation.empty() || organisation.find('\0') != absl::string_view::npos) {
    return absl::InternalError("malformed organisation id for a consent row");
  }
  if (consent_reference.empty()) return absl::InternalError("empty consent reference");
  ASSIGN_OR_RETURN(std::string mac, consent_mac_->Mac(absl::StrCat(
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
  if (!token.ok() || token->size() != crypto::kBlindIndexTokenSize) {
    return absl::DataLossError("a vetting consent row fails authentication");
  }
  return std::optional<std::string>(*std::move(token));
}

absl::Status CheckStore::StageConsent(absl::string_view organisation,
                                      absl::string_view consent_reference,
                                      absl::string_view token, PendingWrite* w) const {
  if (token.size() != crypto::kBlindIndexTokenSize) {
    return absl::InternalError("check token must be 32 bytes");
  }
  ASSIGN_OR_RETURN(const std::string key, ConsentKey(organisation, consent_reference));
  ASSIGN_OR_RETURN(std::string sealed, aead_->Encrypt(token, key));
  w->batch()->Put(Cf::kMeta, key, sealed);
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, int>> CheckStore::LimitTakesSince(
    absl::Time since, const std::vector<std::string>& check_ids, DataCheckReport* report) const {
  std::map<std::string, int> takes;
  // The checks asked about by their tags, and by their ids for the rows of before the tags.
  std::map<std::string, std::string, std::less<>> id_of;
  for (const std::string& id : check_ids) {
    ASSIGN_OR_RETURN(std::string tag, CheckTag(id));
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
    const std::optional<CountedKey> row = ParseCountedKey(key, prefix_size);
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
  ASSIGN_OR_RETURN(const std::string tag, CheckTag(check_id));
  bool found = false;
  auto it = db_->NewIterator(Cf::kMeta, BlockCache::kBypass);
  for (it->Seek(absl::StrCat(prefix, EncodeU64(KeyMicros(since)))); it->Valid(); it->Next()) {
    const absl::string_view key = it->key();
    if (!absl::StartsWith(key, prefix)) break;
    const std::optional<CountedKey> row = ParseCountedKey(key, prefix.size());
    if (row.has_value() && IsRowOf(row->check, check_id, tag) &&
        aead_->Decrypt(it->value(), key).ok()) {
      found = true;
      break;
    }
  }
  RETURN_IF_ERROR(it->status());
  return found;
}

absl::Status CheckStore::StageRefer(absl::string_view organisation, absl::Time at,
                                    absl::string_view check_id, PendingWrite* w) const {
  ASSIGN_OR_RETURN(const std::string prefix, RowPrefix(kReferPrefix, organisation, ""));
  return StageCountedRow(prefix, at, check_id, w);
}

absl::StatusOr<std::vector<absl::Time>> CheckStore::RefersBetween(
    absl::string_view organisation, absl::Time since, absl::Time until,
    absl::string_view except_check_id) const {
  ASSIGN_OR_RETURN(const std::string prefix, RowPrefix(kReferPrefix, organisation, ""));
  std::string except_tag;
  if (!except_check_id.empty()) {
    ASSIGN_OR_RETURN(except_tag, CheckTag(except_check_id));
  }
  std::vector<absl::Time> times;
  RETURN_IF_ERROR(ScanCountedRows(prefix, since, until,
                                  [&](absl::Time at, absl::string_view check) {
                                    if (except_check_id.empty() ||
                                        !IsRowOf(check, except_check_id, except_tag)) {
                                      times.push_back(at);
                                    }
                                  }));
  return times;
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
  if (token.size() != crypto::kBlindIndexTokenSize) {
    return absl::InternalError("check token must be 32 bytes");
  }
  if (page_size == 0) return absl::InternalError("a page of checks holds at least one");
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
  for (it->Seek(token); it->Valid(); it->Next()) {
    const absl::string_view key = it->key();
    if (!absl::StartsWith(key, token)) break;
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

absl::Status CheckStore::CheckAll(const OnCheckFn& on_check, DataCheckReport* report) const {
  uint64_t position = 0;
  auto it = db_->NewIterator(Cf::kChecks, BlockCache::kBypass);
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++position) {
    const absl::string_view key = it->key();
    StoredRow row;
    row.token = std::string(key.substr(0, crypto::kBlindIndexTokenSize));
    if (key.size() == kRowKeySize) {
      row.slot = std::string(key.substr(crypto::kBlindIndexTokenSize));
    } else if (key.size() == kLegacyRowKeySize &&
               IsRegistryId(key.substr(crypto::kBlindIndexTokenSize + 8))) {
      ASSIGN_OR_RETURN(row.slot, Slot(key.substr(crypto::kBlindIndexTokenSize + 8)));
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
      ASSIGN_OR_RETURN(const std::string own_slot, Slot(row.check_id));
      if (own_slot != row.slot) {
        report->Add(absl::StrCat("vetting check ", row.check_id, ": stored under another slot"));
      }
    }
    on_check(row);
  }
  return it->status();
}

absl::StatusOr<std::optional<std::string>> CheckStore::PersonTokenOfRecord(
    absl::string_view record_id) const {
  ASSIGN_OR_RETURN(const std::optional<std::string> raw,
                   db_->Get(Cf::kRecords, record_id, BlockCache::kBypass));
  StoredHead head;
  if (!raw.has_value() || !head.ParseFromString(*raw) ||
      head.personal_number_token().size() != crypto::kBlindIndexTokenSize) {
    return std::nullopt;
  }
  return head.personal_number_token();
}

absl::StatusOr<size_t> CheckStore::RekeyLegacyRows(size_t batch_rows,
                                                   const CommitFn& commit) const {
  BatchedCommit batches(batch_rows, commit);
  // The iterator reads the rows as they were when it started; what the batches delete and put
  // meanwhile does not move under it.
  auto it = db_->NewIterator(Cf::kChecks, BlockCache::kBypass);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const absl::string_view key = it->key();
    if (key.size() != kLegacyRowKeySize) continue;
    // A row that does not authenticate, or holds another check than its key names, stays where
    // it is: the data check reads old rows too and names it, as it names any damaged row, and
    // one edited row does not stop the registry from starting.
    absl::StatusOr<StoredCheck> opened = Open(key, it->value());
    if (!opened.ok() ||
        opened->summary().check_id() != key.substr(crypto::kBlindIndexTokenSize + 8)) {
      continue;
    }
    const StoredCheck& check = *opened;
    const absl::string_view token = key.substr(0, crypto::kBlindIndexTokenSize);
    const absl::Time at = absl::FromUnixMicros(
        static_cast<int64_t>(DecodeU64(key.substr(crypto::kBlindIndexTokenSize, 8))));
    batches.write()->batch()->Delete(Cf::kChecks, key);
    RETURN_IF_ERROR(Stage(token, at, check, batches.write()));
    RETURN_IF_ERROR(batches.RowStaged());
  }
  RETURN_IF_ERROR(it->status());
  return batches.Finish();
}

absl::StatusOr<int> CheckStore::StageWithhold(absl::string_view token,
                                              absl::string_view record_id,
                                              PendingWrite* w) const {
  if (token.size() != crypto::kBlindIndexTokenSize) return 0;
  int rewritten = 0;
  auto it = db_->NewIterator(Cf::kChecks);
  for (it->Seek(token); it->Valid(); it->Next()) {
    absl::string_view key = it->key();
    if (!absl::StartsWith(key, token)) break;
    ASSIGN_OR_RETURN(StoredCheck check,
                     Open(key, it->value()));
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

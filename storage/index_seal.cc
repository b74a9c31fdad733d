#include "storage/index_seal.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/secret_bytes.h"

namespace registry::storage {
namespace {

constexpr size_t kHashBytes = 32;
// Before the generation: rows || XOR || MAC.
constexpr size_t kStoredBytesWithoutGeneration = 8 + kHashBytes + 32;
constexpr size_t kStoredBytes = 8 + kHashBytes + 8 + 32;

std::string EncodeCount(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

uint64_t DecodeCount(absl::string_view bytes) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  return v;
}

}  // namespace

std::string IndexSealCheck::Problem() const {
  if (!other.empty()) return other;
  if (!sealed) return "";
  if (damaged) {
    return "index seal: the stored seal of the index family fails its MAC (edited in the data "
           "folder)";
  }
  if (matches) return "";
  // A count taken below zero (rows put in the folder, then deleted by registryd) reads as such.
  return absl::StrCat("index seal: the index family's rows are not the rows sealed (",
                      static_cast<int64_t>(sealed_rows),
                      " sealed, ", found_rows,
                      " found): rows were deleted, added or swapped in the data folder");
}

absl::StatusOr<std::unique_ptr<IndexSeal>> IndexSeal::Create(const crypto::SecretBytes& key) {
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::HmacSha256Key> mac,
                   crypto::HmacSha256Key::Create(key));
  return std::unique_ptr<IndexSeal>(new IndexSeal(std::move(mac)));
}

absl::Status IndexSeal::Toggle(absl::string_view row_key, IndexSealSum* sum) const {
  ASSIGN_OR_RETURN(const std::string h, mac_->Mac(absl::StrCat("row|", row_key)));
  for (size_t i = 0; i < kHashBytes; ++i) sum->hash[i] = static_cast<char>(sum->hash[i] ^ h[i]);
  return absl::OkStatus();
}

absl::Status IndexSeal::Add(absl::string_view row_key, IndexSealSum* sum) const {
  RETURN_IF_ERROR(Toggle(row_key, sum));
  ++sum->rows;
  return absl::OkStatus();
}

absl::Status IndexSeal::Remove(absl::string_view row_key, IndexSealSum* sum) const {
  RETURN_IF_ERROR(Toggle(row_key, sum));
  --sum->rows;
  return absl::OkStatus();
}

absl::StatusOr<std::string> IndexSeal::Encode(const IndexSealSum& sum) const {
  std::string body = absl::StrCat(EncodeCount(sum.rows), sum.hash, EncodeCount(sum.generation));
  ASSIGN_OR_RETURN(const std::string mac, mac_->Mac(absl::StrCat("seal|", body)));
  return absl::StrCat(body, mac);
}

absl::StatusOr<IndexSealHead> IndexSeal::Head(const IndexSealSum& sum) const {
  IndexSealHead head;
  head.generation = sum.generation;
  ASSIGN_OR_RETURN(head.digest,
                   mac_->Mac(absl::StrCat("head|", EncodeCount(sum.rows), sum.hash,
                                          EncodeCount(sum.generation))));
  return head;
}

absl::StatusOr<IndexSealSum> IndexSeal::Decode(absl::string_view value) const {
  const auto damaged = [] {
    return absl::DataLossError("the index seal fails its MAC: edited in the data folder");
  };
  if (value.size() != kStoredBytes && value.size() != kStoredBytesWithoutGeneration) {
    return damaged();
  }
  const absl::string_view body = value.substr(0, value.size() - 32);
  ASSIGN_OR_RETURN(const std::string mac, mac_->Mac(absl::StrCat("seal|", body)));
  if (!crypto::ConstantTimeEquals(mac, value.substr(body.size()))) return damaged();
  IndexSealSum sum;
  sum.rows = DecodeCount(body);
  sum.hash = std::string(body.substr(8, kHashBytes));
  if (body.size() > 8 + kHashBytes) sum.generation = DecodeCount(body.substr(8 + kHashBytes));
  return sum;
}

absl::StatusOr<IndexSealSum> IndexSeal::After(
    const IndexSealSum& before, const std::vector<IndexRowChange>& changes,
    const std::function<absl::StatusOr<bool>(absl::string_view key)>& exists) const {
  IndexSealSum sum = before;
  // Whether each key the write has changed so far is there after those changes.
  std::map<std::string, bool, std::less<>> present;
  for (const IndexRowChange& change : changes) {
    bool there = false;
    if (auto it = present.find(change.key); it != present.end()) {
      there = it->second;
    } else {
      ASSIGN_OR_RETURN(there, exists(change.key));
    }
    if (change.put && !there) RETURN_IF_ERROR(Add(change.key, &sum));
    if (!change.put && there) RETURN_IF_ERROR(Remove(change.key, &sum));
    present[change.key] = change.put;
  }
  ++sum.generation;
  return sum;
}

void IndexSeal::Load(std::optional<IndexSealSum> stored, bool damaged) {
  absl::MutexLock lock(&mu_);
  kept_ = damaged ? std::nullopt : std::move(stored);
  if (damaged) {
    IndexSealCheck check;
    check.sealed = true;
    check.damaged = true;
    state_ = State::kBroken;
    problem_ = check.Problem();
  } else {
    state_ = kept_.has_value() ? State::kUnchecked : State::kAbsent;
    problem_.clear();
  }
}

std::optional<IndexSealSum> IndexSeal::Kept() const {
  absl::MutexLock lock(&mu_);
  return kept_;
}

void IndexSeal::Keep(const IndexSealSum& sum) {
  absl::MutexLock lock(&mu_);
  kept_ = sum;
  if (state_ == State::kAbsent) state_ = State::kSound;  // just made from the rows
}

void IndexSeal::SetVerdict(const IndexSealCheck& check) {
  absl::MutexLock lock(&mu_);
  if (!check.other.empty()) {
    state_ = State::kBroken;
    problem_ = check.other;
    keep_broken_ = keep_broken_ || check.keep;
    return;
  }
  if (!check.sealed) return;
  if (check.damaged || !check.matches) {
    state_ = State::kBroken;
    problem_ = check.Problem();
  } else if (state_ != State::kBroken) {
    state_ = State::kSound;
  }
}

IndexSeal::State IndexSeal::state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

bool IndexSeal::KeepBroken() const {
  absl::MutexLock lock(&mu_);
  return keep_broken_;
}

std::optional<IndexSealHead> IndexSeal::HeadToBind() const {
  std::optional<IndexSealSum> kept;
  {
    absl::MutexLock lock(&mu_);
    if (state_ == State::kBroken || !kept_.has_value()) return std::nullopt;
    kept = kept_;
  }
  absl::StatusOr<IndexSealHead> head = Head(*kept);
  if (!head.ok()) return std::nullopt;
  return *std::move(head);
}

absl::Status IndexSeal::AwaitSound(absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithDeadline(absl::Condition(this, &IndexSeal::Decided), deadline);
  switch (state_) {
    case State::kAbsent:
    case State::kSound:
      return absl::OkStatus();
    case State::kBroken:
      // The same words for every candidate: nothing of the candidate or the rows.
      return absl::DataLossError(
          "the registry's index does not match its seal (rows were deleted, added or swapped in "
          "the data folder): vetting checks are refused until an operator restores the data");
    case State::kUnchecked:
      break;
  }
  return absl::UnavailableError(
      "the registry is checking its index after a start: try again in a moment");
}

}  // namespace registry::storage

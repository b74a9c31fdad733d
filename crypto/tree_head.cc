#include "crypto/tree_head.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace registry::crypto {
namespace {

void AppendU64BigEndian(uint64_t value, std::string& out) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

}  // namespace

absl::StatusOr<std::string> TreeHeadSigningBytes(absl::string_view log_id, uint64_t tree_size,
                                                 uint64_t timestamp_micros,
                                                 absl::string_view root_hash,
                                                 absl::string_view key_id) {
  if (log_id.empty() || log_id.size() > kTreeHeadMaxLogIdSize) {
    return absl::InvalidArgumentError(absl::StrCat("tree head log_id has ", log_id.size(),
                                                   " bytes, not 1..", kTreeHeadMaxLogIdSize));
  }
  if (root_hash.size() != kTreeHeadRootHashSize) {
    return absl::InvalidArgumentError(absl::StrCat("tree head root_hash has ", root_hash.size(),
                                                   " bytes, not ", kTreeHeadRootHashSize));
  }
  if (key_id.empty() || key_id.size() > kTreeHeadMaxKeyIdSize) {
    return absl::InvalidArgumentError(absl::StrCat("tree head key_id has ", key_id.size(),
                                                   " bytes, not 1..", kTreeHeadMaxKeyIdSize));
  }
  std::string out;
  out.reserve(kTreeHeadFormat.size() + 1 + 1 + log_id.size() + 8 + 8 + kTreeHeadRootHashSize + 1 +
              key_id.size());
  out.append(kTreeHeadFormat.data(), kTreeHeadFormat.size());
  out.push_back('\n');
  out.push_back(static_cast<char>(log_id.size()));
  out.append(log_id.data(), log_id.size());
  AppendU64BigEndian(tree_size, out);
  AppendU64BigEndian(timestamp_micros, out);
  out.append(root_hash.data(), root_hash.size());
  out.push_back(static_cast<char>(key_id.size()));
  out.append(key_id.data(), key_id.size());
  return out;
}

}  // namespace registry::crypto

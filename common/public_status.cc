#include "common/public_status.h"

namespace registry {
namespace {

constexpr char kPublicPayload[] = "type.registry.kjc/public-message";

}  // namespace

absl::Status PublicError(absl::Status status) {
  status.SetPayload(kPublicPayload, absl::Cord("1"));
  return status;
}

bool IsPublicError(const absl::Status& status) {
  return status.GetPayload(kPublicPayload).has_value();
}

}  // namespace registry

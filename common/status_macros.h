// RETURN_IF_ERROR and ASSIGN_OR_RETURN with abseil's names; our abseil (20220623) has none.
//
//   RETURN_IF_ERROR(db->Write(batch));
//   ASSIGN_OR_RETURN(std::string plain, aead.Decrypt(ct, ad));
#ifndef REGISTRY_COMMON_STATUS_MACROS_H_
#define REGISTRY_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define REGISTRY_CONCAT_INNER_(a, b) a##b
#define REGISTRY_CONCAT_(a, b) REGISTRY_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status registry_status_ = (expr);          \
    if (!registry_status_.ok()) return registry_status_; \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, rexpr) \
  REGISTRY_ASSIGN_OR_RETURN_IMPL_(REGISTRY_CONCAT_(registry_statusor_, __LINE__), lhs, rexpr)

#define REGISTRY_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                    \
  if (!statusor.ok()) return std::move(statusor).status();    \
  lhs = std::move(statusor).value()

#endif  // REGISTRY_COMMON_STATUS_MACROS_H_

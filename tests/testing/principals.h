// The principal ids of the development PKI (deploy/pki/dev-pki.sh) and of the policy the test
// server loads: what the server records as the actor of each identity's calls.
//
//   EXPECT_EQ(event.actor(), testing::kCourtId);
#ifndef REGISTRY_TESTS_TESTING_PRINCIPALS_H_
#define REGISTRY_TESTS_TESTING_PRINCIPALS_H_

#include <string>

#include "registry/v1/common.pb.h"
#include "server/policy.h"

namespace registry::testing {

inline constexpr char kClerkId[] = "spiffe://registry.kjc.dev/clerk/dev-clerk";
inline constexpr char kCourtId[] = "spiffe://registry.kjc.dev/court/dev-court";
inline constexpr char kVettingId[] = "spiffe://registry.kjc.dev/vetting/dev-vetting";
inline constexpr char kVetting2Id[] = "spiffe://registry.kjc.dev/vetting/dev-vetting2";
inline constexpr char kAuditorId[] = "spiffe://registry.kjc.dev/auditor/dev-auditor";
inline constexpr char kAdminId[] = "spiffe://registry.kjc.dev/admin/dev-admin";
// A certificate the CA signed for a name the policy does not list.
inline constexpr char kUnlistedClerkId[] = "spiffe://registry.kjc.dev/clerk/unlisted";

// The dev PKI's identity of `role`, which is the role segment its identity carries
// (server::RoleSegmentOf): "clerk", "court", ...; "" for none.
inline std::string DevIdentityOf(registry::v1::Role role) {
  return std::string(server::RoleSegmentOf(role));
}

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_PRINCIPALS_H_

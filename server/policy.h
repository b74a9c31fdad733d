// The access policy: who may call, as which role, for which organisation (proto
// registry.v1.AccessPolicy, JSON). Anything the policy does not allow is denied.
//
// PolicyStore holds the policy in force. It reloads on SIGHUP (registryd calls Reload) and when
// the file changes (a watcher thread polls its mtime and size); an invalid new file is refused,
// logged, and the last valid policy stays in force.
//
//   ASSIGN_OR_RETURN(auto store, PolicyStore::Load("/etc/registry/policy.json"));
//   std::shared_ptr<const Policy> p = store->Current();
//   const registry::v1::Principal* who = p->FindPrincipal("spiffe://registry.kjc/clerk/c1");
#ifndef REGISTRY_SERVER_POLICY_H_
#define REGISTRY_SERVER_POLICY_H_

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "registry/v1/policy.pb.h"
#include "server/polling_thread.h"
#include "server/reloadable.h"

namespace registry::server {

// An immutable, validated policy.
class Policy {
 public:
  // Validates: principals' ids are URIs (certificate URI SANs), unique, with a role and an
  // existing organisation; vetting organisations have a rate limit and position categories; an
  // organisation's region exists; regions have unique ids and a refer_contact of text;
  // fingerprints are 64 hex.
  // InvalidArgument naming the first bad entry otherwise.
  static absl::StatusOr<std::shared_ptr<const Policy>> Compile(registry::v1::AccessPolicy policy);

  // nullptr when the principal is not in the policy.
  const registry::v1::Principal* FindPrincipal(absl::string_view id) const;
  const registry::v1::Organisation* FindOrganisation(absl::string_view id) const;
  bool PurposeAllowed(absl::string_view code) const { return purposes_.count(std::string(code)); }
  // fingerprint: lowercase hex SHA-256 of the certificate's DER.
  bool CertificateDenied(absl::string_view fingerprint) const {
    return denied_.count(std::string(fingerprint)) > 0;
  }
  bool PositionAllowed(absl::string_view organisation, absl::string_view category) const;
  // Whom the organisation contacts after a REFER answer: its region's refer_contact, or "" when
  // the policy names none.
  std::string ReferContact(absl::string_view organisation) const;

  const registry::v1::AccessPolicy& proto() const { return proto_; }

 private:
  Policy() = default;
  registry::v1::AccessPolicy proto_;
  std::map<std::string, registry::v1::Principal, std::less<>> principals_;
  std::map<std::string, registry::v1::Organisation, std::less<>> organisations_;
  std::map<std::string, registry::v1::Region, std::less<>> regions_;
  std::set<std::string> purposes_;
  std::set<std::string> denied_;
};

// Parses and compiles a policy file.
absl::StatusOr<std::shared_ptr<const Policy>> LoadPolicyFile(const std::string& path);

// Thread-safe holder of the policy in force.
class PolicyStore {
 public:
  static absl::StatusOr<std::unique_ptr<PolicyStore>> Load(const std::string& path);
  ~PolicyStore();

  std::shared_ptr<const Policy> Current() const;

  // Re-reads the file. On failure the current policy stays and the error is returned.
  absl::Status Reload();

  // Polls the file every `interval` and reloads when its mtime or size changes. Reload failures
  // are reported through `on_result` (may be empty).
  void StartWatching(absl::Duration interval,
                     std::function<void(const absl::Status&)> on_result);

  // Stops the watcher thread, if any. Idempotent; the destructor calls it.
  void StopWatching();

 private:
  explicit PolicyStore(std::string path)
      : path_(std::move(path)),
        policy_([this] { return FileStamp(path_); }, [this] { return LoadPolicyFile(path_); }) {}

  const std::string path_;
  Reloadable<Policy> policy_;
  PollingThread watcher_;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_POLICY_H_

// The access policy: who may call, as which role, for which organisation (proto
// registry.v1.AccessPolicy, JSON). Anything the policy does not allow is denied.
//
// PolicyStore holds the policy in force. It reloads on SIGHUP (registryd calls Reload) and when
// the file changes (a watcher thread polls its mtime and size); an invalid new file (a key given
// twice included) is refused, logged, and the last valid policy stays in force. registryd
// records every reload, applied or refused, in the audit log (SetRecorder), and at start a
// policy file changed while it was stopped (CurrentWithFingerprint).
//
//   ASSIGN_OR_RETURN(auto store, PolicyStore::Load("/etc/registry/policy.json"));
//   std::shared_ptr<const Policy> p = store->Current();
//   const registry::v1::Principal* who = p->FindPrincipal("spiffe://registry.kjc/clerk/c1");
#ifndef REGISTRY_SERVER_POLICY_H_
#define REGISTRY_SERVER_POLICY_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "registry/v1/policy.pb.h"
#include "server/polling_thread.h"
#include "server/reloadable.h"

namespace registry::server {

// The role segment of an identity of `role` (spiffe://<trust domain>/<segment>/<name>), as the
// registry's CA scripts issue them (deploy/pki/registry-pki.sh client PKI ROLE NAME), which a
// principal's identity must carry for its role: "clerk", "court", "vetting", "auditor" or
// "admin"; "" for none.
absl::string_view RoleSegmentOf(registry::v1::Role role);

// An immutable, validated policy.
class Policy {
 public:
  // Validates: principals' ids are URIs (certificate URI SANs), unique, with a role and an
  // existing organisation; each id is spiffe://<trust domain>/<role segment>/<name>, its role
  // segment naming the principal's role (clerk ROLE_CLERK, court ROLE_COURT, vetting
  // ROLE_VETTING, auditor ROLE_AUDITOR, admin ROLE_ADMIN), all in principals[0]'s trust domain
  // (refused as "principals[N].id: ...", saying what to list instead); vetting organisations
  // have a rate limit and position categories; an organisation's region exists; regions have
  // unique ids and a refer_contact of text; fingerprints are 64 hex.
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

// One reading of a policy file, as a reload's audit event states it.
struct PolicyReading {
  // Lowercase hex SHA-256 of the file's bytes, as `sha256sum` prints it: which file was read,
  // applied or refused. Empty when the file could not be read, and when it was refused unread
  // for its mode (refused_because).
  std::string sha256;
  // The compiled policy, or why the file is refused (LoadPolicyFile's error).
  absl::StatusOr<std::shared_ptr<const Policy>> policy;
  // For a refused file, the field the refusal names when it names one of the policy's fields
  // ("principals", "principals[1].role": also a value the parse refused, such as an unknown
  // role), or the path of a key that names no field ("x", "principals[1].x"; the key itself only
  // when spelled as a field is, else "principals[1].(unknown key)"); never a value. Empty
  // otherwise.
  std::string refused_field;
  // For a file refused for what it is rather than what it holds (writable by every local
  // account: OpenToOthers), why, in a fixed sentence. Empty otherwise.
  std::string refused_because;
};

// Reads, parses and compiles a policy file. The parse refuses unknown fields and any key given
// twice (ParseJson); a file that every local account may change (OpenToOthers) is refused
// (FailedPrecondition), whatever it holds.
PolicyReading ReadPolicyFile(const std::string& path);

// ReadPolicyFile's policy: InvalidArgument naming the file and the problem, or ReadFile's error.
absl::StatusOr<std::shared_ptr<const Policy>> LoadPolicyFile(const std::string& path);

// Thread-safe holder of the policy in force.
class PolicyStore {
 public:
  static absl::StatusOr<std::unique_ptr<PolicyStore>> Load(const std::string& path);
  ~PolicyStore();

  std::shared_ptr<const Policy> Current() const;

  // The policy in force with the SHA-256 of the file it was read from (lowercase hex, as
  // PolicyReading states it), taken together between reloads. registryd compares the
  // fingerprint at start with that of the policy last in force before it stopped.
  struct InForce {
    std::shared_ptr<const Policy> policy;
    std::string sha256;
  };
  InForce CurrentWithFingerprint() const;

  // Re-reads the file. On failure the current policy stays and the error is returned. Reloads
  // (SIGHUP's, the watcher's) take turns, so each is recorded before it is put in force and in
  // the order they are.
  absl::Status Reload();

  // What a reload does with each reading of the file before the policy it holds is put in
  // force, a refused file's too (registryd: its audit event). An error keeps the policy in force
  // as it is, a new one that could not be recorded included, and is the reload's error (a
  // refused file's own error comes first). Load's first reading is not recorded here (registryd
  // compares its fingerprint with the policy last in force instead). Set before
  // StartWatching and before Reload is called from another thread.
  using Recorder = std::function<absl::Status(const PolicyReading&)>;
  void SetRecorder(Recorder recorder) { recorder_ = std::move(recorder); }

  // Polls the file every `interval` and reloads when its mtime or size changes, or when the last
  // reading was a good file the recorder failed on (tried again at each poll until recorded).
  // Reload failures are reported through `on_result` (may be empty).
  void StartWatching(absl::Duration interval,
                     std::function<void(const absl::Status&)> on_result);

  // Stops the watcher thread, if any. Idempotent; the destructor calls it.
  void StopWatching();

 private:
  explicit PolicyStore(std::string path)
      : path_(std::move(path)),
        policy_([this] { return Stamp(path_); }, [this] { return ReadAndRecord(); }) {}

  // FileStamp and the file's mode: a file refused for its mode is read again once it is
  // mended (chmod o-w), and one made writable by every local account is refused (and audited)
  // at once, not at its next edit.
  static std::string Stamp(const std::string& path);

  // Reads the file and hands the reading to the recorder, if any: Reloadable's read.
  absl::StatusOr<std::shared_ptr<const Policy>> ReadAndRecord();

  const std::string path_;
  Recorder recorder_;
  // Held through each Reload: the reading, its record and the change of policy.
  mutable absl::Mutex reload_mu_;
  // The fingerprint of the file the policy in force was read from; set with it, under
  // reload_mu_.
  std::string sha256_in_force_;
  // Set by the last reading when the recorder failed on a good file (under reload_mu_).
  bool unrecorded_ = false;
  Reloadable<Policy> policy_;
  PollingThread watcher_;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_POLICY_H_

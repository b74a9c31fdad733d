// Revocation of client certificates, checked by the call gate on every call.
//
// When tls.crl_directory is configured, a client certificate is good only if the client CA that
// issued it (from tls.client_ca_file) has a current CRL in that folder and the CRL does not list
// the certificate. "Current" means: it parsed, its signature verifies against that CA's key, it
// has started (thisUpdate) and it has not passed its nextUpdate. A CA without one has every
// certificate refused: revocation fails closed.
//
// gRPC's own crl_directory option is not used. It accepts a certificate whose issuer has no CRL,
// and it keeps the CRLs it has read until the TLS credentials are rebuilt, so a new CRL written
// over the old file name is not seen, and an expired one it cached keeps failing handshakes
// after the operator replaced it. It also checks only at the handshake, while an HTTP/2
// connection lives for hours: checking per call also refuses a certificate revoked after its
// connection was opened.
//
// Every file in the folder is read (any name; PEM with one or more CRLs, or one DER CRL). A file
// that cannot be used taints the CA it belongs to, which then has no current CRL until the file
// is fixed or removed: an unparsable file named <hash>.rN after a client CA's subject hash, a CRL
// whose signature does not verify against the client CA its issuer names, and a delta, indirect
// or partitioned CRL (issuingDistributionPoint, or any unknown critical extension), which this
// check cannot apply correctly. Among a CA's usable CRLs the newest that has started applies (the
// later thisUpdate, then the higher CRL number); an older CRL that expired beside a newer one is
// harmless. The CRL in force never goes back: once a CA's CRL in force had a number, a reload
// whose CRL in force has a lower one (an older copy put back over the current one, which would
// un-revoke what the newer one listed) taints the CA until a CRL at least as new is back. Nor is
// it swapped at the same number: a CRL in force whose number is the highest read but whose
// contents differ from the CRL in force at that number (a list without a serial, put in place of
// one with it under the same number) taints the CA the same way, until the CRL read at that
// number, or a higher one, is back. The highest number of each CA, with the SHA-256 of the CRL
// in force at it, is kept in the numbers file (crl_number_file, beside the key file), so that
// an older or swapped copy put back while registryd is stopped is refused at the next start too.
// A numbers file of the earlier form (a number without a digest) is read, and the CRL in force
// at that number is the one whose digest it then keeps.
//
// Only the certificate's direct issuer is consulted; an intermediate CA is withdrawn by removing
// it from the client CA bundle (which is reloaded too), not by its parent's CRL. A certificate
// whose issuer is not in the bundle is refused for that reason of its own, not as one without a
// current CRL: the operator looks at the bundle, not at the CRL folder.
//
// The issuer is a client CA only when the certificate's signature verifies against that CA's
// key: a name and a key identifier are no proof, as anyone can make a CA that copies both. The
// TLS layer's trust is not relied upon: gRPC reads its root file on its own, checking no mode
// nor owner (given tls.client_ca_file, it trusted a bundle that another local account could
// write and that this class refused). So only the CAs in force here vouch for a certificate,
// with or without a CRL folder (crl_directory "": no CRL is consulted, and a certificate the
// CAs in force signed is good). Each certificate's signature is verified once for each set of
// CAs read (a reload), not on every call. KeepTlsCopy hands the TLS layer these same CAs.
//
// A bundle that cannot be read (missing, unreadable, no certificate) does not stop the CRLs from
// being followed: the previous client CAs stay, and the folder is read again against them, so
// that a new CRL still revokes and a CRL removed, expired or forged meanwhile still refuses.
//
//   ASSIGN_OR_RETURN(auto revocation, Revocation::Load(ca_file, crl_dir));
//   switch (revocation->Check(*cert, clock->Now())) { ... }
#ifndef REGISTRY_SERVER_REVOCATION_H_
#define REGISTRY_SERVER_REVOCATION_H_

#include <openssl/x509.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "server/identity.h"
#include "server/polling_thread.h"
#include "server/reloadable.h"

namespace registry::server {

// The highest CRL number read for one CA, and the SHA-256 (lower-case hex of the DER) of the CRL
// in force at that number: "" when not known yet (a numbers file of the form before digests).
struct CrlNumberMark {
  std::string number;
  std::string sha256;
};

// Thread-safe.
class Revocation {
 public:
  enum class Verdict {
    kGood,
    kRevoked,
    // The certificate's issuer is a client CA without a current CRL.
    kNoCurrentCrl,
    // The certificate's issuer is not a client CA: unknown, withdrawn from the bundle, or a CA
    // that takes a client CA's name and key identifier without its key (the certificate's
    // signature does not verify against any client CA of that name).
    kIssuerNotClientCa,
  };

  // Reads the client CA bundle and every CRL in `crl_directory` ("": the client CAs alone, no
  // CRL is read and Check never says kRevoked nor kNoCurrentCrl), with the highest CRL numbers
  // kept in `numbers_file` ("": kept in memory only; a missing file: none yet). Fails when the
  // bundle cannot be read or holds no certificate, and when the numbers file is damaged
  // (DATA_LOSS); problems with the CRLs, and a numbers file that cannot be written, are reported
  // by Problems().
  static absl::StatusOr<std::unique_ptr<Revocation>> Load(std::string client_ca_file,
                                                          std::string crl_directory,
                                                          std::string numbers_file = "");
  // Load for a check that must write nothing of registryd's (registryd --check_config): the
  // numbers file is read and the CRLs are held to it as Load holds them (a CRL older than one
  // read before is refused in the same words; a damaged file fails naming the same file), but
  // the file is never written nor created, by this load or a Reload. A missing file: none yet.
  static absl::StatusOr<std::unique_ptr<Revocation>> LoadReadOnly(std::string client_ca_file,
                                                                  std::string crl_directory,
                                                                  std::string numbers_file);
  ~Revocation();

  // Whether a client CA in force signed `cert` and, with a CRL folder, whether that CA's CRL
  // in force lists it.
  Verdict Check(const ClientCertificate& cert, absl::Time now) const;

  // Whether CRLs are followed (a crl_directory was given).
  bool FollowsCrls() const { return !crl_dir_.empty(); }

  // Keeps at `path` the client CAs in force (PEM), for the TLS layer to read in place of
  // tls.client_ca_file, so that the handshake trusts no bundle this class refused (gRPC reads
  // the file it is given on its own, whoever wrote it). Written now and whenever a reload takes
  // a bundle whose CAs differ, whole (ReplaceFileDurably: a rename, mode 0600). A bundle whose
  // copy cannot be written is refused as one that cannot be read is: the CAs in force stay, in
  // the gate as in the copy. An error when the copy cannot be written now. Call once, before
  // StartWatching.
  absl::Status KeepTlsCopy(std::string path);

  // Re-reads the bundle and the folder. When the bundle cannot be read or holds no certificate,
  // the error is returned, the client CAs in force stay, and the folder is read again against
  // them all the same (its problems are in Problems()). Returns the error again at each reload
  // while the bundle stays refused.
  absl::Status Reload();

  // One line for each unusable CRL file and each client CA without a current CRL at `now`, for
  // the log (file names and CA subjects only). Empty when every client CA has a current CRL.
  std::vector<std::string> Problems(absl::Time now) const;
  // The subjects of the client CAs that have no current CRL at `now`.
  std::vector<std::string> CasWithoutCurrentCrl(absl::Time now) const;

  // Polls the bundle and the folder every `interval` and reloads when a file changes. Calls
  // `report` after each reload, and also when the set of CAs without a current CRL changes with
  // time (a CRL passed its nextUpdate), with the reload's status (the bundle's refusal while it
  // lasts, also on a report for time alone) and Problems(clock->Now()).
  void StartWatching(absl::Duration interval, const Clock* clock,
                     std::function<void(const absl::Status&, const std::vector<std::string>&)>
                         report);
  // Stops the watcher thread, if any. Idempotent; the destructor calls it.
  void StopWatching();

 private:
  struct Crl {
    std::string file;
    absl::Time this_update;
    absl::Time next_update;
    std::set<std::string> revoked;  // serials, upper-case hex
    std::string number;             // the crlNumber, upper-case hex without leading zeros; "" none
    std::string sha256;             // of the CRL's DER, lower-case hex
  };
  struct Ca {
    std::shared_ptr<X509> cert;
    std::string subject;
    std::vector<Crl> crls;            // usable CRLs, newest thisUpdate first
    std::vector<std::string> taints;  // why this CA has no current CRL whatever the time
    // The CRL in force at `now`, or nullptr.
    const Crl* Current(absl::Time now) const;
  };
  struct State {
    std::vector<Ca> cas;
    std::vector<std::string> file_problems;
    // The folder itself could not be listed: its problem says for every CA what "none in the
    // folder" would, once.
    bool folder_unread = false;
    // Why the bundle was refused, when `cas` are the ones in force before it; OK otherwise.
    absl::Status bundle_refused;
    // The bundle was refused because its copy for the TLS layer could not be written: a reason
    // of the moment, tried again at the next poll.
    bool copy_failed = false;
    // The indexes into `cas` of the CAs whose key verifies a certificate's signature and that
    // it names as issuer, by the certificate's fingerprint: verified once for these CAs.
    mutable absl::Mutex signers_mu;
    mutable absl::flat_hash_map<std::string, std::vector<size_t>> signers
        ABSL_GUARDED_BY(signers_mu);
    // The client CAs that signed `cert`, verified on the first call and cached.
    std::vector<size_t> SignersOf(const ClientCertificate& cert) const;
  };

  Revocation(std::string client_ca_file, std::string crl_directory, std::string numbers_file,
             bool write_numbers)
      : ca_file_(std::move(client_ca_file)),
        crl_dir_(std::move(crl_directory)),
        numbers_file_(std::move(numbers_file)),
        write_numbers_(write_numbers),
        state_([this] { return Stamp(); }, [this] { return Read(); }) {}
  // Load and LoadReadOnly.
  static absl::StatusOr<std::unique_ptr<Revocation>> LoadNumbers(std::string client_ca_file,
                                                                 std::string crl_directory,
                                                                 std::string numbers_file,
                                                                 bool write_numbers);
  absl::StatusOr<std::shared_ptr<const State>> Read() const;
  // Appends the client CAs of the bundle to `cas`; an error when it cannot be read or holds
  // no certificate.
  absl::Status ReadBundle(std::vector<Ca>* cas) const;
  // A string that changes when the bundle or any file of the folder changes.
  std::string Stamp() const;
  // Writes `cas` to the TLS layer's copy, if one is kept and they differ from what it holds.
  absl::Status CopyForTls(const std::vector<Ca>& cas) const;

  const std::string ca_file_;
  const std::string crl_dir_;
  const std::string numbers_file_;
  // False for LoadReadOnly: numbers_file_ is read, never written.
  const bool write_numbers_;
  // The highest CRL number read so far for each CA (the hash of its subject and key), and the
  // digest of the CRL in force at that number, across reloads and, through numbers_file_,
  // across restarts.
  mutable absl::Mutex numbers_mu_;
  mutable std::map<std::string, CrlNumberMark> highest_number_ ABSL_GUARDED_BY(numbers_mu_);
  // A change of highest_number_ that could not be written to numbers_file_ yet.
  mutable bool unsaved_numbers_ ABSL_GUARDED_BY(numbers_mu_) = false;
  // The TLS layer's copy of the client CAs in force (KeepTlsCopy), and what it holds.
  mutable absl::Mutex copy_mu_;
  std::string copy_path_ ABSL_GUARDED_BY(copy_mu_);
  mutable std::string copied_ ABSL_GUARDED_BY(copy_mu_);
  Reloadable<State> state_;
  PollingThread watcher_;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_REVOCATION_H_

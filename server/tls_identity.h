// The server's own certificate and key as registryd serves them over TLS.
//
// gRPC re-reads the files it is given every few seconds, checking nothing but that they parse:
// given tls.cert_file itself, it served whatever was put there while registryd ran, a CA's
// certificate (CA:TRUE) included, which start-up and --check_config refuse. So gRPC reads
// registryd's copy of the pair in force instead, and that copy is rewritten only with a pair
// that passes the checks of start-up: the certificate's (ServerCertificatePemProblems: a CA's,
// expired, not for serverAuth, naming no host, ...), that the key is the certificate's and no
// other local account's to read (ServerKeyModeProblem), and on reload that the certificate names
// every host name of the one in force. A refused pair leaves the previous one in force, and the
// reload's error says why, in start-up's words. The copies are removed at a clean stop; after a
// crash they stay (mode 0600, in registryd's own folder) until the next start writes them anew.
//
//   ASSIGN_OR_RETURN(auto served, TlsIdentity::Load(cert, key, copy_cert, copy_key, clock));
//   ... FileWatcherCertificateProvider(served->key_copy(), served->cert_copy(), ...)
#ifndef REGISTRY_SERVER_TLS_IDENTITY_H_
#define REGISTRY_SERVER_TLS_IDENTITY_H_

#include <openssl/x509.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "server/polling_thread.h"
#include "server/reloadable.h"

namespace registry::server {

// What --check_config, the start and a reload say of tls.key_file holding `key_pem`: "" when it
// is a PEM private key that belongs to `cert` (not compared when null). The key is read without
// ever asking for a passphrase: OpenSSL would ask on the terminal and hold the thread that reads
// it (on a reload, the one that waits for signals) until someone typed; an encrypted key is
// refused, saying so.
std::string ServerKeyPemProblem(const std::string& key_file, const std::string& key_pem,
                                const X509* cert);

// What --check_config, the start and a reload say of tls.key_file when any local account other
// than its owner and group may open it (a read, write or search bit for others, 0644 or 0666):
// whoever reads the server's key can pose as the registry to every official. "" when none may,
// or when it cannot be looked at (the read's error then says why). The group may read it: the
// packaged layout gives it to root, group registryd, mode 0640. The mode bits are judged, never
// access(): root may read any file. The one rule for the server's key, wherever it is read.
std::string ServerKeyModeProblem(const std::string& key_file);

// Start-up's check, before anything is opened, that tls.key_file is no other local account's to
// read (ServerKeyModeProblem) and holds the private key of the certificate in tls.cert_file:
// FailedPrecondition in the words a reload and --check_config use (ServerKeyPemProblem), or the
// read error naming the field. The certificate's own checks are ServerCertificateServes'.
absl::Status CheckServerKeyFile(const std::string& cert_file, const std::string& key_file);

// What a reload says of a certificate `new_pem` that does not name every host name and address
// of the subjectAltName of the certificate in force, `in_force_pem` (a DNS name the new one's
// names do not match, wildcards included; an address it does not hold): "" when it names them
// all. Such a certificate is another host's, or one whose names were mistyped; served, every
// client that reaches the registry by the missing name would fail its handshake. Start-up takes
// it (there is no certificate in force to compare with): a move to other names is a restart.
std::string HostNamesDroppedProblem(const std::string& in_force_pem, const std::string& new_pem);

// Thread-safe.
class TlsIdentity {
 public:
  // Reads tls.cert_file and tls.key_file, checks them as Reload does, and writes the copies
  // (ReplaceFileDurably: whole, mode 0600) at `cert_copy` and `key_copy`, which belong in a
  // folder held to registryd's owner and group. FailedPrecondition naming every problem when
  // the pair is refused; the copies' write error when they cannot be written.
  static absl::StatusOr<std::unique_ptr<TlsIdentity>> Load(std::string cert_file,
                                                           std::string key_file,
                                                           std::string cert_copy,
                                                           std::string key_copy,
                                                           const Clock* clock);
  // Removes the copies it wrote: they hold the server's private key. Destroy it only once the
  // TLS layer that reads them has stopped (RegistryServer's gRPC server is destroyed before it).
  ~TlsIdentity();

  const std::string& cert_copy() const { return cert_copy_; }
  const std::string& key_copy() const { return key_copy_; }

  // Reads the pair again. When it passes the checks and differs from the pair in force, the
  // copies are rewritten (the key first); otherwise nothing is written. When it is refused, the
  // pair in force stays and the error says why: every problem ServerCertificatePemProblems
  // finds, joined by "; " as start-up says them, or that the key is not the certificate's, or
  // that the certificate drops a host name of the one in force (HostNamesDroppedProblem).
  absl::Status Reload();

  // Polls the two files every `interval` and reloads when either changes; `report` gets each
  // reload's status.
  void StartWatching(absl::Duration interval, std::function<void(const absl::Status&)> report);
  // Stops the watcher thread, if any. Idempotent; the destructor calls it.
  void StopWatching();

 private:
  // The PEM bytes of the pair in force.
  struct Pair {
    std::string cert;
    std::string key;
  };

  TlsIdentity(std::string cert_file, std::string key_file, std::string cert_copy,
              std::string key_copy, const Clock* clock)
      : cert_file_(std::move(cert_file)),
        key_file_(std::move(key_file)),
        cert_copy_(std::move(cert_copy)),
        key_copy_(std::move(key_copy)),
        clock_(clock),
        pair_([this] { return FileStamp(cert_file_) + "|" + FileStamp(key_file_); },
              [this] { return Read(); }) {}

  // Reads and checks the pair, and writes the copies when it differs from the pair in force.
  absl::StatusOr<std::shared_ptr<const Pair>> Read();

  const std::string cert_file_;
  const std::string key_file_;
  const std::string cert_copy_;
  const std::string key_copy_;
  const Clock* const clock_;
  Reloadable<Pair> pair_;
  PollingThread watcher_;
  // Whether a copy was written (or its write tried), so that the destructor removes the copies:
  // a pair refused at start-up leaves alone any file of another registryd's at those paths.
  std::atomic<bool> wrote_copies_{false};
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_TLS_IDENTITY_H_

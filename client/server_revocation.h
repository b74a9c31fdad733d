// Whether the registry's own certificate is revoked, from the registry CA's revocation lists that
// the operator puts beside the CA file of a client's identity (crl.pem in the identity folder).
//
// A registry whose key leaked is withdrawn by revoking its certificate (docs/operations.md): the
// TLS handshake alone still takes the old certificate, so whoever holds that key could stand in
// for the registry and receive the personal numbers of the searches sent to it. The same holds
// for an intermediate CA between the registry CA and the server's certificate: revoking it
// withdraws every certificate it issued. With a crl.pem, CreateChannel (connection.h) refuses a
// server when the list names its certificate or any CA certificate of its chain, before anything
// is sent, and ExplainUnavailable says so. Without one, no revocation is checked nor said:
// whether to keep revocation lists in the officials' folders is the operator's choice. With or
// without one, it refuses a server whose own certificate is a CA's
// (ServerCertificateRefusedBecause), in the same way.
//
//   ASSIGN_OR_RETURN(std::optional<ServerCrls> crls, ReadServerCrls(settings, ca_pem));
//   if (crls && !crls->RevokedBecause(server_chain_pem).empty()) ...  // refuse
#ifndef REGISTRY_CLIENT_SERVER_REVOCATION_H_
#define REGISTRY_CLIENT_SERVER_REVOCATION_H_

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/connection.h"
#include "grpcpp/security/credentials.h"

namespace registry::client {

// The name of the file ReadServerCrls reads, in the folder of the CA file.
inline constexpr char kServerCrlFileName[] = "crl.pem";

// The revocations of the CAs of the CA file, from its crl.pem.
class ServerCrls {
 public:
  // The file they came from, as an error names it ("--identity var/dev/pki/clerk/crl.pem").
  const std::string& file() const { return file_; }

  // "" when no certificate of the server's chain is listed; else why it is refused, a sentence
  // naming the revoked certificate (serial and subject) and the file. `chain_pem` is what the
  // server presented, PEM, its own certificate first. The chain checked is that and the CA
  // certificates of the CA file that complete it up to the registry CA, so an intermediate CA is
  // checked whether the server sends it or the CA file holds it.
  std::string RevokedBecause(absl::string_view chain_pem) const;

 private:
  friend absl::StatusOr<std::optional<ServerCrls>> ReadServerCrls(
      const ConnectionSettings& settings, absl::string_view ca_pem);
  std::string file_;
  // The CA file's certificates (PEM), to complete the chain the server presented.
  std::string ca_pem_;
  // (issuer's subject in DER, serial in upper-case hex) of every revoked certificate.
  std::set<std::pair<std::string, std::string>> revoked_;
};

// The path of the CRL file for these settings: crl.pem in the folder of the CA file (the
// identity folder, for --identity).
std::string ServerCrlFile(const ConnectionSettings& settings);

// nullopt when there is no CRL file (nothing is checked). A usage error naming the file when it
// is there but cannot be used: unreadable, not PEM CRLs, or a CRL whose signature no CA of the CA
// file (`ca_pem`) verifies. Every CRL in it applies, also one past its nextUpdate: a revocation
// is for good, and a list that is late still names what it named.
//
// An intermediate CA's own CRL is such a usage error when the intermediate is not in the CA
// file, even though the server may present the intermediate: the file is checked before any
// connection, against what the official's folder trusts, not against certificates a server
// sends. Its CRL could not withdraw the intermediate itself either; the registry CA's CRL can,
// and is the one to put there (docs/operations.md).
absl::StatusOr<std::optional<ServerCrls>> ReadServerCrls(const ConnectionSettings& settings,
                                                         absl::string_view ca_pem);

// "" when the server's own certificate (the first of `chain_pem`, as the server presented it)
// is fit to be a server's; else why it is refused, a sentence naming the certificate (serial and
// subject): a CA's certificate (basicConstraints CA:TRUE) is no server's, even one the registry
// CA signed for the server's name and for serverAuth, since its key could sign certificates of
// its own, an official's or another server's. registryd refuses to serve one (at start and on
// reload); a server that presents one anyway is not taken for the registry.
std::string ServerCertificateRefusedBecause(absl::string_view chain_pem);

// Mutual-TLS channel credentials (the CA, the client certificate and its key, PEM) that verify
// the server's certificate and its name as grpc::SslCredentials does, and then refuse, before
// the connection carries anything, a server whose own certificate is a CA's
// (ServerCertificateRefusedBecause), and, with `crls`, one whose certificate, or a CA certificate
// of whose chain, they list.
std::shared_ptr<grpc::ChannelCredentials> CredentialsCheckingTheServer(
    const std::string& ca_pem, const std::string& cert_pem, const std::string& key_pem,
    std::optional<ServerCrls> crls);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_SERVER_REVOCATION_H_

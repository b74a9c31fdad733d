// Whether the registry's own certificate is revoked, from the registry CA's revocation lists that
// the operator puts beside the CA file of a client's identity (crl.pem in the identity folder).
//
// A registry whose key leaked is withdrawn by revoking its certificate (docs/operations.md): the
// TLS handshake alone still takes the old certificate, so whoever holds that key could stand in
// for the registry and receive the personal numbers of the searches sent to it. With a crl.pem,
// CreateChannel (connection.h) refuses a server whose certificate the list names before anything
// is sent, and ExplainUnavailable says so. Without one, nothing is checked and nothing is said:
// whether to keep revocation lists in the officials' folders is the operator's choice.
//
//   ASSIGN_OR_RETURN(std::optional<ServerCrls> crls, ReadServerCrls(settings, ca_pem));
//   if (crls && !crls->RevokedBecause(server_cert_pem).empty()) ...  // refuse
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

  // "" when `cert_pem` (the server's certificate, PEM) is not listed; else why it is refused,
  // a sentence naming the certificate and the file.
  std::string RevokedBecause(absl::string_view cert_pem) const;

 private:
  friend absl::StatusOr<std::optional<ServerCrls>> ReadServerCrls(
      const ConnectionSettings& settings, absl::string_view ca_pem);
  std::string file_;
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
absl::StatusOr<std::optional<ServerCrls>> ReadServerCrls(const ConnectionSettings& settings,
                                                         absl::string_view ca_pem);

// Mutual-TLS channel credentials (the CA, the client certificate and its key, PEM) that verify
// the server's certificate and its name as grpc::SslCredentials does, and then refuse, before
// the connection carries anything, a server whose certificate `crls` list.
std::shared_ptr<grpc::ChannelCredentials> CredentialsRefusingRevokedServers(
    const std::string& ca_pem, const std::string& cert_pem, const std::string& key_pem,
    ServerCrls crls);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_SERVER_REVOCATION_H_

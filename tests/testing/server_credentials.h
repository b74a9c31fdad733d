// The credentials of a fake registry in a test: the test PKI's server identity over mutual TLS,
// client certificates required and verified against the registry CA, as registryd serves.
//
//   grpc::ServerBuilder builder;
//   builder.AddListeningPort("127.0.0.1:0", testing::RegistryServerCredentials(), &port);
#ifndef REGISTRY_TESTS_TESTING_SERVER_CREDENTIALS_H_
#define REGISTRY_TESTS_TESTING_SERVER_CREDENTIALS_H_

#include <memory>

#include "grpcpp/security/server_credentials.h"
#include "tests/testing/test_pki.h"

namespace registry::testing {

inline std::shared_ptr<grpc::ServerCredentials> RegistryServerCredentials() {
  const TestPki& pki = TestPki::Get();
  const TestPki::Identity server = pki.LoadIdentity("server");
  grpc::SslServerCredentialsOptions tls(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  tls.pem_root_certs = pki.CaPem();
  tls.pem_key_cert_pairs.push_back({server.key_pem, server.cert_pem});
  return grpc::SslServerCredentials(tls);
}

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_SERVER_CREDENTIALS_H_

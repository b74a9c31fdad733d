// The credentials of a fake registry in a test: the test PKI's server identity over mutual TLS,
// client certificates required and verified against the registry CA, as registryd serves.
//
//   int port = 0;
//   std::unique_ptr<grpc::Server> server = testing::StartFakeRegistry({&records}, &port);
#ifndef REGISTRY_TESTS_TESTING_SERVER_CREDENTIALS_H_
#define REGISTRY_TESTS_TESTING_SERVER_CREDENTIALS_H_

#include <initializer_list>
#include <memory>

#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
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

// A fake registry on 127.0.0.1:0 with RegistryServerCredentials, serving `services`; `*port` is
// set to the port it listens on. Null when it did not start.
inline std::unique_ptr<grpc::Server> StartFakeRegistry(
    std::initializer_list<grpc::Service*> services, int* port) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", RegistryServerCredentials(), port);
  for (grpc::Service* service : services) builder.RegisterService(service);
  return builder.BuildAndStart();
}

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_SERVER_CREDENTIALS_H_

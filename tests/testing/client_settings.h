// The connection settings of a test PKI identity for a registry at an address, as registry-cli
// makes them from --identity and --server.
#ifndef REGISTRY_TESTS_TESTING_CLIENT_SETTINGS_H_
#define REGISTRY_TESTS_TESTING_CLIENT_SETTINGS_H_

#include <string>

#include "client/connection.h"
#include "tests/testing/test_pki.h"

namespace registry::testing {

// `identity`: a folder of the test PKI ("clerk", "court", ...).
inline client::ConnectionSettings IdentitySettingsAt(const std::string& address,
                                                     const std::string& identity = "clerk") {
  client::ConnectionSettings settings;
  settings.server = address;
  const std::string dir = TestPki::Get().dir() + "/" + identity;
  settings.ca_file = dir + "/ca.pem";
  settings.cert_file = dir + "/cert.pem";
  settings.key_file = dir + "/key.pem";
  return settings;
}

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_CLIENT_SETTINGS_H_

// The files of a complete registryd installation in a folder, from the test PKI, for tests that
// run start-up, --check_config or the offline modes on a config file as an operator writes one.
//
//   WriteInstallationFiles(dir_);
//   WriteFile(dir_ + "/registryd.json", InstallationConfig("127.0.0.1:0", ""));
#ifndef REGISTRY_TESTS_TESTING_INSTALLATION_H_
#define REGISTRY_TESTS_TESTING_INSTALLATION_H_

#include <string>

namespace registry::testing {

// Writes into `dir` (which exists): tls/ca.pem, tls/cert.pem, tls/key.pem (0600) and crl/ (the
// test PKI's CRLs), keys.json (a new key file) and policy.json (the development policy). Each new
// file but the key gets 0644, as a umask of 022 makes it, whatever the umask. Fails the test
// when one cannot be written.
void WriteInstallationFiles(const std::string& dir);

// registryd.json of such an installation, the paths relative to it, listening at `listen`, with
// `more` (`, "field": ...`, or "") added at the end.
std::string InstallationConfig(const std::string& listen, const std::string& more);

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_INSTALLATION_H_

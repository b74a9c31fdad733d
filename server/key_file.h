// The key file (proto registry.v1.KeyFile, JSON): versioned KEKs and the derivation root.
//
// registryd refuses to start when the file is missing, malformed, or readable or writable by
// group or others. Rotation adds a KEK version and rewrites the file atomically (temp file, fsync,
// rename), keeping mode 0600.
//
//   ASSIGN_OR_RETURN(KeyMaterial keys, LoadKeyFile("/etc/registry/keys.json"));
//   keys.keyring->WrapDek(dek, record_id);
#ifndef REGISTRY_SERVER_KEY_FILE_H_
#define REGISTRY_SERVER_KEY_FILE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crypto/keyring.h"
#include "crypto/secret_bytes.h"
#include "registry/v1/keyfile.pb.h"

namespace registry::server {

struct KeyMaterial {
  std::unique_ptr<crypto::Keyring> keyring;
  crypto::SecretBytes derivation_root;
};

// Reads and checks the key file. FailedPrecondition when its mode allows group/other access;
// NotFound when missing; InvalidArgument when malformed (messages never contain key bytes).
absl::StatusOr<registry::v1::KeyFile> ReadKeyFile(const std::string& path);

// Builds the keyring and derivation root from a parsed key file.
absl::StatusOr<KeyMaterial> KeyMaterialFrom(const registry::v1::KeyFile& file);

// ReadKeyFile + KeyMaterialFrom.
absl::StatusOr<KeyMaterial> LoadKeyFile(const std::string& path);

// Writes `file` atomically with mode 0600. Refuses to overwrite unless `overwrite`.
absl::Status WriteKeyFile(const std::string& path, const registry::v1::KeyFile& file,
                          bool overwrite);

// A new key file: one random KEK (version 1) and a random derivation root.
absl::StatusOr<registry::v1::KeyFile> GenerateKeyFile(absl::Time now);

// Adds a random KEK with the next version and makes it current. Returns the new version.
absl::StatusOr<uint32_t> AddKek(registry::v1::KeyFile* file, absl::Time now);

// Removes KEK `version` (never the current one).
absl::Status RemoveKek(registry::v1::KeyFile* file, uint32_t version);

}  // namespace registry::server

#endif  // REGISTRY_SERVER_KEY_FILE_H_

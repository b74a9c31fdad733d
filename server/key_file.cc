#include "server/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/durable_file.h"
#include "common/json_keys.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "google/protobuf/util/json_util.h"
#include "server/config.h"

namespace registry::server {

absl::StatusOr<registry::v1::KeyFile> ReadKeyFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int error = errno;
    // A missing key file at a later start is one to put back, not to make anew: a new key file
    // opens none of the data, the backups or the erasure ledger written with the lost one.
    return absl::NotFoundError(absl::StrCat(
        "key file ", path, ": ", std::strerror(error),
        error != ENOENT
            ? ""
            : ": put back this installation's key file from the key custody copies "
              "(`registryd --key_file_record FILE` prints a copy's key check value, which must be "
              "the one on the key ceremony's paper record); --generate_key_file is only for a new "
              "installation, whose database is empty"));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat("key file ", path, " is not a file"));
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("key file ", path, " is accessible by group or others (mode ",
                     absl::StrFormat("%04o", st.st_mode & 07777), "); chmod 600 it"));
  }
  ASSIGN_OR_RETURN(std::string json, ReadFile(path));
  registry::v1::KeyFile file;
  // A key given twice would be merged (a second "keks" list added to the first) or the last one
  // kept, where a person reading the file takes one of them. The problem names the key's path,
  // never a value.
  if (std::string repeated = RepeatedKeyProblem(json, *file.GetDescriptor()); !repeated.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("key file ", path, " is not a valid KeyFile: ", repeated));
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  if (!google::protobuf::util::JsonStringToMessage(json, &file, options).ok()) {
    // The parser's message may quote input, which is key material: keep it out. What the file
    // must be is said instead; a PEM file there (a TLS key, such as an identity's key.pem) is
    // named as one.
    return absl::InvalidArgumentError(absl::StrCat(
        "key file ", path, " is not a valid KeyFile: ",
        absl::StrContains(json, "-----BEGIN ") ? "it is a PEM file (a TLS key or certificate); "
                                                : "",
        "key_file names the JSON file that `registryd --generate_key_file` writes"));
  }
  return file;
}

absl::StatusOr<KeyMaterial> KeyMaterialFrom(const registry::v1::KeyFile& file) {
  if (file.derivation_root().size() != 32) {
    return absl::InvalidArgumentError("key file: derivation_root must be 32 bytes");
  }
  std::vector<std::pair<uint32_t, crypto::SecretBytes>> keks;
  for (const auto& k : file.keks()) {
    if (k.key().size() != 32) {
      return absl::InvalidArgumentError(
          absl::StrCat("key file: KEK version ", k.version(), " must be 32 bytes"));
    }
    keks.emplace_back(k.version(), crypto::SecretBytes(k.key()));
  }
  auto keyring = crypto::Keyring::Create(std::move(keks), file.current_kek_version());
  if (!keyring.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("key file: ", keyring.status().message()));
  }
  KeyMaterial m;
  m.keyring = *std::move(keyring);
  m.derivation_root = crypto::SecretBytes(file.derivation_root());
  return m;
}

absl::StatusOr<KeyMaterial> LoadKeyFile(const std::string& path) {
  ASSIGN_OR_RETURN(registry::v1::KeyFile file, ReadKeyFile(path));
  return KeyMaterialFrom(file);
}

absl::Status WriteKeyFile(const std::string& path, const registry::v1::KeyFile& file,
                          bool overwrite) {
  if (!overwrite && ::access(path.c_str(), F_OK) == 0) {
    return absl::AlreadyExistsError(absl::StrCat("key file ", path, " exists"));
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(file, &json, options).ok()) {
    return absl::InternalError("cannot encode key file");
  }
  // A rotation re-wraps data keys under the new KEK right after this returns: a power loss that
  // brought back the old file would make them unreadable, hence the durable replace.
  const absl::Status written = ReplaceFileDurably(path, json);
  // Scrub the in-memory copy of the keys.
  std::fill(json.begin(), json.end(), '\0');
  if (!written.ok()) {
    return absl::UnavailableError(absl::StrCat("cannot write key file ", path, ": ",
                                               written.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> AddKek(registry::v1::KeyFile* file, absl::Time now) {
  uint32_t next = 1;
  for (const auto& k : file->keks()) next = std::max(next, k.version() + 1);
  ASSIGN_OR_RETURN(crypto::SecretBytes key, crypto::SecretBytes::Random(32));
  auto* kek = file->add_keks();
  kek->set_version(next);
  kek->set_key(std::string(key.view()));
  kek->set_created_at(FormatInstant(now));
  file->set_current_kek_version(next);
  return next;
}

absl::Status RemoveKek(registry::v1::KeyFile* file, uint32_t version) {
  if (version == file->current_kek_version()) {
    return absl::FailedPreconditionError("cannot remove the current KEK");
  }
  auto* keks = file->mutable_keks();
  for (int i = 0; i < keks->size(); ++i) {
    if (keks->Get(i).version() == version) {
      keks->DeleteSubrange(i, 1);
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError(absl::StrCat("no KEK version ", version));
}

absl::StatusOr<registry::v1::KeyFile> GenerateKeyFile(absl::Time now) {
  registry::v1::KeyFile file;
  ASSIGN_OR_RETURN(crypto::SecretBytes root, crypto::SecretBytes::Random(32));
  file.set_derivation_root(std::string(root.view()));
  RETURN_IF_ERROR(AddKek(&file, now).status());
  return file;
}

}  // namespace registry::server

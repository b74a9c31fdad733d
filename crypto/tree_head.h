// The signed tree head (STH): the audit log server's signed statement "my log, named log_id, had
// tree_size leaves and this Merkle root (merkle.h) at this time". The server signs the bytes
// built here with Ed25519 (ed25519.h); an auditor's client rebuilds the same bytes from the head
// it received and checks the signature before trusting the root for inclusion and consistency
// proofs, or the log id for telling one log from another.
//
//   ASSIGN_OR_RETURN(std::string message,
//                    TreeHeadSigningBytes(log_id, range.size(), now_micros, range.Root(), key_id));
//   ASSIGN_OR_RETURN(std::string signature, signer->Sign(message));
//
// Signed bytes, in order (70 + len(log_id) + len(key_id) bytes, at most 580):
//   offset  size  field
//   0       19    ASCII "KJC-REGISTRY-STH-V2" (the format's name and version; no terminator)
//   19      1     0x0A (line feed), ending the name
//   20      1     len(log_id), 1..255
//   21      L     log_id, the log's name, raw bytes
//   21+L    8     tree_size, unsigned 64-bit big-endian
//   29+L    8     timestamp_micros, microseconds since the Unix epoch (UTC), unsigned 64-bit
//                 big-endian
//   37+L    32    root_hash, the RFC 6962 Merkle Tree Hash of the first tree_size leaves
//   69+L    1     len(key_id), 1..255
//   70+L    len   key_id, the signing key's id, raw bytes
// Every field has a fixed size or an explicit length, so two different heads never share signed
// bytes; the versioned name keeps these signatures apart from any other message signed with the
// same key, the heads of version 1 (which named no log) included.
#ifndef REGISTRY_CRYPTO_TREE_HEAD_H_
#define REGISTRY_CRYPTO_TREE_HEAD_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace registry::crypto {

// The format name and version at the start of the signed bytes (the 0x0A that follows is not
// part of it).
inline constexpr absl::string_view kTreeHeadFormat = "KJC-REGISTRY-STH-V2";

// Size of the root hash field.
inline constexpr size_t kTreeHeadRootHashSize = 32;

// key_id and log_id are between 1 and this many bytes, so each length fits its one-byte field.
inline constexpr size_t kTreeHeadMaxKeyIdSize = 255;
inline constexpr size_t kTreeHeadMaxLogIdSize = 255;

// Returns the bytes to sign (or to verify a signature over) for a tree head, laid out as above.
// Fails with InvalidArgument when root_hash is not 32 bytes or log_id or key_id is empty or
// longer than 255 bytes: such a head cannot be encoded unambiguously (and on the client these
// fields come off the wire).
absl::StatusOr<std::string> TreeHeadSigningBytes(absl::string_view log_id, uint64_t tree_size,
                                                 uint64_t timestamp_micros,
                                                 absl::string_view root_hash,
                                                 absl::string_view key_id);

}  // namespace registry::crypto

#endif  // REGISTRY_CRYPTO_TREE_HEAD_H_

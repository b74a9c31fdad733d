// The signed tree head (STH): the audit log server's signed statement "my Merkle tree (merkle.h)
// had tree_size leaves and this root hash at this time". The server signs the bytes built here
// with Ed25519 (ed25519.h); an auditor's client rebuilds the same bytes from the head it received
// and checks the signature before trusting the root for inclusion and consistency proofs.
//
//   ASSIGN_OR_RETURN(std::string message,
//                    TreeHeadSigningBytes(range.size(), now_micros, range.Root(), key_id));
//   ASSIGN_OR_RETURN(std::string signature, signer->Sign(message));
//
// Signed bytes, in order (69 + len(key_id) bytes, at most 324):
//   offset  size  field
//   0       19    ASCII "KJC-REGISTRY-STH-V1" (the format's name and version; no terminator)
//   19      1     0x0A (line feed), ending the name
//   20      8     tree_size, unsigned 64-bit big-endian
//   28      8     timestamp_micros, microseconds since the Unix epoch (UTC), unsigned 64-bit
//                 big-endian
//   36      32    root_hash, the RFC 6962 Merkle Tree Hash of the first tree_size leaves
//   68      1     len(key_id), 1..255
//   69      len   key_id, the signing key's id, raw bytes
// Every field has a fixed size or an explicit length, so two different heads never share signed
// bytes; the versioned name keeps these signatures apart from any other message signed with the
// same key.
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
inline constexpr absl::string_view kTreeHeadFormat = "KJC-REGISTRY-STH-V1";

// Size of the root hash field.
inline constexpr size_t kTreeHeadRootHashSize = 32;

// key_id is between 1 and this many bytes, so its length fits the one-byte length field.
inline constexpr size_t kTreeHeadMaxKeyIdSize = 255;

// Returns the bytes to sign (or to verify a signature over) for a tree head, laid out as above.
// Fails with InvalidArgument when root_hash is not 32 bytes or key_id is empty or longer than
// 255 bytes: such a head cannot be encoded unambiguously (and on the client these fields come
// off the wire).
absl::StatusOr<std::string> TreeHeadSigningBytes(uint64_t tree_size, uint64_t timestamp_micros,
                                                 absl::string_view root_hash,
                                                 absl::string_view key_id);

}  // namespace registry::crypto

#endif  // REGISTRY_CRYPTO_TREE_HEAD_H_

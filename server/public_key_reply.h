// The reply of GetVettingPublicKey and GetAuditPublicKey: a signer's key id, raw Ed25519 public
// key and PEM, filled in one place so both services describe their keys the same way.
#ifndef REGISTRY_SERVER_PUBLIC_KEY_REPLY_H_
#define REGISTRY_SERVER_PUBLIC_KEY_REPLY_H_

#include "crypto/ed25519.h"
#include "registry/v1/vetting.pb.h"

namespace registry::server {

inline void FillPublicKey(const crypto::Ed25519Signer& signer, registry::v1::PublicKey* out) {
  out->set_key_id(signer.key_id());
  out->set_ed25519(signer.public_key());
  out->set_pem(signer.PublicKeyPem());
}

}  // namespace registry::server

#endif  // REGISTRY_SERVER_PUBLIC_KEY_REPLY_H_

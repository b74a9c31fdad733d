// X.509 names and serial numbers as text, as `openssl` shows them, for messages that name a
// certificate or a CRL entry to an operator.
//
//   std::string issuer = DistinguishedName(X509_CRL_get_issuer(crl));  // "CN=...,O=..."
//   std::string serial = SerialHex(X509_get0_serialNumber(cert));      // "1A2B"
#ifndef REGISTRY_CRYPTO_X509_TEXT_H_
#define REGISTRY_CRYPTO_X509_TEXT_H_

#include <string>

#include "openssl/asn1.h"
#include "openssl/x509.h"

namespace registry::crypto {

// `name` in RFC 2253 form ("CN=...,O=..."); "?" when it cannot be printed, "(empty subject)"
// when it has no attribute.
std::string DistinguishedName(const X509_NAME* name);

// Upper-case hex of a serial number without leading zeros, as `openssl x509 -serial` prints it;
// "" when it cannot be converted.
std::string SerialHex(const ASN1_INTEGER* serial);

}  // namespace registry::crypto

#endif  // REGISTRY_CRYPTO_X509_TEXT_H_

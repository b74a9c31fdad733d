#include "crypto/ed25519.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "crypto/hash.h"
#include "gtest/gtest.h"

namespace registry::crypto {
namespace {

std::string Unhex(absl::string_view hex) { return absl::HexStringToBytes(hex); }

struct Rfc8032Vector {
  const char* name;
  const char* secret_key;
  const char* public_key;
  const char* message;
  const char* signature;
};

// RFC 8032 section 7.1, TEST 1-3.
const Rfc8032Vector kVectors[] = {
    {"TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
};

std::unique_ptr<Ed25519Signer> SignerFor(const Rfc8032Vector& v) {
  auto signer = Ed25519Signer::FromSeed(SecretBytes(Unhex(v.secret_key)));
  EXPECT_TRUE(signer.ok()) << signer.status();
  return signer.ok() ? *std::move(signer) : nullptr;
}

TEST(Ed25519Test, MatchesRfc8032Vectors) {
  for (const Rfc8032Vector& v : kVectors) {
    SCOPED_TRACE(v.name);
    auto signer = SignerFor(v);
    ASSERT_NE(signer, nullptr);
    EXPECT_EQ(absl::BytesToHexString(signer->public_key()), v.public_key);
    auto signature = signer->Sign(Unhex(v.message));
    ASSERT_TRUE(signature.ok()) << signature.status();
    EXPECT_EQ(absl::BytesToHexString(*signature), v.signature);
    EXPECT_TRUE(Ed25519Verify(Unhex(v.public_key), Unhex(v.message), Unhex(v.signature)).ok());
  }
}

TEST(Ed25519Test, VerifyFailsWhenAnySignatureBitIsFlipped) {
  const Rfc8032Vector& v = kVectors[2];
  const std::string signature = Unhex(v.signature);
  for (size_t i = 0; i < signature.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string changed = signature;
      changed[i] ^= static_cast<char>(1 << bit);
      absl::Status s = Ed25519Verify(Unhex(v.public_key), Unhex(v.message), changed);
      ASSERT_EQ(s.code(), absl::StatusCode::kDataLoss) << i << ":" << bit;
      EXPECT_EQ(s.message(), "signature verification failed");
    }
  }
}

TEST(Ed25519Test, VerifyFailsWhenMessageOrKeyDiffers) {
  const Rfc8032Vector& v = kVectors[2];
  EXPECT_EQ(Ed25519Verify(Unhex(v.public_key), Unhex("af83"), Unhex(v.signature)).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(Ed25519Verify(Unhex(v.public_key), Unhex("af8200"), Unhex(v.signature)).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(
      Ed25519Verify(Unhex(kVectors[0].public_key), Unhex(v.message), Unhex(v.signature)).code(),
      absl::StatusCode::kDataLoss);
}

TEST(Ed25519Test, VerifyRejectsWrongSizes) {
  const Rfc8032Vector& v = kVectors[0];
  const std::string key = Unhex(v.public_key);
  const std::string sig = Unhex(v.signature);
  EXPECT_EQ(Ed25519Verify(key.substr(1), "", sig).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Ed25519Verify(key + "x", "", sig).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Ed25519Verify(key, "", sig.substr(1)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Ed25519Verify(key, "", sig + "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Ed25519Verify(key, "", "").code(), absl::StatusCode::kInvalidArgument);
}

TEST(Ed25519Test, FromSeedRejectsWrongSize) {
  for (size_t n : {0, 31, 33, 64}) {
    EXPECT_EQ(Ed25519Signer::FromSeed(SecretBytes(std::string(n, 's'))).status().code(),
              absl::StatusCode::kInvalidArgument)
        << n;
  }
}

TEST(Ed25519Test, KeyIdIsHexOfFirstEightBytesOfSha256) {
  auto signer = SignerFor(kVectors[0]);
  ASSERT_NE(signer, nullptr);
  // SHA-256 of the TEST 1 public key begins 21fe31dfa154a261 (computed with Python's hashlib).
  EXPECT_EQ(signer->key_id(), "21fe31dfa154a261");
  EXPECT_EQ(Ed25519KeyId(Unhex(kVectors[0].public_key)), "21fe31dfa154a261");
  const std::string pk = Unhex(kVectors[1].public_key);
  EXPECT_EQ(Ed25519KeyId(pk), absl::BytesToHexString(Sha256(pk).substr(0, 8)));
  EXPECT_EQ(Ed25519KeyId(pk).size(), kEd25519KeyIdSize);
}

TEST(Ed25519Test, PublicKeyPemIsSubjectPublicKeyInfo) {
  auto signer = SignerFor(kVectors[0]);
  ASSERT_NE(signer, nullptr);
  // SPKI = 302a300506032b6570032100 || raw key, base64.
  EXPECT_EQ(signer->PublicKeyPem(),
            "-----BEGIN PUBLIC KEY-----\n"
            "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
            "-----END PUBLIC KEY-----\n");
  auto raw = Ed25519PublicKeyFromPem(signer->PublicKeyPem());
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(*raw, signer->public_key());
}

TEST(Ed25519Test, PublicKeyFromPemRejectsOtherInput) {
  EXPECT_EQ(Ed25519PublicKeyFromPem("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Ed25519PublicKeyFromPem("not a key").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Ed25519PublicKeyFromPem(std::string(5000, 'A')).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A P-256 public key: valid PEM, wrong algorithm.
  constexpr char kP256[] =
      "-----BEGIN PUBLIC KEY-----\n"
      "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEz8STwPSnVGLCxRCanX9xfQmXKRQS\n"
      "/8lq0fIq2/YTvgrWQMBIx23Aqq1pIVABcK+mK6vXTGYH6afeWDvkje9Wgg==\n"
      "-----END PUBLIC KEY-----\n";
  auto raw = Ed25519PublicKeyFromPem(kP256);
  EXPECT_EQ(raw.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(raw.status().message(), "PEM public key is not Ed25519");
  // A truncated Ed25519 block.
  EXPECT_EQ(Ed25519PublicKeyFromPem("-----BEGIN PUBLIC KEY-----\n"
                                    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7h\n"
                                    "-----END PUBLIC KEY-----\n")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Ed25519Test, ConcurrentSigningGivesTheSameSignature) {
  auto signer = SignerFor(kVectors[2]);
  ASSERT_NE(signer, nullptr);
  constexpr int kThreads = 4;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        auto sig = signer->Sign(Unhex(kVectors[2].message));
        if (!sig.ok() || absl::BytesToHexString(*sig) != kVectors[2].signature) ++mismatches[t];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << t;
}

}  // namespace
}  // namespace registry::crypto

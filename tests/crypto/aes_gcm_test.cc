#include "crypto/aes_gcm.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "tests/testing/threads.h"

namespace registry::crypto {
namespace {

std::string Unhex(absl::string_view hex) { return absl::HexStringToBytes(hex); }

struct GcmVector {
  const char* name;
  const char* key;
  const char* iv;
  const char* plaintext;
  const char* aad;
  const char* ciphertext;
  const char* tag;
};

// AES-256 test cases 13-16 of McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)",
// appendix B (also in NIST's GCM validation vectors).
constexpr char kKey15[] = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
constexpr char kPlain15[] =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
constexpr char kCipher15[] =
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad";
constexpr char kPlain16[] =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
constexpr char kCipher16[] =
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";

const GcmVector kVectors[] = {
    {"TestCase13", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"TestCase14", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "00000000000000000000000000000000", "",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"TestCase15", kKey15, "cafebabefacedbaddecaf888", kPlain15, "", kCipher15,
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"TestCase16", kKey15, "cafebabefacedbaddecaf888", kPlain16,
     "feedfacedeadbeeffeedfacedeadbeefabaddad2", kCipher16, "76fc6ece0f4e1768cddf8853bb2d551b"},
};

TEST(AesGcmSealTest, MatchesKnownAnswers) {
  for (const GcmVector& v : kVectors) {
    SCOPED_TRACE(v.name);
    auto sealed =
        AesGcmSeal(SecretBytes(Unhex(v.key)), Unhex(v.iv), Unhex(v.plaintext), Unhex(v.aad));
    ASSERT_TRUE(sealed.ok()) << sealed.status();
    EXPECT_EQ(absl::BytesToHexString(*sealed), std::string(v.ciphertext) + v.tag);
  }
}

TEST(AesGcmOpenTest, MatchesKnownAnswers) {
  for (const GcmVector& v : kVectors) {
    SCOPED_TRACE(v.name);
    auto plain = AesGcmOpen(SecretBytes(Unhex(v.key)), Unhex(v.iv),
                            Unhex(std::string(v.ciphertext) + v.tag), Unhex(v.aad));
    ASSERT_TRUE(plain.ok()) << plain.status();
    EXPECT_EQ(absl::BytesToHexString(*plain), v.plaintext);
  }
}

TEST(AesGcmOpenTest, FailsWhenAnyBitOfKnownAnswerIsFlipped) {
  const GcmVector& v = kVectors[3];
  const SecretBytes key(Unhex(v.key));
  const std::string sealed = Unhex(std::string(v.ciphertext) + v.tag);
  for (size_t i = 0; i < sealed.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string changed = sealed;
      changed[i] ^= static_cast<char>(1 << bit);
      auto plain = AesGcmOpen(key, Unhex(v.iv), changed, Unhex(v.aad));
      ASSERT_EQ(plain.status().code(), absl::StatusCode::kDataLoss) << i << ":" << bit;
      EXPECT_EQ(plain.status().message(), "authentication failed");
    }
  }
}

TEST(AesGcmOpenTest, FailsWhenAadOrNonceDiffers) {
  const GcmVector& v = kVectors[3];
  const SecretBytes key(Unhex(v.key));
  const std::string sealed = Unhex(std::string(v.ciphertext) + v.tag);
  std::string aad = Unhex(v.aad);
  aad.back() ^= 0x01;
  EXPECT_EQ(AesGcmOpen(key, Unhex(v.iv), sealed, aad).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(AesGcmOpen(key, Unhex(v.iv), sealed, "").status().code(), absl::StatusCode::kDataLoss);
  std::string iv = Unhex(v.iv);
  iv[0] ^= 0x01;
  EXPECT_EQ(AesGcmOpen(key, iv, sealed, Unhex(v.aad)).status().code(), absl::StatusCode::kDataLoss);
}

TEST(AesGcmOpenTest, FailsWhenShorterThanTag) {
  const SecretBytes key(std::string(32, 'k'));
  const std::string nonce(12, 'n');
  for (size_t n = 0; n < kAesGcmTagSize; ++n) {
    EXPECT_EQ(AesGcmOpen(key, nonce, std::string(n, 'x'), "").status().code(),
              absl::StatusCode::kDataLoss)
        << n;
  }
}

TEST(AesGcmSealTest, RejectsWrongKeyOrNonceSize) {
  const std::string nonce(12, 'n');
  EXPECT_EQ(AesGcmSeal(SecretBytes(std::string(16, 'k')), nonce, "p", "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AesGcmSeal(SecretBytes(), nonce, "p", "").status().code(),
            absl::StatusCode::kInvalidArgument);
  const SecretBytes key(std::string(32, 'k'));
  EXPECT_EQ(AesGcmSeal(key, std::string(11, 'n'), "p", "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AesGcmSeal(key, std::string(16, 'n'), "p", "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AesGcmOpen(SecretBytes(std::string(24, 'k')), nonce, std::string(16, 't'), "")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AesGcmTest, CreateAcceptsOnly32ByteKeys) {
  EXPECT_TRUE(AesGcm::Create(SecretBytes(std::string(32, 'k'))).ok());
  for (size_t n : {0, 16, 24, 31, 33, 64}) {
    EXPECT_EQ(AesGcm::Create(SecretBytes(std::string(n, 'k'))).status().code(),
              absl::StatusCode::kInvalidArgument)
        << n;
  }
}

class AesGcmAeadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto aead = AesGcm::Create(SecretBytes(Unhex(kKey15)));
    ASSERT_TRUE(aead.ok()) << aead.status();
    aead_ = *std::move(aead);
  }
  std::unique_ptr<AesGcm> aead_;
};

TEST_F(AesGcmAeadTest, EncryptThenDecryptRoundTrips) {
  for (const std::string& plain : {std::string(), std::string("x"), std::string(1000, 'p')}) {
    auto ct = aead_->Encrypt(plain, "record-1");
    ASSERT_TRUE(ct.ok()) << ct.status();
    EXPECT_EQ(ct->size(), kAesGcmNonceSize + plain.size() + kAesGcmTagSize);
    auto back = aead_->Decrypt(*ct, "record-1");
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, plain);
  }
}

// One AesGcm reuses its OpenSSL contexts from message to message: a failed opening (whose
// context is dropped) leaves the next ones right, and no message is opened with state that
// another left behind.
TEST_F(AesGcmAeadTest, MessagesAfterAFailedOneOpenAsBefore) {
  auto first = aead_->Encrypt("first", "ad-1");
  auto second = aead_->Encrypt(std::string(300, 's'), "ad-2");
  ASSERT_TRUE(first.ok() && second.ok());
  for (int round = 0; round < 3; ++round) {
    std::string damaged = *first;
    damaged.back() ^= 0x01;
    EXPECT_EQ(aead_->Decrypt(damaged, "ad-1").status().code(), absl::StatusCode::kDataLoss);
    EXPECT_EQ(aead_->Decrypt(*second, "ad-1").status().code(), absl::StatusCode::kDataLoss);
    auto a = aead_->Decrypt(*first, "ad-1");
    auto b = aead_->Decrypt(*second, "ad-2");
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ(*a, "first");
    EXPECT_EQ(*b, std::string(300, 's'));
  }
}

// Threads sharing one AesGcm each seal and open their own messages; every one round-trips, and
// a ciphertext opened under another thread's associated data fails.
TEST_F(AesGcmAeadTest, ThreadsSharingOneKeySealAndOpenTheirOwnMessages) {
  constexpr int kThreads = 8;
  const std::vector<int> wrong = testing::CountOnThreads(kThreads, [&](int t) {
    int mistakes = 0;
    const std::string ad = "thread-" + std::to_string(t);
    const std::string other_ad = "thread-" + std::to_string((t + 1) % kThreads);
    for (int i = 0; i < 200; ++i) {
      const std::string plain(static_cast<size_t>(i % 97), static_cast<char>('a' + t));
      auto ct = aead_->Encrypt(plain, ad);
      if (!ct.ok()) {
        ++mistakes;
        continue;
      }
      auto back = aead_->Decrypt(*ct, ad);
      if (!back.ok() || *back != plain) ++mistakes;
      if (aead_->Decrypt(*ct, other_ad).ok()) ++mistakes;
    }
    return mistakes;
  });
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
}

TEST_F(AesGcmAeadTest, EncryptLaysOutNonceCiphertextTag) {
  auto ct = aead_->Encrypt("hello", "ad");
  ASSERT_TRUE(ct.ok()) << ct.status();
  auto plain = AesGcmOpen(SecretBytes(Unhex(kKey15)), ct->substr(0, kAesGcmNonceSize),
                          ct->substr(kAesGcmNonceSize), "ad");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(*plain, "hello");
}

TEST_F(AesGcmAeadTest, EncryptUsesFreshNonces) {
  auto a = aead_->Encrypt("same", "ad");
  auto b = aead_->Encrypt("same", "ad");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->substr(0, kAesGcmNonceSize), b->substr(0, kAesGcmNonceSize));
  EXPECT_NE(*a, *b);
}

TEST_F(AesGcmAeadTest, DecryptFailsWhenAnyByteChanges) {
  auto ct = aead_->Encrypt("personal data", "record-1");
  ASSERT_TRUE(ct.ok()) << ct.status();
  for (size_t i = 0; i < ct->size(); ++i) {
    std::string changed = *ct;
    changed[i] ^= 0x80;
    auto plain = aead_->Decrypt(changed, "record-1");
    ASSERT_EQ(plain.status().code(), absl::StatusCode::kDataLoss) << i;
    EXPECT_EQ(plain.status().message(), "authentication failed");
  }
}

TEST_F(AesGcmAeadTest, DecryptFailsWhenAssociatedDataDiffers) {
  auto ct = aead_->Encrypt("personal data", "record-1");
  ASSERT_TRUE(ct.ok()) << ct.status();
  auto plain = aead_->Decrypt(*ct, "record-2");
  EXPECT_EQ(plain.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(plain.status().message(), "authentication failed");
}

TEST_F(AesGcmAeadTest, DecryptFailsUnderAnotherKey) {
  auto ct = aead_->Encrypt("personal data", "ad");
  ASSERT_TRUE(ct.ok()) << ct.status();
  auto other = AesGcm::Create(SecretBytes(std::string(32, '\x01')));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)->Decrypt(*ct, "ad").status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(AesGcmAeadTest, DecryptFailsOnTruncatedInput) {
  auto ct = aead_->Encrypt("personal data", "ad");
  ASSERT_TRUE(ct.ok()) << ct.status();
  for (size_t n = 0; n < ct->size(); ++n) {
    auto plain = aead_->Decrypt(ct->substr(0, n), "ad");
    ASSERT_EQ(plain.status().code(), absl::StatusCode::kDataLoss) << n;
    EXPECT_EQ(plain.status().message(), "authentication failed");
  }
}

// One opener, keyed once, opens the known answers (nonce || ciphertext || tag) one after another,
// and each with any bit flipped fails without spoiling the next.
TEST(AesGcmOpenerTest, OpensKnownAnswersInTurnAndSurvivesFailures) {
  for (const GcmVector& v : kVectors) {
    auto opener = AesGcmOpener::Create(SecretBytes(Unhex(v.key)));
    ASSERT_TRUE(opener.ok()) << opener.status();
    const std::string sealed = Unhex(v.iv) + Unhex(v.ciphertext) + Unhex(v.tag);
    for (int round = 0; round < 2; ++round) {
      for (size_t bit = 0; bit < sealed.size() * 8; bit += 7) {
        std::string flipped = sealed;
        flipped[bit / 8] ^= static_cast<char>(1 << (bit % 8));
        absl::StatusOr<std::string> bad = (*opener)->Open(flipped, Unhex(v.aad));
        EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss) << v.name << " bit " << bit;
        absl::StatusOr<std::string> good = (*opener)->Open(sealed, Unhex(v.aad));
        ASSERT_TRUE(good.ok()) << v.name << " " << good.status();
        EXPECT_EQ(*good, Unhex(v.plaintext)) << v.name;
      }
    }
    EXPECT_EQ((*opener)->Open(sealed, "other aad").status().code(), absl::StatusCode::kDataLoss);
    EXPECT_EQ((*opener)->Open(sealed.substr(0, 27), Unhex(v.aad)).status().code(),
              absl::StatusCode::kDataLoss);
  }
  EXPECT_EQ(AesGcmOpener::Create(SecretBytes(std::string(16, 'k'))).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// It opens what AesGcm::Encrypt seals, many in a row with fresh nonces, and nothing sealed under
// another key.
TEST(AesGcmOpenerTest, OpensWhatEncryptSeals) {
  const SecretBytes key(std::string(32, '\x42'));
  auto aead = AesGcm::Create(key);
  auto opener = AesGcmOpener::Create(key);
  auto other = AesGcm::Create(SecretBytes(std::string(32, '\x43')));
  ASSERT_TRUE(aead.ok() && opener.ok() && other.ok());
  for (int i = 0; i < 200; ++i) {
    const std::string plain(static_cast<size_t>(i * 3), static_cast<char>('a' + i % 26));
    const std::string aad = "event|" + std::to_string(i);
    absl::StatusOr<std::string> sealed = (*aead)->Encrypt(plain, aad);
    ASSERT_TRUE(sealed.ok()) << sealed.status();
    absl::StatusOr<std::string> opened = (*opener)->Open(*sealed, aad);
    ASSERT_TRUE(opened.ok()) << i << " " << opened.status();
    EXPECT_EQ(*opened, plain);
    absl::StatusOr<std::string> foreign = (*other)->Encrypt(plain, aad);
    ASSERT_TRUE(foreign.ok());
    EXPECT_EQ((*opener)->Open(*foreign, aad).status().code(), absl::StatusCode::kDataLoss);
  }
}

// OpenInto reuses one buffer: a shorter plaintext after a longer one leaves nothing of the
// longer behind, and a failure leaves the buffer empty rather than holding unauthenticated bytes.
TEST(AesGcmOpenerTest, OpenIntoReusesItsBufferAndEmptiesItOnFailure) {
  const SecretBytes key(std::string(32, '\x42'));
  auto aead = AesGcm::Create(key);
  auto opener = AesGcmOpener::Create(key);
  ASSERT_TRUE(aead.ok() && opener.ok());
  std::string buffer;
  for (size_t size : {300, 7, 0, 64, 1}) {
    const std::string plain(size, static_cast<char>('a' + size % 26));
    absl::StatusOr<std::string> sealed = (*aead)->Encrypt(plain, "aad");
    ASSERT_TRUE(sealed.ok()) << sealed.status();
    ASSERT_TRUE((*opener)->OpenInto(*sealed, "aad", &buffer).ok()) << size;
    EXPECT_EQ(buffer, plain);
    std::string flipped = *sealed;
    flipped.back() ^= 1;
    EXPECT_EQ((*opener)->OpenInto(flipped, "aad", &buffer).code(), absl::StatusCode::kDataLoss);
    EXPECT_TRUE(buffer.empty()) << size;
    EXPECT_EQ((*opener)->OpenInto(*sealed, "other", &buffer).code(),
              absl::StatusCode::kDataLoss);
    EXPECT_TRUE(buffer.empty()) << size;
  }
}

}  // namespace
}  // namespace registry::crypto

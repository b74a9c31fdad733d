#include "crypto/internal/openssl_util.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "openssl/err.h"
#include "openssl/evp.h"

namespace registry::crypto::internal {
namespace {

// Makes OpenSSL queue an error: an Ed25519 public key must be 32 bytes.
void QueueAnOpenSslError() {
  const unsigned char short_key[3] = {1, 2, 3};
  EvpPkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, short_key, 3));
  ASSERT_EQ(key, nullptr);
  ASSERT_NE(ERR_peek_error(), 0u);
}

TEST(OpenSslErrorTest, ClearsTheErrorQueueAndKeepsTheCode) {
  QueueAnOpenSslError();
  absl::Status s = OpenSslError(absl::StatusCode::kInvalidArgument, "EVP_PKEY_new_raw_public_key");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(s.message(), "EVP_PKEY_new_raw_public_key")) << s;
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(OpenSslErrorTest, WorksWithAnEmptyQueue) {
  ERR_clear_error();
  absl::Status s = OpenSslError(absl::StatusCode::kInternal, "EVP_MD_CTX_new");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(s.message(), "EVP_MD_CTX_new");
}

TEST(OpenSslErrorTest, NeverReturnsOk) {
  EXPECT_EQ(OpenSslError(absl::StatusCode::kOk, "x").code(), absl::StatusCode::kInternal);
}

TEST(ClearOpenSslErrorsTest, EmptiesTheQueue) {
  QueueAnOpenSslError();
  ClearOpenSslErrors();
  EXPECT_EQ(ERR_peek_error(), 0u);
}

}  // namespace
}  // namespace registry::crypto::internal

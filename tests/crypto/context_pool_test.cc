#include "crypto/internal/context_pool.h"

#include <vector>

#include "gtest/gtest.h"
#include "openssl/evp.h"

namespace registry::crypto::internal {
namespace {

using Pool = ContextPool<EVP_MD_CTX, EVP_MD_CTX_free>;

// A pool whose contexts are plain digest contexts, counting how many it prepared.
struct CountingPool {
  int prepared = 0;
  bool fail = false;
  Pool pool{[this]() -> Pool::Ptr {
    if (fail) return nullptr;
    ++prepared;
    return Pool::Ptr(EVP_MD_CTX_new());
  }};
};

TEST(ContextPoolTest, AGivenBackContextIsLentAgainInsteadOfANewOne) {
  CountingPool p;
  Pool::Ptr first = p.pool.Take();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(p.prepared, 1);
  EVP_MD_CTX* const raw = first.get();
  p.pool.Give(std::move(first));
  Pool::Ptr again = p.pool.Take();
  EXPECT_EQ(again.get(), raw);
  EXPECT_EQ(p.prepared, 1);
}

TEST(ContextPoolTest, ContextsInUseAreNeverLentTwice) {
  CountingPool p;
  Pool::Ptr a = p.pool.Take();
  Pool::Ptr b = p.pool.Take();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a.get(), b.get());
  EXPECT_EQ(p.prepared, 2);
}

// What is not given back (an operation that failed) is freed, and the next Take prepares anew.
TEST(ContextPoolTest, AContextNotGivenBackIsNotLentAgain) {
  CountingPool p;
  { Pool::Ptr dropped = p.pool.Take(); }
  EXPECT_EQ(p.pool.idle_for_testing(), 0u);
  Pool::Ptr next = p.pool.Take();
  EXPECT_NE(next, nullptr);
  EXPECT_EQ(p.prepared, 2);
}

TEST(ContextPoolTest, KeepsAtMostMaxIdleContexts) {
  CountingPool p;
  std::vector<Pool::Ptr> taken;
  for (size_t i = 0; i < Pool::kMaxIdle + 5; ++i) taken.push_back(p.pool.Take());
  for (Pool::Ptr& ctx : taken) p.pool.Give(std::move(ctx));
  EXPECT_EQ(p.pool.idle_for_testing(), Pool::kMaxIdle);
}

TEST(ContextPoolTest, APreparationThatFailsLendsNothing) {
  CountingPool p;
  p.fail = true;
  EXPECT_EQ(p.pool.Take(), nullptr);
}

}  // namespace
}  // namespace registry::crypto::internal

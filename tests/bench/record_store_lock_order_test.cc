// Regression tests for RecordStore's striped locks, found by registry-bench: a PendingWrite that
// takes several stripes must take them in one global order. Before the fix, the second bulk
// import (StageCreate batch) or the second key-rotation batch (StageRewrapBatch) took two stripes in
// the opposite order of an earlier batch, and abseil's lock-order checker aborted registryd
// ("dying due to potential deadlock"); two concurrent imports could deadlock for real.
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "bench/preload.h"
#include "gtest/gtest.h"
#include "server/key_file.h"
#include "storage/database.h"
#include "storage/keyring_holder.h"
#include "storage/name_normalizer.h"
#include "storage/record_store.h"

namespace registry::storage {
namespace {

class RecordStoreLockOrderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = std::filesystem::temp_directory_path() / "lock-order-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto keys = server::GenerateKeyFile(absl::Now());
    ASSERT_TRUE(keys.ok()) << keys.status();
    key_file_ = *keys;
    DatabaseOptions options;
    options.path = dir_ + "/data";
    auto db = Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    auto normalizer = NameNormalizer::Create();
    ASSERT_TRUE(normalizer.ok());
    normalizer_ = *std::move(normalizer);
    UseKeys();
  }

  void TearDown() override {
    store_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  // (Re)builds the keyring and the store from key_file_.
  void UseKeys() {
    auto material = server::KeyMaterialFrom(key_file_);
    ASSERT_TRUE(material.ok()) << material.status();
    root_ = std::move(material->derivation_root);
    holder_ = std::make_unique<KeyringHolder>(
        std::shared_ptr<const crypto::Keyring>(std::move(material->keyring)));
    store_.reset();
    auto store = RecordStore::Create(db_.get(), holder_.get(), root_, normalizer_.get());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  // Stages records [begin, end) of `gen` into one PendingWrite and commits it.
  void ImportBatch(const bench::RecordGenerator& gen, uint64_t begin, uint64_t end) {
    VersionMeta meta;
    meta.actor = "test";
    meta.now = "2026-01-01T00:00:00Z";
    meta.own.employer_visible_until = "2034-05-15";
    meta.own.delete_after = "2044-05-15";
    PendingWrite w;
    for (uint64_t n = begin; n < end; ++n) {
      const registry::v1::CreateRecordRequest r = gen.Record(n);
      ASSERT_TRUE(store_->StageCreate(r.person(), r.conviction(), meta, &w, nullptr).ok());
    }
    ASSERT_TRUE(store_->StageDates(&w).ok());
    ASSERT_TRUE(db_->Write(*w.batch()).ok());
  }

  std::string dir_;
  registry::v1::KeyFile key_file_;
  crypto::SecretBytes root_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<NameNormalizer> normalizer_;
  std::unique_ptr<KeyringHolder> holder_;
  std::unique_ptr<RecordStore> store_;
};

TEST_F(RecordStoreLockOrderTest, SuccessiveBulkBatchesDoNotAbort) {
  const bench::RecordGenerator gen(1000000000, "2024");
  for (uint64_t b = 0; b < 8; ++b) ImportBatch(gen, b * 100, (b + 1) * 100);
  auto found = store_->SearchByPersonalNumber(gen.PersonalNumber(799), 10, nullptr);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->size(), 1u);
}

TEST_F(RecordStoreLockOrderTest, ConcurrentBulkBatchesDoNotDeadlock) {
  const bench::RecordGenerator a(1000000000, "A");
  const bench::RecordGenerator b(2000000000, "B");
  std::thread other([&] {
    for (uint64_t k = 0; k < 10; ++k) ImportBatch(b, k * 50, (k + 1) * 50);
  });
  for (uint64_t k = 0; k < 10; ++k) ImportBatch(a, k * 50, (k + 1) * 50);
  other.join();
  for (const auto* gen : {&a, &b}) {
    auto found = store_->SearchByPersonalNumber(gen->PersonalNumber(499), 10, nullptr);
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_EQ(found->size(), 1u);
  }
}

TEST_F(RecordStoreLockOrderTest, RewrapOverManyBatchesCompletes) {
  const bench::RecordGenerator gen(1000000000, "2024");
  for (uint64_t b = 0; b < 6; ++b) ImportBatch(gen, b * 100, (b + 1) * 100);
  ASSERT_TRUE(server::AddKek(&key_file_, absl::Now()).ok());
  UseKeys();
  std::string after;
  uint64_t rewrapped = 0;
  do {
    storage::PendingWrite w;
    auto last = store_->StageRewrapBatch(after, 50, &rewrapped, &w);
    ASSERT_TRUE(last.ok()) << last.status();
    ASSERT_TRUE(db_->Write(*w.batch()).ok());
    after = *last;
  } while (!after.empty());
  EXPECT_EQ(rewrapped, 600u);
  auto left = store_->CountNotUnder(2);
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(*left, 0u);
}

}  // namespace
}  // namespace registry::storage

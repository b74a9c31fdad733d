// The key file (server/key_file.h): on its own, what it accepts, what it refuses and why, and
// that what it writes is what it reads (KeyFileTest); and in a registry, that start-up refuses a
// foreign, exposed, malformed or missing key file and a missing KEK is DATA_LOSS
// (KeyFileStartUpTest).
#include "server/key_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "tests/server/record_service_fixture.h"
#include "tests/testing/stored_data.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::server {
namespace {

namespace v1 = registry::v1;

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("key-file-test"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name = "keys.json") const { return dir_ + "/" + name; }

  void WriteRaw(const std::string& path, const std::string& content, mode_t mode) const {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
  }

  static mode_t ModeOf(const std::string& path) {
    struct stat st;
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_mode & 07777;
  }

  std::string dir_;
};

// Another account that can write the key file's folder plants a link where the temporary file
// goes, to its own file: the keys must not follow it there.
TEST_F(KeyFileTest, ALinkPlantedAtTheTemporaryNameReceivesNoKey) {
  WriteRaw(Path("loot"), "", 0666);
  ASSERT_EQ(::symlink(Path("loot").c_str(), (Path() + ".tmp").c_str()), 0);
  auto file = GenerateKeyFile(absl::Now());
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(WriteKeyFile(Path(), *file, /*overwrite=*/false).ok());
  EXPECT_EQ(testing::ReadFileOrDie(Path("loot")), "") << "the keys went to the planted file";
  struct stat st;
  ASSERT_EQ(::lstat(Path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode)) << "the key file is a link";
  EXPECT_EQ(ModeOf(Path()), 0600u);
  EXPECT_TRUE(ReadKeyFile(Path()).ok());
}

TEST_F(KeyFileTest, WhatIsWrittenIsReadBackWithMode0600) {
  auto file = GenerateKeyFile(absl::Now());
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(WriteKeyFile(Path(), *file, /*overwrite=*/false).ok());
  EXPECT_EQ(ModeOf(Path()), 0600u);
  EXPECT_FALSE(std::filesystem::exists(Path() + ".tmp")) << "the temporary file is renamed";

  auto read = ReadKeyFile(Path());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->SerializeAsString(), file->SerializeAsString());
  auto material = KeyMaterialFrom(*read);
  ASSERT_TRUE(material.ok()) << material.status();
  EXPECT_EQ(material->keyring->current_version(), 1u);
  EXPECT_EQ(material->derivation_root.view(), file->derivation_root());
}

TEST_F(KeyFileTest, AGeneratedFileHasOneRandomKekAndARandomRoot) {
  auto a = GenerateKeyFile(absl::Now());
  auto b = GenerateKeyFile(absl::Now());
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->keks_size(), 1);
  EXPECT_EQ(a->keks(0).version(), 1u);
  EXPECT_EQ(a->current_kek_version(), 1u);
  EXPECT_EQ(a->keks(0).key().size(), 32u);
  EXPECT_EQ(a->derivation_root().size(), 32u);
  EXPECT_NE(a->keks(0).key(), b->keks(0).key());
  EXPECT_NE(a->derivation_root(), b->derivation_root());
  EXPECT_NE(a->keks(0).key(), a->derivation_root());
}

TEST_F(KeyFileTest, AnExistingFileIsOverwrittenOnlyWhenAsked) {
  auto first = GenerateKeyFile(absl::Now());
  auto second = GenerateKeyFile(absl::Now());
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE(WriteKeyFile(Path(), *first, false).ok());
  EXPECT_EQ(WriteKeyFile(Path(), *second, false).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadKeyFile(Path())->derivation_root(), first->derivation_root());
  ASSERT_TRUE(WriteKeyFile(Path(), *second, true).ok());
  EXPECT_EQ(ReadKeyFile(Path())->derivation_root(), second->derivation_root());
}

TEST_F(KeyFileTest, ALeftoverTemporaryFileDoesNotLendItsModeToTheKeys) {
  WriteRaw(Path() + ".tmp", "old", 0644);
  auto file = GenerateKeyFile(absl::Now());
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(WriteKeyFile(Path(), *file, false).ok());
  EXPECT_EQ(ModeOf(Path()), 0600u);
}

TEST_F(KeyFileTest, AFileOthersOrTheGroupMayTouchIsRefused) {
  auto file = GenerateKeyFile(absl::Now());
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(WriteKeyFile(Path(), *file, false).ok());
  for (mode_t mode : {0640, 0604, 0620, 0602, 0610, 0601, 0666}) {
    ASSERT_EQ(::chmod(Path().c_str(), mode), 0);
    auto read = ReadKeyFile(Path());
    EXPECT_EQ(read.status().code(), absl::StatusCode::kFailedPrecondition) << std::oct << mode;
    EXPECT_TRUE(absl::StrContains(read.status().message(), "chmod 600")) << read.status();
  }
  for (mode_t mode : {0600, 0400}) {
    ASSERT_EQ(::chmod(Path().c_str(), mode), 0);
    EXPECT_TRUE(ReadKeyFile(Path()).ok()) << std::oct << mode;
  }
}

TEST_F(KeyFileTest, AMissingFileIsNotFoundAndAFolderIsNoFile) {
  EXPECT_EQ(ReadKeyFile(Path("absent.json")).status().code(), absl::StatusCode::kNotFound);
  std::filesystem::create_directory(Path("folder"));
  ::chmod(Path("folder").c_str(), 0700);
  EXPECT_EQ(ReadKeyFile(Path("folder")).status().code(), absl::StatusCode::kFailedPrecondition);
}

// A missing key file said only "No such file or directory": at a later start the next step is
// to put the installation's key file back from its custody copies, checked against the key
// ceremony's paper record, never to make a new one (which opens none of the data).
TEST_F(KeyFileTest, AMissingFileSaysToPutItBackAndThatGeneratingIsForANewInstallationOnly) {
  const absl::Status missing = ReadKeyFile(Path("absent.json")).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  const std::string message(missing.message());
  EXPECT_TRUE(absl::StartsWith(
      message, absl::StrCat("key file ", Path("absent.json"), ": No such file or directory: ")))
      << message;
  for (const char* said : {"put back this installation's key file from the key custody copies",
                           "`registryd --key_file_record FILE`",
                           "the key ceremony's paper record",
                           "--generate_key_file is only for a new installation"}) {
    EXPECT_TRUE(absl::StrContains(message, said)) << said << " in " << message;
  }
}

TEST_F(KeyFileTest, MalformedJsonIsRefusedWithoutQuotingIt) {
  // The file's text may be key material: no part of it may reach the message.
  const std::string secret = "c2VjcmV0LWtleS1ieXRlcy1uZXZlci1zaG93bg==";
  for (const std::string& text :
       {std::string("{\"derivation_root\": \"") + secret, std::string("not json ") + secret,
        std::string("{\"unknown_field\": \"") + secret + "\"}"}) {
    WriteRaw(Path(), text, 0600);
    auto read = ReadKeyFile(Path());
    EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_FALSE(absl::StrContains(read.status().message(), "c2VjcmV0")) << read.status();
  }
}

// key_file set to an identity's key.pem was told only "is not a valid KeyFile": it says the file
// is a PEM one, and which file key_file names, without quoting the key.
TEST_F(KeyFileTest, APemFileIsSaidToBeOneAndTheKeyFileNamed) {
  WriteRaw(Path(), "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n", 0600);
  auto read = ReadKeyFile(Path());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(read.status().message(), "it is a PEM file")) << read.status();
  EXPECT_TRUE(absl::StrContains(read.status().message(), "registryd --generate_key_file"))
      << read.status();
  EXPECT_FALSE(absl::StrContains(read.status().message(), "c2VjcmV0")) << read.status();
  WriteRaw(Path(), "not json", 0600);
  read = ReadKeyFile(Path());
  EXPECT_TRUE(absl::StrContains(read.status().message(), "registryd --generate_key_file"))
      << read.status();
  EXPECT_FALSE(absl::StrContains(read.status().message(), "PEM")) << read.status();
}

// A key given twice: protobuf's parser would add the second "keks" list to the first, or keep
// the last "derivation_root", where a person (or jq) reading the file takes one of them. Refused,
// naming the key's path and quoting no value.
TEST_F(KeyFileTest, AKeyGivenTwiceIsRefusedNamingItsPathWithoutQuotingAValue) {
  const std::string root = absl::Base64Escape(std::string(32, 'r'));
  const std::string kek1 = absl::Base64Escape(std::string(32, 'a'));
  const std::string kek2 = absl::Base64Escape(std::string(32, 'b'));
  const std::string one = absl::StrFormat(R"({"version": 1, "key": "%s"})", kek1);
  const std::string two = absl::StrFormat(R"({"version": 2, "key": "%s"})", kek2);
  struct Case {
    std::string json;
    std::string path;
  };
  const Case cases[] = {
      {absl::StrFormat(R"({"current_kek_version": 1, "keks": [%s], "keks": [%s],
                          "derivation_root": "%s"})",
                       one, two, root),
       "keks"},
      {absl::StrFormat(R"({"current_kek_version": 1, "keks": [%s], "derivation_root": "%s",
                          "derivationRoot": "%s"})",
                       one, root, kek2),
       "derivation_root"},
      {absl::StrFormat(R"({"current_kek_version": 1, "current_kek_version": 2,
                          "keks": [%s, %s], "derivation_root": "%s"})",
                       one, two, root),
       "current_kek_version"},
      {absl::StrFormat(R"({"current_kek_version": 1, "keks": [{"version": 1, "version": 2,
                          "key": "%s"}], "derivation_root": "%s"})",
                       kek1, root),
       "keks[0].version"},
  };
  for (const Case& c : cases) {
    WriteRaw(Path(), c.json, 0600);
    auto read = ReadKeyFile(Path());
    EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_TRUE(absl::StrContains(read.status().message(), c.path + ": given twice"))
        << read.status();
    for (const std::string& value : {root, kek1, kek2}) {
      EXPECT_FALSE(absl::StrContains(read.status().message(), value.substr(0, 8)))
          << read.status();
    }
  }
}

TEST_F(KeyFileTest, KeysOfTheWrongSizeOrNoCurrentKekAreRefused) {
  auto good = GenerateKeyFile(absl::Now());
  ASSERT_TRUE(good.ok());

  v1::KeyFile short_root = *good;
  short_root.set_derivation_root(std::string(31, 'r'));
  EXPECT_EQ(KeyMaterialFrom(short_root).status().code(), absl::StatusCode::kInvalidArgument);

  v1::KeyFile short_kek = *good;
  short_kek.mutable_keks(0)->set_key(std::string(16, 'k'));
  auto refused = KeyMaterialFrom(short_kek);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "KEK version 1")) << refused.status();

  v1::KeyFile no_current = *good;
  no_current.set_current_kek_version(7);
  EXPECT_EQ(KeyMaterialFrom(no_current).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(KeyFileTest, AddKekTakesTheNextVersionAndMakesItCurrent) {
  auto file = GenerateKeyFile(absl::Now());
  ASSERT_TRUE(file.ok());
  auto two = AddKek(&*file, absl::Now());
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(*two, 2u);
  EXPECT_EQ(file->current_kek_version(), 2u);
  ASSERT_TRUE(RemoveKek(&*file, 1).ok());
  auto three = AddKek(&*file, absl::Now());
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(*three, 3u) << "a removed version is never given out again";
  ASSERT_EQ(file->keks_size(), 2);
  EXPECT_NE(file->keks(0).key(), file->keks(1).key());

  // New data keys are wrapped under the newest KEK.
  auto material = KeyMaterialFrom(*file);
  ASSERT_TRUE(material.ok()) << material.status();
  EXPECT_EQ(material->keyring->current_version(), 3u);
}

TEST_F(KeyFileTest, TheCurrentKekCannotBeRemovedNorOneThatIsNotThere) {
  auto file = GenerateKeyFile(absl::Now());
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(RemoveKek(&*file, 1).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(RemoveKek(&*file, 9).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(file->keks_size(), 1);
}

TEST_F(KeyFileTest, AnOldKekStillUnwrapsWhatItWrappedAfterRotation) {
  auto file = GenerateKeyFile(absl::Now());
  ASSERT_TRUE(file.ok());
  auto before = KeyMaterialFrom(*file);
  ASSERT_TRUE(before.ok());
  auto dek = crypto::Keyring::NewDek();
  ASSERT_TRUE(dek.ok());
  auto wrapped = before->keyring->WrapDek(*dek, "rec-1");
  ASSERT_TRUE(wrapped.ok());

  ASSERT_TRUE(AddKek(&*file, absl::Now()).ok());
  auto after = KeyMaterialFrom(*file);
  ASSERT_TRUE(after.ok());
  auto unwrapped = after->keyring->UnwrapDek(*wrapped, "rec-1");
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.status();
  EXPECT_EQ(unwrapped->view(), dek->view());
  auto rewrapped = after->keyring->Rewrap(*wrapped, "rec-1");
  ASSERT_TRUE(rewrapped.ok());
  EXPECT_EQ(*crypto::Keyring::WrappedVersion(*rewrapped), 2u);

  ASSERT_TRUE(RemoveKek(&*file, 1).ok());
  auto retired = KeyMaterialFrom(*file);
  ASSERT_TRUE(retired.ok());
  EXPECT_EQ(retired->keyring->UnwrapDek(*wrapped, "rec-1").status().code(),
            absl::StatusCode::kDataLoss)
      << "without its KEK an old wrapping is unreadable";
  EXPECT_TRUE(retired->keyring->UnwrapDek(*rewrapped, "rec-1").ok());
}

class KeyFileStartUpTest : public testing::RecordServiceFixture {
 protected:
  // Enters a record and stops the server; keeps the key file's path and contents. Returns the
  // record's id.
  std::string EnterARecordAndStop() {
    const std::string id = CreateOrFail(testing::ExampleRecord());
    server_->Stop();
    path_ = server_->config().key_file();
    auto original = server::ReadKeyFile(path_);
    EXPECT_TRUE(original.ok()) << original.status();
    if (original.ok()) original_ = *std::move(original);
    return id;
  }

  // Writes the kept key file back and starts: the record `id` reads again.
  void PutTheKeyFileBackAndRead(const std::string& id) {
    server_->Stop();
    ASSERT_TRUE(server::WriteKeyFile(path_, original_, /*overwrite=*/true).ok());
    ASSERT_NO_FATAL_FAILURE(RestartOrFail());
    v1::Record record;
    ASSERT_TRUE(Get(id, &record).ok());
    EXPECT_EQ(record.person().surname(), "Kërqeli");
  }

  std::string path_;
  registry::v1::KeyFile original_;
};
using testing::WriteFileWithMode;

// The key check value is what ties a database to its key file, and the schema what ties it to
// this registryd: a database holding data whose check value (with the schema and the KEKs'
// check values) was deleted is not taken for a new one, which would skip both checks.
TEST_F(KeyFileStartUpTest, ADatabaseWhoseKeyCheckValueWasDeletedIsNotTakenForANewOne) {
  EnterARecordAndStop();
  ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, [](storage::Database* db) {
    std::vector<std::string> keys;
    std::unique_ptr<storage::Iterator> it = db->NewIterator(storage::Cf::kMeta);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string key(it->key());
      if (key == "keys/check" || key == "schema/version" || absl::StartsWith(key, "keys/kek")) {
        keys.push_back(key);
      }
    }
    ASSERT_GE(keys.size(), 3u);
    for (const std::string& key : keys) testing::DeleteStored(db, storage::Cf::kMeta, key);
  }));
  const absl::Status started = server_->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kDataLoss) << started;
  EXPECT_TRUE(absl::StrContains(started.message(), "no key check value")) << started;
}

TEST_F(KeyFileStartUpTest, ForeignKeyFileOrOneWithoutTheRecordsKekIsRefusedAtStart) {
  const std::string id = EnterARecordAndStop();
  auto fresh = server::GenerateKeyFile(absl::Now());
  ASSERT_TRUE(fresh.ok());
  ASSERT_EQ(fresh->current_kek_version(), original_.current_kek_version());  // same version,
  ASSERT_TRUE(server::WriteKeyFile(path_, *fresh, /*overwrite=*/true).ok());  // another key

  // The database holds a key check value: another key file is refused at start-up, before it
  // could mix keys (new records, blind indexes and signatures under another root).
  absl::Status started = server_->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
  EXPECT_TRUE(absl::StrContains(started.message(), "does not belong to this database"))
      << started;
  // With the next step: the right key file, told by the ceremony's record.
  for (const char* said : {"put back this installation's key file from the key custody copies",
                           "`registryd --key_file_record FILE` prints a copy's key check value",
                           "the key ceremony's paper record"}) {
    EXPECT_TRUE(absl::StrContains(started.message(), said)) << said << " in " << started;
  }

  // A key file without the record's KEK version: refused at start too (it served DATA_LOSS on
  // every read of the record).
  server_->Stop();
  auto added = server::AddKek(&*fresh, absl::Now());
  ASSERT_TRUE(added.ok());
  ASSERT_TRUE(server::RemoveKek(&*fresh, 1).ok());
  fresh->set_derivation_root(original_.derivation_root());
  ASSERT_TRUE(server::WriteKeyFile(path_, *fresh, true).ok());
  started = server_->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
  EXPECT_TRUE(absl::StrContains(started.message(), "1 data keys are under key-encryption key "
                                                   "version 1, which the key file does not hold"))
      << started;
  server_->Stop();

  // The right file again: everything reads.
  ASSERT_NO_FATAL_FAILURE(PutTheKeyFileBackAndRead(id));
  EXPECT_EQ(ByPersonalNumber("1234567890"), std::vector<std::string>{id});
}

// Each KEK has a check value of its own in the database: a key file whose KEK bytes differ (one
// bit of the current KEK) is refused at start-up, before a record could be acknowledged under a
// KEK the right key file cannot open.
TEST_F(KeyFileStartUpTest, AKeyFileWhoseKekChangedIsRefusedAtStart) {
  const std::string id = EnterARecordAndStop();
  registry::v1::KeyFile changed = original_;
  ASSERT_EQ(changed.keks_size(), 1);
  (*changed.mutable_keks(0)->mutable_key())[5] ^= 0x01;
  ASSERT_TRUE(server::WriteKeyFile(path_, changed, /*overwrite=*/true).ok());

  absl::Status started = server_->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
  EXPECT_TRUE(absl::StrContains(started.message(), "key-encryption key version 1")) << started;

  ASSERT_NO_FATAL_FAILURE(PutTheKeyFileBackAndRead(id));
  EXPECT_TRUE(Create(testing::FictionalRecord(1), nullptr).ok());
}

TEST_F(KeyFileStartUpTest, KeyFileReadableByOthersIsRefusedAtStart) {
  server_->Stop();
  const std::string path = server_->config().key_file();
  for (mode_t mode : {mode_t{0644}, mode_t{0640}, mode_t{0604}, mode_t{0620}}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    absl::Status s = server_->Restart();
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), absl::StrFormat("mode %04o", mode))) << s;
  }
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  ASSERT_NO_FATAL_FAILURE(RestartOrFail());
  EXPECT_TRUE(Create(testing::ExampleRecord(), nullptr).ok());
}

TEST_F(KeyFileStartUpTest, MalformedOrMissingKeyFileIsRefusedAtStart) {
  server_->Stop();
  const std::string path = server_->config().key_file();
  auto original = server::ReadKeyFile(path);
  ASSERT_TRUE(original.ok());

  WriteFileWithMode(path, "{ this is not json", 0600);
  absl::Status s = server_->Restart();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;

  WriteFileWithMode(path, R"({"current_kek_version": 1, "no_such_field": true})", 0600);
  EXPECT_EQ(server_->Restart().code(), absl::StatusCode::kInvalidArgument);

  // Well-formed JSON, but a 16-byte KEK.
  registry::v1::KeyFile short_key = *original;
  short_key.mutable_keks(0)->set_key(std::string(16, 'k'));
  ASSERT_TRUE(server::WriteKeyFile(path, short_key, true).ok());
  EXPECT_EQ(server_->Restart().code(), absl::StatusCode::kInvalidArgument);

  // The current version names no KEK.
  registry::v1::KeyFile no_current = *original;
  no_current.set_current_kek_version(7);
  ASSERT_TRUE(server::WriteKeyFile(path, no_current, true).ok());
  EXPECT_EQ(server_->Restart().code(), absl::StatusCode::kInvalidArgument);

  std::filesystem::remove(path);
  EXPECT_EQ(server_->Restart().code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(server::WriteKeyFile(path, *original, false).ok());
  ASSERT_NO_FATAL_FAILURE(RestartOrFail());
}

// ---------------------------------------------------------------------------------------------
// Key rotation.


}  // namespace
}  // namespace registry::server

#include "client/files.h"

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace registry::client {
namespace {

// `audit verify` said "make room" for any state file it could not write (a folder in the way, a
// folder that may not be written): only a full disk or a used-up quota is out of space, told by
// the error's errno, not by its words.
TEST(FileErrorTest, OnlyAFullDiskOrAUsedUpQuotaIsOutOfSpace) {
  EXPECT_TRUE(IsOutOfSpace(ErrnoStatus(ENOSPC, "cannot write state.json")));
  EXPECT_TRUE(IsOutOfSpace(ErrnoStatus(EDQUOT, "cannot write state.json")));
  EXPECT_TRUE(IsOutOfSpace(WithErrno(absl::UnavailableError("cannot lock"), ENOSPC)));
  for (const int error : {EACCES, EPERM, EISDIR, ENOENT, EROFS, EIO}) {
    EXPECT_FALSE(IsOutOfSpace(ErrnoStatus(error, "cannot write state.json"))) << error;
  }
  EXPECT_FALSE(IsOutOfSpace(absl::UnavailableError("cannot write: No space left on device")));
  EXPECT_FALSE(IsOutOfSpace(absl::OkStatus()));
  const absl::Status denied = ErrnoStatus(EACCES, "cannot write state.json");
  EXPECT_TRUE(absl::IsPermissionDenied(denied));
  EXPECT_EQ(denied.message(), "cannot write state.json: Permission denied");
}

class AtomicFileWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("files-test"); }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  // The folder's entries, to see that no temporary file is left behind.
  size_t Entries() const {
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir_),
                                             std::filesystem::directory_iterator()));
  }
  std::string dir_;
};

TEST_F(AtomicFileWriterTest, FileAppearsWholeOnlyOnCommitWithTheModeAsked) {
  const std::string path = dir_ + "/export.jsonl";
  auto file = AtomicFileWriter::Create(path, 0600);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE((*file)->Append("first\n").ok());
  ASSERT_TRUE((*file)->Append("second\n").ok());
  EXPECT_FALSE(std::filesystem::exists(path)) << "a reader must never see half a file";
  ASSERT_TRUE((*file)->Commit().ok());
  EXPECT_EQ(testing::ReadFileOrDie(path), "first\nsecond\n");
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_FALSE((*file)->Commit().ok());
  file->reset();
  EXPECT_EQ(Entries(), 1u);
}

// The temporary file's name is predictable: another account that can write the folder plants a
// link there to its own file. What is written must not follow it.
TEST_F(AtomicFileWriterTest, ALinkPlantedAtTheTemporaryNameReceivesNothing) {
  const std::string path = dir_ + "/certificate.json";
  const std::string loot = dir_ + "/loot";
  std::ofstream(loot).close();
  ASSERT_EQ(symlink(loot.c_str(), (path + ".tmp-" + std::to_string(getpid())).c_str()), 0);
  auto file = AtomicFileWriter::Create(path, 0600);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE((*file)->Append("a signed certificate\n").ok());
  ASSERT_TRUE((*file)->Commit().ok());
  EXPECT_EQ(testing::ReadFileOrDie(loot), "") << "the contents went to the planted file";
  struct stat info;
  ASSERT_EQ(lstat(path.c_str(), &info), 0);
  EXPECT_TRUE(S_ISREG(info.st_mode));
  EXPECT_EQ(testing::ReadFileOrDie(path), "a signed certificate\n");
}

TEST_F(AtomicFileWriterTest, AbandonedWriteLeavesTheOldFileAndNoTemporaryFile) {
  const std::string path = dir_ + "/export.jsonl";
  ASSERT_TRUE(WriteFileAtomically(path, "old\n", 0600).ok());
  {
    auto file = AtomicFileWriter::Create(path, 0600);
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE((*file)->Append("half of a new export").ok());
  }
  EXPECT_EQ(testing::ReadFileOrDie(path), "old\n");
  EXPECT_EQ(Entries(), 1u);
}

// Ctrl-C during an audit export: the temporary file goes, the file already there stays, a file
// committed earlier stays, and the process ends by the signal, as it would have.
TEST_F(AtomicFileWriterTest, AnInterruptRemovesTheTemporaryFileAndEndsAsTheSignalWould) {
  const std::string path = dir_ + "/export.jsonl";
  const std::string done = dir_ + "/earlier.jsonl";
  ASSERT_TRUE(WriteFileAtomically(path, "old\n", 0600).ok());
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto earlier = AtomicFileWriter::Create(done, 0600);
    if (!earlier.ok() || !(*earlier)->Append("whole\n").ok() || !(*earlier)->Commit().ok()) {
      _exit(3);
    }
    auto file = AtomicFileWriter::Create(path, 0600);
    if (!file.ok() || !(*file)->Append("half of a new export").ok()) _exit(4);
    raise(SIGINT);
    _exit(5);  // not reached: the signal ends the process
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGINT);
  EXPECT_EQ(testing::ReadFileOrDie(path), "old\n");
  EXPECT_EQ(testing::ReadFileOrDie(done), "whole\n");
  EXPECT_EQ(Entries(), 2u) << "the temporary file is left behind";
}

// The answers of `record create --interactive` are kept in a new file: one of the same name (an
// earlier run's answers, another person's record) is never opened, and only the owner may read
// the new one.
TEST_F(AtomicFileWriterTest, ANewFileNeverReplacesOneOfTheSameNameAndIsTheOwnersOnly) {
  std::ofstream(dir_ + "/record.json") << "earlier";
  const absl::StatusOr<std::string> path = WriteNewFile(dir_, "record", ".json", "{}\n", 0600);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, dir_ + "/record-2.json");
  EXPECT_EQ(testing::ReadFileOrDie(dir_ + "/record.json"), "earlier");
  EXPECT_EQ(testing::ReadFileOrDie(*path), "{}\n");
  struct stat info;
  ASSERT_EQ(stat(path->c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const absl::StatusOr<std::string> third = WriteNewFile(dir_, "record", ".json", "", 0600);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(*third, dir_ + "/record-3.json");
  EXPECT_EQ(WriteNewFile(dir_ + "/none", "record", ".json", "", 0600).status().code(),
            absl::StatusCode::kNotFound);
}

// While it lives, this process may not make a file longer than `bytes`: every write past that
// fails with EFBIG, as a full disk fails it with ENOSPC (SIGXFSZ, which would end the process,
// is ignored meanwhile). Nothing is written to a device to get there.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &previous_);
    previous_handler_ = signal(SIGXFSZ, SIG_IGN);
    rlimit limit = previous_;
    limit.rlim_cur = bytes;
    ok_ = setrlimit(RLIMIT_FSIZE, &limit) == 0;
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &previous_);
    signal(SIGXFSZ, previous_handler_);
  }
  bool ok() const { return ok_; }

 private:
  rlimit previous_ = {};
  sighandler_t previous_handler_ = SIG_DFL;
  bool ok_ = false;
};

// "cannot write var/audit.jsonl.tmp-4242: No space left on device" named a file the auditor never
// gave and that was about to vanish. The error names the file given, says that nothing was saved
// and that the partly written copy is gone; it is gone when the error is returned, and a file
// already at the path is left as it was.
TEST_F(AtomicFileWriterTest, AWriteThatFailsNamesTheFileGivenAndLeavesNothingBehind) {
  const std::string path = dir_ + "/export.jsonl";
  ASSERT_TRUE(WriteFileAtomically(path, "old\n", 0600).ok());
  auto file = AtomicFileWriter::Create(path, 0600);
  ASSERT_TRUE(file.ok()) << file.status();
  absl::Status appended;
  {
    FileSizeLimit limit(16);
    ASSERT_TRUE(limit.ok());
    appended = (*file)->Append(std::string(100, 'x'));
  }
  EXPECT_EQ(appended.code(), absl::StatusCode::kFailedPrecondition) << appended;
  EXPECT_EQ(appended.message(),
            "cannot write " + path + ": File too large; nothing was saved: the partly written "
            "copy was removed, and " + path + " is as it was");
  EXPECT_EQ(Entries(), 1u) << "the temporary file is still there";
  EXPECT_FALSE((*file)->Commit().ok());
  file->reset();
  EXPECT_EQ(testing::ReadFileOrDie(path), "old\n");

  // The same through WriteFileAtomically, whose contents come whole.
  absl::Status written;
  {
    FileSizeLimit limit(16);
    written = WriteFileAtomically(dir_ + "/state.json", std::string(100, 'y'), 0600);
  }
  EXPECT_EQ(written.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(written.message().substr(0, 13 + dir_.size() + 12),
            "cannot write " + dir_ + "/state.json:");
  EXPECT_EQ(written.message().find(".tmp"), absl::string_view::npos) << written;
  EXPECT_EQ(Entries(), 1u);
}

TEST_F(AtomicFileWriterTest, MissingFolderIsNotFound) {
  const absl::Status status = AtomicFileWriter::Create(dir_ + "/none/export.jsonl", 0600).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  // Named as given: the temporary name beside it is no concern of the user's.
  EXPECT_EQ(status.message().substr(0, 13 + dir_.size() + 19),
            "cannot write " + dir_ + "/none/export.jsonl:");
  // An --out option says it before the work (the writer of --state makes its folders).
  EXPECT_EQ(OutputFileProblem(dir_ + "/none/export.jsonl"),
            "no folder " + dir_ + "/none to write it in");
  EXPECT_EQ(OutputPathProblem(dir_ + "/none/export.jsonl"), "");
}

// A folder where the file would go is found when the writer is made, not at the rename after the
// work the file is for (a vetting check, counted and audited) was done.
TEST_F(AtomicFileWriterTest, AFolderAtThePathIsRefusedAtOnce) {
  const absl::Status status = AtomicFileWriter::Create(dir_, 0600).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), "cannot write " + dir_ + ": it is a folder");
}

// The rename would replace what is at the path, not write to it: a FIFO, a link (and not the file
// it points to) or a device (/dev/full, as root) became a regular file. Refused when the writer is
// made, and left as they are.
TEST_F(AtomicFileWriterTest, APathThatIsNotARegularFileIsRefusedAndLeftAsItIs) {
  const std::string fifo = dir_ + "/pipe";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const std::string target = dir_ + "/target.json";
  ASSERT_TRUE(WriteFileAtomically(target, "kept\n", 0600).ok());
  const std::string link = dir_ + "/link.json";
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);

  absl::Status status = AtomicFileWriter::Create(fifo, 0600).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), "cannot write " + fifo +
                                  ": it is a named pipe (FIFO), not a regular file: give a new "
                                  "file name, or a regular file to replace");
  status = WriteFileAtomically(link, "new\n", 0600);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), "cannot write " + link +
                                  ": it is a symbolic link, not a regular file: give a new file "
                                  "name, or a regular file to replace");
  struct stat device;
  if (stat("/dev/zero", &device) == 0 && S_ISCHR(device.st_mode)) {
    EXPECT_EQ(OutputPathProblem("/dev/zero"),
              "it is a device, not a regular file: give a new file name, or a regular file to "
              "replace");
  }
  EXPECT_EQ(OutputPathProblem(""), "the file name is empty");
  EXPECT_EQ(AtomicFileWriter::Create("", 0600).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // A regular file, or nothing yet, is what the writer is for.
  EXPECT_EQ(OutputPathProblem(target), "");
  EXPECT_EQ(OutputPathProblem(dir_ + "/new.json"), "");

  struct stat info;
  ASSERT_EQ(lstat(fifo.c_str(), &info), 0);
  EXPECT_TRUE(S_ISFIFO(info.st_mode));
  ASSERT_EQ(lstat(link.c_str(), &info), 0);
  EXPECT_TRUE(S_ISLNK(info.st_mode));
  EXPECT_EQ(testing::ReadFileOrDie(target), "kept\n");
  EXPECT_EQ(Entries(), 3u) << "no temporary file left";
}

// A mistaken path must not make the client read without end: /dev/zero has no size to check and
// never ends; a regular file over the limit is refused before it is read.
TEST_F(AtomicFileWriterTest, ReadingStopsAtTheLimitForDevicesAndLargeFiles) {
  absl::StatusOr<std::string> endless = ReadFileToString("/dev/zero", "record file", 1 << 20);
  EXPECT_EQ(endless.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(endless.status().message(), "cannot read record file /dev/zero: larger than 1 MiB");

  const std::string path = dir_ + "/big.json";
  ASSERT_TRUE(WriteFileAtomically(path, std::string((1 << 20) + 1, 'x'), 0600).ok());
  EXPECT_EQ(ReadFileToString(path, "record file", 1 << 20).status().code(),
            absl::StatusCode::kFailedPrecondition);
  absl::StatusOr<std::string> whole = ReadFileToString(path, "record file", 2 << 20);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(whole->size(), (1u << 20) + 1);
  // Exactly at the limit is still read.
  ASSERT_TRUE(WriteFileAtomically(path, std::string(1 << 20, 'y'), 0600).ok());
  EXPECT_TRUE(ReadFileToString(path, "record file", 1 << 20).ok());
}

// Windows editors start a UTF-8 text file with a byte order mark, which the JSON parser took for
// a value ("line 1, column 1: expected a value" of a record file that is fine). Every file read is
// text, and the mark is dropped from each; one elsewhere in the file is kept.
TEST_F(AtomicFileWriterTest, AByteOrderMarkAtTheStartIsDropped) {
  const std::string path = dir_ + "/record.json";
  ASSERT_TRUE(WriteFileAtomically(path, "\xEF\xBB\xBF{\"a\": \"\xEF\xBB\xBF\"}\n", 0600).ok());
  absl::StatusOr<std::string> text = ReadFileToString(path, "record file");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "{\"a\": \"\xEF\xBB\xBF\"}\n");
  ASSERT_TRUE(WriteFileAtomically(path, "\xEF\xBB\xBF", 0600).ok());
  EXPECT_EQ(ReadFileToString(path, "record file").value_or("?"), "");
  ASSERT_TRUE(WriteFileAtomically(path, "\xEF\xBB", 0600).ok());
  EXPECT_EQ(ReadFileToString(path, "record file").value_or("?"), "\xEF\xBB");
}

}  // namespace
}  // namespace registry::client

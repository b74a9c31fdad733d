#include "client/files.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <fstream>
#include <sstream>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/signals.h"

namespace registry::client {
namespace {

// The temporary files of writers not yet committed, for the interrupt handler: fixed slots of
// NUL-terminated paths, each claimed with an atomic state (what a signal handler may read).
constexpr int kTempSlots = 16;
constexpr size_t kTempPathMax = 4096;
enum SlotState : int { kFree = 0, kFilling = 1, kHeld = 2 };
struct TempSlot {
  std::atomic<int> state{kFree};
  char path[kTempPathMax];
};
TempSlot g_temp_slots[kTempSlots];
static_assert(std::atomic<int>::is_always_lock_free, "read in a signal handler");

// Removes every held temporary file, then ends the process as the signal would have.
extern "C" void RemoveTempFilesAndRaise(int sig) {
  for (TempSlot& slot : g_temp_slots) {
    if (slot.state.load() == kHeld) unlink(slot.path);
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

// Installs the handler for SIGINT, SIGTERM and SIGHUP, once, where their disposition is still
// the default (a program that handles or ignores them keeps its own).
void InstallInterruptCleanup() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
      InstallIfDefault(sig, &RemoveTempFilesAndRaise, 0, nullptr);
    }
  });
}

// The slot now holding `path`, or -1 when none is free or the path is too long (the file is then
// left behind by an interrupt, as before).
int HoldTempFile(const std::string& path) {
  if (path.size() >= kTempPathMax) return -1;
  InstallInterruptCleanup();
  for (int i = 0; i < kTempSlots; ++i) {
    int expected = kFree;
    if (!g_temp_slots[i].state.compare_exchange_strong(expected, kFilling)) continue;
    memcpy(g_temp_slots[i].path, path.c_str(), path.size() + 1);
    g_temp_slots[i].state.store(kHeld);
    return i;
  }
  return -1;
}

void ReleaseTempFile(int slot) {
  if (slot >= 0) g_temp_slots[slot].state.store(kFree);
}

// Marks the errors of IsMissingInputFile: what they say stays theirs, and reworded, a status no
// longer carries it.
constexpr absl::string_view kMissingInputFile = "registry-cli/missing-input-file";
// The errno a file's error was made of (its number in decimal), for IsOutOfSpace: the message
// holds only strerror's words.
constexpr absl::string_view kErrnoPayload = "registry-cli/errno";


// What stands at a path that is not a regular file, "" for one.
std::string NotARegularFile(mode_t mode) {
  if (S_ISREG(mode)) return "";
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISFIFO(mode)) return "a named pipe (FIFO)";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

absl::Status WithErrno(absl::Status status, int error) {
  status.SetPayload(kErrnoPayload, absl::Cord(absl::StrCat(error)));
  return status;
}

absl::Status ErrnoStatus(int error, absl::string_view what) {
  const std::string message = absl::StrCat(what, ": ", strerror(error));
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return WithErrno(absl::NotFoundError(message), error);
    case EACCES:
    case EPERM:
      return WithErrno(absl::PermissionDeniedError(message), error);
    default:
      return WithErrno(absl::UnavailableError(message), error);
  }
}

bool IsOutOfSpace(const absl::Status& status) {
  const auto payload = status.GetPayload(kErrnoPayload);
  int error = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &error)) return false;
  return error == ENOSPC || error == EDQUOT;
}

std::string ExistingOutputProblem(absl::string_view option, absl::string_view path,
                                  absl::string_view overwrite_option) {
  struct stat info;
  if (path.empty() || lstat(std::string(path).c_str(), &info) != 0) return "";
  return absl::StrCat(option, " ", path, ": the file exists; choose another name or remove it (",
                      overwrite_option, " replaces it)");
}

std::string OutputPathProblem(absl::string_view path) {
  if (path.empty()) return "the file name is empty";
  // "-" is standard output to many tools; here it made a file named "-". No file option writes
  // there: the command prints its own result on standard output (a verdict, a count, a path).
  if (path == "-") {
    return "a file is written here, not standard output (where the command prints its result): "
           "name a file (./- for one named -)";
  }
  struct stat info;
  // lstat: a link is not followed, since the rename would replace the link, not its target.
  if (lstat(std::string(path).c_str(), &info) != 0) return "";
  const std::string what = NotARegularFile(info.st_mode);
  if (what.empty()) return "";
  if (S_ISDIR(info.st_mode)) return "it is a folder";
  return absl::StrCat("it is ", what,
                      ", not a regular file: give a new file name, or a regular file to replace");
}

std::string OutputFileProblem(absl::string_view path) {
  if (std::string problem = OutputPathProblem(path); !problem.empty()) return problem;
  struct stat info;
  if (lstat(std::string(path).c_str(), &info) == 0) return "";
  // A new file: its folder must be there (the writer makes none). Said as a mistake in the
  // option, before the work, rather than by the write at its end (NOT_FOUND, which read as the
  // registry's answer).
  const size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos || slash == 0) return "";
  const std::string folder(path.substr(0, slash));
  struct stat folder_info;
  if (stat(folder.c_str(), &folder_info) != 0) {
    return errno == ENOENT || errno == ENOTDIR ? absl::StrCat("no folder ", folder,
                                                              " to write it in")
                                               : "";
  }
  if (!S_ISDIR(folder_info.st_mode)) return absl::StrCat(folder, " is not a folder");
  return "";
}

absl::Status CheckInputFile(absl::string_view path, absl::string_view what) {
  const std::string label = absl::StrCat("cannot read ", what, " ", path);
  struct stat info;
  if (stat(std::string(path).c_str(), &info) != 0) {
    const int error = errno;
    if (error != ENOENT && error != ENOTDIR) return ErrnoStatus(error, label);
    absl::Status missing = ErrnoStatus(error, label);
    missing.SetPayload(kMissingInputFile, absl::Cord());
    return missing;
  }
  if (S_ISDIR(info.st_mode)) {
    absl::Status folder = absl::FailedPreconditionError(absl::StrCat(label, ": is a folder"));
    folder.SetPayload(kMissingInputFile, absl::Cord());
    return folder;
  }
  return absl::OkStatus();
}

bool IsMissingInputFile(const absl::Status& status) {
  return status.GetPayload(kMissingInputFile).has_value();
}

absl::StatusOr<std::string> ReadFileToString(absl::string_view path, absl::string_view what,
                                             size_t max_bytes) {
  const std::string path_string(path);
  const std::string label = absl::StrCat("cannot read ", what, " ", path);
  struct stat info;
  if (absl::Status named = CheckInputFile(path, what); !named.ok()) return named;
  if (stat(path_string.c_str(), &info) != 0) return ErrnoStatus(errno, label);
  const auto too_large = [&] {
    return absl::FailedPreconditionError(
        absl::StrCat(label, ": larger than ", max_bytes >> 20, " MiB"));
  };
  if (S_ISREG(info.st_mode) && static_cast<uintmax_t>(info.st_size) > max_bytes) {
    return too_large();
  }
  std::ifstream in(path_string, std::ios::binary);
  if (!in) return ErrnoStatus(errno, label);
  // Read in pieces, never past the limit: a device or a pipe has no size to check first.
  std::string contents;
  char piece[64 << 10];
  while (in) {
    in.read(piece, sizeof(piece));
    const size_t got = static_cast<size_t>(in.gcount());
    if (got > max_bytes - contents.size()) return too_large();
    contents.append(piece, got);
  }
  if (in.bad()) return absl::UnavailableError(label);
  // Every file the client reads is text (JSON, CSV, PEM), and Windows editors (Notepad, Excel's
  // "CSV UTF-8") start UTF-8 text with a byte order mark, which no parser here takes for
  // whitespace: "line 1, column 1: expected a value" of a record that is fine. Dropped here, it is
  // dropped for every command that reads a file.
  if (absl::StartsWith(contents, kUtf8ByteOrderMark)) {
    contents.erase(0, sizeof(kUtf8ByteOrderMark) - 1);
  }
  return contents;
}

absl::Status WriteFileAtomically(absl::string_view path, absl::string_view contents, int mode) {
  absl::StatusOr<std::unique_ptr<AtomicFileWriter>> file = AtomicFileWriter::Create(path, mode);
  if (!file.ok()) return file.status();
  absl::Status appended = (*file)->Append(contents);
  if (!appended.ok()) return appended;
  return (*file)->Commit();
}

absl::StatusOr<std::string> WriteNewFile(absl::string_view folder, absl::string_view stem,
                                         absl::string_view extension, absl::string_view contents,
                                         int mode) {
  for (int attempt = 1; attempt <= 99; ++attempt) {
    const std::string path =
        absl::StrCat(folder, "/", stem, attempt == 1 ? "" : absl::StrCat("-", attempt), extension);
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0 && errno == EEXIST) continue;
    if (fd < 0) return ErrnoStatus(errno, absl::StrCat("cannot create ", path));
    // open() applies the umask, which may only take bits away; fchmod sets exactly these.
    bool written = fchmod(fd, static_cast<mode_t>(mode)) == 0;
    for (size_t done = 0; written && done < contents.size();) {
      const ssize_t n = write(fd, contents.data() + done, contents.size() - done);
      if (n < 0 && errno == EINTR) continue;
      written = n > 0;
      if (written) done += static_cast<size_t>(n);
    }
    const int error = errno;
    written = close(fd) == 0 && written;
    if (!written) {
      unlink(path.c_str());
      return ErrnoStatus(error, absl::StrCat("cannot write ", path));
    }
    return path;
  }
  return absl::AlreadyExistsError(absl::StrCat("cannot create ", folder, "/", stem, extension,
                                               ": it and 98 numbered names exist"));
}

absl::StatusOr<std::unique_ptr<AtomicFileWriter>> AtomicFileWriter::Create(absl::string_view path,
                                                                          int mode) {
  std::string temp = absl::StrCat(path, ".tmp-", getpid());
  // A folder at the path would be found only at the rename, after whatever the file was for (a
  // vetting check, counted and audited) was done; a link, a FIFO or a device (/dev/full, as root)
  // would be replaced by a regular file. Commands check their options the same way before they
  // call (ValueCheck::kOutputPath); this is for the paths they make themselves.
  if (const std::string problem = OutputPathProblem(path); !problem.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("cannot write ", path, ": ", problem));
  }
  // A new file, never one already there: a leftover, or a link another account put in its place
  // (the name is predictable) to receive what is written, is removed first, and O_EXCL |
  // O_NOFOLLOW refuse whatever appears in its place meanwhile.
  unlink(temp.c_str());
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  // Named as the user gave it: the temporary name beside it is this program's business.
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("cannot write ", path));
  // open() applies the umask; set the exact bits asked for.
  if (fchmod(fd, static_cast<mode_t>(mode)) != 0) {
    const int error = errno;
    close(fd);
    unlink(temp.c_str());
    return ErrnoStatus(error, absl::StrCat("cannot write ", path));
  }
  const int slot = HoldTempFile(temp);
  return std::unique_ptr<AtomicFileWriter>(
      new AtomicFileWriter(std::string(path), std::move(temp), fd, slot));
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) close(fd_);
  if (!committed_) unlink(temp_.c_str());
  ReleaseTempFile(slot_);
}

absl::Status AtomicFileWriter::Append(absl::string_view data) {
  if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat(path_, " is already closed"));
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = write(fd_, data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Abandon(errno);
    }
    written += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status AtomicFileWriter::Abandon(int error) {
  // The temporary file goes now, not when the writer does, so that the error may say so. The
  // error names the file the user gave: the temporary name beside it is this program's business.
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  unlink(temp_.c_str());
  ReleaseTempFile(slot_);
  slot_ = -1;
  // A full disk, a quota or an I/O error: the state of this computer is the user's to fix, as for
  // the standard output (cli.h); UNAVAILABLE would read as a server that cannot be reached.
  return WithErrno(absl::FailedPreconditionError(absl::StrCat(
                       "cannot write ", path_, ": ", strerror(error),
                       "; nothing was saved: the partly written copy was removed, and ", path_,
                       " is as it was")),
                   error);
}

absl::Status AtomicFileWriter::Commit() {
  if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat(path_, " is already closed"));
  // A full disk may show only here: the file system writes the data out at fsync or close.
  if (fsync(fd_) != 0) return Abandon(errno);
  const int fd = fd_;
  fd_ = -1;
  if (close(fd) != 0) return Abandon(errno);
  if (rename(temp_.c_str(), path_.c_str()) != 0) {
    return ErrnoStatus(errno, absl::StrCat("cannot replace ", path_));
  }
  committed_ = true;
  ReleaseTempFile(slot_);
  slot_ = -1;
  return absl::OkStatus();
}

absl::Status MakeDirectories(absl::string_view path, int mode) {
  std::string partial;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == absl::string_view::npos) slash = path.size();
    partial = std::string(path.substr(0, slash));
    pos = slash + 1;
    if (partial.empty()) continue;
    if (mkdir(partial.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
      return ErrnoStatus(errno, absl::StrCat("cannot create folder ", partial));
    }
  }
  struct stat info;
  if (stat(std::string(path).c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a folder"));
  }
  return absl::OkStatus();
}

}  // namespace registry::client

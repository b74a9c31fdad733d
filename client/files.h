// Whole-file reads and writes for the command-line client, with errors that name the file.
//
//   ASSIGN_OR_RETURN(std::string pem, ReadFileToString(path, "CA certificate"));
//   RETURN_IF_ERROR(WriteFileAtomically(path, json, 0600));
#ifndef REGISTRY_CLIENT_FILES_H_
#define REGISTRY_CLIENT_FILES_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace registry::client {

// What ReadFileToString reads at most by default: far above any record, certificate, key or
// state file, and a bound on what a mistaken path (/dev/zero, a disk image) can make the client
// hold in memory.
inline constexpr size_t kMaxInputFileBytes = 64 << 20;
// An import file may be larger: a backlog of many thousand rows.
inline constexpr size_t kMaxImportFileBytes = size_t{1} << 30;

// The UTF-8 byte order mark that Windows editors put at the start of a text file.
inline constexpr char kUtf8ByteOrderMark[] = "\xEF\xBB\xBF";

// Returns the contents of `path` (a file, or a pipe such as <(...)), without a UTF-8 byte order
// mark at its start (every file the client reads is text: JSON, CSV or PEM). NotFound when it
// does not exist, PermissionDenied when it may not be read, FailedPrecondition for a folder or
// for more than `max_bytes` (read no further than that), Unavailable for other read errors; the
// message names `what` and the path.
absl::StatusOr<std::string> ReadFileToString(absl::string_view path, absl::string_view what,
                                             size_t max_bytes = kMaxInputFileBytes);

// OK when `path` names something ReadFileToString could read; else its error for a file that is
// not there or a folder, without reading anything (a format told by the name is checked after).
absl::Status CheckInputFile(absl::string_view path, absl::string_view what);

// True for an error of ReadFileToString or CheckInputFile that says the file is not there or is
// a folder: a mistake in the command line, which exits 2 whatever the command (the tool's help
// promises it for "a mistake ... in a file it names"), keeping its own code.
bool IsMissingInputFile(const absl::Status& status);

// The error of a call on a file that failed with errno `error`: "WHAT: <strerror's words>",
// NotFound for a file or folder that is not there, PermissionDenied for one that may not be
// used, Unavailable for the rest.
absl::Status ErrnoStatus(int error, absl::string_view what);

// `status` keeping `error`, the errno it was made of (ErrnoStatus keeps it itself), for
// IsOutOfSpace.
absl::Status WithErrno(absl::Status status, int error);

// Whether `status`, an error of ErrnoStatus or of a writer below, was made by a full disk or a
// used-up quota (ENOSPC, EDQUOT): the one failure that making room mends. Told by the errno the
// error keeps, never by its words.
bool IsOutOfSpace(const absl::Status& status);

// Writes `contents` to `path` through a temporary file in the same folder and a rename, so a
// reader never sees half a file; the file gets permission bits `mode`. The folder must exist.
absl::Status WriteFileAtomically(absl::string_view path, absl::string_view contents, int mode);

// Writes `contents` to a new file `folder`/`stem``extension`, or, when that name is taken,
// `stem`-2`extension`, -3, ... up to -99, with permission bits `mode`, and returns its path. An
// existing file is never opened, let alone overwritten (O_EXCL). A partly written file is
// removed.
absl::StatusOr<std::string> WriteNewFile(absl::string_view folder, absl::string_view stem,
                                         absl::string_view extension, absl::string_view contents,
                                         int mode);

// "" when nothing is at `path`; else that a file exists there, named by the option and the path,
// with what to do: "--out cert.json: the file exists; choose another name or remove it
// (--overwrite replaces it)". For a command whose output must not silently replace an earlier
// one (an employer's signed certificate, an audit export handed to a recipient).
std::string ExistingOutputProblem(absl::string_view option, absl::string_view path,
                                  absl::string_view overwrite_option);

// "" when a file may be written at `path` by AtomicFileWriter (WriteFileAtomically): nothing is
// there yet, or a regular file that it replaces. Else what is wrong, without the path: "the file
// name is empty", that "-" is no file (standard output to other tools; the command prints its
// result there), "it is a folder" (refused by the rename only after the work the file was for),
// or "it is a symbolic link, not a regular file: ..." (a named pipe, a device, a socket), which
// the rename would replace by a file: a link, not what it points to; /dev/full, as root. Other
// errors (a folder that does not exist) are left to the writer.
std::string OutputPathProblem(absl::string_view path);

// OutputPathProblem, and for a new file whose folder is not there (a writer that makes no
// folders: --out), "no folder var/nodir to write it in", or "var/x is not a folder".
std::string OutputFileProblem(absl::string_view path);

// WriteFileAtomically for contents that arrive piece by piece and need not fit in memory (an
// audit export as long as the log): pieces go to the temporary file as they come, and the file
// appears at `path` only when Commit succeeds. Destroyed without a successful Commit, it removes
// the temporary file and leaves `path` as it was. So does an interrupt: while a writer holds a
// temporary file, SIGINT, SIGTERM and SIGHUP (where the program left them at their default)
// remove it before they end the process, as they would have (Ctrl-C during an audit export
// leaves nothing behind).
//
//   ASSIGN_OR_RETURN(std::unique_ptr<AtomicFileWriter> file, AtomicFileWriter::Create(path, 0600));
//   RETURN_IF_ERROR(file->Append(line));
//   RETURN_IF_ERROR(file->Commit());
class AtomicFileWriter {
 public:
  // Creates the temporary file beside `path` with permission bits `mode`. FailedPrecondition,
  // before anything is written, when OutputPathProblem(path) finds one.
  static absl::StatusOr<std::unique_ptr<AtomicFileWriter>> Create(absl::string_view path,
                                                                  int mode);
  ~AtomicFileWriter();

  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  // A write that fails (a full disk) is FailedPrecondition naming `path`, never the temporary
  // file, which is removed at once; the writer takes nothing more after it.
  absl::Status Append(absl::string_view data);
  // Syncs, closes and renames the temporary file to `path`. Once only. Fails as Append does.
  absl::Status Commit();

 private:
  // Closes and removes the temporary file after a write failed with `error`; the error to return.
  absl::Status Abandon(int error);

  AtomicFileWriter(std::string path, std::string temp, int fd, int slot)
      : path_(std::move(path)), temp_(std::move(temp)), fd_(fd), slot_(slot) {}

  const std::string path_;
  const std::string temp_;
  int fd_;  // -1 once closed
  int slot_;  // where the interrupt handler finds temp_; -1 when nowhere
  bool committed_ = false;
};

// Creates `path` and missing parents with permission bits `mode` (existing folders are left
// as they are).
absl::Status MakeDirectories(absl::string_view path, int mode);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_FILES_H_

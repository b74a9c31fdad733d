#include "storage/table_probe.h"

#include <fcntl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "rocksdb/options.h"
#include "rocksdb/sst_file_reader.h"

namespace registry::storage {
namespace {

namespace fs = std::filesystem;

void WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// The child: names each file on `fd`, then opens it. Never returns.
[[noreturn]] void ProbeInChild(int fd, const std::vector<std::string>& files,
                               const TableProbeOptions& options) {
  // RocksDB's assertion text would land in registryd's JSON log; the parent says what happened.
  const int null = ::open("/dev/null", O_WRONLY);
  if (null >= 0) ::dup2(null, STDERR_FILENO);
  for (const std::string& file : files) {
    WriteAll(fd, file + "\n");
    if (options.before_open) options.before_open(file);
    rocksdb::Options rocks;
    rocksdb::SstFileReader reader(rocks);
    reader.Open(file).PermitUncheckedError();  // an error status is Database::Open's to report
  }
  ::_exit(0);
}

}  // namespace

absl::Status ProbeTableFiles(const std::string& dir, const TableProbeOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return absl::OkStatus();
  std::vector<std::string> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".sst") files.push_back(entry.path().string());
  }
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot list ", dir, ": ", ec.message()));
  }
  if (files.empty()) return absl::OkStatus();
  std::sort(files.begin(), files.end());

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("table probe: pipe: ", std::strerror(errno)));
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return absl::InternalError(absl::StrCat("table probe: fork: ", std::strerror(err)));
  }
  if (pid == 0) {
    ::close(fds[0]);
    ProbeInChild(fds[1], files, options);
  }
  ::close(fds[1]);
  std::string named;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fds[0], buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    named.append(buffer, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return absl::InternalError(absl::StrCat("table probe: waitpid: ", std::strerror(errno)));
    }
  }
  if (WIFSIGNALED(status)) {
    // The last name the child wrote is the file it was opening.
    std::vector<std::string> lines = absl::StrSplit(named, '\n', absl::SkipEmpty());
    const std::string file =
        lines.empty() ? std::string("?") : fs::path(lines.back()).filename().string();
    return absl::DataLossError(
        absl::StrCat("table file ", file, " in ", dir,
                     " is damaged: opening it ends RocksDB (signal ", WTERMSIG(status),
                     "); restore the data directory from a backup"));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("table probe exited with status ", status));
  }
  return absl::OkStatus();
}

}  // namespace registry::storage

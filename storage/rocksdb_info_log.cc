#include "storage/rocksdb_info_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <utility>

#include "absl/strings/str_cat.h"

namespace registry::storage {

std::shared_ptr<RocksDbInfoLog> RocksDbInfoLog::Open(const std::string& dir,
                                                     rocksdb::InfoLogLevel level) {
  // Nothing is made, renamed or written until Begin: the database may not open.
  return std::shared_ptr<RocksDbInfoLog>(new RocksDbInfoLog(dir + "/LOG", level, false));
}

RocksDbInfoLog::RocksDbInfoLog(std::string file, rocksdb::InfoLogLevel level)
    : RocksDbInfoLog(std::move(file), level, true) {}

RocksDbInfoLog::RocksDbInfoLog(std::string file, rocksdb::InfoLogLevel level, bool begun)
    : rocksdb::Logger(level), file_(std::move(file)) {
  absl::MutexLock lock(&mu_);
  begun_ = begun;
  // Made at once, as RocksDB's logger made it, though no line may come.
  if (begun_) fd_ = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

void RocksDbInfoLog::Begin() {
  absl::MutexLock lock(&mu_);
  if (begun_ || shut_) return;
  begun_ = true;
  // As RocksDB's CreateLoggerFromOptions: the previous log kept aside under its time. Failures
  // are left to the open of each line.
  struct timeval now {};
  ::gettimeofday(&now, nullptr);
  const std::string aside = absl::StrCat(
      file_, ".old.", static_cast<uint64_t>(now.tv_sec) * 1000000 + now.tv_usec);
  ::rename(file_.c_str(), aside.c_str());
  fd_ = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  std::string held;
  held.swap(held_);
  if (!held.empty() && !WriteLocked(held)) dropped_ += 1;
}

RocksDbInfoLog::~RocksDbInfoLog() {
  if (!closed_) Close().PermitUncheckedError();
}

rocksdb::Status RocksDbInfoLog::CloseImpl() {
  absl::MutexLock lock(&mu_);
  shut_ = true;
  held_.clear();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  return rocksdb::Status::OK();
}

void RocksDbInfoLog::Logv(const char* format, va_list ap) {
  // The line as RocksDB's logger wrote it: local time to the microsecond, the thread, the text.
  struct timeval now {};
  ::gettimeofday(&now, nullptr);
  struct tm t {};
  const time_t seconds = now.tv_sec;
  ::localtime_r(&seconds, &t);
  char prefix[64];
  std::snprintf(prefix, sizeof(prefix), "%04d/%02d/%02d-%02d:%02d:%02d.%06ld %" PRIx64 " ",
                t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                static_cast<long>(now.tv_usec), rocksdb::Env::Default()->GetThreadID());
  std::string line = prefix;
  char text[512];
  va_list again;
  va_copy(again, ap);
  const int length = std::vsnprintf(text, sizeof(text), format, ap);
  if (length < 0) {
    va_end(again);
    return;
  }
  if (static_cast<size_t>(length) < sizeof(text)) {
    line.append(text, static_cast<size_t>(length));
  } else {
    std::string longer(static_cast<size_t>(length) + 1, '\0');
    std::vsnprintf(longer.data(), longer.size(), format, again);
    longer.resize(static_cast<size_t>(length));
    line += longer;
  }
  va_end(again);
  if (line.back() != '\n') line.push_back('\n');

  absl::MutexLock lock(&mu_);
  if (shut_) return;
  if (!begun_) {
    // Held until the database has opened; a line past the bound is dropped.
    if (held_.size() + line.size() > kHeldBytes) {
      ++dropped_;
      return;
    }
    held_ += line;
    ++written_;
    return;
  }
  // After a line cut off by a failed write, the next starts on a line of its own.
  if (cut_) line.insert(line.begin(), '\n');
  if (WriteLocked(line)) {
    cut_ = false;
    ++written_;
  } else {
    ++dropped_;
  }
}

bool RocksDbInfoLog::WriteLocked(const std::string& line) {
  if (fd_ < 0) {
    fd_ = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd_ < 0) return false;
  }
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // A full disk (ENOSPC, or a short write before it), an I/O error: the line is dropped, or
    // left cut off, and the file opened again for the next one (it may have been moved or
    // deleted meanwhile). Nothing is kept in an error state.
    ::close(fd_);
    fd_ = -1;
    if (done > 0) cut_ = true;
    return false;
  }
  return true;
}

uint64_t RocksDbInfoLog::written() const {
  absl::MutexLock lock(&mu_);
  return written_;
}

uint64_t RocksDbInfoLog::dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

}  // namespace registry::storage

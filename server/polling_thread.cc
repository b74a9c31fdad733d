#include "server/polling_thread.h"

#include <sys/stat.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace registry::server {

std::string FileStamp(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return "-";
  return absl::StrCat(st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, "/", st.st_size, "/",
                      st.st_ino);
}

void PollingThread::Start(absl::Duration first, absl::Duration interval,
                          std::function<void()> poll) {
  thread_ = std::thread([this, first, interval, poll = std::move(poll)] {
    absl::Duration wait = first;
    while (!stop_.WaitForNotificationWithTimeout(wait)) {
      poll();
      wait = interval;
    }
  });
}

void PollingThread::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

}  // namespace registry::server

#include "storage/key_folder_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace registry::storage {

// One lock file's flock, held by this process until the last holder lets go.
struct KeyFolderLock::Held {
  int fd = -1;
  ~Held() {
    if (fd >= 0) ::close(fd);
  }
};

namespace {

// The locks this process holds, by lock file.
struct Taken {
  absl::Mutex mu;
  std::map<std::string, std::weak_ptr<KeyFolderLock::Held>> by_path ABSL_GUARDED_BY(mu);
};
Taken& TakenLocks() {
  static Taken* const taken = new Taken;  // never destroyed: used until the process ends
  return *taken;
}

}  // namespace

std::string KeyFolderLock::LockPathOf(const std::string& file) {
  return absl::StrCat(file, ".lock");
}

absl::StatusOr<std::shared_ptr<const KeyFolderLock>> KeyFolderLock::Take(
    const std::vector<std::string>& files) {
  Taken& taken = TakenLocks();
  absl::MutexLock lock(&taken.mu);
  std::vector<std::shared_ptr<Held>> held;
  for (const std::string& file : files) {
    if (file.empty()) continue;
    const std::string path = LockPathOf(file);
    if (std::shared_ptr<Held> mine = taken.by_path[path].lock()) {
      held.push_back(std::move(mine));
      continue;
    }
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT) {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_CREAT | O_EXCL, 0600);
      if (fd < 0 && errno == EEXIST) fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      // No folder: nothing of the file can be there to protect yet.
      if (fd < 0 && errno == ENOENT) continue;
    }
    if (fd < 0) {
      const int error = errno;
      return absl::UnavailableError(absl::StrCat(
          "cannot open or create ", path, " (", std::strerror(error), "), the file whose lock "
          "tells that a registryd uses ", file, ": let registryd's account create it, or create "
          "it for that account (mode 0600)"));
    }
    auto one = std::make_shared<Held>();
    one->fd = fd;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      if (error == EWOULDBLOCK) {
        return absl::FailedPreconditionError(absl::StrCat(
            "a registryd is running that uses ", file, " (it holds ", path, "), perhaps under "
            "another config whose data_dir differs but whose key folder is this one: stop that "
            "registryd first; nothing was changed"));
      }
      return absl::UnavailableError(absl::StrCat("cannot lock ", path, ": ",
                                                 std::strerror(error)));
    }
    taken.by_path[path] = one;
    held.push_back(std::move(one));
  }
  return std::shared_ptr<const KeyFolderLock>(new KeyFolderLock(std::move(held)));
}

}  // namespace registry::storage

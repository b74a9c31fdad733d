#include "tests/testing/terminal_run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"

namespace registry::testing {
namespace {

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TerminalRun>> TerminalRun::Open() {
  const int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return absl::InternalError("posix_openpt failed");
  if (grantpt(master) != 0 || unlockpt(master) != 0) {
    close(master);
    return absl::InternalError("grantpt or unlockpt failed");
  }
  const int slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) {
    close(master);
    return absl::InternalError("cannot open the terminal's other end");
  }
  return std::unique_ptr<TerminalRun>(new TerminalRun(master, slave));
}

TerminalRun::~TerminalRun() {
  Kill();
  if (pidfd_ >= 0) close(pidfd_);
  if (slave_ >= 0) close(slave_);
  close(master_);
}

absl::Status TerminalRun::Start(std::vector<std::string> args, std::vector<std::string> env,
                                const std::string& log, const std::string& dir) {
  if (pid_ >= 0 || slave_ < 0) return absl::FailedPreconditionError("already started");
  if (args.empty()) return absl::InvalidArgumentError("no program");
  log_ = log;
  std::vector<char*> argv = Pointers(args);
  std::vector<char*> envp = Pointers(env);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, slave_, STDIN_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  if (!dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  const int spawned = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  // The program holds the terminal now; the test keeps only the end it types on.
  close(slave_);
  slave_ = -1;
  if (spawned != 0) {
    pid_ = -1;
    return absl::InternalError(absl::StrCat("cannot run ", args[0], ": errno ", spawned));
  }
  // Readable once the process has ended.
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd_ < 0) {
    Kill();
    return absl::InternalError("pidfd_open failed");
  }
  return absl::OkStatus();
}

bool TerminalRun::Type(absl::string_view text) {
  return write(master_, text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

bool TerminalRun::EndsWithin(absl::Duration timeout) {
  if (exit_code_.has_value()) return true;
  if (pid_ < 0) return false;
  pollfd p{pidfd_, POLLIN, 0};
  const int ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
  int ready;
  do {
    ready = poll(&p, 1, ms);
  } while (ready < 0 && errno == EINTR);
  if (ready != 1) return false;
  int status = 0;
  if (waitpid(pid_, &status, 0) != pid_) return false;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return true;
}

void TerminalRun::Kill() {
  if (pid_ < 0 || exit_code_.has_value()) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  exit_code_ = -1;
}

std::string TerminalRun::Output() const {
  std::ifstream in(log_, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace registry::testing

// A program run as a person at a terminal runs it: its standard input a pseudo-terminal, on which
// the test types, its output and errors written to one file, read back as the person sees it.
//
//   auto run = TerminalRun::Open();
//   run->Type("yes\n");                       // typed ahead, before the program runs
//   run->Start({"/path/to/registry-cli", ...}, {"HOME=/tmp/h"}, log_path);
//   if (!run->EndsWithin(absl::Seconds(30))) ...;
//   EXPECT_EQ(run->ExitCode(), 0);
#ifndef REGISTRY_TESTS_TESTING_TERMINAL_RUN_H_
#define REGISTRY_TESTS_TESTING_TERMINAL_RUN_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace registry::testing {

class TerminalRun {
 public:
  // A new pseudo-terminal; nothing runs on it yet.
  static absl::StatusOr<std::unique_ptr<TerminalRun>> Open();
  // Kills the program if it still runs, and closes the terminal.
  ~TerminalRun();
  TerminalRun(const TerminalRun&) = delete;
  TerminalRun& operator=(const TerminalRun&) = delete;

  // Spawns args[0] with `args` as its argv and only `env` as its environment, in `dir` unless
  // it is empty: standard input the terminal, standard output and error the file `log`.
  absl::Status Start(std::vector<std::string> args, std::vector<std::string> env,
                     const std::string& log, const std::string& dir = "");

  // Types `text` on the terminal: before Start, text typed ahead. False when it was not written.
  bool Type(absl::string_view text);

  // Waits until the program ends or `timeout` passes (woken by its end, not by polling): true
  // once it has ended.
  bool EndsWithin(absl::Duration timeout);

  // Its exit code once it has ended; -1 when a signal ended it; nullopt while it runs.
  std::optional<int> ExitCode() const { return exit_code_; }

  // Ends a program still running (SIGKILL) and reaps it.
  void Kill();

  // What it has written so far.
  std::string Output() const;

 private:
  TerminalRun(int master, int slave) : master_(master), slave_(slave) {}

  int master_ = -1;
  int slave_ = -1;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::string log_;
  std::optional<int> exit_code_;
};

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_TERMINAL_RUN_H_

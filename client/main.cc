// registry-cli: the command-line client of registryd. See client/cli.h and `registry-cli --help`.
#include <stdlib.h>
#include <unistd.h>

#include <iostream>
#include <ostream>
#include <string>
#include <vector>

#include "client/cli.h"
#include "client/connection.h"
#include "client/output_buffer.h"
#include "client/terminal_text.h"

int main(int argc, char** argv) {
  // gRPC logs transport failures (e.g. a TLS handshake error) on stderr itself; the same cause
  // reaches the user in the call's status, printed once as "error: ...". Keep stderr to that unless
  // the user asks for gRPC's logs.
  setenv("GRPC_VERBOSITY", "NONE", /*overwrite=*/0);
  // Protobuf's own log lines likewise (a field that is not UTF-8): see KeepLibraryLogsOffStderr.
  registry::client::KeepLibraryLogsOffStderr();
  std::vector<std::string> args(argv + 1, argv + argc);
  registry::client::CliStreams streams;
  streams.in = &std::cin;
  streams.in_is_terminal = isatty(STDIN_FILENO) == 1;
  // Standard output through a buffer that keeps why a write failed: a full disk ends the run
  // with an error (RunCli), not with exit 0 and half the output.
  registry::client::FdOutputBuffer out_buffer(STDOUT_FILENO, isatty(STDOUT_FILENO) == 1);
  std::ostream out(&out_buffer);
  // As std::cout was: what was printed is out before a question's answer is read, and before
  // what goes to stderr after it (the two in one file or terminal keep their order).
  std::cin.tie(&out);
  std::cerr.tie(&out);
  streams.out = &out;
  streams.err = &std::cerr;
  streams.out_is_terminal = isatty(STDOUT_FILENO) == 1;
  streams.err_is_terminal = isatty(STDERR_FILENO) == 1;
  // The client's own text (help, errors, questions) is wrapped to the terminal it is read on:
  // standard output's, else standard error's (help piped to a pager is read on the latter).
  const char* columns = getenv("COLUMNS");
  registry::client::SetTextColumns(registry::client::TerminalColumns(
      isatty(STDOUT_FILENO) == 1 ? STDOUT_FILENO : STDERR_FILENO,
      columns == nullptr ? "" : columns));
  const int code = registry::client::RunCli(args, registry::client::ProcessEnv(), streams);
  // `out` ends here; whatever writes to stderr after main (at exit) must not flush it.
  std::cin.tie(&std::cout);
  std::cerr.tie(&std::cout);
  return code;
}

// registry-cli: the command-line client of registryd. See client/cli.h and `registry-cli --help`.
#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "client/cli.h"
#include "client/connection.h"

int main(int argc, char** argv) {
  // gRPC logs transport failures (e.g. a TLS handshake error) on stderr itself; the same cause
  // reaches the user in the call's status, printed once as "error: ...". Keep stderr to that unless
  // the user asks for gRPC's logs.
  setenv("GRPC_VERBOSITY", "NONE", /*overwrite=*/0);
  // A streamed command (audit verify --full, exports) frees and allocates megabytes of messages
  // per batch; glibc would hand the freed top of the heap back to the kernel each time and fault
  // it in again for the next batch. Keep up to 64 MiB of it for reuse (the process is short-lived).
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  std::vector<std::string> args(argv + 1, argv + argc);
  registry::client::CliStreams streams;
  streams.in = &std::cin;
  streams.in_is_terminal = isatty(STDIN_FILENO) == 1;
  streams.out = &std::cout;
  streams.err = &std::cerr;
  streams.err_is_terminal = isatty(STDERR_FILENO) == 1;
  return registry::client::RunCli(args, registry::client::ProcessEnv(), streams);
}

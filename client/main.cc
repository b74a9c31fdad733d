// registry-cli: the command-line client of registryd. See client/cli.h and `registry-cli --help`.
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
  std::vector<std::string> args(argv + 1, argv + argc);
  registry::client::CliStreams streams;
  streams.in = &std::cin;
  streams.in_is_terminal = isatty(STDIN_FILENO) == 1;
  streams.out = &std::cout;
  streams.err = &std::cerr;
  streams.err_is_terminal = isatty(STDERR_FILENO) == 1;
  return registry::client::RunCli(args, registry::client::ProcessEnv(), streams);
}

// registry-cli: the command-line client of registryd. See client/cli.h and `registry-cli --help`.
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "client/cli.h"
#include "client/connection.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return registry::client::RunCli(args, registry::client::ProcessEnv(), std::cout, std::cerr,
                                  isatty(STDERR_FILENO) == 1);
}

// registry-console: the registry's web console. It runs on the official's workstation with the
// official's identity, exactly like registry-cli (the same --identity, --server and environment),
// and serves pages to that official's browser on 127.0.0.1. See README.md, "Console".
//
//   registry-console --identity var/dev/pki/clerk [--listen 127.0.0.1:8080]
#include <signal.h>

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "client/audit_verifier.h"
#include "client/choices.h"
#include "client/cli.h"
#include "client/connection.h"
#include "client/console/console_server.h"
#include "client/files.h"
#include "client/option_parser.h"
#include "client/terminal_text.h"
#include "client/tls_probe.h"
#include "common/core_dumps.h"

namespace {

using registry::client::OptionSpec;

std::vector<OptionSpec> Options() {
  std::vector<OptionSpec> specs;
  // The connection options of registry-cli, resolved by the same code.
  for (const OptionSpec& spec : registry::client::GlobalOptionSpecs()) {
    if (spec.name != "json") specs.push_back(spec);
  }
  specs.push_back({"listen", "HOST:PORT",
                   "where the console serves its pages (default 127.0.0.1:8080; port 0: any "
                   "free port)"});
  specs.push_back({"allow-remote", "",
                   "allow a --listen address that is not loopback (needs --tls-cert and "
                   "--tls-key)"});
  specs.push_back({"tls-cert", "FILE", "the console's own HTTPS certificate, PEM"});
  specs.push_back({"tls-key", "FILE", "its private key, PEM"});
  specs.push_back({"audit-state", "FILE",
                   "the auditor's verification state (default ~/.registry-cli/audit-state.json, "
                   "shared with registry-cli audit verify)"});
  specs.push_back({"audit-public-key", "FILE",
                   "the registry's audit public key, PEM (default: the pinned key)"});
  specs.push_back({"url-file", "FILE",
                   "also write the start URL to FILE (mode 0600), for a program that opens it"});
  return specs;
}

// What a mistake on the command line is followed by, as registry-cli's: the usage line and
// where the options are told, not the whole help before the error.
constexpr char kUsageHint[] =
    "usage: registry-console [options]\nrun 'registry-console --help' for its options\n";

void Usage(std::ostream& out) {
  out << "usage: registry-console [options]\n\n"
         "The registry's web console for the official whose identity it is given. It prints a\n"
         "URL to open in a browser on this computer.\n\noptions:\n";
  for (const OptionSpec& spec : Options()) {
    out << "  --" << spec.name << (spec.value_name.empty() ? "" : " " + spec.value_name) << "\n"
        << "      " << spec.help << "\n";
  }
}


// Exit codes as registry-cli's (README.md): 2 for a usage mistake, an option's value refused for
// its own content (INVALID_ARGUMENT: a --listen address that is not loopback), or a file named
// that is not there or is a folder; 1 for anything else.
int Fail(const absl::Status& status) {
  std::cerr << "registry-console: " << registry::client::FormatError(status) << "\n";
  return registry::client::IsUsageError(status) || absl::IsInvalidArgument(status) ||
                 registry::client::IsMissingInputFile(status)
             ? 2
             : 1;
}

}  // namespace

int main(int argc, char** argv) {
  setenv("GRPC_VERBOSITY", "NONE", /*overwrite=*/0);
  // No core dump of a process that holds its official's private key and the records shown.
  if (const absl::Status kept = registry::KeepOutOfCoreDumps(); !kept.ok()) return Fail(kept);
  const std::vector<std::string> args(argv + 1, argv + argc);
  const std::vector<OptionSpec> specs = Options();
  absl::StatusOr<registry::client::ParsedArgs> parsed =
      registry::client::ParseOptions(specs, args, 0, 0);
  if (!parsed.ok()) {
    const int code = Fail(parsed.status());
    std::cerr << kUsageHint;
    return code;
  }
  if (parsed->help()) {
    Usage(std::cout);
    return 0;
  }
  absl::StatusOr<registry::client::ConnectionSettings> settings =
      registry::client::ResolveConnectionSettings(*parsed, registry::client::ProcessEnv());
  if (!settings.ok()) return Fail(settings.status());
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      registry::client::CreateChannel(*settings);
  // An expired certificate, found before connecting, is said as registry-cli says it.
  if (!channel.ok()) {
    return Fail(registry::client::ExplainRefusedCertificate(*settings, channel.status()));
  }
  // The official's key, as registry-cli warns of it: whoever else may read it may act as them.
  if (const std::string warning = registry::client::KeyFileWarning(*settings); !warning.empty()) {
    std::cerr << "registry-console: " << registry::client::ForTerminal(warning) << "\n";
  }

  registry::console::ConsoleOptions options;
  options.listen = parsed->Value("listen", registry::console::kDefaultListen);
  options.allow_remote = parsed->Flag("allow-remote");
  options.tls_cert_file = parsed->Value("tls-cert");
  options.tls_key_file = parsed->Value("tls-key");
  options.audit_state_path = parsed->Value("audit-state");
  options.server_address = settings->server;
  if (auto key = parsed->Get("audit-public-key")) {
    absl::StatusOr<std::string> pem = registry::client::ReadFileToString(*key, "audit public key");
    if (!pem.ok()) return Fail(pem.status());
    options.audit_public_key_pem = *pem;
  }

  // Each start URL is good for one session (its secret is spent by its first use, since the
  // browser's history keeps it): the next one is printed, and written to --url-file, as the first
  // was, after each use and after each sign-out.
  const std::optional<std::string> url_file = parsed->Get("url-file");
  auto print_mu = std::make_shared<absl::Mutex>();
  options.start_url_changed = [url_file, print_mu](
                                  registry::console::ConsoleOptions::StartUrlEvent event,
                                  const std::string& next) {
    absl::MutexLock lock(print_mu.get());
    if (url_file.has_value()) {
      if (absl::Status written =
              registry::client::WriteFileAtomically(*url_file, absl::StrCat(next, "\n"), 0600);
          !written.ok()) {
        std::cerr << "registry-console: " << registry::client::FormatError(written) << "\n";
      }
    }
    std::cout << (event == registry::console::ConsoleOptions::StartUrlEvent::kUsed
                      ? "The start address was used and no longer opens anything. "
                      : "Signed out. ")
              << "The next session starts at (do not share it):\n  " << next << "\n"
              << std::flush;
  };

  // Signals go to one thread that stops the console; the others never see them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  registry::console::Console console(
      options, registry::console::NewGrpcRegistry(*channel, *settings));
  if (absl::Status started = console.Start(); !started.ok()) {
    // A registry that does not answer may be one that refused this certificate: say which.
    if (started.code() == absl::StatusCode::kUnavailable &&
        !absl::StartsWith(started.message(), "cannot listen")) {
      started = registry::client::ExplainUnavailable(*settings, started);
    }
    // A revoked one (the registry's answer) too: what to do, and where the new one goes.
    return Fail(registry::client::ExplainRefusedCertificate(*settings, started));
  }
  const registry::v1::WhoAmIResponse who = console.who();
  const std::string url = console.StartUrl();
  if (url_file.has_value()) {
    if (absl::Status written =
            registry::client::WriteFileAtomically(*url_file, absl::StrCat(url, "\n"), 0600);
        !written.ok()) {
      return Fail(written);
    }
  }
  std::cout << "registry-console for " << registry::client::ForTerminal(who.identity()) << " ("
            << registry::console::RoleKey(who.role()) << ")\n"
            << "Open this address in your browser (it holds this session's secret: do not share "
               "it):\n  "
            << url << "\nIt starts one session; a new address is printed here after each use.\n"
            << "Ctrl-C stops the console.\n"
            << std::flush;

  std::thread waiter([&console, signals] {
    int signal = 0;
    sigwait(&signals, &signal);
    console.Stop();
  });
  console.Wait();
  waiter.join();
  return 0;
}

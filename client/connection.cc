#include "client/connection.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/cord.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/files.h"
#include "client/server_revocation.h"
#include "client/tls_probe.h"
#include "common/status_macros.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace registry::client {
namespace {

constexpr char kSentBeforeFailureUrl[] = "type.registry.kjc/registry.client.SentBeforeFailure";
constexpr char kCancelledByTheServerUrl[] =
    "type.registry.kjc/registry.client.CancelledByTheServer";

// The variable's value without the spaces around it, as every option's value is taken (a value
// pasted into a shell profile brings one along: "127.0.0.1:7443 " worked as --server and was
// refused as $REGISTRY_SERVER); nullopt when unset or blank.
std::optional<std::string> EnvValue(const EnvLookup& env, absl::string_view variable) {
  const std::optional<std::string> value = env(variable);
  if (!value.has_value()) return std::nullopt;
  const absl::string_view trimmed = absl::StripAsciiWhitespace(*value);
  if (trimmed.empty()) return std::nullopt;
  return std::string(trimmed);
}

// Flag, else environment variable, else nullopt; `from` (when not null) is set to "--flag" or
// "$VARIABLE", whichever gave the value.
std::optional<std::string> FlagOrEnv(const ParsedArgs& global, absl::string_view flag,
                                     const EnvLookup& env, absl::string_view variable,
                                     std::string* from = nullptr) {
  if (std::optional<std::string> value = global.Get(flag)) {
    if (from != nullptr) *from = absl::StrCat("--", flag);
    return value;
  }
  if (std::optional<std::string> value = EnvValue(env, variable)) {
    if (from != nullptr) *from = absl::StrCat("$", variable);
    return value;
  }
  return std::nullopt;
}

bool IsValidRequestId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](absl::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

const std::vector<OptionSpec>& GlobalOptionSpecs() {
  static const auto* const kSpecs = new std::vector<OptionSpec>{
      {"server", "HOST:PORT", "registryd address ($REGISTRY_SERVER; default 127.0.0.1:7443)"},
      {"server-name", "NAME",
       "name expected in the server certificate, when not the host ($REGISTRY_SERVER_NAME)"},
      {"identity", "DIR",
       "folder with ca.pem, cert.pem and key.pem ($REGISTRY_IDENTITY)"},
      {"ca", "FILE",
       "CA certificate, PEM; replaces the identity's (default $REGISTRY_CA, which replaces only an "
       "identity from $REGISTRY_IDENTITY)"},
      {"cert", "FILE",
       "client certificate, PEM; replaces the identity's (default $REGISTRY_CERT, which "
       "replaces only an identity from $REGISTRY_IDENTITY)"},
      {"key", "FILE",
       "client private key, PEM; replaces the identity's (default $REGISTRY_KEY, which "
       "replaces only an identity from $REGISTRY_IDENTITY)"},
      {"json", "",
       "machine output: protobuf JSON, one object per line; an error is JSON too, on stderr"},
      {"timeout", "SECONDS", "deadline of each call (default 30)"},
      {"request-id", "ID", "x-request-id sent with every call (default: random)"},
  };
  return *kSpecs;
}

absl::StatusOr<ConnectionSettings> ResolveConnectionSettings(const ParsedArgs& global,
                                                             const EnvLookup& env) {
  ConnectionSettings settings;
  if (auto server = FlagOrEnv(global, "server", env, "REGISTRY_SERVER", &settings.server_from)) {
    settings.server = *server;
  }
  if (auto name = FlagOrEnv(global, "server-name", env, "REGISTRY_SERVER_NAME")) {
    settings.server_name = *name;
  }
  std::string identity_from;
  const std::optional<std::string> identity =
      FlagOrEnv(global, "identity", env, "REGISTRY_IDENTITY", &identity_from);
  if (identity.has_value()) {
    settings.identity_dir = *identity;
    settings.identity_from = identity_from;
  }
  struct FileSetting {
    absl::string_view flag;
    absl::string_view variable;
    absl::string_view file_in_identity;
    std::string* target;
    std::string* from;
  };
  for (const FileSetting& file :
       {FileSetting{"ca", "REGISTRY_CA", "ca.pem", &settings.ca_file, &settings.ca_from},
        FileSetting{"cert", "REGISTRY_CERT", "cert.pem", &settings.cert_file,
                    &settings.cert_from},
        FileSetting{"key", "REGISTRY_KEY", "key.pem", &settings.key_file, &settings.key_from}}) {
    // What the command line says comes first, then the environment; at each, a file named on
    // its own comes before the identity folder's. A $REGISTRY_CERT left exported in the shell
    // must not turn `--identity clerk` into another official's call.
    const bool identity_typed = identity.has_value() && identity_from == "--identity";
    const std::optional<std::string> typed = global.Get(file.flag);
    const std::optional<std::string> exported = EnvValue(env, file.variable);
    if (typed.has_value()) {
      *file.target = *typed;
      *file.from = absl::StrCat("--", file.flag);
    } else if (identity_typed) {
      *file.target = absl::StrCat(*identity, "/", file.file_in_identity);
      *file.from = identity_from;
    } else if (exported.has_value() && !exported->empty()) {
      *file.target = *exported;
      *file.from = absl::StrCat("$", file.variable);
    } else if (identity.has_value()) {
      *file.target = absl::StrCat(*identity, "/", file.file_in_identity);
      *file.from = identity_from;
    }
  }
  if (auto timeout = global.Get("timeout")) {
    ASSIGN_OR_RETURN(const uint64_t seconds, ParseUintOption("timeout", *timeout, 1, 86400));
    settings.timeout = absl::Seconds(static_cast<int64_t>(seconds));
  }
  if (auto request_id = global.Get("request-id")) {
    if (!IsValidRequestId(*request_id)) {
      return UsageError("--request-id must be 1..64 characters of A-Z a-z 0-9 - _");
    }
    settings.request_id = *request_id;
  } else {
    settings.request_id = GenerateRequestId();
  }
  return settings;
}

std::string GenerateRequestId() {
  // Letters only (26 of them: 122 bits): a hex id holds ten digits in a row about one time in
  // twelve, and registryd replaces a request id that could be a personal number, so the id in
  // the client's output would not be the one in the server's log and audit event.
  absl::BitGen gen;
  std::string id(26, 'a');
  for (char& c : id) c = static_cast<char>('a' + absl::Uniform<int>(gen, 0, 26));
  return id;
}

absl::Status CheckServerAddress(const ConnectionSettings& settings) {
  const absl::string_view address = settings.server;
  const size_t colon = address.rfind(':');
  bool good = colon != absl::string_view::npos && colon > 0;
  if (good) {
    const absl::string_view host = address.substr(0, colon);
    const absl::string_view port = address.substr(colon + 1);
    // An IPv6 address holds colons of its own, so it comes in brackets: [::1]:7443.
    good = host.front() == '[' ? host.size() > 2 && host.back() == ']'
                               : host.find_first_of(":[] \t/") == absl::string_view::npos;
    uint32_t number = 0;
    good = good && !port.empty() && port.size() <= 5 &&
           std::all_of(port.begin(), port.end(), absl::ascii_isdigit) &&
           absl::SimpleAtoi(port, &number) && number >= 1 && number <= 65535;
  }
  if (good) return absl::OkStatus();
  return UsageError(absl::StrCat(settings.server_from.empty() ? "--server" : settings.server_from,
                                 " \"", settings.server,
                                 "\" is not HOST:PORT with PORT 1..65535, e.g. 127.0.0.1:7443"));
}

IdentityFileNames NamesOfIdentityFiles(const ConnectionSettings& settings) {
  const auto name = [](const std::string& from, absl::string_view option,
                       const std::string& path) {
    return absl::StrCat(from.empty() ? option : from, " ", path);
  };
  return {name(settings.ca_from, "--ca", settings.ca_file),
          name(settings.cert_from, "--cert", settings.cert_file),
          name(settings.key_from, "--key", settings.key_file)};
}

std::string KeyFileWarning(const ConnectionSettings& settings) {
  struct stat info;
  if (settings.key_file.empty() || stat(settings.key_file.c_str(), &info) != 0 ||
      !S_ISREG(info.st_mode) || (info.st_mode & (S_IRGRP | S_IROTH)) == 0) {
    return "";
  }
  return absl::StrFormat(
      "warning: the private key %s may be read by other accounts on this computer (mode %04o); "
      "make it yours only: chmod 600 %s",
      NamesOfIdentityFiles(settings).key, info.st_mode & 07777, settings.key_file);
}

namespace {

struct IdentityPems {
  std::string ca;
  std::string cert;
  std::string key;
};

// OK unless a file the settings take from the identity folder is not there: a usage error
// naming the folder as it was given. Reading var/dev/pki/clerk/ca.pem of a folder that does not
// exist, or of var/dev/pki (the folder of every role), would say only that the CA file cannot be
// read, as if the server's files were at fault.
absl::Status CheckIdentityFolder(const ConnectionSettings& settings) {
  if (settings.identity_from.empty()) return absl::OkStatus();
  std::vector<std::string> missing;
  for (const auto& [from, file, name] :
       {std::tuple<const std::string&, const std::string&, absl::string_view>{
            settings.ca_from, settings.ca_file, "ca.pem"},
        {settings.cert_from, settings.cert_file, "cert.pem"},
        {settings.key_from, settings.key_file, "key.pem"}}) {
    if (from != settings.identity_from) continue;
    struct stat info;
    if (stat(file.c_str(), &info) != 0 && (errno == ENOENT || errno == ENOTDIR)) {
      missing.push_back(std::string(name));
    }
  }
  if (missing.empty()) return absl::OkStatus();
  const std::string folder = absl::StrCat(settings.identity_from, " ", settings.identity_dir);
  constexpr absl::string_view kRoleFolder =
      "give the folder of one role, holding its ca.pem, cert.pem and key.pem (e.g. "
      "var/dev/pki/clerk)";
  struct stat info;
  if (stat(settings.identity_dir.c_str(), &info) != 0) {
    return UsageError(absl::StrCat(folder, ": no such folder; ", kRoleFolder));
  }
  if (!S_ISDIR(info.st_mode)) {
    return UsageError(absl::StrCat(folder, ": not a folder; ", kRoleFolder));
  }
  return UsageError(absl::StrCat(folder, ": holds no ", absl::StrJoin(missing, ", "),
                                 ", so it is not an identity folder; ", kRoleFolder));
}

// Reads and checks the three files; see CheckIdentity.
absl::StatusOr<IdentityPems> ReadIdentity(const ConnectionSettings& settings) {
  RETURN_IF_ERROR(CheckIdentityFolder(settings));
  // A file of the identity that cannot be read (its mode, a folder in its place) is a mistake of
  // the command line or the environment, not the server's answer: a usage error naming where the
  // file came from, never a gRPC-like PERMISSION_DENIED that reads as the registry refusing.
  const auto read = [](const std::string& file, const std::string& from,
                       absl::string_view option,
                       absl::string_view what) -> absl::StatusOr<std::string> {
    absl::StatusOr<std::string> pem = ReadFileToString(file, what);
    if (pem.ok()) return pem;
    return UsageError(absl::StrCat(from.empty() ? option : absl::string_view(from), ": ",
                                   pem.status().message()));
  };
  IdentityPems pems;
  ASSIGN_OR_RETURN(pems.ca, read(settings.ca_file, settings.ca_from, "--ca", "CA certificate"));
  ASSIGN_OR_RETURN(pems.cert,
                   read(settings.cert_file, settings.cert_from, "--cert", "client certificate"));
  ASSIGN_OR_RETURN(pems.key, read(settings.key_file, settings.key_from, "--key", "client key"));
  // gRPC takes files it cannot use (a key of another certificate, a certificate where the key
  // belongs, a key locked with a passphrase) as an address that does not answer; checked here,
  // the user is told which file to fix.
  RETURN_IF_ERROR(
      CheckIdentityFiles(pems.ca, pems.cert, pems.key, NamesOfIdentityFiles(settings)));
  return pems;
}

}  // namespace

absl::Status CheckIdentity(const ConnectionSettings& settings) {
  return ReadIdentity(settings).status();
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> CreateChannel(const ConnectionSettings& settings) {
  std::vector<std::string> given, missing;
  for (const auto& [file, from, option] :
       {std::tuple<const std::string&, const std::string&, absl::string_view>{
            settings.ca_file, settings.ca_from, "--ca"},
        {settings.cert_file, settings.cert_from, "--cert"},
        {settings.key_file, settings.key_from, "--key"}}) {
    if (file.empty()) {
      missing.push_back(std::string(option));
    } else {
      given.push_back(from.empty() ? std::string(option) : from);
    }
  }
  if (given.empty()) {
    return UsageError(
        "no client identity: give --identity DIR (or $REGISTRY_IDENTITY), or all of --ca, "
        "--cert and --key");
  }
  if (!missing.empty()) {
    // Which one is missing, rather than the whole rule: the user has given the others.
    const auto and_join = [](const std::vector<std::string>& names) {
      return names.size() == 1 ? names[0]
                               : absl::StrCat(absl::StrJoin(names.begin(), names.end() - 1, ", "),
                                              " and ", names.back());
    };
    std::vector<std::string> variables;
    for (const std::string& option : missing) {
      variables.push_back(absl::StrCat("$REGISTRY_", absl::AsciiStrToUpper(option.substr(2))));
    }
    return UsageError(absl::StrCat(
        and_join(missing), missing.size() == 1 ? " is" : " are", " missing: ", and_join(given),
        given.size() == 1 ? " names" : " name", " only part of a client identity; give ",
        and_join(missing), " too (or ", and_join(variables),
        "), or --identity DIR (or $REGISTRY_IDENTITY) instead"));
  }
  RETURN_IF_ERROR(CheckServerAddress(settings));
  ASSIGN_OR_RETURN(IdentityPems pems, ReadIdentity(settings));
  // The registry CA's revocation lists beside the CA file, when the operator keeps them there:
  // a server whose certificate they list (its key may have leaked) is refused before any call.
  ASSIGN_OR_RETURN(std::optional<ServerCrls> crls, ReadServerCrls(settings, pems.ca));
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = std::move(pems.ca);
  tls.pem_cert_chain = std::move(pems.cert);
  tls.pem_private_key = std::move(pems.key);
  // An expired certificate fails the handshake, which gRPC reports like a server that is down;
  // said here, the user learns what is wrong and what to do.
  RETURN_IF_ERROR(CheckOwnCertificate(tls.pem_cert_chain, settings.cert_file, absl::Now()));
  grpc::ChannelArguments arguments;
  if (!settings.server_name.empty()) {
    arguments.SetSslTargetNameOverride(settings.server_name);
  }
  // Reconnect attempts at most 2 s apart: gRPC's default backoff grows to 120 s, so a console
  // whose registry was down for a while stayed unavailable for half a minute or more after the
  // registry was back. Connecting to one server on a local network costs nothing to retry.
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 500);
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  // Despite its name, gRPC takes the "minimum reconnect backoff" as the least time one attempt
  // has to connect and finish the TLS handshake, so it stays at gRPC's default of 20 s. While no
  // call is in flight only gRPC's backup poller, every 5 s, reads the channel's sockets: attempts
  // cut after 2 s never read the registry's answer, and a console that had failed one call while
  // registryd was down never reached it again once it was back.
  arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 20000);
  // The server's certificate is checked as grpc::SslCredentials checks it, and then refused
  // before anything is sent when it is a CA's (its key could sign certificates of its own) or
  // the revocation lists name it.
  std::shared_ptr<grpc::ChannelCredentials> credentials = CredentialsCheckingTheServer(
      tls.pem_root_certs, tls.pem_cert_chain, tls.pem_private_key, std::move(crls));
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(settings.server, credentials, arguments);
  if (channel == nullptr) {
    return absl::InternalError(absl::StrCat("cannot create a channel to ", settings.server));
  }
  return channel;
}

void PrepareContext(const ConnectionSettings& settings, grpc::ClientContext* context) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + settings.timeout));
  context->AddMetadata("x-request-id", settings.request_id);
}

absl::Status ToAbslStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status converted(static_cast<absl::StatusCode>(status.error_code()),
                         status.error_message());
  // registry-cli cancels its own calls only where it then drops their status, so a call's
  // CANCELLED is the server side's (registryd stopping), unlike the client's own CANCELLED
  // (an expunge not confirmed).
  if (status.error_code() == grpc::StatusCode::CANCELLED) {
    converted.SetPayload(kCancelledByTheServerUrl, absl::Cord("cancelled"));
  }
  return converted;
}

bool CancelledByTheServer(const absl::Status& status) {
  return absl::IsCancelled(status) && status.GetPayload(kCancelledByTheServerUrl).has_value();
}

absl::Status MarkSentBeforeFailure(absl::Status status) {
  status.SetPayload(kSentBeforeFailureUrl, absl::Cord("sent"));
  return status;
}

bool SentBeforeFailure(const absl::Status& status) {
  return status.GetPayload(kSentBeforeFailureUrl).has_value();
}

absl::Status FailedCallStatus(const ConnectionSettings& settings,
                              const grpc::ClientContext& context, const grpc::Status& status) {
  absl::Status failed = ToAbslStatus(status);
  if (!absl::IsUnavailable(failed)) return failed;
  // The registry's own refusal with nothing done (its trailing mark) is no broken connection.
  failed = WithRegistryVerdict(context, std::move(failed));
  const std::string peer = context.peer();
  if (!peer.empty() && peer != settings.server) {
    failed = MarkSentBeforeFailure(std::move(failed));
  }
  return failed;
}

}  // namespace registry::client

// How registry-cli reaches registryd: the server address, the mutual-TLS identity (CA, client
// certificate and key), the per-call deadline and the request id, resolved from the global
// options and the environment.
//
//   ASSIGN_OR_RETURN(ConnectionSettings settings, ResolveConnectionSettings(global, env));
//   ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, CreateChannel(settings));
//   grpc::ClientContext context;
//   PrepareContext(settings, &context);  // deadline + x-request-id
#ifndef REGISTRY_CLIENT_CONNECTION_H_
#define REGISTRY_CLIENT_CONNECTION_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/option_parser.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace registry::client {

// Returns an environment variable's value, or nullopt when unset. Injected so tests need not
// touch the process environment.
using EnvLookup = std::function<std::optional<std::string>(absl::string_view name)>;

// The process environment.
EnvLookup ProcessEnv();

inline constexpr char kDefaultServer[] = "127.0.0.1:7443";

struct ConnectionSettings {
  // HOST:PORT. --server, else $REGISTRY_SERVER, else kDefaultServer.
  std::string server = kDefaultServer;
  // Where `server` came from, to name it in an error: "--server", "$REGISTRY_SERVER", or empty
  // for the default.
  std::string server_from;
  // The name the server certificate must carry when it differs from the host in `server`.
  // --server-name, else $REGISTRY_SERVER_NAME; empty: the host of `server`.
  std::string server_name;
  // PEM files. Each: --ca/--cert/--key, else $REGISTRY_CA/$REGISTRY_CERT/$REGISTRY_KEY, else
  // ca.pem/cert.pem/key.pem inside the identity folder (--identity, else $REGISTRY_IDENTITY).
  // Empty when none of these is given.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // Where each file came from, to name it in an error as the user gave it: "--ca",
  // "$REGISTRY_CA", "--identity" or "$REGISTRY_IDENTITY" (likewise for cert and key). Empty:
  // the file's own option ("--ca") is named.
  std::string ca_from;
  std::string cert_from;
  std::string key_from;
  // The identity folder (--identity, else $REGISTRY_IDENTITY) and where it came from
  // ("--identity" or "$REGISTRY_IDENTITY"); empty when none is given.
  std::string identity_dir;
  std::string identity_from;
  // Deadline of each call. --timeout SECONDS; default 30 s.
  absl::Duration timeout = absl::Seconds(30);
  // Sent as metadata x-request-id on every call of this run. --request-id, else 32 random hex.
  std::string request_id;
};

// The global options registry-cli accepts before the subcommand (also used for help).
const std::vector<OptionSpec>& GlobalOptionSpecs();

// Resolves the settings from the parsed global options and the environment. A usage error for a
// bad --timeout or --request-id (<= 64 of [A-Za-z0-9-_]). Files are not read here.
absl::StatusOr<ConnectionSettings> ResolveConnectionSettings(const ParsedArgs& global,
                                                             const EnvLookup& env);

// A fresh random request id: 26 lowercase letters, so that no part of it can look like a
// personal number (which registryd would replace in its log).
std::string GenerateRequestId();

// A usage error naming where the address came from (--server or $REGISTRY_SERVER) unless
// settings.server is HOST:PORT with a host (an IPv6 address in brackets) and PORT 1..65535.
// gRPC takes "", a missing port or port 99999 as an address that does not answer.
absl::Status CheckServerAddress(const ConnectionSettings& settings);

// How an error names each identity file: "--key var/x/key.pem", "--identity var/x/key.pem",
// "$REGISTRY_CA /etc/ca.pem".
struct IdentityFileNames {
  std::string ca;
  std::string cert;
  std::string key;
};
IdentityFileNames NamesOfIdentityFiles(const ConnectionSettings& settings);

// One line (without newline) warning that the settings' private key file may be read by other
// accounts of this computer (a regular file with a group or other read bit), naming it as
// NamesOfIdentityFiles does and the chmod that makes it the owner's only, as ssh warns; "" when
// it may not, or cannot be looked at (the error then comes from reading it). A warning, not a
// refusal: a key shared by a CI job's or a container's accounts still works. The CA and the
// certificate are public and never named.
std::string KeyFileWarning(const ConnectionSettings& settings);

// Reads the settings' three PEM files and checks them as CheckIdentityFiles (tls_probe.h) does:
// a usage error naming --identity or $REGISTRY_IDENTITY when a file taken from the identity
// folder is not there (no such folder, or not a role folder), NotFound/PermissionDenied naming
// another file that cannot be read, a usage error naming a file that cannot be used.
absl::Status CheckIdentity(const ConnectionSettings& settings);

// A channel with mTLS credentials from the settings' PEM files. A usage error when no identity
// is configured, when one of --ca, --cert and --key is given without the others (naming the
// missing ones), when the server address is not HOST:PORT (CheckServerAddress) or when the
// identity files cannot be found in the identity folder or used (CheckIdentity);
// NotFound/PermissionDenied naming the file when one cannot be read; Unauthenticated when the
// client certificate has expired or is not yet valid (CheckOwnCertificate in tls_probe.h).
absl::StatusOr<std::shared_ptr<grpc::Channel>> CreateChannel(const ConnectionSettings& settings);

// Sets the deadline and the x-request-id metadata of one call.
void PrepareContext(const ConnectionSettings& settings, grpc::ClientContext* context);

// The same code and message as an absl::Status (gRPC and absl share the code numbers); a
// CANCELLED is marked as the server's (CancelledByTheServer).
absl::Status ToAbslStatus(const grpc::Status& status);
// Whether `status` is a call's CANCELLED, as ToAbslStatus gave it: the server cancelled the call
// (gRPC does for calls received but not begun when registryd stops), so whether it was carried
// out is not known; not the client's own CANCELLED (an expunge the user did not confirm).
bool CancelledByTheServer(const absl::Status& status);

// `status` marked as the failure of a call whose request had gone out on an established
// connection to the server: the server may have carried it out before the connection broke
// (registryd killed mid-call after it rotated the keys). ExplainUnavailable then says that the
// outcome is not known instead of probing the server, whose "nothing answers" now would read as
// "nothing happened".
absl::Status MarkSentBeforeFailure(absl::Status status);
bool SentBeforeFailure(const absl::Status& status);

// The failed `status` of a call made with `context` to settings.server, as ToAbslStatus gives
// it, marked by MarkSentBeforeFailure when it is UNAVAILABLE and the call had been started on a
// connection. gRPC knows the call's peer ("ipv4:127.0.0.1:7443") only then; for a call that never
// connected (nothing listens, the TLS handshake failed) context.peer() is the channel's target,
// settings.server as given.
absl::Status FailedCallStatus(const ConnectionSettings& settings,
                              const grpc::ClientContext& context, const grpc::Status& status);

// Makes one unary call with a prepared context: `call(context, response)` invokes the stub, e.g.
//   CallUnary<v1::BackupInfo>(settings, [&](grpc::ClientContext* c, v1::BackupInfo* r) {
//     return stub->CreateBackup(c, request, r);
//   });
// Returns the response, or the call's status as FailedCallStatus gives it.
template <typename Response, typename Call>
absl::StatusOr<Response> CallUnary(const ConnectionSettings& settings, Call call) {
  grpc::ClientContext context;
  PrepareContext(settings, &context);
  Response response;
  const grpc::Status status = call(&context, &response);
  if (!status.ok()) return FailedCallStatus(settings, context, status);
  return response;
}

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_CONNECTION_H_

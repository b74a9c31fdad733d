// registry-cli's entry point as a function, so tests can run whole command lines:
//
//   registry-cli [global options] COMMAND [options] [arguments]
//
//   std::ostringstream out, err;
//   int code = RunCli({"certificate", "verify", "cert.json", "--public-key", "k.pem"},
//                     ProcessEnv(), out, err, /*err_is_terminal=*/false);
//
// Exit codes: 0 success; 1 an error (printed as "error: <STATUS_CODE_NAME>: <message>" on err), an
// output that could not be written whole (a full disk: "error: FAILED_PRECONDITION: cannot write
// the output: ..."), or a negative answer (not serving, invalid certificate, invalid import rows);
// 2 input refused for its own content (INVALID_ARGUMENT), whether the client caught it before
// sending or the server refused it: a mistake on the command line (the usage line follows the
// error) or in a file it names; for certificate verify also files that cannot be read at all
// (no verdict, whatever the error's code); 3 a change made whose output could not be written
// (kExitOutputLost: "error: FAILED_PRECONDITION: the change was made (...)"); 130 an import
// stopped by an interrupt after reporting what it sent. -h/--help, on the tool, a command group
// or any command, prints help on out and exits 0.
// With --json (before the command) an error is one line of JSON on err instead, with the same
// exit code, usage errors too: {"error":{"code":"NOT_FOUND","message":"..."}} (ErrorOutput in
// cli_output.proto; a usage error adds "usage", the lines the text prints after it); its message
// is not wrapped to a terminal's width (UnwrappedMessage).
#ifndef REGISTRY_CLIENT_CLI_H_
#define REGISTRY_CLIENT_CLI_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "client/command_context.h"
#include "client/connection.h"

namespace registry::client {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;
// A change was made (a record created, amended, expunged, disputed or resolved, an import
// entered, a backup made, the keys rotated), but what the command printed of it could not be
// written (a full disk): the error names the change (its record id and version, the import's
// counts, the backup's id), so that it is not made again.
inline constexpr int kExitOutputLost = 3;
// Stopped by an interrupt (Ctrl-C) it handled: record import finishes the batch in flight,
// reports it and stops (128 + SIGINT, as a shell reports a program an interrupt ended).
inline constexpr int kExitInterrupted = 130;

// Runs one command line; `args` excludes the program name. Questions (a confirmation, the
// fields of `record create --interactive`) are read from streams.in, and asked only when
// streams.in_is_terminal.
int RunCli(const std::vector<std::string>& args, const EnvLookup& env, const CliStreams& streams);

// The same without input: nothing can be asked.
int RunCli(const std::vector<std::string>& args, const EnvLookup& env, std::ostream& out,
           std::ostream& err, bool err_is_terminal);

// Keeps what libraries log (protobuf's complaints about a field, a message it cannot parse) off
// stderr, where the tool's own errors and --json's JSON lines are the whole contract; the failure
// itself reaches the user as the status of what failed. Called once by main, before RunCli.
void KeepLibraryLogsOffStderr();

// The server's refusal of a role ("role court may not call this method", the API's words) in
// the words of `command` ("record create"): "role court may not enter records: that is for role
// clerk; nothing was read or changed". The roles are those the API declares on the RPC the
// command is for (its (registry.v1.access) method option). Any other status comes back as is.
absl::Status RoleRefusalOfCommand(absl::string_view command, const absl::Status& status);

// "error: PERMISSION_DENIED: <message>" (without newline). With `wrap`, each line wider than
// TextColumns() is wrapped at spaces (the first line's continuation indented 4, a line of the
// client's own 2 deeper than itself); RunCli wraps when stderr is a terminal or COLUMNS is set,
// so that a script reading stderr gets each error whole.
std::string FormatError(const absl::Status& status, bool wrap = false);

// `text` with each line wider than TextColumns() wrapped at spaces, the first line's further
// lines indented `first_indent`, another line's `indent` deeper than itself; a line that fits
// stays as it is. How FormatError wraps.
std::string WrapLongLines(absl::string_view text, size_t first_indent, size_t indent);
// The client's own lines for standard error (a note, an answer declined), wrapped as errors are
// (WrapLongLines, each line's further lines `indent` deeper than it) when RunCli wraps errors;
// as they are otherwise.
std::string ErrorStreamLines(absl::string_view text, size_t indent);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_CLI_H_

// The handlers of registry-cli's subcommands, one per command of the table (command_table.h).
// Each returns OK after printing its answer (and may set a non-zero exit code for a negative
// answer), or the error to print: a usage error (option_parser.h) for a bad command line, the
// server's status otherwise.
#ifndef REGISTRY_CLIENT_COMMANDS_H_
#define REGISTRY_CLIENT_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/command_context.h"

namespace registry::client {

// The status a handler returns when the person at the terminal declined what it asked (a no, or
// Ctrl-D, at "Enter this record?" or "Type yes to expunge it"): CANCELLED, printed as `message`
// alone, without "error: CANCELLED:", since nothing went wrong; the exit code is still 1.
absl::Status Declined(absl::string_view message);
// True for a status of Declined, or one that keeps its mark (MarkDeclined).
bool IsDeclined(const absl::Status& status);
// `status` (Declined's, with a note added) marked as Declined's.
absl::Status MarkDeclined(absl::Status status);

// server_commands.cc
absl::Status RunHealth(CommandContext& ctx);
absl::Status RunWhoAmI(CommandContext& ctx);
absl::Status RunAdminRotateKeys(CommandContext& ctx);
absl::Status RunAdminBackup(CommandContext& ctx);
absl::Status RunAdminBackups(CommandContext& ctx);
absl::Status RunAdminVerifyData(CommandContext& ctx);
absl::Status RunAdminVerifyBackup(CommandContext& ctx);

// record_commands.cc
absl::Status RunRecordCreate(CommandContext& ctx);
absl::Status RunRecordTemplate(CommandContext& ctx);
absl::Status RunRecordGet(CommandContext& ctx);
absl::Status RunRecordSearch(CommandContext& ctx);
absl::Status RunRecordHistory(CommandContext& ctx);
absl::Status RunRecordAmend(CommandContext& ctx);
absl::Status RunRecordDispute(CommandContext& ctx);
absl::Status RunRecordUndispute(CommandContext& ctx);
absl::Status RunRecordExpunge(CommandContext& ctx);
// What is wrong with `record amend`'s --set values, as lines of the command line's problems
// (OptionSpec::check_values): named with a --reason or ID that is missing, not after them.
std::vector<std::string> SetProblems(const std::vector<std::string>& sets);

// import_command.cc
absl::Status RunRecordImport(CommandContext& ctx);

// vetting_commands.cc
absl::Status RunVetCheck(CommandContext& ctx);
absl::Status RunVetHistory(CommandContext& ctx);
absl::Status RunVetPublicKey(CommandContext& ctx);
absl::Status RunCertificateVerify(CommandContext& ctx);

// audit_commands.cc
absl::Status RunAuditList(CommandContext& ctx);
absl::Status RunAuditExport(CommandContext& ctx);
absl::Status RunAuditVerify(CommandContext& ctx);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_COMMANDS_H_

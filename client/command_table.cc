#include "client/command_table.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "client/commands.h"
#include "client/connection.h"

namespace registry::client {
namespace {

// Options shared by the court reads.
std::vector<OptionSpec> PurposeOptions() {
  return {{"case-ref", "REF", "the case the read serves, e.g. \"PKR 123/2026\" (court role)"},
          {"purpose", "CODE", "purpose code from the access policy (court role)"}};
}

std::vector<OptionSpec> Concat(std::vector<OptionSpec> a, const std::vector<OptionSpec>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<OptionSpec> AuditFilterOptions() {
  return {{"from", "RFC3339", "events at or after this instant"},
          {"to", "RFC3339", "events before this instant"},
          {"actor", "ID", "only this caller identity"},
          {"action", "NAME", "only this RPC, e.g. /registry.v1.RecordService/GetRecord"},
          {"record-id", "ID", "only events touching this record"},
          {"outcome", "CODE_NAME", "only this status, e.g. OK, PERMISSION_DENIED"}};
}

std::vector<CommandSpec> BuildCommands() {
  return {
      {"health", "", "Ask whether the server is serving; exit 0 only when it is.", 0, 0, {},
       &RunHealth},
      {"record create", "--file REC.json",
       "Enter a final conviction from a JSON CreateRecordRequest; prints the new record id.", 0,
       0, {{"file", "REC.json", "the record as JSON ({\"person\":{...},\"conviction\":{...}})",
            true}},
       &RunRecordCreate},
      {"record get", "ID [--case-ref REF --purpose CODE]", "Show a record.", 1, 1,
       PurposeOptions(), &RunRecordGet},
      {"record search",
       "(--personal-number N | --surname S --given-name G --birth-date YYYY-MM-DD) "
       "[--case-ref REF --purpose CODE]",
       "Find records by personal number, or by names and date of birth.", 0, 0,
       Concat({{"personal-number", "N", "the personal number"},
               {"surname", "S", "surname (with --given-name and --birth-date)"},
               {"given-name", "G", "given name"},
               {"birth-date", "YYYY-MM-DD", "date of birth"}},
              PurposeOptions()),
       &RunRecordSearch},
      {"record history", "ID [--case-ref REF --purpose CODE]",
       "Show every version of a record, oldest first, with the reason for each change.", 1, 1,
       PurposeOptions(), &RunRecordHistory},
      {"record amend", "ID --file PATCH.json --reason TEXT [--expected-version N]",
       "Correct a record. PATCH.json holds only the fields to change; the update mask is taken\n"
       "from the fields present (e.g. {\"person\":{\"last_known_address\":\"...\"}}).",
       1, 1,
       {{"file", "PATCH.json", "the fields to change, in the shape of REC.json", true},
        {"reason", "TEXT", "why the record is corrected", true},
        {"expected-version", "N", "refuse (ABORTED) when the record is no longer version N"}},
       &RunRecordAmend},
      {"record dispute", "ID --reason TEXT",
       "Mark a record disputed while a correction is examined.", 1, 1,
       {{"reason", "TEXT", "what is disputed", true}}, &RunRecordDispute},
      {"record undispute", "ID --reason TEXT", "Resolve a dispute; the record is active again.",
       1, 1, {{"reason", "TEXT", "how the dispute was resolved", true}}, &RunRecordUndispute},
      {"record expunge", "ID --legal-basis REF",
       "Erase a record for good (crypto-shredding); only audit metadata remains.", 1, 1,
       {{"legal-basis", "REF", "the provision ordering erasure, e.g. \"CC 04/L-082 art. 103\"",
         true}},
       &RunRecordExpunge},
      {"record import", "FILE [--dry-run] [--batch N]",
       "Import historical judgments from FILE: .csv (header documented in\n"
       "deploy/examples/README.md) or .jsonl/.ndjson (one CreateRecordRequest per line).\n"
       "Every invalid row is listed by line; exit 1 when any row is invalid.",
       1, 1,
       {{"dry-run", "", "let the server validate the rows without writing them"},
        {"batch", "N", "rows per request, 1..1000 (default 500)"}},
       &RunRecordImport},
      {"vet check",
       "--personal-number N --surname S --given-name G --birth-date YYYY-MM-DD "
       "--position CATEGORY --consent-ref REF [--out CERT.json]",
       "Ask whether a candidate may work in contact with children.", 0, 0,
       {{"personal-number", "N", "the candidate's personal number", true},
        {"surname", "S", "the candidate's surname", true},
        {"given-name", "G", "the candidate's given name", true},
        {"birth-date", "YYYY-MM-DD", "the candidate's date of birth", true},
        {"position", "CATEGORY", "position category, e.g. teacher", true},
        {"consent-ref", "REF", "reference of the candidate's written consent", true},
        {"out", "CERT.json", "write the signed certificate to this file"}},
       &RunVetCheck},
      {"vet history", "--personal-number N --request-ref REF",
       "List the organisations that checked a person (a data-subject request).", 0, 0,
       {{"personal-number", "N", "the data subject's personal number", true},
        {"request-ref", "REF", "reference of the data-subject request", true}},
       &RunVetHistory},
      {"vet public-key", "[--out FILE]", "Print or save the key that signs vetting certificates.",
       0, 0, {{"out", "FILE", "write the PEM to this file"}}, &RunVetPublicKey},
      {"certificate verify", "CERT.json --public-key FILE",
       "Check a vetting certificate offline: signature and expiry. Exit 0 only when valid.", 1,
       1, {{"public-key", "FILE", "the registry's vetting public key (PEM)", true}},
       &RunCertificateVerify},
      {"audit list", "[filters] [--page-size N] [--all]",
       "List audit events, one per line, as their hashed bytes say; exit 1 when the server's\n"
       "decoded copy of any differs from them (each is flagged with a WARNING line).",
       0, 0,
       Concat(AuditFilterOptions(),
              {{"page-size", "N", "events per page, 1..1000 (default 100)"},
               {"all", "", "follow page tokens to the end"}}),
       &RunAuditList},
      {"audit export", "--out FILE --recipient REF --reference REF [filters]",
       "Export audit entries as JSON lines (with event_bytes, so the export can be re-verified);\n"
       "exit 1 when the server's decoded copy of any event differs from its hashed bytes.",
       0, 0,
       Concat({{"out", "FILE", "where to write the export", true},
               {"recipient", "REF", "who the export is for, e.g. \"IPA\"", true},
               {"reference", "REF", "the request or case it answers", true}},
              AuditFilterOptions()),
       &RunAuditExport},
      {"audit verify", "[--public-key FILE] [--state FILE] [--full] [--clock-skew SECONDS]",
       "Verify the signed tree head, its date and its consistency with the last verified head;\n"
       "with --full also every event. Saves the verified head only when everything verifies.",
       0, 0,
       {{"public-key", "FILE", "the audit signing key (PEM); default: the pinned key"},
        {"state", "FILE", "state file (default $HOME/.registry-cli/audit-state.json)"},
        {"full", "", "download every event and check it against the signed root"},
        {"clock-skew", "SECONDS",
         "refuse a head dated more than this after this computer's clock, 1..86400 (default "
         "300)"}},
       &RunAuditVerify},
      {"admin rotate-keys", "", "Add a key-encryption key version and re-wrap every data key.", 0,
       0, {}, &RunAdminRotateKeys},
      {"admin backup", "",
       "Create a backup (ciphertext only); older ones are pruned by the retention setting.", 0, 0,
       {}, &RunAdminBackup},
      {"admin backups", "", "List the backups.", 0, 0, {}, &RunAdminBackups},
      {"admin verify-data", "",
       "Cross-check every record with its index rows, versions, the audit log and the erasure\n"
       "ledger. Exits 1 when anything is inconsistent.",
       0, 0, {}, &RunAdminVerifyData},
  };
}

std::string OptionLines(const std::vector<OptionSpec>& options) {
  std::string text;
  for (const OptionSpec& option : options) {
    const std::string left = option.value_name.empty()
                                 ? absl::StrCat("--", option.name)
                                 : absl::StrCat("--", option.name, " ", option.value_name);
    absl::StrAppendFormat(&text, "  %-28s %s%s\n", left, option.help,
                          option.required ? " (required)" : "");
  }
  absl::StrAppendFormat(&text, "  %-28s %s\n", "-h, --help", "show this help");
  return text;
}

std::string FirstLine(absl::string_view text) {
  return std::string(text.substr(0, text.find('\n')));
}

}  // namespace

const std::vector<CommandSpec>& Commands() {
  static const auto* const kCommands = new std::vector<CommandSpec>(BuildCommands());
  return *kCommands;
}

const CommandSpec* FindCommand(absl::string_view name) {
  for (const CommandSpec& command : Commands()) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

bool IsCommandGroup(absl::string_view group) {
  return std::any_of(Commands().begin(), Commands().end(), [&](const CommandSpec& command) {
    return absl::StartsWith(command.name, absl::StrCat(group, " "));
  });
}

std::string CommandUsageLine(const CommandSpec& command) {
  return absl::StrCat("usage: registry-cli [global options] ", command.name,
                      command.synopsis.empty() ? "" : " ", command.synopsis);
}

std::string CommandHelp(const CommandSpec& command) {
  return absl::StrCat(CommandUsageLine(command), "\n\n", command.summary, "\n\noptions:\n",
                      OptionLines(command.options));
}

std::string GroupHelp(absl::string_view group) {
  std::string text = absl::StrCat("usage: registry-cli [global options] ", group,
                                  " COMMAND [options]\n\ncommands:\n");
  for (const CommandSpec& command : Commands()) {
    if (!absl::StartsWith(command.name, absl::StrCat(group, " "))) continue;
    absl::StrAppendFormat(&text, "  %-22s %s\n", command.name, FirstLine(command.summary));
  }
  absl::StrAppend(&text, "\n'registry-cli ", group, " COMMAND --help' shows a command's options.\n");
  return text;
}

std::string ToolHelp() {
  std::string text =
      "usage: registry-cli [global options] COMMAND [options]\n\n"
      "The command-line client of registryd, the Kosovo Judicial Council's registry of persons\n"
      "convicted of criminal offences against sexual integrity.\n\ncommands:\n";
  for (const CommandSpec& command : Commands()) {
    absl::StrAppendFormat(&text, "  %-22s %s\n", command.name, FirstLine(command.summary));
  }
  absl::StrAppend(&text, "\nglobal options (before COMMAND):\n", OptionLines(GlobalOptionSpecs()),
                  "\nErrors print \"error: <STATUS_CODE>: <message>\" and exit 1; command-line "
                  "mistakes exit 2.\n'registry-cli COMMAND --help' shows a command's options.\n");
  return text;
}

}  // namespace registry::client

#include "client/command_table.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "client/commands.h"
#include "client/connection.h"
#include "client/record_fields.h"

namespace registry::client {
namespace {

// Options shared by the court reads.
std::vector<OptionSpec> PurposeOptions() {
  return {
      {"case-ref", "REF", "the case the read serves, e.g. \"PKR 123/2026\" (court role)", false,
       false, ValueCheck::kReference},
      {"purpose", "CODE", "why you read it: a purpose code from the access policy (court role)"}};
}

std::vector<FieldFlag> PurposeFields() {
  return {{"purpose.case_reference", "case-ref"}, {"purpose.purpose_code", "purpose"}};
}

template <typename T>
std::vector<T> Concat(std::vector<T> a, const std::vector<T>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// --verified and the verification's own options, as audit list and audit export take them;
// `what` says what --verified does for the command.
std::vector<OptionSpec> VerifiedOptions(const char* what) {
  return {
      {"verified", "", what},
      {"public-key", "FILE",
       "with --verified: the audit signing key (PEM); default: the pinned key"},
      {"state", "FILE", "with --verified: state file (default $HOME/.registry-cli/audit-state.json)",
       false, false, ValueCheck::kOutputFile},
      {"clock-skew", "SECONDS", "with --verified: as for audit verify (default 300)"},
  };
}

std::vector<OptionSpec> AuditFilterOptions() {
  return {
      {"from", "RFC3339|DATE", "events at or after this instant (a date: from its start, UTC)"},
      {"to", "RFC3339|DATE", "events before this instant (a date: up to its end, UTC)"},
      {"actor", "URI", "only this caller: its whole identity, as whoami prints it"},
      {"action", "NAME", "only this RPC, e.g. GetRecord or /registry.v1.RecordService/GetRecord"},
      {"record-id", "ID", "only events touching this record"},
      {"check-id", "ID",
       "only the event of this vetting check: the check id an employer quotes from a vetting "
       "certificate"},
      {"outcome", "CODE_NAME", "only this status, e.g. OK, PERMISSION_DENIED"}};
}

std::vector<FieldFlag> AuditFilterFields() {
  return {{"filter.from_time", "from"},      {"filter.to_time", "to"},
          {"filter.actor", "actor"},         {"filter.action", "action"},
          {"filter.record_id", "record-id"}, {"filter.check_id", "check-id"},
          {"filter.outcome_plus_one", "outcome"}};
}

// One option per record field (record_fields.h), for `record create`.
std::vector<OptionSpec> RecordFieldOptions() {
  std::vector<OptionSpec> options;
  for (const RecordField& field : RecordFields()) {
    // On the command line, juvenile is a switch: present or not.
    const bool is_switch = field.kind == FieldKind::kBool;
    // Values are checked with the whole record (record_fields.h), so that a bad date and a
    // missing field are named in the same run.
    options.push_back({field.flag, is_switch ? "" : field.value_name,
                       field.required ? absl::StrCat(field.help, " (required)") : field.help, false,
                       field.repeatable});
  }
  return options;
}

// "surname, given-name, ...": what --set takes.
std::string RecordFieldNames() {
  std::vector<std::string> names;
  for (const RecordField& field : RecordFields()) names.push_back(field.flag);
  return absl::StrJoin(names, ", ");
}

std::vector<CommandSpec> BuildCommands() {
  return {
      {"health",
       "",
       "Ask whether the server is serving; exit 0 only when it is.",
       0,
       0,
       {},
       &RunHealth},
      {"whoami",
       "",
       "Show who the registry takes you for.\n"
       "Your identity, role and organisation, and the purpose codes or position categories you\n"
       "may state.",
       0,
       0,
       {},
       &RunWhoAmI},
      {"record create",
       "(--interactive | --file REC.json | FIELD OPTIONS)",
       "Enter a final conviction; prints the new record id. Give every field as an option\n"
       "(--surname ... --offence 06/L-074:230:1 ...), answer questions one field at a time\n"
       "(--interactive), or fill in what `record template` prints and pass it with --file.\n"
       "Every missing or bad field is named at once, before anything is stored.",
       0,
       0,
       Concat<OptionSpec>(
           {{"interactive", "", "ask for each field on the terminal, offering the choices"},
            {"file", "REC.json",
             "the record as JSON ({\"person\":{...},\"conviction\":{...}}); lines starting "
             "with // are comments",
             false, false, ValueCheck::kInputPath}},
           RecordFieldOptions()),
       &RunRecordCreate,
       {},
       HelpChoices::kRecordTables},
      {"record template",
       "",
       "Print a record skeleton to fill in for `record create --file`.\n"
       "Comments say what each field takes and, with an identity, list the courts and offences\n"
       "to choose from.",
       0,
       0,
       {},
       &RunRecordTemplate,
       {},
       HelpChoices::kRecordTables},
      {"record get", "ID [--case-ref REF --purpose CODE]", "Show a record.", 1, 1, PurposeOptions(),
       &RunRecordGet, Concat<FieldFlag>({{"record_id", "ID"}}, PurposeFields()),
       HelpChoices::kPurposes},
      {"record search",
       "(--personal-number N | --surname S --given-name G --birth-date YYYY-MM-DD) "
       "[--case-ref REF --purpose CODE]",
       "Find records by personal number, or by names and date of birth.", 0, 0,
       Concat<OptionSpec>(
           {{"personal-number", "N", "the personal number", false, false,
             ValueCheck::kPersonalNumber, {}, {"surname", "given-name", "birth-date"}},
            {"surname", "S", "surname (with --given-name and --birth-date)", false, false,
             ValueCheck::kName, {"given-name", "birth-date"}},
            {"given-name", "G", "given name", false, false, ValueCheck::kName,
             {"surname", "birth-date"}},
            {"birth-date", "YYYY-MM-DD", "date of birth", false, false, ValueCheck::kDate,
             {"surname", "given-name"}}},
           PurposeOptions()),
       &RunRecordSearch,
       Concat<FieldFlag>({{"personal_number", "personal-number"},
                          {"name.surname", "surname"},
                          {"name.given_name", "given-name"},
                          {"name.birth_date", "birth-date"}},
                         PurposeFields()),
       HelpChoices::kPurposes},
      {"record history", "ID [--case-ref REF --purpose CODE]",
       "Show how a record changed, version by version.\n"
       "The first version whole, then what each later version changed, with when, by whom and\n"
       "why.",
       1, 1, PurposeOptions(), &RunRecordHistory,
       Concat<FieldFlag>({{"record_id", "ID"}}, PurposeFields()), HelpChoices::kPurposes},
      {"record amend",
       "ID (--set FIELD=VALUE ... | --file PATCH.json) --reason TEXT",
       absl::StrCat(
           "Correct a record. Each --set names a field as `record create` does (--set\n"
           "address=\"Rr. Fehmi Agani 7, Pejë\", --set offence=06/L-074:230:1 once per offence);\n"
           "PATCH.json holds only the fields to change, in the shape of REC.json. A list field\n"
           "(alias, citizenship, offence, ban) is given whole: --set alias=X replaces every\n"
           "alias, so repeat it for each one to keep (--set alias=Berisha --set alias=Krasniqi);\n"
           "--set alias= removes them all. An amendment that removes a name (an alias, or a\n"
           "surname not kept as an alias) names it and asks for confirmation on a terminal:\n"
           "the record is then no longer found, or linked to the person's other convictions,\n"
           "under it. A name respelt as the registry compares names (Berisha as BERISHA, Kërqeli\n"
           "as Kerqeli) is the same name, and none is removed. An amendment that changes\n"
           "nothing is refused. The fields: ",
           RecordFieldNames(), "."),
       1,
       1,
       {{"set", "FIELD=VALUE",
         "a field and its new value; an empty value clears it; a list field takes its whole "
         "list, one --set per item",
         false, true, ValueCheck::kNone, {}, {}, &SetProblems},
        {"file", "PATCH.json", "the fields to change, in the shape of REC.json", false, false,
         ValueCheck::kInputPath},
        {"reason", "TEXT", "why the record is corrected", true},
        {"expected-version", "N", "refuse (ABORTED) when the record is no longer version N"},
        {"yes", "", "do not ask for confirmation when the amendment removes a name"}},
       &RunRecordAmend,
       {{"record_id", "ID"}, {"reason", "reason"}},
       HelpChoices::kRecordTables},
      {"record dispute",
       "ID --reason TEXT",
       "Mark a record disputed while a correction is examined.",
       1,
       1,
       {{"reason", "TEXT", "what is disputed", true}},
       &RunRecordDispute,
       {{"record_id", "ID"}, {"reason", "reason"}}},
      {"record undispute",
       "ID --reason TEXT",
       "Resolve a dispute; the record is active again.",
       1,
       1,
       {{"reason", "TEXT", "how the dispute was resolved", true}},
       &RunRecordUndispute,
       {{"record_id", "ID"}, {"reason", "reason"}}},
      {"record expunge",
       "ID --legal-basis REF [--yes]",
       "Erase a record for good (crypto-shredding); only audit metadata remains. On a terminal\n"
       "it first shows whose record it is and asks; --yes skips the question (for scripts).",
       1,
       1,
       {{"legal-basis", "REF", "the provision ordering erasure, e.g. \"CC 04/L-082 art. 103\"",
         true, false, ValueCheck::kLegalBasis},
        {"yes", "", "do not ask for confirmation"}},
       &RunRecordExpunge,
       {{"record_id", "ID"}, {"legal_basis", "legal-basis"}}},
      {"record import",
       "FILE [--dry-run] [--batch N]",
       "Import historical judgments from a CSV or JSON-lines file. FILE is .csv or\n"
       ".jsonl/.ndjson (one record per line); their formats follow the options. Every invalid\n"
       "row is listed by line; exit 1 when any row is invalid.",
       1,
       1,
       {{"dry-run", "", "let the server validate the rows without writing them"},
        {"batch", "N", "rows per request, 1..1000 (default 500)"}},
       &RunRecordImport},
      {"vet check",
       "--personal-number N --surname S --given-name G --birth-date YYYY-MM-DD "
       "--position CATEGORY --consent-ref REF [--out CERT.json [--overwrite]]",
       "Ask whether a candidate may work in contact with children.",
       0,
       0,
       {{"personal-number", "N", "the candidate's personal number", true, false,
         ValueCheck::kPersonalNumber},
        {"surname", "S", "the candidate's surname", true, false, ValueCheck::kName},
        {"given-name", "G", "the candidate's given name", true, false, ValueCheck::kName},
        {"birth-date", "YYYY-MM-DD", "the candidate's date of birth", true, false,
         ValueCheck::kDate},
        {"position", "CATEGORY", "a position category of your organisation, e.g. teacher", true},
        {"consent-ref", "REF", "reference of the candidate's written consent", true, false,
         ValueCheck::kReference},
        {"out", "CERT.json", "write the signed certificate to this file (a new one)", false,
         false, ValueCheck::kOutputFile},
        {"overwrite", "", "replace the --out file if it exists", false, false, ValueCheck::kNone,
         {"out"}}},
       &RunVetCheck,
       {{"personal_number", "personal-number"},
        {"surname", "surname"},
        {"given_name", "given-name"},
        {"birth_date", "birth-date"},
        {"position_category", "position"},
        {"consent_reference", "consent-ref"}},
       HelpChoices::kPositions},
      {"vet history",
       "--personal-number N --request-ref REF",
       "List the organisations that checked a person (a data-subject request).\n"
       "The whole history, newest first: every call that named the person, refused ones too.\n"
       "It comes 1000 checks a page, each page a call audited under the same --request-ref.",
       0,
       0,
       {{"personal-number", "N", "the data subject's personal number", true, false,
         ValueCheck::kPersonalNumber},
        {"request-ref", "REF", "reference of the data-subject request", true, false,
         ValueCheck::kReference}},
       &RunVetHistory,
       {{"personal_number", "personal-number"}, {"request_reference", "request-ref"}}},
      {"vet public-key",
       "[--out FILE [--overwrite]]",
       "Print or save the key that signs vetting certificates.",
       0,
       0,
       {{"out", "FILE", "write the PEM to this file (a new one)", false, false,
         ValueCheck::kOutputFile},
        {"overwrite", "", "replace the --out file if it exists", false, false, ValueCheck::kNone,
         {"out"}}},
       &RunVetPublicKey},
      {"certificate verify",
       "CERT.json --public-key FILE",
       "Check a vetting certificate offline: signature and expiry. Exit 0 only when valid,\n"
       "1 when invalid, 2 when the files cannot be checked (a key other than the signer's).",
       1,
       1,
       {{"public-key", "FILE", "the registry's vetting public key (PEM)", true}},
       &RunCertificateVerify},
      {"audit list", "[filters] [--page-size N] [--all] [--verified [--public-key FILE] [--state FILE]]",
       "List audit events, as their hashed bytes say. Exit 1 when the server's decoded copy\n"
       "of any event differs from them (each is flagged with a WARNING line). With --verified,\n"
       "the whole log is downloaded and verified as `audit verify --full` does, and filtered\n"
       "here: the server can neither change nor leave out an event that is listed.",
       0, 0,
       Concat<OptionSpec>(
           Concat<OptionSpec>(AuditFilterOptions(),
                              {{"page-size", "N", "events per page, 1..1000 (default 100)"},
                               {"all", "", "follow page tokens to the end"}}),
           VerifiedOptions("verify the whole log and filter it here")),
       &RunAuditList, AuditFilterFields()},
      {"audit export",
       "--out FILE [--overwrite] --recipient REF --reference REF [filters] [--verified]",
       "Export audit entries as JSON lines, with event_bytes so the export can be re-verified.\n"
       "Exit 1 when the server's decoded copy of any event differs from its hashed bytes.\n"
       "With --verified, the whole log is first verified as `audit verify --full` does and\n"
       "filtered here, and the export is kept only if it holds exactly the verified events\n"
       "that match, byte for byte: the server can neither change nor leave out one.",
       0, 0,
       Concat<OptionSpec>(
           Concat<OptionSpec>({{"out", "FILE", "where to write the export (a new file)", true,
                                false, ValueCheck::kOutputFile},
                               {"overwrite", "", "replace the --out file if it exists"},
                               {"recipient", "REF", "who the export is for, e.g. \"IPA\"", true,
                                false, ValueCheck::kReference},
                               {"reference", "REF", "the request or case it answers", true, false,
                                ValueCheck::kReference}},
                              VerifiedOptions("check the export against the verified log")),
           AuditFilterOptions()),
       &RunAuditExport,
       Concat<FieldFlag>({{"recipient", "recipient"}, {"reference", "reference"}},
                         AuditFilterFields())},
      {"audit verify",
       "[--public-key FILE] [--state FILE] [--full] [--clock-skew SECONDS]\n"
       "[--accept-new-log LOG_ID]",
       "Verify the signed tree head of the server's audit log. Checks its date and its\n"
       "consistency with the last head verified of the same log (another log gets a state of\n"
       "its own); with --full also every event. Saves the verified head only when everything\n"
       "verifies. A new log that looks like a replaced one (the key of a log verified before\n"
       "signs it, or the server's earlier log had another key) is warned of at every run, and\n"
       "not saved, until it is accepted by its id with --accept-new-log.",
       0,
       0,
       {{"public-key", "FILE", "the audit signing key (PEM); default: the pinned key"},
        {"state", "FILE", "state file (default $HOME/.registry-cli/audit-state.json)", false,
         false, ValueCheck::kOutputFile},
        {"full", "", "download every event and check it against the signed root"},
        {"clock-skew", "SECONDS",
         "refuse a head dated more than this after this computer's clock, 1..86400 (default "
         "300)"},
        {"accept-new-log", "LOG_ID",
         "accept the server's log, with this id (from the warning), as a new log: pin it and "
         "stop warning of it"}},
       &RunAuditVerify},
      {"admin rotate-keys",
       "",
       "Add a key-encryption key version and re-wrap every data key.",
       0,
       0,
       {},
       &RunAdminRotateKeys},
      {"admin backup",
       "",
       "Create a backup (ciphertext only); older ones are pruned by the retention setting.",
       0,
       0,
       {},
       &RunAdminBackup},
      {"admin backups", "", "List the backups.", 0, 0, {}, &RunAdminBackups},
      {"admin verify-data",
       "",
       "Cross-check every record against its index rows, versions, audit events and erasures.\n"
       "Every vetting history entry must have the audit event that wrote it.\n"
       "Exits 1 when anything is inconsistent.",
       0,
       0,
       {},
       &RunAdminVerifyData},
      {"admin verify-backup",
       "[ID]",
       "Restore a backup into a scratch folder on the server and check it.\n"
       "Checks its files' checksums, the data check on the restored copy (records, index rows,\n"
       "audit events, erasures since the backup), its audit log against its root, and that root\n"
       "against the live log. ID defaults to the newest backup. Exits 1 when anything is wrong.",
       0,
       1,
       {},
       &RunAdminVerifyBackup},
  };
}

// "  --name VALUE      help (required)", the help wrapped under its column.
std::string OptionLines(const std::vector<OptionSpec>& options) {
  constexpr size_t kLeft = 31;  // two spaces, 28 columns, a space
  std::string text;
  const auto line = [&](const std::string& left, const std::string& help) {
    const std::string padded = absl::StrFormat("  %-28s ", left);
    if (padded.size() > kLeft) {
      // A long option and value: the help starts on the next line.
      absl::StrAppend(&text, padded, "\n", std::string(kLeft, ' '),
                      Wrap(help, kHelpWidth - kLeft, kLeft), "\n");
    } else {
      absl::StrAppend(&text, padded, Wrap(help, kHelpWidth - kLeft, kLeft), "\n");
    }
  };
  for (const OptionSpec& option : options) {
    const std::string left = option.value_name.empty()
                                 ? absl::StrCat("--", option.name)
                                 : absl::StrCat("--", option.name, " ", option.value_name);
    line(left, absl::StrCat(option.help, option.required ? " (required)" : "",
                            option.repeatable ? " (repeatable)" : ""));
  }
  line("-h, --help", "show this help");
  return text;
}

// "  name                   brief", the brief wrapped under its column.
std::string CommandLine(const CommandSpec& command) {
  constexpr size_t kLeft = 22;
  return absl::StrCat(absl::StrFormat("  %-19s ", command.name),
                      Wrap(Brief(command), kHelpWidth - kLeft, kLeft), "\n");
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

std::string CommandUsageText(const CommandSpec& command) {
  // A line break in the synopsis only keeps the table readable: the usage is one line.
  return absl::StrCat("usage: registry-cli [global options] ", command.name,
                      command.synopsis.empty() ? "" : " ",
                      absl::StrReplaceAll(command.synopsis, {{"\n", " "}}));
}

std::string CommandUsageLine(const CommandSpec& command) {
  // Wrap breaks the lines, each after the first indented (a break of the table's own began a
  // line at column 0).
  return Wrap(CommandUsageText(command), kHelpWidth - 4, 4);
}

std::string CommandHelp(const CommandSpec& command) {
  // The summary's line breaks only keep the source readable: it is one paragraph.
  return absl::StrCat(CommandUsageLine(command), "\n\n",
                      Wrap(absl::StrReplaceAll(command.summary, {{"\n", " "}}), kHelpWidth, 0),
                      "\n\noptions:\n", OptionLines(command.options));
}

std::string Brief(const CommandSpec& command) {
  // The first sentence ends the first line (or the text): ". " inside it ends it sooner.
  const absl::string_view first_line =
      absl::string_view(command.summary).substr(0, command.summary.find('\n'));
  const size_t stop = first_line.find(". ");
  return std::string(stop == absl::string_view::npos ? first_line : first_line.substr(0, stop + 1));
}

std::string GroupHelp(absl::string_view group) {
  std::string text = absl::StrCat("usage: registry-cli [global options] ", group,
                                  " COMMAND [options]\n\ncommands:\n");
  for (const CommandSpec& command : Commands()) {
    if (!absl::StartsWith(command.name, absl::StrCat(group, " "))) continue;
    absl::StrAppend(&text, CommandLine(command));
  }
  absl::StrAppend(&text, "\n'registry-cli ", group, " COMMAND --help' shows a command's options.\n");
  return text;
}

std::string ToolHelp() {
  // The prose is written as paragraphs and wrapped as it is printed, as every other line of
  // help is: lines broken by hand at 80 columns broke twice in a narrower terminal.
  std::string text = absl::StrCat(
      "usage: registry-cli [global options] COMMAND [options]\n\n",
      Wrap("The command-line client of registryd, the Kosovo Judicial Council's registry of "
           "persons convicted of criminal offences against sexual integrity.",
           kHelpWidth, 0),
      "\n\ncommands:\n");
  for (const CommandSpec& command : Commands()) absl::StrAppend(&text, CommandLine(command));
  absl::StrAppend(
      &text, "\nglobal options (before COMMAND):\n", OptionLines(GlobalOptionSpecs()), "\n",
      Wrap("exit codes: 0 done; 1 an error (\"error: <STATUS_CODE>: <message>\"), or a negative "
           "answer (not serving, an invalid certificate, refused import rows); 2 input refused "
           "for its own content, by registry-cli or by the server (INVALID_ARGUMENT: a mistake "
           "on the command line or in a file it names); 3 a change made (a record created or "
           "amended, an import, a backup) whose output could not be written, the error naming "
           "it; 130 stopped by Ctrl-C. With --json, an error is one line of JSON on stderr "
           "instead, {\"error\":{\"code\":\"<STATUS_CODE>\",\"message\":\"<message>\"}} (and "
           "\"usage\" for a command-line mistake), with the same exit code; notes and warnings "
           "are {\"note\":...} and {\"warning\":...}. 'registry-cli COMMAND --help' shows a "
           "command's options.",
           kHelpWidth, 0),
      "\n");
  return text;
}

}  // namespace registry::client

#include "client/choices.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/audit_events.h"
#include "client/record_fields.h"
#include "client/terminal_text.h"
#include "client/tls_probe.h"
#include "common/status_macros.h"

namespace registry::client {
namespace {

namespace v1 = registry::v1;

// Help asks the server while a person waits for the help text: a short deadline, so that an
// unreachable server costs seconds, not the default thirty.
constexpr absl::Duration kHelpTimeout = absl::Seconds(5);

std::string WhatIsListed(HelpChoices choices) {
  switch (choices) {
    case HelpChoices::kPurposes:
      return "the purpose codes you may state";
    case HelpChoices::kPositions:
      return "the position categories your organisation may check for";
    case HelpChoices::kRecordTables:
      return "the courts and offences a record may name";
    case HelpChoices::kNone:
      break;
  }
  return "";
}

std::string Lines(absl::string_view heading,
                  const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string text = absl::StrCat("\n", heading, ":\n");
  for (const std::string& item : items) absl::StrAppend(&text, "  ", ForTerminal(item), "\n");
  return text;
}

std::string TablesHelp(const RecordChoices& tables) {
  std::string text = "\ncourts (--court):\n";
  for (const v1::CourtEntry& court : tables.courts) {
    absl::StrAppendFormat(&text, "  %-20s %s\n", ForTerminal(court.id()),
                          ForTerminal(court.name()));
  }
  absl::StrAppend(&text,
                  "\noffences (--offence LAW:ARTICLE:PARAGRAPH; paragraph 0 is the whole "
                  "article):\n");
  for (const v1::OffenceEntry& offence : tables.offences) {
    absl::StrAppendFormat(&text, "  %-20s %s\n", ForTerminal(OffenceCode(offence)),
                          ForTerminal(offence.title()));
  }
  return text;
}

// The identity as the user gave it: the folder typed ("--identity pki/clerk"), else the options
// of its files. Nothing else (a file's path inside the folder, the certificate's name) is said.
std::string IdentityAsGiven(const ConnectionSettings& settings) {
  if (!settings.identity_dir.empty()) {
    return absl::StrCat(settings.identity_from.empty() ? "--identity" : settings.identity_from,
                        " ", settings.identity_dir);
  }
  return "the identity of --ca, --cert and --key";
}

// Why help could not ask the registry, by the kind of failure (`status`, of CreateChannel, or of
// the call when `called`): the identity is not there or cannot be used, the registry refused it,
// or the registry cannot be reached. Told "when the server can be reached" of an identity folder
// that does not exist, a person looks for the fault in the wrong place.
std::string WhyNotAsked(const ConnectionSettings& settings, const absl::Status& status,
                        bool called) {
  const std::string identity = IdentityAsGiven(settings);
  absl::Status why = status;
  // gRPC says UNAVAILABLE for a refused certificate too: the probe tells it from a registry that
  // does not answer, as the command itself would.
  if (called && absl::IsUnavailable(why)) why = ExplainUnavailable(settings, why);
  if (!called && !absl::IsUnauthenticated(why)) {
    // No channel: the folder or a file of the identity is missing or unusable (the command
    // itself names which).
    return absl::StrCat(identity, " is not an identity that can be used here (no such folder, or "
                                  "its files cannot be read or used; the command itself says "
                                  "which)");
  }
  if (!called) {
    // CreateChannel checks the certificate's own dates before connecting.
    return absl::StrCat("the certificate of ", identity,
                        " is expired or not yet valid, so the registry refuses it");
  }
  if (IsUsageError(why)) {
    return absl::StrCat(identity, " cannot be used (the command itself says why)");
  }
  if (absl::IsUnauthenticated(why) || absl::IsPermissionDenied(why)) {
    // The registry refused it, or would: a certificate expired, revoked or of another CA.
    return absl::StrCat("the registry refuses ", identity,
                        " (expired, revoked or not issued by its CA)");
  }
  if (absl::IsUnavailable(why) || absl::IsDeadlineExceeded(why)) {
    return "the registry cannot be reached";
  }
  return absl::StrCat("the registry did not answer (", absl::StatusCodeToString(why.code()), ")");
}

// The line help prints instead of the list `what`, saying why it is not there.
std::string Unlisted(absl::string_view what, absl::string_view why) {
  return absl::StrCat("\n", Wrap(absl::StrCat("(", what, " are not listed: ", why, ".)"),
                                  kHelpWidth, 0),
                      "\n");
}

bool IsPositional(absl::string_view flag) {
  return std::all_of(flag.begin(), flag.end(), [](char c) { return absl::ascii_isupper(c); });
}

std::string OptionName(absl::string_view flag) {
  return IsPositional(flag) ? std::string(flag) : absl::StrCat("--", flag);
}

// Where the list of `what` is read: the command's own help, which asks the registry (WhoAmI) when
// a person wants it. Asking it here, for the error, made every refused call two audited calls,
// and for an employer two against its rate limit.
std::string ListedInHelp(const CommandContext& context, absl::string_view what) {
  return absl::StrCat("'registry-cli ", context.command().name, " --help' lists ", what);
}

// The reworded refusal of a court read without a usable purpose: every part that is missing or
// not allowed (as the registry said), and where the codes the caller may state are listed.
absl::Status PurposeProblems(CommandContext& context, const absl::Status& status,
                             absl::string_view rest) {
  const ParsedArgs& args = context.args();
  std::vector<std::string> problems;
  if (!args.Has("case-ref")) {
    problems.push_back("--case-ref is required: the case the read serves, e.g. \"PKR 77/2026\"");
  }
  const size_t before_purpose = problems.size();
  if (!args.Has("purpose")) {
    problems.push_back("--purpose is required: why you read it, a purpose code");
  } else if (absl::StrContains(rest, "not an allowed")) {
    // Not repeated: a value in the wrong place may be a name and a birth date ("--purpose
    // "Kerqeli Arben 1980-04-12"), and where the codes that may be stated are listed follows.
    problems.push_back("--purpose: not one of the purpose codes you may state");
  }
  if (problems.empty()) return status;
  // Where the codes are listed only when the purpose is a problem: with only --case-ref missing,
  // the hint sent a court that had stated a good code to look for another.
  if (problems.size() == before_purpose) return ProblemsError(status.code(), problems);
  return ProblemsError(status.code(), problems,
                       ListedInHelp(context, "the purpose codes you may state"));
}

absl::Status PositionProblem(CommandContext& context, const absl::Status& status,
                             absl::string_view rest) {
  // The value is not repeated, as for --purpose: where the categories are listed follows.
  const std::string line = context.args().Has("position")
                               ? std::string("--position: not one of the position categories of "
                                             "your organisation")
                               : absl::StrCat("--position", rest);
  return ProblemsError(status.code(), {line},
                       ListedInHelp(context, "the position categories your organisation may "
                                             "check for"));
}

}  // namespace

std::string PurposeCodeOf(absl::string_view typed) { return absl::AsciiStrToLower(typed); }

std::string PositionCategoryOf(absl::string_view typed) {
  return absl::AsciiStrToLower(typed);
}

std::string FieldOfMessage(absl::string_view message) {
  size_t end = message.find(": ");
  const size_t required = message.find(" is required");
  if (required != absl::string_view::npos && (end == absl::string_view::npos || required < end)) {
    end = required;
  }
  if (end == absl::string_view::npos || end == 0) return "";
  const absl::string_view path = message.substr(0, end);
  const bool path_like = std::all_of(path.begin(), path.end(), [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_' || c == '.' || c == '[' ||
           c == ']';
  });
  return path_like ? std::string(path) : "";
}

std::vector<std::string> SplitServerProblems(absl::string_view message) {
  // "; " separates problems only where a field's name follows; a rule's own words never hold
  // one (the server's validator writes its rules so).
  std::vector<std::string> problems;
  std::string current;
  for (absl::string_view piece : absl::StrSplit(message, "; ")) {
    if (!current.empty() && !FieldOfMessage(piece).empty()) {
      problems.push_back(std::move(current));
      current.clear();
    }
    absl::StrAppend(&current, current.empty() ? "" : "; ", piece);
  }
  problems.push_back(std::move(current));
  return problems;
}

std::string ChoicesHelp(const CommandSpec& command, const ConnectionSettings& settings) {
  if (command.choices == HelpChoices::kNone) return "";
  const std::string what = WhatIsListed(command.choices);
  if (settings.ca_file.empty() || settings.cert_file.empty() || settings.key_file.empty()) {
    return absl::StrCat(
        "\n",
        Wrap(absl::StrCat("With an identity (--identity DIR), this help also lists ", what, "."),
             kHelpWidth, 0),
        "\n");
  }
  ConnectionSettings quick = settings;
  quick.timeout = std::min(settings.timeout, kHelpTimeout);
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = CreateChannel(quick);
  if (!channel.ok()) return Unlisted(what, WhyNotAsked(quick, channel.status(), false));
  // Who the caller is, first: every role may ask it, and only it says which lists this caller
  // may read. A list asked of a role refused it would be a refusal in the audit log for reading
  // help.
  absl::StatusOr<v1::WhoAmIResponse> who = CallWhoAmI(*channel, quick);
  if (!who.ok()) return Unlisted(what, WhyNotAsked(quick, who.status(), true));
  if (command.choices == HelpChoices::kRecordTables) {
    // Listed for a role that enters records (a court may read the tables, for its console's
    // names of courts and offences, but enters nothing).
    if (!RoleMayCall(who->role(), kCreateRecordMethod) ||
        !RoleMayCall(who->role(), kReferenceDataMethod)) {
      return Unlisted(what, absl::StrCat("role ", RoleName(who->role()),
                                         " does not enter records; clerks do"));
    }
    absl::StatusOr<RecordChoices> tables = CallReferenceData(*channel, quick);
    if (!tables.ok()) return Unlisted(what, WhyNotAsked(quick, tables.status(), true));
    return TablesHelp(*tables);
  }
  if (command.choices == HelpChoices::kPurposes) {
    if (who->role() != v1::ROLE_COURT) return "";
    return Lines("purpose codes you may state (--purpose)", who->purpose_codes());
  }
  if (who->role() != v1::ROLE_VETTING) return "";
  return Lines(
      absl::StrCat("position categories ",
                   ForTerminal(who->organisation_name().empty() ? who->organisation()
                                                                : who->organisation_name()),
                   " may check for (--position)"),
      who->position_categories());
}

absl::Status ExplainRefusedCertificate(const ConnectionSettings& settings,
                                       const absl::Status& status) {
  // Trying again would not help.
  if (absl::IsUnauthenticated(status) && !HasOwnLines(status)) {
    std::string refused;
    if (absl::StartsWith(status.message(), "client certificate is revoked")) {
      refused = absl::StrCat("your certificate (", settings.cert_file, ") is revoked: the registry "
                             "refuses it; ask the registry office for a new certificate");
    } else if (absl::StartsWith(status.message(), "your certificate (") &&
               absl::StrContains(status.message(), ") expired on ") &&
               absl::EndsWith(status.message(), "ask the registry office for a new certificate")) {
      refused = std::string(status.message());
    }
    if (!refused.empty()) {
      const std::string where =
          settings.identity_dir.empty()
              ? absl::StrCat(" in place of ", settings.cert_file)
              : absl::StrCat(" and put it in your identity folder ", settings.identity_dir, " (",
                             settings.identity_from, ")");
      return absl::UnauthenticatedError(absl::StrCat(refused, where));
    }
  }
  return status;
}

absl::Status ExplainError(CommandContext& context, const absl::Status& status) {
  if (status.ok() || IsUsageError(status) || HasOwnLines(status)) return status;
  // The registry no longer accepts this certificate: said with what to do and where the new
  // one goes.
  if (absl::Status refused = ExplainRefusedCertificate(context.settings(), status);
      refused.message() != status.message()) {
    return refused;
  }
  // Several problems (the validator names every bad field): each reworded, one per line.
  const std::vector<std::string> parts = SplitServerProblems(status.message());
  if (parts.size() > 1) {
    std::vector<std::string> lines;
    for (const std::string& part : parts) {
      // Unwrapped: the line is wrapped as one of these problems.
      lines.push_back(UnwrappedMessage(ExplainError(context, absl::Status(status.code(), part))));
    }
    return ProblemsError(status.code(), lines);
  }
  const std::string path = FieldOfMessage(status.message());
  if (path.empty()) return status;
  const CommandSpec& command = context.command();
  // An index names an item of a list field ("rows[3].line"): the option is the list's.
  const std::string base = path.substr(0, path.find('['));
  auto field = std::find_if(command.field_flags.begin(), command.field_flags.end(),
                            [&](const FieldFlag& f) { return f.path == path || f.path == base; });
  if (field == command.field_flags.end()) return status;
  const absl::string_view rest = absl::string_view(status.message()).substr(path.size());
  if (field->flag == "case-ref" || field->flag == "purpose") {
    // A rule about the shape of the value stays as the server says it, under the option's name.
    if (!absl::StrContains(rest, "required") && !absl::StrContains(rest, "not an allowed")) {
      return absl::Status(status.code(), absl::StrCat(OptionName(field->flag), rest));
    }
    return PurposeProblems(context, status, rest);
  }
  if (field->flag == "position") return PositionProblem(context, status, rest);
  return absl::Status(status.code(), absl::StrCat(OptionName(field->flag), rest));
}

}  // namespace registry::client

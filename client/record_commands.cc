// record subcommands except import (import_command.cc).
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/amend_patch.h"
#include "client/audit_events.h"
#include "client/choices.h"
#include "client/cli_output.pb.h"
#include "client/command_table.h"
#include "client/commands.h"
#include "client/files.h"
#include "client/json_io.h"
#include "client/names_removed.h"
#include "client/record_fields.h"
#include "common/suggest.h"
#include "client/record_format.h"
#include "client/terminal_text.h"
#include "client/tls_probe.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "grpcpp/channel.h"
#include "registry/v1/access.pb.h"
#include "registry/v1/info.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "storage/name_normalizer.h"

namespace registry::client {
namespace {

absl::StatusOr<std::unique_ptr<v1::RecordService::Stub>> RecordStub(CommandContext& ctx) {
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, ctx.Channel());
  return v1::RecordService::NewStub(channel);
}

// Sets `purpose` from --case-ref/--purpose when either is given; the server decides whether the
// caller's role needs them.
void SetPurpose(const ParsedArgs& args, v1::Purpose* purpose) {
  if (auto reference = args.Get("case-ref")) purpose->set_case_reference(*reference);
  if (auto code = args.Get("purpose")) purpose->set_purpose_code(PurposeCodeOf(*code));
}

// The record id typed (the command's argument ID) as the registry writes it: in lowercase. An id
// copied in capitals is the same id, as `audit list --record-id` takes it; anything else goes as
// typed, for the registry to refuse without repeating it.
std::string RecordIdArg(const ParsedArgs& args) {
  // Spaces around an id pasted from a terminal or a document are not part of it.
  const std::string typed(absl::StripAsciiWhitespace(args.positionals()[0]));
  const bool hex = typed.size() == 32 && std::all_of(typed.begin(), typed.end(), [](char c) {
                     return absl::ascii_isxdigit(static_cast<unsigned char>(c));
                   });
  return hex ? absl::AsciiStrToLower(typed) : typed;
}

// An id of the wrong shape (a personal number, a case number, an id cut short when copied) is
// said here, as `audit list --record-id` says it, rather than sent, refused and audited (the
// registry's "ID: 32 lowercase hex characters" came without the usage line, and an id in capitals
// is taken). `id` as RecordIdArg gives it. Not repeated: it may be a person's number.
absl::Status CheckRecordIdShape(const std::string& id) {
  if (id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
      })) {
    return absl::OkStatus();
  }
  return UsageError(
      "ID must be a record id: 32 hex characters (0-9 and a-f, in either case), as `record "
      "create` printed it and `record search` shows it");
}

bool WantsPurpose(const ParsedArgs& args) { return args.Has("case-ref") || args.Has("purpose"); }

absl::Status PrintStatusChange(CommandContext& ctx, const v1::RecordStatusResponse& response) {
  if (ctx.json()) return ctx.PrintJson(response);
  ctx.out() << "record " << ForTerminal(response.record_id()) << " is now "
            << RecordStatusName(response.status()) << " (version " << response.version()
            << ")\n";
  return absl::OkStatus();
}

// A JSON file a person wrote: lines whose first characters (after spaces) are "//" are comments
// (`record template` prints them). They are blanked rather than removed, so that a JSON error's
// line number still points into the file. JSON strings cannot span lines, so no comment line is
// part of a value.
std::string WithoutCommentLines(absl::string_view text) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    lines.push_back(absl::StartsWith(absl::StripLeadingAsciiWhitespace(line), "//")
                        ? std::string()
                        : std::string(line));
  }
  return absl::StrJoin(lines, "\n");
}

// How the problems of a record are named: by the options typed, by the file's field paths, or
// by the questions `record create --interactive` asked (and the path in the file its answers
// are kept in).
enum class Naming { kOption, kPath, kQuestion };

// A server message about a record's field, named as the record was entered.
std::string RenamedRecordMessage(const std::string& message, Naming naming) {
  switch (naming) {
    case Naming::kOption:
      return RecordMessageWithFlags(message);
    case Naming::kQuestion:
      return RecordMessageWithQuestions(message);
    case Naming::kPath:
      break;
  }
  return message;
}

// The problems found before sending, as one error: a usage error naming options when the record
// came as options, else naming the file's field paths or the questions.
// "Date it became final (conviction.final_date): must be ...": a problem named by its question.
std::string QuestionProblem(const FieldProblem& problem) {
  return absl::StrCat(QuestionName(*problem.field, problem.item),
                      problem.what == "required"
                          ? " is required"
                          : absl::StrCat(": ", RuleAsTyped(*problem.field, problem.what)));
}

absl::Status RecordProblems(const std::vector<FieldProblem>& problems, Naming naming) {
  std::vector<std::string> lines;
  for (const FieldProblem& problem : problems) {
    if (naming == Naming::kQuestion) {
      lines.push_back(QuestionProblem(problem));
    } else {
      lines.push_back(DescribeProblem(problem, naming == Naming::kPath));
    }
  }
  if (naming != Naming::kOption) return ProblemsError(absl::StatusCode::kInvalidArgument, lines);
  return UsageProblems(lines);
}

// The reference data for checking a record before it is sent, when the caller may read it. A
// caller who may not (not a clerk) will be refused the record itself anyway.
std::optional<RecordChoices> TablesIfReadable(CommandContext& ctx) {
  absl::StatusOr<RecordChoices> tables = ctx.RecordTables();
  if (!tables.ok()) return std::nullopt;
  return *std::move(tables);
}

// OK when the registry answers and the caller's role may call `method` (the RPC's full name);
// else why not, in the words "role court may not <what>: that is for role clerk<after>", before
// a person answers questions for nothing or is shown a record it may not change. WhoAmI is a
// call every role may make; which roles may call a method is declared on the API itself
// (registry/v1/access.proto), the rule the server enforces.
// The refusal of `method` to the role named `role` ("court"), in the words above; OK when the
// role may call it or the API declares no rule (the server decides).
absl::Status RoleRefusal(absl::string_view role, absl::string_view method_name,
                         absl::string_view what, absl::string_view after) {
  const google::protobuf::MethodDescriptor* method =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
          std::string(method_name));
  // Without the rule, the server decides.
  if (method == nullptr || !method->options().HasExtension(v1::access)) return absl::OkStatus();
  std::vector<std::string> allowed;
  for (const int allowed_role : method->options().GetExtension(v1::access).roles()) {
    if (RoleName(static_cast<v1::Role>(allowed_role)) == role) return absl::OkStatus();
    allowed.push_back(RoleName(static_cast<v1::Role>(allowed_role)));
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "role ", role, " may not ", what, ": that is for role", allowed.size() == 1 ? " " : "s ",
      absl::StrJoin(allowed, " or "), after));
}

absl::Status CheckMayCall(CommandContext& ctx, absl::string_view method_name,
                          absl::string_view what, absl::string_view after) {
  ASSIGN_OR_RETURN(const v1::WhoAmIResponse who, ctx.WhoAmI());
  return RoleRefusal(RoleName(who.role()), method_name, what, after);
}

// The server's refusal of a role ("role court may not call this method": words of the API) in
// the words of CheckMayCall, built from the rule the client holds: no other call is made.
absl::Status Reworded(const absl::Status& status, absl::string_view method_name,
                      absl::string_view what, absl::string_view after) {
  absl::string_view message = status.message();
  if (!absl::IsPermissionDenied(status) || !absl::ConsumePrefix(&message, "role ") ||
      !absl::ConsumeSuffix(&message, " may not call this method")) {
    return status;
  }
  const absl::Status refusal = RoleRefusal(message, method_name, what, after);
  return refusal.ok() ? status : refusal;
}

// ---- record create --interactive ----

absl::Status CheckMayEnterRecords(CommandContext& ctx) {
  return CheckMayCall(ctx, "registry.v1.RecordService.CreateRecord", "enter records",
                      "; no question was asked");
}

// Discards what was typed or pasted on the terminal before a question that guards something
// that cannot be undone was shown: a "yes" typed right after the command, or the last line of a
// paste, must not answer a question nobody read. Only the process's standard input is a
// terminal the kernel holds input for (a test's stream is not); std::cin has read nothing ahead
// of it, as a terminal returns one line per read and each answer is read whole.
void DiscardTypedAhead(CommandContext& ctx) {
  if (ctx.in() != &std::cin || !ctx.in_is_terminal() || isatty(STDIN_FILENO) != 1) return;
  tcflush(STDIN_FILENO, TCIFLUSH);
}

// One line of the user's answer; nullopt at the end of the input.
std::optional<std::string> ReadAnswer(CommandContext& ctx) {
  std::string line;
  if (!std::getline(*ctx.in(), line)) {
    // Ctrl-D leaves the cursor after the question: what follows (an error, a note) starts on a
    // line of its own.
    ctx.err() << "\n" << std::flush;
    return std::nullopt;
  }
  // Ctrl-D after part of a line ends the input with that part unanswered by Enter: the echo
  // stays on the question's line, and what follows must not be printed after it.
  if (ctx.in()->eof()) ctx.err() << "\n" << std::flush;
  return std::string(absl::StripAsciiWhitespace(line));
}

absl::Status InputEnded() {
  return Declined("the input ended before the record was complete; nothing was sent");
}

// What the person may answer for a field with a list of choices: a number of the list or the
// code itself. nullopt for a number that is not one of the list's (and no code): said as that,
// not as a code that is not in the list or not LAW:ARTICLE:PARAGRAPH.
std::optional<std::string> ChoiceByNumber(absl::string_view answer,
                                          const std::vector<std::string>& codes) {
  if (codes.empty() || std::find(codes.begin(), codes.end(), answer) != codes.end()) {
    return std::string(answer);
  }
  if (answer.empty() || !std::all_of(answer.begin(), answer.end(), absl::ascii_isdigit)) {
    return std::string(answer);
  }
  size_t number = 0;
  if (absl::SimpleAtoi(answer, &number) && number >= 1 && number <= codes.size()) {
    return codes[number - 1];
  }
  return std::nullopt;
}

// Whether the registry's `problem` compares a date of the conviction with the person's 14th or
// 18th birthday (whichever field it names: the judgment date, the final date, juvenile, or the
// birth date itself).
bool ComparesWithTheBirthDate(const FieldProblem& problem) {
  for (absl::string_view words : {"birthday", "under 14", "under 18", "years old"}) {
    if (absl::StrContains(problem.what, words)) return true;
  }
  return false;
}

bool ShouldAsk(const RecordField& field, const v1::CreateRecordRequest& request,
               const std::optional<RecordChoices>& tables) {
  const v1::Conviction& c = request.conviction();
  const v1::SentenceType type = c.sentence().type();
  if (field.flag == "foreign-court" || field.flag == "foreign-country") {
    if (!tables.has_value()) return c.court_id() == "foreign";
    return std::any_of(tables->courts.begin(), tables->courts.end(), [&](const v1::CourtEntry& e) {
      return e.id() == c.court_id() && e.foreign();
    });
  }
  if (field.flag == "months") {
    return type == v1::SENTENCE_TYPE_IMPRISONMENT || type == v1::SENTENCE_TYPE_SUSPENDED;
  }
  if (field.flag == "release-date") {
    return type == v1::SENTENCE_TYPE_IMPRISONMENT || type == v1::SENTENCE_TYPE_LIFE_IMPRISONMENT;
  }
  if (field.flag == "suspension-end-date") return type == v1::SENTENCE_TYPE_SUSPENDED;
  return true;
}

absl::Status AppendRegistryProblems(CommandContext& ctx, const v1::CreateRecordRequest& request,
                                    std::vector<FieldProblem>* problems,
                                    std::vector<const RecordField*>* named = nullptr);

// The fields `record create --interactive` has the registry check at their question: their rules
// are the registry's alone (the personal number's format is its setting; the dates are held to
// today in Kosovo and to each other: a birth before today, a judgment from the 14th birthday, a
// final date on or after the judgment), and were said only after the last question.
bool CheckedByTheRegistryAtItsQuestion(const RecordField& field) {
  return field.flag == "personal-number" || field.flag == "birth-date" ||
         field.flag == "judgment-date" || field.flag == "final-date";
}

// The answers up to `field`'s, as the registry is asked to check them at its question: the fields
// asked after it left empty (their rules against this one are checked when they are answered, and
// after the last question), and juvenile taken as yes, which the dates make required only at its
// own question (RequiredBecause).
v1::CreateRecordRequest AnswersUpTo(const RecordField& field,
                                    const v1::CreateRecordRequest& answers) {
  v1::CreateRecordRequest upto = answers;
  bool after = false;
  std::vector<FieldProblem> ignored;
  for (const RecordField& other : RecordFields()) {
    if (after) ApplyField(other, {""}, &upto, &ignored);
    if (&other == &field) after = true;
  }
  upto.mutable_conviction()->set_juvenile(true);
  return upto;
}

// A numbered list to choose from (the courts, the offences): "  NN  CODE  NAME", the names in a
// column of their own that wraps under itself, or on a terminal too narrow for that column,
// under the code. Laid out for the terminal (TextColumns), as the questions are.
void PrintChoiceList(std::ostream& q, absl::string_view title,
                     const std::vector<std::pair<std::string, std::string>>& rows,
                     size_t code_width) {
  q << "\n" << title << ":\n";
  constexpr size_t kLead = 6;  // "  NN  "
  const size_t name_at = kLead + code_width + 1;
  const bool in_a_column = TextColumns() >= name_at + kMinWrapWidth;
  for (size_t i = 0; i < rows.size(); ++i) {
    const std::string code = ForTerminal(rows[i].first);
    const std::string name = ForTerminal(rows[i].second);
    const std::string head =
        absl::StrFormat("  %2d  %-*s", i + 1, static_cast<int>(code_width), code);
    if (in_a_column) {
      // A code longer than its column pushes its name's first line along, not the others.
      const size_t first_at = std::max(name_at, head.size() + 1);
      q << head << " "
        << WrapAfter(name, kHelpWidth - std::min(first_at, kHelpWidth - kMinWrapWidth),
                     kHelpWidth - name_at, name_at)
        << "\n";
    } else {
      constexpr size_t kUnder = kLead + 2;
      q << absl::StripTrailingAsciiWhitespace(head) << "\n"
        << std::string(kUnder, ' ') << Wrap(name, kHelpWidth - kUnder, kUnder) << "\n";
    }
  }
}

// Asks for every field in turn on the terminal (questions on stderr, so that stdout keeps the
// record id alone), re-asking until the answer can be read, offering the lists to choose from.
// With `only`, asks those fields again, each answer replacing what the field held (Enter
// clears an optional one), and leaves the others as they are.
absl::Status AskRecord(CommandContext& ctx, const std::optional<RecordChoices>& tables,
                       v1::CreateRecordRequest* request,
                       const std::vector<const RecordField*>* only = nullptr) {
  std::ostream& q = ctx.err();
  // What is said under a question (a problem with the answer), wrapped as the question is.
  const auto say = [&q](absl::string_view text) {
    q << "  " << Wrap(text, kHelpWidth - 2, 2) << "\n";
  };
  if (only == nullptr) {
    q << Wrap("Enter the record field by field (Enter skips an optional field; Ctrl-D stops and "
              "keeps your answers in a file; Ctrl-C stops and keeps nothing).",
              kHelpWidth, 0)
      << "\n";
  }
  std::vector<std::string> court_codes, offence_codes;
  if (tables.has_value()) {
    for (const v1::CourtEntry& court : tables->courts) court_codes.push_back(court.id());
    for (const v1::OffenceEntry& offence : tables->offences) {
      offence_codes.push_back(OffenceCode(offence));
    }
  }
  for (const RecordField& field : RecordFields()) {
    if (only != nullptr && std::find(only->begin(), only->end(), &field) == only->end()) {
      continue;
    }
    if (!ShouldAsk(field, *request, tables)) continue;
    if (field.kind == FieldKind::kCourt && tables.has_value()) {
      std::vector<std::pair<std::string, std::string>> rows;
      for (const v1::CourtEntry& court : tables->courts) {
        rows.emplace_back(court.id(), court.name());
      }
      PrintChoiceList(q, "Courts", rows, 20);
    }
    if (field.kind == FieldKind::kOffence && tables.has_value()) {
      std::vector<std::pair<std::string, std::string>> rows;
      for (size_t i = 0; i < tables->offences.size(); ++i) {
        rows.emplace_back(offence_codes[i], tables->offences[i].title());
      }
      PrintChoiceList(q, "Offences", rows, 16);
    }
    std::vector<std::string> values;
    while (true) {
      std::string prompt = field.question;
      if (field.repeatable) absl::StrAppend(&prompt, " #", values.size() + 1);
      const bool has_list = (field.kind == FieldKind::kCourt && !court_codes.empty()) ||
                            (field.kind == FieldKind::kOffence && !offence_codes.empty());
      if (has_list) absl::StrAppend(&prompt, " (number or code)");
      if (field.kind == FieldKind::kBool) absl::StrAppend(&prompt, " (yes/no)");
      // A field the answers so far make required (the length of a prison term, a court
      // abroad's name and country, juvenile for a person under 18 then) is asked as the
      // registry requires it: without Enter, and again until answered, not refused after the
      // last question.
      const std::string required_because =
          RequiredBecause(field, *request, tables.has_value() ? &*tables : nullptr);
      const bool may_skip = (!field.required && required_because.empty()) ||
                            (field.repeatable && !values.empty());
      // Juvenile, the one yes/no field a rule makes required, is required by the dates typed:
      // a no says one of them is wrong, and asks them again.
      const bool dates_make_it_required =
          field.kind == FieldKind::kBool && !required_because.empty();
      const std::string why_required =
          required_because.empty() ? "required"
          : dates_make_it_required
              ? absl::StrCat(required_because,
                             ": answer yes, or no to type the date of birth and the judgment "
                             "date again")
              : required_because;
      if (may_skip) {
        absl::StrAppend(&prompt, field.repeatable ? " [Enter: no more]" : " [Enter: none]");
      }
      // The answer is typed after the question's last line.
      q << Wrap(absl::StrCat(prompt, ":"), kHelpWidth - 1, 2) << " " << std::flush;
      std::optional<std::string> answer = ReadAnswer(ctx);
      if (!answer.has_value()) return InputEnded();
      // Bytes that are not UTF-8 (a terminal set to Latin-1, a character half deleted) are asked
      // again here, in the command line's words and without the bytes: taken, they were shown
      // garbled in the summary, refused by the server after the last question, and kept in the
      // answers' file with the bytes left out, a different name.
      if (!IsWellFormedUtf8(*answer)) {
        say("not valid UTF-8 (is the terminal set to another encoding?)");
        continue;
      }
      // The line is read as the terminal sends it: an arrow key is an escape sequence in the
      // answer ("Gashi^[[D^[[DZ"), not a move of the cursor, and refused as a value it would be
      // in words that say nothing of why.
      if (absl::StrContains(*answer, '\x1b')) {
        say("the arrow keys do not move the cursor here: type the answer again (Backspace "
            "corrects it)");
        continue;
      }
      // What the registry refuses in a name (a no-break space, a look-alike of a letter) is said
      // at its question, not after the last one.
      if (IsNameField(field)) {
        if (const std::string problem = NameProblem(*answer); !problem.empty()) {
          say(problem);
          continue;
        }
      }
      if (answer->empty()) {
        if (may_skip) {
          // Asked again, Enter leaves the field empty, not as it was.
          if (only != nullptr && values.empty()) {
            std::vector<FieldProblem> ignored;
            ApplyField(field, {""}, request, &ignored);
          }
          break;
        }
        say(why_required);
        continue;
      }
      if (has_list) {
        const std::vector<std::string>& codes =
            field.kind == FieldKind::kCourt ? court_codes : offence_codes;
        std::optional<std::string> chosen = ChoiceByNumber(*answer, codes);
        if (!chosen.has_value()) {
          say(absl::StrCat("not a number of the list: the numbers run 1..", codes.size(),
                           "; or type the code"));
          continue;
        }
        *answer = *std::move(chosen);
      }
      // A yes/no question takes y and n as "Enter this record?" does (the field itself reads
      // the words, as the file and --set give them).
      if (field.kind == FieldKind::kBool) {
        if (const std::optional<bool> yes = YesNoAnswer(*answer); yes.has_value()) {
          *answer = *yes ? "yes" : "no";
        }
      }
      std::vector<FieldProblem> problems;
      v1::CreateRecordRequest attempt = *request;
      std::vector<std::string> with = values;
      with.push_back(*answer);
      ApplyField(field, with, &attempt, &problems);
      if (problems.empty() && tables.has_value()) {
        // A court or an offence that is not in the tables is refused now, not at the end. Only
        // those: a rule that joins this field with one not asked yet (juvenile, for the dates) is
        // for after that one's answer.
        std::vector<FieldProblem> choice_problems;
        AppendTableProblems(attempt, *tables, &choice_problems);
        // Missing is said below, in the question's words.
        const std::string still_required = RequiredBecause(field, attempt, &*tables);
        for (FieldProblem& p : choice_problems) {
          if (p.field == &field && p.what != "required" && p.what != still_required) {
            problems.push_back(std::move(p));
          }
        }
      }
      // The personal number and the dates are checked by the registry as typed (a dry run of
      // the answers so far, which stores nothing), and asked again here: its rules for them were
      // said only after the last question. A judgment before the 14th birthday names the date
      // of birth too, and a final date before the judgment the judgment date, either being the
      // wrong one: both are asked again, as for juvenile below. When the registry cannot be
      // asked, the answer is checked after the last question.
      if (problems.empty() && tables.has_value() && CheckedByTheRegistryAtItsQuestion(field)) {
        std::vector<FieldProblem> registry;
        if (AppendRegistryProblems(ctx, AnswersUpTo(field, attempt), &registry).ok()) {
          // The date asked before this one that the registry names with it, if any (those
          // asked after it are empty in the check).
          std::vector<const RecordField*> asked_before;
          for (const RecordField& other : RecordFields()) {
            if (&other == &field) break;
            asked_before.push_back(&other);
          }
          const RecordField* earlier = nullptr;
          for (FieldProblem& p : registry) {
            if (p.field == &field) problems.push_back(p);
            for (const char* flag : {"birth-date", "judgment-date"}) {
              const RecordField* date = FindRecordField(flag);
              if (p.field == date && earlier == nullptr &&
                  std::find(asked_before.begin(), asked_before.end(), date) !=
                      asked_before.end()) {
                earlier = date;
              }
            }
          }
          if (!problems.empty() && earlier != nullptr) {
            for (const FieldProblem& p : registry) {
              if (p.field == &field || p.field == earlier) say(ForTerminal(QuestionProblem(p)));
            }
            say(earlier->flag == "birth-date"
                    ? "type the date of birth and the judgment date again, as either may be the "
                      "wrong one"
                    : "type the judgment date and the date it became final again, as either may "
                      "be the wrong one");
            const std::vector<const RecordField*> dates = {earlier, &field};
            RETURN_IF_ERROR(AskRecord(ctx, tables, request, &dates));
            break;
          }
        }
      }
      if (!problems.empty()) {
        say(ForTerminal(problems.front().what));
        continue;
      }
      // "no" to juvenile for a person under 18 on the judgment day by the dates typed: one of
      // them is wrong (a birth year typed 2005 for 1985), or the no is. As for a judgment before
      // the 14th birthday, both dates are asked again, either being the wrong one, then
      // juvenile as they now make it. A no refused until a yes made a clerk record an adult as
      // a juvenile, whose record employers see for a fraction of the time.
      if (!required_because.empty() &&
          !RequiredBecause(field, attempt, tables.has_value() ? &*tables : nullptr).empty()) {
        if (dates_make_it_required) {
          q << "  "
            << Wrap(absl::StrCat("by the dates typed (born ",
                                 ForTerminal(request->person().birth_date()), ", judged ",
                                 ForTerminal(request->conviction().judgment_date()),
                                 ") the person was under 18 on the judgment date: type the date "
                                 "of birth and the judgment date again, as either may be the "
                                 "wrong one"),
                    kHelpWidth - 2, 2)
            << "\n";
          const std::vector<const RecordField*> dates = {FindRecordField("birth-date"),
                                                         FindRecordField("judgment-date")};
          RETURN_IF_ERROR(AskRecord(ctx, tables, request, &dates));
          continue;
        }
        say(why_required);
        continue;
      }
      values = std::move(with);
      *request = std::move(attempt);
      if (!field.repeatable) break;
    }
  }
  return absl::OkStatus();
}

// The answers AskRecord took, as a record is shown, before the registry's check and "Enter this
// record?".
void ShowAnswers(CommandContext& ctx, const v1::CreateRecordRequest& request) {
  std::ostream& q = ctx.err();
  v1::Record shown;
  *shown.mutable_person() = request.person();
  *shown.mutable_conviction() = request.conviction();
  q << "\n";
  for (const RecordLine& line : RecordLines(shown)) {
    if (line.bookkeeping || line.label == "Status" || line.label == "Visible to employers until" ||
        line.label == "Delete after") {
      continue;
    }
    q << absl::StrFormat("%-28s %s\n", absl::StrCat(line.label, ":"),
                         line.value.empty() ? "-" : line.value);
  }
}

// Asks whether to send the record AskRecord filled in. "y" or "yes" sends it and "n" or "no" does
// not (any case, as a terminal's other yes/no questions take them); anything else is asked again:
// after twenty answers, a typo must not decide. Cancelled when the answer is no or the input
// ends (Ctrl-D), for KeepAnswers to keep the answers.
absl::Status ConfirmRecord(CommandContext& ctx) {
  std::ostream& q = ctx.err();
  while (true) {
    q << "\nEnter this record? (yes/no): " << std::flush;
    // Once entered, the record is the registry's (only expunging erases it): answered by what
    // was typed after the question and its summary were shown.
    DiscardTypedAhead(ctx);
    std::optional<std::string> answer = ReadAnswer(ctx);
    if (!answer.has_value()) {
      return Declined("not entered: the input ended at \"Enter this record?\"; nothing was sent");
    }
    if (const std::optional<bool> yes = YesNoAnswer(*answer); yes.has_value()) {
      if (*yes) return absl::OkStatus();
      return Declined("not entered: you answered no; nothing was sent");
    }
    q << "  answer yes or no";
  }
}

// ---- record expunge: confirmation ----

// Why a record goes with the expunged one (`keeper`: how it is named), in the tense of
// `has`/`keeps` ("has", "keeps" before the expunge; "had", "kept" after it).
std::string ErasedWithReason(v1::ErasedWithRecord::Reason reason, absl::string_view has,
                             absl::string_view keeper, absl::string_view keeps) {
  if (reason == v1::ErasedWithRecord::REASON_RETENTION_ENDED_KEPT_ONLY_BY_EXPUNGED) {
    return absl::StrCat("its retention period ", has, " ended and only ", keeper, " ", keeps,
                        " it");
  }
  return "the registry gave no reason this client knows";
}

// "Arben Kërqeli, born 1980, case P 123/2024 (Basic Court of Prishtinë/Priština)".
std::string WhoseRecord(const v1::Record& record) {
  const v1::Person& p = record.person();
  const v1::Conviction& c = record.conviction();
  const std::string year = p.birth_date().substr(0, 4);
  const std::string court = c.court_id() == "foreign" ? c.foreign_court()
                            : c.court_name().empty()  ? c.court_id()
                                                      : c.court_name();
  return absl::StrCat(ForTerminal(p.given_name()), " ", ForTerminal(p.surname()), ", born ",
                      ForTerminal(year), ", case ", ForTerminal(c.case_number()), " (",
                      ForTerminal(court), ")");
}

// A record the client found problems in is not sent, but the rules only the registry knows (a
// date in the future or before another, the personal number's format, which is the registry's
// setting) would then be named only on the next try. So the registry checks the same record
// without storing it (a dry run of an import of that one row, which writes nothing but its audit
// event), and its problems of the fields not named already are added: every problem in one go.
// When the registry cannot be asked (it does not answer, or the caller may not enter records),
// the client's problems are said alone, and the error of the check is returned (OK when the
// registry checked the record), for a caller to say the answers went unchecked.
// With `named`, every field each problem names is added to it too (RecordFieldsNamedIn), each
// once: a rule that compares fields names them all, the one its problem is said of first.
absl::Status AppendRegistryProblems(CommandContext& ctx, const v1::CreateRecordRequest& request,
                                    std::vector<FieldProblem>* problems,
                                    std::vector<const RecordField*>* named) {
  v1::ImportRecordsRequest check;
  check.set_dry_run(true);
  v1::ImportRow* row = check.add_rows();
  row->set_line(1);
  *row->mutable_record() = request;
  absl::StatusOr<std::unique_ptr<v1::RecordService::Stub>> stub = RecordStub(ctx);
  if (!stub.ok()) return stub.status();
  const absl::StatusOr<v1::ImportRecordsResponse> checked = CallUnary<v1::ImportRecordsResponse>(
      ctx.settings(), [&](grpc::ClientContext* c, v1::ImportRecordsResponse* r) {
        return (*stub)->ImportRecords(c, check, r);
      });
  if (!checked.ok()) return checked.status();
  if (checked->results_size() != 1) {
    return absl::DataLossError("the registry's check answered no row");
  }
  if (checked->results(0).outcome() != v1::ImportRowResult::OUTCOME_INVALID) {
    return absl::OkStatus();
  }
  std::vector<FieldProblem> registry;
  for (const std::string& part : SplitServerProblems(checked->results(0).error())) {
    if (named != nullptr) {
      for (const RecordField* field : RecordFieldsNamedIn(part)) {
        if (std::find(named->begin(), named->end(), field) == named->end()) {
          named->push_back(field);
        }
      }
    }
    if (std::optional<FieldProblem> problem = ProblemOfRegistryMessage(part)) {
      registry.push_back(*std::move(problem));
    }
  }
  // A field named already is left out (a value that could not be read is missing from what was
  // checked), unless the client said of it only what the registry says too: then the registry's
  // other problems of it are said with it (an article recorded by its paragraphs, of a code not
  // yet in force on the judgment date), as the registry says them together.
  MergeRegistryProblems(registry, problems);
  return absl::OkStatus();
}

// Checks the record against the tables, sends it and prints its id; the errors name its fields
// by `naming`. A record with problems is not sent: when `refused` is an error (the caller's role
// may not enter records), that is said instead of them, as the registry would refuse the record
// whatever it held.
absl::Status CreateRecord(CommandContext& ctx, const v1::CreateRecordRequest& request,
                          const std::optional<RecordChoices>& tables, Naming naming,
                          const absl::Status& refused = absl::OkStatus()) {
  std::vector<FieldProblem> problems;
  AppendRecordProblems(request, tables.has_value() ? &*tables : nullptr, &problems);
  if (!problems.empty()) {
    if (!refused.ok()) return refused;
    // Without the tables the caller is no clerk, and the registry would refuse the check too.
    // Unchecked, the client's problems are still worth saying: the record is not sent anyway.
    if (tables.has_value()) AppendRegistryProblems(ctx, request, &problems).IgnoreError();
    return RecordProblems(problems, naming);
  }

  ASSIGN_OR_RETURN(auto stub, RecordStub(ctx));
  absl::StatusOr<v1::CreateRecordResponse> response = CallUnary<v1::CreateRecordResponse>(
      ctx.settings(), [&](grpc::ClientContext* c, v1::CreateRecordResponse* r) {
        return stub->CreateRecord(c, request, r);
      });
  if (!response.ok()) {
    const absl::Status& failed = response.status();
    if (absl::IsAlreadyExists(failed)) {
      return absl::AlreadyExistsError(absl::StrCat(
          failed.message(), " (registry-cli record get ID shows it; amend it instead)"));
    }
    // Names no field, and keeps what the call's status says of its outcome (the registry's
    // refusal with nothing done, a call cut after it was sent) for RunCli to explain.
    if (absl::IsUnavailable(failed)) return failed;
    // The server names the API's fields (every one that is wrong); the clerk typed options or
    // answered questions.
    std::vector<std::string> lines;
    for (const std::string& part : SplitServerProblems(failed.message())) {
      lines.push_back(RenamedRecordMessage(part, naming));
    }
    if (lines.size() == 1) return absl::Status(failed.code(), lines[0]);
    return ProblemsError(failed.code(), lines);
  }
  if (ctx.json()) return ctx.PrintJson(*response);
  ctx.out() << ForTerminal(response->record_id()) << "\n";
  return absl::OkStatus();
}

// The changes of `record amend`'s --set values (FIELD=VALUE, in the order typed; a list field is
// the list of its values) in `changed`, with the update-mask paths they make in `mask`; what is
// wrong with them, as lines of the command line's problems.
std::vector<std::string> ReadSets(const std::vector<std::string>& sets,
                                  v1::CreateRecordRequest* changed,
                                  std::vector<std::string>* mask) {
  // Values per field, in the order typed; a list field is the list of its --set values.
  std::vector<std::string> problems;
  std::vector<const RecordField*> order;
  std::map<const RecordField*, std::vector<std::string>> values;
  for (size_t i = 0; i < sets.size(); ++i) {
    const std::string& set = sets[i];
    const size_t eq = set.find('=');
    const RecordField* field =
        eq == std::string::npos ? nullptr : FindRecordField(set.substr(0, eq));
    // A field's name without "=" (--set address X: the "=" forgotten) is a value missing, not
    // a name that is no field. The name is ours, and may be repeated.
    if (eq == std::string::npos && FindRecordField(set) != nullptr) {
      problems.push_back(absl::StrCat("--set ", set, ": no value: write --set ", set, "=VALUE"));
      continue;
    }
    if (field == nullptr) {
      std::vector<std::string> names;
      for (const RecordField& f : RecordFields()) names.push_back(f.flag);
      // Named by what stands before "=" when that is a near miss of a field's name, else by
      // its place: never what may be a person's (--set krasniqi=Arben, or a value without
      // "=").
      const std::string name = eq == std::string::npos ? "" : set.substr(0, eq);
      const std::optional<std::string> near = NearMissOfOurName(name, names);
      problems.push_back(absl::StrCat(
          "--set ", near.has_value() ? name : absl::StrCat("#", i + 1),
          ": not FIELD=VALUE with a record field",
          near.has_value() ? absl::StrCat(" (did you mean \"", *near, "\"?)") : "",
          "; the fields: ", absl::StrJoin(names, ", ")));
      continue;
    }
    if (values.count(field) == 0) order.push_back(field);
    values[field].push_back(set.substr(eq + 1));
  }
  std::vector<FieldProblem> field_problems;
  for (const RecordField* field : order) {
    ApplyField(*field, values[field], changed, &field_problems);
    if (std::find(mask->begin(), mask->end(), field->mask_path) == mask->end()) {
      mask->push_back(field->mask_path);
    }
  }
  for (const FieldProblem& p : field_problems) {
    problems.push_back(absl::StrCat("--set ", DescribeProblem(p, false).substr(2)));
  }
  // The sentence is replaced whole: its type and length go together.
  const bool sets_type = values.count(FindRecordField("sentence")) > 0;
  const bool sets_months = values.count(FindRecordField("months")) > 0;
  if (sets_months && !sets_type) {
    problems.push_back(
        "--set months needs --set sentence=TYPE too: the sentence is replaced "
        "whole");
  }
  // And the other way: a term of imprisonment, suspended or not, has a length, which would
  // otherwise be sent as 0 and refused as a --set months the clerk never typed.
  const v1::SentenceType type = changed->conviction().sentence().type();
  if (sets_type && !sets_months &&
      (type == v1::SENTENCE_TYPE_IMPRISONMENT || type == v1::SENTENCE_TYPE_SUSPENDED)) {
    problems.push_back(absl::StrCat(
        "--set sentence=", type == v1::SENTENCE_TYPE_SUSPENDED ? "suspended" : "imprisonment",
        " needs --set months=N too: the sentence is replaced whole (",
        type == v1::SENTENCE_TYPE_SUSPENDED ? "1..24" : "1..600", " months)"));
  }
  return problems;
}

// `failed`, the error of an interactive create after the clerk answered every question (the
// record refused or not sent, or the clerk's no to "Enter this record?"), with the answers
// kept: a refused date, or a no said to correct one, must not cost the twenty answers before it.
// They go to a new file in the current folder (never over an existing one; mode 0600, as it
// holds a person's record) that `record create --file` sends once corrected, and the error says
// where.
absl::Status KeepAnswers(CommandContext& ctx, const v1::CreateRecordRequest& request,
                         absl::Status failed, bool maybe_entered = false) {
  // Explained here, as RunCli would: the note must stay with the explanation. A
  // DEADLINE_EXCEEDED that OutcomeNotKnown left is a channel that never connected.
  if ((absl::IsUnavailable(failed) || absl::IsDeadlineExceeded(failed)) && !maybe_entered &&
      ctx.has_channel() && !HasOwnLines(failed)) {
    failed = ExplainUnavailable(ctx.settings(), failed);
  }
  absl::StatusOr<std::string> path = ToJsonText(request);
  if (path.ok()) {
    path = WriteNewFile(
        ".", absl::StrCat("record-", absl::FormatTime("%Y%m%d-%H%M%S", absl::Now(),
                                                      absl::UTCTimeZone())),
        ".json", *path, 0600);
  }
  const auto noted = [&](absl::string_view note) {
    absl::Status with_note = WithNote(failed, note);
    return IsDeclined(failed) ? MarkDeclined(std::move(with_note)) : with_note;
  };
  if (!path.ok()) {
    return noted(absl::StrCat("your answers could not be kept: ", path.status().message()));
  }
  const std::string name(absl::StripPrefix(*path, "./"));
  if (maybe_entered) {
    return noted(absl::StrCat("your answers are kept in ", name,
                              " (readable by you only): if the record is not there, enter it "
                              "with registry-cli record create --file ",
                              name, "; then delete the file"));
  }
  return noted(absl::StrCat("your answers are kept in ", name,
                            " (readable by you only): correct it there and enter it with "
                            "registry-cli record create --file ",
                            name, ", then delete the file"));
}

// The record sent, but the call cancelled by the server (registryd stopping) or not answered in
// time (registryd stopped, overloaded): it may have been entered. Said so, with how to look, as
// RunCli says it of other calls; RunCli does not explain a message KeepAnswers added a note to.
// nullopt for another error, and for a DEADLINE_EXCEEDED of a channel that never connected (the
// record never left: KeepAnswers explains it as UNAVAILABLE, as RunCli does).
std::optional<absl::Status> OutcomeNotKnown(CommandContext& ctx, const absl::Status& failed) {
  if (!ctx.has_channel() || HasOwnLines(failed) || IsDeclined(failed)) return std::nullopt;
  const ConnectionSettings& settings = ctx.settings();
  std::string what;
  if (absl::IsCancelled(failed)) {
    what = IsTransportText(failed.message())
               ? std::string("the registry stopped the call before answering it (registryd was "
                             "stopping, or could not finish it)")
               : absl::StrCat("the registry stopped the call before answering it (",
                              failed.message(), "; registryd was stopping, or could not finish "
                              "it)");
  } else if (absl::IsDeadlineExceeded(failed)) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ctx.Channel();
    if (!channel.ok() || (*channel)->GetState(/*try_to_connect=*/false) != GRPC_CHANNEL_READY) {
      return std::nullopt;
    }
    what = absl::StrCat("no answer came within ", absl::FormatDuration(settings.timeout),
                        " (--timeout; registryd may be stopped or overloaded)");
  } else {
    return std::nullopt;
  }
  return absl::Status(
      failed.code(),
      absl::StrCat("the record was sent to ", settings.server, ", but ", what,
                   ": whether it was entered is not known. Check before entering it again: "
                   "registry-cli record search --personal-number NUMBER (or --surname, "
                   "--given-name and --birth-date) lists the person's records; look for this "
                   "case number"));
}

}  // namespace

std::vector<std::string> SetProblems(const std::vector<std::string>& sets) {
  v1::CreateRecordRequest changed;
  std::vector<std::string> mask;
  return ReadSets(sets, &changed, &mask);
}

absl::Status RunRecordCreate(CommandContext& ctx) {
  const ParsedArgs& args = ctx.args();
  const bool interactive = args.Flag("interactive");
  const bool from_file = args.Has("file");
  bool from_options = false;
  for (const RecordField& field : RecordFields()) {
    from_options = from_options || args.Has(field.flag) || args.Flag(field.flag);
  }
  if (interactive + from_file + from_options > 1) {
    return UsageError("give the record one way: field options, --interactive or --file");
  }
  if (!interactive && !from_file && !from_options) {
    return UsageError(
        "give the record's fields as options (--surname ... ; see --help), or --interactive to "
        "be asked for each, or --file REC.json (`registry-cli record template` prints one to "
        "fill in)");
  }
  if (interactive && !ctx.in_is_terminal()) {
    return UsageError("--interactive asks on a terminal, and the input is not one");
  }
  // Its questions and their answers' refusals are lines for a person, on stderr, where --json
  // promises one JSON object a line: a script enters records with --file or options.
  if (interactive && ctx.json()) {
    return UsageError("--interactive asks a person, and --json is for scripts: give the record "
                      "with --file or field options, or leave out --json");
  }
  // An identity or address that cannot be used, a registry that does not answer and a caller
  // who may not enter records are said before the questions, not after them.
  if (interactive) RETURN_IF_ERROR(CheckMayEnterRecords(ctx));
  // Who the caller is, asked once (the tables are asked only of a role that may read them). A
  // role that may not enter records is told so before any problem of the record it gave: it
  // would only mend fields it may not send. A record without problems is sent, and the
  // registry's refusal (in the same words, RoleRefusalOfCommand) is in its audit log.
  const absl::StatusOr<v1::WhoAmIResponse> who = ctx.WhoAmI();
  const absl::Status refused =
      who.ok() ? RoleRefusal(RoleName(who->role()), "registry.v1.RecordService.CreateRecord",
                             "enter records", "; nothing was read or changed")
               : absl::OkStatus();
  // Read once: the local check uses it, and so do the questions; not read for a role refused the
  // record itself (a court may read the tables, but enters nothing).
  const std::optional<RecordChoices> tables =
      who.ok() && refused.ok() ? TablesIfReadable(ctx) : std::optional<RecordChoices>();

  v1::CreateRecordRequest request;
  if (from_file) {
    const std::string path = args.Value("file");
    absl::StatusOr<std::string> json = ReadFileToString(path, "record file");
    absl::Status read = json.status();
    if (read.ok()) read = ParseJson(WithoutCommentLines(*json), path, &request);
    if (!read.ok()) return refused.ok() ? read : refused;
    return CreateRecord(ctx, request, tables, Naming::kPath, refused);
  }
  if (interactive) {
    if (absl::Status asked = AskRecord(ctx, tables, &request); !asked.ok()) {
      // Ctrl-D before the last question keeps what was answered, as a no at the end does: the
      // clerk may stop to look something up and finish in the file.
      if (absl::IsCancelled(asked) && request.ByteSizeLong() > 0) {
        return KeepAnswers(ctx, request, asked);
      }
      return asked;
    }
    ShowAnswers(ctx, request);
    // What only the registry knows (the dates against each other and the person's age, the
    // personal number's format, a code not yet in force on the judgment date) was refused after
    // "Enter this record?". The registry now checks the answers before that question, without
    // storing them (a dry run, audited as such), and each field it names is asked again, until
    // it names none that can be asked. Ctrl-D then keeps the answers, with its problems.
    while (tables.has_value()) {
      std::vector<FieldProblem> problems;
      std::vector<const RecordField*> named;
      if (absl::Status checked = AppendRegistryProblems(ctx, request, &problems, &named);
          !checked.ok()) {
        // The README promises the check before the question: a yes must not be taken for a yes
        // to answers the registry found fine. Only the code is said: what the call failed on is
        // said, if it fails again, when the record is sent.
        ctx.err() << "\n"
                  << Wrap(absl::StrCat("The registry did not check these answers (its check "
                                       "failed: ",
                                       absl::StatusCodeToString(checked.code()),
                                       "): it checks them only when the record is sent."),
                          kHelpWidth, 0)
                  << "\n";
        break;
      }
      std::vector<const RecordField*> again;
      const auto ask_again = [&](const RecordField* field) {
        if (field != nullptr && ShouldAsk(*field, request, tables) &&
            std::find(again.begin(), again.end(), field) == again.end()) {
          again.push_back(field);
        }
      };
      // Every field a problem names, not only the one it is said of: a rule that compares
      // fields (a final date before the judgment, a code not yet in force on the judgment date,
      // a person under 18 then not marked juvenile) names each that may be the wrong one.
      for (const RecordField* field : named) ask_again(field);
      for (const FieldProblem& p : problems) {
        ask_again(p.field);
        // A rule that holds a date of the conviction against the person's age may be broken by
        // a wrong birth date as much as by a wrong judgment date: asked only for the field the
        // registry named, the clerk could never correct the other, and the questions never end.
        if (ComparesWithTheBirthDate(p)) {
          ask_again(FindRecordField("birth-date"));
          ask_again(FindRecordField("judgment-date"));
        }
      }
      if (again.empty()) break;
      ctx.err() << "\nThe registry would refuse these answers:\n";
      // One problem a line, wrapped as the questions are, its further lines under its text.
      for (const FieldProblem& p : problems) {
        ctx.err() << "  "
                  << WrapAfter(ForTerminal(QuestionProblem(p)), kHelpWidth - 2, kHelpWidth - 4, 4)
                  << "\n";
      }
      ctx.err() << Wrap(absl::StrCat("Answer ", again.size() == 1 ? "it" : "them",
                                     " again (Ctrl-D keeps your answers in a file):"),
                        kHelpWidth, 0)
                << "\n";
      if (absl::Status asked = AskRecord(ctx, tables, &request, &again); !asked.ok()) {
        return KeepAnswers(ctx, request,
                           absl::IsCancelled(asked) ? RecordProblems(problems, Naming::kQuestion)
                                                    : asked);
      }
      ShowAnswers(ctx, request);
    }
    // A no (or Ctrl-D) after the last question keeps the answers too: it is often said to
    // correct one of them.
    if (absl::Status confirmed = ConfirmRecord(ctx); !confirmed.ok()) {
      return KeepAnswers(ctx, request, confirmed);
    }
    const absl::Status created = CreateRecord(ctx, request, tables, Naming::kQuestion);
    if (created.ok()) return created;
    // A conviction the registry holds already, or one it expunged, is not to be corrected and
    // entered again: a copy of the answers would only keep a person's record (an erased one, at
    // that) on this computer.
    if (absl::IsAlreadyExists(created) ||
        (absl::IsFailedPrecondition(created) &&
         absl::StrContains(created.message(), "was expunged"))) {
      return WithNote(created, "your answers were not kept: this conviction is not to be entered "
                               "again");
    }
    if (std::optional<absl::Status> unknown = OutcomeNotKnown(ctx, created)) {
      return KeepAnswers(ctx, request, *std::move(unknown), /*maybe_entered=*/true);
    }
    return KeepAnswers(ctx, request, created);
  }
  std::vector<FieldProblem> problems;
  for (const RecordField& field : RecordFields()) {
    std::vector<std::string> values = args.GetAll(field.flag);
    if (field.kind == FieldKind::kBool && args.Flag(field.flag)) values = {"true"};
    if (!values.empty()) ApplyField(field, values, &request, &problems);
  }
  // Every problem at once: those of the values typed, then those of the whole record.
  if (!problems.empty()) {
    if (!refused.ok()) return refused;
    AppendRecordProblems(request, tables.has_value() ? &*tables : nullptr, &problems);
    if (tables.has_value()) AppendRegistryProblems(ctx, request, &problems).IgnoreError();
    return RecordProblems(problems, Naming::kOption);
  }
  return CreateRecord(ctx, request, tables, Naming::kOption, refused);
}

absl::Status RunRecordTemplate(CommandContext& ctx) {
  // The tables, when this caller may read them (a clerk with an identity); the skeleton is
  // useful without them.
  std::optional<RecordChoices> tables;
  if (!ctx.settings().cert_file.empty() && !ctx.json()) tables = TablesIfReadable(ctx);
  std::ostringstream out;
  out << "// A record for `registry-cli record create --file FILE`. Replace the empty values; the\n"
         "// lines starting with // are comments and may stay. Dates are YYYY-MM-DD. Fields\n"
         "// marked required must be filled in; leave the others empty (\"\" or []).\n"
         "{\n"
         "  \"person\": {\n"
         "    // required\n"
         "    \"surname\": \"\",\n"
         "    // required\n"
         "    \"given_name\": \"\",\n"
         "    \"father_name\": \"\",\n"
         "    // other surnames used (maiden, earlier married), e.g. [\"Krasniqi\"]\n"
         "    \"aliases\": [],\n"
         "    // required: female or male\n"
         "    \"sex\": \"\",\n"
         "    // required\n"
         "    \"birth_date\": \"\",\n"
         "    \"birth_place\": \"\",\n"
         "    // ISO 3166-1 alpha-2 codes, e.g. [\"XK\", \"AL\"]\n"
         "    \"citizenships\": [],\n"
         "    // required\n"
         "    \"personal_number\": \"\",\n"
         "    \"last_known_address\": \"\"\n"
         "  },\n"
         "  \"conviction\": {\n"
         "    // required: the convicting court's id";
  if (tables.has_value()) {
    out << ", one of:\n";
    for (const v1::CourtEntry& court : tables->courts) {
      out << absl::StrFormat("    //   %-20s %s\n", ForTerminal(court.id()),
                             ForTerminal(court.name()));
    }
  } else {
    out << " (`registry-cli record create --help` lists them)\n";
  }
  out << "    \"court_id\": \"\",\n"
         "    // with court_id \"foreign\": the court's name and its country (ISO code)\n"
         "    \"foreign_court\": \"\",\n"
         "    \"foreign_country\": \"\",\n"
         "    // required, e.g. \"P 123/2024\"\n"
         "    \"case_number\": \"\",\n"
         "    // required\n"
         "    \"judgment_date\": \"\",\n"
         "    // required: the day the judgment became final\n"
         "    \"final_date\": \"\",\n"
         "    // required, one or more: {\"law\": \"06/L-074\", \"article\": 230, \"paragraph\": "
         "1}\n"
         "    // (paragraph 0: the whole article)";
  if (tables.has_value()) {
    out << "; the offence table, LAW:ARTICLE:PARAGRAPH:\n";
    for (const v1::OffenceEntry& offence : tables->offences) {
      out << absl::StrFormat("    //   %-16s %s\n", ForTerminal(OffenceCode(offence)),
                             ForTerminal(offence.title()));
    }
  } else {
    out << "\n";
  }
  out << "    \"offences\": [],\n"
         "    // required: type imprisonment, life_imprisonment, suspended, fine,\n"
         "    // juvenile_measure or other;\n"
         "    // months 1..600 for imprisonment, 1..24 for a suspended sentence, else 0\n"
         "    \"sentence\": {\"type\": \"\", \"months\": 0},\n"
         "    // accessory bans: {\"type\": \"work_with_children\", \"end_date\": "
         "\"2034-05-15\"};\n"
         "    // also contact_with_victim, profession; no end_date: for life\n"
         "    \"bans\": [],\n"
         "    // with imprisonment (or life imprisonment): the day of release, if released\n"
         "    \"release_date\": \"\",\n"
         "    // with a suspended sentence: the end of its verification period, if recorded,\n"
         "    // one to five years after final_date\n"
         "    \"suspension_end_date\": \"\",\n"
         "    // true when convicted as a juvenile\n"
         "    \"juvenile\": false\n"
         "  }\n"
         "}\n";
  if (!ctx.json()) {
    ctx.out() << out.str();
    return absl::OkStatus();
  }
  // The same skeleton without its comments, on one line: what a script fills in.
  google::protobuf::Struct skeleton;
  RETURN_IF_ERROR(ParseJson(WithoutCommentLines(out.str()), "the record template", &skeleton));
  return ctx.PrintJson(skeleton);
}

absl::Status RunRecordGet(CommandContext& ctx) {
  v1::GetRecordRequest request;
  request.set_record_id(RecordIdArg(ctx.args()));
  RETURN_IF_ERROR(CheckRecordIdShape(request.record_id()));
  if (WantsPurpose(ctx.args())) SetPurpose(ctx.args(), request.mutable_purpose());
  ASSIGN_OR_RETURN(auto stub, RecordStub(ctx));
  ASSIGN_OR_RETURN(const v1::GetRecordResponse response,
                   CallUnary<v1::GetRecordResponse>(
                       ctx.settings(), [&](grpc::ClientContext* c, v1::GetRecordResponse* r) {
                         return stub->GetRecord(c, request, r);
                       }));
  if (ctx.json()) return ctx.PrintJson(response);
  ctx.out() << FormatRecord(response.record(), ctx.out_columns());
  return absl::OkStatus();
}

namespace {

// A line of the client's own among the records printed (how many matched, what was left out):
// on a terminal wrapped to its width, its further lines indented 2; in a file as it is.
std::string AsANote(const CommandContext& ctx, const std::string& text) {
  return ctx.out_columns() == 0 ? text : Wrap(text, kHelpWidth, 2);
}

}  // namespace

absl::Status RunRecordSearch(CommandContext& ctx) {
  const ParsedArgs& args = ctx.args();
  const bool by_number = args.Has("personal-number");
  const bool by_name =
      args.Has("surname") || args.Has("given-name") || args.Has("birth-date");
  if (!by_number && !by_name) {
    return UsageError(
        "give either --personal-number, or --surname, --given-name and --birth-date");
  }
  v1::SearchRecordsRequest request;
  if (by_number) {
    request.set_personal_number(args.Value("personal-number"));
  } else {
    // The parser named a name option missing, or one given with --personal-number (the
    // command table's `with` and `without`).
    v1::NameQuery* name = request.mutable_name();
    name->set_surname(args.Value("surname"));
    name->set_given_name(args.Value("given-name"));
    name->set_birth_date(args.Value("birth-date"));
  }
  if (WantsPurpose(args)) SetPurpose(args, request.mutable_purpose());
  ASSIGN_OR_RETURN(auto stub, RecordStub(ctx));
  ASSIGN_OR_RETURN(const v1::SearchRecordsResponse response,
                   CallUnary<v1::SearchRecordsResponse>(
                       ctx.settings(), [&](grpc::ClientContext* c, v1::SearchRecordsResponse* r) {
                         return stub->SearchRecords(c, request, r);
                       }));
  if (ctx.json()) {
    // "more_records" first, as the text says it in its heading: a reader of the line learns that
    // the list is cut before the list, not after a hundred records (protobuf prints the fields
    // in the order of their numbers, the flag after the records).
    ASSIGN_OR_RETURN(std::string line, ToJsonLine(response));
    constexpr absl::string_view kTrue = ",\"more_records\":true";
    constexpr absl::string_view kFalse = ",\"more_records\":false";
    // Outside a string every '"' is bare, inside one escaped: the key is found only as a key.
    for (const absl::string_view key : {kTrue, kFalse}) {
      const size_t at = line.find(key.data(), 0, key.size());
      if (at == std::string::npos || line.empty() || line[0] != '{') continue;
      line.erase(at, key.size());
      line.insert(1, absl::StrCat(key.substr(1), ","));
      break;
    }
    ctx.out() << line << "\n";
    return absl::OkStatus();
  }
  if (response.records().empty() && response.possible_matches().empty()) {
    ctx.out() << "no matching record\n";
    return absl::OkStatus();
  }
  if (response.records().empty()) {
    ctx.out() << "no exact match\n";
  } else if (response.more_records()) {
    // Said first: "100 matching records" read as all there are, the cut only after the list.
    ctx.out() << AsANote(ctx, absl::StrCat("more than ", response.records_size(),
                                           " matching records; the first ",
                                           response.records_size(),
                                           " (narrow the search to see the others):"))
              << "\n";
  } else {
    ctx.out() << response.records_size()
              << (response.records_size() == 1 ? " matching record\n" : " matching records\n");
  }
  for (const v1::Record& record : response.records()) {
    ctx.out() << "\n" << FormatRecord(record, ctx.out_columns());
  }
  if (response.more_records()) {
    ctx.out() << "\n"
              << AsANote(ctx, absl::StrCat("more records match than the ",
                                           response.records_size(),
                                           " shown; narrow the search to see the others"))
              << "\n";
  }
  if (!response.possible_matches().empty()) {
    // Another spelling of the name (Albanian, Serbian, or without its letters) with the same
    // birth date: for a person to confirm from the record, never to take as the same person.
    ctx.out() << "\n"
              << AsANote(ctx, absl::StrCat(response.possible_matches_size(),
                                           response.possible_matches_size() == 1
                                               ? " possible match"
                                               : " possible matches",
                                           " (another spelling of the name; confirm the person "
                                           "before relying on it)"))
              << "\n";
    for (const v1::Record& record : response.possible_matches()) {
      ctx.out() << "\npossible match:\n" << FormatRecord(record, ctx.out_columns());
    }
    if (response.more_possible_matches()) {
      ctx.out() << "\nmore possible matches than the " << response.possible_matches_size()
                << " shown\n";
    }
  }
  return absl::OkStatus();
}

absl::Status RunRecordHistory(CommandContext& ctx) {
  v1::GetRecordHistoryRequest request;
  request.set_record_id(RecordIdArg(ctx.args()));
  RETURN_IF_ERROR(CheckRecordIdShape(request.record_id()));
  if (WantsPurpose(ctx.args())) SetPurpose(ctx.args(), request.mutable_purpose());
  ASSIGN_OR_RETURN(auto stub, RecordStub(ctx));
  ASSIGN_OR_RETURN(
      const v1::GetRecordHistoryResponse response,
      CallUnary<v1::GetRecordHistoryResponse>(
          ctx.settings(), [&](grpc::ClientContext* c, v1::GetRecordHistoryResponse* r) {
            return stub->GetRecordHistory(c, request, r);
          }));
  if (ctx.json()) return ctx.PrintJson(response);
  ctx.out() << FormatHistory(response);
  return absl::OkStatus();
}

namespace {

bool MaskHas(const v1::AmendRecordRequest& request, absl::string_view path) {
  const auto& paths = request.update_mask().paths();
  return std::find(paths.begin(), paths.end(), path) != paths.end();
}

// How the amendment typed removes the names it does, by what was typed: --set alias, --set
// surname or the patch file `file` (empty for --set); said with the question and with the refusal
// to go on without one.
std::string NamesRemovedWhy(const RemovedNames& removed, absl::string_view file) {
  std::vector<std::string> how;
  if (!removed.aliases.empty()) {
    how.push_back(file.empty()
                      ? "a list given with --set alias is the whole list (repeat --set "
                        "alias=NAME for each alias to keep)"
                      : absl::StrCat("the aliases of ", file,
                                     " (person.aliases) are the whole list (list each alias "
                                     "to keep)"));
  }
  if (removed.surname.has_value()) {
    how.push_back(file.empty()
                      ? "--set surname replaces the surname (to keep the former one as an "
                        "alias, add --set alias=NAME for it and for each alias to keep)"
                      : absl::StrCat("the surname of ", file,
                                     " (person.surname) replaces the record's (to keep the "
                                     "former one, list it in person.aliases with each alias "
                                     "to keep)"));
  }
  return absl::StrCat(absl::StrJoin(how, "; "),
                      ". A name removed no longer finds this record, nor links it to the "
                      "person's other convictions under that name: their periods, and a "
                      "vetting answer, may change");
}

// The refusal of an amendment that removes names when nobody can be asked: the names by their
// place in the record, never by their value (an error is pasted and logged where the record is
// not; `record get` shows them).
absl::Status NamesRemovedRefusal(const RemovedNames& removed, absl::string_view file,
                                 bool json) {
  std::vector<std::string> places;
  for (int place : removed.alias_places) places.push_back(absl::StrCat("#", place + 1));
  std::vector<std::string> what;
  if (!places.empty()) {
    what.push_back(absl::StrCat(places.size() == 1 ? "alias " : "aliases ",
                                absl::StrJoin(places, ", ")));
  }
  if (removed.surname.has_value()) what.push_back("the surname (not kept as an alias)");
  return UsageError(absl::StrCat(
      "this amendment removes ", absl::StrJoin(what, " and "),
      " of the record (registry-cli record get ID shows the record): ",
      NamesRemovedWhy(removed, file), ". ",
      json ? "--json asks no question: to amend it so, add --yes, or leave out --json to be "
             "asked"
           : "record amend asks for confirmation on a terminal; to amend it so without being "
             "asked (in a script), add --yes"));
}

// The amendment's court and offences checked against the reference data, as `record create`
// checks them, so that a refusal lists the values to choose from. Only when it changes one.
absl::Status CheckAmendTables(CommandContext& ctx, const v1::AmendRecordRequest& request,
                              bool from_file, const std::string& file) {
  if (!MaskHas(request, "conviction.court_id") && !MaskHas(request, "conviction.offences")) {
    return absl::OkStatus();
  }
  // A caller who may not read them will be refused the amendment itself.
  const std::optional<RecordChoices> tables = TablesIfReadable(ctx);
  if (!tables.has_value()) return absl::OkStatus();
  v1::CreateRecordRequest changed;
  *changed.mutable_person() = request.person();
  *changed.mutable_conviction() = request.conviction();
  std::vector<FieldProblem> problems;
  AppendTableProblems(changed, *tables, &problems);
  if (problems.empty()) return absl::OkStatus();
  std::vector<std::string> lines;
  for (const FieldProblem& problem : problems) {
    // As ReadSets and FillAmendRequestFromPatch name the same field's other problems.
    lines.push_back(
        from_file ? absl::StrCat(file, ": the patch does not fit the record: ",
                                 DescribeProblem(problem, true))
                  : absl::StrCat("--set ", DescribeProblem(problem, false).substr(2)));
  }
  return lines.size() == 1 ? UsageError(lines[0]) : UsageProblems(lines);
}

// Reads the record an amendment changes the names of, and what it removes of them; asks the
// clerk on a terminal, or refuses without --yes when nobody can be asked. The request is then
// made for the version read, unless one was given: the yes was for what that version holds.
// `file`: the patch file the amendment was read from, empty for --set.
absl::StatusOr<RemovedNames> ConfirmNamesRemoved(CommandContext& ctx,
                                                 v1::RecordService::Stub& stub,
                                                 v1::AmendRecordRequest* request,
                                                 absl::string_view file) {
  if (!MaskHas(*request, "person.aliases") && !MaskHas(*request, "person.surname")) {
    return RemovedNames{};
  }
  v1::GetRecordRequest get;
  get.set_record_id(request->record_id());
  ASSIGN_OR_RETURN(const v1::GetRecordResponse found,
                   CallUnary<v1::GetRecordResponse>(
                       ctx.settings(), [&](grpc::ClientContext* c, v1::GetRecordResponse* r) {
                         return stub.GetRecord(c, get, r);
                       }));
  // Without ICU's data (a broken installation) names compare as written: a respelt name is
  // then asked about as a removal, never the other way round.
  const absl::StatusOr<std::unique_ptr<storage::NameNormalizer>> normalizer =
      storage::NameNormalizer::Create();
  RemovedNames removed = NamesRemoved(found.record().person(), *request,
                                      normalizer.ok() ? normalizer->get() : nullptr);
  if (removed.empty()) return removed;
  if (request->expected_version() == 0) {
    request->set_expected_version(found.record().metadata().version());
  }
  if (ctx.args().Flag("yes")) return removed;
  if (ctx.json() || !ctx.in_is_terminal()) {
    return NamesRemovedRefusal(removed, file, ctx.json());
  }
  // The record's own names, shown to the clerk who is to say yes to their removal.
  std::vector<std::string> what;
  if (!removed.aliases.empty()) {
    std::vector<std::string> shown;
    for (const std::string& alias : removed.aliases) shown.push_back(ForTerminal(alias));
    what.push_back(absl::StrCat(removed.aliases.size() == 1 ? "the alias " : "the aliases ",
                                absl::StrJoin(shown, ", ")));
  }
  if (removed.surname.has_value()) {
    what.push_back(absl::StrCat("the surname ", ForTerminal(*removed.surname),
                                " (not kept as an alias)"));
  }
  // The question too is laid out for the terminal: a court's long name split it mid-word.
  ctx.err() << Wrap(absl::StrCat("Amend the record of ", WhoseRecord(found.record()), "?"),
                    kHelpWidth, 0)
            << "\n"
            << Wrap(absl::StrCat("It removes ", absl::StrJoin(what, " and "), ": ",
                                 NamesRemovedWhy(removed, ForTerminal(file)), "."),
                    kHelpWidth, 0)
            << "\nType yes to amend it: " << std::flush;
  DiscardTypedAhead(ctx);
  const std::optional<std::string> answer = ReadAnswer(ctx);
  if (!answer.has_value() || absl::AsciiStrToLower(*answer) != "yes") {
    return Declined("not amended: the answer was not yes");
  }
  return removed;
}

}  // namespace

absl::Status RunRecordAmend(CommandContext& ctx) {
  const ParsedArgs& args = ctx.args();
  const std::vector<std::string> sets = args.GetAll("set");
  const bool from_file = args.Has("file");
  if (from_file == !sets.empty()) {
    return UsageError(
        "give the changes one way: --set FIELD=VALUE (once per field), or --file "
        "PATCH.json");
  }
  v1::AmendRecordRequest request;
  request.set_record_id(RecordIdArg(args));
  request.set_reason(args.Value("reason"));
  if (auto expected = args.Get("expected-version")) {
    ASSIGN_OR_RETURN(const uint64_t version,
                     ParseUintOption("expected-version", *expected, 1, UINT32_MAX));
    request.set_expected_version(static_cast<uint32_t>(version));
  }
  if (from_file) {
    const std::string path = args.Value("file");
    ASSIGN_OR_RETURN(const std::string json, ReadFileToString(path, "patch file"));
    RETURN_IF_ERROR(FillAmendRequestFromPatch(WithoutCommentLines(json), &request, path));
  } else {
    v1::CreateRecordRequest changed;
    std::vector<std::string> mask;
    // Checked by the parser already (SetProblems), with the rest of the command line.
    const std::vector<std::string> problems = ReadSets(sets, &changed, &mask);
    if (!problems.empty()) return UsageProblems(problems);
    *request.mutable_person() = changed.person();
    *request.mutable_conviction() = changed.conviction();
    for (const std::string& path : mask) request.mutable_update_mask()->add_paths(path);
  }
  RETURN_IF_ERROR(CheckAmendTables(ctx, request, from_file, args.Value("file")));
  ASSIGN_OR_RETURN(auto stub, RecordStub(ctx));
  ASSIGN_OR_RETURN(const RemovedNames removed,
                   ConfirmNamesRemoved(ctx, *stub, &request,
                                       from_file ? args.Value("file") : std::string()));
  absl::StatusOr<v1::AmendRecordResponse> response = CallUnary<v1::AmendRecordResponse>(
      ctx.settings(), [&](grpc::ClientContext* c, v1::AmendRecordResponse* r) {
        return stub->AmendRecord(c, request, r);
      });
  if (!response.ok()) {
    const absl::Status& failed = response.status();
    if (absl::StartsWith(failed.message(), "update_mask: the record already holds")) {
      return absl::Status(failed.code(),
                          "the record already holds these values: the amendment "
                          "changes nothing, and no version was made");
    }
    if (from_file) return failed;
    std::vector<std::string> lines;
    for (const std::string& part : SplitServerProblems(failed.message())) {
      // A clash of two fields names both ("conviction.court_id, person.personal_number: another
      // record has ..."), which the naming of one field does not read: each by its option, as a
      // clash of one field is named.
      const size_t clash = part.find(": another record has ");
      if (clash != std::string::npos && part.substr(0, clash).find(", ") != std::string::npos) {
        std::vector<std::string> options;
        for (absl::string_view path : absl::StrSplit(part.substr(0, clash), ", ")) {
          std::string option(path);
          for (const RecordField& field : RecordFields()) {
            if (field.mask_path == path || field.path == path) {
              option = absl::StrCat("--set ", field.flag);
              break;
            }
          }
          options.push_back(std::move(option));
        }
        lines.push_back(absl::StrCat(absl::StrJoin(options, ", "), part.substr(clash)));
        continue;
      }
      const std::string worded = RecordMessageWithFlags(part);
      // "--surname: ..." for the field typed as --set surname=...
      lines.push_back(worded == part ? part : absl::StrCat("--set ", worded.substr(2)));
    }
    if (lines.size() == 1) return absl::Status(failed.code(), lines[0]);
    return ProblemsError(failed.code(), lines);
  }
  // The names that went, the record's own: the clerk sees what no longer finds the record.
  const auto changed = [&](absl::string_view path) {
    return std::find(response->changed_paths().begin(), response->changed_paths().end(),
                     path) != response->changed_paths().end();
  };
  const std::vector<std::string> aliases_removed =
      changed("person.aliases") ? removed.aliases : std::vector<std::string>();
  const std::optional<std::string> surname_replaced =
      changed("person.surname") ? removed.surname : std::nullopt;
  if (ctx.json()) {
    RecordAmended amended;
    amended.set_record_id(response->record_id());
    amended.set_version(response->version());
    *amended.mutable_changed_paths() = response->changed_paths();
    for (const std::string& alias : aliases_removed) amended.add_removed_aliases(alias);
    if (surname_replaced.has_value()) amended.set_replaced_surname(*surname_replaced);
    return ctx.PrintJson(amended);
  }
  // What the amendment changed, by the names --set takes (the API's path where none is): a
  // field sent with the value it held is not counted.
  std::vector<std::string> names;
  for (const std::string& path : response->changed_paths()) {
    std::string name = ForTerminal(path);
    for (const RecordField& field : RecordFields()) {
      if (field.mask_path == path) {
        name = field.flag;
        break;
      }
    }
    names.push_back(std::move(name));
  }
  ctx.out() << "record " << ForTerminal(response->record_id()) << " amended: now version "
            << response->version() << " (changed " << names.size()
            << (names.size() == 1 ? " field" : " fields")
            << (names.empty() ? "" : ": ") << absl::StrJoin(names, ", ") << ")\n";
  for (const std::string& alias : aliases_removed) {
    ctx.out() << "alias removed: " << ForTerminal(alias) << "\n";
  }
  if (surname_replaced.has_value()) {
    ctx.out() << "surname replaced: " << ForTerminal(*surname_replaced) << "\n";
  }
  return absl::OkStatus();
}

// `record dispute` and `record undispute`: the same two arguments (the record id, --reason), one
// RPC each, the same answer.
template <typename Request>
absl::Status RunDisputeChange(CommandContext& ctx, grpc::Status (v1::RecordService::Stub::*rpc)(
                                                       grpc::ClientContext*, const Request&,
                                                       v1::RecordStatusResponse*)) {
  Request request;
  request.set_record_id(RecordIdArg(ctx.args()));
  RETURN_IF_ERROR(CheckRecordIdShape(request.record_id()));
  request.set_reason(ctx.args().Value("reason"));
  ASSIGN_OR_RETURN(auto stub, RecordStub(ctx));
  ASSIGN_OR_RETURN(const v1::RecordStatusResponse response,
                   CallUnary<v1::RecordStatusResponse>(
                       ctx.settings(), [&](grpc::ClientContext* c, v1::RecordStatusResponse* r) {
                         return ((*stub).*rpc)(c, request, r);
                       }));
  return PrintStatusChange(ctx, response);
}

absl::Status RunRecordDispute(CommandContext& ctx) {
  return RunDisputeChange(ctx, &v1::RecordService::Stub::DisputeRecord);
}

absl::Status RunRecordUndispute(CommandContext& ctx) {
  return RunDisputeChange(ctx, &v1::RecordService::Stub::ResolveDispute);
}

absl::Status RunRecordExpunge(CommandContext& ctx) {
  constexpr absl::string_view kMethod = "registry.v1.RecordService.ExpungeRecord";
  constexpr absl::string_view kWhat = "expunge records";
  constexpr absl::string_view kAfter = "; nothing was read or changed";
  const std::string record_id = RecordIdArg(ctx.args());
  // The question is a line for a person on stderr, where --json promises one JSON object a line
  // (and its no a JSON CANCELLED): as record create --interactive, a script says --yes.
  if (ctx.json() && !ctx.args().Flag("yes")) {
    return UsageError("--json needs --yes: record expunge asks a person otherwise, and --json is "
                      "for scripts; add --yes, or leave out --json to be asked");
  }
  ASSIGN_OR_RETURN(auto stub, RecordStub(ctx));
  v1::ExpungeRecordRequest request;
  request.set_record_id(record_id);
  request.set_legal_basis(ctx.args().Value("legal-basis"));
  if (!ctx.args().Flag("yes")) {
    // A role that may not expunge is told so before the record is read to be shown: a court's
    // read would be refused for want of a purpose (a refusal logged for an expunge it cannot
    // make), and the question would be asked for nothing. Without a terminal too: told to add
    // --yes, it would only be refused again.
    RETURN_IF_ERROR(CheckMayCall(ctx, kMethod, kWhat, kAfter));
    // Nothing brings an expunged record back: the person at the keyboard sees whose record it is
    // and says so. Without a terminal there is nobody to ask, and a script says --yes.
    if (!ctx.in_is_terminal()) {
      return UsageError(
          "record expunge asks for confirmation on a terminal; to expunge without "
          "being asked (in a script), add --yes");
    }
    v1::GetRecordRequest get;
    get.set_record_id(record_id);
    ASSIGN_OR_RETURN(const v1::GetRecordResponse found,
                     CallUnary<v1::GetRecordResponse>(
                         ctx.settings(), [&](grpc::ClientContext* c, v1::GetRecordResponse* r) {
                           return stub->GetRecord(c, get, r);
                         }));
    // An earlier conviction of the person that only this one keeps goes with it, for good: the
    // registry, asked in a dry run (audited, erasing nothing), names it before the clerk says yes.
    v1::ExpungeRecordRequest preview;
    preview.set_record_id(record_id);
    preview.set_legal_basis(ctx.args().Value("legal-basis"));
    preview.set_dry_run(true);
    absl::StatusOr<v1::ExpungeRecordResponse> previewed = CallUnary<v1::ExpungeRecordResponse>(
        ctx.settings(), [&](grpc::ClientContext* c, v1::ExpungeRecordResponse* r) {
          return stub->ExpungeRecord(c, preview, r);
        });
    if (!previewed.ok()) return Reworded(previewed.status(), kMethod, kWhat, kAfter);
    ctx.err() << Wrap(absl::StrCat("Expunge the record of ", WhoseRecord(found.record()), "?"),
                      kHelpWidth, 0)
              << "\n";
    for (const v1::ErasedWithRecord& other : previewed->records_erased_with_it()) {
      ctx.err() << Wrap(absl::StrCat("Record ", ForTerminal(other.record_id()),
                                     " is erased with it: ",
                                     ErasedWithReason(other.reason(), "has", "this record",
                                                      "keeps"),
                                     "."),
                        kHelpWidth, 0)
                << "\n";
    }
    ctx.err() << Wrap("This cannot be undone. Type yes to expunge it:", kHelpWidth, 0) << " "
              << std::flush;
    DiscardTypedAhead(ctx);
    std::optional<std::string> answer = ReadAnswer(ctx);
    if (!answer.has_value() || absl::AsciiStrToLower(*answer) != "yes") {
      return Declined("not expunged: the answer was not yes");
    }
    // The yes was for what the question named (none other, when it named none): a conviction
    // entered since that would go too makes the registry refuse, so that the clerk is asked again.
    request.set_confirms_erased_with_it(true);
    for (const v1::ErasedWithRecord& other : previewed->records_erased_with_it()) {
      request.add_erased_with_it_confirmed(other.record_id());
    }
  }
  absl::StatusOr<v1::ExpungeRecordResponse> expunged = CallUnary<v1::ExpungeRecordResponse>(
      ctx.settings(), [&](grpc::ClientContext* c, v1::ExpungeRecordResponse* r) {
        return stub->ExpungeRecord(c, request, r);
      });
  // With --yes the role was not asked first: the server's refusal is said as the question's is.
  if (!expunged.ok()) return Reworded(expunged.status(), kMethod, kWhat, kAfter);
  const v1::ExpungeRecordResponse& response = *expunged;
  if (ctx.json()) return ctx.PrintJson(response);
  ctx.out() << "record " << ForTerminal(response.record_id()) << " expunged\n";
  // Each went for good with it: the clerk is told, as the question said beforehand.
  for (const v1::ErasedWithRecord& other : response.records_erased_with_it()) {
    ctx.out() << "record " << ForTerminal(other.record_id()) << " erased with it: "
              << ErasedWithReason(other.reason(), "had",
                                  "record " + ForTerminal(response.record_id()), "kept")
              << "\n";
  }
  return absl::OkStatus();
}

}  // namespace registry::client

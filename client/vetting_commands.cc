// vet subcommands and the offline `certificate verify`.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "client/certificate_check.h"
#include "client/choices.h"
#include "client/cli.h"
#include "client/cli_output.pb.h"
#include "client/command_table.h"
#include "client/commands.h"
#include "client/files.h"
#include "client/json_io.h"
#include "client/option_parser.h"
#include "client/record_fields.h"
#include "client/record_format.h"
#include "client/terminal_text.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "crypto/ed25519.h"
#include "registry/v1/vetting.grpc.pb.h"

namespace registry::client {
namespace {

// `label` and `value` on one line (indented `indent`) when they fit the terminal (TextColumns),
// else `value` alone on the next, indented `value_indent`: an id, a date or a path is never
// broken.
std::string LabelAndValue(absl::string_view label, absl::string_view value, size_t indent = 0,
                          size_t value_indent = 2) {
  const bool fits = indent + label.size() + 1 + value.size() <= TextColumns();
  return absl::StrCat(std::string(indent, ' '), label, fits ? " " : "\n",
                      fits ? "" : std::string(value_indent, ' '), value);
}

absl::StatusOr<std::unique_ptr<v1::VettingService::Stub>> VettingStub(CommandContext& ctx) {
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, ctx.Channel());
  return v1::VettingService::NewStub(channel);
}

// Checks per page of `vet history`: the most the server gives.
constexpr uint32_t kHistoryPageSize = 1000;

std::string ResultInWords(v1::VettingResult result) {
  switch (result) {
    case v1::VETTING_RESULT_CLEAR:
      return "CLEAR: no relevant record";
    case v1::VETTING_RESULT_NOT_CLEAR:
      return "NOT CLEAR: do not employ in contact with children";
    case v1::VETTING_RESULT_REFER:
      return "REFER: the registry will verify by hand";
    default:
      return "UNSPECIFIED: the server gave no result; ask the registry";
  }
}

absl::Status SaveCertificate(const v1::VettingCheckResponse& response, AtomicFileWriter& file) {
  ASSIGN_OR_RETURN(const std::string json, ToJsonLine(response.certificate()));
  RETURN_IF_ERROR(file.Append(absl::StrCat(json, "\n")));
  return file.Commit();
}

}  // namespace

absl::Status RunVetCheck(CommandContext& ctx) {
  const ParsedArgs& args = ctx.args();
  // An earlier certificate at --out (another candidate's, signed) is not replaced unless asked:
  // said before the check is made, since a check counts against the day's.
  if (auto out = args.Get("out"); out.has_value() && !args.Flag("overwrite")) {
    if (std::string problem = ExistingOutputProblem("--out", *out, "--overwrite");
        !problem.empty()) {
      return UsageError(problem);
    }
  }
  // Every check counts against the organisation's daily limit, refused ones too: what the
  // client can tell is wrong (a name the registry would refuse, a birth date not in the past) is
  // said all at once before the call. The parser checked that the date is a real one. The
  // personal number's format and the position categories are the registry's, said by its answer.
  std::vector<std::string> problems;
  for (const char* name : {"surname", "given-name"}) {
    if (const std::string problem = NameProblem(args.Value(name)); !problem.empty()) {
      problems.push_back(absl::StrCat("--", name, ": ", problem));
    }
  }
  if (*ParseDate(args.Value("birth-date")) >= KosovoDay(absl::Now())) {
    problems.push_back("--birth-date: not in the past");
  }
  if (!problems.empty()) return UsageProblems(problems);
  v1::VettingCheckRequest request;
  request.set_personal_number(args.Value("personal-number"));
  request.set_surname(args.Value("surname"));
  request.set_given_name(args.Value("given-name"));
  request.set_birth_date(args.Value("birth-date"));
  request.set_position_category(PositionCategoryOf(args.Value("position")));
  request.set_consent_reference(args.Value("consent-ref"));
  // A check is audited and counts against the organisation's daily limit, so its answer must
  // not be lost to a file that cannot be written: the file is opened before the check is asked.
  // It names the candidate: readable by its owner only.
  std::unique_ptr<AtomicFileWriter> certificate_file;
  if (auto out = args.Get("out")) {
    absl::StatusOr<std::unique_ptr<AtomicFileWriter>> file = AtomicFileWriter::Create(*out, 0600);
    if (!file.ok()) {
      return absl::Status(file.status().code(),
                          absl::StrCat(file.status().message(), "; the check was not made"));
    }
    certificate_file = *std::move(file);
  }
  ASSIGN_OR_RETURN(auto stub, VettingStub(ctx));
  ASSIGN_OR_RETURN(const v1::VettingCheckResponse response,
                   CallUnary<v1::VettingCheckResponse>(
                       ctx.settings(), [&](grpc::ClientContext* c, v1::VettingCheckResponse* r) {
                         return stub->VettingCheck(c, request, r);
                       }));
  // Saving can still fail (a full disk, a folder in the file's place); the answer is printed
  // first all the same, and the failure reported after it.
  absl::Status saved;
  if (certificate_file != nullptr) saved = SaveCertificate(response, *certificate_file);
  // FAILED_PRECONDITION whatever the file error's code: an UNAVAILABLE here would be taken for
  // a server that cannot be reached, and explained as one.
  const auto not_saved = [&] {
    return absl::FailedPreconditionError(
        absl::StrCat("the check was made (result and check id above), but its certificate was "
                     "not saved: ",
                     saved.message()));
  };
  if (ctx.json()) {
    RETURN_IF_ERROR(ctx.PrintJson(response));
    return saved.ok() ? saved : not_saved();
  }
  ctx.out() << ResultInWords(response.result()) << "\n"
            << LabelAndValue("check id:", ForTerminal(response.check_id())) << "\n";
  if (response.result() == v1::VETTING_RESULT_REFER) {
    // The employer is waiting on the registry now: whom to ask, and what to quote.
    const std::string contact = response.refer_contact().empty()
                                    ? std::string("the KJC registry office")
                                    : ForTerminal(response.refer_contact());
    // Laid out for the terminal, the check id whole on its line.
    ctx.out() << Wrap(absl::StrCat("next step: contact ", contact, ","), kHelpWidth - 2, 2)
              << "\n"
              << LabelAndValue("quoting check id",
                               absl::StrCat(ForTerminal(response.check_id()), "."), 2, 2)
              << "\n  "
              << Wrap("Do not decide on the candidate before the registry answers.",
                      kHelpWidth - 2, 2)
              << "\n";
  }
  if (response.has_certificate()) {
    ctx.out() << LabelAndValue("certificate valid until:",
                               ForTerminal(response.certificate().certificate().valid_until()))
              << "\n";
    // Getting it later takes another check, counted and in the candidate's history.
    if (!args.Has("out")) {
      ctx.out() << Wrap("certificate not saved: --out FILE keeps it (--json prints it)",
                        kHelpWidth, 2)
                << "\n";
    }
  }
  if (!saved.ok()) return not_saved();
  if (auto out = args.Get("out")) {
    ctx.out() << LabelAndValue("certificate written to", *out) << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunVetHistory(CommandContext& ctx) {
  v1::ListChecksAboutPersonRequest request;
  request.set_personal_number(ctx.args().Value("personal-number"));
  request.set_request_reference(ctx.args().Value("request-ref"));
  // The person is owed the whole history, so every page is followed; the largest pages take the
  // fewest calls (each is audited under the request's reference).
  request.set_page_size(kHistoryPageSize);
  ASSIGN_OR_RETURN(auto stub, VettingStub(ctx));
  bool header_shown = false;
  while (true) {
    ASSIGN_OR_RETURN(
        const v1::ListChecksAboutPersonResponse page,
        CallUnary<v1::ListChecksAboutPersonResponse>(
            ctx.settings(), [&](grpc::ClientContext* c, v1::ListChecksAboutPersonResponse* r) {
              return stub->ListChecksAboutPerson(c, request, r);
            }));
    if (ctx.json()) {
      // The status by its code's name, as the text and the JSON errors say it.
      for (const v1::CheckSummary& check : page.checks()) {
        ASSIGN_OR_RETURN(const std::string line, ToJsonLineWithCodeNames(check, {"status_code"}));
        ctx.out() << line << "\n";
        header_shown = true;
      }
    } else {
      // Every call that named the person, answered or not: a refused probe is still an
      // organisation (or an unknown certificate) that asked.
      for (const v1::CheckSummary& check : page.checks()) {
        if (!header_shown) {
          ctx.out() << absl::StrFormat("%-21s %-36s %-20s %s\n", "DATE", "ORGANISATION",
                                       "POSITION", "OUTCOME");
          header_shown = true;
        }
        const std::string who = !check.organisation().empty() ? ForTerminal(check.organisation())
                                : !check.requester().empty()  ? ForTerminal(check.requester())
                                                              : std::string("(unknown)");
        ctx.out() << absl::StrFormat("%-21s %-36s %-20s %s\n", ForTerminal(check.checked_at()),
                                     who,
                                     check.position_category().empty()
                                         ? std::string("-")
                                         : ForTerminal(check.position_category()),
                                     CheckOutcomeText(check));
      }
    }
    if (page.next_page_token().empty()) break;
    // A server that hands back the token it was given would keep this going for ever.
    if (page.next_page_token() == request.page_token()) {
      return absl::DataLossError("the server returned the same page token again");
    }
    request.set_page_token(page.next_page_token());
  }
  // None, with --json: the answer's list, empty, as record search prints "records":[] (nothing
  // at all could not be told from a command that printed nothing for another reason).
  if (ctx.json() && !header_shown) ctx.out() << "{\"checks\":[]}\n";
  if (!ctx.json() && !header_shown) ctx.out() << "no organisation has checked this person\n";
  return absl::OkStatus();
}

absl::Status RunVetPublicKey(CommandContext& ctx) {
  // The file at --out may be the key certificates are trusted by (vetting.pub.pem): replacing it
  // unasked, with whatever the server now sends, is what a check of the server must not do. Said
  // before the call, which counts against an employer's limit, as vet check's --out is.
  if (auto out = ctx.args().Get("out"); out.has_value() && !ctx.args().Flag("overwrite")) {
    if (std::string problem = ExistingOutputProblem("--out", *out, "--overwrite");
        !problem.empty()) {
      return UsageError(problem);
    }
  }
  ASSIGN_OR_RETURN(auto stub, VettingStub(ctx));
  ASSIGN_OR_RETURN(const v1::PublicKey key,
                   CallUnary<v1::PublicKey>(
                       ctx.settings(), [&](grpc::ClientContext* c, v1::PublicKey* r) {
                         return stub->GetVettingPublicKey(c, v1::GetVettingPublicKeyRequest(), r);
                       }));
  if (key.pem().empty()) return absl::DataLossError("the server sent no PEM public key");
  ASSIGN_OR_RETURN(const std::string pem, CheckedPublicKeyPem(key));
  if (auto out = ctx.args().Get("out")) {
    RETURN_IF_ERROR(WriteFileAtomically(*out, pem, 0644));
    if (ctx.json()) return ctx.PrintJson(key);
    ctx.out() << "vetting public key " << ForTerminal(key.key_id()) << " written to " << *out
              << "\n";
    return absl::OkStatus();
  }
  if (ctx.json()) return ctx.PrintJson(key);
  ctx.out() << pem;
  if (pem.back() != '\n') ctx.out() << "\n";
  return absl::OkStatus();
}

absl::Status RunCertificateVerify(CommandContext& ctx) {
  const std::string certificate_path = ctx.args().positionals()[0];
  const std::string key_path = ctx.args().Value("public-key");
  // A file that cannot be read (not there, a folder, not readable) leaves nothing to check: no
  // verdict, exit 2 as the help says, not the 1 of a certificate found invalid. The error keeps
  // its own code (NOT_FOUND, PERMISSION_DENIED, ...), which says what to fix.
  absl::StatusOr<std::string> json = ReadFileToString(certificate_path, "certificate");
  absl::StatusOr<std::string> pem =
      json.ok() ? ReadFileToString(key_path, "public key") : absl::StatusOr<std::string>("");
  for (const absl::Status& read : {json.status(), pem.status()}) {
    if (!read.ok()) {
      ctx.set_error_exit_code(kExitUsage);
      return read;
    }
  }
  // A file that is no certificate or no key is INVALID_ARGUMENT, exit 2 likewise.
  ASSIGN_OR_RETURN(const CertificateVerdict verdict,
                   CheckCertificate(*json, *pem, absl::Now(), {certificate_path, key_path}));
  // Not "invalid" (exit 1), which says the certificate is forged or out of date: with another key
  // than the one that signed it, the files given cannot be checked at all, like a file that is
  // no key (exit 2).
  if (!verdict.checked) return absl::InvalidArgumentError(verdict.reason);
  if (!verdict.valid) ctx.set_exit_code(1);
  if (ctx.json()) {
    CertificateVerification answer;
    answer.set_valid(verdict.valid);
    answer.set_reason(verdict.reason);
    if (verdict.valid) *answer.mutable_certificate() = verdict.certificate;
    return ctx.PrintJson(answer);
  }
  ctx.out() << verdict.text;
  return absl::OkStatus();
}

}  // namespace registry::client

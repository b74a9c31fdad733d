// Vetting for employers: one check of one consenting candidate for one position, answered with a
// code; the signed certificate to download (the same JSON `registry-cli vet check --out` writes),
// and a printable page that says how anyone can verify it offline.
#include <map>
#include <optional>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "client/certificate_check.h"
#include "client/console/html.h"
#include "client/console/pages.h"
#include "client/json_io.h"
#include "client/record_fields.h"
#include "common/reference_text.h"
#include "httplib.h"

namespace registry::console {
namespace {

// The request field each input of the check form fills, for the registry's errors.
const std::vector<std::pair<std::string, std::string>>& CheckInputs() {
  static const auto* inputs = new std::vector<std::pair<std::string, std::string>>{
      {"personal-number", "personal_number"}, {"surname", "surname"},
      {"given-name", "given_name"},           {"birth-date", "birth_date"},
      {"position", "position_category"},      {"consent_ref", "consent_reference"}};
  return *inputs;
}

// `local`: the problems the console found itself, by input (CheckProblems), else those the
// registry's refusal `refused` names.
void SendCheckForm(PageContext& ctx, const std::string& box, int status,
                   const absl::Status& refused = absl::OkStatus(),
                   const std::map<std::string, std::string>& local = {}) {
  const auto error_of = [&](const std::string& name) {
    if (auto it = local.find(name); it != local.end()) return it->second;
    for (const auto& [input, field] : CheckInputs()) {
      if (input == name) return ServerErrorFor(ctx, refused, field);
    }
    return std::string();
  };
  const auto text = [&](const std::string& name, const std::string& label_key,
                        const std::string& hint_key, bool date) {
    // The candidate's personal number, names and birth date; the consent reference alike.
    Input input = PersonalInput(ctx, name, label_key, hint_key);
    input.error = error_of(name);
    input.required = true;
    if (date) {
      input.size_class = "date";
      input.inputmode = "numeric";
    }
    return RenderInput(ctx, input);
  };
  Input position = ParamSelect(ctx, "position", "vetting.position", "form.choose_one");
  position.required = true;
  position.error = error_of("position");
  for (const std::string& category : ctx.who().position_categories()) {
    position.options.emplace_back(category, PositionName(ctx, category));
  }
  ctx.SendPage(
      ctx.T("vetting.title"),
      absl::StrCat(box, "<p>", ctx.T("vetting.intro"), "</p><form method=\"post\" action=\"/vetting\">",
                   ctx.CsrfInput(), "<fieldset><legend>", ctx.T("vetting.candidate"), "</legend>",
                   text("personal-number", "field.personal-number", "", false),
                   text("surname", "field.surname", "", false),
                   text("given-name", "field.given-name", "", false),
                   text("birth-date", "field.birth-date", "form.date_hint", true),
                   "</fieldset><fieldset><legend>", ctx.T("vetting.request"), "</legend>",
                   RenderInput(ctx, position),
                   text("consent_ref", "vetting.consent_ref", "vetting.consent_ref.hint", false),
                   "</fieldset><div class=\"actions\"><button class=\"primary\">",
                   ctx.T("vetting.button"), "</button></div></form>"),
      status);
}

void CheckForm(PageContext& ctx) { SendCheckForm(ctx, "", 200); }

// A candidate's name the registry would refuse, found as registry-cli finds it before its call
// (client::NameProblem), and said in the form's words (RuleKey): every check counts against the
// employer's daily limit, refused ones too. nullopt for a name it takes, and for none (required).
std::optional<FieldError> CandidateNameProblem(const std::string& input, absl::string_view value) {
  if (value.empty()) return std::nullopt;
  std::string problem = client::NameProblem(value);
  if (problem.empty()) return std::nullopt;
  FieldError error;
  error.input = input;
  std::tie(error.key, error.values) = RuleKey(problem);
  error.server_text = std::move(problem);
  return error;
}

// What the console finds wrong itself with the check form as sent (LocalProblem).
std::vector<FieldError> CheckProblems(PageContext& ctx) {
  const std::pair<const char*, LocalRule> rules[] = {
      {"personal-number", LocalRule::kPersonalNumber}, {"surname", LocalRule::kRequired},
      {"given-name", LocalRule::kRequired},            {"birth-date", LocalRule::kBirthDate},
      {"position", LocalRule::kRequired},              {"consent_ref", LocalRule::kReference}};
  std::vector<FieldError> problems;
  for (const auto& [input, rule] : rules) {
    const std::string typed = ctx.Param(input);
    const absl::string_view value = absl::StripAsciiWhitespace(typed);
    std::optional<FieldError> problem = LocalProblem(ctx, rule, input, value);
    if (!problem.has_value() && (input == std::string("surname") ||
                                 input == std::string("given-name"))) {
      problem = CandidateNameProblem(input, value);
    }
    if (problem.has_value()) problems.push_back(*std::move(problem));
  }
  return problems;
}

// The form with every problem CheckProblems finds beside its input and listed above the form.
void SendCheckProblems(PageContext& ctx, int status) {
  static const auto* labels = new std::map<std::string, std::string>{
      {"personal-number", "field.personal-number"}, {"surname", "field.surname"},
      {"given-name", "field.given-name"},           {"birth-date", "field.birth-date"},
      {"position", "vetting.position"},             {"consent_ref", "vetting.consent_ref"}};
  std::map<std::string, std::string> beside;
  std::vector<std::pair<std::string, std::string>> summary;
  PlaceProblems(ctx, CheckProblems(ctx), *labels, &beside, &summary);
  SendCheckForm(ctx, ErrorSummary(ctx, summary, "form.fix"), status, absl::OkStatus(), beside);
}

// A check refused, shown again from the session: the form as it was sent, the registry's refusal
// above it and beside each field it names, or the problems the console found itself. The
// registry is not asked again.
void CheckRefused(PageContext& ctx) {
  std::optional<FormAnswer> answer = FindFormAnswer(ctx, "/vetting");
  if (!answer.has_value()) return ctx.SendLocalError("vetting.refused_gone", 404);
  const httplib::Request shown = ShownRequest(ctx, *answer);
  PageContext page(ctx.console(), shown, ctx.response(), ctx.session_ptr(), /*restored=*/true);
  page.set_language_back(ctx.request().path);
  // Refused by the console itself (Check): its problems are found again from the form.
  if (answer->refused.ok()) return SendCheckProblems(page, answer->http_status);
  SendCheckForm(page, page.ErrorBox(answer->refused), answer->http_status, answer->refused);
}

void Check(PageContext& ctx) {
  v1::VettingCheckRequest request;
  const auto value = [&](const char* name) {
    return std::string(absl::StripAsciiWhitespace(ctx.Param(name)));
  };
  request.set_personal_number(value("personal-number"));
  request.set_surname(value("surname"));
  request.set_given_name(value("given-name"));
  request.set_birth_date(value("birth-date"));
  request.set_position_category(value("position"));
  request.set_consent_reference(value("consent_ref"));
  // A refusal is answered by a redirect to a page that shows it from the session
  // (KeepFormAnswer), as an answer is: a page answering the POST was sent again by back and
  // reload, a second audited check. Not a registry that was not reached: it checked nothing.
  FormAnswer refused;
  refused.form = "/vetting";
  for (const char* name :
       {"personal-number", "surname", "given-name", "birth-date", "position", "consent_ref"}) {
    refused.fields.emplace_back(name, ctx.Param(name));
  }
  // The registry's gate refuses a consent reference it cannot log (or none) before it looks at
  // anything else: the employer would learn of the form's other problems only from a second
  // refused, audited check. Such a form is refused here, every problem the console can find named
  // at once (CheckRefused finds them again), and nothing is sent.
  // So is a name the registry would refuse (CandidateNameProblem), as registry-cli refuses it.
  if (!ReferenceShaped(request.consent_reference()) ||
      CandidateNameProblem("surname", request.surname()).has_value() ||
      CandidateNameProblem("given-name", request.given_name()).has_value()) {
    refused.http_status = 400;
    return KeepFormAnswer(ctx, std::move(refused), "/refused/");
  }
  absl::StatusOr<v1::VettingCheckResponse> answer = ctx.registry().VettingCheck(request);
  if (!answer.ok() && !RegistryUnreachable(answer.status())) {
    refused.refused = answer.status();
    refused.http_status = FailedCallStatus(answer.status(), 400);
    return KeepFormAnswer(ctx, std::move(refused), "/refused/");
  }
  if (!answer.ok()) {
    // The refusal above the form, and each field it names beside its input.
    return SendCheckForm(ctx, ctx.ErrorBox(answer.status()), FailedCallStatus(answer.status(), 400),
                         answer.status());
  }
  // The answer is not this POST's page but one the browser is sent to (POST-redirect-GET):
  // reloading that page, or going back to it, does not make the check again, which would count
  // against the employer's limit and be audited as a second check. Its address holds an id only
  // (the check's, else one of the console's); the answer waits in the session until the page has
  // shown it.
  const std::string& check_id = answer->check_id();
  const std::string id = IsRecordId(check_id) ? check_id : RandomHex(16);
  const absl::Time now = ctx.console().Now();
  {
    absl::MutexLock lock(&ctx.session().mu);
    if (IsRecordId(check_id) && answer->has_certificate()) {
      ctx.session().certificates.Add(check_id, answer->certificate(), now);
    }
    ctx.session().vetting_results.Take(id, now);  // an older answer under the same id is not shown
    ctx.session().vetting_results.Add(id, *std::move(answer), now);
  }
  ctx.Redirect(absl::StrCat("/vetting/results/", id));
}

// The answer of a check just made, shown once: the session forgets it as it is shown. Opened
// again (a reload, the browser's back button), the page asks the registry nothing: it leads to
// the check's certificate, which says the same, or says that the answer was shown.
void Result(PageContext& ctx) {
  const std::string id = ctx.request().matches[1];
  std::optional<v1::VettingCheckResponse> answer;
  bool keep = false;
  {
    absl::MutexLock lock(&ctx.session().mu);
    answer = ctx.session().vetting_results.Take(id, ctx.console().Now());
    keep = ctx.session().certificates.Find(id, ctx.console().Now()) != nullptr;
  }
  if (!answer.has_value()) {
    if (keep) return ctx.Redirect(absl::StrCat("/vetting/certificates/", id));
    // Said to have been shown only at the address this session's check was answered with: an id
    // it never checked (another session's, one made up) names no check of this session at all.
    if (!ctx.AnswersChangeOfThisSession()) return ctx.SendLocalError("vetting.result_unknown", 404);
    return ctx.SendPage(ctx.T("vetting.result_title"),
                        absl::StrCat("<div class=\"notice\" role=\"status\" id=\"result-shown\"><p>",
                                     ctx.T("vetting.result_shown"), "</p></div><p><a href=\"/vetting\">",
                                     ctx.T("vetting.another"), "</a></p>"),
                        410);
  }
  const std::string code = ResultCode(answer->result());
  std::string body = absl::StrCat(
      "<div class=\"result result-", absl::AsciiStrToLower(code), "\" role=\"status\" id=\"result\">"
      "<p class=\"code\"><code id=\"result-code\">", code, "</code></p><p class=\"meaning\">",
      ResultName(ctx, answer->result()), "</p><p>",
      ctx.T(absl::StrCat("result.", absl::AsciiStrToLower(code), ".todo")), "</p></div><p>",
      ctx.T("vetting.check_id"), " <code>", Text(answer->check_id()), "</code></p>");
  if (answer->result() == v1::VETTING_RESULT_REFER && !answer->refer_contact().empty()) {
    absl::StrAppend(&body, "<div class=\"warning\"><p>",
                    ctx.Tf("vetting.refer_contact", {{"contact", Text(answer->refer_contact())},
                                                     {"id", Text(answer->check_id())}}),
                    "</p></div>");
  }
  if (keep) {
    absl::StrAppend(&body, "<ul class=\"actions\"><li><a id=\"certificate-json\" href=\"/vetting/certificates/", id,
                    ".json\" download>", ctx.T("vetting.download"), "</a></li><li><a id=\"certificate-page\" href=\"/vetting/certificates/", id,
                    "\">", ctx.T("vetting.printable"), "</a></li></ul>");
  }
  absl::StrAppend(&body, "<p><a href=\"/vetting\">", ctx.T("vetting.another"), "</a></p>");
  // This page is shown once, so the language switch does not lead back to it: it leads to the
  // certificate's page, which says the same in the new language at an address that holds only
  // the check's id. Without one, to the empty form: nothing of the candidate is kept to fill it.
  ctx.set_language_back(keep ? absl::StrCat("/vetting/certificates/", id) : "/vetting");
  ctx.SendPage(ctx.T("vetting.result_title"), body);
}

std::optional<v1::SignedVettingCertificate> FindCertificate(PageContext& ctx) {
  absl::MutexLock lock(&ctx.session().mu);
  const v1::SignedVettingCertificate* kept =
      ctx.session().certificates.Find(std::string(ctx.request().matches[1]), ctx.console().Now());
  if (kept == nullptr) return std::nullopt;
  return *kept;
}

void CertificateJson(PageContext& ctx) {
  std::optional<v1::SignedVettingCertificate> certificate = FindCertificate(ctx);
  if (!certificate) return ctx.SendLocalError("vetting.unknown", 404);
  absl::StatusOr<std::string> json = client::ToJsonLine(*certificate);
  if (!json.ok()) return ctx.SendError(json.status());
  ctx.response().set_header(
      "Content-Disposition",
      absl::StrCat("attachment; filename=\"certificate-", ctx.request().matches[1].str(), ".json\""));
  ctx.response().set_content(absl::StrCat(*json, "\n"), "application/json");
}

void CertificatePage(PageContext& ctx) {
  std::optional<v1::SignedVettingCertificate> signed_certificate = FindCertificate(ctx);
  if (!signed_certificate) {
    return ctx.SendLocalError("vetting.unknown", 404);
  }
  const v1::VettingCertificate& c = signed_certificate->certificate();
  const std::string id = ctx.request().matches[1];
  const auto row = [&](const char* key, const std::string& value) {
    return absl::StrCat("<tr><th scope=\"row\">", ctx.T(key), "</th><td>", value, "</td></tr>");
  };
  const std::string file = absl::StrCat("certificate-", id, ".json");
  ctx.SendPage(
      ctx.T("certificate.title"),
      absl::StrCat(
          "<div class=\"table-scroll\">"
          "<table class=\"record certificate\"><caption>", ctx.T("certificate.caption"),
          "</caption>", row("certificate.result", absl::StrCat("<strong>", ResultCode(c.result()),
                                                               "</strong> — ", ResultName(ctx, c.result()))),
          row("certificate.id", absl::StrCat("<code>", Text(c.certificate_id()), "</code>")),
          row("certificate.organisation", Text(c.organisation())),
          row("certificate.candidate",
              absl::StrCat(Text(c.given_name()), " ", Text(c.surname()), ", ", Text(c.birth_date()),
                           ", ", Text(c.personal_number()))),
          row("vetting.position", PositionName(ctx, c.position_category())),
          row("certificate.issued", Text(c.issued_at())),
          row("certificate.valid_until", Text(c.valid_until())),
          row("certificate.key_id", absl::StrCat("<code>", Text(c.key_id()), "</code>")),
          "</table></div><section class=\"verify-offline\"><h2>", ctx.T("certificate.how_title"),
          "</h2><p>", ctx.T("certificate.how_intro"), "</p><ol><li>",
          ctx.Tf("certificate.how_json", {{"file", absl::StrCat("<code>", file, "</code>")}}),
          " <a href=\"/vetting/certificates/", id, ".json\" download class=\"no-print\">",
          ctx.T("vetting.download"), "</a></li><li>", ctx.T("certificate.how_key"),
          " <a href=\"/vetting/public-key.pem\" download class=\"no-print\">",
          ctx.T("certificate.download_key"), "</a></li><li>", ctx.T("certificate.how_run"),
          "<pre><code>registry-cli certificate verify ", file,
          " --public-key vetting.pub.pem</code></pre></li></ol><p>",
          ctx.T("certificate.how_answer"), "</p></section><p class=\"no-print\"><button type=\"button\" data-print>",
          ctx.T("certificate.print"), "</button></p>"));
}

void PublicKey(PageContext& ctx) {
  absl::StatusOr<v1::PublicKey> key = ctx.registry().GetVettingPublicKey();
  if (!key.ok()) return ctx.SendError(key.status());
  // Served only when it is an Ed25519 key in PEM and nothing else, as registry-cli saves it.
  absl::StatusOr<std::string> pem = client::CheckedPublicKeyPem(*key);
  if (!pem.ok()) return ctx.SendError(pem.status());
  ctx.response().set_header("Content-Disposition", "attachment; filename=\"vetting.pub.pem\"");
  ctx.response().set_content(*pem, "application/x-pem-file");
}

}  // namespace

void AddVettingPages(Console&,
                     const std::function<void(std::string, std::string, Roles, PageHandler)>& add) {
  const Roles vetting = {v1::ROLE_VETTING};
  add("GET", "/vetting", vetting, CheckForm);
  add("POST", "/vetting", vetting, Check);
  add("GET", "/vetting/refused/([0-9a-f]{32})", vetting, CheckRefused);
  add("GET", "/vetting/results/([0-9a-f]{32})", vetting, Result);
  add("GET", "/vetting/certificates/([0-9a-f]{32})", vetting, CertificatePage);
  add("GET", "/vetting/certificates/([0-9a-f]{32})\\.json", vetting, CertificateJson);
  add("GET", "/vetting/public-key.pem", vetting, PublicKey);
}

}  // namespace registry::console

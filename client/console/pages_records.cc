// Records: the clerk enters, reads, corrects, disputes and expunges them; a court searches and
// reads them for a stated case and purpose; the clerk answers a data subject's "who checked me".
#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "client/choices.h"
#include "client/console/html.h"
#include "client/console/pages.h"
#include "client/names_removed.h"
#include "client/record_fields.h"
#include "client/record_format.h"
#include "common/reference_text.h"
#include "httplib.h"

namespace registry::console {
namespace {

using Values = std::vector<std::pair<std::string, std::string>>;

std::string RecordId(const PageContext& ctx) { return ctx.request().matches[1]; }

FormValues ValuesOf(const PageContext& ctx) {
  FormValues values;
  for (const auto& [name, value] : ctx.request().params) {
    if (name != "csrf") values[name].push_back(value);
  }
  return values;
}

// A form's values as FormAnswer keeps them (each of a name's values, in order), and back.
Values FieldsOf(const FormValues& values) {
  Values fields;
  for (const auto& [name, list] : values) {
    for (const std::string& value : list) fields.emplace_back(name, value);
  }
  return fields;
}
FormValues ValuesOf(const Values& fields) {
  FormValues values;
  for (const auto& [name, value] : fields) values[name].push_back(value);
  return values;
}

std::string First(const FormValues& values, const std::string& name) {
  auto it = values.find(name);
  return it == values.end() || it->second.empty() ? "" : it->second.front();
}

// The purpose a court states, from the request (form or link).
v1::Purpose PurposeOf(const PageContext& ctx) {
  v1::Purpose purpose;
  purpose.set_case_reference(std::string(absl::StripAsciiWhitespace(ctx.Param("case_ref"))));
  purpose.set_purpose_code(ctx.Param("purpose"));
  return purpose;
}

// How a page opens a record or its history: a clerk follows a link; a court sends a small form
// that posts the case reference and purpose already stated, with the session's CSRF token. A
// court's read is an act of the official's, bound to a purpose, so no link made elsewhere (in a
// mail, a chat, another site) can make it: such a link only shows the purpose form.
std::string OpenRecordControl(const PageContext& ctx, const std::string& action,
                              const std::string& label_html) {
  if (ctx.who().role() != v1::ROLE_COURT) {
    return absl::StrCat("<a href=\"", action, "\">", label_html, "</a>");
  }
  const v1::Purpose purpose = PurposeOf(ctx);
  return absl::StrCat("<form class=\"open\" method=\"post\" action=\"", action, "\">",
                      ctx.CsrfInput(), "<input type=\"hidden\" name=\"case_ref\" value=\"",
                      Escape(purpose.case_reference()),
                      "\"><input type=\"hidden\" name=\"purpose\" value=\"",
                      Escape(purpose.purpose_code()), "\"><button class=\"link\">", label_html,
                      "</button></form>");
}

// The case reference and purpose inputs of a court's forms; required before the form submits.
std::string PurposeInputs(const PageContext& ctx, const std::string& error,
                          const std::string& case_ref_error = "") {
  Input case_ref = ParamInput(ctx, "case_ref", "purpose.case_ref", "purpose.case_ref.hint");
  case_ref.required = true;
  case_ref.error = case_ref_error;
  Input purpose = ParamSelect(ctx, "purpose", "purpose.code", "form.choose_one");
  purpose.required = true;
  purpose.error = error;
  for (const std::string& code : ctx.who().purpose_codes()) {
    const std::string key = absl::StrCat("purpose_code.", code);
    const std::string known = ctx.Raw(key);
    purpose.options.emplace_back(
        code, known == absl::StrCat("[", key, "]") ? Text(code)
                                                   : absl::StrCat(ctx.T(key), " (", Text(code), ")"));
  }
  return absl::StrCat("<fieldset><legend>", ctx.T("purpose.legend"), "</legend>",
                      RenderInput(ctx, case_ref), RenderInput(ctx, purpose), "</fieldset>");
}

// ---- the record form ----

std::string RecordFormFields(PageContext& ctx, const FormValues& values,
                             const std::map<std::string, std::string>& errors) {
  const v1::GetReferenceDataResponse reference = ctx.console().reference();
  const auto error_of = [&](const std::string& name) {
    auto it = errors.find(name);
    return it == errors.end() ? std::string() : it->second;
  };
  const auto text = [&](const std::string& name, bool required, const std::string& size = "",
                        bool hint = false) {
    Input input;
    input.name = name;
    input.label = ctx.T(absl::StrCat("field.", name));
    if (hint) input.hint = ctx.T(absl::StrCat("field.", name, ".hint"));
    input.value = First(values, name);
    input.error = error_of(name);
    input.required = required;
    input.size_class = size;
    return RenderInput(ctx, input);
  };
  const auto date = [&](const std::string& name, bool required) {
    Input input;
    input.name = name;
    input.label = ctx.T(absl::StrCat("field.", name));
    input.hint = ctx.T("form.date_hint");
    input.value = First(values, name);
    input.error = error_of(name);
    input.required = required;
    input.size_class = "date";
    input.inputmode = "numeric";
    return RenderInput(ctx, input);
  };
  const auto select = [&](const std::string& name, bool required, Values options,
                          std::set<std::string> in_english = {},
                          std::map<std::string, std::string> groups = {}) {
    Input input;
    input.name = name;
    input.kind = Input::Kind::kSelect;
    input.label = ctx.T(absl::StrCat("field.", name));
    input.value = First(values, name);
    input.error = error_of(name);
    input.required = required;
    input.placeholder = ctx.T("form.choose_one");
    input.options = std::move(options);
    input.in_english = std::move(in_english);
    input.option_groups = std::move(groups);
    return RenderInput(ctx, input);
  };

  std::string person = absl::StrCat(
      text("surname", true), text("given-name", true), text("father-name", false), [&] {
        Input input;
        input.name = "alias";
        input.kind = Input::Kind::kTextarea;
        input.label = ctx.T("field.alias");
        input.hint = ctx.T("field.alias.hint");
        input.value = First(values, "alias");
        input.error = error_of("alias");
        return RenderInput(ctx, input);
      }(),
      select("sex", true, {{"female", ctx.T("sex.female")}, {"male", ctx.T("sex.male")}}),
      date("birth-date", true), text("birth-place", false),
      text("citizenship", false, "short", true), text("personal-number", true, "medium", true),
      text("address", false, "long"));

  // A court's name is the registry's reference data, in the user's language where it has one
  // (else in English, so marked); a court abroad is named in the user's language. The courts of
  // Kosovo are grouped by the days they judged (valid_from, valid_to: the District and Municipal
  // Courts until 2012-12-31, the Basic Courts from 2013-01-01), so that the list says which court
  // judged on the judgment date; the registry refuses one chosen outside its days.
  Values courts;
  std::set<std::string> courts_in_english;
  std::map<std::string, std::string> court_groups;
  for (const v1::CourtEntry& court : reference.courts()) {
    const ReferenceName name = CourtTitle(ctx, court);
    courts.emplace_back(court.id(), court.foreign() ? ctx.T("court.foreign") : Text(name.text));
    if (court.foreign()) continue;
    if (name.in_english) courts_in_english.insert(court.id());
    const std::string from = Text(court.valid_from());
    const std::string to = Text(court.valid_to());
    court_groups[court.id()] =
        !from.empty() && !to.empty()
            ? ctx.Tf("court.group.between", {{"from", from}, {"to", to}})
        : !from.empty() ? ctx.Tf("court.group.from", {{"date", from}})
        : !to.empty()   ? ctx.Tf("court.group.until", {{"date", to}})
                        : ctx.T("court.group.always");
  }
  std::string offences;
  const std::vector<std::string> chosen = [&] {
    auto it = values.find("offence");
    return it == values.end() ? std::vector<std::string>{} : it->second;
  }();
  const bool offence_invalid = !error_of("offence").empty();
  bool paragraphs = false;  // whether any box has a paragraph input
  int index = 0;
  for (const v1::OffenceEntry& entry : reference.offences()) {
    const std::string code = client::OffenceCode(entry);
    const std::string id = index == 0 ? "offence" : absl::StrCat("offence-", index);
    ++index;
    v1::Offence offence;
    offence.set_law(entry.law());
    offence.set_article(entry.article());
    offence.set_paragraph(entry.paragraph());
    const bool checked = std::find(chosen.begin(), chosen.end(), code) != chosen.end();
    // The table lists whole articles; a judgment names a paragraph of one (art. 230 para. 1),
    // which the registry takes for the article's entry, or several for concurrent counts under
    // one article ("1, 4", each an offence). Empty: the whole article.
    std::string paragraph;
    if (entry.paragraph() == 0) {
      paragraphs = true;
      const std::string name = ParagraphInputName(code);
      const std::string typed = First(values, name);
      std::vector<uint32_t> unused;
      // Refused (RecordFromForm): a paragraph that is none, or one beside an unticked box.
      const bool bad = checked ? !ParseParagraphs(typed, &unused)
                               : !absl::StripAsciiWhitespace(typed).empty();
      const std::string described =
          absl::StrCat("offence-paragraph-hint", bad && offence_invalid ? " offence-error" : "");
      // The label's hidden part names the offence: a screen reader reads the input apart from
      // the box it stands beside.
      paragraph = absl::StrCat(
          " <span class=\"paragraph\"><label for=\"", id, "-paragraph\">",
          ctx.T("field.offence-paragraph"), "<span class=\"vh\">, ",
          Escape(client::FormatOffence(offence)), "</span></label> <input type=\"text\" id=\"", id,
          "-paragraph\" name=\"", Escape(name), "\" value=\"", Escape(typed),
          "\" inputmode=\"numeric\" autocomplete=\"off\" class=\"short\" aria-describedby=\"",
          described, "\"", bad ? " aria-invalid=\"true\"" : "", "></span>");
    }
    offence.set_title(entry.title());
    absl::StrAppend(
        &offences, "<div class=\"check\"><input type=\"checkbox\" name=\"offence\" id=\"", id,
        "\" value=\"", Escape(code), "\"", checked ? " checked" : "",
        offence_invalid ? " aria-describedby=\"offence-error\"" : "", "> <label for=\"", id, "\">",
        // The offence's title is the registry's reference data, in the user's language where it
        // has one, else in English, so marked.
        OffenceText(ctx, reference.offences(), offence),
        entry.confirmed() ? "" : absl::StrCat(" <span class=\"tag\">", ctx.T("offence.to_confirm"), "</span>"),
        "</label>", paragraph, "</div>");
  }
  // Offences the record names that the table does not list (an entry since removed, or a
  // paragraph the form could not put beside its article's box: see FormFromRecord) stay chosen,
  // as their codes, so that a correction keeps them.
  for (const std::string& code : chosen) {
    bool listed = false;
    for (const v1::OffenceEntry& entry : reference.offences()) {
      listed = listed || client::OffenceCode(entry) == code;
    }
    if (listed) continue;
    const std::string id = absl::StrCat("offence-", index++);
    absl::StrAppend(&offences, "<div class=\"check\"><input type=\"checkbox\" name=\"offence\" id=\"",
                    id, "\" value=\"", Escape(code), "\" checked> <label for=\"", id, "\">",
                    Text(code), "</label></div>");
  }
  const std::string offence_error =
      error_of("offence").empty()
          ? ""
          : absl::StrCat("<p class=\"field-error\" id=\"offence-error\"><span class=\"vh\">",
                         ctx.T("form.error_prefix"), " </span>", error_of("offence"), "</p>");
  std::string bans;
  for (const std::string& word : BanWords()) {
    const std::string name = absl::StrCat("ban-", word);
    Input check;
    check.name = name;
    check.kind = Input::Kind::kCheckbox;
    check.value = "on";
    check.label = ctx.T(absl::StrCat("ban.", word));
    check.error = error_of(name);
    check.checked = !First(values, name).empty();
    Input end;
    end.name = absl::StrCat(name, "-end");
    end.label = ctx.T("field.ban-end");
    end.hint = ctx.T("field.ban-end.hint");
    end.value = First(values, end.name);
    end.error = error_of(end.name);
    end.size_class = "date";
    // A ban for life is chosen, never a date left empty (RecordFromForm refuses that).
    Input life;
    life.name = absl::StrCat(name, "-life");
    life.kind = Input::Kind::kCheckbox;
    life.value = "true";
    life.label = ctx.T("field.ban-life");
    life.error = error_of(life.name);
    life.checked = First(values, life.name) == "true";
    absl::StrAppend(&bans, "<div class=\"ban\">", RenderInput(ctx, check), RenderInput(ctx, end),
                    RenderInput(ctx, life), "</div>");
  }
  Values sentences;
  for (const std::string& word : SentenceWords()) {
    sentences.emplace_back(word, ctx.T(absl::StrCat("sentence.", word)));
  }
  Input juvenile;
  juvenile.name = "juvenile";
  juvenile.kind = Input::Kind::kCheckbox;
  juvenile.value = "true";
  juvenile.label = ctx.T("field.juvenile");
  juvenile.error = error_of("juvenile");
  juvenile.checked = First(values, "juvenile") == "true";

  std::string conviction = absl::StrCat(
      select("court", true, courts, courts_in_english, court_groups), text("foreign-court", false, "long", true),
      text("foreign-country", false, "short"), text("case-number", true, "medium", true),
      date("judgment-date", true), date("final-date", true),
      "<fieldset class=\"offences", error_of("offence").empty() ? "" : " invalid",
      "\"><legend>", ctx.T("field.offence"), " <span class=\"req\">(", ctx.T("form.required"),
      ")</span></legend>", offence_error,
      paragraphs ? absl::StrCat("<p class=\"hint\" id=\"offence-paragraph-hint\">",
                                ctx.T("field.offence-paragraph.hint"), "</p>")
                 : "",
      offences, "</fieldset>",
      select("sentence", true, sentences), text("months", false, "short", true),
      "<fieldset class=\"bans\"><legend>", ctx.T("field.ban"), "</legend>", bans, "</fieldset>",
      date("release-date", false), date("suspension-end-date", false),
      RenderInput(ctx, juvenile));
  return absl::StrCat("<fieldset><legend>", ctx.T("form.person"), "</legend>", person,
                      "</fieldset><fieldset><legend>", ctx.T("form.conviction"), "</legend>",
                      conviction, "</fieldset>");
}

// Errors by input, for the fields; and the summary's list, each linking to its input.
void SplitErrors(const PageContext& ctx, const std::vector<FieldError>& errors,
                 std::map<std::string, std::string>* by_input, Values* summary) {
  for (const FieldError& error : errors) {
    const std::string text = ErrorText(ctx, error);
    if (!error.input.empty()) {
      std::string& beside = (*by_input)[error.input];
      absl::StrAppend(&beside, beside.empty() ? "" : " ", text);
      // The record a duplicate or a clash names, the clerk's next step, linked beside the field
      // only (the summary's items are links to the inputs).
      if (IsRecordId(error.record_id)) {
        absl::StrAppend(&beside, " <a id=\"existing-record\" href=\"/records/", error.record_id,
                        "\">", error.record_id, "</a>");
      }
      // A ban's checkbox and end date are labelled by the bans' legend; the reason by its own.
      const std::string label_key = absl::StartsWith(error.input, "ban-") ? "field.ban"
                                    : error.input == "reason"
                                        ? "record.amend.reason"
                                        : absl::StrCat("field.", error.input);
      summary->emplace_back(error.input, absl::StrCat(ctx.T(label_key), ": ", text));
    } else {
      summary->emplace_back("", text);
    }
  }
}

void SendRecordForm(PageContext& ctx, const std::string& title, const std::string& action,
                    const FormValues& values, const std::vector<FieldError>& errors,
                    const std::string& before, const std::string& after, int status) {
  std::map<std::string, std::string> by_input;
  Values summary;
  SplitErrors(ctx, errors, &by_input, &summary);
  ctx.SendPage(title,
               absl::StrCat(ErrorSummary(ctx, summary), "<p>", ctx.T("form.intro"), "</p>",
                            "<form method=\"post\" action=\"", action,
                            "\" class=\"record-form\" novalidate>", ctx.CsrfInput(), before,
                            RecordFormFields(ctx, values, by_input), after,
                            "<div class=\"actions\"><button class=\"primary\">",
                            ctx.T("form.save"), "</button></div></form>"),
               status);
}

void NewRecordForm(PageContext& ctx) {
  // Empty, or as the clerk had filled it when the language switch re-shows it.
  SendRecordForm(ctx, ctx.T("record.new.title"), "/records/new",
                 ctx.restored() ? ValuesOf(ctx) : FormValues{}, {}, "", "", 200);
}

// The form's own problems (a value with no place in the request: "abc" as a paragraph, an
// unknown choice) with the registry's verdict on the rest, so that the clerk sees every problem
// in one pass: what the form could read is sent as the one row of a dry-run import (audited,
// writing nothing), and the registry's problems with it are added, but for inputs the form
// already marked. Any other answer (the registry down, a valid or duplicate row) adds nothing.
void AddRegistryWords(const std::string& words, const v1::CreateRecordRequest& request,
                      std::vector<FieldError>* errors) {
  const std::vector<FieldError> marked = *errors;
  for (FieldError& problem : ErrorsFromServer(words, request)) {
    const bool seen = std::any_of(marked.begin(), marked.end(), [&](const FieldError& e) {
      return !problem.input.empty() && e.input == problem.input;
    });
    if (!seen) errors->push_back(std::move(problem));
  }
}

// Whether `refused` is a refusal of the conviction as a whole (a duplicate, an expunged or spent
// conviction, another record's case number: ALREADY_EXISTS, FAILED_PRECONDITION), each of whose
// problems the catalogs say (IsConvictionRule), so that it goes beside the case number.
bool ConvictionRefusal(const absl::Status& refused) {
  if (!absl::IsAlreadyExists(refused) && !absl::IsFailedPrecondition(refused)) return false;
  const std::vector<FieldError> errors =
      ErrorsFromServer(refused.message(), v1::CreateRecordRequest());
  return !errors.empty() && std::all_of(errors.begin(), errors.end(), [](const FieldError& e) {
    return IsConvictionRule(e.key) && !e.input.empty();
  });
}

// The registry's words are returned ("" when it added nothing), so that the page a reload shows
// again (NewRecordRefused) adds them without asking again.
std::string AddRegistryProblems(PageContext& ctx, const v1::CreateRecordRequest& request,
                                std::vector<FieldError>* errors) {
  v1::ImportRecordsRequest check;
  check.set_dry_run(true);
  v1::ImportRow* row = check.add_rows();
  row->set_line(1);
  *row->mutable_record() = request;
  const absl::StatusOr<v1::ImportRecordsResponse> checked = ctx.registry().ImportRecords(check);
  if (!checked.ok() || checked->results_size() != 1 ||
      checked->results(0).outcome() != v1::ImportRowResult::OUTCOME_INVALID) {
    return "";
  }
  AddRegistryWords(checked->results(0).error(), request, errors);
  return checked->results(0).error();
}

// A record form refused after the registry was asked (its dry run of a form the console found
// faults in, or the record's creation) is answered by a redirect to a page of the session's
// (KeepFormAnswer), as a refused expunging is: a page answering the POST was sent again by a
// reload or the back button, one more audited call in the clerk's name each time. The form
// waits there as typed; its problems are found again from it and the registry's words.
void CreateRecord(PageContext& ctx) {
  const FormValues values = ValuesOf(ctx);
  std::vector<FieldError> errors;
  const v1::CreateRecordRequest request = RecordFromForm(values, &errors);
  FormAnswer answer;
  answer.form = "/records/new";
  answer.fields = FieldsOf(values);
  answer.http_status = 400;
  if (!errors.empty()) {
    const std::string words = AddRegistryProblems(ctx, request, &errors);
    if (!words.empty()) answer.refused = absl::InvalidArgumentError(words);
    return KeepFormAnswer(ctx, std::move(answer), "/refused/");
  }
  absl::StatusOr<v1::CreateRecordResponse> created = ctx.registry().CreateRecord(request);
  if (created.ok() && IsRecordId(created->record_id())) {
    ctx.Redirect(absl::StrCat("/records/", created->record_id(), "?done=created"));
    return;
  }
  if (created.ok()) {
    errors.push_back({"", "", {}, "the registry answered with a malformed record id"});
    SendRecordForm(ctx, ctx.T("record.new.title"), "/records/new", values, errors, "", "", 400);
    return;
  }
  if (RegistryUnreachable(created.status())) {
    // Not reached, nothing was refused: the form comes back as typed, to be sent again.
    SendRecordForm(ctx, ctx.T("record.new.title"), "/records/new", values, {},
                   ctx.ErrorBox(created.status()), "", FailedCallStatus(created.status(), 400));
    return;
  }
  answer.refused = created.status();
  answer.http_status = FailedCallStatus(created.status(), 400);
  KeepFormAnswer(ctx, std::move(answer), "/refused/");
}

// A record form refused, shown again from the session (CreateRecord): the registry is not asked.
void NewRecordRefused(PageContext& ctx) {
  std::optional<FormAnswer> answer = FindFormAnswer(ctx, "/records/new");
  if (!answer.has_value()) return ctx.SendLocalError("form.refused_gone", 404);
  const httplib::Request shown = ShownRequest(ctx, *answer);
  PageContext page(ctx.console(), shown, ctx.response(), ctx.session_ptr(), /*restored=*/true);
  page.set_language_back(ctx.request().path);
  const FormValues values = ValuesOf(answer->fields);
  std::vector<FieldError> errors;
  const v1::CreateRecordRequest request = RecordFromForm(values, &errors);
  const std::string title = page.T("record.new.title");
  const bool invalid = answer->refused.code() == absl::StatusCode::kInvalidArgument;
  if (!errors.empty()) {
    // The console's own findings, with the registry's dry run's words on the rest.
    if (invalid) AddRegistryWords(std::string(answer->refused.message()), request, &errors);
  } else if (invalid || ConvictionRefusal(answer->refused)) {
    errors = ErrorsFromServer(answer->refused.message(), request);
  } else {
    return SendRecordForm(page, title, "/records/new", values, {},
                          page.ErrorBox(answer->refused), "", answer->http_status);
  }
  SendRecordForm(page, title, "/records/new", values, errors, "", "", answer->http_status);
}

// ---- reading ----

absl::StatusOr<v1::Record> ReadRecord(PageContext& ctx, const std::string& id) {
  v1::GetRecordRequest request;
  request.set_record_id(id);
  if (ctx.who().role() == v1::ROLE_COURT) *request.mutable_purpose() = PurposeOf(ctx);
  absl::StatusOr<v1::GetRecordResponse> response = ctx.registry().GetRecord(request);
  if (!response.ok()) return response.status();
  return response->record();
}

// The form that asks a court for the case reference and purpose of a read, filled in with what
// the request said; with `box` above it and the problems `refused` names beside their inputs, or
// those of `missing` (input name to its error), which the console found itself.
void SendPurposeForm(PageContext& ctx, const std::string& title, const std::string& box = "",
                     const absl::Status& refused = absl::OkStatus(), int status = 200,
                     const std::map<std::string, std::string>& missing = {}) {
  // Built, as in SearchInputs: written whole they would read as catalog keys.
  const auto field = [](absl::string_view name) { return absl::StrCat("purpose.", name); };
  const auto error_of = [&](const std::string& input, absl::string_view name) {
    auto it = missing.find(input);
    return it != missing.end() ? it->second : ServerErrorFor(ctx, refused, field(name));
  };
  std::vector<std::pair<std::string, std::string>> summary;
  for (const char* input : {"case_ref", "purpose"}) {
    if (auto it = missing.find(input); it != missing.end()) summary.emplace_back(*it);
  }
  ctx.SendPage(title,
               absl::StrCat(box, ErrorSummary(ctx, summary, "form.fix"), "<p>",
                            ctx.T("purpose.needed"), "</p><form method=\"post\" action=\"",
                            Escape(ctx.request().path), "\">", ctx.CsrfInput(),
                            PurposeInputs(ctx, error_of("purpose", "purpose_code"),
                                          error_of("case_ref", "case_reference")),
                            "<button class=\"primary\">", ctx.T("purpose.continue"),
                            "</button></form>"),
               status);
}

// A court reads only for a case and purpose it states, in a form it sends (POST, with the CSRF
// token). Opened by a link (GET), even one that carries a case reference and a purpose, the page
// reads nothing: it asks for them, filled in with what the link said, for the official to send.
// Posted without one (only a request made outside the page can be: the inputs are `required`),
// the form comes back with "required" beside each input left empty, as the registry would say it;
// it had come back with no word of what was missing. That answer is a redirect to the form kept
// in the session (PurposeRefusedPage), as the registry's refusal of a read is.
// A case reference the registry's gate would refuse (LocalProblem) is refused here too, nothing
// sent: the refusal would be one more audited call in the court's name.
std::map<std::string, std::string> MissingPurpose(PageContext& ctx) {
  std::map<std::string, std::string> missing;
  for (const auto& [input, rule] : {std::pair{"case_ref", LocalRule::kReference},
                                    std::pair{"purpose", LocalRule::kRequired}}) {
    const std::optional<FieldError> problem =
        LocalProblem(ctx, rule, input, absl::StripAsciiWhitespace(ctx.Param(input)));
    if (problem.has_value()) missing[input] = ErrorText(ctx, *problem);
  }
  return missing;
}

bool PurposeRefused(PageContext& ctx, const absl::Status& refused);

bool AskForPurpose(PageContext& ctx, const std::string& title) {
  if (ctx.who().role() != v1::ROLE_COURT) return false;
  if (ctx.request().method != "POST") {
    SendPurposeForm(ctx, title);
    return true;
  }
  if (MissingPurpose(ctx).empty()) return false;
  return PurposeRefused(ctx, absl::OkStatus());
}

// A court's read refused (a case reference the registry does not take, a record it does not
// hold; OK `refused`: a purpose left empty, which the console refuses itself): answered by a
// redirect to a page of the session's (PurposeRefusedPage), where the purpose form waits with the
// refusal above it and each problem beside its input, as the search shows them. A page answering
// the POST itself was sent again by a reload or the back button, one more audited read in the
// court's name each time. False, and nothing sent, for a registry that was not reached (it
// refused nothing) or another role's read (a GET, which a reload may repeat).
bool PurposeRefused(PageContext& ctx, const absl::Status& refused) {
  if (ctx.who().role() != v1::ROLE_COURT || ctx.request().method != "POST" ||
      RegistryUnreachable(refused)) {
    return false;
  }
  FormAnswer answer;
  answer.form = ctx.request().path;
  for (const char* name : {"case_ref", "purpose"}) {
    answer.fields.emplace_back(name, ctx.Param(name));
  }
  answer.refused = refused;
  answer.http_status = FailedCallStatus(refused, 400);
  KeepFormAnswer(ctx, std::move(answer), "/refused/");
  return true;
}

// A court's read refused, shown again from the session (PurposeRefused), or the inputs it left
// empty, found again from the form: the registry is not asked again.
void PurposeRefusedPage(PageContext& ctx, bool history) {
  const std::string form =
      absl::StrCat("/records/", RecordId(ctx), history ? "/history" : "");
  std::optional<FormAnswer> answer = FindFormAnswer(ctx, form);
  if (!answer.has_value()) return ctx.SendLocalError("form.refused_gone", 404);
  httplib::Request shown = ShownRequest(ctx, *answer);
  shown.path = form;  // the form posts to the read, not to this page
  PageContext page(ctx.console(), shown, ctx.response(), ctx.session_ptr(), /*restored=*/true);
  page.set_language_back(ctx.request().path);
  const std::string title = page.T(history ? "record.history.title" : "record.view.title");
  if (answer->refused.ok()) {
    return SendPurposeForm(page, title, "", absl::OkStatus(), answer->http_status,
                           MissingPurpose(page));
  }
  SendPurposeForm(page, title, page.ErrorBox(answer->refused), answer->refused,
                  answer->http_status);
}

// Each name of `removed` as an item of a list that says how it goes: "Surname replaced, not kept
// among the other surnames used: Gashi", "Other surname used, removed: Berisha".
std::string RemovedNameItems(const PageContext& ctx, const client::RemovedNames& removed) {
  std::string items;
  if (removed.surname.has_value()) {
    absl::StrAppend(&items, "<li>",
                    ctx.Tf("record.amend.surname_replaced", {{"name", Text(*removed.surname)}}),
                    "</li>");
  }
  for (const std::string& alias : removed.aliases) {
    absl::StrAppend(&items, "<li>", ctx.Tf("record.amend.alias_removed", {{"name", Text(alias)}}),
                    "</li>");
  }
  return absl::StrCat("<ul class=\"names-removed\">", items, "</ul>");
}

// The names a correction just saved removed, for the notice of the record's page: kept in the
// session under the id of the "removed" parameter (Amend), never in the address itself.
std::string NamesRemovedNotice(PageContext& ctx) {
  const std::string kept_id = ctx.Param("removed");
  if (kept_id.empty()) return "";
  std::optional<FormAnswer> kept;
  {
    absl::MutexLock lock(&ctx.session().mu);
    const FormAnswer* found = ctx.session().form_answers.Find(kept_id, ctx.console().Now());
    if (found != nullptr) kept = *found;
  }
  const std::string form = absl::StrCat("/records/", RecordId(ctx), "/names-removed");
  if (!kept.has_value() || kept->form != form) return "";
  client::RemovedNames removed;
  for (const auto& [name, value] : kept->fields) {
    if (name == "surname") removed.surname = value;
    if (name == "alias") removed.aliases.push_back(value);
  }
  return absl::StrCat("<p>", ctx.T("record.done.names_removed"), "</p>",
                      RemovedNameItems(ctx, removed));
}

std::string Notice(PageContext& ctx) {
  const std::string done = ctx.Param("done");
  // Only at the address this session's change was answered with: "?done=disputed" typed after an
  // active record's address says nothing of it.
  if (done.empty() || !ctx.AnswersChangeOfThisSession()) return "";
  for (const char* known : {"created", "amended", "disputed", "resolved"}) {
    if (done == known) {
      return absl::StrCat("<div class=\"notice\" role=\"status\"><p>",
                          ctx.T(absl::StrCat("record.done.", known)), "</p>",
                          done == "amended" ? NamesRemovedNotice(ctx) : "", "</div>");
    }
  }
  return "";
}

// A version's reason as the history shows it. The registry writes one fixed word itself, for the
// version that made the record ("created", from the record form and from an import alike), which
// is said in the user's language; any other reason is an official's own text, shown as written.
std::string VersionReason(const PageContext& ctx, const std::string& reason) {
  if (reason == "created") return ctx.T("record.history.reason.created");
  return Text(reason);
}

// The reason every change of a record is sent with. The amend form and the dispute and
// resolution forms ask for it in words of their own (`label_key`, and `hint_key` when not empty).
std::string ReasonTextarea(const PageContext& ctx, const std::string& label_key,
                           const std::string& hint_key, const std::string& value,
                           const std::string& error) {
  Input reason;
  reason.name = "reason";
  reason.kind = Input::Kind::kTextarea;
  reason.label = ctx.T(label_key);
  if (!hint_key.empty()) reason.hint = ctx.T(hint_key);
  reason.value = value;
  reason.error = error;
  reason.required = true;
  return RenderInput(ctx, reason);
}

// The reason of a dispute or its resolution, on the record's page and on the form shown alone
// when the registry was not reached.
std::string StatusReasonInput(const PageContext& ctx, const std::string& value,
                              const std::string& error) {
  return ReasonTextarea(ctx, "record.reason", "", value, error);
}

// A court's read, made by the POST of its purpose, is not answered by that POST's page but by a
// redirect to one that shows it (POST-redirect-GET), as a search is: a reload or the back button
// had sent the POST again ("Confirm Form Resubmission"), and repeated an audited read in the
// court's name. The read and its purpose wait in the session under a random id, the only thing
// in the address.
void KeepCourtRead(PageContext& ctx, CourtRead read) {
  for (const char* name : {"case_ref", "purpose"}) {
    const std::string value = ctx.Param(name);
    if (!value.empty()) read.fields.emplace_back(name, value);
  }
  const std::string id = RandomHex(16);
  const std::string address =
      absl::StrCat("/records/", read.record_id, read.history ? "/history" : "", "/read/", id);
  {
    absl::MutexLock lock(&ctx.session().mu);
    ctx.session().court_reads.Add(id, std::move(read), ctx.console().Now());
  }
  ctx.Redirect(address);
}

// `read_at`: the time of a kept read, which the page shows instead of saying "now" (nullptr for
// a read made for this very page).
void SendRecordPage(PageContext& ctx, const std::string& id, const v1::Record& record,
                    const absl::Time* read_at = nullptr);
void SendHistoryPage(PageContext& ctx, const std::string& id,
                     const v1::GetRecordHistoryResponse& history,
                     const absl::Time* read_at = nullptr);

// What a kept read's page says above it: when it was read, that it does not follow the record,
// and a form that reads it again now (a new audited read, with the case reference and purpose it
// was read for) for the official to send. Nothing is read until they do.
std::string ReadAtNotice(const PageContext& ctx, const std::string& action, absl::Time read_at) {
  return absl::StrCat("<div class=\"notice\" id=\"read-at\"><p>",
                      ctx.Tf("record.read_at", {{"time", ReadTime(read_at)}}), "</p>",
                      OpenRecordControl(ctx, action, ctx.T("record.read_again")), "</div>");
}

// A court's read kept by KeepCourtRead, shown again from the session: the registry is not asked.
// An id this session does not hold (another session's, one forgotten, one past kKeptAnswerLife,
// one of a record since changed or expunged through this console), or one kept for another
// record or page, is not found: the page says so above the purpose form of the read, to make it
// again. A reload of it reads nothing.
void CourtReadPage(PageContext& ctx, bool history) {
  const std::string id = RecordId(ctx);
  const std::string read_id = ctx.request().matches[2];
  std::optional<CourtRead> kept;
  absl::Time read_at;
  {
    absl::MutexLock lock(&ctx.session().mu);
    if (const CourtRead* found =
            ctx.session().court_reads.Find(read_id, ctx.console().Now(), &read_at)) {
      kept = *found;
    }
  }
  if (!kept.has_value() || kept->record_id != id || kept->history != history) {
    httplib::Request shown = ctx.request();
    shown.params.clear();
    shown.path = absl::StrCat("/records/", id, history ? "/history" : "");
    PageContext page(ctx.console(), shown, ctx.response(), ctx.session_ptr());
    page.set_language_back(ctx.request().path);
    return SendPurposeForm(page, page.T(history ? "record.history.title" : "record.view.title"),
                           page.LocalErrorBox("record.read_gone", 404), absl::OkStatus(), 404);
  }
  // The purpose goes into the page's own request as the form's body had it (never into an
  // address): the page's controls that read again (the history, the record) post it on.
  httplib::Request shown = ctx.request();
  shown.params.clear();
  for (const auto& [name, value] : kept->fields) shown.params.emplace(name, value);
  PageContext page(ctx.console(), shown, ctx.response(), ctx.session_ptr(), /*restored=*/true);
  // The switch shows this page again in the new language, from the session: no read is made.
  page.set_language_back(ctx.request().path);
  if (history) return SendHistoryPage(page, id, kept->versions, &read_at);
  SendRecordPage(page, id, kept->record, &read_at);
}

void ViewRecord(PageContext& ctx) {
  const std::string id = RecordId(ctx);
  if (AskForPurpose(ctx, ctx.T("record.view.title"))) return;
  absl::StatusOr<v1::Record> record = ReadRecord(ctx, id);
  if (!record.ok()) {
    if (PurposeRefused(ctx, record.status())) return;
    return ctx.SendError(record.status());
  }
  if (ctx.who().role() == v1::ROLE_COURT) {
    CourtRead read;
    read.record_id = id;
    read.record = *std::move(record);
    return KeepCourtRead(ctx, std::move(read));
  }
  SendRecordPage(ctx, id, *record);
}

void SendRecordPage(PageContext& ctx, const std::string& id, const v1::Record& record,
                    const absl::Time* read_at) {
  const std::string page = absl::StrCat("/records/", id);
  std::string body = absl::StrCat(
      Notice(ctx), read_at != nullptr ? ReadAtNotice(ctx, page, *read_at) : "",
      RecordTable(ctx, record,
                  read_at != nullptr
                      ? ctx.Tf("record.view.caption_at", {{"time", ReadTime(*read_at)}})
                      : ctx.T("record.view.caption")),
      "<ul class=\"actions\"><li>",
      OpenRecordControl(ctx, absl::StrCat("/records/", id, "/history"),
                        ctx.T("record.history.link")),
      "</li>");
  if (ctx.who().role() == v1::ROLE_CLERK) {
    absl::StrAppend(&body, "<li><a href=\"/records/", id, "/amend\">", ctx.T("record.amend.link"),
                    "</a></li><li><a href=\"/records/", id, "/expunge\">",
                    ctx.T("record.expunge.link"), "</a></li></ul>");
    const bool disputed = record.metadata().status() == v1::RECORD_STATUS_DISPUTED;
    const std::string action = disputed ? "resolve" : "dispute";
    absl::StrAppend(&body, "<section aria-labelledby=\"dispute-h\"><h2 id=\"dispute-h\">",
                    ctx.T(absl::StrCat("record.", action, ".title")), "</h2><p>",
                    ctx.T(absl::StrCat("record.", action, ".help")), "</p><form method=\"post\" action=\"/records/",
                    id, "/", action, "\">", ctx.CsrfInput(),
                    StatusReasonInput(ctx, ctx.restored() ? ctx.Param("reason") : "", ""),
                    "<button>", ctx.T(absl::StrCat("record.", action, ".button")),
                    "</button></form></section>");
  } else {
    absl::StrAppend(&body, "</ul>");
  }
  ctx.SendPage(ctx.T("record.view.title"), body);
}

void History(PageContext& ctx) {
  const std::string id = RecordId(ctx);
  if (AskForPurpose(ctx, ctx.T("record.history.title"))) return;
  v1::GetRecordHistoryRequest request;
  request.set_record_id(id);
  if (ctx.who().role() == v1::ROLE_COURT) *request.mutable_purpose() = PurposeOf(ctx);
  absl::StatusOr<v1::GetRecordHistoryResponse> history = ctx.registry().GetRecordHistory(request);
  if (!history.ok()) {
    if (PurposeRefused(ctx, history.status())) return;
    return ctx.SendError(history.status());
  }
  if (ctx.who().role() == v1::ROLE_COURT) {
    CourtRead read;
    read.record_id = id;
    read.history = true;
    read.versions = *std::move(history);
    return KeepCourtRead(ctx, std::move(read));
  }
  SendHistoryPage(ctx, id, *history);
}

// The dates a read of the record shows now, when the registry says they are not those the newest
// version was written with: each version carries its own, so without this the history told an
// official that a record leaves vetting earlier than it does. Why, as the registry says it (no
// version's author made this change); the other conviction is never named, as the history does
// not disclose it. Nothing when the newest version's dates are in force. A kept page (`read_at`
// set) says them as of its read, never as "now".
std::string DatesInForce(const PageContext& ctx, const v1::GetRecordHistoryResponse& history,
                         const absl::Time* read_at) {
  if (!history.has_dates_in_force()) return "";
  const v1::DatesInForce& dates = history.dates_in_force();
  const char* why = "record.history.dates_in_force.other";
  if (dates.kept_from_deletion_only()) {
    why = "record.history.dates_in_force.kept";
  } else if (dates.extended_by_another_conviction() && dates.retention_rules_changed()) {
    why = "record.history.dates_in_force.both";
  } else if (dates.extended_by_another_conviction()) {
    why = "record.history.dates_in_force.extended";
  } else if (dates.retention_rules_changed()) {
    why = "record.history.dates_in_force.rules";
  }
  const auto shown = [](const std::string& date) {
    return date.empty() ? std::string("-") : Text(date);
  };
  std::vector<std::pair<std::string, std::string>> args = {
      {"visible_until", shown(dates.employer_visible_until())},
      {"delete_after", shown(dates.delete_after())},
      {"why", ctx.T(why)}};
  if (read_at != nullptr) args.push_back({"time", ReadTime(*read_at)});
  return absl::StrCat("<p id=\"dates-in-force\">",
                      ctx.Tf(read_at != nullptr ? "record.history.dates_in_force_at"
                                                : "record.history.dates_in_force",
                             args),
                      "</p>");
}

void SendHistoryPage(PageContext& ctx, const std::string& id,
                     const v1::GetRecordHistoryResponse& history, const absl::Time* read_at) {
  std::string body = absl::StrCat(
      read_at != nullptr
          ? ReadAtNotice(ctx, absl::StrCat("/records/", id, "/history"), *read_at)
          : "",
      "<p>", ctx.T("record.history.intro"), "</p>");
  std::vector<RecordRow> previous;
  for (const v1::RecordVersion& version : history.versions()) {
    const v1::RecordMetadata& m = version.record().metadata();
    const std::vector<RecordRow> rows = RecordRows(ctx, version.record());
    std::string table;
    int changed = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      const RecordRow& row = rows[i];
      // Each version's own dates are shown (and a change of them marked), not the rest of its
      // bookkeeping, which the version's heading says.
      if (row.bookkeeping && !row.dates) continue;
      const bool differs = !previous.empty() && i < previous.size() && previous[i].value != row.value;
      if (differs) {
        ++changed;
        absl::StrAppend(&table, "<tr class=\"changed\"><th scope=\"row\">", row.label,
                        " <span class=\"tag\">", ctx.T("record.history.changed"), "</span></th><td>",
                        "<del><span class=\"vh\">", ctx.T("record.history.before"), " </span>",
                        previous[i].value, "</del> <span aria-hidden=\"true\">→</span> <ins><span class=\"vh\">",
                        ctx.T("record.history.after"), " </span>", row.value, "</ins></td></tr>");
      } else if (previous.empty() || !row.value.empty()) {
        absl::StrAppend(&table, "<tr><th scope=\"row\">", row.label, "</th><td>", row.value,
                        "</td></tr>");
      }
    }
    absl::StrAppend(&body, "<section class=\"version\"><h2>",
                    ctx.Tf("record.history.version", {{"n", absl::StrCat(m.version())},
                                                       {"when", Text(m.updated_at())},
                                                       {"who", Text(m.updated_by())}}),
                    "</h2><p>", ctx.T("record.reason"), ": <q>", VersionReason(ctx, version.reason()), "</q>",
                    previous.empty() ? ""
                                     : absl::StrCat(" — ", ctx.Tf("record.history.count",
                                                                  {{"n", absl::StrCat(changed)}})),
                    "</p><div class=\"table-scroll\"><table class=\"record\">", table,
                    "</table></div></section>");
    previous = rows;
  }
  absl::StrAppend(&body, DatesInForce(ctx, history, read_at), "<p>",
                  OpenRecordControl(ctx, absl::StrCat("/records/", id), ctx.T("record.back")),
                  "</p>");
  ctx.SendPage(ctx.T("record.history.title"), body);
}

// The clerk's "open a record" form, posted: only an id the console has validated goes on into
// an address. Anything else (a personal number or a name typed by mistake) is shown again in the
// form, in the page's body, beside the words that say what a record id is: the POST is answered
// by a redirect to a page of the session's that shows it (OpenRecordRefused), whose address holds
// only a random id, so that a reload or the back button sends nothing again.
void OpenRecord(PageContext& ctx) {
  const std::string id = absl::AsciiStrToLower(absl::StripAsciiWhitespace(ctx.Param("id")));
  if (!IsRecordId(id)) {
    FormAnswer answer;
    answer.form = "/records/open";
    answer.fields = {{"id", ctx.Param("id")}};
    answer.http_status = 400;
    return KeepFormAnswer(ctx, std::move(answer), "/refused/");
  }
  ctx.Redirect(absl::StrCat("/records/", id));
}

// An id refused, shown again from the session (OpenRecord): the form as typed, the error beside
// it. Nothing is read.
void OpenRecordRefused(PageContext& ctx) {
  std::optional<FormAnswer> answer = FindFormAnswer(ctx, "/records/open");
  if (!answer.has_value()) return ctx.SendLocalError("form.refused_gone", 404);
  const httplib::Request shown = ShownRequest(ctx, *answer);
  PageContext page(ctx.console(), shown, ctx.response(), ctx.session_ptr(), /*restored=*/true);
  page.set_language_back(ctx.request().path);
  const std::string error = page.T("record.open.bad_id");
  page.SendPage(page.T("error.title"),
                absl::StrCat(ErrorSummary(page, {{"id", error}}, "form.fix"),
                             OpenRecordForm(page, error)),
                answer->http_status);
}

// ---- correcting ----

v1::CreateRecordRequest AsRequest(const v1::Record& record) {
  v1::CreateRecordRequest request;
  *request.mutable_person() = record.person();
  *request.mutable_conviction() = record.conviction();
  return request;
}

std::string ReasonInput(const PageContext& ctx, const std::string& value, const std::string& error) {
  return ReasonTextarea(ctx, "record.amend.reason", "record.amend.reason.hint", value, error);
}

// A record with two bans of one kind: the form shows one of each kind, so it says so, and the
// bans are changed with registry-cli.
std::string BansNotShown(PageContext& ctx, const v1::CreateRecordRequest& record) {
  if (RepeatedBanKinds(record).empty()) return "";
  return absl::StrCat("<div class=\"notice\" role=\"note\" id=\"bans-not-shown\"><p>",
                      ctx.T("record.amend.bans_not_shown"), "</p></div>");
}

void AmendForm(PageContext& ctx) {
  const std::string id = RecordId(ctx);
  absl::StatusOr<v1::Record> record = ReadRecord(ctx, id);
  if (!record.ok()) return ctx.SendError(record.status());
  // Re-shown by the language switch: the clerk's changes, on the version they were made to (a
  // newer one is then refused by the registry, as it would have been).
  FormValues values = FormFromRecord(AsRequest(*record), ctx.console().reference().offences());
  uint32_t version = record->metadata().version();
  std::string reason;
  if (ctx.restored()) {
    values = ValuesOf(ctx);
    reason = First(values, "reason");
    if (uint32_t sent = 0; absl::SimpleAtoi(First(values, "version"), &sent) && sent > 0) {
      version = sent;
    }
  }
  SendRecordForm(ctx, ctx.T("record.amend.title"), absl::StrCat("/records/", id, "/amend"), values,
                 {},
                 absl::StrCat(BansNotShown(ctx, AsRequest(*record)),
                              "<input type=\"hidden\" name=\"version\" value=\"", version,
                              "\">"),
                 ReasonInput(ctx, reason, ""), 200);
}

// The version an amend form was read at, from its hidden input; 0 when it holds none.
uint32_t SentVersion(const FormValues& values) {
  uint32_t version = 0;
  (void)absl::SimpleAtoi(First(values, "version"), &version);
  return version;
}

std::string VersionInput(uint32_t version) {
  return absl::StrCat("<input type=\"hidden\" name=\"version\" value=\"", version, "\">");
}

// The amend form with `errors` beside their inputs; the registry's words about the reason go
// beside the reason's input.
void SendAmendErrors(PageContext& ctx, const std::string& id, const FormValues& values,
                     std::vector<FieldError> errors, int status) {
  std::string reason_error;
  for (FieldError& error : errors) {
    if (error.input.empty() && absl::StartsWith(error.server_text, "reason")) {
      error.input = "reason";
      reason_error = ErrorText(ctx, error);
    }
  }
  const std::string reason(absl::StripAsciiWhitespace(First(values, "reason")));
  SendRecordForm(ctx, ctx.T("record.amend.title"), absl::StrCat("/records/", id, "/amend"),
                 values, errors, VersionInput(SentVersion(values)),
                 ReasonInput(ctx, reason, reason_error), status);
}

// The amend form with `box` (a refusal, or a registry not reached) above it, the clerk's changes
// in it as typed.
void SendAmendBox(PageContext& ctx, const std::string& id, const FormValues& values,
                  const std::string& box, int status) {
  const std::string reason(absl::StripAsciiWhitespace(First(values, "reason")));
  SendRecordForm(ctx, ctx.T("record.amend.title"), absl::StrCat("/records/", id, "/amend"),
                 values, {}, absl::StrCat(box, VersionInput(SentVersion(values))),
                 ReasonInput(ctx, reason, ""), status);
}

// What the console finds wrong with a correction of the record as read (`current`) into
// `changed`, once it has read it: nothing changed, or bans changed on a record that holds two of
// a kind (the form shows one of each). Found again from the record kept with a refused form.
std::vector<FieldError> CorrectionProblems(PageContext& ctx, const v1::Record& current,
                                           const v1::CreateRecordRequest& changed,
                                           google::protobuf::FieldMask* mask) {
  *mask = ChangedFields(AsRequest(current), changed, ctx.console().reference().offences());
  std::vector<FieldError> errors;
  const auto& paths = mask->paths();
  const std::vector<std::string> repeated = RepeatedBanKinds(AsRequest(current));
  if (paths.empty()) {
    errors.push_back({"", "record.amend.nothing", {}, ""});
  } else if (!repeated.empty() &&
             std::find(paths.begin(), paths.end(), "conviction.bans") != paths.end()) {
    for (const std::string& word : repeated) {
      errors.push_back({absl::StrCat("ban-", word), "record.amend.bans_not_shown", {}, ""});
    }
  }
  return errors;
}

// The names of the record as read (`current`) that a correction into `changed`, changing the
// fields of `mask`, removes: compared as registry-cli compares them (client/names_removed.h).
client::RemovedNames CorrectionRemoves(const v1::Record& current,
                                       const v1::CreateRecordRequest& changed,
                                       const google::protobuf::FieldMask& mask) {
  v1::AmendRecordRequest request;
  *request.mutable_update_mask() = mask;
  *request.mutable_person() = changed.person();
  return client::NamesRemoved(current.person(), request);
}

// The value of the box that says yes to the names a correction removes: those names, so that a
// box ticked under one list sends no correction that has since come to remove others.
std::string RemovalConfirmation(const client::RemovedNames& removed) {
  std::vector<std::string> names;
  if (removed.surname.has_value()) names.push_back(absl::StrCat("surname:", *removed.surname));
  for (const std::string& alias : removed.aliases) names.push_back(absl::StrCat("alias:", alias));
  return absl::StrJoin(names, "/");
}

// What stands above a correction that was not sent because it removes names: each of them, why
// that matters, and the box to tick to send it all the same.
std::string NamesRemovedBox(const PageContext& ctx, const client::RemovedNames& removed) {
  Input confirm;
  confirm.name = "remove-names";
  confirm.kind = Input::Kind::kCheckbox;
  confirm.value = RemovalConfirmation(removed);
  confirm.label = ctx.T("record.amend.remove_names");
  return absl::StrCat(
      "<div class=\"error-box\" role=\"alert\" tabindex=\"-1\" autofocus id=\"names-removed\">"
      "<h2>",
      ctx.T("record.amend.names_removed"), "</h2>", RemovedNameItems(ctx, removed), "<p>",
      ctx.T("record.amend.names_removed.why"), "</p>", RenderInput(ctx, confirm), "</div>");
}

// A correction refused after the registry was asked (the record's read, the amendment itself,
// "changed meanwhile" among them, or the console's findings once it has read the record) is
// answered by a redirect to a page of the session's (AmendRefused), as a refused record form is:
// a page answering the POST was sent again by a reload or the back button, one more audited read
// or amendment in the clerk's name each time. The form waits there as typed, with the record as
// read. A registry that was not reached refused nothing: the form comes back at once, to be sent
// again. The console's own findings before any call (months -5, a paragraph that is no number)
// are answered by a redirect too, the form's personal data kept out of the browser's history of
// what a POST answered; AmendRefused finds them again from the form.
void Amend(PageContext& ctx) {
  const std::string id = RecordId(ctx);
  const FormValues values = ValuesOf(ctx);
  std::vector<FieldError> errors;
  const v1::CreateRecordRequest changed = RecordFromForm(values, &errors);
  FormAnswer answer;
  answer.form = absl::StrCat("/records/", id, "/amend");
  answer.fields = FieldsOf(values);
  answer.http_status = 400;
  if (!errors.empty()) return KeepFormAnswer(ctx, std::move(answer), "/refused/");
  absl::StatusOr<v1::Record> current = ReadRecord(ctx, id);
  if (!current.ok() && RegistryUnreachable(current.status())) {
    return SendAmendBox(ctx, id, values, ctx.ErrorBox(current.status()),
                        HttpStatusOf(current.status()));
  }
  if (!current.ok()) {
    answer.refused = current.status();
    answer.http_status = HttpStatusOf(current.status());
    return KeepFormAnswer(ctx, std::move(answer), "/refused/");
  }
  v1::AmendRecordRequest request;
  errors = CorrectionProblems(ctx, *current, changed, request.mutable_update_mask());
  answer.record = *std::move(current);
  if (!errors.empty()) return KeepFormAnswer(ctx, std::move(answer), "/refused/");
  request.set_record_id(id);
  request.set_expected_version(SentVersion(values));
  // A correction that removes a name the record is found and linked by goes only with the
  // clerk's yes to those very names, as registry-cli's record amend asks for one: until then
  // the form comes back (AmendRefused) naming them.
  const client::RemovedNames removed =
      CorrectionRemoves(answer.record, changed, request.update_mask());
  if (!removed.empty()) {
    if (First(values, "remove-names") != RemovalConfirmation(removed)) {
      return KeepFormAnswer(ctx, std::move(answer), "/refused/");
    }
    // The yes was for the names of the version read.
    if (request.expected_version() == 0) {
      request.set_expected_version(answer.record.metadata().version());
    }
  }
  *request.mutable_person() = changed.person();
  *request.mutable_conviction() = changed.conviction();
  request.set_reason(std::string(absl::StripAsciiWhitespace(First(values, "reason"))));
  absl::StatusOr<v1::AmendRecordResponse> amended = ctx.registry().AmendRecord(request);
  if (amended.ok()) {
    // Every session's kept pages of the record showed it as it no longer is.
    ctx.console().ForgetRecord(id, /*expunged=*/false);
    std::string done = absl::StrCat("/records/", id, "?done=amended");
    if (!removed.empty()) {
      // The notice names them, from the session: a name goes into no address.
      FormAnswer said;
      said.form = absl::StrCat("/records/", id, "/names-removed");
      if (removed.surname.has_value()) said.fields.emplace_back("surname", *removed.surname);
      for (const std::string& alias : removed.aliases) said.fields.emplace_back("alias", alias);
      const std::string kept_id = RandomHex(16);
      {
        absl::MutexLock lock(&ctx.session().mu);
        ctx.session().form_answers.Add(kept_id, std::move(said), ctx.console().Now());
      }
      absl::StrAppend(&done, "&removed=", kept_id);
    }
    ctx.Redirect(done);
    return;
  }
  if (RegistryUnreachable(amended.status())) {
    return SendAmendBox(ctx, id, values, ctx.ErrorBox(amended.status()),
                        FailedCallStatus(amended.status(), 400));
  }
  answer.refused = amended.status();
  answer.http_status = FailedCallStatus(amended.status(), 400);
  KeepFormAnswer(ctx, std::move(answer), "/refused/");
}

// A correction refused, shown again from the session (Amend): the registry is not asked again.
// Its findings about fields beside them, the console's found again from the form and the record
// kept; any other refusal above the form, with the way on to the record as it is now when it
// changed meanwhile (the version sent is not the record's).
void AmendRefused(PageContext& ctx) {
  const std::string id = RecordId(ctx);
  std::optional<FormAnswer> answer = FindFormAnswer(ctx, absl::StrCat("/records/", id, "/amend"));
  if (!answer.has_value()) return ctx.SendLocalError("form.refused_gone", 404);
  const httplib::Request shown = ShownRequest(ctx, *answer);
  PageContext page(ctx.console(), shown, ctx.response(), ctx.session_ptr(), /*restored=*/true);
  page.set_language_back(ctx.request().path);
  const FormValues values = ValuesOf(answer->fields);
  std::vector<FieldError> own;
  const v1::CreateRecordRequest changed = RecordFromForm(values, &own);
  // The record as read is kept only when the read was answered: a refused read has none.
  const bool read = answer->record.ByteSizeLong() > 0;
  if (answer->refused.ok()) {
    // The form's own faults, found before anything was read; else what the record as read shows.
    if (!own.empty()) return SendAmendErrors(page, id, values, std::move(own), answer->http_status);
    google::protobuf::FieldMask mask;
    std::vector<FieldError> problems = CorrectionProblems(page, answer->record, changed, &mask);
    if (!problems.empty()) {
      return SendAmendErrors(page, id, values, std::move(problems), answer->http_status);
    }
    // Else it removes names, and waits for the clerk's yes to them (Amend).
    return SendAmendBox(page, id, values,
                        NamesRemovedBox(page, CorrectionRemoves(answer->record, changed, mask)),
                        answer->http_status);
  }
  if (read && (answer->refused.code() == absl::StatusCode::kInvalidArgument ||
               ConvictionRefusal(answer->refused))) {
    return SendAmendErrors(page, id, values,
                           ErrorsFromServer(answer->refused.message(), changed),
                           answer->http_status);
  }
  const std::string reread =
      answer->refused.code() == absl::StatusCode::kAborted
          ? absl::StrCat("<p><a id=\"reread\" href=\"/records/", id, "\">",
                         page.T("record.amend.reread"), "</a></p>")
          : "";
  SendAmendBox(page, id, values, absl::StrCat(page.ErrorBox(answer->refused), reread),
               answer->http_status);
}

// The dispute or resolution form of the record `id` alone, with `box` above it: the record's
// page holds the form, but that page reads the record first, which a registry that cannot be
// reached does not give, and the reason typed would be lost with it.
void SendStatusForm(PageContext& ctx, const std::string& id, bool dispute,
                    const std::string& reason, const std::string& error, const std::string& box,
                    int status) {
  const std::string action = dispute ? "dispute" : "resolve";
  ctx.SendPage(ctx.T(absl::StrCat("record.", action, ".title")),
               absl::StrCat(box, "<p>", ctx.T(absl::StrCat("record.", action, ".help")),
                            "</p><form method=\"post\" action=\"/records/", id, "/", action, "\">",
                            ctx.CsrfInput(), StatusReasonInput(ctx, reason, error),
                            "<div class=\"actions\"><button>",
                            ctx.T(absl::StrCat("record.", action, ".button")),
                            "</button> <a href=\"/records/", id, "\">", ctx.T("record.back"),
                            "</a></div></form>"),
               status);
}

void ChangeStatus(PageContext& ctx, bool dispute) {
  const std::string id = RecordId(ctx);
  const std::string reason(absl::StripAsciiWhitespace(ctx.Param("reason")));
  absl::StatusOr<v1::RecordStatusResponse> changed;
  if (dispute) {
    v1::DisputeRecordRequest request;
    request.set_record_id(id);
    request.set_reason(reason);
    changed = ctx.registry().DisputeRecord(request);
  } else {
    v1::ResolveDisputeRequest request;
    request.set_record_id(id);
    request.set_reason(reason);
    changed = ctx.registry().ResolveDispute(request);
  }
  if (!changed.ok() && RegistryUnreachable(changed.status())) {
    // A registry that was not reached refused nothing: the form comes back with the reason as
    // typed, to be sent again.
    return SendStatusForm(ctx, id, dispute, ctx.Param("reason"), "",
                          ctx.ErrorBox(changed.status()), FailedCallStatus(changed.status(), 400));
  }
  if (!changed.ok()) {
    // Refused: answered by a redirect to a page of the session's (StatusRefused), as a refused
    // expunging is, for a page answering the POST was sent again by a reload, one more audited
    // call in the clerk's name each time.
    FormAnswer answer;
    answer.form = absl::StrCat("/records/", id, dispute ? "/dispute" : "/resolve");
    answer.fields = {{"reason", ctx.Param("reason")}};
    answer.refused = changed.status();
    answer.http_status = ServerErrorFor(ctx, changed.status(), "reason").empty()
                             ? HttpStatusOf(changed.status())
                             : 400;
    return KeepFormAnswer(ctx, std::move(answer), "/refused/");
  }
  // Every session's kept pages of the record said its status as it no longer is.
  ctx.console().ForgetRecord(id, /*expunged=*/false);
  ctx.Redirect(absl::StrCat("/records/", id, "?done=", dispute ? "disputed" : "resolved"));
}

// A dispute or resolution refused, shown again from the session (ChangeStatus): a reason the
// registry refused beside it, for the clerk to correct, any other refusal above the form. The
// registry is not asked again.
void StatusRefused(PageContext& ctx, bool dispute) {
  const std::string id = RecordId(ctx);
  std::optional<FormAnswer> answer =
      FindFormAnswer(ctx, absl::StrCat("/records/", id, dispute ? "/dispute" : "/resolve"));
  if (!answer.has_value()) return ctx.SendLocalError("form.refused_gone", 404);
  const httplib::Request shown = ShownRequest(ctx, *answer);
  PageContext page(ctx.console(), shown, ctx.response(), ctx.session_ptr(), /*restored=*/true);
  page.set_language_back(ctx.request().path);
  const std::string reason_error = ServerErrorFor(page, answer->refused, "reason");
  SendStatusForm(page, id, dispute, page.Param("reason"), reason_error,
                 reason_error.empty() ? page.ErrorBox(answer->refused) : "",
                 answer->http_status);
}

// ---- expunging ----

// The expunge form of the record `id`. `record` is nullptr when it could not be read (the
// registry not reached): the form then cannot say whose record it is or name its case number,
// and says so; what the clerk typed is kept all the same, to be sent again. `going`: the ids
// of the other records the expunge would erase with it (the registry's dry run), each named.
void SendExpungeForm(PageContext& ctx, const std::string& id, const v1::Record* record,
                     const std::string& basis, const std::string& basis_error,
                     const std::string& confirmed, const std::string& confirm_error,
                     const std::string& box, int status,
                     const std::vector<std::string>& going = {}) {
  Input legal;
  legal.name = "legal_basis";
  legal.label = ctx.T("record.expunge.legal_basis");
  legal.hint = ctx.T("record.expunge.legal_basis.hint");
  legal.value = basis;
  legal.error = basis_error;
  legal.required = true;
  legal.size_class = "long";
  Input confirm;
  confirm.name = "confirm";
  confirm.value = confirmed;
  confirm.error = confirm_error;
  confirm.required = true;
  confirm.size_class = "medium";
  std::string whose;
  if (record != nullptr) {
    const v1::Person& p = record->person();
    const v1::Conviction& c = record->conviction();
    confirm.label = ctx.Tf("record.expunge.confirm", {{"case", Text(c.case_number())}});
    whose = ctx.Tf("record.expunge.whose",
                   {{"name", absl::StrCat(Text(p.given_name()), " ", Text(p.surname()))},
                    {"born", Text(p.birth_date())},
                    {"case", Text(c.case_number())},
                    {"court", CourtName(ctx, c)}});
  } else {
    confirm.label = ctx.T("record.expunge.confirm_unread");
    whose = ctx.T("record.expunge.unread");
  }
  for (const std::string& other : going) {
    absl::StrAppend(&whose, "</p><p id=\"erased-with-", Text(other), "\">",
                    ctx.Tf("record.expunge.goes_with", {{"id", Text(other)}}));
  }
  // What the clerk was shown goes back with the form, so the registry refuses an expunge that
  // would now erase anything else (ExpungeRecordRequest.erased_with_it_confirmed).
  const std::string shown_with = absl::StrCat(
      "<input type=\"hidden\" name=\"erased_with\" value=\"", Text(absl::StrJoin(going, ",")),
      "\">");
  ctx.SendPage(
      ctx.T("record.expunge.title"),
      absl::StrCat(box, "<div class=\"warning\"><p>", whose, "</p><p><strong>",
                   ctx.T("record.expunge.final"),
                   "</strong></p></div><form method=\"post\" action=\"/records/", id,
                   "/expunge\">", ctx.CsrfInput(), shown_with, RenderInput(ctx, legal),
                   RenderInput(ctx, confirm), "<div class=\"actions\"><button class=\"danger\">",
                   ctx.T("record.expunge.button"), "</button> <a href=\"/records/", id, "\">",
                   ctx.T("form.cancel"), "</a></div></form>"),
      status);
}

// The ids in the form's hidden erased_with field (SendExpungeForm): what the clerk was shown.
std::vector<std::string> ShownErasedWith(const PageContext& ctx) {
  return absl::StrSplit(ctx.Param("erased_with"), ',', absl::SkipEmpty());
}

// The other records an expunge of `id` would erase now, by the registry's dry run (audited,
// erasing nothing); the error box when it did not answer (then none are named).
std::string AskErasedWith(PageContext& ctx, const std::string& id,
                          std::vector<std::string>* going) {
  v1::ExpungeRecordRequest preview;
  preview.set_record_id(id);
  preview.set_dry_run(true);
  absl::StatusOr<v1::ExpungeRecordResponse> previewed = ctx.registry().ExpungeRecord(preview);
  going->clear();
  if (!previewed.ok()) return ctx.ErrorBox(previewed.status());
  for (const v1::ErasedWithRecord& other : previewed->records_erased_with_it()) {
    going->push_back(other.record_id());
  }
  return "";
}

// An expunging refused (by the console or the registry), shown again from the session: the
// record as it was read, the legal basis as typed, each problem beside its field; the registry is
// not asked again.
void ExpungeRefused(PageContext& ctx) {
  const std::string id = RecordId(ctx);
  const std::string form = absl::StrCat("/records/", id, "/expunge");
  std::optional<FormAnswer> answer = FindFormAnswer(ctx, form);
  if (!answer.has_value()) return ctx.SendLocalError("record.refused_gone", 404);
  const httplib::Request shown = ShownRequest(ctx, *answer);
  PageContext page(ctx.console(), shown, ctx.response(), ctx.session_ptr(), /*restored=*/true);
  page.set_language_back(ctx.request().path);
  // The record's read was refused: that refusal, as the POST had said it, with no form.
  if (answer->record.ByteSizeLong() == 0) {
    return page.SendError(answer->refused, answer->http_status);
  }
  std::string basis_error = ServerErrorFor(page, answer->refused, "legal_basis");
  if (answer->basis_missing) basis_error = page.T("record.expunge.basis_needed");
  // A legal basis the registry's gate would refuse, refused here with the confirmation (Expunge).
  if (const std::optional<FieldError> problem =
          LocalProblem(page, LocalRule::kLegalBasis, "legal_basis",
                       absl::StripAsciiWhitespace(page.Param("legal_basis")));
      answer->refused.ok() && !answer->basis_missing && problem.has_value()) {
    basis_error = ErrorText(page, *problem);
  }
  std::string box = basis_error.empty() && !answer->refused.ok() ? page.ErrorBox(answer->refused)
                                                                   : "";
  std::vector<std::string> going = ShownErasedWith(page);
  // What goes with it changed since the clerk was asked: the question is asked again, and the
  // form names what goes now.
  if (absl::IsAborted(answer->refused)) absl::StrAppend(&box, AskErasedWith(page, id, &going));
  // The confirmation comes back as typed, as the legal basis does, to be corrected.
  SendExpungeForm(page, id, &answer->record, page.Param("legal_basis"), basis_error,
                  page.Param("confirm"),
                  answer->confirmation_wrong ? page.T("record.expunge.mismatch") : "", box,
                  answer->http_status, going);
}

void ExpungeForm(PageContext& ctx) {
  const std::string id = RecordId(ctx);
  absl::StatusOr<v1::Record> record = ReadRecord(ctx, id);
  if (!record.ok()) return ctx.SendError(record.status());
  // An earlier conviction of the person that only this one keeps goes with it, for good: the
  // registry's dry run (audited, erasing nothing) names it before the clerk confirms. Unanswered,
  // the form says so above it rather than nothing.
  std::vector<std::string> going;
  const std::string box = AskErasedWith(ctx, id, &going);
  // The legal basis comes back after a language switch; the confirmation is typed again.
  SendExpungeForm(ctx, id, &*record, ctx.restored() ? ctx.Param("legal_basis") : "", "", "", "",
                  box, 200, going);
}

void Expunge(PageContext& ctx) {
  const std::string id = RecordId(ctx);
  const std::string basis(absl::StripAsciiWhitespace(ctx.Param("legal_basis")));
  const std::string typed(absl::StripAsciiWhitespace(ctx.Param("confirm")));
  const std::vector<std::string> going = ShownErasedWith(ctx);
  absl::StatusOr<v1::Record> record = ReadRecord(ctx, id);
  FormAnswer answer;
  answer.form = absl::StrCat("/records/", id, "/expunge");
  if (!record.ok() && !RegistryUnreachable(record.status())) {
    // The read refused (a record since expunged, another official's): answered by a redirect to
    // a page that says so (ExpungeRefused), as a refused expunging is; a reload of the POST's own
    // page read the record again, an audited read in the clerk's name each time. No form is
    // shown with it, so nothing typed is kept.
    answer.refused = record.status();
    answer.http_status = HttpStatusOf(record.status());
    return KeepFormAnswer(ctx, std::move(answer), "/refused/");
  }
  if (!record.ok()) {
    // Not reached: the form comes back with the legal basis and the confirmation as typed, and
    // the confirmation is checked against the record when it is sent again.
    return SendExpungeForm(ctx, id, nullptr, basis,
                           basis.empty() ? ctx.T("record.expunge.basis_needed") : "", typed, "",
                           ctx.ErrorBox(record.status()), FailedCallStatus(record.status(), 400),
                           going);
  }
  // The confirmation is typed, not clicked: the case number of this very record, so that an
  // erasure cannot be done by a slip of the hand or on the wrong record.
  // A refused form is answered by a redirect to a page of the session's (KeepFormAnswer), as the
  // expunging is: a page answering the POST itself was sent again by back and reload, and after
  // the record was expunged the registry, asked for it, answered NOT_FOUND (an audited read).
  answer.fields = {{"legal_basis", basis},
                   {"confirm", typed},
                   {"erased_with", absl::StrJoin(going, ",")}};
  answer.record = *record;
  answer.http_status = 400;
  // A legal basis the registry's gate would refuse is refused here, with the confirmation, in
  // one pass: sent, the refusal was an audited call, and the confirmation's problem came after.
  if (typed != record->conviction().case_number() || !LegalBasisShaped(basis)) {
    answer.basis_missing = basis.empty();
    answer.confirmation_wrong = typed != record->conviction().case_number();
    return KeepFormAnswer(ctx, std::move(answer), "/refused/");
  }
  v1::ExpungeRecordRequest request;
  request.set_record_id(id);
  request.set_legal_basis(basis);
  // The clerk confirmed the form as shown: with the records it named going with it, and no other
  // (none when it named none).
  request.set_confirms_erased_with_it(true);
  for (const std::string& other : going) request.add_erased_with_it_confirmed(other);
  absl::StatusOr<v1::ExpungeRecordResponse> expunged = ctx.registry().ExpungeRecord(request);
  if (!expunged.ok() && !RegistryUnreachable(expunged.status())) {
    answer.refused = expunged.status();
    answer.http_status = FailedCallStatus(expunged.status(), 400);
    return KeepFormAnswer(ctx, std::move(answer), "/refused/");
  }
  if (!expunged.ok()) {
    // A legal basis the registry refuses is shown beside it; anything else above the form. The
    // confirmation, right for this record, comes back too when the registry was not reached: it
    // refused nothing, and the same form may be sent again as it is.
    const std::string basis_error = ServerErrorFor(ctx, expunged.status(), "legal_basis");
    return SendExpungeForm(ctx, id, &*record, basis, basis_error,
                           RegistryUnreachable(expunged.status()) ? typed : "", "",
                           basis_error.empty() ? ctx.ErrorBox(expunged.status()) : "",
                           FailedCallStatus(expunged.status(), 400), going);
  }
  // Answered by a redirect, as every other change: a page answering the POST itself was sent
  // again by a reload, and the registry, asked for the record first, refused with NOT_FOUND
  // (an audited read). The record is gone, so its pages would say only that: home says it.
  std::vector<std::string> with;
  for (const v1::ErasedWithRecord& other : expunged->records_erased_with_it()) {
    with.push_back(other.record_id());
  }
  // Every session's kept pages that show the record, or one erased with it, go at once: a court's
  // read, a search's results, this clerk's refused expunge form (which names the person), were
  // shown again by Back and Reload after the erasure.
  ctx.console().ForgetRecord(id, /*expunged=*/true);
  for (const std::string& other : with) ctx.console().ForgetRecord(other, /*expunged=*/true);
  {
    absl::MutexLock lock(&ctx.session().mu);
    ctx.session().expunged.Add(id, std::move(with), ctx.console().Now());
  }
  ctx.Redirect(absl::StrCat("/?done=expunged&record_id=", id));
}

// ---- searching ----

std::string ResultsTable(const PageContext& ctx, const google::protobuf::RepeatedPtrField<v1::Record>& records,
                         const std::string& caption) {
  std::string rows;
  for (const v1::Record& record : records) {
    const v1::Person& p = record.person();
    const v1::Conviction& c = record.conviction();
    const std::string& id = record.metadata().record_id();
    const std::string links =
        IsRecordId(id)
            ? absl::StrCat(
                  OpenRecordControl(ctx, absl::StrCat("/records/", id),
                                    absl::StrCat(ctx.T("search.view"), "<span class=\"vh\"> ",
                                                 Text(p.given_name()), " ", Text(p.surname()),
                                                 "</span>")),
                  " · ",
                  OpenRecordControl(ctx, absl::StrCat("/records/", id, "/history"),
                                    ctx.T("search.history")))
            : "";
    absl::StrAppend(&rows, "<tr><td>", Text(p.surname()), ", ", Text(p.given_name()),
                    "</td><td class=\"nowrap\">", Text(p.birth_date()),
                    "</td><td class=\"nowrap\">", Text(p.personal_number()), "</td><td>",
                    CourtName(ctx, c), "</td><td class=\"nowrap\">", Text(c.case_number()),
                    "</td><td>", StatusName(ctx, record.metadata().status()),
                    "</td><td>", links, "</td></tr>");
  }
  return absl::StrCat("<div class=\"table-scroll\">"
                      "<table class=\"results\"><caption>", caption,
                      "</caption><thead><tr><th scope=\"col\">",
                      ctx.T("search.col.name"), "</th><th scope=\"col\">", ctx.T("field.birth-date"),
                      "</th><th scope=\"col\">", ctx.T("field.personal-number"), "</th><th scope=\"col\">",
                      ctx.T("field.court"), "</th><th scope=\"col\">", ctx.T("field.case-number"),
                      "</th><th scope=\"col\">", ctx.T("record.status"), "</th><th scope=\"col\">",
                      ctx.T("search.col.open"), "</th></tr></thead><tbody>", rows,
                      "</tbody></table></div>");
}

// The request field each input of the search form fills, for the registry's errors.
const std::vector<std::pair<std::string, std::string>>& SearchInputs() {
  // The paths into the request's purpose are built: written whole they would read as catalog
  // keys ("purpose." starts the purpose form's keys), which the catalog test finds in the code.
  const auto purpose = [](absl::string_view field) { return absl::StrCat("purpose.", field); };
  static const auto* inputs = new std::vector<std::pair<std::string, std::string>>{
      {"case_ref", purpose("case_reference")},   {"purpose", purpose("purpose_code")},
      {"personal-number", "personal_number"}, {"surname", "name.surname"},
      {"given-name", "name.given_name"},      {"birth-date", "name.birth_date"}};
  return *inputs;
}

// What the registry's refusal of a search says about each input of the form, as ServerErrorFor
// words it, by input.
std::map<std::string, std::string> SearchErrors(const PageContext& ctx,
                                                const absl::Status& refused) {
  std::map<std::string, std::string> errors;
  for (const auto& [input, field] : SearchInputs()) {
    std::string error = ServerErrorFor(ctx, refused, field);
    if (!error.empty()) errors[input] = std::move(error);
  }
  return errors;
}

// The results of a search, under their heading.
std::string ResultsSection(const PageContext& ctx, const v1::SearchRecordsResponse& found) {
  std::string results = absl::StrCat("<section aria-labelledby=\"results-h\" id=\"results\"><h2 id=\"results-h\">",
                                     ctx.T("search.results"), "</h2>");
  // More records match than the registry sent: said before the table, as registry-cli says it
  // before its list, and the caption says they are the first ones (it had said "100 matching
  // records", with the notice only after every row).
  const std::string shown = absl::StrCat(found.records_size());
  if (found.more_records()) {
    absl::StrAppend(&results, "<div class=\"warning\" id=\"more-records\"><p>",
                    ctx.Tf("search.more", {{"n", shown}}), "</p></div>");
  }
  if (found.records().empty()) {
    absl::StrAppend(&results, "<p class=\"none\">", ctx.T("search.no_exact"), "</p>");
  } else {
    absl::StrAppend(&results,
                    ResultsTable(ctx, found.records(),
                                 ctx.Tf(found.more_records() ? "search.exact_more" : "search.exact",
                                        {{"n", shown}})));
  }
  if (!found.possible_matches().empty()) {
    absl::StrAppend(&results, "<div class=\"warning\"><p>", ctx.T("search.possible.help"), "</p></div>",
                    ResultsTable(ctx, found.possible_matches(),
                                 ctx.Tf("search.possible", {{"n", absl::StrCat(found.possible_matches_size())}})));
    if (found.more_possible_matches()) {
      absl::StrAppend(&results, "<div class=\"warning\" id=\"more-possible\"><p>",
                      ctx.Tf("search.more", {{"n", absl::StrCat(found.possible_matches_size())}}),
                      "</p></div>");
    }
  }
  absl::StrAppend(&results, "</section>");
  return results;
}

// `problem`: what is said of the whole form (escaped); `errors`: by input, beside it; `summary`:
// the form's problems listed above it, each linked to its input.
void SendSearch(PageContext& ctx, const std::string& results, const std::string& problem,
                const std::string& purpose_error, int status,
                const std::map<std::string, std::string>& errors = {},
                const std::vector<std::pair<std::string, std::string>>& summary = {}) {
  const auto error_of = [&](const std::string& name) {
    auto it = errors.find(name);
    return it == errors.end() ? std::string() : it->second;
  };
  const auto text = [&](const std::string& name, const std::string& label_key, bool date) {
    Input input = PersonalInput(ctx, name, label_key);
    input.error = error_of(name);
    if (date) {
      input.hint = ctx.T("form.date_hint");
      input.size_class = "date";
      input.inputmode = "numeric";
    }
    return RenderInput(ctx, input);
  };
  const bool court = ctx.who().role() == v1::ROLE_COURT;
  ctx.SendPage(
      ctx.T("search.title"),
      absl::StrCat(
          // Said of the whole form: the box takes the focus, as ErrorBox's does.
          problem.empty() ? ""
                          : absl::StrCat("<div class=\"error-box\" role=\"alert\" tabindex=\"-1\" "
                                         "autofocus><p>",
                                         problem, "</p></div>"),
          ErrorSummary(ctx, summary, "form.fix"),
          "<form method=\"post\" action=\"/search\" class=\"search\">", ctx.CsrfInput(),
          court ? PurposeInputs(ctx, purpose_error.empty() ? error_of("purpose") : purpose_error,
                                error_of("case_ref"))
                : "",
          "<fieldset><legend>", ctx.T("search.by_number"), "</legend>",
          text("personal-number", "field.personal-number", false), "</fieldset><fieldset><legend>",
          ctx.T("search.by_name"), "</legend><p class=\"hint\">", ctx.T("search.by_name.hint"),
          "</p>", text("surname", "field.surname", false), text("given-name", "field.given-name", false),
          text("birth-date", "field.birth-date", true), "</fieldset><div class=\"actions\"><button class=\"primary\" id=\"search-button\">",
          ctx.T("search.button"), "</button></div></form>", results),
      status);
}

void SearchForm(PageContext& ctx) { SendSearch(ctx, "", "", "", 200); }

// The search form's fields, kept to show it again filled in.
std::vector<std::pair<std::string, std::string>> SearchFields(const PageContext& ctx) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (const char* name :
       {"personal-number", "surname", "given-name", "birth-date", "case_ref", "purpose"}) {
    const std::string value = ctx.Param(name);
    if (!value.empty()) fields.emplace_back(name, value);
  }
  return fields;
}

// A search the console refuses itself, nothing sent: what is said of the whole form (escaped),
// by input what is said beside it, and the list above the form. The search's POST keeps the form
// and redirects (SearchRefused finds these again from it).
struct SearchProblems {
  std::string problem;
  std::map<std::string, std::string> errors;
  std::vector<std::pair<std::string, std::string>> summary;
  bool any() const { return !problem.empty() || !errors.empty(); }
};

SearchProblems FindSearchProblems(PageContext& ctx) {
  const auto typed = [&](const char* name) {
    return !absl::StripAsciiWhitespace(ctx.Param(name)).empty();
  };
  const char* const names[] = {"surname", "given-name", "birth-date"};
  const bool number = typed("personal-number");
  const bool any_name = std::any_of(std::begin(names), std::end(names), typed);
  SearchProblems found;
  if (number && any_name) {
    // Two ways of asking at once: the names were silently not used, a match by the number shown
    // under them. Refused, as registry-cli refuses --personal-number with --surname, beside each
    // field typed, which the form keeps.
    found.problem = ctx.T("search.both_ways");
    found.errors["personal-number"] = ctx.T("search.both_ways.field");
    for (const char* input : names) {
      if (typed(input)) found.errors[input] = ctx.T("search.both_ways.field");
    }
  } else if (!number && any_name) {
    // A name search with a field left empty: "required" beside each empty one, each linked from
    // the list above the form, as the purpose form says a missing purpose.
    found.summary.emplace_back("", ctx.T("search.need_query"));
    for (const char* input : names) {
      if (typed(input)) continue;
      found.errors[input] = ctx.T("rule.required");
      found.summary.emplace_back(input, absl::StrCat(ctx.T(absl::StrCat("field.", input)), ": ",
                                                     ctx.T("rule.required")));
    }
  } else if (!number) {
    found.problem = ctx.T("search.need_query");
  }
  // What the console can tell is wrong with the fields themselves, all at once: the registry's
  // gate refuses a misshapen case reference before it looks at anything else, so a search with
  // an impossible date as well learned of it only from a second refused, audited call.
  std::vector<std::pair<const char*, LocalRule>> rules;
  if (ctx.who().role() == v1::ROLE_COURT) {
    rules = {{"case_ref", LocalRule::kReference}, {"purpose", LocalRule::kRequired}};
  }
  if (number) rules.emplace_back("personal-number", LocalRule::kPersonalNumber);
  if (typed("birth-date")) rules.emplace_back("birth-date", LocalRule::kBirthDate);
  static const auto* labels = new std::map<std::string, std::string>{
      {"case_ref", "purpose.case_ref"},   {"purpose", "purpose.code"},
      {"personal-number", "field.personal-number"}, {"birth-date", "field.birth-date"}};
  std::vector<FieldError> problems;
  for (const auto& [input, rule] : rules) {
    if (found.errors.count(input) > 0) continue;
    std::optional<FieldError> problem =
        LocalProblem(ctx, rule, input, absl::StripAsciiWhitespace(ctx.Param(input)));
    if (problem.has_value()) problems.push_back(*std::move(problem));
  }
  PlaceProblems(ctx, problems, *labels, &found.errors, &found.summary);
  return found;
}

void Search(PageContext& ctx) {
  v1::SearchRecordsRequest request;
  const std::string number(absl::StripAsciiWhitespace(ctx.Param("personal-number")));
  const std::string surname(absl::StripAsciiWhitespace(ctx.Param("surname")));
  const std::string given(absl::StripAsciiWhitespace(ctx.Param("given-name")));
  const std::string birth(absl::StripAsciiWhitespace(ctx.Param("birth-date")));
  if (FindSearchProblems(ctx).any()) {
    // Refused here, nothing sent; answered by a redirect to the refused form's page, as the
    // registry's refusals are, so that the browser keeps no page a POST answered with what was
    // typed about a person, to be sent again by Back.
    FormAnswer answer;
    answer.form = "/search";
    answer.fields = SearchFields(ctx);
    answer.http_status = 400;
    return KeepFormAnswer(ctx, std::move(answer), "/refused/");
  }
  if (!number.empty()) {
    request.set_personal_number(number);
  } else {
    request.mutable_name()->set_surname(surname);
    request.mutable_name()->set_given_name(given);
    request.mutable_name()->set_birth_date(birth);
  }
  if (ctx.who().role() == v1::ROLE_COURT) *request.mutable_purpose() = PurposeOf(ctx);
  absl::StatusOr<v1::SearchRecordsResponse> found = ctx.registry().SearchRecords(request);
  if (!found.ok() && RegistryUnreachable(found.status())) {
    // Not reached, nothing was refused: the form comes back as typed, to be sent again.
    return SendSearch(ctx, ctx.ErrorBox(found.status()), "", "",
                      FailedCallStatus(found.status(), 400));
  }
  if (!found.ok()) {
    // Refused: answered by a redirect to a page of the session's (SearchRefused), as the results
    // are, for a page answering the POST was sent again by a reload or the back button, one more
    // audited search in the official's name each time.
    FormAnswer answer;
    answer.form = "/search";
    answer.fields = SearchFields(ctx);
    answer.refused = found.status();
    answer.http_status = FailedCallStatus(found.status(), 400);
    return KeepFormAnswer(ctx, std::move(answer), "/refused/");
  }
  // The answer is not this POST's page but one the browser is sent to (POST-redirect-GET), as a
  // vetting check's: going back to the results from a record, or reloading them, shows what was
  // found without searching again (a search is an audited call in the official's name, made again
  // only when they press the button). The address holds a random id only; the answer and the
  // form's fields (to show it filled in, and a court's purpose for each read) wait in the
  // session, and end with it.
  SearchResult kept;
  kept.found = *std::move(found);
  kept.fields = SearchFields(ctx);
  const std::string id = RandomHex(16);
  {
    absl::MutexLock lock(&ctx.session().mu);
    ctx.session().searches.Add(id, std::move(kept), ctx.console().Now());
  }
  ctx.Redirect(absl::StrCat("/search/results/", id));
}

// A search's results, kept in the session by the search's POST: the form filled in as it was
// sent, and what the registry found. The registry is not asked again; an id this session does not
// hold (another session's, one forgotten) is not found.
void SearchResults(PageContext& ctx) {
  const std::string id = ctx.request().matches[1];
  std::optional<SearchResult> kept;
  absl::Time read_at;
  {
    absl::MutexLock lock(&ctx.session().mu);
    if (const SearchResult* found =
            ctx.session().searches.Find(id, ctx.console().Now(), &read_at)) {
      kept = *found;
    }
  }
  if (!kept.has_value()) return ctx.SendLocalError("search.gone", 404);
  // The page as the search's form had filled it: its fields, from the session, go into the page's
  // own request as a form's body would (never into an address), as the language switch re-shows a
  // form (Console::ShowPage).
  httplib::Request shown = ctx.request();
  shown.params.clear();
  for (const auto& [name, value] : kept->fields) shown.params.emplace(name, value);
  PageContext page(ctx.console(), shown, ctx.response(), ctx.session_ptr(), /*restored=*/true);
  // The switch re-reads this page in the new language, from the session; nothing typed goes
  // into its form.
  page.set_language_back(absl::StrCat("/search/results/", id));
  // When the registry answered, never "now": the form above, filled in, searches again.
  SendSearch(page,
             absl::StrCat("<div class=\"notice\" id=\"read-at\"><p>",
                          page.Tf("search.results_at", {{"time", ReadTime(read_at)}}),
                          "</p></div>", ResultsSection(page, kept->found)),
             "", "", 200);
}

// A search refused, shown again from the session: the refusal above the form, and each field it
// names (a case reference, a date) beside that field's input, as the vetting form shows them; or
// the problems the console found itself. The registry is not asked again.
void SearchRefused(PageContext& ctx) {
  std::optional<FormAnswer> answer = FindFormAnswer(ctx, "/search");
  if (!answer.has_value()) return ctx.SendLocalError("form.refused_gone", 404);
  const httplib::Request shown = ShownRequest(ctx, *answer);
  PageContext page(ctx.console(), shown, ctx.response(), ctx.session_ptr(), /*restored=*/true);
  page.set_language_back(ctx.request().path);
  if (answer->refused.ok()) {
    // Refused by the console itself (Search): its problems found again from the form.
    const SearchProblems found = FindSearchProblems(page);
    return SendSearch(page, "", found.problem, "", answer->http_status, found.errors,
                      found.summary);
  }
  SendSearch(page, page.ErrorBox(answer->refused), "", "", answer->http_status,
             SearchErrors(page, answer->refused));
}

// ---- a data subject's request ----

// `refused`: the registry's refusal, whose problems with a field of the request (a personal
// number, a request reference) are shown beside the input that fills it, in the page's language
// where the catalogs know the rule, as the search and the vetting check show theirs.
// `local`: the problems the console found itself, by input (SubjectProblems), instead.
void SendSubject(PageContext& ctx, const std::string& box, const std::string& results,
                 int status, const absl::Status& refused = absl::OkStatus(),
                 const std::map<std::string, std::string>& local = {}) {
  const auto error_of = [&](const std::string& input, absl::string_view field) {
    auto it = local.find(input);
    return it != local.end() ? it->second : ServerErrorFor(ctx, refused, field);
  };
  Input number = PersonalInput(ctx, "personal-number", "field.personal-number");
  number.required = true;
  number.error = error_of("personal-number", "personal_number");
  Input reference =
      ParamInput(ctx, "request_ref", "subject.request_ref", "subject.request_ref.hint");
  reference.required = true;
  reference.error = error_of("request_ref", "request_reference");
  ctx.SendPage(ctx.T("subject.title"),
               absl::StrCat(box, "<p>", ctx.T("subject.intro"),
                            "</p><form method=\"post\" action=\"/subject\">",
                            ctx.CsrfInput(), RenderInput(ctx, number), RenderInput(ctx, reference),
                            "<div class=\"actions\"><button class=\"primary\">", ctx.T("subject.button"),
                            "</button></div></form>", results),
               status);
}

void SubjectForm(PageContext& ctx) { SendSubject(ctx, "", "", 200); }

// Whether the console refuses a data subject's request itself: the registry's gate refuses a
// request reference it cannot log (or none) before it looks at anything else, and the clerk
// would learn of the form's other problems only from a second refused, audited call.
bool SubjectRefusedHere(const PageContext& ctx) {
  return !ReferenceShaped(absl::StripAsciiWhitespace(ctx.Param("request_ref")));
}

// The request form with every problem the console finds in it (LocalProblem) beside its input
// and listed above the form.
void SendSubjectProblems(PageContext& ctx, int status) {
  std::vector<FieldError> problems;
  for (const auto& [input, rule] : {std::pair{"personal-number", LocalRule::kPersonalNumber},
                                    std::pair{"request_ref", LocalRule::kReference}}) {
    std::optional<FieldError> problem =
        LocalProblem(ctx, rule, input, absl::StripAsciiWhitespace(ctx.Param(input)));
    if (problem.has_value()) problems.push_back(*std::move(problem));
  }
  std::map<std::string, std::string> beside;
  std::vector<std::pair<std::string, std::string>> summary;
  PlaceProblems(ctx, problems,
                {{"personal-number", "field.personal-number"},
                 {"request_ref", "subject.request_ref"}},
                &beside, &summary);
  SendSubject(ctx, ErrorSummary(ctx, summary, "form.fix"), "", status, absl::OkStatus(), beside);
}

void SendSubjectChecks(PageContext& ctx, const v1::ListChecksAboutPersonResponse& checks);

void Subject(PageContext& ctx) {
  // Answered by a redirect to a page of the session's, refusal or not: a page answering the POST
  // was sent again by a reload or the back button, which repeated the audited call in the
  // clerk's name with the person's number.
  FormAnswer answer;
  answer.form = "/subject";
  for (const char* name : {"personal-number", "request_ref"}) {
    answer.fields.emplace_back(name, ctx.Param(name));
  }
  // Refused here, nothing sent: SubjectAnswer finds the problems again from the form.
  if (SubjectRefusedHere(ctx)) {
    answer.http_status = 400;
    return KeepFormAnswer(ctx, std::move(answer), "/answers/");
  }
  v1::ListChecksAboutPersonRequest request;
  request.set_personal_number(std::string(absl::StripAsciiWhitespace(ctx.Param("personal-number"))));
  request.set_request_reference(std::string(absl::StripAsciiWhitespace(ctx.Param("request_ref"))));
  // The person is owed the whole history: every page, the largest the registry gives (each page
  // is a call audited under the request's reference).
  request.set_page_size(1000);
  absl::StatusOr<v1::ListChecksAboutPersonResponse> checks =
      ctx.registry().ListChecksAboutPerson(request);
  while (checks.ok() && !checks->next_page_token().empty()) {
    // A registry that hands back the token it was given would keep this going for ever.
    if (checks->next_page_token() == request.page_token()) {
      checks = absl::DataLossError("the registry returned the same page token again");
      break;
    }
    request.set_page_token(checks->next_page_token());
    absl::StatusOr<v1::ListChecksAboutPersonResponse> page =
        ctx.registry().ListChecksAboutPerson(request);
    if (!page.ok()) {
      checks = page.status();
      break;
    }
    for (v1::CheckSummary& check : *page->mutable_checks()) {
      *checks->add_checks() = std::move(check);
    }
    checks->set_next_page_token(page->next_page_token());
  }
  if (checks.ok()) {
    answer.checks = *std::move(checks);
  } else {
    answer.refused = checks.status();
    answer.http_status = FailedCallStatus(checks.status(), 400);
  }
  KeepFormAnswer(ctx, std::move(answer), "/answers/");
}

// A data subject's request as its POST answered it, from the session: the form filled in as sent,
// and the checks found or the registry's refusal. The registry is not asked again.
void SubjectAnswer(PageContext& ctx) {
  std::optional<FormAnswer> answer = FindFormAnswer(ctx, "/subject");
  if (!answer.has_value()) return ctx.SendLocalError("subject.gone", 404);
  const httplib::Request shown = ShownRequest(ctx, *answer);
  PageContext page(ctx.console(), shown, ctx.response(), ctx.session_ptr(), /*restored=*/true);
  page.set_language_back(ctx.request().path);
  if (!answer->refused.ok()) {
    return SendSubject(page, page.ErrorBox(answer->refused), "", answer->http_status,
                       answer->refused);
  }
  if (SubjectRefusedHere(page)) return SendSubjectProblems(page, answer->http_status);
  SendSubjectChecks(page, answer->checks);
}

void SendSubjectChecks(PageContext& ctx, const v1::ListChecksAboutPersonResponse& checks) {
  std::string rows;
  for (const v1::CheckSummary& check : checks.checks()) {
    std::string outcome;
    if (check.result_withheld()) {
      outcome = ctx.T("subject.withheld");
    } else if (check.status_code() == 0 && check.asked_under_another_number()) {
      outcome = check.result() == v1::VETTING_RESULT_REFER ? ctx.T("subject.other_number_refer")
                                                           : ctx.T("subject.other_number");
    } else if (check.status_code() != 0) {
      outcome = ctx.Tf("subject.refused",
                       {{"code", Escape(absl::StatusCodeToString(
                                     static_cast<absl::StatusCode>(check.status_code())))}});
    } else {
      outcome = ResultName(ctx, check.result());
    }
    absl::StrAppend(&rows, "<tr><td class=\"nowrap\">", Text(check.checked_at()), "</td><td>",
                    Text(check.organisation()), "</td><td>", Text(check.requester()), "</td><td>",
                    PositionName(ctx, check.position_category()), "</td><td>", outcome,
                    "</td></tr>");
  }
  const std::string results =
      checks.checks().empty()
          ? absl::StrCat("<p class=\"none\" id=\"results\">", ctx.T("subject.none"), "</p>")
          : absl::StrCat("<div class=\"table-scroll\">"
                         "<table class=\"results\" id=\"results\"><caption>",
                         ctx.Tf("subject.count", {{"n", absl::StrCat(checks.checks_size())}}),
                         "</caption><thead><tr><th scope=\"col\">", ctx.T("subject.col.date"),
                         "</th><th scope=\"col\">", ctx.T("subject.col.organisation"),
                         "</th><th scope=\"col\">", ctx.T("subject.col.requester"),
                         "</th><th scope=\"col\">", ctx.T("subject.col.position"),
                         "</th><th scope=\"col\">", ctx.T("subject.col.outcome"),
                         "</th></tr></thead><tbody>", rows, "</tbody></table></div>");
  SendSubject(ctx, "", results, 200);
}

}  // namespace

void AddRecordPages(Console&,
                    const std::function<void(std::string, std::string, Roles, PageHandler)>& add) {
  const Roles clerk = {v1::ROLE_CLERK};
  const Roles readers = {v1::ROLE_CLERK, v1::ROLE_COURT};
  const Roles court = {v1::ROLE_COURT};
  const std::string record = "/records/([0-9a-f]{32})";
  add("GET", "/records/new", clerk, NewRecordForm);
  add("POST", "/records/new", clerk, CreateRecord);
  add("GET", "/records/new/refused/([0-9a-f]{32})", clerk, NewRecordRefused);
  add("POST", "/records/open", clerk, OpenRecord);
  add("GET", "/records/open/refused/([0-9a-f]{32})", clerk, OpenRecordRefused);
  add("GET", record, readers, ViewRecord);
  add("POST", record, court, ViewRecord);  // a court's read: the purpose it sends
  add("GET", record + "/history", readers, History);
  add("POST", record + "/history", court, History);
  // The pages a court's read redirects to (KeepCourtRead).
  add("GET", record + "/read/([0-9a-f]{32})", court,
      [](PageContext& ctx) { CourtReadPage(ctx, false); });
  add("GET", record + "/history/read/([0-9a-f]{32})", court,
      [](PageContext& ctx) { CourtReadPage(ctx, true); });
  // The pages a court's refused read redirects to (PurposeRefused).
  add("GET", record + "/refused/([0-9a-f]{32})", court,
      [](PageContext& ctx) { PurposeRefusedPage(ctx, false); });
  add("GET", record + "/history/refused/([0-9a-f]{32})", court,
      [](PageContext& ctx) { PurposeRefusedPage(ctx, true); });
  add("GET", record + "/amend", clerk, AmendForm);
  add("POST", record + "/amend", clerk, Amend);
  add("GET", record + "/amend/refused/([0-9a-f]{32})", clerk, AmendRefused);
  add("POST", record + "/dispute", clerk, [](PageContext& ctx) { ChangeStatus(ctx, true); });
  add("POST", record + "/resolve", clerk, [](PageContext& ctx) { ChangeStatus(ctx, false); });
  // The pages a refused dispute or resolution redirects to (ChangeStatus).
  add("GET", record + "/dispute/refused/([0-9a-f]{32})", clerk,
      [](PageContext& ctx) { StatusRefused(ctx, true); });
  add("GET", record + "/resolve/refused/([0-9a-f]{32})", clerk,
      [](PageContext& ctx) { StatusRefused(ctx, false); });
  add("GET", record + "/expunge", clerk, ExpungeForm);
  add("POST", record + "/expunge", clerk, Expunge);
  add("GET", "/search", readers, SearchForm);
  add("POST", "/search", readers, Search);
  add("GET", "/search/results/([0-9a-f]{32})", readers, SearchResults);
  add("GET", "/search/refused/([0-9a-f]{32})", readers, SearchRefused);
  add("GET", "/subject", clerk, SubjectForm);
  add("POST", "/subject", clerk, Subject);
  // The pages a data subject's request and a refused expunging redirect to (KeepFormAnswer).
  add("GET", "/subject/answers/([0-9a-f]{32})", clerk, SubjectAnswer);
  add("GET", record + "/expunge/refused/([0-9a-f]{32})", clerk, ExpungeRefused);
}

}  // namespace registry::console

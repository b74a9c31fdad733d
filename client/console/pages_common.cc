// The pages every role has (home, the language switch) and the parts the other pages share.
#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "client/choices.h"
#include "client/console/html.h"
#include "client/console/pages.h"
#include "client/record_fields.h"
#include "client/option_parser.h"
#include "client/record_format.h"
#include "common/reference_text.h"
#include "common/time_format.h"
#include "httplib.h"

namespace registry::console {

Input ParamInput(const PageContext& ctx, const std::string& name, const std::string& label_key,
                 const std::string& hint_key) {
  Input input;
  input.name = name;
  input.label = ctx.T(label_key);
  if (!hint_key.empty()) input.hint = ctx.T(hint_key);
  input.value = ctx.Param(name);
  return input;
}

Input PersonalInput(const PageContext& ctx, const std::string& name, const std::string& label_key,
                    const std::string& hint_key) {
  Input input = ParamInput(ctx, name, label_key, hint_key);
  if (!ctx.fields_in_body()) input.value.clear();
  return input;
}

Input ParamSelect(const PageContext& ctx, const std::string& name, const std::string& label_key,
                  const std::string& placeholder_key) {
  Input input = ParamInput(ctx, name, label_key);
  input.kind = Input::Kind::kSelect;
  input.placeholder = ctx.T(placeholder_key);
  return input;
}

std::string RenderInput(const PageContext& ctx, const Input& input) {
  const std::string id = Escape(input.name);
  std::vector<std::string> described;
  std::string extra;
  if (!input.hint.empty()) {
    described.push_back(id + "-hint");
    extra += absl::StrCat("<p class=\"hint\" id=\"", id, "-hint\">", input.hint, "</p>");
  }
  if (!input.error.empty()) {
    described.push_back(id + "-error");
    extra += absl::StrCat("<p class=\"field-error\" id=\"", id, "-error\"><span class=\"vh\">",
                          ctx.T("form.error_prefix"), " </span>", input.error, "</p>");
  }
  std::string attributes;
  if (!described.empty()) {
    absl::StrAppend(&attributes, " aria-describedby=\"", absl::StrJoin(described, " "), "\"");
  }
  if (!input.error.empty()) absl::StrAppend(&attributes, " aria-invalid=\"true\"");
  if (input.required) absl::StrAppend(&attributes, " required");
  const std::string required_mark =
      input.required ? absl::StrCat(" <span class=\"req\">(", ctx.T("form.required"), ")</span>")
                     : "";
  std::string control;
  switch (input.kind) {
    case Input::Kind::kText:
      control = absl::StrCat("<input type=\"text\" id=\"", id, "\" name=\"", id, "\" value=\"",
                             Escape(input.value), "\" autocomplete=\"", input.autocomplete, "\"",
                             input.inputmode.empty()
                                 ? ""
                                 : absl::StrCat(" inputmode=\"", input.inputmode, "\""),
                             input.size_class.empty()
                                 ? ""
                                 : absl::StrCat(" class=\"", input.size_class, "\""),
                             attributes, ">");
      break;
    case Input::Kind::kTextarea:
      control = absl::StrCat("<textarea id=\"", id, "\" name=\"", id, "\" rows=\"3\"", attributes,
                             ">", Escape(input.value), "</textarea>");
      break;
    case Input::Kind::kSelect: {
      std::string options;
      if (!input.placeholder.empty()) {
        absl::StrAppend(&options, "<option value=\"\">", input.placeholder, "</option>");
      }
      const auto option = [&](const std::string& value, const std::string& label) {
        absl::StrAppend(&options, "<option value=\"", Escape(value), "\"",
                        input.in_english.count(value) > 0 ? " lang=\"en\"" : "",
                        value == input.value ? " selected" : "", ">", label, "</option>");
      };
      const auto group_of = [&](const std::string& value) {
        const auto it = input.option_groups.find(value);
        return it == input.option_groups.end() ? std::string() : it->second;
      };
      std::set<std::string> groups_shown;
      for (const auto& [value, label] : input.options) {
        const std::string group = group_of(value);
        if (group.empty()) {
          option(value, label);
          continue;
        }
        if (!groups_shown.insert(group).second) continue;
        absl::StrAppend(&options, "<optgroup label=\"", group, "\">");
        for (const auto& [other, other_label] : input.options) {
          if (group_of(other) == group) option(other, other_label);
        }
        absl::StrAppend(&options, "</optgroup>");
      }
      control = absl::StrCat("<select id=\"", id, "\" name=\"", id, "\"", attributes, ">",
                             options, "</select>");
      break;
    }
    case Input::Kind::kCheckbox:
      return absl::StrCat("<div class=\"field check", input.error.empty() ? "" : " invalid",
                          "\" id=\"field-", id, "\"><input type=\"checkbox\" id=\"", id,
                          "\" name=\"", id, "\" value=\"", Escape(input.value), "\"",
                          input.checked ? " checked" : "", attributes,
                          "> <label for=\"", id, "\">", input.label, "</label>", extra, "</div>");
  }
  return absl::StrCat("<div class=\"field", input.error.empty() ? "" : " invalid",
                      "\" id=\"field-", id, "\"><label for=\"", id, "\">", input.label,
                      required_mark, "</label>", extra, control, "</div>");
}

std::string ErrorSummary(const PageContext& ctx,
                         const std::vector<std::pair<std::string, std::string>>& errors,
                         const std::string& heading_key) {
  if (errors.empty()) return "";
  std::string items;
  for (const auto& [input, text] : errors) {
    if (input.empty()) {
      absl::StrAppend(&items, "<li>", text, "</li>");
    } else {
      absl::StrAppend(&items, "<li><a href=\"#", Escape(input), "\">", text, "</a></li>");
    }
  }
  return absl::StrCat("<div class=\"error-box\" role=\"alert\" tabindex=\"-1\" "
                      "id=\"error-summary\"><h2>",
                      ctx.T(heading_key), "</h2><ul>", items, "</ul></div>");
}

std::string ErrorText(const PageContext& ctx, const FieldError& error) {
  std::string text;
  if (!error.key.empty()) {
    std::vector<std::pair<std::string, std::string>> values;
    for (const auto& [name, value] : error.values) {
      if (error.key == "rule.conviction_conflict" && name == "fields") {
        // The fields the stored record differs in, by the labels the form shows them with.
        std::vector<std::string> labels;
        for (absl::string_view words : absl::StrSplit(value, ", ")) {
          const std::string key = FieldLabelKey(words);
          labels.push_back(key.empty() ? std::string(words) : ctx.Raw(key));
        }
        values.emplace_back(name, Text(absl::StrJoin(labels, ", ")));
        continue;
      }
      values.emplace_back(name, Text(value));
    }
    text = ctx.Tf(error.key, values);
  } else {
    text = absl::StrCat("<span lang=\"en\">", Text(error.server_text), "</span>");
  }
  if (error.note_key.empty()) return text;
  // An amendment's note on a field it left as it was, with the fields it changed by the labels
  // the form shows them with (a field the console has none for, in the registry's words).
  std::vector<std::string> fields;
  for (const NoteField& field : error.note_fields) {
    fields.push_back(field.label_key.empty() ? field.words : ctx.Raw(field.label_key));
  }
  return absl::StrCat(text, " ",
                      ctx.Tf(error.note_key, {{"fields", Text(absl::StrJoin(fields, ", "))}}));
}

std::string ServerErrorFor(const PageContext& ctx, const absl::Status& status,
                           absl::string_view field) {
  // The gate says a missing purpose or reference with FAILED_PRECONDITION ("purpose.case_reference
  // is required"): that too is the field's, to be filled in beside it.
  const bool missing = status.code() == absl::StatusCode::kFailedPrecondition &&
                       status.message() == absl::StrCat(field, " is required");
  if (status.code() != absl::StatusCode::kInvalidArgument && !missing) return "";
  std::vector<std::string> texts;
  for (const std::string& part : client::SplitServerProblems(status.message())) {
    if (client::FieldOfMessage(part) != field) continue;
    absl::string_view rule = absl::string_view(part).substr(field.size());
    if (absl::StartsWith(rule, " is required")) {
      rule = "required";
    } else {
      absl::ConsumePrefix(&rule, ": ");
    }
    FieldError error;
    error.input = std::string(field);
    std::tie(error.key, error.values) = RuleKey(rule);
    error.server_text = std::string(rule);
    texts.push_back(ErrorText(ctx, error));
  }
  return absl::StrJoin(texts, " ");
}

std::optional<FieldError> LocalProblem(PageContext& ctx, LocalRule rule,
                                       const std::string& input, absl::string_view value) {
  std::string said;  // the rule broken, as the registry says it
  if (value.empty()) {
    said = rule == LocalRule::kBirthDate ? "required, a date YYYY-MM-DD" : "required";
  } else if (rule == LocalRule::kReference) {
    if (!ReferenceShaped(value)) said = ReferenceRuleFor(value);
  } else if (rule == LocalRule::kLegalBasis) {
    if (!LegalBasisShaped(value)) said = LegalBasisRuleFor(value);
  } else if (rule == LocalRule::kPersonalNumber) {
    // The registry's format (its pattern) is its own; a space or a character no personal number
    // has is wrong whatever the pattern.
    const std::string problem = client::PersonalNumberProblem(value);
    if (!problem.empty()) {
      return FieldError{input, "rule.personal_number_chars", {}, problem, "", {}};
    }
  } else if (rule == LocalRule::kBirthDate) {
    const absl::StatusOr<absl::CivilDay> day = ParseDate(value);
    if (!day.ok()) {
      said = "must be a real date YYYY-MM-DD from 1900-01-01";
    } else if (*day >= absl::ToCivilDay(ctx.console().Now(), absl::UTCTimeZone())) {
      said = "must be before today";
    }
  }
  if (said.empty()) return std::nullopt;
  FieldError error;
  error.input = input;
  std::tie(error.key, error.values) = RuleKey(said);
  error.server_text = said;
  return error;
}

void PlaceProblems(const PageContext& ctx, const std::vector<FieldError>& problems,
                   const std::map<std::string, std::string>& label_keys,
                   std::map<std::string, std::string>* beside,
                   std::vector<std::pair<std::string, std::string>>* summary) {
  for (const FieldError& problem : problems) {
    const std::string text = ErrorText(ctx, problem);
    (*beside)[problem.input] = text;
    auto label = label_keys.find(problem.input);
    summary->emplace_back(problem.input, label == label_keys.end()
                                             ? text
                                             : absl::StrCat(ctx.T(label->second), ": ", text));
  }
}

namespace {

// The text of `language` of an entry's pair of translations; empty when it has none in it.
const std::string& Translated(const PageContext& ctx, const std::string& sq,
                              const std::string& sr) {
  static const std::string* const kNone = new std::string();
  const std::string& code = ctx.language().code;
  return code == "sq" ? sq : code == "sr" ? sr : *kNone;
}

ReferenceName NameIn(const std::string& translated, const std::string& english) {
  if (translated.empty()) return {english, true};
  return {translated, false};
}

}  // namespace

ReferenceName OffenceTitle(const PageContext& ctx, const v1::OffenceEntry& entry) {
  return NameIn(Translated(ctx, entry.title_sq(), entry.title_sr()), entry.title());
}

ReferenceName CourtTitle(const PageContext& ctx, const v1::CourtEntry& court) {
  return NameIn(Translated(ctx, court.name_sq(), court.name_sr()), court.name());
}

std::string OffenceText(const PageContext& ctx, const OffenceTable& offences,
                        const v1::Offence& offence) {
  // As the registry finds an offence's entry: the paragraph's own, else the whole article's.
  const v1::OffenceEntry* entry = nullptr;
  for (const uint32_t paragraph : {offence.paragraph(), 0u}) {
    for (const v1::OffenceEntry& e : offences) {
      if (entry == nullptr && e.law() == offence.law() && e.article() == offence.article() &&
          e.paragraph() == paragraph) {
        entry = &e;
      }
    }
  }
  // A record without a title names an offence the registry's table does not: none is made up.
  if (entry != nullptr && !offence.title().empty()) {
    const ReferenceName title = OffenceTitle(ctx, *entry);
    if (!title.in_english) {
      v1::Offence named = offence;
      named.set_title(title.text);
      return Escape(client::FormatOffence(named));
    }
  }
  return absl::StrCat("<span lang=\"en\">", Escape(client::FormatOffence(offence)), "</span>");
}

std::string CourtName(const PageContext& ctx, const v1::Conviction& conviction) {
  if (conviction.court_id() == "foreign") {
    return ctx.Tf("court.foreign_named", {{"court", Text(conviction.foreign_court())},
                                          {"country", Text(conviction.foreign_country())}});
  }
  // The name in the page's language where the reference data has it (the console reads it for
  // clerks and courts); otherwise the record's English.
  if (!conviction.court_name().empty()) {
    const v1::GetReferenceDataResponse reference = ctx.console().reference();
    for (const v1::CourtEntry& court : reference.courts()) {
      if (court.id() != conviction.court_id()) continue;
      const ReferenceName name = CourtTitle(ctx, court);
      if (name.in_english) break;
      v1::Conviction named;
      named.set_court_id(conviction.court_id());
      named.set_court_name(name.text);
      return Escape(client::FormatCourt(named));
    }
  }
  return absl::StrCat("<span lang=\"en\">", Escape(client::FormatCourt(conviction)), "</span>");
}

std::string PositionName(const PageContext& ctx, const std::string& code) {
  const std::string key = absl::StrCat("position.", code);
  const std::string name = ctx.Raw(key);
  // The code once when the catalog says nothing else: "teacher", not "teacher (teacher)".
  if (name == absl::StrCat("[", key, "]") || name == code) return Text(code);
  return absl::StrCat(ctx.T(key), " (", Text(code), ")");
}

std::string StatusName(const PageContext& ctx, v1::RecordStatus status) {
  return ctx.T(absl::StrCat("status_name.", client::RecordStatusName(status)));
}

std::string ResultCode(v1::VettingResult result) {
  switch (result) {
    case v1::VETTING_RESULT_CLEAR:
      return "CLEAR";
    case v1::VETTING_RESULT_NOT_CLEAR:
      return "NOT_CLEAR";
    case v1::VETTING_RESULT_REFER:
      return "REFER";
    default:
      return "UNSPECIFIED";
  }
}

std::string ResultName(const PageContext& ctx, v1::VettingResult result) {
  return ctx.T(absl::StrCat("result.", absl::AsciiStrToLower(ResultCode(result))));
}

bool IsRecordId(absl::string_view id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::vector<RecordRow> RecordRows(const PageContext& ctx, const v1::Record& record) {
  const v1::Person& p = record.person();
  const v1::Conviction& c = record.conviction();
  const v1::RecordMetadata& m = record.metadata();
  std::vector<RecordRow> rows;
  const auto add = [&](const char* key, std::string value, bool bookkeeping = false) {
    rows.push_back({ctx.T(key), std::move(value), bookkeeping});
  };
  const auto texts = [](const google::protobuf::RepeatedPtrField<std::string>& items) {
    std::vector<std::string> escaped;
    for (const std::string& item : items) escaped.push_back(Text(item));
    return absl::StrJoin(escaped, ", ");
  };
  add("field.surname", Text(p.surname()));
  add("field.given-name", Text(p.given_name()));
  add("field.father-name", Text(p.father_name()));
  add("field.alias", texts(p.aliases()));
  add("field.sex", p.sex() == v1::SEX_FEMALE ? ctx.T("sex.female")
                   : p.sex() == v1::SEX_MALE ? ctx.T("sex.male")
                                             : "");
  add("field.birth-date", Text(p.birth_date()));
  add("field.birth-place", Text(p.birth_place()));
  add("field.citizenship", texts(p.citizenships()));
  add("field.personal-number", Text(p.personal_number()));
  add("field.address", Text(p.last_known_address()));
  add("field.court", CourtName(ctx, c));
  add("field.case-number", Text(c.case_number()));
  add("field.judgment-date", Text(c.judgment_date()));
  add("field.final-date", Text(c.final_date()));
  std::vector<std::string> offences;
  const v1::GetReferenceDataResponse reference = ctx.console().reference();
  for (const v1::Offence& offence : c.offences()) {
    offences.push_back(OffenceText(ctx, reference.offences(), offence));
  }
  add("field.offence", absl::StrJoin(offences, "<br>"));
  std::string sentence;
  const std::string word = client::SentenceTypeWord(c.sentence().type());
  if (!word.empty()) sentence = ctx.T(absl::StrCat("sentence.", word));
  if (c.sentence().months() > 0) {
    absl::StrAppend(&sentence, ", ",
                    ctx.Tf("sentence.months", {{"n", absl::StrCat(c.sentence().months())}}));
  }
  add("field.sentence", sentence);
  std::vector<std::string> bans;
  for (const v1::AccessoryBan& ban : c.bans()) {
    const std::string ban_word = client::BanTypeWord(ban.type());
    std::string text = ban_word.empty() ? Text(v1::BanType_Name(ban.type()))
                                        : ctx.T(absl::StrCat("ban.", ban_word));
    absl::StrAppend(&text, " — ",
                    ban.end_date().empty() ? ctx.T("ban.for_life")
                                           : ctx.Tf("ban.until", {{"date", Text(ban.end_date())}}));
    bans.push_back(text);
  }
  add("field.ban", absl::StrJoin(bans, "<br>"));
  add("field.release-date", Text(c.release_date()));
  add("field.suspension-end-date", Text(c.suspension_end_date()));
  add("field.juvenile", c.juvenile() ? ctx.T("form.yes") : ctx.T("form.no"));
  // The status is part of what a version changes (a dispute), so it is compared like content.
  add("record.status", StatusName(ctx, m.status()));
  add("record.id", absl::StrCat("<code>", Text(m.record_id()), "</code>"), true);
  add("record.version", absl::StrCat(m.version()), true);
  add("record.created", ctx.Tf("record.by_at", {{"who", Text(m.created_by())},
                                                 {"when", Text(m.created_at())}}),
      true);
  add("record.updated", ctx.Tf("record.by_at", {{"who", Text(m.updated_by())},
                                                 {"when", Text(m.updated_at())}}),
      true);
  add("record.visible_until", Text(m.employer_visible_until()), true);
  rows.back().dates = true;
  add("record.delete_after", Text(m.delete_after()), true);
  rows.back().dates = true;
  return rows;
}

std::string RecordTable(const PageContext& ctx, const v1::Record& record,
                        const std::string& caption) {
  std::string rows;
  for (const RecordRow& row : RecordRows(ctx, record)) {
    absl::StrAppend(&rows, "<tr", row.bookkeeping ? " class=\"meta\"" : "", "><th scope=\"row\">",
                    row.label, "</th><td>", row.value, "</td></tr>");
  }
  return absl::StrCat("<div class=\"table-scroll\"><table class=\"record\"><caption>", caption,
                      "</caption>", rows, "</table></div>");
}

std::string OpenRecordForm(const PageContext& ctx, const std::string& error) {
  Input id;
  id.name = "id";
  id.label = ctx.T("home.open_record");
  id.hint = ctx.T("home.open_record.hint");
  id.error = error;
  // What was typed comes back only from a form's body, never from an address.
  if (ctx.fields_in_body()) id.value = ctx.Param("id");
  id.size_class = "long";
  return absl::StrCat("<form method=\"post\" action=\"/records/open\" class=\"inline\">",
                      ctx.CsrfInput(), RenderInput(ctx, id), "<button>", ctx.T("home.open"),
                      "</button></form>");
}

namespace {

void Home(PageContext& ctx) {
  struct Task {
    v1::Role role;
    const char* path;
    const char* key;
  };
  const std::vector<Task> tasks = {
      {v1::ROLE_CLERK, "/records/new", "home.clerk.new"},
      {v1::ROLE_CLERK, "/search", "home.clerk.search"},
      {v1::ROLE_CLERK, "/import", "home.clerk.import"},
      {v1::ROLE_CLERK, "/subject", "home.clerk.subject"},
      {v1::ROLE_COURT, "/search", "home.court.search"},
      {v1::ROLE_VETTING, "/vetting", "home.vetting.check"},
      {v1::ROLE_AUDITOR, "/audit", "home.auditor.events"},
      {v1::ROLE_AUDITOR, "/audit/verify", "home.auditor.verify"},
      {v1::ROLE_AUDITOR, "/audit/export", "home.auditor.export"},
      {v1::ROLE_ADMIN, "/admin", "home.admin.backups"},
      {v1::ROLE_ADMIN, "/admin/rotate-keys", "home.admin.rotate"},
  };
  std::string list;
  for (const Task& task : tasks) {
    if (task.role == ctx.who().role()) {
      absl::StrAppend(&list, "<li><a href=\"", task.path, "\">", ctx.T(task.key), "</a></li>");
    }
  }
  // An expunging is answered by a redirect here (the record has no page left): its notice, with
  // the record's id when this session expunged that record. An address made up elsewhere
  // (another record's id) says nothing.
  std::string body;
  if (ctx.Param("done") == "expunged") {
    const std::string id = ctx.Param("record_id");
    std::optional<std::vector<std::string>> with;
    if (IsRecordId(id)) {
      absl::MutexLock lock(&ctx.session().mu);
      const std::vector<std::string>* found =
          ctx.session().expunged.Find(id, ctx.console().Now());
      if (found != nullptr) with = *found;
    }
    if (with.has_value()) {
      absl::StrAppend(&body, "<div class=\"notice\" role=\"status\" id=\"expunged\"><p>",
                      ctx.Tf("record.expunged.text", {{"id", Text(id)}}), "</p>");
      // The records the registry erased with it went for good too: the clerk is told.
      for (const std::string& other : *with) {
        absl::StrAppend(&body, "<p id=\"erased-with-", Text(other), "\">",
                        ctx.Tf("record.expunged.with",
                               {{"id", Text(other)}, {"expunged", Text(id)}}),
                        "</p>");
      }
      absl::StrAppend(&body, "</div>");
    }
  }
  const std::string role = ctx.T(absl::StrCat("role.", RoleKey(ctx.who().role())));
  absl::StrAppend(&body, "<p>", ctx.Tf("home.you_are", {{"role", role}}), "</p>");
  if (list.empty()) {
    absl::StrAppend(&body, "<p>", ctx.T("home.nothing"), "</p>");
  } else {
    absl::StrAppend(&body, "<ul class=\"tasks\">", list, "</ul>");
  }
  if (ctx.who().role() == v1::ROLE_CLERK) absl::StrAppend(&body, OpenRecordForm(ctx, ""));
  ctx.SendPage(ctx.T("home.title"), body);
}

void SetLanguage(PageContext& ctx) {
  const std::string wanted = ctx.Param("lang");
  {
    absl::MutexLock lock(&ctx.session().mu);
    ctx.session().language = LanguageOrDefault(wanted).code;
  }
  // Back to the page the switch was on (PageContext::SendPage says which); only an address of
  // this console.
  std::string back = ctx.Param("back");
  if (!IsConsoleAddress(back)) back = "/";
  // A page a POST made: its form's fields came back in this body ("keep." and the field's name),
  // and the form is shown again, filled in, in the new language. This answer is that page, not a
  // redirect: the fields would otherwise have to go into an address or the session.
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& [name, value] : ctx.request().params) {
    absl::string_view field = name;
    if (absl::ConsumePrefix(&field, "keep.") && field != "csrf") {
      fields.emplace_back(std::string(field), value);
    }
  }
  // The form's page: `back` names it, or, when the page's script carried what was typed in a
  // form and not yet sent, the form's action (console.js).
  if (!fields.empty() && back.find('?') == std::string::npos &&
      ctx.console().ShowPage(ctx, ctx.console().PageOfForm(back), std::move(fields))) {
    return;
  }
  ctx.Redirect(back);
}

}  // namespace

void AddCommonPages(Console&,
                    const std::function<void(std::string, std::string, Roles, PageHandler)>& add) {
  add("GET", "/", {}, Home);
  add("POST", "/language", {}, SetLanguage);
}

std::string ReadTime(absl::Time read_at) {
  return absl::FormatTime("%H:%M:%S", read_at, absl::UTCTimeZone());
}

// Keeps `answer` in the session under a new id and redirects to its page, `answer.form` +
// `infix` + the id: what the form's POST answers, so that a reload or the back button shows the
// page again and does not send the form again (nor repeat its audited call). For kKeptAnswerLife:
// it holds what was typed about a person, and the registry's answer of then.
void KeepFormAnswer(PageContext& ctx, FormAnswer answer, absl::string_view infix) {
  const std::string id = RandomHex(16);
  const std::string address = absl::StrCat(answer.form, infix, id);
  {
    absl::MutexLock lock(&ctx.session().mu);
    ctx.session().form_answers.Add(id, std::move(answer), ctx.console().Now());
  }
  ctx.Redirect(address);
}

// The answer kept under the id in the address (the route's last group) for the form `form`; none
// for an id this session does not hold, or holds for another form, or kept too long ago.
std::optional<FormAnswer> FindFormAnswer(PageContext& ctx, const std::string& form) {
  const std::string id = ctx.request().matches[ctx.request().matches.size() - 1];
  absl::MutexLock lock(&ctx.session().mu);
  const FormAnswer* found = ctx.session().form_answers.Find(id, ctx.console().Now());
  if (found == nullptr || found->form != form) return std::nullopt;
  return *found;
}

// The request of a page that shows a kept form again: its fields, from the session, go into the
// page's own request as a form's body would (never into an address), as SearchResults does.
httplib::Request ShownRequest(const PageContext& ctx, const FormAnswer& answer) {
  httplib::Request shown = ctx.request();
  shown.params.clear();
  for (const auto& [name, value] : answer.fields) shown.params.emplace(name, value);
  return shown;
}

}  // namespace registry::console

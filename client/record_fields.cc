#include "client/record_fields.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "client/option_parser.h"
#include "client/terminal_text.h"
#include "common/country_codes.h"
#include "common/record_limits.h"
#include "common/suggest.h"
#include "common/time_format.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace registry::client {
namespace {

namespace v1 = registry::v1;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

std::vector<RecordField> BuildFields() {
  using K = FieldKind;
  // flag, path, mask path, value name, help, question, kind, required, repeatable
  return {
      {"surname", "person.surname", "person.surname", "S", "surname", "Surname", K::kText, true},
      {"given-name", "person.given_name", "person.given_name", "G", "given name", "Given name",
       K::kText, true},
      {"father-name", "person.father_name", "person.father_name", "F", "father's name",
       "Father's name", K::kText},
      {"alias", "person.aliases", "person.aliases", "NAME",
       "another surname used: maiden, earlier married (once per name, at most 10)",
       "Other surname used (maiden, earlier married)", K::kText, false, true},
      {"sex", "person.sex", "person.sex", "female|male", "sex (female or male; f or m will do)",
       "Sex (female/male, or f/m)", K::kSex, true},
      {"birth-date", "person.birth_date", "person.birth_date", "YYYY-MM-DD", "date of birth",
       "Date of birth (YYYY-MM-DD)", K::kDate, true},
      {"birth-place", "person.birth_place", "person.birth_place", "PLACE", "place of birth",
       "Place of birth", K::kText},
      {"citizenship", "person.citizenships", "person.citizenships", "CC",
       "citizenship, ISO 3166-1 alpha-2 code such as XK (once per citizenship)",
       "Citizenship (e.g. XK)", K::kCountry, false, true},
      {"personal-number", "person.personal_number", "person.personal_number", "N",
       "personal number", "Personal number", K::kPersonalNumber, true},
      {"address", "person.last_known_address", "person.last_known_address", "ADDRESS",
       "last known address", "Last known address", K::kText},
      {"court", "conviction.court_id", "conviction.court_id", "COURT",
       "the convicting court's id (\"foreign\" for a court abroad)", "Court", K::kCourt, true},
      {"foreign-court", "conviction.foreign_court", "conviction.foreign_court", "NAME",
       "with --court foreign: the court's name", "Name of the court abroad", K::kText},
      {"foreign-country", "conviction.foreign_country", "conviction.foreign_country", "CC",
       "with --court foreign: the court's country, e.g. DE", "Its country (e.g. DE)", K::kCountry},
      {"case-number", "conviction.case_number", "conviction.case_number", "CASE",
       "the court's case number, e.g. \"P 123/2024\"", "Case number (e.g. P 123/2024)", K::kText,
       true},
      {"judgment-date", "conviction.judgment_date", "conviction.judgment_date", "YYYY-MM-DD",
       "date of the judgment", "Date of the judgment (YYYY-MM-DD)", K::kDate, true},
      {"final-date", "conviction.final_date", "conviction.final_date", "YYYY-MM-DD",
       "date the judgment became final", "Date it became final (YYYY-MM-DD)", K::kDate, true},
      {"offence", "conviction.offences", "conviction.offences", "LAW:ARTICLE:PARAGRAPH",
       "an offence, e.g. 06/L-074:230:1 (paragraph 0: the whole article; once per offence)",
       "Offence", K::kOffence, true, true},
      {"sentence", "conviction.sentence.type", "conviction.sentence", "TYPE",
       "imprisonment, life_imprisonment, suspended, fine, juvenile_measure or other",
       "Sentence (imprisonment, life_imprisonment, suspended, fine, juvenile_measure, other)",
       K::kSentenceType, true},
      {"months", "conviction.sentence.months", "conviction.sentence", "N",
       "length of imprisonment, 1..600, or of a suspended sentence, 1..24", "Length in months", K::kMonths},
      {"ban", "conviction.bans", "conviction.bans", "TYPE:END",
       "accessory ban: work_with_children, contact_with_victim or profession, with its end "
       "date YYYY-MM-DD or none for life, e.g. profession:none (once per ban)",
       "Ban (work_with_children, contact_with_victim or profession; :END_DATE, or :none for life)",
       K::kBan, false, true},
      {"release-date", "conviction.release_date", "conviction.release_date", "YYYY-MM-DD",
       "date of release from prison", "Date of release (YYYY-MM-DD)", K::kDate},
      {"suspension-end-date", "conviction.suspension_end_date", "conviction.suspension_end_date",
       "YYYY-MM-DD",
       "end of a suspended sentence's verification period, 1..5 years after the final date",
       "End of the verification period (YYYY-MM-DD)", K::kDate},
      {"juvenile", "conviction.juvenile", "conviction.juvenile", "true|false",
       "convicted as a juvenile", "Convicted as a juvenile", K::kBool},
  };
}

// The field at `path` below the request: its descriptor and the message holding it (created on
// the way when `mutable_request`), or nullptr.
const FieldDescriptor* Resolve(absl::string_view path, const Message& request,
                               Message* mutable_request, const Message** holder,
                               Message** mutable_holder) {
  std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  const Message* current = &request;
  Message* mutable_current = mutable_request;
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* field = current->GetDescriptor()->FindFieldByName(std::string(parts[i]));
    if (field == nullptr) return nullptr;
    if (i + 1 == parts.size()) {
      *holder = current;
      if (mutable_holder != nullptr) *mutable_holder = mutable_current;
      return field;
    }
    if (mutable_current != nullptr) {
      mutable_current = mutable_current->GetReflection()->MutableMessage(mutable_current, field);
      current = mutable_current;
    } else {
      current = &current->GetReflection()->GetMessage(*current, field);
    }
  }
  return nullptr;
}

bool ParseWholeNumber(absl::string_view text, uint32_t min, uint32_t max, uint32_t* out) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), absl::ascii_isdigit)) return false;
  uint32_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < min || value > max) return false;
  *out = value;
  return true;
}

std::string MonthsRule() {
  return absl::StrCat("not a whole number of months, 1..", kMaxSentenceMonths);
}

// A whole number of months over the registry's limit ("601") is said to be over it: "not a whole
// number of months, 1..600" told of one read as a doubt about its digits.
std::string MonthsOverRule() {
  return absl::StrCat("over the ", kMaxSentenceMonths, " months the registry takes (",
                      kMaxSentenceMonths / 12, " years)");
}

// The rule `text`, typed for the months, breaks.
std::string MonthsRule(absl::string_view text) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), absl::ascii_isdigit)) {
    return MonthsRule();
  }
  uint32_t months = 0;
  // Digits past what the number holds are over the limit too.
  if (!absl::SimpleAtoi(text, &months) || months > kMaxSentenceMonths) return MonthsOverRule();
  // 0 is no length: a sentence without one (life imprisonment, a fine) takes the months empty,
  // which "1..600" did not say to a clerk recording life imprisonment.
  if (months == 0) {
    return absl::StrCat("0 is no length: 1..", kMaxSentenceMonths,
                        " months for imprisonment or a suspended sentence; leave the months "
                        "empty for life imprisonment and the other sentences");
  }
  return MonthsRule();
}

// `value` of a field of `kind` in the case the registry writes it, whatever case it was typed
// or written in: country codes and laws in capitals ("xk" is XK, "06/l-074" is 06/L-074), a
// court's id in small letters ([a-z0-9-]: "Basic-Prizren" is basic-prizren); other values as
// they are. One function for the options, the questions and record files (NormaliseRecordCase).
std::string InRegistryCase(FieldKind kind, absl::string_view value) {
  switch (kind) {
    case FieldKind::kCountry:
    case FieldKind::kOffence:
      return absl::AsciiStrToUpper(value);
    case FieldKind::kCourt:
      return absl::AsciiStrToLower(value);
    default:
      return std::string(value);
  }
}

// "" for a country code as the registry takes it for `field` (two capital letters naming a
// country; for a court abroad, not Kosovo's); else the rule, in the registry's words for two
// letters that name none (UnknownCountryCodeRule), so that `record create --interactive` asks
// again at the question. A court abroad's country is never XK: what is said of it suggests no
// code the registry refuses there (YU was told "such as RS, ME or XK", and XK then refused).
std::string CountryProblem(const RecordField& field, absl::string_view code) {
  const bool abroad = field.path == "conviction.foreign_country";
  if (!IsCountryCodeShaped(code)) {
    return abroad ? "not a two-letter country code such as AL"
                  : "not a two-letter country code such as XK";
  }
  if (abroad) {
    // The registry's words (server/record_validation.cc ForeignCountryProblem).
    if (code == "XK") {
      return "XK is Kosovo: a court abroad is given its own country's code (a court of Kosovo is "
             "one of the registry's courts, not foreign)";
    }
    // The codes whose hint names XK are said without it (common/country_codes.h), as the
    // registry says them.
    return IsCountryCode(code) ? "" : UnknownForeignCountryCodeRule(code);
  }
  return IsCountryCode(code) ? "" : UnknownCountryCodeRule(code);
}

// Reads one typed value of `field` into `request`; what is wrong otherwise, in words that do not
// repeat the value (see FieldProblem).
std::string ApplyOne(const RecordField& field, absl::string_view raw,
                     v1::CreateRecordRequest* request) {
  const absl::string_view value = absl::StripAsciiWhitespace(raw);
  // Said by the field's name ("--set address: not valid UTF-8"): protobuf would log the field and
  // send the bytes all the same.
  if (!IsWellFormedUtf8(value)) return std::string(kValueNotUtf8);
  if (field.kind == FieldKind::kText) {
    if (std::string problem = IsNameField(field) ? InvisibleCharacterProblem(value)
                                                 : TextInvisibleCharacterProblem(value);
        !problem.empty()) {
      return problem;
    }
  }
  v1::Person& person = *request->mutable_person();
  v1::Conviction& conviction = *request->mutable_conviction();
  switch (field.kind) {
    case FieldKind::kSex: {
      const std::string word = absl::AsciiStrToLower(value);
      if (word.empty()) {
        person.set_sex(v1::SEX_UNSPECIFIED);
      } else if (word == "female" || word == "f") {
        person.set_sex(v1::SEX_FEMALE);
      } else if (word == "male" || word == "m") {
        person.set_sex(v1::SEX_MALE);
      } else {
        return "not female or male";
      }
      return "";
    }
    case FieldKind::kSentenceType: {
      if (value.empty()) {
        conviction.mutable_sentence()->set_type(v1::SENTENCE_TYPE_UNSPECIFIED);
        return "";
      }
      auto type = SentenceTypes().find(absl::AsciiStrToLower(value));
      if (type == SentenceTypes().end()) {
        return "not imprisonment, life_imprisonment, suspended, fine, juvenile_measure or other";
      }
      conviction.mutable_sentence()->set_type(type->second);
      return "";
    }
    case FieldKind::kMonths: {
      uint32_t months = 0;
      // The registry takes a length only for imprisonment and a suspended sentence, and then
      // 1..600 (1..24 suspended): no length is no value, not 0.
      if (!value.empty() && !ParseWholeNumber(value, 1, kMaxSentenceMonths, &months)) {
        return MonthsRule(value);
      }
      conviction.mutable_sentence()->set_months(months);
      return "";
    }
    case FieldKind::kOffence: {
      const std::vector<absl::string_view> parts = absl::StrSplit(value, ':');
      uint32_t article = 0;
      uint32_t paragraph = 0;
      if ((parts.size() != 2 && parts.size() != 3) || parts[0].empty() ||
          !ParseWholeNumber(parts[1], 1, kMaxArticle, &article) ||
          (parts.size() == 3 && !ParseWholeNumber(parts[2], 0, kMaxParagraph, &paragraph))) {
        return absl::StrCat("not LAW:ARTICLE:PARAGRAPH, e.g. 06/L-074:230:1 (article 1..",
                            kMaxArticle, ", paragraph 0..", kMaxParagraph, ")");
      }
      v1::Offence* offence = conviction.add_offences();
      // A law is numbered in capitals ("06/L-074"): "06/l-074" typed is the same law, as the
      // other choices are taken in any case.
      offence->set_law(InRegistryCase(field.kind, parts[0]));
      offence->set_article(article);
      offence->set_paragraph(paragraph);
      return "";
    }
    case FieldKind::kBan: {
      const std::pair<absl::string_view, absl::string_view> parts =
          absl::StrSplit(value, absl::MaxSplits(':', 1));
      auto type = BanTypes().find(absl::AsciiStrToLower(parts.first));
      if (type == BanTypes().end()) {
        return "not work_with_children, contact_with_victim or profession";
      }
      // "TYPE:none", as the help says, is a ban for life (no end date). "TYPE" alone (or
      // "TYPE:") was taken for one too, silently: a ban whose end was forgotten is not one for
      // life, so the clerk says which.
      if (absl::StripAsciiWhitespace(parts.second).empty()) {
        const std::string word = absl::AsciiStrToLower(parts.first);
        return absl::StrCat("no end date: write ", word, ":YYYY-MM-DD, or ", word,
                            ":none for a ban for life");
      }
      const absl::string_view end =
          absl::AsciiStrToLower(parts.second) == "none" ? absl::string_view() : parts.second;
      if (!end.empty()) {
        if (std::string problem = DateProblem(end); !problem.empty()) {
          return absl::StrCat("end date: ", problem, ", or none for life");
        }
      }
      v1::AccessoryBan* ban = conviction.add_bans();
      ban->set_type(type->second);
      ban->set_end_date(std::string(end));
      return "";
    }
    case FieldKind::kBool: {
      const std::string word = absl::AsciiStrToLower(value);
      if (word == "true" || word == "yes") {
        conviction.set_juvenile(true);
      } else if (word.empty() || word == "false" || word == "no") {
        conviction.set_juvenile(false);
      } else {
        // The question asks yes or no; the file and --set say true or false.
        return "not yes or no (true or false)";
      }
      return "";
    }
    case FieldKind::kDate:
      if (!value.empty()) {
        if (std::string problem = DateProblem(value); !problem.empty()) return problem;
      }
      break;
    case FieldKind::kCountry:
      // Typed in any case: "xk" is XK (InRegistryCase below).
      if (!value.empty()) {
        if (std::string problem = CountryProblem(field, InRegistryCase(field.kind, value));
            !problem.empty()) {
          return problem;
        }
      }
      break;
    case FieldKind::kPersonalNumber:
      if (std::string problem = PersonalNumberProblem(value); !problem.empty()) return problem;
      break;
    case FieldKind::kText:
    case FieldKind::kCourt:
      break;
  }
  // A string field (or list of strings), set through reflection by its path.
  const Message* holder = nullptr;
  Message* mutable_holder = nullptr;
  const FieldDescriptor* descriptor =
      Resolve(field.path, *request, request, &holder, &mutable_holder);
  if (descriptor == nullptr || descriptor->type() != FieldDescriptor::TYPE_STRING) {
    return "cannot be set from the command line";
  }
  const std::string text = InRegistryCase(field.kind, value);
  if (descriptor->is_repeated()) {
    if (!text.empty()) mutable_holder->GetReflection()->AddString(mutable_holder, descriptor, text);
  } else {
    mutable_holder->GetReflection()->SetString(mutable_holder, descriptor, text);
  }
  return "";
}

bool IsEmpty(const RecordField& field, const v1::CreateRecordRequest& request) {
  const Message* holder = nullptr;
  const FieldDescriptor* descriptor = Resolve(field.path, request, nullptr, &holder, nullptr);
  if (descriptor == nullptr) return true;
  const auto* reflection = holder->GetReflection();
  if (descriptor->is_repeated()) return reflection->FieldSize(*holder, descriptor) == 0;
  switch (descriptor->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return reflection->GetString(*holder, descriptor).empty();
    case FieldDescriptor::CPPTYPE_ENUM:
      return reflection->GetEnumValue(*holder, descriptor) == 0;
    case FieldDescriptor::CPPTYPE_UINT32:
      return reflection->GetUInt32(*holder, descriptor) == 0;
    case FieldDescriptor::CPPTYPE_BOOL:
      return !reflection->GetBool(*holder, descriptor);
    default:
      return false;
  }
}

const RecordField& Field(absl::string_view flag) { return *FindRecordField(flag); }

// The problems of the values `request` holds for `field` that the client can see without the
// registry, as ApplyField sees them in a value typed: a record read from a file holds what was
// written there, unchecked. An item of a list is named by its place (its index in the file).
void AppendValueProblems(const RecordField& field, const v1::CreateRecordRequest& request,
                         std::vector<FieldProblem>* problems) {
  const v1::Conviction& conviction = request.conviction();
  switch (field.kind) {
    case FieldKind::kMonths:
      if (conviction.sentence().months() > kMaxSentenceMonths) {
        problems->push_back({&field, MonthsOverRule()});
      }
      return;
    case FieldKind::kOffence:
      for (int i = 0; i < conviction.offences_size(); ++i) {
        const v1::Offence& offence = conviction.offences(i);
        if (offence.article() < 1 || offence.article() > kMaxArticle ||
            offence.paragraph() > kMaxParagraph) {
          problems->push_back({&field,
                               absl::StrCat("article must be 1..", kMaxArticle,
                                            " and paragraph 0..", kMaxParagraph),
                               i});
        }
      }
      return;
    case FieldKind::kBan:
      for (int i = 0; i < conviction.bans_size(); ++i) {
        const std::string& end = conviction.bans(i).end_date();
        if (end.empty()) continue;
        if (std::string problem = DateProblem(end); !problem.empty()) {
          problems->push_back({&field, absl::StrCat("end date: ", problem), i});
        }
      }
      return;
    case FieldKind::kDate:
    case FieldKind::kCountry:
    case FieldKind::kPersonalNumber:
      break;
    case FieldKind::kText:
      // A character no one sees is checked here as at the question, in a name and in any other
      // text (an address, a foreign court); the rest of their rules are the registry's, said in
      // its words.
      break;
    default:
      return;
  }
  // A string, or a list of strings.
  const Message* holder = nullptr;
  const FieldDescriptor* descriptor = Resolve(field.path, request, nullptr, &holder, nullptr);
  if (descriptor == nullptr || descriptor->type() != FieldDescriptor::TYPE_STRING) return;
  const auto* reflection = holder->GetReflection();
  const auto problem_of = [&](const std::string& value) -> std::string {
    if (value.empty()) return "";
    switch (field.kind) {
      case FieldKind::kDate:
        return DateProblem(value);
      case FieldKind::kCountry:
        return CountryProblem(field, value);
      case FieldKind::kText:
        return IsNameField(field) ? InvisibleCharacterProblem(value)
                                  : TextInvisibleCharacterProblem(value);
      default:
        return PersonalNumberProblem(value);
    }
  };
  if (!descriptor->is_repeated()) {
    if (std::string what = problem_of(reflection->GetString(*holder, descriptor)); !what.empty()) {
      problems->push_back({&field, std::move(what)});
    }
    return;
  }
  for (int i = 0; i < reflection->FieldSize(*holder, descriptor); ++i) {
    if (std::string what = problem_of(reflection->GetRepeatedString(*holder, descriptor, i));
        !what.empty()) {
      problems->push_back({&field, std::move(what), i});
    }
  }
}

}  // namespace

const std::vector<RecordField>& RecordFields() {
  static const auto* const kFields = new std::vector<RecordField>(BuildFields());
  return *kFields;
}

void NormaliseRecordCase(v1::CreateRecordRequest* request) {
  // A part the file leaves out stays left out.
  if (request->has_person()) {
    for (std::string& code : *request->mutable_person()->mutable_citizenships()) {
      code = InRegistryCase(FieldKind::kCountry, code);
    }
  }
  if (!request->has_conviction()) return;
  v1::Conviction& conviction = *request->mutable_conviction();
  conviction.set_court_id(InRegistryCase(FieldKind::kCourt, conviction.court_id()));
  conviction.set_foreign_country(
      InRegistryCase(FieldKind::kCountry, conviction.foreign_country()));
  for (v1::Offence& offence : *conviction.mutable_offences()) {
    offence.set_law(InRegistryCase(FieldKind::kOffence, offence.law()));
  }
}

const RecordField* FindRecordField(absl::string_view name) {
  // Indexes name an item of a list ("conviction.offences[1]"); the field is the list.
  std::string path;
  for (absl::string_view rest = name; !rest.empty();) {
    const size_t open = rest.find('[');
    absl::StrAppend(&path, rest.substr(0, open));
    if (open == absl::string_view::npos) break;
    const size_t close = rest.find(']', open);
    if (close == absl::string_view::npos) break;
    rest = rest.substr(close + 1);
  }
  const RecordField* best = nullptr;
  for (const RecordField& field : RecordFields()) {
    if (field.flag == name) return &field;
    // The field itself, or a part of it ("conviction.bans.end_date" is a ban's).
    if (path == field.path || (absl::StartsWith(path, field.path) &&
                               path.size() > field.path.size() && path[field.path.size()] == '.')) {
      if (best == nullptr || field.path.size() > best->path.size()) best = &field;
    }
  }
  return best;
}

std::string DescribeProblem(const FieldProblem& problem, bool by_path) {
  std::string name = by_path ? problem.field->path : absl::StrCat("--", problem.field->flag);
  if (problem.item >= 0) {
    absl::StrAppend(&name, by_path ? absl::StrCat("[", problem.item, "]")
                                   : absl::StrCat(" #", problem.item + 1));
  }
  if (problem.what == "required") return absl::StrCat(name, " is required");
  return absl::StrCat(name, ": ",
                      by_path ? problem.what : RuleAsTyped(*problem.field, problem.what));
}

void ApplyField(const RecordField& field, const std::vector<std::string>& values,
                v1::CreateRecordRequest* request, std::vector<FieldProblem>* problems) {
  // Two values of a one-value field ("--set surname=A --set surname=B") are a mistake in one of
  // them, not an order to keep the last: which one was meant is for the clerk to say.
  if (!field.repeatable && values.size() > 1) {
    problems->push_back(
        {&field, absl::StrCat("given ", values.size(), " times, but it takes one value")});
    return;
  }
  // A repeatable field is the list of the values given now, not an addition to what was there.
  if (field.repeatable) {
    v1::CreateRecordRequest cleared = *request;
    const Message* holder = nullptr;
    Message* mutable_holder = nullptr;
    const FieldDescriptor* descriptor =
        Resolve(field.path, cleared, &cleared, &holder, &mutable_holder);
    if (descriptor != nullptr) {
      mutable_holder->GetReflection()->ClearField(mutable_holder, descriptor);
    }
    *request = std::move(cleared);
  }
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string& value = values[i];
    // An empty value of a list clears it ("--set ban=": no bans).
    if (field.repeatable && absl::StripAsciiWhitespace(value).empty()) continue;
    v1::CreateRecordRequest attempt = *request;
    std::string what = ApplyOne(field, value, &attempt);
    if (what.empty()) {
      *request = std::move(attempt);
    } else {
      // The value is not quoted, so which one of several is wrong is said by its place.
      problems->push_back(
          {&field, std::move(what), values.size() > 1 ? static_cast<int>(i) : -1});
    }
  }
}

namespace {

// Whether `request` names a court of the tables; a court it names that is not one is appended
// to `problems`, with the ids to choose from. False too when it names none.
bool CourtInTables(const v1::CreateRecordRequest& request, const RecordChoices& choices,
                   std::vector<FieldProblem>* problems) {
  const std::string& id = request.conviction().court_id();
  if (id.empty()) return false;
  if (std::any_of(choices.courts.begin(), choices.courts.end(),
                  [&](const v1::CourtEntry& c) { return c.id() == id; })) {
    return true;
  }
  std::vector<std::string> ids;
  for (const v1::CourtEntry& c : choices.courts) ids.push_back(c.id());
  // The id nearest the one typed (our id, never the text typed): "basic-prizen" was a letter
  // short of one, and the list alone left it to be found among them all.
  const std::optional<std::string> near = Closest(id, ids);
  problems->push_back(
      {&Field("court"),
       absl::StrCat("not a court of the registry",
                    near.has_value() ? absl::StrCat(" (did you mean \"", *near, "\"?)") : "",
                    "; choose one of: ", absl::StrJoin(ids, ", "))});
  return false;
}

// Each offence of `request` that is in no entry of the tables, with the codes to choose from;
// by its place in the list when `numbered`. An item named among problems[first_new...] already
// (an article or paragraph out of range) is in no table either, and is not named again.
void AppendOffenceTableProblems(const v1::CreateRecordRequest& request,
                                const RecordChoices& choices, bool numbered, size_t first_new,
                                std::vector<FieldProblem>* problems) {
  const v1::Conviction& conviction = request.conviction();
  for (int i = 0; i < conviction.offences_size(); ++i) {
    const v1::Offence& offence = conviction.offences(i);
    const bool bad_item =
        std::any_of(problems->begin() + first_new, problems->end(), [&](const FieldProblem& p) {
          return p.field == &Field("offence") && p.item == i;
        });
    if (bad_item) continue;
    // As the registry looks it up: the paragraph's own entry, else the whole article's.
    const bool known = std::any_of(
        choices.offences.begin(), choices.offences.end(), [&](const v1::OffenceEntry& e) {
          return e.law() == offence.law() && e.article() == offence.article() &&
                 (e.paragraph() == offence.paragraph() || e.paragraph() == 0);
        });
    if (!known) {
      // An article the table lists by its paragraphs alone (06/L-074 art. 234), given whole or
      // by a paragraph it does not list: its paragraphs, in the registry's words. The whole
      // table, of 22 entries, never said that the paragraph was what was missing.
      std::vector<std::string> paragraphs;
      for (const v1::OffenceEntry& e : choices.offences) {
        if (e.law() == offence.law() && e.article() == offence.article()) {
          paragraphs.push_back(OffenceCode(e));
        }
      }
      if (!paragraphs.empty()) {
        problems->push_back({&Field("offence"),
                             absl::StrCat(offence.law(), " article ", offence.article(),
                                          " is recorded by its paragraph: give one of ",
                                          absl::StrJoin(paragraphs, ", ")),
                             numbered ? i : -1});
        continue;
      }
      std::vector<std::string> codes;
      for (const v1::OffenceEntry& e : choices.offences) codes.push_back(OffenceCode(e));
      problems->push_back({&Field("offence"),
                           absl::StrCat("not in the offence table; choose one of: ",
                                        absl::StrJoin(codes, ", ")),
                           numbered ? i : -1});
    }
  }
}

}  // namespace

bool IsRecordFieldEmpty(const RecordField& field, const v1::CreateRecordRequest& request) {
  return IsEmpty(field, request);
}

void AppendRecordProblems(const v1::CreateRecordRequest& request, const RecordChoices* choices,
                          std::vector<FieldProblem>* problems) {
  // A field already reported (a value that could not be read) is not reported again as missing.
  const auto reported = [&](const RecordField& field) {
    return std::any_of(problems->begin(), problems->end(),
                       [&](const FieldProblem& p) { return p.field == &field; });
  };
  const size_t first_new = problems->size();
  const v1::Conviction& conviction = request.conviction();
  // The offences are named by their place in the list below. An offence typed that could not be
  // read is not in the list, so the places would not be the ones typed: then the field is named.
  const bool numbered = conviction.offences_size() > 1 && !reported(Field("offence"));
  // In the record's order, each field missing or holding a value that cannot be right (a date
  // of a file that is not one): a clerk mends them all in one go.
  for (const RecordField& field : RecordFields()) {
    if (reported(field)) continue;
    if (field.required && IsEmpty(field, request)) {
      problems->push_back({&field, "required"});
    } else {
      AppendValueProblems(field, request, problems);
    }
  }
  // The fields the rest of the record makes required, as the registry requires them.
  for (const char* flag : {"months", "juvenile"}) {
    if (reported(Field(flag))) continue;
    if (std::string why = RequiredBecause(Field(flag), request, choices); !why.empty()) {
      // Juvenile is made required by the dates typed, either of which may be the wrong one (a
      // birth year typed 2005 for 1985): they are named before it, in the registry's words, so
      // that an adult is not recorded as a juvenile for the flag alone being named.
      if (Field(flag).kind == FieldKind::kBool) {
        problems->push_back({&Field("birth-date"),
                             "makes the person under 18 on the judgment date: check the date "
                             "of birth before marking the conviction juvenile"});
        problems->push_back({&Field("judgment-date"),
                             "is before the person's 18th birthday: check the judgment date "
                             "before marking the conviction juvenile"});
      }
      problems->push_back({&Field(flag), std::move(why)});
    }
  }
  if (choices == nullptr) return;

  if (CourtInTables(request, *choices, problems)) {
    for (const char* flag : {"foreign-court", "foreign-country"}) {
      // A value given but refused ("uk") is said once, as that: it was not left out.
      if (reported(Field(flag))) continue;
      if (std::string why = RequiredBecause(Field(flag), request, choices); !why.empty()) {
        problems->push_back({&Field(flag), std::move(why)});
      }
    }
  }
  AppendOffenceTableProblems(request, *choices, numbered, first_new, problems);
}

void AppendTableProblems(const v1::CreateRecordRequest& request, const RecordChoices& choices,
                         std::vector<FieldProblem>* problems) {
  const bool numbered =
      request.conviction().offences_size() > 1 &&
      std::none_of(problems->begin(), problems->end(),
                   [](const FieldProblem& p) { return p.field == &Field("offence"); });
  const size_t first_new = problems->size();
  CourtInTables(request, choices, problems);
  AppendOffenceTableProblems(request, choices, numbered, first_new, problems);
}

std::string RequiredBecause(const RecordField& field, const v1::CreateRecordRequest& request,
                            const RecordChoices* choices) {
  if (!IsEmpty(field, request)) return "";
  const v1::Conviction& c = request.conviction();
  if (field.flag == "months") {
    const v1::SentenceType type = c.sentence().type();
    return type == v1::SENTENCE_TYPE_IMPRISONMENT || type == v1::SENTENCE_TYPE_SUSPENDED
               ? "required for imprisonment or a suspended sentence"
               : "";
  }
  if (field.flag == "foreign-court" || field.flag == "foreign-country") {
    const bool abroad =
        choices == nullptr
            ? c.court_id() == "foreign"
            : std::any_of(choices->courts.begin(), choices->courts.end(),
                          [&](const v1::CourtEntry& e) {
                            return e.id() == c.court_id() && e.foreign();
                          });
    return abroad ? "required for a court abroad" : "";
  }
  if (field.flag == "juvenile") {
    // As the registry's rule: anyone under 18 on the judgment day was convicted as a juvenile.
    // It compares dates that are right themselves (a birth before today, a judgment from the
    // 14th birthday to today): a wrong one is named once, as that date.
    const absl::StatusOr<absl::CivilDay> birth = ParseDate(request.person().birth_date());
    const absl::StatusOr<absl::CivilDay> judgment = ParseDate(c.judgment_date());
    if (!birth.ok() || !judgment.ok()) return "";
    const absl::CivilDay today = KosovoDay(absl::Now());
    // Born on 29 February, a birthday in a common year is 1 March (CivilDay normalises it).
    const auto birthday = [&](int years) {
      return absl::CivilDay(birth->year() + years, birth->month(), birth->day());
    };
    if (*birth >= today || *judgment < birthday(kMinAgeOfResponsibility) || *judgment > today) {
      return "";
    }
    return *judgment < birthday(kAdultAge)
               ? "required when the person was under 18 on the judgment date"
               : "";
  }
  return "";
}

std::string OffenceCode(const v1::Offence& offence) {
  return absl::StrCat(offence.law(), ":", offence.article(), ":", offence.paragraph());
}

std::string OffenceCode(const v1::OffenceEntry& offence) {
  return absl::StrCat(offence.law(), ":", offence.article(), ":", offence.paragraph());
}

const std::map<std::string, registry::v1::BanType, std::less<>>& BanTypes() {
  static const auto* const kTypes = new std::map<std::string, registry::v1::BanType, std::less<>>{
      {"work_with_children", registry::v1::BAN_TYPE_WORK_WITH_CHILDREN},
      {"contact_with_victim", registry::v1::BAN_TYPE_CONTACT_WITH_VICTIM},
      {"profession", registry::v1::BAN_TYPE_PROFESSION},
  };
  return *kTypes;
}

const std::map<std::string, v1::SentenceType, std::less<>>& SentenceTypes() {
  static const auto* const kTypes = new std::map<std::string, v1::SentenceType, std::less<>>{
      {"imprisonment", v1::SENTENCE_TYPE_IMPRISONMENT},
      {"life_imprisonment", v1::SENTENCE_TYPE_LIFE_IMPRISONMENT},
      {"suspended", v1::SENTENCE_TYPE_SUSPENDED},
      {"fine", v1::SENTENCE_TYPE_FINE},
      {"juvenile_measure", v1::SENTENCE_TYPE_JUVENILE_MEASURE},
      {"other", v1::SENTENCE_TYPE_OTHER},
  };
  return *kTypes;
}

std::string SentenceTypeWord(v1::SentenceType type) {
  for (const auto& [word, value] : SentenceTypes()) {
    if (value == type) return word;
  }
  return "";
}

std::string BanTypeWord(v1::BanType type) {
  for (const auto& [word, value] : BanTypes()) {
    if (value == type) return word;
  }
  return "";
}

namespace {

// The record field a registry message starts with ("<path>: <rule>" or "<path> is required"),
// which item of a list it names (from 0, or -1) and where the rest of the message starts; nullptr
// when it names no record field (or names it by its flag already).
const RecordField* RecordFieldOfMessage(absl::string_view message, int* item, size_t* end_out) {
  size_t end = message.find(": ");
  const size_t required = message.find(" is required");
  if (required != absl::string_view::npos && (end == absl::string_view::npos || required < end)) {
    end = required;
  }
  if (end == absl::string_view::npos) return nullptr;
  const absl::string_view path = message.substr(0, end);
  const RecordField* field = FindRecordField(path);
  if (field == nullptr || path == field->flag) return nullptr;
  // Which item of a list: the 2nd --offence typed is "conviction.offences[1]".
  *item = -1;
  if (const size_t open = path.find('['); open != absl::string_view::npos) {
    uint32_t index = 0;
    const size_t close = path.find(']', open);
    if (close != absl::string_view::npos &&
        absl::SimpleAtoi(path.substr(open + 1, close - open - 1), &index) &&
        index <= static_cast<uint32_t>(INT32_MAX)) {
      *item = static_cast<int>(index);
    }
  }
  *end_out = end;
  return field;
}

// `message` with the record field's API path it starts with replaced by `name(field, item)`
// (item: which item of a list, from 0, or -1); messages that name no record field come back as
// they are.
// The rule is said as typed (RuleAsTyped): each naming is of values typed.
std::string RenameRecordField(absl::string_view message,
                              const std::function<std::string(const RecordField&, int)>& name) {
  int item = -1;
  size_t end = 0;
  const RecordField* field = RecordFieldOfMessage(message, &item, &end);
  if (field == nullptr) return std::string(message);
  absl::string_view rest = message.substr(end);
  if (absl::ConsumePrefix(&rest, ": ")) {
    return absl::StrCat(name(*field, item), ": ", RuleAsTyped(*field, rest));
  }
  return absl::StrCat(name(*field, item), rest);
}

}  // namespace

std::string RuleAsTyped(const RecordField& field, absl::string_view what) {
  // The registry's words (server/record_validation.cc) for a request, where a ban for life has
  // no end date; typed, a ban for life is TYPE:none, and a ban without an end is refused.
  absl::string_view rest = what;
  if (field.kind == FieldKind::kBan && absl::ConsumePrefix(&rest, "empty (for life) or ")) {
    return absl::StrCat(rest, "; or none for a ban for life (TYPE:none, e.g. profession:none)");
  }
  return std::string(what);
}

std::string RecordMessageWithFlags(absl::string_view message) {
  return RenameRecordField(message, [](const RecordField& field, int item) {
    return absl::StrCat("--", field.flag, item >= 0 ? absl::StrCat(" #", item + 1) : "");
  });
}

std::optional<FieldProblem> ProblemOfRegistryMessage(absl::string_view message) {
  int item = -1;
  size_t end = 0;
  const RecordField* field = RecordFieldOfMessage(message, &item, &end);
  if (field == nullptr) return std::nullopt;
  absl::string_view what = message.substr(end);
  // "<path> is required" and "<path>: required" are both the field missing.
  if (!absl::ConsumePrefix(&what, ": ")) what = "required";
  return FieldProblem{field, std::string(what), item};
}

void MergeRegistryProblems(const std::vector<FieldProblem>& registry,
                           std::vector<FieldProblem>* problems) {
  // An item the client names as the field (-1: a list of one, as it names it) is any item.
  const auto same_item = [](const FieldProblem& a, const FieldProblem& b) {
    return a.field == b.field && (a.item == b.item || a.item < 0 || b.item < 0);
  };
  // Whether the registry states `p` too, in words `p` begins with ("not in the offence table;
  // choose one of: ..." is its "not in the offence table" with the codes to choose from).
  const auto said_as = [&](const FieldProblem& p, const FieldProblem& q) {
    return same_item(p, q) && absl::StartsWith(p.what, q.what);
  };
  const auto stated = [&](const FieldProblem& p) {
    return std::any_of(registry.begin(), registry.end(),
                       [&](const FieldProblem& q) { return said_as(p, q); });
  };
  // The registry's problems to say before the client's problem of the same index, and after all.
  std::map<size_t, std::vector<FieldProblem>> before;
  std::vector<FieldProblem> after;
  for (const FieldProblem& q : registry) {
    bool field_named = false;
    bool all_stated = true;
    bool said = false;
    size_t first_of_item = problems->size();
    for (size_t i = 0; i < problems->size(); ++i) {
      const FieldProblem& p = (*problems)[i];
      if (p.field != q.field) continue;
      field_named = true;
      all_stated = all_stated && stated(p);
      said = said || said_as(p, q);
      if (same_item(p, q) && first_of_item == problems->size()) first_of_item = i;
    }
    if (!field_named) {
      after.push_back(q);
    } else if (all_stated && !said && first_of_item < problems->size()) {
      FieldProblem added = q;
      added.item = (*problems)[first_of_item].item;  // named as the client names the item
      before[first_of_item].push_back(std::move(added));
    }
  }
  std::vector<FieldProblem> merged;
  for (size_t i = 0; i < problems->size(); ++i) {
    if (auto it = before.find(i); it != before.end()) {
      merged.insert(merged.end(), it->second.begin(), it->second.end());
    }
    merged.push_back(std::move((*problems)[i]));
  }
  merged.insert(merged.end(), after.begin(), after.end());
  *problems = std::move(merged);
}

std::vector<const RecordField*> RecordFieldsNamedIn(absl::string_view message) {
  std::vector<const RecordField*> fields;
  const auto path_char = [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_' || c == '.' || c == '[' ||
           c == ']';
  };
  for (size_t at = 0; at < message.size();) {
    // A path starts a word: "person." or "conviction." after a space, a comma or a bracket.
    const bool word_start = at == 0 || !path_char(message[at - 1]);
    absl::string_view rest = message.substr(at);
    if (!word_start ||
        !(absl::StartsWith(rest, "person.") || absl::StartsWith(rest, "conviction."))) {
      ++at;
      continue;
    }
    size_t end = 0;
    while (end < rest.size() && path_char(rest[end])) ++end;
    // A sentence's full stop is no part of the path.
    absl::string_view path = absl::StripSuffix(rest.substr(0, end), ".");
    if (const RecordField* field = FindRecordField(path);
        field != nullptr && path != field->flag &&
        std::find(fields.begin(), fields.end(), field) == fields.end()) {
      fields.push_back(field);
    }
    at += std::max<size_t>(end, 1);
  }
  return fields;
}

std::string ImportColumnName(const RecordField& field) {
  absl::string_view path = field.path;
  if (!absl::ConsumePrefix(&path, "person.")) absl::ConsumePrefix(&path, "conviction.");
  return absl::StrReplaceAll(path, {{".", "_"}});
}

std::string RecordMessageWithColumns(absl::string_view message) {
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(message, "; ")) {
    parts.push_back(RenameRecordField(part, [](const RecordField& field, int item) {
      const std::string column = ImportColumnName(field);
      return item >= 0 ? absl::StrCat(column, ": item ", item + 1) : column;
    }));
  }
  return absl::StrJoin(parts, "; ");
}

namespace {

// The code point of the UTF-8 sequence at the start of `text` and its length; length 0 when it
// is not one.
size_t NextCodePoint(absl::string_view text, uint32_t* code_point) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char first = byte(0);
  size_t length = first < 0x80 ? 1 : (first >> 5) == 0x6 ? 2 : (first >> 4) == 0xE ? 3
                                   : (first >> 3) == 0x1E ? 4 : 0;
  if (length == 0 || length > text.size()) return 0;
  uint32_t c = length == 1 ? first : first & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    c = (c << 6) | (byte(i) & 0x3F);
  }
  *code_point = c;
  return length;
}

bool IsSpaceOrDashLookAlike(uint32_t c) {
  return c == 0x00A0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x202F ||
         c == 0x205F || c == 0x3000 ||                     // spaces
         c == 0x058A || c == 0x05BE || (c >= 0x2011 && c <= 0x2015) || c == 0x2E3A ||
         c == 0x2E3B || c == 0x2212 || c == 0xFE58 || c == 0xFE63 || c == 0xFF0D;  // dashes
}

bool IsApostropheLookAlike(uint32_t c) {
  return c == 0x0060 || c == 0x00B4 || c == 0x2032 || c == 0x201B || c == 0xFF07;
}

}  // namespace

std::string NameProblem(absl::string_view name) {
  // The server's words (server/record_validation.cc), so that the answer is refused the same
  // way at its question as it would be after the last one.
  constexpr absl::string_view kRule = "1..100 letters, spaces, hyphens or apostrophes";
  size_t count = 0;
  std::vector<uint32_t> code_points;
  for (size_t i = 0; i < name.size();) {
    uint32_t c = 0;
    const size_t length = NextCodePoint(name.substr(i), &c);
    if (length == 0) return std::string(kValueNotUtf8);
    i += length;
    code_points.push_back(c);
    // The registry counts letters as the person sees them: a combining mark on a letter (e +
    // U+0308 typed for ë) is no letter of its own. These are the combining blocks the Latin and
    // Cyrillic names the registry takes use; a mark of another script is counted here as a letter.
    const bool mark = (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
                      (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
                      (c >= 0xFE20 && c <= 0xFE2F) || (c >= 0x0483 && c <= 0x0489);
    if (!mark) ++count;
    if (c == 0x00D0 || c == 0x00F0 || c == 0x0189) {
      return "holds a look-alike of the Serbian D with stroke (the Icelandic eth, the African "
             "D): type D with stroke or Dj, or a plain D where the person's papers have one";
    }
    if (IsInvisibleCharacter(c)) return InvisibleCharacterProblem(name.substr(i - length));
    if (IsSpaceOrDashLookAlike(c)) {
      return "holds a look-alike of a space or hyphen (a no-break space, an en dash): type a "
             "plain space or hyphen";
    }
    if (IsApostropheLookAlike(c)) {
      return "holds a look-alike of an apostrophe (a grave or acute accent, a prime): type a "
             "plain apostrophe (')";
    }
    // Of ASCII, a name holds letters, spaces, hyphens and apostrophes only (a digit, a dot, a
    // control character never); the other scripts' letters are the server's to judge.
    if (c < 0x80 && !absl::ascii_isalpha(static_cast<unsigned char>(c)) && c != ' ' &&
        c != '-' && c != '\'') {
      return std::string(kRule);
    }
  }
  if (count > 100) return std::string(kRule);
  // Where the hyphens and apostrophes stand, as the registry checks it after the characters
  // (server/record_validation.cc ValidateName, in its words): a name of separators alone holds
  // no letter; a hyphen or an apostrophe at either end, or inside beside a space or another
  // hyphen or apostrophe ("Hoxha - Berisha", "Hoxha--Berisha", "D''Amico"), joins no two
  // letters.
  const auto separator = [](uint32_t c) {
    return c == ' ' || c == '-' || c == 0x2010 || c == '\'' || c == 0x2018 || c == 0x2019 ||
           c == 0x02BC;
  };
  const auto joiner = [&](uint32_t c) { return c != ' ' && separator(c); };
  const auto first = std::find_if(code_points.begin(), code_points.end(),
                                  [](uint32_t c) { return c != ' '; });
  if (first == code_points.end()) return code_points.empty() ? "" : std::string(kRule);
  if (std::all_of(code_points.begin(), code_points.end(), separator)) return std::string(kRule);
  const auto last = std::find_if(code_points.rbegin(), code_points.rend(),
                                 [](uint32_t c) { return c != ' '; });
  if (joiner(*first) || joiner(*last)) {
    return "begins or ends with a hyphen or an apostrophe: type one only between two letters, "
           "as in Hoxha-Berisha or O'Brien";
  }
  for (size_t i = 1; i + 1 < code_points.size(); ++i) {
    if (joiner(code_points[i]) &&
        (separator(code_points[i - 1]) || separator(code_points[i + 1]))) {
      return "holds a hyphen or an apostrophe with a space or another hyphen or apostrophe "
             "beside it: write a double surname as Hoxha-Berisha and a name with an apostrophe "
             "as O'Brien, with a letter on each side and no space";
    }
  }
  return "";
}

std::string TextInvisibleCharacterProblem(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    uint32_t c = 0;
    const size_t length = NextCodePoint(text.substr(i), &c);
    if (length == 0) return "";  // not UTF-8: said by IsWellFormedUtf8's check
    i += length;
    if (!IsInvisibleCharacter(c)) continue;
    // The server's words (server/record_validation.cc InvisibleRule), by the code point: the
    // text shows nothing of the character, and is never repeated.
    return absl::StrFormat(
        "holds an invisible character (U+%04X), as text copied from a web page or a document "
        "may: type the text again without it",
        c);
  }
  return "";
}

bool IsNameField(const RecordField& field) {
  return field.flag == "surname" || field.flag == "given-name" || field.flag == "father-name" ||
         field.flag == "alias";
}

std::string QuestionName(const RecordField& field, int item) {
  // The question without its hint in brackets: "Date of birth (YYYY-MM-DD)" -> "Date of birth".
  const absl::string_view question =
      absl::StripTrailingAsciiWhitespace(absl::string_view(field.question).substr(
          0, std::min(field.question.find(" ("), field.question.size())));
  return absl::StrCat(question, item >= 0 ? absl::StrCat(" #", item + 1) : "", " (",
                      field.path, item >= 0 ? absl::StrCat("[", item, "]") : "", ")");
}

std::string RecordMessageWithQuestions(absl::string_view message) {
  return RenameRecordField(message, &QuestionName);
}

}  // namespace registry::client

#include "client/console/record_form.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/choices.h"
#include "client/console/html.h"
#include "client/option_parser.h"
#include "client/record_fields.h"
#include "common/country_codes.h"
#include "common/reference_text.h"
#include "google/protobuf/util/field_mask_util.h"

namespace registry::console {
namespace {

namespace v1 = registry::v1;

std::string One(const FormValues& values, absl::string_view name) {
  auto it = values.find(name);
  if (it == values.end() || it->second.empty()) return "";
  return std::string(absl::StripAsciiWhitespace(it->second.front()));
}

std::vector<std::string> All(const FormValues& values, absl::string_view name) {
  auto it = values.find(name);
  return it == values.end() ? std::vector<std::string>{} : it->second;
}

// What registryd says after a record's personal number rule (server/record_validation.cc).
constexpr absl::string_view kNoPersonalNumberClause =
    ", and a person without a Kosovo personal number cannot be recorded yet (docs/domain.md)";

// What registryd says of an article the offence table lists by its paragraphs alone, between the
// article and the paragraphs to choose from (server/record_validation.cc).
constexpr absl::string_view kRecordedByParagraph = " is recorded by its paragraph: give one of ";
// The registry's words of a refusal of the conviction as a whole (RuleKey): server/
// record_service.cc and storage/record_store.cc, after "conviction: ".
constexpr absl::string_view kExpunged =
    "a record of this court, case number and personal number was expunged, and an expunged "
    "conviction is not entered again";
constexpr absl::string_view kRetentionEndedChange =
    "with these dates its retention period has ended, so the change is not made (a conviction "
    "leaves the registry only by an expunge)";
constexpr absl::string_view kRetentionEnded =
    "its retention period has ended (it was due for deletion on ";
constexpr absl::string_view kFinalBy =
    "), so it is not entered: only a later conviction of the person that became final by ";
constexpr absl::string_view kWouldHaveKept = " would have kept it";
constexpr absl::string_view kClash =
    "another record has this court, case number and personal number";
constexpr absl::string_view kConflict =
    "conflicts with the stored record of this court, case number and personal number, which "
    "differs in ";
constexpr absl::string_view kConflictEnd =
    "; not changed: correct the row, or the record with an amendment";
constexpr absl::string_view kSameRow =
    "the same conviction (court, case number, personal number) as another row of this import";
constexpr absl::string_view kOneRowEach = "; one row per conviction";
// A create's duplicate, which names no field: the record's id follows.
constexpr absl::string_view kExists =
    "a record with this court, case number and personal number exists: ";

// Whether `id` has the shape of a record id (32 lowercase hex), so it may be linked.
bool RecordIdShaped(absl::string_view id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return absl::ascii_isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
         });
}

// The start of every paragraph input's name (ParagraphInputName).
constexpr absl::string_view kParagraphPrefix = "offence-paragraph:";

// The offence code a paragraph input's name holds (ParagraphInputName undone): what follows the
// prefix, each %XX its byte.
std::string CodeOfParagraphInput(absl::string_view name) {
  absl::ConsumePrefix(&name, kParagraphPrefix);
  std::string code;
  for (size_t i = 0; i < name.size(); ++i) {
    int byte = 0;
    if (name[i] == '%' && i + 2 < name.size() &&
        absl::ascii_isxdigit(static_cast<unsigned char>(name[i + 1])) &&
        absl::ascii_isxdigit(static_cast<unsigned char>(name[i + 2])) &&
        absl::SimpleHexAtoi(name.substr(i + 1, 2), &byte)) {
      code.push_back(static_cast<char>(byte));
      i += 2;
    } else {
      code.push_back(name[i]);
    }
  }
  return code;
}

bool WholeNumber(absl::string_view text, uint32_t max, uint32_t* out) {
  if (text.empty() || text.size() > 9 ||
      !std::all_of(text.begin(), text.end(),
                   [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); })) {
    return false;
  }
  return absl::SimpleAtoi(text, out) && *out <= max;
}

// The rules registryd's validator states (server/record_validation.cc), by catalog key.
const std::vector<std::pair<std::string, std::string>>& Rules() {
  static const auto* const kRules = new std::vector<std::pair<std::string, std::string>>{
      {"required", "rule.required"},
      {"1..100 letters, spaces, hyphens or apostrophes", "rule.name"},
      {"at most 10", "rule.at_most_10"},
      {"at most 5", "rule.at_most_5"},
      {"required: female or male", "rule.sex"},
      {"must be before today", "rule.before_today"},
      {"a country's ISO 3166-1 alpha-2 code, upper case", "rule.country"},
      // Two capital letters that name no country, without a hint (common/country_codes.h).
      {"not a country code in ISO 3166-1", "rule.country_unknown"},
      {"duplicate", "rule.duplicate"},
      {"not in the court table", "rule.court"},
      {"required for a foreign court: a country's ISO 3166-1 alpha-2 code, upper case, not XK",
       "rule.foreign_country"},
      {"required for a foreign court: its name", "rule.foreign_court"},
      {"must be empty unless the court is foreign", "rule.only_foreign"},
      {"1..64 letters, digits, spaces or /-.:", "rule.case_number"},
      {"each word in one alphabet: Latin or Cyrillic letters, not both", "rule.name_script"},
      {"holds a look-alike of a space or hyphen (a no-break space, an en dash): type a plain "
       "space or hyphen",
       "rule.name_look_alike"},
      {"holds a look-alike of an apostrophe (a grave or acute accent, a prime): type a plain "
       "apostrophe (')",
       "rule.name_apostrophe"},
      {"holds a look-alike of the Serbian D with stroke (the Icelandic eth, the African D): type D "
       "with stroke or Dj, or a plain D where the person's papers have one",
       "rule.name_eth"},
      {"holds a stroke or slash typed over a letter (a combining overlay mark): type the letter "
       "that has it, such as D with stroke, or the plain letter",
       "rule.name_overlay"},
      {"holds a phonetic or historic letter (a small capital, a letter with a middle tilde, an "
       "insular letter): type the letter as the person's papers write it",
       "rule.name_phonetic"},
      {"required, a date YYYY-MM-DD", "rule.date_required"},
      {"must be a real date YYYY-MM-DD from 1900-01-01", "rule.real_date"},
      {"must be on or after the person's 14th birthday and not in the future", "rule.judgment_date"},
      {"makes the person under 14 on the judgment date (no one is convicted under 14): check the "
       "date of birth",
       "rule.birth_under_14"},
      {"must be on or after the judgment date and not in the future", "rule.final_date"},
      {"1..20 offences", "rule.offences"},
      {"article must be 1..999 and paragraph 0..99", "rule.article"},
      {"not in the offence table", "rule.offence"},
      {"duplicate offence", "rule.duplicate_offence"},
      {"is the same article as another offence, one whole (paragraph 0) and one by its "
       "paragraph: give the paragraphs the judgment names, or the whole article alone",
       "rule.offence_whole_and_paragraph"},
      {"1..600 for imprisonment or a suspended sentence", "rule.months"},
      {"1..24 for a suspended sentence (the term of imprisonment, at most two years); the end of "
       "its verification period is a date of its own",
       "rule.months_suspended"},
      {"must be empty for this sentence: only imprisonment or a suspended sentence has a length "
       "in months",
       "rule.months_zero"},
      {"must be empty for life imprisonment: it has no length in months", "rule.months_life"},
      {"life imprisonment is not a juvenile's sentence: check the sentence and the juvenile flag",
       "rule.life_juvenile"},
      {"life imprisonment is not imposed on a person under 21 at the time of the offence, and the "
       "person was under 21 on the judgment date: check the sentence, the date of birth and the "
       "judgment date",
       "rule.life_under_21"},
      {"begins or ends with a hyphen or an apostrophe: type one only between two letters, as in "
       "Hoxha-Berisha or O'Brien",
       "rule.name_edge"},
      {"holds a hyphen or an apostrophe with a space or another hyphen or apostrophe beside it: "
       "write a double surname as Hoxha-Berisha and a name with an apostrophe as O'Brien, with a "
       "letter on each side and no space",
       "rule.name_joiner"},
      {"did not judge yet on the judgment date (the Basic Courts and the Court of Appeals judge "
       "from 1 January 2013, the District Courts and the Municipal Courts before it): check the "
       "court and the judgment date",
       "rule.court_not_yet"},
      {"no longer judged on the judgment date (the District Courts and the Municipal Courts "
       "judged until 31 December 2012, the Basic Courts and the Court of Appeals since): check "
       "the court and the judgment date",
       "rule.court_no_longer"},
      {"empty (for life) or a date YYYY-MM-DD on or after the date the judgment became final, "
       "within 100 years of it",
       "rule.ban_end"},
      {"must be empty unless the sentence is imprisonment or life imprisonment",
       "rule.release_only_imprisonment"},
      {"a date YYYY-MM-DD on or after the judgment date, within 100 years of it",
       "rule.release_date"},
      {"the day of release, if released: not in the future", "rule.release_future"},
      {"must be empty unless the sentence is suspended", "rule.suspension_only_suspended"},
      {"a date YYYY-MM-DD one to five years after the date the judgment became final",
       "rule.suspension_end"},
      {"must be true when the person was under 18 on the judgment date, if the date of birth "
       "and the judgment date are right",
       "rule.juvenile"},
      {"makes the person under 18 on the judgment date: check the date of birth before marking "
       "the conviction juvenile",
       "rule.birth_under_18"},
      {"is before the person's 18th birthday: check the judgment date before marking the "
       "conviction juvenile",
       "rule.judgment_under_18"},
      {"is after the date the judgment became final: check both dates, either may be the wrong "
       "one",
       "rule.judgment_after_final"},
      {"XK is Kosovo: a court abroad is given its own country's code (a court of Kosovo is one of "
       "the registry's courts, not foreign)",
       "rule.foreign_country_xk"},
      {"duplicate: another alias is the same name (names compare without case, accents or "
       "alphabet)",
       "rule.alias_duplicate"},
      {"the surname again (names compare without case, accents or alphabet): an alias is another "
       "name the person used",
       "rule.alias_surname"},
      // A reference the gate refuses: a case reference, a legal basis, an export's recipient
      // (common/reference_text.h, server/call_gate.cc).
      {kReferenceRule, "rule.reference"},
      // An expunction's legal basis, which takes the letters of Albanian and Serbian too.
      {kLegalBasisRule, "rule.legal_basis"},
      {"must not hold a personal number", "rule.reference_personal_number"},
  };
  return *kRules;
}

// The input of the form that a request path names.
std::string InputOfPath(absl::string_view path, const v1::CreateRecordRequest& request) {
  if (absl::StartsWith(path, "conviction.bans[")) {
    int index = -1;
    const size_t close = path.find(']');
    if (close != absl::string_view::npos &&
        absl::SimpleAtoi(path.substr(16, close - 16), &index) && index >= 0 &&
        index < request.conviction().bans_size()) {
      const std::string word = client::BanTypeWord(request.conviction().bans(index).type());
      if (!word.empty()) {
        return absl::StrCat("ban-", word, absl::EndsWith(path, ".end_date") ? "-end" : "");
      }
    }
    return "ban";
  }
  if (absl::StartsWith(path, "conviction.suspension_end_date")) return "suspension-end-date";
  const client::RecordField* field = client::FindRecordField(path);
  return field == nullptr ? "" : field->flag;
}

}  // namespace

const std::vector<std::string>& BanWords() {
  static const auto* const kWords = new std::vector<std::string>{
      "work_with_children", "contact_with_victim", "profession"};
  return *kWords;
}

const std::vector<std::string>& SentenceWords() {
  static const auto* const kWords = new std::vector<std::string>{
      "imprisonment", "life_imprisonment", "suspended", "fine", "juvenile_measure", "other"};
  return *kWords;
}

std::string ParagraphInputName(absl::string_view code) {
  std::string name(kParagraphPrefix);
  for (const char c : code) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
        absl::string_view("/.:_-").find(c) != absl::string_view::npos) {
      name.push_back(c);
    } else {
      absl::StrAppend(&name, "%", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    }
  }
  return name;
}

bool ParseParagraphs(absl::string_view typed, std::vector<uint32_t>* paragraphs) {
  paragraphs->clear();
  for (absl::string_view one : absl::StrSplit(typed, absl::ByAnyChar(", \t"), absl::SkipEmpty())) {
    uint32_t paragraph = 0;
    if (!WholeNumber(one, 99, &paragraph)) {
      paragraphs->clear();
      return false;
    }
    paragraphs->push_back(paragraph);
  }
  if (paragraphs->empty()) paragraphs->push_back(0);
  return true;
}

FormValues FormFromRecord(const v1::CreateRecordRequest& record) {
  const v1::Person& p = record.person();
  const v1::Conviction& c = record.conviction();
  FormValues values;
  values["surname"] = {p.surname()};
  values["given-name"] = {p.given_name()};
  values["father-name"] = {p.father_name()};
  values["alias"] = {absl::StrJoin(p.aliases(), "\n")};
  values["sex"] = {p.sex() == v1::SEX_FEMALE ? "female" : p.sex() == v1::SEX_MALE ? "male" : ""};
  values["birth-date"] = {p.birth_date()};
  values["birth-place"] = {p.birth_place()};
  values["citizenship"] = {absl::StrJoin(p.citizenships(), ", ")};
  values["personal-number"] = {p.personal_number()};
  values["address"] = {p.last_known_address()};
  values["court"] = {c.court_id()};
  values["foreign-court"] = {c.foreign_court()};
  values["foreign-country"] = {c.foreign_country()};
  values["case-number"] = {c.case_number()};
  values["judgment-date"] = {c.judgment_date()};
  values["final-date"] = {c.final_date()};
  for (const v1::Offence& offence : c.offences()) {
    values["offence"].push_back(client::OffenceCode(offence));
  }
  values["sentence"] = {client::SentenceTypeWord(c.sentence().type())};
  values["months"] = {c.sentence().months() == 0 ? "" : absl::StrCat(c.sentence().months())};
  for (const v1::AccessoryBan& ban : c.bans()) {
    const std::string word = client::BanTypeWord(ban.type());
    values[absl::StrCat("ban-", word)] = {"on"};
    values[absl::StrCat("ban-", word, "-end")] = {ban.end_date()};
    // As the end shown: of two bans of one kind, the last one's (RepeatedBanKinds).
    values[absl::StrCat("ban-", word, "-life")] = {ban.end_date().empty() ? "true" : ""};
  }
  values["release-date"] = {c.release_date()};
  values["suspension-end-date"] = {c.suspension_end_date()};
  if (c.juvenile()) values["juvenile"] = {"true"};
  return values;
}

FormValues FormFromRecord(const v1::CreateRecordRequest& record, const OffenceTable& offences) {
  FormValues values = FormFromRecord(record);
  std::set<std::string> listed;
  for (const v1::OffenceEntry& entry : offences) listed.insert(client::OffenceCode(entry));
  // values["offence"] held the record's codes in its order, one for each offence. Each offence of
  // an article the table lists whole ticks that article's box once, its paragraph typed beside
  // it: several, as typed ("1, 4"), when the record names several of the article (concurrent
  // counts), 0 among them for the article whole. A paragraph the table lists itself is its own
  // box, and an offence the table does not cover keeps its code.
  std::vector<std::string> codes;
  std::map<std::string, std::vector<uint32_t>> paragraphs;  // by the whole article's box
  for (const v1::Offence& offence : record.conviction().offences()) {
    const std::string code = client::OffenceCode(offence);
    v1::Offence whole = offence;
    whole.set_paragraph(0);
    const std::string box = client::OffenceCode(whole);
    if ((offence.paragraph() != 0 && listed.count(code) > 0) || listed.count(box) == 0) {
      codes.push_back(code);
      continue;
    }
    auto [it, first] = paragraphs.try_emplace(box);
    if (first) codes.push_back(box);
    it->second.push_back(offence.paragraph());
  }
  values["offence"] = std::move(codes);
  for (const auto& [box, numbers] : paragraphs) {
    if (numbers == std::vector<uint32_t>{0}) continue;  // the whole article alone: left empty
    values[ParagraphInputName(box)] = {absl::StrJoin(numbers, ", ")};
  }
  return values;
}

v1::CreateRecordRequest RecordFromForm(const FormValues& values, std::vector<FieldError>* errors) {
  v1::CreateRecordRequest request;
  v1::Person& p = *request.mutable_person();
  v1::Conviction& c = *request.mutable_conviction();
  p.set_surname(One(values, "surname"));
  p.set_given_name(One(values, "given-name"));
  p.set_father_name(One(values, "father-name"));
  for (absl::string_view alias : absl::StrSplit(One(values, "alias"), '\n')) {
    alias = absl::StripAsciiWhitespace(alias);
    if (!alias.empty()) p.add_aliases(std::string(alias));
  }
  const std::string sex = One(values, "sex");
  if (sex == "female") {
    p.set_sex(v1::SEX_FEMALE);
  } else if (sex == "male") {
    p.set_sex(v1::SEX_MALE);
  } else if (!sex.empty()) {
    errors->push_back({"sex", "form.choose", {}, ""});
  }
  p.set_birth_date(One(values, "birth-date"));
  p.set_birth_place(One(values, "birth-place"));
  for (absl::string_view code : absl::StrSplit(One(values, "citizenship"), absl::ByAnyChar(", "),
                                               absl::SkipEmpty())) {
    p.add_citizenships(absl::AsciiStrToUpper(code));
  }
  p.set_personal_number(One(values, "personal-number"));
  // A space, or a character no personal number has, is said as that (as registry-cli says it),
  // not as a number of another format, which the registry's pattern alone would say of it.
  if (const std::string problem = client::PersonalNumberProblem(p.personal_number());
      !problem.empty()) {
    errors->push_back({"personal-number",
                       absl::StartsWith(problem, "holds a space") ? "rule.personal_number_space"
                                                                  : "rule.personal_number_chars",
                       {},
                       problem});
  }
  p.set_last_known_address(One(values, "address"));

  c.set_court_id(One(values, "court"));
  c.set_foreign_court(One(values, "foreign-court"));
  c.set_foreign_country(absl::AsciiStrToUpper(One(values, "foreign-country")));
  c.set_case_number(One(values, "case-number"));
  c.set_judgment_date(One(values, "judgment-date"));
  c.set_final_date(One(values, "final-date"));
  for (const std::string& code : All(values, "offence")) {
    const std::vector<absl::string_view> parts = absl::StrSplit(code, ':');
    uint32_t article = 0;
    uint32_t paragraph = 0;
    if (parts.size() != 3 || parts[0].empty() || !WholeNumber(parts[1], 999, &article) ||
        !WholeNumber(parts[2], 99, &paragraph)) {
      errors->push_back({"offence", "form.choose", {}, ""});
      continue;
    }
    // A whole article of the table: the paragraphs typed beside its box, if any, each an
    // offence of its own (two counts under 06/L-074 art. 227, para. 1 and para. 4: "1, 4").
    std::vector<uint32_t> paragraphs = {paragraph};
    if (paragraph == 0) {
      const std::string typed = One(values, ParagraphInputName(code));
      if (!ParseParagraphs(typed, &paragraphs)) {
        errors->push_back({"offence",
                           "form.paragraph",
                           {{"law", std::string(parts[0])},
                            {"article", absl::StrCat(article)},
                            {"value", typed}},
                           ""});
        continue;
      }
    }
    for (const uint32_t one : paragraphs) {
      v1::Offence* offence = c.add_offences();
      offence->set_law(std::string(parts[0]));
      offence->set_article(article);
      offence->set_paragraph(one);
    }
  }
  // A paragraph typed beside a box left unticked was dropped, and the record saved without the
  // offence: whether it was meant is the clerk's to say.
  std::set<std::string> ticked;
  for (const std::string& code : All(values, "offence")) ticked.insert(ParagraphInputName(code));
  for (auto it = values.lower_bound(kParagraphPrefix);
       it != values.end() && absl::StartsWith(it->first, kParagraphPrefix); ++it) {
    if (ticked.count(it->first) > 0 || One(values, it->first).empty()) continue;
    const std::vector<std::string> parts =
        absl::StrSplit(CodeOfParagraphInput(it->first), absl::MaxSplits(':', 2));
    errors->push_back({"offence",
                       "form.paragraph_unticked",
                       {{"law", parts[0]}, {"article", parts.size() > 1 ? parts[1] : ""}},
                       ""});
  }
  const std::string sentence = One(values, "sentence");
  if (std::find(SentenceWords().begin(), SentenceWords().end(), sentence) !=
      SentenceWords().end()) {
    c.mutable_sentence()->set_type(client::SentenceTypes().find(sentence)->second);
  }
  if (!sentence.empty() && c.sentence().type() == v1::SENTENCE_TYPE_UNSPECIFIED) {
    errors->push_back({"sentence", "form.choose", {}, ""});
  }
  const std::string months = One(values, "months");
  uint32_t month_count = 0;
  if (!months.empty() && !WholeNumber(months, 100000, &month_count)) {
    // A whole number out of range (-5, more digits than any sentence has) is one: it was told
    // to "enter a whole number". Said as the registry states the rule for the sentence chosen;
    // only text that is no whole number at all is asked to be one.
    absl::string_view digits = months;
    absl::ConsumePrefix(&digits, "-");
    const bool integer =
        !digits.empty() && std::all_of(digits.begin(), digits.end(), [](char ch) {
          return absl::ascii_isdigit(static_cast<unsigned char>(ch));
        });
    const v1::SentenceType type = c.sentence().type();
    const char* key = "form.whole_number";
    if (integer) {
      key = type == v1::SENTENCE_TYPE_SUSPENDED ? "rule.months_suspended"
            : type == v1::SENTENCE_TYPE_IMPRISONMENT || type == v1::SENTENCE_TYPE_UNSPECIFIED
                ? "rule.months"
            : type == v1::SENTENCE_TYPE_LIFE_IMPRISONMENT ? "rule.months_life"
                                                          : "rule.months_zero";
    }
    errors->push_back({"months", key, {}, ""});
    month_count = 0;  // WholeNumber may have read a number past its maximum.
  }
  c.mutable_sentence()->set_months(month_count);
  for (size_t i = 0; i < BanWords().size(); ++i) {
    const std::string& word = BanWords()[i];
    const std::string end_input = absl::StrCat("ban-", word, "-end");
    const std::string end = One(values, end_input);
    const std::string life_input = absl::StrCat("ban-", word, "-life");
    const bool for_life = One(values, life_input) == "true";
    if (One(values, absl::StrCat("ban-", word)).empty()) {
      // An end date beside a box left unticked was dropped, and the record saved without the
      // ban: whether the ban was meant is the clerk's to say. So is "for life" ticked alone.
      if (!end.empty()) errors->push_back({end_input, "form.ban_unticked", {}, ""});
      if (for_life) errors->push_back({life_input, "form.ban_life_unticked", {}, ""});
      continue;
    }
    // A ban ticked with its end left empty was taken for a ban for life: a forgotten date is not
    // one. The clerk types the end, or ticks "for life"; not both.
    if (end.empty() && !for_life) {
      errors->push_back({end_input, "form.ban_end_or_life", {}, ""});
      continue;
    }
    if (!end.empty() && for_life) {
      errors->push_back({end_input, "form.ban_end_and_life", {}, ""});
      continue;
    }
    // An end that is no date ("2030-13-01") is said to be none, as of every other date: the
    // registry's rule for a ban's end speaks only of its range.
    if (!end.empty() && !client::DateProblem(end).empty()) {
      errors->push_back({end_input, "rule.real_date", {}, ""});
      continue;
    }
    v1::AccessoryBan* ban = c.add_bans();
    ban->set_type(static_cast<v1::BanType>(i + 1));
    ban->set_end_date(end);
  }
  c.set_release_date(One(values, "release-date"));
  c.set_suspension_end_date(One(values, "suspension-end-date"));
  c.set_juvenile(One(values, "juvenile") == "true");
  return request;
}

namespace {

// The code of two capital letters whose refusal is `rule` when it says more than that they name
// no country (common/country_codes.h): the code meant ("not a country code in ISO 3166-1 (for the
// United Kingdom, GB)", said of UK) or the place the code is reserved for ("no country's code
// (...)", of AQ). "" for any other rule. Found from the shared rule itself, of every two letters,
// so that a hint added there is known here; of codes with one hint (KS, KV), the first.
std::string HintedCountryCode(absl::string_view rule) {
  static const auto* const codes = [] {
    auto* by_rule = new std::map<std::string, std::string, std::less<>>;
    for (char first = 'A'; first <= 'Z'; ++first) {
      for (char second = 'A'; second <= 'Z'; ++second) {
        const std::string code = {first, second};
        if (IsCountryCode(code)) continue;
        // The hint or the place is in brackets after the rule; the plain refusal has none.
        std::string said = UnknownCountryCodeRule(code);
        if (absl::EndsWith(said, ")")) by_rule->emplace(said, code);
        // A court abroad's country is told without XK where a hint names it (its own key).
        std::string abroad = UnknownForeignCountryCodeRule(code);
        if (abroad != said) by_rule->emplace(std::move(abroad), absl::StrCat("abroad.", code));
      }
    }
    return by_rule;
  }();
  auto it = codes->find(rule);
  return it == codes->end() ? "" : it->second;
}

// Whether `rule` is `prefix`, a first part, `separator`, a second part and `suffix` (the first
// part ends at the first `separator`); if so the two parts, escaped, in `first` and `second`.
bool SplitRule(absl::string_view rule, absl::string_view prefix, absl::string_view separator,
               absl::string_view suffix, std::string* first, std::string* second) {
  if (!absl::ConsumePrefix(&rule, prefix) || !absl::ConsumeSuffix(&rule, suffix)) return false;
  const size_t at = rule.find(separator);
  if (at == absl::string_view::npos) return false;
  *first = Escape(rule.substr(0, at));
  *second = Escape(rule.substr(at + separator.size()));
  return true;
}

}  // namespace

std::pair<std::string, std::vector<std::pair<std::string, std::string>>> RuleKey(
    absl::string_view rule) {
  for (const auto& [text, key] : Rules()) {
    if (rule == text) return {key, {}};
  }
  // Too many name words, with how far over: "(these names file 1,454 index entries; at most
  // 1,024)", the counts in the page's language.
  absl::string_view counted = rule;
  if (absl::ConsumePrefix(&counted,
                          "too many name words across the aliases: drop an alias, or words of "
                          "the aliases or of the name (these names file ") &&
      absl::ConsumeSuffix(&counted, ")")) {
    constexpr absl::string_view kAtMost = " index entries; at most ";
    const size_t at = counted.find(kAtMost);
    uint64_t filed = 0;
    uint64_t most = 0;
    if (at != absl::string_view::npos &&
        absl::SimpleAtoi(absl::StrReplaceAll(counted.substr(0, at), {{",", ""}}), &filed) &&
        absl::SimpleAtoi(absl::StrReplaceAll(counted.substr(at + kAtMost.size()), {{",", ""}}),
                         &most)) {
      return {"rule.alias_words", {{"filed", absl::StrCat(filed)}, {"most", absl::StrCat(most)}}};
    }
  }
  // Two letters that name no country, with the code meant: in the catalogs' words for that code.
  if (const std::string code = HintedCountryCode(rule); !code.empty()) {
    // "abroad.YU": a court abroad's, "rule.country_unknown_abroad.YU".
    absl::string_view hinted = code;
    if (absl::ConsumePrefix(&hinted, "abroad.")) {
      return {absl::StrCat("rule.country_unknown_abroad.", hinted), {}};
    }
    return {absl::StrCat("rule.country_unknown.", code), {}};
  }
  // "does not match the personal number format (10 digits)": as many digits as the registry's
  // pattern asks for. Another pattern is said by the registry in its own words.
  constexpr absl::string_view kPersonalNumberRule = "does not match the personal number format";
  absl::string_view digits = rule;
  uint32_t count = 0;
  // A record's number is told, after it, that a person without one cannot be recorded yet.
  const bool record = absl::ConsumeSuffix(&digits, kNoPersonalNumberClause);
  if (absl::ConsumePrefix(&digits, kPersonalNumberRule) && absl::ConsumePrefix(&digits, " (") &&
      absl::ConsumeSuffix(&digits, " digits)") && absl::SimpleAtoi(digits, &count)) {
    return {record ? "rule.personal_number_record" : "rule.personal_number",
            {{"digits", absl::StrCat(count)}}};
  }
  // "holds an invisible character (U+200B), as text copied ...": the character by its code
  // point, which the name shows nothing of.
  constexpr absl::string_view kInvisibleRule = "holds an invisible character (U+";
  absl::string_view code = rule;
  if (absl::ConsumePrefix(&code, kInvisibleRule)) {
    const size_t close = code.find(')');
    const absl::string_view hex = code.substr(0, close);
    if (close != absl::string_view::npos && hex.size() >= 4 && hex.size() <= 6 &&
        std::all_of(hex.begin(), hex.end(), [](char c) {
          return absl::ascii_isxdigit(static_cast<unsigned char>(c));
        })) {
      return {"rule.invisible", {{"code", absl::StrCat("U+", hex)}}};
    }
  }
  // "code 06/L-074 took effect on 2019-04-14, after the judgment date: ..." (the offence) and
  // "is before 2019-04-14, the day code 06/L-074 of an offence took effect: ..." (the judgment
  // date): the code and its day, which are the registry's reference data, not the person's.
  constexpr absl::string_view kLawAfter = ", after the judgment date: check the judgment date, "
                                          "or record the article of the code the court applied";
  std::string law_code, law_day;
  if (SplitRule(rule, "code ", " took effect on ", kLawAfter, &law_code, &law_day)) {
    return {"rule.law_in_force", {{"code", law_code}, {"date", law_day}}};
  }
  constexpr absl::string_view kJudgmentBefore =
      " of an offence took effect: check the judgment date, and the offence's code";
  if (SplitRule(rule, "is before ", ", the day code ", kJudgmentBefore, &law_day, &law_code)) {
    return {"rule.judgment_before_law", {{"date", law_day}, {"code", law_code}}};
  }
  // "06/L-074 article 234 is recorded by its paragraph: give one of 06/L-074:234:1, ...": the
  // article the table lists by its paragraphs alone, and their codes, all the registry's
  // reference data.
  absl::string_view by_paragraph = rule;
  if (const size_t at = by_paragraph.find(kRecordedByParagraph); at != absl::string_view::npos) {
    const absl::string_view head = by_paragraph.substr(0, at);
    const size_t article = head.rfind(" article ");
    if (article != absl::string_view::npos) {
      return {"rule.offence_paragraphs",
              {{"law", Escape(head.substr(0, article))},
               {"article", Escape(head.substr(article + absl::string_view(" article ").size()))},
               {"codes", Escape(by_paragraph.substr(at + kRecordedByParagraph.size()))}}};
    }
  }
  // The conviction as a whole: its retention period ended, with the days the registry reckoned;
  // another record (an amendment's clash, the record's id after it, ErrorsFromServer); the stored
  // record an import's row differs from, with the fields in plain words (FieldLabelKey); another
  // row of the import, with its lines.
  if (rule == kExpunged) return {"rule.conviction_expunged", {}};
  if (rule == kRetentionEndedChange) return {"rule.retention_ended_change", {}};
  absl::string_view ended = rule;
  if (absl::ConsumePrefix(&ended, kRetentionEnded) && absl::ConsumeSuffix(&ended, kWouldHaveKept)) {
    const size_t by = ended.find(kFinalBy);
    if (by != absl::string_view::npos) {
      return {"rule.retention_ended",
              {{"deleted", std::string(ended.substr(0, by))},
               {"final_by", std::string(ended.substr(by + kFinalBy.size()))}}};
    }
  }
  if (absl::StartsWith(rule, kClash) &&
      (rule.size() == kClash.size() || absl::StartsWith(rule.substr(kClash.size()), ": "))) {
    return {"rule.conviction_clash", {}};
  }
  absl::string_view differing = rule;
  if (absl::ConsumePrefix(&differing, kConflict) &&
      absl::ConsumeSuffix(&differing, kConflictEnd)) {
    return {"rule.conviction_conflict", {{"fields", std::string(differing)}}};
  }
  absl::string_view lines = rule;
  if (absl::ConsumePrefix(&lines, kSameRow) && absl::ConsumeSuffix(&lines, kOneRowEach)) {
    if (lines.empty()) return {"rule.same_conviction_row", {}};
    // " (line 5 or line 7)": the numbers, as the page's language lists them.
    std::vector<std::string> numbers;
    if (absl::ConsumePrefix(&lines, " (") && absl::ConsumeSuffix(&lines, ")")) {
      for (absl::string_view line : absl::StrSplit(lines, " or ")) {
        uint64_t n = 0;
        if (!absl::ConsumePrefix(&line, "line ") || !absl::SimpleAtoi(line, &n)) {
          numbers.clear();
          break;
        }
        numbers.push_back(absl::StrCat(n));
      }
    }
    if (!numbers.empty()) {
      return {"rule.same_conviction_rows", {{"lines", absl::StrJoin(numbers, ", ")}}};
    }
  }
  // "0..100 characters of valid UTF-8, no control characters": limits vary by field.
  constexpr absl::string_view kTextRule = " characters of valid UTF-8, no control characters";
  if (absl::EndsWith(rule, kTextRule)) {
    const absl::string_view range = rule.substr(0, rule.size() - kTextRule.size());
    const std::vector<absl::string_view> bounds = absl::StrSplit(range, "..");
    uint32_t min = 0, max = 0;
    if (bounds.size() == 2 && absl::SimpleAtoi(bounds[0], &min) &&
        absl::SimpleAtoi(bounds[1], &max)) {
      return {"rule.text", {{"min", absl::StrCat(min)}, {"max", absl::StrCat(max)}}};
    }
  }
  return {"", {}};
}

namespace {

// The registry's words of an amendment's notes (server/record_service.cc), and their keys.
constexpr absl::string_view kNoteReferenceGone =
    " (left as it was: the reference tables no longer list what the record holds; amend it too, "
    "or have the entry put back in the reference data)";
constexpr absl::string_view kNoteStoredBefore =
    " (left as it was: the record was entered before the registry checked this; amend it too)";
constexpr absl::string_view kNoteNotChangedStart =
    " (left as it was: this amendment did not change it, and it no longer fits the amended ";
constexpr absl::string_view kNoteNotChangedEnd = ". Amend it too)";

// The registry's plain words for a field (server/record_service.cc PlainFieldName), and the
// label the form shows for it.
const std::vector<std::pair<absl::string_view, absl::string_view>>& NoteFieldLabels() {
  static const auto* const kLabels = new std::vector<std::pair<absl::string_view,
                                                               absl::string_view>>{
      {"person", "form.person"},
      {"surname", "field.surname"},
      {"given name", "field.given-name"},
      {"father's name", "field.father-name"},
      {"other names", "field.alias"},
      {"sex", "field.sex"},
      {"date of birth", "field.birth-date"},
      {"place of birth", "field.birth-place"},
      {"citizenships", "field.citizenship"},
      {"personal number", "field.personal-number"},
      {"last known address", "field.address"},
      {"conviction", "form.conviction"},
      {"court", "field.court"},
      {"name of the court abroad", "field.foreign-court"},
      {"country of the court abroad", "field.foreign-country"},
      {"case number", "field.case-number"},
      {"judgment date", "field.judgment-date"},
      {"date the judgment became final", "field.final-date"},
      {"offences", "field.offence"},
      {"sentence", "field.sentence"},
      {"months of the sentence", "field.months"},
      {"bans", "field.ban"},
      {"release date", "field.release-date"},
      {"end of the verification period", "field.suspension-end-date"},
      {"juvenile", "field.juvenile"},
  };
  return *kLabels;
}

}  // namespace

std::pair<std::string, std::vector<NoteField>> TakeAmendmentNote(absl::string_view* rule) {
  if (absl::ConsumeSuffix(rule, kNoteReferenceGone)) return {"amend.note.reference_gone", {}};
  if (absl::ConsumeSuffix(rule, kNoteStoredBefore)) return {"amend.note.stored_before", {}};
  absl::string_view head = *rule;
  if (!absl::ConsumeSuffix(&head, kNoteNotChangedEnd)) return {"", {}};
  const size_t start = head.rfind(kNoteNotChangedStart);
  if (start == absl::string_view::npos) return {"", {}};
  std::vector<NoteField> fields;
  for (absl::string_view words :
       absl::StrSplit(head.substr(start + kNoteNotChangedStart.size()), ", ")) {
    NoteField field;
    for (const auto& [plain, label] : NoteFieldLabels()) {
      if (words == plain) field.label_key = std::string(label);
    }
    if (field.label_key.empty()) field.words = std::string(words);
    fields.push_back(std::move(field));
  }
  *rule = head.substr(0, start);
  return {"amend.note.not_changed", std::move(fields)};
}

std::vector<std::string> AmendmentNoteWords() {
  return {std::string(kNoteReferenceGone), std::string(kNoteStoredBefore),
          std::string(kNoteNotChangedStart), std::string(kNoteNotChangedEnd)};
}

bool IsConvictionRule(absl::string_view key) {
  return key == "rule.conviction_expunged" || key == "rule.retention_ended" ||
         key == "rule.retention_ended_change" || key == "rule.conviction_clash" ||
         key == "rule.conviction_conflict" || key == "rule.same_conviction_row" ||
         key == "rule.same_conviction_rows" || key == "rule.conviction_exists";
}

std::string FieldLabelKey(absl::string_view words) {
  for (const auto& [said, key] : NoteFieldLabels()) {
    if (said == words) return std::string(key);
  }
  return "";
}

std::vector<std::string> KnownRules() {
  std::vector<std::string> rules;
  for (const auto& rule : Rules()) rules.push_back(rule.first);
  return rules;
}

std::vector<std::string> KnownRuleParts() {
  return {" characters of valid UTF-8, no control characters",
          "does not match the personal number format", std::string(kNoPersonalNumberClause),
          "holds an invisible character (U+",
          ", after the judgment date: check the judgment date, or record the article of the code "
          "the court applied",
          " of an offence took effect: check the judgment date, and the offence's code",
          std::string(kRecordedByParagraph), std::string(kExpunged),
          std::string(kRetentionEndedChange), std::string(kRetentionEnded), std::string(kFinalBy),
          std::string(kWouldHaveKept), std::string(kClash), std::string(kConflict),
          std::string(kConflictEnd), std::string(kSameRow), std::string(kOneRowEach),
          std::string(kExists)};
}

std::vector<FieldError> ErrorsFromServer(absl::string_view message,
                                         const v1::CreateRecordRequest& request) {
  std::vector<FieldError> errors;
  for (const std::string& part : client::SplitServerProblems(message)) {
    const std::string path = client::FieldOfMessage(part);
    FieldError error;
    // A create's duplicate names no field; an amendment's clash of two fields names both
    // ("conviction.court_id, person.personal_number: another record has ..."). Each is the
    // conviction's, said beside the first field it names (the case number for a create), with
    // the record it names.
    absl::string_view exists = part;
    if (path.empty() && absl::ConsumePrefix(&exists, kExists) && RecordIdShaped(exists)) {
      errors.push_back({"case-number", "rule.conviction_exists"});
      errors.back().record_id = std::string(exists);
      continue;
    }
    const size_t clash = part.find(absl::StrCat(": ", kClash));
    if (path.empty() && clash != std::string::npos) {
      const std::vector<std::string> paths = absl::StrSplit(part.substr(0, clash), ", ");
      error.input = InputOfPath(paths.front(), request);
      if (error.input.empty()) error.input = "case-number";
      error.key = "rule.conviction_clash";
      error.server_text = part.substr(clash + 2);
      absl::string_view id = absl::string_view(part).substr(clash + 2 + kClash.size());
      if (absl::ConsumePrefix(&id, ": ") && RecordIdShaped(id)) error.record_id = std::string(id);
      errors.push_back(std::move(error));
      continue;
    }
    if (path.empty()) {
      error.server_text = part;
      errors.push_back(std::move(error));
      continue;
    }
    error.input = InputOfPath(path, request);
    absl::string_view rule = absl::string_view(part).substr(path.size());
    if (absl::StartsWith(rule, " is required")) {
      rule = "required";
    } else {
      absl::ConsumePrefix(&rule, ": ");
    }
    // An amendment's note on a field it left as it was, said in the official's language after
    // the rule, which is then known by its own words.
    std::tie(error.note_key, error.note_fields) = TakeAmendmentNote(&rule);
    auto [key, values] = RuleKey(rule);
    // A required name left empty is refused by the registry with the rule of a name ("1..100
    // letters, ..."), which told of an empty field reads as if it held something wrong: said
    // as every other required field left empty is.
    if (key == "rule.name") {
      const client::RecordField* field = client::FindRecordField(path);
      if (field != nullptr && client::IsRecordFieldEmpty(*field, request)) {
        key = "rule.required";
        values.clear();
      }
    }
    error.key = key;
    error.values = values;
    if (IsConvictionRule(key) && (error.input.empty() || path == "conviction")) {
      error.input = "case-number";
    }
    if (key == "rule.conviction_clash") {
      absl::string_view id = rule.substr(kClash.size());
      if (absl::ConsumePrefix(&id, ": ") && RecordIdShaped(id)) error.record_id = std::string(id);
    }
    // The whole problem, field name included, when it is not put beside its input.
    error.server_text = !error.input.empty()    ? std::string(rule)
                        : error.note_key.empty() ? part
                                                 : absl::StrCat(path, ": ", rule);
    errors.push_back(std::move(error));
  }
  return errors;
}

google::protobuf::FieldMask ChangedFields(const v1::CreateRecordRequest& current,
                                          const v1::CreateRecordRequest& changed) {
  return ChangedFields(current, changed, OffenceTable());
}

google::protobuf::FieldMask ChangedFields(const v1::CreateRecordRequest& current,
                                          const v1::CreateRecordRequest& changed,
                                          const OffenceTable& offences) {
  // Output-only text (offence titles, the court's name) is the server's, not the clerk's. The
  // offences are compared as a set: the browser sends the ticked boxes in the page's order (the
  // table's), not the record's, and no box can reorder them, so an order that differs is no
  // change of the clerk's (before, it rewrote the offences in the table's order, in their name).
  const auto input_only = [](v1::CreateRecordRequest record) {
    auto& list = *record.mutable_conviction()->mutable_offences();
    for (v1::Offence& offence : list) offence.clear_title();
    std::sort(list.begin(), list.end(), [](const v1::Offence& x, const v1::Offence& y) {
      return std::make_tuple(x.law(), x.article(), x.paragraph()) <
             std::make_tuple(y.law(), y.article(), y.paragraph());
    });
    record.mutable_conviction()->clear_court_name();
    return record;
  };
  // The baseline is the form as it was shown: built with the table, as the page builds it.
  std::vector<FieldError> unused;
  const v1::CreateRecordRequest a =
      input_only(RecordFromForm(FormFromRecord(current, offences), &unused));
  const v1::CreateRecordRequest b = input_only(changed);
  std::vector<std::string> paths;
  for (const client::RecordField& field : client::RecordFields()) {
    if (std::find(paths.begin(), paths.end(), field.mask_path) == paths.end()) {
      paths.push_back(field.mask_path);
    }
  }
  paths.push_back("conviction.suspension_end_date");
  google::protobuf::FieldMask mask;
  for (const std::string& path : paths) {
    google::protobuf::FieldMask one;
    one.add_paths(path);
    v1::CreateRecordRequest part_a, part_b;
    google::protobuf::util::FieldMaskUtil::MergeOptions options;
    options.set_replace_repeated_fields(true);
    google::protobuf::util::FieldMaskUtil::MergeMessageTo(a, one, options, &part_a);
    google::protobuf::util::FieldMaskUtil::MergeMessageTo(b, one, options, &part_b);
    if (part_a.SerializeAsString() != part_b.SerializeAsString()) mask.add_paths(path);
  }
  return mask;
}

std::vector<std::string> RepeatedBanKinds(const v1::CreateRecordRequest& record) {
  std::map<std::string, int> count;
  for (const v1::AccessoryBan& ban : record.conviction().bans()) {
    ++count[client::BanTypeWord(ban.type())];
  }
  std::vector<std::string> kinds;
  for (const std::string& word : BanWords()) {
    if (count[word] > 1) kinds.push_back(word);
  }
  return kinds;
}

}  // namespace registry::console

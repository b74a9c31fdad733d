#include "client/record_format.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/terminal_text.h"

namespace registry::client {
namespace {

// Appends "Label:" padded to a column, then the value (or "-" when empty). The value is already
// safe for a terminal: the caller escaped each server string in it.
void Field(absl::string_view label, absl::string_view value, std::string* out) {
  absl::StrAppendFormat(out, "%-28s %s\n", absl::StrCat(label, ":"),
                        value.empty() ? absl::string_view("-") : value);
}

std::string SexName(v1::Sex sex) {
  switch (sex) {
    case v1::SEX_FEMALE:
      return "female";
    case v1::SEX_MALE:
      return "male";
    default:
      return "";
  }
}

std::string BanTypeName(v1::BanType type) {
  switch (type) {
    case v1::BAN_TYPE_WORK_WITH_CHILDREN:
      return "work with children";
    case v1::BAN_TYPE_CONTACT_WITH_VICTIM:
      return "contact with the victim";
    case v1::BAN_TYPE_PROFESSION:
      return "profession or activity";
    default:
      return "unspecified ban";
  }
}

}  // namespace

std::string FormatOffence(const v1::Offence& offence) {
  std::string text = absl::StrCat(ForTerminal(offence.law()), " art. ", offence.article());
  if (offence.paragraph() != 0) absl::StrAppend(&text, " §", offence.paragraph());
  if (!offence.title().empty()) absl::StrAppend(&text, " (", ForTerminal(offence.title()), ")");
  return text;
}

std::string FormatSentence(const v1::Sentence& sentence) {
  std::string type;
  switch (sentence.type()) {
    case v1::SENTENCE_TYPE_IMPRISONMENT:
      type = "imprisonment";
      break;
    case v1::SENTENCE_TYPE_SUSPENDED:
      type = "suspended sentence";
      break;
    case v1::SENTENCE_TYPE_FINE:
      type = "fine";
      break;
    case v1::SENTENCE_TYPE_JUVENILE_MEASURE:
      type = "juvenile measure";
      break;
    case v1::SENTENCE_TYPE_OTHER:
      type = "other";
      break;
    default:
      type = "unspecified";
  }
  if (sentence.months() == 0) return type;
  return absl::StrCat(type, ", ", sentence.months(), sentence.months() == 1 ? " month" : " months");
}

std::string FormatBan(const v1::AccessoryBan& ban) {
  return absl::StrCat(BanTypeName(ban.type()), ban.end_date().empty()
                                                   ? " for life"
                                                   : absl::StrCat(" until ",
                                                                  ForTerminal(ban.end_date())));
}

std::string RecordStatusName(v1::RecordStatus status) {
  switch (status) {
    case v1::RECORD_STATUS_ACTIVE:
      return "active";
    case v1::RECORD_STATUS_DISPUTED:
      return "disputed";
    case v1::RECORD_STATUS_EXPUNGED:
      return "expunged";
    default:
      return "unspecified";
  }
}

std::string VettingResultName(v1::VettingResult result) {
  switch (result) {
    case v1::VETTING_RESULT_CLEAR:
      return "CLEAR";
    case v1::VETTING_RESULT_NOT_CLEAR:
      return "NOT CLEAR";
    case v1::VETTING_RESULT_REFER:
      return "REFER";
    default:
      return "UNSPECIFIED";
  }
}

std::string CheckOutcomeText(const v1::CheckSummary& check) {
  if (check.status_code() != 0) {
    return absl::StrCat("refused: ",
                        absl::StatusCodeToString(static_cast<absl::StatusCode>(check.status_code())));
  }
  if (check.result_withheld()) return "result withheld (record erased)";
  return VettingResultName(check.result());
}

std::string FormatRecord(const v1::Record& record) {
  const v1::RecordMetadata& meta = record.metadata();
  const v1::Person& person = record.person();
  const v1::Conviction& conviction = record.conviction();
  // Shorthand: every string below comes from the record.
  const auto t = [](absl::string_view value) { return ForTerminal(value); };
  std::string out;
  Field("Record", t(meta.record_id()), &out);
  Field("Surname", t(person.surname()), &out);
  Field("Given name", t(person.given_name()), &out);
  Field("Father's name", t(person.father_name()), &out);
  Field("Aliases", t(absl::StrJoin(person.aliases(), ", ")), &out);
  Field("Sex", SexName(person.sex()), &out);
  Field("Born", person.birth_place().empty()
                    ? t(person.birth_date())
                    : absl::StrCat(t(person.birth_date()), " in ", t(person.birth_place())),
        &out);
  Field("Citizenship", t(absl::StrJoin(person.citizenships(), ", ")), &out);
  Field("Personal number", t(person.personal_number()), &out);
  Field("Last known address", t(person.last_known_address()), &out);
  Field("Court", conviction.court_id() == "foreign"
                     ? absl::StrCat("foreign: ", t(conviction.foreign_court()), " (",
                                    t(conviction.foreign_country()), ")")
                     : t(conviction.court_id()),
        &out);
  Field("Case", t(conviction.case_number()), &out);
  Field("Judgment", t(conviction.judgment_date()), &out);
  Field("Final", t(conviction.final_date()), &out);
  std::vector<std::string> offences;
  for (const v1::Offence& offence : conviction.offences()) offences.push_back(FormatOffence(offence));
  Field("Offences", absl::StrJoin(offences, "; "), &out);
  Field("Sentence", FormatSentence(conviction.sentence()), &out);
  std::vector<std::string> bans;
  for (const v1::AccessoryBan& ban : conviction.bans()) bans.push_back(FormatBan(ban));
  Field("Bans", bans.empty() ? "none" : absl::StrJoin(bans, "; "), &out);
  Field("Released", t(conviction.release_date()), &out);
  Field("Juvenile", conviction.juvenile() ? "yes" : "no", &out);
  Field("Status", RecordStatusName(meta.status()), &out);
  Field("Version", meta.version() == 0 ? "" : absl::StrCat(meta.version()), &out);
  Field("Created", absl::StrCat(t(meta.created_at()), " by ", t(meta.created_by())), &out);
  if (!meta.updated_at().empty()) {
    Field("Updated", absl::StrCat(t(meta.updated_at()), " by ", t(meta.updated_by())), &out);
  }
  Field("Visible to employers until", t(meta.employer_visible_until()), &out);
  Field("Delete after", t(meta.delete_after()), &out);
  return out;
}

}  // namespace registry::client

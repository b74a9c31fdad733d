#include "client/record_format.h"

#include <algorithm>
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
    case v1::SENTENCE_TYPE_LIFE_IMPRISONMENT:
      type = "life imprisonment";
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
  if (check.asked_under_another_number()) {
    // This person's record took part in a check of another number; only a REFER was theirs.
    return check.result() == v1::VETTING_RESULT_REFER
               ? "REFER (asked under another personal number)"
               : "asked under another personal number (its answer is that number's, not shown)";
  }
  return VettingResultName(check.result());
}

std::string FormatCourt(const v1::Conviction& conviction) {
  const auto t = [](absl::string_view value) { return ForTerminal(value); };
  if (conviction.court_id() == "foreign") {
    return absl::StrCat("foreign: ", t(conviction.foreign_court()), " (",
                        t(conviction.foreign_country()), ")");
  }
  if (conviction.court_name().empty()) return t(conviction.court_id());
  return absl::StrCat(t(conviction.court_name()), " (", t(conviction.court_id()), ")");
}

std::string FormatRecord(const v1::Record& record, size_t width) {
  std::string out;
  if (width == 0) {
    for (const RecordLine& line : RecordLines(record)) Field(line.label, line.value, &out);
    return out;
  }
  std::vector<LabelledValue> fields;
  for (RecordLine& line : RecordLines(record)) {
    fields.push_back({absl::StrCat(line.label, ":"), std::move(line.value)});
  }
  return LabelledLines(fields, 28, width);
}

std::string FormatChanges(const v1::Record& before, const v1::Record& after) {
  const std::vector<RecordLine> old_lines = RecordLines(before);
  const std::vector<RecordLine> new_lines = RecordLines(after);
  std::string out;
  // Both lists have the same labels in the same order, but for "Updated", which only a changed
  // record has; bookkeeping lines are skipped, so they need not line up.
  for (const RecordLine& now : new_lines) {
    if (now.bookkeeping) continue;
    auto was = std::find_if(old_lines.begin(), old_lines.end(),
                            [&](const RecordLine& l) { return l.label == now.label; });
    const std::string old_value = was == old_lines.end() ? "" : was->value;
    if (old_value == now.value) continue;
    Field(now.label,
          absl::StrCat(old_value.empty() ? "-" : old_value, " → ",
                       now.value.empty() ? "-" : now.value),
          &out);
  }
  return out;
}

std::string FormatHistory(const v1::GetRecordHistoryResponse& history) {
  std::string out;
  // The first version whole; after it, what each version changed.
  const v1::Record* previous = nullptr;
  for (const v1::RecordVersion& version : history.versions()) {
    const v1::RecordMetadata& meta = version.record().metadata();
    const bool first = previous == nullptr;
    const std::string& when = first ? meta.created_at() : meta.updated_at();
    const std::string& who = first ? meta.created_by() : meta.updated_by();
    if (!first) out += "\n";
    absl::StrAppend(&out, "== version ", meta.version(), ", ", ForTerminal(when), ", by ",
                    ForTerminal(who), ": ", ForTerminal(version.reason()), "\n");
    if (first) {
      out += FormatRecord(version.record());
    } else {
      const std::string changes = FormatChanges(*previous, version.record());
      out += changes.empty() ? "(no field shown here changed)\n" : changes;
    }
    previous = &version.record();
  }
  out += FormatDatesInForce(history);
  return out;
}

std::string FormatDatesInForce(const v1::GetRecordHistoryResponse& history) {
  if (!history.has_dates_in_force()) return "";
  const v1::DatesInForce& dates = history.dates_in_force();
  // Why they are not the newest version's, as the registry says it: no version's author made
  // this change. The other conviction is not named: the history does not disclose it.
  std::string why;
  // Only kept from deletion (the later conviction is under the same number but another name, or
  // disputed): the time it counts for vetting is its own, and "extended" said otherwise.
  if (dates.kept_from_deletion_only()) {
    why = dates.retention_rules_changed()
              ? "kept from deletion by another conviction under the same personal number, and "
                "re-dated under the retention rules in force"
              : "kept from deletion by another conviction under the same personal number";
  } else if (dates.extended_by_another_conviction() && dates.retention_rules_changed()) {
    why = "extended by another conviction of the same person, and re-dated under the retention "
          "rules in force";
  } else if (dates.extended_by_another_conviction()) {
    why = "extended by another conviction of the same person";
  } else if (dates.retention_rules_changed()) {
    why = "re-dated under the retention rules in force since the newest version";
  } else {
    why = "not those the newest version was written with";
  }
  const auto shown = [](absl::string_view date) {
    return date.empty() ? std::string("-") : ForTerminal(date);
  };
  return absl::StrCat("\nDates now in force: visible to employers until ",
                      shown(dates.employer_visible_until()), ", delete after ",
                      shown(dates.delete_after()), " (", why, ")\n");
}

std::vector<RecordLine> RecordLines(const v1::Record& record) {
  const v1::RecordMetadata& meta = record.metadata();
  const v1::Person& person = record.person();
  const v1::Conviction& conviction = record.conviction();
  // Shorthand: every string below comes from the record.
  const auto t = [](absl::string_view value) { return ForTerminal(value); };
  std::vector<RecordLine> out;
  const auto Line = [&out](absl::string_view label, std::string value) {
    out.push_back({std::string(label), std::move(value)});
  };
  const auto Bookkeeping = [&out](absl::string_view label, std::string value) {
    out.push_back({std::string(label), std::move(value), true});
  };
  Bookkeeping("Record", t(meta.record_id()));
  Line("Surname", t(person.surname()));
  Line("Given name", t(person.given_name()));
  Line("Father's name", t(person.father_name()));
  Line("Aliases", t(absl::StrJoin(person.aliases(), ", ")));
  Line("Sex", SexName(person.sex()));
  Line("Born", person.birth_place().empty()
                   ? t(person.birth_date())
                   : absl::StrCat(t(person.birth_date()), " in ", t(person.birth_place())));
  Line("Citizenship", t(absl::StrJoin(person.citizenships(), ", ")));
  Line("Personal number", t(person.personal_number()));
  Line("Last known address", t(person.last_known_address()));
  Line("Court", FormatCourt(conviction));
  Line("Case", t(conviction.case_number()));
  Line("Judgment", t(conviction.judgment_date()));
  Line("Final", t(conviction.final_date()));
  std::vector<std::string> offences;
  for (const v1::Offence& offence : conviction.offences()) offences.push_back(FormatOffence(offence));
  Line("Offences", absl::StrJoin(offences, "; "));
  Line("Sentence", FormatSentence(conviction.sentence()));
  std::vector<std::string> bans;
  for (const v1::AccessoryBan& ban : conviction.bans()) bans.push_back(FormatBan(ban));
  Line("Bans", bans.empty() ? "none" : absl::StrJoin(bans, "; "));
  Line("Released", t(conviction.release_date()));
  Line("Verification ends", t(conviction.suspension_end_date()));
  Line("Juvenile", conviction.juvenile() ? "yes" : "no");
  Line("Status", RecordStatusName(meta.status()));
  Bookkeeping("Version", meta.version() == 0 ? "" : absl::StrCat(meta.version()));
  Bookkeeping("Created", absl::StrCat(t(meta.created_at()), " by ", t(meta.created_by())));
  if (!meta.updated_at().empty()) {
    Bookkeeping("Updated", absl::StrCat(t(meta.updated_at()), " by ", t(meta.updated_by())));
  }
  Line("Visible to employers until", t(meta.employer_visible_until()));
  Line("Delete after", t(meta.delete_after()));
  return out;
}

}  // namespace registry::client

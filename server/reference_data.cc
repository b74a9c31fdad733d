#include "server/reference_data.h"

#include <algorithm>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/record_limits.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "crypto/hash.h"
#include "server/config.h"

namespace registry::server {
namespace {

constexpr size_t kMaxTitleBytes = 200;
constexpr size_t kMaxSwitchBytes = 64;
constexpr uint32_t kMaxRetentionYears = 100;

absl::Status Invalid(absl::string_view file, absl::string_view entry, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(file, ": ", entry, ": ", rule));
}

bool AllDigits(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
}

// "NN/L-NNN", a law of the Assembly, e.g. "06/L-074"; or "UNMIK/YYYY/N", an UNMIK regulation
// of one to three digits, e.g. "UNMIK/2003/25", the Provisional Criminal Code of Kosovo. Both
// within kMaxLawCharacters, and neither holds the ':' that separates a law from its article in
// an offence code ("UNMIK/2003/25:193:0").
bool IsLawNumber(absl::string_view law) {
  if (law.size() == 8 && law.substr(2, 3) == "/L-") {
    return AllDigits(law.substr(0, 2)) && AllDigits(law.substr(5, 3));
  }
  constexpr absl::string_view kRegulation = "UNMIK/";
  if (law.size() > kMaxLawCharacters || law.substr(0, kRegulation.size()) != kRegulation) {
    return false;
  }
  const absl::string_view number = law.substr(kRegulation.size());
  return number.size() >= 6 && number.size() <= 8 && AllDigits(number.substr(0, 4)) &&
         number[4] == '/' && AllDigits(number.substr(5));
}

bool IsSwitchName(absl::string_view name) {
  if (name.size() > kMaxSwitchBytes) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_islower(static_cast<unsigned char>(c)) ||
           absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool IsCourtId(absl::string_view id) {
  if (id.empty() || id.size() > ReferenceData::kMaxCourtIdBytes) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_islower(static_cast<unsigned char>(c)) ||
           absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-';
  });
}

// Reads and strictly parses one table file; errors name the file.
absl::Status ReadTable(const std::string& dir, absl::string_view name,
                       google::protobuf::Message* message) {
  ASSIGN_OR_RETURN(std::string json, ReadFile(absl::StrCat(dir, "/", name)));
  absl::Status parsed = ParseJson(json, message);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": ", parsed.message()));
  }
  return absl::OkStatus();
}

constexpr absl::string_view kLawRule =
    "law must look like \"06/L-074\" (a law) or \"UNMIK/2003/25\" (an UNMIK regulation)";

absl::Status CheckOffences(const v1::OffenceTable& table) {
  constexpr absl::string_view kFile = "offences.json";
  for (int i = 0; i < table.switches_size(); ++i) {
    const std::string entry = absl::StrCat("switches[", i, "]");
    if (table.switches(i).empty() || !IsSwitchName(table.switches(i))) {
      return Invalid(kFile, entry, "must be 1..64 of [a-z0-9_]");
    }
  }
  std::set<std::tuple<std::string, uint32_t, uint32_t>> seen;
  for (int i = 0; i < table.offences_size(); ++i) {
    const v1::OffenceEntry& e = table.offences(i);
    const std::string entry = absl::StrCat("offences[", i, "]");
    if (!IsLawNumber(e.law())) return Invalid(kFile, entry, kLawRule);
    if (e.article() < 1 || e.article() > kMaxArticle) {
      return Invalid(kFile, entry, absl::StrCat("article must be 1..", kMaxArticle));
    }
    if (e.paragraph() > kMaxParagraph) {
      return Invalid(kFile, entry, absl::StrCat("paragraph must be 0..", kMaxParagraph));
    }
    if (e.title().empty() || e.title().size() > kMaxTitleBytes) {
      return Invalid(kFile, entry, "title must be 1..200 bytes");
    }
    for (const auto& [name, value] : {std::make_pair("title_sq", &e.title_sq()),
                                      std::make_pair("title_sr", &e.title_sr())}) {
      if (value->size() > kMaxTitleBytes) {
        return Invalid(kFile, entry, absl::StrCat(name, " must be empty or 1..200 bytes"));
      }
    }
    if (!IsSwitchName(e.requires_switch())) {
      return Invalid(kFile, entry, "requires_switch must be empty or [a-z0-9_], at most 64");
    }
    if (!seen.emplace(e.law(), e.article(), e.paragraph()).second) {
      return Invalid(kFile, entry, "duplicate (law, article, paragraph)");
    }
  }
  std::set<std::string> laws;
  for (int i = 0; i < table.laws_size(); ++i) {
    const v1::LawEntry& l = table.laws(i);
    const std::string entry = absl::StrCat("laws[", i, "]");
    if (!IsLawNumber(l.law())) return Invalid(kFile, entry, kLawRule);
    if (!ParseDate(l.in_force_from()).ok()) {
      return Invalid(kFile, entry, "in_force_from must be a date YYYY-MM-DD");
    }
    if (!laws.insert(l.law()).second) return Invalid(kFile, entry, "duplicate law");
  }
  if (!laws.empty()) {
    for (int i = 0; i < table.offences_size(); ++i) {
      if (laws.count(table.offences(i).law()) == 0) {
        return Invalid(kFile, absl::StrCat("offences[", i, "]"),
                       "its law is not in laws (with the day it took effect)");
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckCourts(const v1::CourtTable& table) {
  constexpr absl::string_view kFile = "courts.json";
  if (table.courts().empty()) return Invalid(kFile, "courts", "at least one court is required");
  std::set<std::string, std::less<>> ids;
  int foreign = 0;
  for (int i = 0; i < table.courts_size(); ++i) {
    const v1::CourtEntry& c = table.courts(i);
    const std::string entry = absl::StrCat("courts[", i, "]");
    if (!IsCourtId(c.id())) return Invalid(kFile, entry, "id must be 1..64 of [a-z0-9-]");
    if (c.name().empty() || c.name().size() > kMaxTitleBytes) {
      return Invalid(kFile, entry, "name must be 1..200 bytes");
    }
    for (const auto& [name, value] : {std::make_pair("name_sq", &c.name_sq()),
                                      std::make_pair("name_sr", &c.name_sr())}) {
      if (value->size() > kMaxTitleBytes) {
        return Invalid(kFile, entry, absl::StrCat(name, " must be empty or 1..200 bytes"));
      }
    }
    if (!ids.insert(c.id()).second) return Invalid(kFile, entry, "duplicate id");
    if (c.foreign() && ++foreign > 1) {
      return Invalid(kFile, entry, "only one court may be marked foreign");
    }
    // A court's dates, both inclusive: the foreign court has none (any court abroad, any day).
    std::optional<absl::CivilDay> from;
    std::optional<absl::CivilDay> to;
    for (const auto& [name, value, day] :
         {std::make_tuple("valid_from", &c.valid_from(), &from),
          std::make_tuple("valid_to", &c.valid_to(), &to)}) {
      if (value->empty()) continue;
      if (c.foreign()) {
        return Invalid(kFile, entry, absl::StrCat(name, " must be empty for the foreign court"));
      }
      absl::StatusOr<absl::CivilDay> parsed = ParseDate(*value);
      if (!parsed.ok()) {
        return Invalid(kFile, entry, absl::StrCat(name, " must be a date YYYY-MM-DD"));
      }
      *day = *parsed;
    }
    if (from.has_value() && to.has_value() && *to < *from) {
      return Invalid(kFile, entry, "valid_to must be on or after valid_from");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRetention(const v1::RetentionTable& table) {
  constexpr absl::string_view kFile = "retention.json";
  if (table.rules().empty()) return Invalid(kFile, "rules", "at least one rule is required");
  bool adult_catch_all = false;
  bool juvenile_catch_all = false;
  for (int i = 0; i < table.rules_size(); ++i) {
    const v1::RetentionRule& r = table.rules(i);
    const std::string entry = absl::StrCat("rules[", i, "]");
    if (r.min_sentence_months() > kMaxSentenceMonths) {
      return Invalid(kFile, entry,
                     absl::StrCat("min_sentence_months must be 0..", kMaxSentenceMonths));
    }
    if (r.delete_after_years() < 1 || r.delete_after_years() > kMaxRetentionYears) {
      return Invalid(kFile, entry, "delete_after_years must be 1..100");
    }
    if (r.employer_visible_years() > r.delete_after_years()) {
      return Invalid(kFile, entry, "employer_visible_years must not exceed delete_after_years");
    }
    if (r.min_sentence_months() == 0) {
      (r.juvenile() ? juvenile_catch_all : adult_catch_all) = true;
    }
  }
  const std::string last = absl::StrCat("rules[", table.rules_size() - 1, "]");
  if (table.rules(table.rules_size() - 1).min_sentence_months() != 0) {
    return Invalid(kFile, last, "the last rule must be a catch-all (min_sentence_months 0)");
  }
  if (!adult_catch_all || !juvenile_catch_all) {
    return Invalid(kFile, "rules",
                   absl::StrCat("no catch-all rule (min_sentence_months 0) for ",
                                adult_catch_all ? "juvenile" : "adult", " convictions"));
  }
  return absl::OkStatus();
}

// `months` after `day`, clamped to the month's last day (31 January + 1 month = 28/29 February).
absl::CivilDay AddMonths(absl::CivilDay day, uint32_t months) {
  const absl::CivilMonth month = absl::CivilMonth(day) + months;
  const absl::CivilDay first(month);
  const absl::CivilDay last = absl::CivilDay(month + 1) - 1;
  return std::min(first + (day.day() - 1), last);
}

uint32_t CountedMonths(const v1::Conviction& conviction) {
  const v1::SentenceType type = conviction.sentence().type();
  if (type == registry::v1::SENTENCE_TYPE_IMPRISONMENT ||
      type == registry::v1::SENTENCE_TYPE_SUSPENDED) {
    return conviction.sentence().months();
  }
  // Life imprisonment is longer than any term: it takes the rule of the longest.
  if (type == registry::v1::SENTENCE_TYPE_LIFE_IMPRISONMENT) return kMaxSentenceMonths;
  return 0;
}

// Whether a ban keeps the record visible to employers until it ends: a ban on work with
// children, and a ban on a profession, activity or duty, which the codes pronounce without
// naming the profession (a teacher's, a coach's), so the registry cannot tell it from one that
// keeps the person from children. A ban on contacting the victim does not.
bool BanKeepsVisible(v1::BanType type) {
  return type == registry::v1::BAN_TYPE_WORK_WITH_CHILDREN ||
         type == registry::v1::BAN_TYPE_PROFESSION;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ReferenceData>> ReferenceData::Load(const std::string& dir) {
  std::unique_ptr<ReferenceData> data(new ReferenceData());
  RETURN_IF_ERROR(ReadTable(dir, "offences.json", &data->offence_table_));
  RETURN_IF_ERROR(CheckOffences(data->offence_table_));
  RETURN_IF_ERROR(ReadTable(dir, "courts.json", &data->court_table_));
  RETURN_IF_ERROR(CheckCourts(data->court_table_));
  RETURN_IF_ERROR(ReadTable(dir, "retention.json", &data->retention_table_));
  RETURN_IF_ERROR(CheckRetention(data->retention_table_));
  uint32_t longest = 0;
  for (const v1::RetentionRule& r : data->retention_table_.rules()) {
    longest = std::max(longest, r.delete_after_years());
  }
  for (int i = 0; i < data->offence_table_.offences_size(); ++i) {
    if (data->offence_table_.offences(i).min_employer_visible_years() > longest) {
      return Invalid("offences.json", absl::StrCat("offences[", i, "]"),
                     "min_employer_visible_years must not exceed the longest delete_after_years "
                     "of retention.json");
    }
  }

  const std::set<std::string> switches(data->offence_table_.switches().begin(),
                                       data->offence_table_.switches().end());
  for (const v1::OffenceEntry& e : data->offence_table_.offences()) {
    if (!e.requires_switch().empty() && switches.count(e.requires_switch()) == 0) continue;
    data->offences_.emplace(OffenceKey(e.law(), e.article(), e.paragraph()), &e);
  }
  for (const v1::CourtEntry& c : data->court_table_.courts()) {
    data->courts_.emplace(c.id(), &c);
  }
  data->rules_fingerprint_ = data->ComputeRulesFingerprint();
  return data;
}

const v1::OffenceEntry* ReferenceData::FindOffence(absl::string_view law, uint32_t article,
                                               uint32_t paragraph) const {
  auto it = offences_.find(OffenceKey(std::string(law), article, paragraph));
  if (it != offences_.end()) return it->second;
  it = offences_.find(OffenceKey(std::string(law), article, 0));
  return it == offences_.end() ? nullptr : it->second;
}

std::vector<v1::OffenceEntry> ReferenceData::RegistrableOffences() const {
  std::vector<v1::OffenceEntry> out;
  for (const v1::OffenceEntry& e : offence_table_.offences()) {
    auto it = offences_.find(OffenceKey(e.law(), e.article(), e.paragraph()));
    if (it != offences_.end() && it->second == &e) out.push_back(e);
  }
  return out;
}

std::optional<absl::CivilDay> ReferenceData::LawInForceFrom(absl::string_view law) const {
  for (const v1::LawEntry& l : offence_table_.laws()) {
    if (l.law() != law) continue;
    absl::StatusOr<absl::CivilDay> day = ParseDate(l.in_force_from());
    if (day.ok()) return *day;
  }
  return std::nullopt;
}

bool ReferenceData::SomeLawInForceOn(absl::CivilDay day) const {
  for (const v1::LawEntry& l : offence_table_.laws()) {
    absl::StatusOr<absl::CivilDay> from = ParseDate(l.in_force_from());
    if (from.ok() && *from <= day) return true;
  }
  return false;
}

ReferenceData::CourtDay ReferenceData::CourtJudgedOn(const v1::CourtEntry& court,
                                                     absl::CivilDay day) {
  if (const absl::StatusOr<absl::CivilDay> from = ParseDate(court.valid_from());
      !court.valid_from().empty() && from.ok() && day < *from) {
    return CourtDay::kNotYet;
  }
  if (const absl::StatusOr<absl::CivilDay> to = ParseDate(court.valid_to());
      !court.valid_to().empty() && to.ok() && day > *to) {
    return CourtDay::kNoLonger;
  }
  return CourtDay::kJudged;
}

const v1::CourtEntry* ReferenceData::FindCourt(absl::string_view id) const {
  auto it = courts_.find(id);
  return it == courts_.end() ? nullptr : it->second;
}

absl::StatusOr<absl::CivilDay> ReferenceData::AnchorOf(const v1::Conviction& conviction) const {
  absl::StatusOr<absl::CivilDay> final_date = ParseDate(conviction.final_date());
  if (!final_date.ok()) {
    return absl::InvalidArgumentError("conviction.final_date: must be a date YYYY-MM-DD");
  }
  if (retention_table_.anchor() == registry::v1::RETENTION_ANCHOR_FINAL_DATE) return *final_date;
  // The end of the sentence.
  const auto ended = [&](const std::string& recorded,
                         absl::string_view field) -> absl::StatusOr<absl::CivilDay> {
    if (recorded.empty()) {
      const absl::CivilDay term_end = AddMonths(*final_date, conviction.sentence().months());
      // A suspended sentence's verification period ends a year after final_date at the
      // earliest (validation refuses a recorded end before that), whatever the term's months:
      // counting from the term's end alone made a record visible for months less than any
      // recorded end could.
      if (conviction.sentence().type() == registry::v1::SENTENCE_TYPE_SUSPENDED) {
        return std::max(term_end, YearsAfter(*final_date, kMinVerificationYears));
      }
      return term_end;
    }
    absl::StatusOr<absl::CivilDay> day = ParseDate(recorded);
    if (!day.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": must be a date YYYY-MM-DD"));
    }
    return std::max(*day, *final_date);
  };
  switch (conviction.sentence().type()) {
    case registry::v1::SENTENCE_TYPE_IMPRISONMENT:
    case registry::v1::SENTENCE_TYPE_LIFE_IMPRISONMENT:
      // Life imprisonment has no months: without a release, its end is final_date.
      return ended(conviction.release_date(), "conviction.release_date");
    case registry::v1::SENTENCE_TYPE_SUSPENDED:
      return ended(conviction.suspension_end_date(), "conviction.suspension_end_date");
    default:
      return *final_date;
  }
}

absl::StatusOr<ReferenceData::Retention> ReferenceData::RetentionFor(
    const v1::Conviction& conviction) const {
  ASSIGN_OR_RETURN(const absl::CivilDay anchor, AnchorOf(conviction));
  absl::StatusOr<absl::CivilDay> final_date = ParseDate(conviction.final_date());
  if (!final_date.ok()) {
    return absl::InvalidArgumentError("conviction.final_date: must be a date YYYY-MM-DD");
  }

  // The latest end of a ban that keeps the record visible, and whether one is for life.
  bool lifelong_ban = false;
  absl::CivilDay latest_ban_end = *final_date;
  for (int i = 0; i < conviction.bans_size(); ++i) {
    const registry::v1::AccessoryBan& ban = conviction.bans(i);
    if (!BanKeepsVisible(ban.type())) continue;
    if (ban.end_date().empty()) {
      lifelong_ban = true;
      continue;
    }
    absl::StatusOr<absl::CivilDay> end = ParseDate(ban.end_date());
    if (!end.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("conviction.bans[", i, "].end_date: must be empty or a date YYYY-MM-DD"));
    }
    latest_ban_end = std::max(latest_ban_end, *end);
  }

  // The longest minimum of the conviction's offences (adults only: juveniles follow their rules).
  uint32_t offence_minimum = 0;
  if (!conviction.juvenile()) {
    for (const registry::v1::Offence& o : conviction.offences()) {
      if (const v1::OffenceEntry* entry = FindOffence(o.law(), o.article(), o.paragraph())) {
        offence_minimum = std::max(offence_minimum, entry->min_employer_visible_years());
      }
    }
  }

  // Life imprisonment keeps the record as long as a ban for life does, counted from the release
  // when one is recorded (a conditional release), else from final_date, whatever the anchor.
  std::optional<absl::CivilDay> life_sentence_from;
  if (conviction.sentence().type() == registry::v1::SENTENCE_TYPE_LIFE_IMPRISONMENT) {
    life_sentence_from = *final_date;
    if (!conviction.release_date().empty()) {
      absl::StatusOr<absl::CivilDay> release = ParseDate(conviction.release_date());
      if (!release.ok()) {
        return absl::InvalidArgumentError("conviction.release_date: must be a date YYYY-MM-DD");
      }
      life_sentence_from = std::max(*release, *final_date);
    }
  }

  const uint32_t months = CountedMonths(conviction);
  for (const v1::RetentionRule& rule : retention_table_.rules()) {
    if (rule.juvenile() != conviction.juvenile() || months < rule.min_sentence_months()) {
      continue;
    }
    Retention r;
    r.anchor = anchor;
    r.employer_visible_until = std::max(
        {YearsAfter(anchor, rule.employer_visible_years()), YearsAfter(anchor, offence_minimum),
         latest_ban_end});
    if (lifelong_ban) {
      // At least the latest end a finite ban may have (validation: within a century of the final
      // date), so a ban for life is never the weaker.
      const absl::CivilDay from = std::max(anchor, *final_date);
      r.employer_visible_until =
          std::max(r.employer_visible_until, YearsAfter(from, kLifelongBanYears));
    }
    if (life_sentence_from.has_value()) {
      r.employer_visible_until =
          std::max(r.employer_visible_until, YearsAfter(*life_sentence_from, kLifelongBanYears));
    }
    // Erased the day after it last counts for vetting at the earliest, never on that day.
    r.delete_after =
        std::max(YearsAfter(anchor, rule.delete_after_years()), r.employer_visible_until + 1);
    // Stored dates are YYYY-MM-DD and compared as text: a fifth digit of year would sort before
    // today and never parse. Validation keeps inputs within a century; this is the last stop.
    if (r.delete_after.year() > 9999) {
      return absl::InvalidArgumentError(
          "conviction: its retention dates run past the year 9999; check release_date, "
          "suspension_end_date and bans[].end_date");
    }
    return r;
  }
  return absl::InternalError("no retention rule matches the conviction");
}

absl::StatusOr<storage::OwnDates> ReferenceData::OwnDatesFor(
    const v1::Conviction& conviction) const {
  ASSIGN_OR_RETURN(const Retention retention, RetentionFor(conviction));
  return storage::OwnDates{FormatDate(retention.employer_visible_until),
                           FormatDate(retention.delete_after), conviction.final_date(),
                           rules_fingerprint_};
}

storage::DatesRules ReferenceData::DatesRules() const {
  return {rules_fingerprint_,
          [this](const v1::Conviction& conviction) { return OwnDatesFor(conviction); }};
}

std::string ReferenceData::ComputeRulesFingerprint() const {
  // What decides a record's dates: the rules, the anchor, and the offences' minimums.
  std::string bytes = retention_table_.SerializeAsString();
  // And the form of what is stored: since form 2 each head seals the fingerprint with its own
  // dates, so a database of form 1 is re-dated once, which seals it into every head.
  // Form 3: delete_after is at least the day after employer_visible_until (it was that day).
  // Form 4: only a conviction naming the person exactly (as vetting compares names) extends
  // visibility; one naming them in another spelling (the loose token) extends deletion only.
  // Form 5: the loose tokens fold th and dh too (storage schema 9, filed anew at the first start
  // before the dates are recomputed), which links more of a person's records for deletion.
  // Form 6: every period of years ends as the codes count it (YearsAfter); a ban for life from
  // 29 February counted to 1 March a century later, one day past a finite ban's latest end.
  // Form 7: a suspended sentence without a recorded end counts from a year after final_date at
  // the earliest (it counted from final_date plus the term's months).
  // Form 8: a later conviction extends an earlier one only when final within the earlier one's
  // period (EffectiveDates); one final after it had stopped counting revived it.
  // Form 9: a record naming the person by an alias (a maiden or married surname) is the same
  // person's, and every record under the personal number extends deletion (EffectiveDates).
  // Form 10: the period a later record must become final in to extend visibility is lengthened
  // only by the same person's active records; another person's under the number, one in another
  // spelling or a disputed one lengthened it too, and so let a later record revive a spent one.
  absl::StrAppend(&bytes, "|stored-form=10");
  // The code's own rules count too: records stored before a change of them are dated again.
  absl::StrAppend(&bytes, "|lifelong-ban-years=", kLifelongBanYears);
  // The bans that keep a record visible (a profession ban too, since it was only work with
  // children), and life imprisonment, kept as a ban for life from the release or final_date.
  absl::StrAppend(&bytes, "|visible-while-banned=work_with_children,profession");
  absl::StrAppend(&bytes, "|life-imprisonment-years=", kLifelongBanYears,
                  ",from=release-or-final,months=", kMaxSentenceMonths);
  for (const auto& [key, entry] : offences_) {
    absl::StrAppend(&bytes, "|", std::get<0>(key), ",", std::get<1>(key), ",", std::get<2>(key),
                    "=", entry->min_employer_visible_years());
  }
  return absl::BytesToHexString(crypto::Sha256(bytes)).substr(0, 16);
}

std::string ReferenceData::DescribeOffence(const v1::Offence& o) const {
  std::string text = absl::StrCat(o.law(), " art. ", o.article());
  if (o.paragraph() != 0) absl::StrAppend(&text, " §", o.paragraph());
  const v1::OffenceEntry* entry = FindOffence(o.law(), o.article(), o.paragraph());
  if (entry != nullptr) absl::StrAppend(&text, " — ", entry->title());
  return text;
}

}  // namespace registry::server

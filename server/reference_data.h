// ReferenceData: the tables a record is checked against and its retention dates are computed
// from, loaded once at start-up from three JSON files (registry.v1 messages of reference.proto)
// in the config's reference_dir:
//
//   offences.json   OffenceTable   which (law, article, paragraph) may be registered
//   courts.json     CourtTable     which court ids a conviction may name
//   retention.json  RetentionTable how long a record counts for vetting, when it is deleted
//
// deploy/reference/ ships the defaults; its README.md says which entries are assumptions. The
// files are strict: an unknown field, a duplicate or an out-of-range value stops start-up rather
// than silently registering against a wrong table.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<ReferenceData> reference,
//                    ReferenceData::Load("/etc/registry/reference"));
//   if (reference->FindOffence("06/L-074", 232, 1) == nullptr) -> not registrable
//   ASSIGN_OR_RETURN(ReferenceData::Retention r, reference->RetentionFor(conviction));
//   // r.employer_visible_until, r.delete_after
//
// Immutable after Load, so thread-safe.
#ifndef REGISTRY_SERVER_REFERENCE_DATA_H_
#define REGISTRY_SERVER_REFERENCE_DATA_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "registry/v1/records.pb.h"
#include "registry/v1/reference.pb.h"
#include "storage/own_dates.h"

namespace registry::server {

class ReferenceData {
 public:
  // A court's id in the court table is 1..kMaxCourtIdBytes of [a-z0-9-].
  static constexpr size_t kMaxCourtIdBytes = 64;

  // Loads offences.json, courts.json and retention.json from `dir` and validates them:
  //  - offences: law matches "NN/L-NNN" or "UNMIK/YYYY/N" (an UNMIK regulation), article
  //    1..999, paragraph 0..99, title 1..200 bytes, title_sq and title_sr (Albanian, Serbian)
  //    empty or 1..200 bytes, requires_switch and switches [a-z0-9_]{0,64}, (law, article,
  //    paragraph) unique;
  //  - courts: at least one; id 1..64 of [a-z0-9-], unique; name 1..200 bytes, name_sq and
  //    name_sr empty or 1..200 bytes; at most one
  //    entry with foreign: true, which has no dates; valid_from and valid_to empty or dates,
  //    valid_from <= valid_to;
  //  - retention: at least one rule; min_sentence_months <= 600; 1 <= delete_after_years <= 100;
  //    employer_visible_years <= delete_after_years; the last rule has min_sentence_months 0,
  //    and both adult and juvenile convictions have a rule with min_sentence_months 0, so every
  //    conviction matches some rule (a rule matches only one of the two, see reference.proto).
  // Returns NotFound (or PermissionDenied) when a file cannot be read, and InvalidArgument naming
  // the file and the entry ("offences.json: offences[3]: duplicate (law, article, paragraph)")
  // for a parse error, an unknown field or a failed rule.
  static absl::StatusOr<std::unique_ptr<ReferenceData>> Load(const std::string& dir);

  // Returns the exact (law, article, paragraph) entry if the table has one, else the article's
  // paragraph-0 (whole article) entry, else nullptr. Entries whose requires_switch is not among
  // the table's switches are treated as absent. The pointer lives as long as this object.
  const registry::v1::OffenceEntry* FindOffence(absl::string_view law, uint32_t article,
                                                uint32_t paragraph) const;

  // The day `law` took effect (offences.json "laws"), or nullopt when the table does not say.
  std::optional<absl::CivilDay> LawInForceFrom(absl::string_view law) const;
  // Whether some law of the table had taken effect on `day`.
  bool SomeLawInForceOn(absl::CivilDay day) const;

  // Returns the court with this id, or nullptr.
  const registry::v1::CourtEntry* FindCourt(absl::string_view id) const;

  // Whether `court` judged on `day` (its valid_from and valid_to, both inclusive, either empty
  // for no bound): the Basic Courts and the Court of Appeals from 1 January 2013, the District
  // Courts and the Municipal Courts until 31 December 2012 (Law 03/L-199 on Courts).
  enum class CourtDay { kJudged, kNotYet, kNoLonger };
  static CourtDay CourtJudgedOn(const registry::v1::CourtEntry& court, absl::CivilDay day);

  // The offences that may be registered (those whose switch, if any, is on), in the table's
  // order, and every court: what a clerk chooses from.
  std::vector<registry::v1::OffenceEntry> RegistrableOffences() const;
  const registry::v1::CourtTable& courts() const { return court_table_; }

  // How long a ban for life (on work with children, or on a profession, activity or duty), and
  // life imprisonment, keep a record visible to employers, and stored:
  // the registry is not told of deaths, so "for life" is a span no life outlasts. A clerk who
  // learns of a death (or of a court lifting the ban) expunges or amends the record.
  static constexpr int kLifelongBanYears = 100;

  struct Retention {
    // The day the years count from (retention.json's anchor; see AnchorOf).
    absl::CivilDay anchor;
    // The record counts for vetting up to and including this day.
    absl::CivilDay employer_visible_until;
    // On this day the retention scheduler expunges the record: after employer_visible_until,
    // never on it, so that a record is not erased on a day it still counts.
    absl::CivilDay delete_after;
  };

  // The day the rules' years count from: final_date, or (the default) the end of the sentence:
  // release_date for imprisonment (final_date + the sentence's months when not recorded; for
  // life imprisonment, final_date),
  // suspension_end_date for a suspended sentence (when not recorded, the later of final_date +
  // the sentence's months and final_date + kMinVerificationYears), final_date for other
  // sentences.
  absl::StatusOr<absl::CivilDay> AnchorOf(const registry::v1::Conviction& conviction) const;

  // The conviction's own dates. Applies the first rule that matches it (same juvenile flag, and
  // sentence months >= min_sentence_months, counting months only for imprisonment and suspended
  // sentences, and life imprisonment as the longest term, 600 months):
  //   visible_until = max(anchor + visible years, anchor + the longest min_employer_visible_years
  //                       of its offences (adults only), latest end of a ban on work with
  //                       children or on a profession, activity or duty),
  //   delete_after  = max(anchor + delete years, the day after visible_until),
  // and such a ban for life (empty end_date) makes both at least kLifelongBanYears after the
  // later of the anchor and final_date: a ban for life is never weaker than a finite one
  // (validation keeps a finite ban's end within 100 years of final_date), and the record is not
  // deleted while the person may live. Life imprisonment makes both at least kLifelongBanYears
  // after its release_date when recorded (not before final_date), else after final_date.
  // Years are added as the codes count periods (YearsAfter): 29 February + 1 year is 28 February.
  // (A later conviction of the
  // same person extends these: storage::EffectiveDates.)
  // Returns InvalidArgument ("conviction.final_date: ..." or "conviction.bans[i].end_date: ...")
  // when a date does not parse; Internal if no rule matches (Load rules that out).
  absl::StatusOr<Retention> RetentionFor(const registry::v1::Conviction& conviction) const;

  // A short fingerprint of everything RetentionFor depends on in the tables, so that a change
  // of the rules can be noticed and the stored dates recomputed.
  const std::string& RulesFingerprint() const { return rules_fingerprint_; }

  // The conviction's own dates as storage seals them (RetentionFor's, as YYYY-MM-DD, with the
  // final date and RulesFingerprint). Errors as RetentionFor's.
  absl::StatusOr<storage::OwnDates> OwnDatesFor(const registry::v1::Conviction& conviction) const;
  // These rules, for RecordStore::UseDatesRules. The result refers to this object.
  storage::DatesRules DatesRules() const;

  // Returns the offence for people: "06/L-074 art. 232 §1 — Abuse of children in pornography";
  // without " §N" for paragraph 0, and without " — title" when the offence is not in the table.
  std::string DescribeOffence(const registry::v1::Offence& o) const;

 private:
  using OffenceKey = std::tuple<std::string, uint32_t, uint32_t>;

  ReferenceData() = default;
  std::string ComputeRulesFingerprint() const;

  registry::v1::OffenceTable offence_table_;
  registry::v1::CourtTable court_table_;
  registry::v1::RetentionTable retention_table_;
  // Only the entries whose switch is on; values point into offence_table_ / court_table_.
  std::map<OffenceKey, const registry::v1::OffenceEntry*> offences_;
  std::map<std::string, const registry::v1::CourtEntry*, std::less<>> courts_;
  std::string rules_fingerprint_;  // set by Load
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_REFERENCE_DATA_H_

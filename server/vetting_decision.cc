#include "server/vetting_decision.h"

#include <algorithm>

#include "common/time_format.h"

namespace registry::server {
namespace {

namespace v1 = registry::v1;

enum class Part { kNone, kTakesPart, kUnreadable };

// Whether a record takes part today. One whose visibility end does not parse cannot be shown to
// be spent, nor trusted to decide NOT_CLEAR: it takes part, and can only refer.
Part PartOf(const storage::VettingFacts& f, absl::CivilDay today) {
  if (f.status == v1::RECORD_STATUS_EXPUNGED) return Part::kNone;
  absl::StatusOr<absl::CivilDay> until = ParseDate(f.employer_visible_until);
  if (!until.ok()) return Part::kUnreadable;
  return today <= *until ? Part::kTakesPart : Part::kNone;
}

}  // namespace

VettingDecision DecideVetting(absl::Span<const storage::VettingFacts> facts, absl::CivilDay today) {
  std::vector<std::string> matching_active;
  std::vector<std::string> taking_part;
  std::vector<VettingDecision::OtherPerson> other_people;
  for (const storage::VettingFacts& f : facts) {
    const Part part = PartOf(f, today);
    if (part == Part::kNone) continue;
    // Under another number only a record that names the candidate exactly has a say.
    if (f.under_other_number && !f.identity_matches) continue;
    taking_part.push_back(f.record_id);
    // The number differs: the registry verifies by hand whether it is the candidate's record.
    if (f.under_other_number) {
      if (f.person_token.empty()) continue;
      auto person = std::find_if(
          other_people.begin(), other_people.end(),
          [&f](const VettingDecision::OtherPerson& p) { return p.token == f.person_token; });
      if (person == other_people.end()) {
        person = other_people.insert(other_people.end(),
                                     VettingDecision::OtherPerson{f.person_token, {}});
      }
      person->record_ids.push_back(f.record_id);
      continue;
    }
    if (part == Part::kTakesPart && f.identity_matches && f.status == v1::RECORD_STATUS_ACTIVE) {
      matching_active.push_back(f.record_id);
    }
  }
  VettingDecision d;
  if (!matching_active.empty()) {
    // Named for no other person's history: a NOT_CLEAR is the asked number's own record's, that
    // is another person's, and a copy in a namesake's history would tell them of it, with its
    // answer or without (a copy without an answer could only be a NOT_CLEAR, since a record
    // under another number that takes part otherwise refers).
    d.result = v1::VETTING_RESULT_NOT_CLEAR;
    d.deciding_record_ids = std::move(matching_active);
  } else if (!taking_part.empty()) {
    d.result = v1::VETTING_RESULT_REFER;
    d.deciding_record_ids = std::move(taking_part);
    // A record under another number that took part referred the check: a probe of its person's
    // name, theirs to see.
    d.other_people = std::move(other_people);
  } else {
    d.result = v1::VETTING_RESULT_CLEAR;
  }
  return d;
}

}  // namespace registry::server

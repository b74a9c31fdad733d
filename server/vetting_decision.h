// The vetting decision: one pure function from the facts of the records filed under a candidate's
// personal number, and of those naming the candidate exactly (normalised name and birth date)
// under another number, and today's date, to the one code an employer receives.
//
// A record takes part only while it is relevant to vetting: not expunged, and today on or before
// its employer_visible_until (which already runs to the end of any work-with-children ban, see
// ReferenceData::RetentionFor). A spent or expunged record takes no part at all, so for an
// employer it is the same as no record: CLEAR, whatever name or status it has.
//
//   no record takes part                                  -> CLEAR
//   a taking-part record under the candidate's number matches the candidate and is active
//                                                         -> NOT_CLEAR
//   otherwise (a taking-part record under the number names someone else or is disputed, or one
//   under another number names the candidate)           -> REFER, the registry verifies by hand
//
// A record under another number never decides NOT_CLEAR (the number differs: a namesake, or
// the candidate under a mistyped or false number), and never CLEAR while it takes part. One under
// the candidate's own number decides first: NOT_CLEAR stays NOT_CLEAR.
//
// A record whose visibility end does not parse cannot be shown to be spent: it takes part, and
// refers. (A head that fails authentication never reaches the decision: it is DATA_LOSS.)
#ifndef REGISTRY_SERVER_VETTING_DECISION_H_
#define REGISTRY_SERVER_VETTING_DECISION_H_

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/types/span.h"
#include "registry/v1/vetting.pb.h"
#include "storage/record_store.h"

namespace registry::server {

struct VettingDecision {
  registry::v1::VettingResult result = registry::v1::VETTING_RESULT_UNSPECIFIED;
  // The records that decided the result: for NOT_CLEAR the matching active ones, for REFER every
  // record that took part, for CLEAR none.
  std::vector<std::string> deciding_record_ids;
  // A person whose records under another number took part in a REFER.
  struct OtherPerson {
    // Their personal-number token.
    std::string token;
    // The ids of their records that took part: theirs only, never another namesake's nor the
    // asked number's. Their copy of the check names these, so that an erasure of a record that
    // is not theirs does not withhold their entry, and their entry names no record of another.
    std::vector<std::string> record_ids;
  };
  // Whatever the result: the people whose records under another number took part in a REFER
  // (each once, in the order their first record came), so that the check is entered in their
  // histories too (docs/security.md row 13); none on NOT_CLEAR, which the asked number's own
  // record decides, nor on CLEAR. Never in the reply or the audit event, and never changing the
  // result.
  std::vector<OtherPerson> other_people;
};

VettingDecision DecideVetting(absl::Span<const storage::VettingFacts> facts, absl::CivilDay today);

}  // namespace registry::server

#endif  // REGISTRY_SERVER_VETTING_DECISION_H_

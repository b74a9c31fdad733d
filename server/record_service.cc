#include "server/record_service.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/json_log.h"
#include "common/reference_text.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "google/protobuf/util/field_mask_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "server/decode_guard.h"
#include "server/eraser.h"
#include "server/event_detail.h"
#include "server/method_table.h"

namespace registry::server {
namespace {

namespace v1 = registry::v1;
using google::protobuf::util::FieldMaskUtil;

constexpr size_t kMaxSearchResults = 100;
constexpr int kMaxImportRows = 1000;
constexpr uint64_t kMaxImportLine = 1000000000;

// The fields records.proto documents as output only: set on reads from the reference tables,
// never taken from the caller (ClearOutputOnly clears them on input).
bool OutputOnly(const google::protobuf::FieldDescriptor* f) {
  return f == v1::Conviction::descriptor()->FindFieldByName("court_name") ||
         f == v1::Offence::descriptor()->FindFieldByName("title");
}

// Field names joined by single dots: FieldMaskUtil skips empty segments, so without this
// "person..surname" or "person.surname." would act as "person.surname"; and only a path of
// field-name characters may be echoed in an answer (and so in the audit event's detail).
bool WellFormedPath(absl::string_view path) {
  for (absl::string_view segment : absl::StrSplit(path, '.')) {
    if (segment.empty()) return false;
    for (char c : segment) {
      if (!absl::ascii_isalnum(c) && c != '_') return false;
    }
  }
  return true;
}

// Paths an amendment may name: a whole part, or one field of it that the caller may set. Each
// bad path is added to `problems`, named by its index; only a well-formed path is echoed.
void CheckMask(const google::protobuf::FieldMask& mask, ProblemList* problems) {
  if (mask.paths().empty()) {
    problems->Add(absl::InvalidArgumentError("update_mask: at least one path"));
    return;
  }
  if (mask.paths_size() > 40) {
    problems->Add(absl::InvalidArgumentError("update_mask: at most 40 paths"));
    return;
  }
  for (int i = 0; i < mask.paths_size(); ++i) {
    const std::string& p = mask.paths(i);
    const std::string at = absl::StrCat("update_mask.paths[", i, "]");
    if (!WellFormedPath(p)) {
      problems->Add(absl::InvalidArgumentError(
          absl::StrCat(at, ": not a field path (field names joined by single dots)")));
      continue;
    }
    if (p == "person" || p == "conviction") continue;
    std::vector<const google::protobuf::FieldDescriptor*> fields;
    if (!(absl::StartsWith(p, "person.") || absl::StartsWith(p, "conviction.")) ||
        !FieldMaskUtil::GetFieldDescriptors(v1::Record::descriptor(), p, &fields)) {
      problems->Add(
          absl::InvalidArgumentError(absl::StrCat(at, ": not a person or conviction field")));
      continue;
    }
    // Accepted, the path would be merged and then cleared: alone an amendment that "changes
    // nothing", beside other paths silently dropped.
    for (const google::protobuf::FieldDescriptor* f : fields) {
      if (OutputOnly(f)) {
        problems->Add(absl::InvalidArgumentError(
            absl::StrCat(at, ": ", p, " is output only, set by the registry")));
        break;
      }
    }
  }
}

// Output-only fields never come from the caller.
void ClearOutputOnly(v1::Conviction* conviction) {
  for (v1::Offence& o : *conviction->mutable_offences()) o.clear_title();
  conviction->clear_court_name();
}

// Whether the amendment's mask covers `field` ("conviction.final_date" is covered by
// "conviction.final_date" and by "conviction"; "person.aliases[1]" by "person.aliases").
bool MaskCovers(const google::protobuf::FieldMask& mask, absl::string_view field) {
  for (const std::string& path : mask.paths()) {
    if (field == path || absl::StartsWith(field, absl::StrCat(path, ".")) ||
        absl::StartsWith(field, absl::StrCat(path, "["))) {
      return true;
    }
  }
  return false;
}

// Whether `problem` is one of the rules a record stored before it may break, none of whose fields
// the amendment's mask touches: the record was entered before the registry checked it.
bool StoredBeforeTheRule(absl::string_view problem, const google::protobuf::FieldMask& mask) {
  struct Rule {
    absl::string_view words;
    std::vector<absl::string_view> reads;
  };
  static const std::vector<Rule>* const kRules = new std::vector<Rule>{
      {"did not judge yet on the judgment date",
       {"conviction.court_id", "conviction.judgment_date"}},
      {"no longer judged on the judgment date",
       {"conviction.court_id", "conviction.judgment_date"}},
      {" took effect on ", {"conviction.offences", "conviction.judgment_date"}},
      {" of an offence took effect", {"conviction.offences", "conviction.judgment_date"}},
      {"is the same article as another offence", {"conviction.offences"}},
      {"life imprisonment is not imposed on a person under 21",
       {"conviction.sentence", "person.birth_date", "conviction.judgment_date"}},
  };
  for (const Rule& rule : *kRules) {
    if (!absl::StrContains(problem, rule.words)) continue;
    for (absl::string_view field : rule.reads) {
      // The field itself, a field around it ("conviction") or one inside it
      // ("conviction.sentence.type").
      if (MaskCovers(mask, field)) return false;
      for (const std::string& path : mask.paths()) {
        if (absl::StartsWith(path, absl::StrCat(field, ".")) ||
            absl::StartsWith(path, absl::StrCat(field, "["))) {
          return false;
        }
      }
    }
    return true;
  }
  return false;
}

// A field of a record in the words a clerk knows it by, for the text of a message (its field
// prefix is the path, which the clients map to their own names; a path inside the text they
// leave as it is, and "the amended conviction.court_id" was no word of the clerk's).
std::string PlainFieldName(absl::string_view path) {
  using Names = std::vector<std::pair<absl::string_view, absl::string_view>>;
  static const Names* const kNames = new Names{
      {"person", "person"},
      {"person.surname", "surname"},
      {"person.given_name", "given name"},
      {"person.father_name", "father's name"},
      {"person.aliases", "other names"},
      {"person.sex", "sex"},
      {"person.birth_date", "date of birth"},
      {"person.birth_place", "place of birth"},
      {"person.citizenships", "citizenships"},
      {"person.personal_number", "personal number"},
      {"person.last_known_address", "last known address"},
      {"conviction", "conviction"},
      {"conviction.court_id", "court"},
      {"conviction.foreign_court", "name of the court abroad"},
      {"conviction.foreign_country", "country of the court abroad"},
      {"conviction.case_number", "case number"},
      {"conviction.judgment_date", "judgment date"},
      {"conviction.final_date", "date the judgment became final"},
      {"conviction.offences", "offences"},
      {"conviction.sentence", "sentence"},
      {"conviction.sentence.type", "sentence"},
      {"conviction.sentence.months", "months of the sentence"},
      {"conviction.bans", "bans"},
      {"conviction.release_date", "release date"},
      {"conviction.suspension_end_date", "end of the verification period"},
      {"conviction.juvenile", "juvenile"},
  };
  for (const auto& [known, name] : *kNames) {
    if (path == known) return std::string(name);
  }
  // A path CheckMask admitted that the list lacks (a field added to records.proto): its last
  // name, in words.
  std::string name(path.substr(path.rfind('.') + 1));
  std::replace(name.begin(), name.end(), '_', ' ');
  return name;
}

// The mask's fields in plain words, each once ("sentence" for both conviction.sentence and
// conviction.sentence.type), joined for a message.
std::string PlainMaskFields(const google::protobuf::FieldMask& mask) {
  std::vector<std::string> names;
  for (const std::string& path : mask.paths()) {
    std::string name = PlainFieldName(path);
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(std::move(name));
    }
  }
  return absl::StrJoin(names, ", ");
}

// An amendment's problems, told as the clerk's: a rule broken by a field the amendment leaves as
// it was (the final date, once the judgment date was moved past it) says so and names what was
// changed, in plain words, and what to do: amend it too. (registry-cli names the field as
// "--set release-date" though the clerk typed no such --set: the words say it was not changed.)
// A court or an offence left as it was that the reference tables no longer list (an entry taken
// out of them after the record was entered) is said to be that: no amendment of another field
// made it wrong.
absl::Status AsAmendmentProblems(absl::Status invalid, const google::protobuf::FieldMask& mask) {
  if (!absl::IsInvalidArgument(invalid)) return invalid;
  // "; " parts a rule's own words too ("1..24 for a suspended sentence (...); the end of its
  // verification period ..."): a problem starts only where a field's path does.
  std::vector<std::string> pieces;
  for (absl::string_view piece : absl::StrSplit(invalid.message(), "; ")) {
    const size_t end = piece.find(": ");
    const absl::string_view head = piece.substr(0, end);
    const bool starts_problem =
        pieces.empty() ||
        (end != absl::string_view::npos && end > 0 &&
         std::all_of(head.begin(), head.end(), [](char c) {
           return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_' || c == '.' ||
                  c == '[' || c == ']';
         }));
    if (starts_problem) {
      pieces.emplace_back(piece);
    } else {
      absl::StrAppend(&pieces.back(), "; ", piece);
    }
  }
  std::vector<std::string> problems;
  for (absl::string_view problem : pieces) {
    const size_t colon = problem.find(": ");
    if (colon == absl::string_view::npos || MaskCovers(mask, problem.substr(0, colon))) {
      problems.emplace_back(problem);
      continue;
    }
    if (absl::EndsWith(problem, "not in the court table") ||
        absl::EndsWith(problem, "not in the offence table") ||
        absl::StrContains(problem, " is recorded by its paragraph: ")) {
      problems.push_back(absl::StrCat(
          problem,
          " (left as it was: the reference tables no longer list what the record holds; amend "
          "it too, or have the entry put back in the reference data)"));
      continue;
    }
    // Rules a record stored before them may break whatever is amended (the court's dates, the
    // day a code took effect, an article given whole and by a paragraph, life imprisonment under
    // 21): said so only when the amendment left every field the rule reads as it was, else the
    // amended field made it wrong, as below.
    if (StoredBeforeTheRule(problem, mask)) {
      problems.push_back(absl::StrCat(
          problem, " (left as it was: the record was entered before the registry checked this; "
                   "amend it too)"));
      continue;
    }
    problems.push_back(absl::StrCat(problem,
                                    " (left as it was: this amendment did not change it, and it "
                                    "no longer fits the amended ",
                                    PlainMaskFields(mask), ". Amend it too)"));
  }
  return absl::InvalidArgumentError(absl::StrJoin(problems, "; "));
}

// The paths of the amendment's mask whose values differ between the record `before` and
// `after` it: a clerk who sends a whole form is told what the amendment changed, not what it
// sent. Output-only fields are left out of the comparison.
std::vector<std::string> ChangedPaths(const google::protobuf::FieldMask& mask,
                                      const v1::Record& before, const v1::Record& after) {
  std::vector<std::string> changed;
  for (const std::string& path : mask.paths()) {
    google::protobuf::FieldMask one;
    one.add_paths(path);
    v1::Record old_value = before;
    v1::Record new_value = after;
    ClearOutputOnly(old_value.mutable_conviction());
    ClearOutputOnly(new_value.mutable_conviction());
    FieldMaskUtil::TrimMessage(one, &old_value);
    FieldMaskUtil::TrimMessage(one, &new_value);
    if (!google::protobuf::util::MessageDifferencer::Equals(old_value, new_value)) {
      changed.push_back(path);
    }
  }
  return changed;
}

// The mask's paths that change what makes a conviction one (court, case number, personal
// number), for an amendment refused as another record's conviction.
std::string IdentityPaths(const google::protobuf::FieldMask& mask) {
  std::vector<std::string> paths;
  for (const char* field :
       {"conviction.court_id", "conviction.case_number", "person.personal_number"}) {
    for (const std::string& path : mask.paths()) {
      if ((field == path || absl::StartsWith(field, absl::StrCat(path, "."))) &&
          std::find(paths.begin(), paths.end(), path) == paths.end()) {
        paths.push_back(path);
      }
    }
  }
  return paths.empty() ? "update_mask" : absl::StrJoin(paths, ", ");
}

// The fields of an import's row that differ from the stored record of the same conviction (the
// same court, case number and personal number), in plain words, each once and in the record's
// order; empty when the row holds what the record holds. The fields that make the conviction one
// are left out: they matched, in another spelling of the case number perhaps. Never a value.
std::vector<std::string> FieldsDifferingFromStored(const v1::CreateRecordRequest& row,
                                                   const v1::Record& stored) {
  v1::Record given;
  *given.mutable_person() = row.person();
  *given.mutable_conviction() = row.conviction();
  v1::Record held;
  *held.mutable_person() = stored.person();
  *held.mutable_conviction() = stored.conviction();
  for (v1::Record* record : {&given, &held}) {
    ClearOutputOnly(record->mutable_conviction());
    record->mutable_person()->clear_personal_number();
    record->mutable_conviction()->clear_court_id();
    record->mutable_conviction()->clear_case_number();
  }
  std::vector<std::string> names;
  const auto compare = [&](const google::protobuf::Message& a, const google::protobuf::Message& b,
                           absl::string_view prefix) {
    const google::protobuf::Descriptor* type = a.GetDescriptor();
    for (int i = 0; i < type->field_count(); ++i) {
      const std::vector<const google::protobuf::FieldDescriptor*> one = {type->field(i)};
      google::protobuf::util::MessageDifferencer differencer;
      if (differencer.CompareWithFields(a, b, one, one)) continue;
      std::string name = PlainFieldName(absl::StrCat(prefix, type->field(i)->name()));
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        names.push_back(std::move(name));
      }
    }
  };
  compare(given.person(), held.person(), "person.");
  compare(given.conviction(), held.conviction(), "conviction.");
  return names;
}

void AddRecordIds(Call& call, const std::vector<v1::Record>& records) {
  for (const auto& r : records) call.event().add_record_ids(r.metadata().record_id());
}

// Commits a record's new version with the call's event, which names the version it wrote, and
// names that version in the reply.
template <typename Reply>
absl::Status CommitVersion(Call& call, storage::PendingWrite* write, Reply* resp) {
  call.event().set_record_version(write->metadata().version());
  RETURN_IF_ERROR(call.Commit(write));
  resp->set_record_id(write->metadata().record_id());
  resp->set_version(write->metadata().version());
  return absl::OkStatus();
}

// The line of the row staged before row `row` of `req` that is the same conviction, as
// "line 3": the clerk corrects one of the two, and the refused row's line alone left the other
// to be found among hundreds. The store refuses the row without saying which staged row it clashed with;
// the clash is of the uniqueness token (court, canonical case number, personal number, or an
// earlier spelling of the case number), so the other row has the same court and personal
// number, and, where several do, the same canonical case number unless it was spelled another
// way. Where that leaves more than one, each is named ("line 3 or line 5"); where none, "".
// Lines only: the rows' values are a person's.
std::string SameConvictionLines(const v1::ImportRecordsRequest& req,
                                const std::vector<int>& staged_rows, int row) {
  const v1::CreateRecordRequest& record = req.rows(row).record();
  std::vector<int> same_person;
  for (const int other : staged_rows) {
    const v1::CreateRecordRequest& staged = req.rows(other).record();
    if (staged.conviction().court_id() == record.conviction().court_id() &&
        staged.person().personal_number() == record.person().personal_number()) {
      same_person.push_back(other);
    }
  }
  if (same_person.size() > 1) {
    const absl::StatusOr<std::string> canonical =
        storage::CanonicalCaseNumber(record.conviction().case_number());
    std::vector<int> same_case;
    for (const int other : same_person) {
      const absl::StatusOr<std::string> staged =
          storage::CanonicalCaseNumber(req.rows(other).record().conviction().case_number());
      if (canonical.ok() && staged.ok() && *staged == *canonical) same_case.push_back(other);
    }
    if (same_case.size() == 1) same_person = same_case;
  }
  std::vector<uint64_t> lines;
  for (const int other : same_person) lines.push_back(req.rows(other).line());
  std::sort(lines.begin(), lines.end());
  return absl::StrJoin(lines, " or ", [](std::string* out, uint64_t line) {
    absl::StrAppend(out, "line ", line);
  });
}

// The rows an import refused, as its audit event says them (its detail; docs/security.md row
// 56): a dry run answers row by row whether a conviction was expunged, so a file of one person's
// made-up case numbers probed the erasure ledger while the log said only "OK". Each reason is in
// the words a create's event would keep for that refusal (the first 200 bytes of the message,
// which names fields and rules, never a value), with the count and lines of its rows. An expunged
// conviction stands first, counted on its own, for the auditor looking for re-entries or probes.
// Bounded whatever the file: kListedLines lines per reason and kListedReasons reasons.
class RefusedRows {
 public:
  void Add(absl::string_view reason, uint64_t line) {
    std::vector<uint64_t>& lines = by_reason_[ClippedLikeAnEvent(reason)];
    lines.push_back(line);
    ++count_;
  }
  void AddExpunged(uint64_t line) {
    expunged_.push_back(line);
    ++count_;
  }

  // "" when no row was refused; else "rows refused: 3 of 10; rows refused as expunged
  // convictions: 1 (line 34); 2 rows (lines 2, 5) refused for "conviction.judgment_date: ..."".
  std::string Detail(int rows) {
    if (count_ == 0) return "";
    std::string detail = absl::StrCat("rows refused: ", count_, " of ", rows);
    if (!expunged_.empty()) {
      absl::StrAppend(&detail, "; rows refused as expunged convictions: ", expunged_.size(), " (",
                      Lines(&expunged_), ")");
    }
    // By the file's order: the reason of the first refused line first.
    std::vector<std::pair<std::string, std::vector<uint64_t>>> reasons(by_reason_.begin(),
                                                                       by_reason_.end());
    for (auto& reason : reasons) std::sort(reason.second.begin(), reason.second.end());
    std::sort(reasons.begin(), reasons.end(),
              [](const auto& a, const auto& b) { return a.second[0] < b.second[0]; });
    size_t unlisted_rows = 0;
    for (size_t i = 0; i < reasons.size(); ++i) {
      std::vector<uint64_t>& lines = reasons[i].second;
      if (i >= kListedReasons) {
        unlisted_rows += lines.size();
        continue;
      }
      absl::StrAppend(&detail, "; ", lines.size(), lines.size() == 1 ? " row (" : " rows (",
                      Lines(&lines), ") refused for \"", reasons[i].first, "\"");
    }
    if (reasons.size() > kListedReasons) {
      const size_t others = reasons.size() - kListedReasons;
      absl::StrAppend(&detail, "; and ", unlisted_rows, unlisted_rows == 1 ? " row" : " rows",
                      " refused for ",
                      others == 1 ? "another reason" : absl::StrCat(others, " other reasons"));
    }
    return detail;
  }

 private:
  static constexpr size_t kListedLines = 20;
  static constexpr size_t kListedReasons = 10;

  // What the gate keeps of a refused create's message (RefusalForTheLog), so that the two events
  // read alike.
  static std::string ClippedLikeAnEvent(absl::string_view message) {
    return RefusalForTheLog(message);
  }

  // "line 34", "lines 2, 5", "lines 1, 2, (...), 20 and 25 more": the first kListedLines, sorted.
  static std::string Lines(std::vector<uint64_t>* lines) {
    std::sort(lines->begin(), lines->end());
    const size_t listed = std::min(lines->size(), kListedLines);
    std::string text = absl::StrCat(
        lines->size() == 1 ? "line " : "lines ",
        absl::StrJoin(lines->begin(), lines->begin() + static_cast<std::ptrdiff_t>(listed), ", "));
    if (lines->size() > listed) absl::StrAppend(&text, " and ", lines->size() - listed, " more");
    return text;
  }

  std::vector<uint64_t> expunged_;
  std::map<std::string, std::vector<uint64_t>> by_reason_;
  size_t count_ = 0;
};

// Why a dispute or its resolution does not apply to a record whose status is `now` (not the
// one the change starts from), said by what the record is: a second dispute was told "the record
// is not active", which read as if the record were gone. Only the status is named, never the
// record's contents. The id is not what is wrong, so no field is named: "record_id: ..." reached
// a clerk of registry-cli as "ID: the record is already disputed".
absl::Status NotInStatus(v1::RecordStatus now) {
  switch (now) {
    case v1::RECORD_STATUS_DISPUTED:
      return absl::FailedPreconditionError(
          "the record is already disputed: nothing was changed, and it stays disputed until the "
          "dispute is resolved");
    case v1::RECORD_STATUS_ACTIVE:
      return absl::FailedPreconditionError(
          "the record is not disputed: there is no dispute to resolve, and nothing was changed");
    // The store answers NOT_FOUND for an expunged record before this is reached.
    case v1::RECORD_STATUS_EXPUNGED:
      return absl::FailedPreconditionError("the record is expunged: nothing was changed");
    default:
      return absl::FailedPreconditionError(
          "the record has no known status: nothing was changed");
  }
}

}  // namespace

void RecordService::AddReferenceNames(v1::Record* record) const {
  v1::Conviction* conviction = record->mutable_conviction();
  for (v1::Offence& o : *conviction->mutable_offences()) {
    if (const v1::OffenceEntry* entry = d_.reference->FindOffence(o.law(), o.article(),
                                                                 o.paragraph())) {
      o.set_title(entry->title());
    }
  }
  if (const v1::CourtEntry* court = d_.reference->FindCourt(conviction->court_id())) {
    conviction->set_court_name(court->name());
  }
}

absl::StatusOr<storage::VersionMeta> RecordService::MetaFor(
    const Call& call, const v1::Conviction& conviction) const {
  return MetaFor(call.caller().id, call.now(), conviction);
}

absl::StatusOr<storage::VersionMeta> RecordService::MetaFor(
    absl::string_view actor, absl::Time now, const v1::Conviction& conviction) const {
  storage::VersionMeta meta;
  meta.actor = std::string(actor);
  meta.now = FormatInstant(now);
  meta.today = FormatDate(KosovoDay(now));
  ASSIGN_OR_RETURN(meta.own, d_.reference->OwnDatesFor(conviction));
  return meta;
}

grpc::Status RecordService::CreateRecord(grpc::ServerContext* ctx,
                                         const v1::CreateRecordRequest* req,
                                         v1::CreateRecordResponse* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call& call) -> absl::Status {
    v1::Conviction conviction = req->conviction();
    ClearOutputOnly(&conviction);
    RETURN_IF_ERROR(d_.validator->ValidateRecord(req->person(), conviction));
    ASSIGN_OR_RETURN(storage::VersionMeta meta, MetaFor(call, conviction));
    std::string existing;
    absl::StatusOr<storage::PendingWrite> write =
        d_.records->PrepareCreate(req->person(), conviction, meta, &existing);
    if (absl::IsAlreadyExists(write.status()) && !existing.empty()) {
      // The clerk's next step is that record (to amend or check it), so the answer names it, as
      // an import's duplicate row does; the event records the id disclosed.
      call.event().add_record_ids(existing);
      return absl::AlreadyExistsError(absl::StrCat(
          "a record with this court, case number and personal number exists: ", existing));
    }
    RETURN_IF_ERROR(write.status());
    return CommitVersion(call, &*write, resp);
  });
}

grpc::Status RecordService::GetRecord(grpc::ServerContext* ctx, const v1::GetRecordRequest* req,
                                      v1::GetRecordResponse* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call&) -> absl::Status {
    RETURN_IF_ERROR(RecordValidator::ValidateRecordId("record_id", req->record_id()));
    ASSIGN_OR_RETURN(*resp->mutable_record(), d_.records->Get(req->record_id()));
    AddReferenceNames(resp->mutable_record());
    return absl::OkStatus();
  });
}

grpc::Status RecordService::SearchRecords(grpc::ServerContext* ctx,
                                          const v1::SearchRecordsRequest* req,
                                          v1::SearchRecordsResponse* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call& call) -> absl::Status {
    std::string token;
    std::string loose_token;
    std::vector<std::string> word_tokens;
    std::vector<v1::Record> found;
    std::vector<v1::Record> possible;
    switch (req->query_case()) {
      case v1::SearchRecordsRequest::kPersonalNumber: {
        RETURN_IF_ERROR(d_.validator->ValidatePersonalNumber("personal_number",
                                                             req->personal_number()));
        ASSIGN_OR_RETURN(found, d_.records->SearchByPersonalNumber(req->personal_number(),
                                                                   kMaxSearchResults + 1, &token));
        break;
      }
      case v1::SearchRecordsRequest::kName: {
        const auto& q = req->name();
        ProblemList problems;
        problems.Add(RecordValidator::ValidateName("name.surname", q.surname(), true));
        problems.Add(RecordValidator::ValidateName("name.given_name", q.given_name(), true));
        problems.Add(d_.validator->ValidateBirthDate("name.birth_date", q.birth_date()));
        RETURN_IF_ERROR(problems.Result());
        ASSIGN_OR_RETURN(found, d_.records->SearchByName(q.surname(), q.given_name(),
                                                         q.birth_date(), kMaxSearchResults + 1,
                                                         &token));
        // Then the possible matches across spellings and in the name's other ways of being
        // written (every record vetting would find the name in), which a person confirms or
        // not: never an exact match, also one beyond those the answer lists.
        ASSIGN_OR_RETURN(possible, d_.records->SearchByLooseName(q.surname(), q.given_name(),
                                                                 q.birth_date(),
                                                                 kMaxSearchResults + 1,
                                                                 &loose_token, &word_tokens));
        break;
      }
      default:
        return absl::InvalidArgumentError(
            "query: a personal number, or a name with a date of birth, is required");
    }
    // One more than is given was asked for: whether more match is said, and only what is given
    // is read into the answer and its event.
    resp->set_more_records(found.size() > kMaxSearchResults);
    resp->set_more_possible_matches(possible.size() > kMaxSearchResults);
    if (found.size() > kMaxSearchResults) found.resize(kMaxSearchResults);
    if (possible.size() > kMaxSearchResults) possible.resize(kMaxSearchResults);
    call.event().add_tokens(token);
    if (!loose_token.empty()) call.event().add_tokens(loose_token);
    // Each word of a given name of several words was looked up alone too, and the name's other
    // ways of being written that vetting reads (RecordStore::SearchByLooseName): tokens only.
    for (const std::string& t : word_tokens) call.event().add_tokens(t);
    AddRecordIds(call, found);
    AddRecordIds(call, possible);
    for (auto& r : found) {
      AddReferenceNames(&r);
      *resp->add_records() = std::move(r);
    }
    for (auto& r : possible) {
      AddReferenceNames(&r);
      *resp->add_possible_matches() = std::move(r);
    }
    return absl::OkStatus();
  });
}

grpc::Status RecordService::AmendRecord(grpc::ServerContext* ctx,
                                        const v1::AmendRecordRequest* req,
                                        v1::AmendRecordResponse* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call& call) -> absl::Status {
    // Every bad field of the request in one answer, in field order.
    ProblemList problems;
    problems.Add(RecordValidator::ValidateRecordId("record_id", req->record_id()));
    CheckMask(req->update_mask(), &problems);
    const absl::Status reason = RecordValidator::ValidateText("reason", req->reason(), 1, 500);
    if (!problems.Result().ok()) {
      problems.Add(reason);
      return problems.Result();
    }
    // A bad reason alone does not stop here: the amended record's own problems are named with
    // it (below), so that the clerk mends them all in one pass.
    v1::Record patch;
    *patch.mutable_person() = req->person();
    *patch.mutable_conviction() = req->conviction();
    std::string existing;
    std::vector<std::string> changed;
    absl::StatusOr<storage::PendingWrite> write =
        PrepareVersion(
            call, req->record_id(), req->expected_version(), req->reason(),
            [&](v1::Record* record) -> absl::Status {
              const v1::Record before = *record;
              const v1::Person& person_before = before.person();
              const v1::Conviction& conviction_before = before.conviction();
              FieldMaskUtil::MergeOptions options;
              options.set_replace_message_fields(true);
              options.set_replace_repeated_fields(true);
              FieldMaskUtil::MergeMessageTo(patch, req->update_mask(), options, record);
              ClearOutputOnly(record->mutable_conviction());
              if (!reason.ok()) {
                const absl::Status record_problems = AsAmendmentProblems(
                    d_.validator->ValidateRecord(record->person(), record->conviction(),
                                                 {req->update_mask().paths().begin(),
                                                  req->update_mask().paths().end()}),
                    req->update_mask());
                if (!record_problems.ok() && !absl::IsInvalidArgument(record_problems)) {
                  return record_problems;
                }
                ProblemList with_reason;
                with_reason.Add(reason);
                with_reason.Add(record_problems);
                return with_reason.Result();
              }
              // A version whose values equal the last one's records a correction that corrected
              // nothing: the history would show a change (and a reason) where there is none.
              if (google::protobuf::util::MessageDifferencer::Equals(person_before,
                                                                     record->person()) &&
                  google::protobuf::util::MessageDifferencer::Equals(conviction_before,
                                                                     record->conviction())) {
                // The fields in plain words, as in every message's text (PlainFieldName).
                return absl::FailedPreconditionError(absl::StrCat(
                    "update_mask: the record already holds these values (",
                    PlainMaskFields(req->update_mask()), "); the amendment changes nothing"));
              }
              changed = ChangedPaths(req->update_mask(), before, *record);
              return AsAmendmentProblems(
                  d_.validator->ValidateRecord(record->person(), record->conviction(),
                                               {req->update_mask().paths().begin(),
                                                req->update_mask().paths().end()}),
                  req->update_mask());
            },
            &existing);
    if (absl::IsAlreadyExists(write.status())) {
      // As a create: the clerk's next step is that record, so the answer names it (the event
      // records the id disclosed), and the fields of the amendment that made the clash.
      if (!existing.empty()) call.event().add_record_ids(existing);
      return absl::AlreadyExistsError(absl::StrCat(
          IdentityPaths(req->update_mask()),
          ": another record has this court, case number and personal number",
          existing.empty() ? "" : absl::StrCat(": ", existing)));
    }
    // The version the clerk read is no longer the record's (someone amended it meanwhile): said
    // with the next step, and without the API's field name, which no clerk typed.
    if (absl::IsAborted(write.status()) && req->expected_version() != 0 &&
        absl::StrContains(write.status().message(), "(expected_version)")) {
      return absl::AbortedError(absl::StrCat(
          "the record changed since it was read (it is no longer version ",
          req->expected_version(),
          "), so this change was not made: read the record again and repeat the change on what "
          "it holds now"));
    }
    // The record the change would leave due for deletion is named in the answer: the event
    // records it as disclosed.
    if (absl::IsFailedPrecondition(write.status()) && !existing.empty()) {
      call.event().add_record_ids(existing);
    }
    RETURN_IF_ERROR(write.status());
    RETURN_IF_ERROR(CommitVersion(call, &*write, resp));
    for (std::string& path : changed) resp->add_changed_paths(std::move(path));
    return absl::OkStatus();
  });
}

grpc::Status RecordService::GetRecordHistory(grpc::ServerContext* ctx,
                                             const v1::GetRecordHistoryRequest* req,
                                             v1::GetRecordHistoryResponse* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call&) -> absl::Status {
    RETURN_IF_ERROR(RecordValidator::ValidateRecordId("record_id", req->record_id()));
    // Each version carries the dates it was written with; the dates in force are a read's, of
    // the same version: a change committed between the two reads is read again.
    std::vector<v1::RecordVersion> versions;
    v1::Record now;
    for (int attempt = 1;; ++attempt) {
      ASSIGN_OR_RETURN(versions, d_.records->History(req->record_id()));
      ASSIGN_OR_RETURN(now, d_.records->Get(req->record_id()));
      if (now.metadata().version() == versions.back().record().metadata().version()) break;
      if (attempt == 3) {
        return absl::UnavailableError("the record kept changing while it was read: try again");
      }
    }
    const v1::RecordMetadata& newest = versions.back().record().metadata();
    const v1::RecordMetadata& in_force = now.metadata();
    if (in_force.employer_visible_until() != newest.employer_visible_until() ||
        in_force.delete_after() != newest.delete_after()) {
      v1::DatesInForce* dates = resp->mutable_dates_in_force();
      dates->set_employer_visible_until(in_force.employer_visible_until());
      dates->set_delete_after(in_force.delete_after());
      // Why they differ, so a court is not left to guess (nor told the other record's id, which
      // this read does not disclose): the newest version's own dates under the rules in force
      // are what the other convictions extend; those differing from its stored ones mean the
      // rules changed. Unknown (neither said) when the rules give this conviction no dates.
      const absl::StatusOr<storage::OwnDates> own =
          d_.reference->OwnDatesFor(versions.back().record().conviction());
      if (own.ok()) {
        // Visibility is extended by the same person's later conviction only; deletion by any
        // under the same personal number (another name, a disputed record), which only keeps
        // this one: said apart, as "extended" told a court it counted for vetting longer.
        const bool visible_extended =
            in_force.employer_visible_until() != own->employer_visible_until;
        const bool delete_extended = in_force.delete_after() != own->delete_after;
        dates->set_extended_by_another_conviction(visible_extended || delete_extended);
        dates->set_kept_from_deletion_only(delete_extended && !visible_extended);
        dates->set_retention_rules_changed(
            own->employer_visible_until != newest.employer_visible_until() ||
            own->delete_after != newest.delete_after());
      }
    }
    for (auto& v : versions) {
      AddReferenceNames(v.mutable_record());
      *resp->add_versions() = std::move(v);
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<storage::PendingWrite> RecordService::PrepareVersion(
    const Call& call, absl::string_view record_id, uint32_t expected_version,
    absl::string_view reason, const std::function<absl::Status(v1::Record*)>& change,
    std::string* existing_id) const {
  return d_.records->PrepareChange(
      record_id, expected_version,
      [&](v1::Record* record, std::string* why, storage::VersionMeta* meta) -> absl::Status {
        RETURN_IF_ERROR(change(record));
        ASSIGN_OR_RETURN(*meta, MetaFor(call, record->conviction()));
        *why = std::string(reason);
        return absl::OkStatus();
      },
      existing_id);
}

absl::Status RecordService::SetStatus(Call& call, absl::string_view record_id,
                                      absl::string_view reason, v1::RecordStatus from,
                                      v1::RecordStatus to, v1::RecordStatusResponse* resp) {
  RETURN_IF_ERROR(RecordValidator::ValidateRecordId("record_id", record_id));
  RETURN_IF_ERROR(RecordValidator::ValidateText("reason", reason, 1, 500));
  ASSIGN_OR_RETURN(
      storage::PendingWrite write,
      PrepareVersion(call, record_id, 0, reason, [&](v1::Record* record) -> absl::Status {
        if (record->metadata().status() != from) {
          return NotInStatus(record->metadata().status());
        }
        record->mutable_metadata()->set_status(to);
        return absl::OkStatus();
      }));
  RETURN_IF_ERROR(CommitVersion(call, &write, resp));
  resp->set_status(write.metadata().status());
  return absl::OkStatus();
}

grpc::Status RecordService::DisputeRecord(grpc::ServerContext* ctx,
                                          const v1::DisputeRecordRequest* req,
                                          v1::RecordStatusResponse* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call& call) {
    return SetStatus(call, req->record_id(), req->reason(), v1::RECORD_STATUS_ACTIVE,
                     v1::RECORD_STATUS_DISPUTED, resp);
  });
}

grpc::Status RecordService::ResolveDispute(grpc::ServerContext* ctx,
                                           const v1::ResolveDisputeRequest* req,
                                           v1::RecordStatusResponse* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call& call) {
    return SetStatus(call, req->record_id(), req->reason(), v1::RECORD_STATUS_DISPUTED,
                     v1::RECORD_STATUS_ACTIVE, resp);
  });
}

grpc::Status RecordService::ExpungeRecord(grpc::ServerContext* ctx,
                                          const v1::ExpungeRecordRequest* req,
                                          v1::ExpungeRecordResponse* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(RecordValidator::ValidateRecordId("record_id", req->record_id()));
    std::string person;
    // A dry run erases nothing, so it needs no legal basis: the console asks it when it shows the
    // form, before the clerk has typed one (a basis given is checked by the gate all the same).
    if (req->dry_run()) {
      // The expunge is prepared as the real one would be, asked which records it leaves due, and
      // dropped unwritten: the event goes alone (with dry_run), so the clerk learns what goes
      // with the record before saying yes.
      ASSIGN_OR_RETURN(storage::PendingWrite write,
                       d_.records->PrepareExpunge(req->record_id(), &person));
      resp->set_record_id(req->record_id());
      resp->set_dry_run(true);
      ASSIGN_OR_RETURN(std::vector<std::string> due, ErasedWith(person, call.now(), write));
      AddErasedWith(due, resp);
      return absl::OkStatus();
    }
    // Its shape was checked, and it was recorded, by the gate.
    if (req->legal_basis().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("legal_basis: ", kLegalBasisRule, ", citing the law"));
    }
    const bool confirms = req->confirms_erased_with_it();
    std::set<std::string> confirmed;
    for (const std::string& id : req->erased_with_it_confirmed()) {
      RETURN_IF_ERROR(RecordValidator::ValidateRecordId("erased_with_it_confirmed", id));
      confirmed.insert(id);
    }
    // The clerk confirmed what the dry run named; a conviction entered since, that only this
    // record keeps, would go too, unasked. Compared under the person's lock, before the ledger
    // entry: a refusal erases nothing.
    Eraser::CheckFn check;
    if (confirms) {
      check = [&](absl::string_view token, const storage::PendingWrite& w) -> absl::Status {
        ASSIGN_OR_RETURN(const std::vector<std::string> due, ErasedWith(token, call.now(), w));
        if (std::set<std::string>(due.begin(), due.end()) != confirmed) {
          return absl::AbortedError(
              "the records erased with it have changed since the question: ask again");
        }
        return absl::OkStatus();
      };
    }
    RETURN_IF_ERROR(d_.eraser->Erase(
        req->record_id(), [&](storage::PendingWrite* w) { return call.Commit(w); }, &person,
        check));
    resp->set_record_id(req->record_id());
    // The clerk is told which other records went too: each can never be entered again. What was
    // confirmed bounds them: anything else is left to the retention run.
    AddErasedWith(EraseRecordsLeftDue(person, call.now(), confirms ? &confirmed : nullptr), resp);
    // The data key is gone from the live database; compaction removes the old bytes from the
    // files too. A failure here (or a stop before it) leaves the erasure's marker: the next
    // start, backup or retention run compacts (RecordStore::CompactIfErasuresDue).
    absl::Status compacted = d_.records->CompactAfterErasure();
    if (!compacted.ok()) {
      LogLine("error", "compaction after expunge failed").Str("detail", compacted.message()).Write();
    }
    return absl::OkStatus();
  });
}

absl::Status RecordService::ExpungeAsSystem(absl::string_view record_id,
                                            absl::string_view legal_basis) {
  v1::AuditEvent event;
  event.set_reference(std::string(legal_basis));
  return d_.eraser->Erase(record_id, [&](storage::PendingWrite* w) {
    return d_.gate
        ->CommitSystemEvent("retention", ActionOf(v1::ExpungeRecordRequest::descriptor()),
                            std::move(event), w)
        .status();
  });
}

void RecordService::AddErasedWith(const std::vector<std::string>& ids,
                                  v1::ExpungeRecordResponse* resp) {
  for (const std::string& id : ids) {
    v1::ErasedWithRecord* erased = resp->add_records_erased_with_it();
    erased->set_record_id(id);
    erased->set_reason(v1::ErasedWithRecord::REASON_RETENTION_ENDED_KEPT_ONLY_BY_EXPUNGED);
  }
}

absl::StatusOr<std::vector<std::string>> RecordService::ErasedWith(
    absl::string_view personal_number_token, absl::Time now,
    const storage::PendingWrite& expunge) const {
  ASSIGN_OR_RETURN(std::vector<std::string> due,
                   d_.records->DueRecordsOf(personal_number_token, FormatDate(KosovoDay(now)),
                                            expunge));
  // As the real expunge: an untrusted clock erases none of them now (the retention run does).
  if (!due.empty() && d_.trust_clock_for_erasure && !d_.trust_clock_for_erasure().ok()) {
    due.clear();
  }
  return due;
}

std::vector<std::string> RecordService::EraseRecordsLeftDue(
    absl::string_view personal_number_token, absl::Time now,
    const std::set<std::string>* only) {
  std::vector<std::string> erased_ids;
  // A later conviction keeps the person's earlier ones (their delete_after is that of the
  // latest); erased, it keeps them no longer, and one whose own day of erasure has passed would
  // otherwise stay readable until the next retention run.
  absl::StatusOr<std::vector<std::string>> due =
      d_.records->DueRecordsOf(personal_number_token, FormatDate(KosovoDay(now)));
  absl::Status done = due.status();
  if (done.ok() && !due->empty() && d_.trust_clock_for_erasure) {
    done = d_.trust_clock_for_erasure();
  }
  if (done.ok()) {
    for (const std::string& id : *due) {
      if (only != nullptr && only->count(id) == 0) continue;
      absl::Status erased =
          ExpungeAsSystem(id, "retention: delete_after reached after an expunge");
      if (erased.ok()) erased_ids.push_back(id);
      if (!erased.ok() && !absl::IsNotFound(erased)) done.Update(erased);
    }
  }
  // The clerk's expunge is committed; what is left is the retention run's.
  if (!done.ok()) {
    LogLine("error", "erasing records an expunge left due failed; the retention run erases them")
        .Str("detail", done.message())
        .Write();
  }
  return erased_ids;
}

absl::StatusOr<int> RecordService::RecomputeDatesIfRulesChanged() {
  constexpr size_t kBatch = 500;
  const std::string rules = d_.reference->RulesFingerprint();
  ASSIGN_OR_RETURN(const std::string stored, d_.records->DatesRulesFingerprint());
  if (stored == rules) return 0;
  ASSIGN_OR_RETURN(const std::vector<std::string> any, d_.records->RecordIds("", 1));
  if (any.empty()) {
    // Nothing to re-date: the rules are simply those the database starts with.
    RETURN_IF_ERROR(d_.records->InitDatesRulesFingerprint(rules));
    return 0;
  }
  int changed = 0;
  int batch_number = 0;
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<std::string> ids, d_.records->RecordIds(after, kBatch));
    std::vector<std::pair<std::string, storage::VersionMeta>> redated;
    for (const std::string& id : ids) {
      absl::StatusOr<v1::Record> record = d_.records->Get(id);
      if (absl::IsNotFound(record.status())) continue;
      if (absl::IsDataLoss(record.status())) continue;  // left to reads and the data check
      if (!record.ok()) return record.status();
      ASSIGN_OR_RETURN(storage::VersionMeta own,
                       MetaFor("system:retention-rules", d_.clock->Now(), record->conviction()));
      ASSIGN_OR_RETURN(storage::RecordDates dates, d_.records->DatesOf(id));
      // A head whose dates stay is still sealed again with the new rules' fingerprint: once
      // serving, a head sealed under other rules is one put back from before this change.
      if (dates.own_employer_visible_until() == own.own.employer_visible_until &&
          dates.own_delete_after() == own.own.delete_after &&
          dates.final_date() == own.own.final_date && dates.rules() == own.own.rules) {
        continue;
      }
      redated.emplace_back(id, std::move(own));
    }
    const bool last = ids.size() < kBatch;
    if (!redated.empty() || last) {
      ASSIGN_OR_RETURN(storage::PendingWrite write, d_.records->PrepareRedate(redated));
      if (last) d_.records->StageDatesRulesFingerprint(rules, &write);
      v1::AuditEvent event;
      event.set_reference(absl::StrCat("rules ", rules, " batch ", ++batch_number, ": ",
                                       redated.size(), " re-dated"));
      RETURN_IF_ERROR(d_.gate->CommitSystemEvent("retention-rules", "recompute-retention-dates",
                                                 std::move(event), &write)
                          .status());
      changed += static_cast<int>(redated.size());
    }
    if (last) break;
    after = ids.back();
  }
  return changed;
}

grpc::Status RecordService::ImportRecords(grpc::ServerContext* ctx,
                                          const v1::ImportRecordsRequest* req,
                                          v1::ImportRecordsResponse* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call& call) -> absl::Status {
    if (req->rows_size() < 1 || req->rows_size() > kMaxImportRows) {
      return absl::InvalidArgumentError("rows: 1..1000 rows per request");
    }
    // Each row's result names it by its line, so two rows of one line could not be told apart.
    absl::flat_hash_set<uint64_t> lines;
    for (int i = 0; i < req->rows_size(); ++i) {
      if (req->rows(i).line() < 1 || req->rows(i).line() > kMaxImportLine) {
        return absl::InvalidArgumentError(absl::StrCat("rows[", i, "].line: 1..1000000000"));
      }
      if (!lines.insert(req->rows(i).line()).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("rows[", i, "].line: the same line as an earlier row"));
      }
    }
    // The rows are staged latest final date first (in file order among equal dates): a person's
    // earlier conviction, whose deletion would already be due on its own, is then staged after
    // the later conviction that keeps it (RecordStore::RefuseIfDueAlready), wherever the file
    // put it. The results stay in the rows' order.
    std::vector<int> order(static_cast<size_t>(req->rows_size()));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      return req->rows(a).record().conviction().final_date() >
             req->rows(b).record().conviction().final_date();
    });
    for (int i = 0; i < req->rows_size(); ++i) resp->add_results()->set_line(req->rows(i).line());
    storage::PendingWrite write;
    bool any_created = false;
    // The rows staged so far, by index: a row that is the same conviction as one of them names
    // its line.
    std::vector<int> staged_rows;
    RefusedRows refused;
    for (const int i : order) {
      v1::ImportRow row = req->rows(i);
      ClearOutputOnly(row.mutable_record()->mutable_conviction());
      v1::ImportRowResult* result = resp->mutable_results(i);
      absl::Status valid =
          d_.validator->ValidateRecord(row.record().person(), row.record().conviction());
      if (!valid.ok()) {
        result->set_outcome(v1::ImportRowResult::OUTCOME_INVALID);
        result->set_error(std::string(valid.message()));
        refused.Add(valid.message(), row.line());
        continue;
      }
      auto meta = MetaFor(call, row.record().conviction());
      if (!meta.ok()) {
        result->set_outcome(v1::ImportRowResult::OUTCOME_INVALID);
        result->set_error(std::string(meta.status().message()));
        refused.Add(meta.status().message(), row.line());
        continue;
      }
      const size_t before = write.record_ids().size();
      std::string existing;
      absl::Status staged = d_.records->StageCreate(row.record().person(),
                                                    row.record().conviction(), *meta, &write,
                                                    &existing);
      if (absl::IsAlreadyExists(staged) && existing.empty()) {
        // Another row of this request is the same conviction (in any spelling of its case
        // number): not "already in the registry", which a dry run would say of nothing stored,
        // and the two rows may differ. The file is corrected, not one row silently kept.
        result->set_outcome(v1::ImportRowResult::OUTCOME_INVALID);
        const std::string lines = SameConvictionLines(*req, staged_rows, i);
        constexpr absl::string_view kSame =
            "conviction: the same conviction (court, case number, personal number) as another "
            "row of this import";
        constexpr absl::string_view kOneRow = "; one row per conviction";
        result->set_error(
            absl::StrCat(kSame, lines.empty() ? "" : absl::StrCat(" (", lines, ")"), kOneRow));
        // One reason in the event, whichever line each row clashed with.
        refused.Add(absl::StrCat(kSame, kOneRow), row.line());
        continue;
      }
      if (absl::IsAlreadyExists(staged)) {
        // The answer names the record, as a create's does: so does the event (a dry run's too).
        result->set_record_id(existing);
        call.event().add_record_ids(existing);
        // A duplicate is the row the registry holds already: a row of the same conviction that
        // says otherwise (another sentence, other offences) is not, and counted as one it was
        // dropped unsaid whenever its twin of the file came in an earlier batch, while in one
        // batch it was refused. Refused here too, whatever the batches, naming the fields that
        // differ (never their values: the message is kept in the event).
        // A record that cannot be read now (expunged meanwhile) is said as before: held. A row
        // that repeats an earlier version (an import run again after the record was amended)
        // is a duplicate too: it says nothing the registry was not told; the fields named are
        // those the current version differs in.
        const absl::StatusOr<v1::Record> stored = d_.records->Get(existing);
        std::vector<std::string> differing =
            stored.ok() ? FieldsDifferingFromStored(row.record(), *stored)
                        : std::vector<std::string>();
        if (!differing.empty() && stored->metadata().version() > 1) {
          const absl::StatusOr<std::vector<v1::RecordVersion>> versions =
              d_.records->History(existing);
          for (size_t v = 0; versions.ok() && v < versions->size(); ++v) {
            if (FieldsDifferingFromStored(row.record(), (*versions)[v].record()).empty()) {
              differing.clear();
              break;
            }
          }
        }
        if (differing.empty()) {
          result->set_outcome(v1::ImportRowResult::OUTCOME_DUPLICATE);
          continue;
        }
        result->set_outcome(v1::ImportRowResult::OUTCOME_INVALID);
        const std::string conflict = absl::StrCat(
            "conviction: conflicts with the stored record of this court, case number and "
            "personal number, which differs in ",
            absl::StrJoin(differing, ", "),
            "; not changed: correct the row, or the record with an amendment");
        result->set_error(conflict);
        refused.Add(conflict, row.line());
        continue;
      }
      // Invalid, or a conviction whose record was expunged (storage::ErasedConvictionError):
      // that row is refused, the others go on.
      if (absl::IsInvalidArgument(staged) || absl::IsFailedPrecondition(staged)) {
        result->set_outcome(v1::ImportRowResult::OUTCOME_INVALID);
        result->set_error(std::string(staged.message()));
        if (absl::IsFailedPrecondition(staged) &&
            staged.message() == storage::ErasedConvictionError().message()) {
          refused.AddExpunged(row.line());
        } else {
          refused.Add(staged.message(), row.line());
        }
        continue;
      }
      RETURN_IF_ERROR(staged);
      staged_rows.push_back(i);
      if (req->dry_run()) {
        result->set_outcome(v1::ImportRowResult::OUTCOME_VALID);
      } else {
        result->set_outcome(v1::ImportRowResult::OUTCOME_CREATED);
        result->set_record_id(write.record_ids()[before]);
        any_created = true;
      }
    }
    // Each person of the request is re-dated once, after its last row (a dry run too, so that it
    // does all the real import would).
    RETURN_IF_ERROR(d_.records->StageDates(&write));
    // The call succeeds (OK) with its refused rows: the event says which and why, a dry run's
    // and one that enters nothing too. Set before the commit, which writes the event.
    call.event().set_detail(refused.Detail(req->rows_size()));
    if (req->dry_run()) {
      // Validation only: the staged batch is dropped; the event goes alone.
      return absl::OkStatus();
    }
    if (any_created) RETURN_IF_ERROR(call.Commit(&write));
    return absl::OkStatus();
  });
}

}  // namespace registry::server

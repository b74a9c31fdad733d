#include "server/data_check.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/public_status.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/records.pb.h"
#include "registry/v1/vetting.pb.h"
#include "server/method_table.h"

namespace registry::server {
namespace {

// The values of the rows KeepPrunedFacts writes for records.
constexpr char kCreatedFact[] = "created";
constexpr char kErasedFact[] = "erased";
// A pruned event that wrote an entry of a person's history keeps the row
// kCheckFactPrefix + check id, with this value.
constexpr char kCheckFactPrefix[] = "vetting-check/";
constexpr char kCheckFact[] = "written";
// A pruned event that wrote a version of a record keeps the row kVersionFactPrefix + record id,
// with the version as its value (the newest pruned one stays).
constexpr char kVersionFactPrefix[] = "record-version/";

// What one event says of the records it names: created, erased, or nothing.
enum class RecordFact { kNone, kCreated, kErased };

bool IsImport(const registry::v1::AuditEvent& event) {
  return event.action() == ActionOf(registry::v1::ImportRecordsRequest::descriptor());
}

RecordFact FactOf(const registry::v1::AuditEvent& event) {
  if (event.outcome() != 0) return RecordFact::kNone;
  namespace v1 = registry::v1;
  // A dry run creates or erases nothing: the ids an import's names are the records its duplicate
  // rows repeat; an expunge's, the record it was asked about.
  if (event.dry_run()) return RecordFact::kNone;
  if (event.action() == ActionOf(v1::CreateRecordRequest::descriptor()) || IsImport(event)) {
    return RecordFact::kCreated;
  }
  if (event.action() == ActionOf(v1::ExpungeRecordRequest::descriptor())) return RecordFact::kErased;
  return RecordFact::kNone;
}

// The record a successful amendment, dispute or resolution wrote a version of (it names exactly
// one, with record_version set); nullptr for any other event.
const std::string* ChangedRecord(const registry::v1::AuditEvent& event) {
  if (event.outcome() != 0 || event.record_version() == 0 || event.record_ids_size() != 1 ||
      FactOf(event) != RecordFact::kNone) {
    return nullptr;
  }
  return &event.record_ids(0);
}

// The versions of one record the log saw written: the last by the kept facts and the events
// before `settled` (which every record read after `settled` was taken must have reached), and the
// last of all (which no record read before the log can have passed).
struct WrittenVersions {
  uint32_t settled = 0;
  uint32_t last = 0;
};

// What the audit log says of the stored data.
struct LogFacts {
  // Records created (and not erased since), and records erased, each with whether the kept facts
  // or an event before `settled` said so (true), or only a later event (false).
  absl::flat_hash_map<std::string, bool> created;
  absl::flat_hash_map<std::string, bool> erased;
  // The versions the log saw written of each record it saw created.
  absl::flat_hash_map<std::string, WrittenVersions> versions;
  // The history entries (check ids) written by the kept facts and the events before `settled`,
  // which must all be stored; and those written by later events, which may be.
  absl::flat_hash_set<std::string> checks;
  absl::flat_hash_set<std::string> later_checks;
  // The answered vetting checks of the events before `settled` dated from `limits_since` on,
  // each of which took from its organisation's daily limits and wrote limit rows in its batch.
  struct LimitedCheck {
    std::string check_id;
    std::string organisation;
    std::string token;  // the personal-number token, raw
  };
  std::vector<LimitedCheck> limited;
  // The answered vetting checks of the events before `settled` that name their candidate, each
  // in that candidate's history; a REFER by a record under another number is also in the
  // history of that record's person (row 39).
  struct AnsweredCheck {
    uint64_t index = 0;  // the event's
    std::string check_id;
    std::string token;  // the candidate's, raw
    std::vector<std::string> record_ids;  // the records that decided it
  };
  std::vector<AnsweredCheck> answered;
  // Each retained event that wrote a history entry and names one candidate: its check id and the
  // candidate's token (raw), from which the entry's slot in that history follows (a row that
  // fails authentication is named by its slot).
  std::vector<std::pair<std::string, std::string>> check_persons;
  // The index of the last retained event that wrote a version of each record (an amendment may
  // change the number its head names).
  absl::flat_hash_map<std::string, uint64_t> last_changed;
  // The consent references the answered vetting checks were given under, by organisation and
  // reference (organisation, 0x00, reference): the candidate's token (raw) and the check id of
  // the first retained check under it. Each was bound to that candidate in a consent row
  // written in the batch of the first check answered under it.
  struct Consent {
    std::string organisation;
    std::string reference;
    std::string token;
    std::string check_id;
  };
  absl::flat_hash_map<std::string, Consent> consents;
};

// How long a vetting check counts against the daily limits on checks of one person and one name
// (server/rate_limiter.h): the data check holds the checks of that long to their limit rows.
constexpr absl::Duration kLimitWindow = absl::Hours(24);

// The answered vetting check `event` records, when it is one that took from the daily limits
// and is dated from `since` on; nullopt otherwise.
std::optional<LogFacts::LimitedCheck> LimitedCheckOf(const registry::v1::AuditEvent& event,
                                                     absl::Time since) {
  if (event.outcome() != 0 || event.check_id().empty() || event.organisation().empty() ||
      event.tokens_size() != 1 ||
      event.action() != ActionOf(registry::v1::VettingCheckRequest::descriptor())) {
    return std::nullopt;
  }
  const absl::StatusOr<absl::Time> at = ParseInstant(event.time());
  if (!at.ok() || *at < since) return std::nullopt;
  const std::string& hex = event.tokens(0);
  if (hex.empty() || hex.size() % 2 != 0 ||
      hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return std::nullopt;
  }
  std::string token = absl::HexStringToBytes(hex);
  return LogFacts::LimitedCheck{event.check_id(), event.organisation(), std::move(token)};
}

// The personal-number token (raw) of the candidate the answered vetting check `event` records,
// or nullopt for any other event or one that names no single well-formed token.
std::optional<std::string> AnsweredCandidateOf(const registry::v1::AuditEvent& event) {
  if (event.outcome() != 0 || event.check_id().empty() || event.organisation().empty() ||
      event.tokens_size() != 1 ||
      event.action() != ActionOf(registry::v1::VettingCheckRequest::descriptor())) {
    return std::nullopt;
  }
  const std::string& hex = event.tokens(0);
  if (hex.empty() || hex.size() % 2 != 0 ||
      hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return std::nullopt;
  }
  return absl::HexStringToBytes(hex);
}

// The personal-number token (raw) of the one candidate `event` names, whatever its outcome; nullopt
// when it names none, or more than one, or one not well formed.
std::optional<std::string> CandidateTokenOf(const registry::v1::AuditEvent& event) {
  if (event.tokens_size() != 1) return std::nullopt;
  const std::string& hex = event.tokens(0);
  if (hex.empty() || hex.size() % 2 != 0 ||
      hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return std::nullopt;
  }
  return absl::HexStringToBytes(hex);
}

// The storage schema whose consent rows began (storage/check_store.h): the vetting checks a
// registry of an earlier schema answered bound no consent reference.
constexpr int kFirstSchemaWithConsentRows = 11;

// Whether `event` upgraded the storage from a schema that wrote no consent rows
// (registry_server.cc UpgradeSchema: "schema N to M: ...").
bool UpgradedFromBeforeConsentRows(const registry::v1::AuditEvent& event) {
  if (event.actor() != "system:storage-schema" || event.action() != "upgrade-storage-schema") {
    return false;
  }
  absl::string_view reference = event.reference();
  int from = 0;
  return absl::ConsumePrefix(&reference, "schema ") &&
         absl::SimpleAtoi(reference.substr(0, reference.find(' ')), &from) &&
         from < kFirstSchemaWithConsentRows;
}

// Keeps the consent of the answered vetting check `event` in *facts; a check answered under a
// reference its organisation gave for another candidate in an earlier retained check (its
// consent row deleted meanwhile, so that the registry took it as new) is a problem in `report`.
void KeepConsent(const registry::v1::AuditEvent& event, LogFacts* facts,
                 storage::DataCheckReport* report) {
  if (UpgradedFromBeforeConsentRows(event)) {
    facts->consents.clear();
    return;
  }
  if (event.consent_reference().empty()) return;
  std::optional<std::string> token = AnsweredCandidateOf(event);
  if (!token.has_value()) return;
  auto [at, added] = facts->consents.try_emplace(
      absl::StrCat(event.organisation(), absl::string_view("\0", 1), event.consent_reference()));
  if (added) {
    at->second = {event.organisation(), event.consent_reference(), *std::move(token),
                  event.check_id()};
  } else if (at->second.token != *token) {
    report->Add(absl::StrCat("vetting check ", event.check_id(),
                             ": answered under a consent reference its organisation gave for "
                             "another candidate in check ",
                             at->second.check_id));
  }
}

// The events of the log that cannot be read (missing, failing authentication, in damaged
// files), as the scan meets them: each counted, the first and the last kNamed named, so that an
// incident is seen whole (where the damage starts, where it ends, how much) in bounded memory.
class DamagedEvents {
 public:
  static constexpr size_t kNamed = 50;

  void Add(uint64_t index, const absl::Status& error) {
    absl::string_view why = error.message();
    // The table check that follows in CheckDataAndTableFiles names the file: this is that check.
    absl::ConsumeSuffix(&why, "; registryd --verify_data names the file");
    if (first_.size() < kNamed) {
      first_.emplace_back(index, why);
      return;
    }
    last_.emplace_back(index, why);
    if (last_.size() > kNamed) {
      if (omitted_ == 0) omitted_from_ = last_.front().first;
      omitted_to_ = last_.front().first;
      ++omitted_;
      last_.pop_front();
    }
  }

  // Every damaged event is one problem, also those not named.
  void Report(storage::DataCheckReport* report) const {
    for (const auto& named : first_) report->Add(named.second);
    if (omitted_ > 0) {
      report->Add(absl::StrCat("audit log: ", omitted_,
                               " more events damaged or missing from event ", omitted_from_,
                               " to event ", omitted_to_, " (not named one by one)"));
      report->problem_count += omitted_ - 1;
    }
    for (const auto& named : last_) report->Add(named.second);
  }

 private:
  std::vector<std::pair<uint64_t, std::string>> first_;
  std::deque<std::pair<uint64_t, std::string>> last_;
  uint64_t omitted_ = 0;
  uint64_t omitted_from_ = 0;
  uint64_t omitted_to_ = 0;
};

// Reads what the audit log says into *facts (and its own problems into report): the facts kept
// from pruned events, then the retained events. A pruning that commits in between would leave
// out the facts of the events it deletes; every pruning moves the boundary, so an unchanged
// boundary around both reads means they saw the log at the same point. Events from `settled` on
// were written during the data check, perhaps after the rows it read. (The kept facts count as
// before `settled`: retention prunes events far older than a data check.)
absl::Status ReadLogFacts(const storage::AuditLog& audit, uint64_t settled,
                          absl::Time limits_since, storage::DataCheckReport* report,
                          LogFacts* facts) {
  constexpr int kAttempts = 3;
  const storage::DataCheckReport before = *report;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    *report = before;
    *facts = LogFacts();
    const uint64_t boundary = audit.CurrentPruned().size;
    RETURN_IF_ERROR(audit.ScanPrunedFacts([&](absl::string_view id, absl::string_view fact) {
      uint32_t version = 0;
      if (absl::StartsWith(id, kCheckFactPrefix) && fact == kCheckFact) {
        facts->checks.insert(std::string(id.substr(strlen(kCheckFactPrefix))));
      } else if (absl::StartsWith(id, kVersionFactPrefix) && absl::SimpleAtoi(fact, &version) &&
                 version > 0) {
        facts->versions[id.substr(strlen(kVersionFactPrefix))] = {version, version};
      } else if (fact == kCreatedFact) {
        facts->created[id] = true;
      } else if (fact == kErasedFact) {
        facts->erased[id] = true;
      } else {
        report->Add(absl::StrCat("audit retention's record of ", id, ": damaged"));
      }
    }));
    // A pruned create keeps no version row (KeepPrunedFacts deletes it): without a pruned change
    // after it, the record was at version 1 at the boundary.
    for (const auto& [id, before] : facts->created) {
      if (!facts->versions.contains(id)) facts->versions[id] = {1, 1};
    }
    // The events are believed only as far as they hash, from the left edge at the boundary, to
    // the root of the tree state the log authenticated when it opened (audit_log.h): a create
    // or expunge event edited, dropped or forged in the folder is a problem, not a fact.
    const storage::AuditLog::Head head = audit.CurrentHead();
    const uint64_t size = head.size;
    absl::StatusOr<crypto::merkle::CompactRange> range = audit.FrontierAt(boundary);
    if (!range.ok()) {
      report->Add(absl::StrCat("audit log: left edge at ", boundary, " unreadable"));
    }
    // An event that cannot be read does not stop the check: it is named, its facts are
    // missing from what follows (its records are then reported as the log not knowing them),
    // and the rest of the log is read. Its stored leaf stands in for it in the root below, so
    // that the other events are still held to the authenticated root.
    DamagedEvents damaged;
    std::optional<uint64_t> leaf_missing;
    const auto on_damaged = [&](uint64_t index, const absl::Status& error) {
      ++report->audit_events;
      damaged.Add(index, error);
      if (!range.ok() || leaf_missing.has_value()) return;
      absl::StatusOr<std::string> leaf = audit.StoredLeaf(index);
      if (leaf.ok()) {
        range->Append(*leaf, {});
      } else {
        leaf_missing = index;
      }
    };
    const absl::Status scanned = audit.ScanRetainedPastDamage(
        size,
        [&](uint64_t index, absl::string_view bytes) {
          ++report->audit_events;
          if (range.ok()) range->Append(crypto::merkle::HashLeaf(bytes), {});
          registry::v1::AuditEvent event;
          if (!event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
            report->Add(absl::StrCat("audit event ", index, ": does not decode"));
            return true;
          }
          const bool before = index < settled;
          if (!event.check_id().empty()) {
            (before ? facts->checks : facts->later_checks).insert(event.check_id());
            if (std::optional<std::string> token = CandidateTokenOf(event)) {
              facts->check_persons.emplace_back(event.check_id(), *std::move(token));
            }
          }
          if (before) {
            if (std::optional<LogFacts::LimitedCheck> limited =
                    LimitedCheckOf(event, limits_since)) {
              facts->limited.push_back(*std::move(limited));
            }
            if (std::optional<std::string> token = AnsweredCandidateOf(event)) {
              facts->answered.push_back(
                  {index, event.check_id(), *std::move(token),
                   {event.record_ids().begin(), event.record_ids().end()}});
            }
          }
          // Every consent row is written in its event's batch and kept for ever: the rows,
          // read after the log, hold every event's, whether or not before `settled`.
          KeepConsent(event, facts, report);
          switch (FactOf(event)) {
            case RecordFact::kCreated:
              for (const std::string& id : event.record_ids()) {
                // An import's event also names the stored records its duplicate rows repeat
                // (docs/security.md row 56): a record created before is not created again, and
                // its versions since stay known (a re-import of an amended record was reported
                // as "the log is behind the record").
                if (IsImport(event) && facts->created.count(id) > 0) continue;
                facts->created[id] = before;
                facts->erased.erase(id);
                facts->versions[id] = {before ? 1u : 0u, 1u};
              }
              break;
            case RecordFact::kErased:
              for (const std::string& id : event.record_ids()) {
                facts->created.erase(id);
                facts->erased[id] = before;
                facts->versions.erase(id);
              }
              break;
            case RecordFact::kNone:
              if (const std::string* id = ChangedRecord(event)) {
                WrittenVersions& v = facts->versions[*id];
                facts->last_changed[*id] = index;
                v.last = event.record_version();
                if (before) v.settled = event.record_version();
              }
              break;
          }
          return true;
        },
        on_damaged, storage::BlockCache::kBypass);
    if (audit.CurrentPruned().size != boundary) continue;
    damaged.Report(report);
    if (scanned.ok() && range.ok() && leaf_missing.has_value()) {
      report->Add(absl::StrCat("audit log: events ", boundary, "..", size,
                               " cannot be held to the authenticated root: damaged event ",
                               *leaf_missing, " has no stored leaf either"));
    } else if (scanned.ok() && range.ok() && range->Root() != head.root) {
      report->Add(absl::StrCat("audit log: events ", boundary, "..", size,
                               " do not hash to the authenticated root"));
    }
    return scanned;
  }
  return absl::UnavailableError("audit retention kept pruning during the data check; run it again");
}

}  // namespace

absl::Duration FirstDataCheckDelay(std::optional<absl::Time> last, absl::Time now,
                                   absl::Duration interval, absl::Duration soon) {
  if (!last.has_value()) return soon;
  const absl::Duration until = *last + interval - now;
  if (until <= soon) return soon;
  return std::min(until, interval);
}

void KeepPrunedFacts(const registry::v1::AuditEvent& event,
                     storage::AuditLog::PrunedFacts* facts) {
  if (!event.check_id().empty()) {
    facts->Put(absl::StrCat(kCheckFactPrefix, event.check_id()), kCheckFact);
  }
  if (const std::string* id = ChangedRecord(event)) {
    facts->Put(absl::StrCat(kVersionFactPrefix, *id), absl::StrCat(event.record_version()));
  }
  const RecordFact fact = FactOf(event);
  if (fact == RecordFact::kNone) return;
  for (const std::string& id : event.record_ids()) {
    facts->Put(id, fact == RecordFact::kCreated ? kCreatedFact : kErasedFact);
    // A created record starts at version 1 again; an erased one has none.
    facts->Delete(absl::StrCat(kVersionFactPrefix, id));
  }
}

absl::StatusOr<storage::DataCheckReport> CheckData(const storage::RecordStore& records,
                                                   const storage::CheckStore& checks,
                                                   const storage::AuditLog& audit,
                                                   const storage::ErasureLedger& ledger) {
  storage::DataCheckReport report;
  // The stored rows first, the log second: a history entry and a record version are written in
  // their event's batch, so every entry and version read here has its event in the log read
  // next (the log can never be behind what is stored), and every event before `settled` has its
  // rows here (what is stored can never be behind those events).
  const uint64_t settled = audit.CurrentHead().size;
  // The stored entries: their slots, and the check ids of the authentic ones.
  std::vector<storage::CheckStore::StoredRow> stored_checks;
  RETURN_IF_ERROR(checks.CheckAll(
      [&](const storage::CheckStore::StoredRow& row) { stored_checks.push_back(row); }, &report));
  // Ids and versions of the stored records (version 0: the head does not authenticate).
  std::vector<std::pair<std::string, uint32_t>> stored_records;
  RETURN_IF_ERROR(records.CheckAll(
      [&](absl::string_view id, uint32_t version) { stored_records.emplace_back(id, version); },
      &report));
  LogFacts facts;
  // The checks still within the daily limits' window (by the clock the log dates events by).
  const absl::Time limits_since = audit.clock()->Now() - kLimitWindow;
  RETURN_IF_ERROR(ReadLogFacts(audit, settled, limits_since, &report, &facts));
  // The stored tree the proofs are read from: a damaged node is named here, not met by an
  // auditor as a fork.
  RETURN_IF_ERROR(
      audit.CheckStoredTree([&report](std::string problem) { report.Add(std::move(problem)); }));
  // A row's key names its check only through its slot (a keyed hash of the person key and the
  // check id; of the check id alone in the earlier layout): a row that fails authentication is
  // named by the check whose slot it lies under, hashed from the events' check ids and
  // candidates, and for a REFER's copy from the person its deciding records' heads name. Only
  // when such a row is stored: an authentic row names its check itself.
  absl::flat_hash_map<std::string, std::string> id_of_slot;
  bool earlier_unreadable = false;
  bool unreadable = false;
  for (const storage::CheckStore::StoredRow& row : stored_checks) {
    if (row.authentic) continue;
    unreadable = true;
    earlier_unreadable |= row.earlier_layout;
  }
  if (earlier_unreadable) {
    for (const auto* ids : {&facts.checks, &facts.later_checks}) {
      for (const std::string& id : *ids) {
        ASSIGN_OR_RETURN(std::string slot, checks.EarlierSlot(id));
        id_of_slot.emplace(std::move(slot), id);
      }
    }
  }
  if (unreadable) {
    for (const auto& [id, token] : facts.check_persons) {
      ASSIGN_OR_RETURN(std::string slot, checks.Slot(token, id));
      id_of_slot.emplace(std::move(slot), id);
    }
    for (const LogFacts::AnsweredCheck& c : facts.answered) {
      for (const std::string& record_id : c.record_ids) {
        ASSIGN_OR_RETURN(const std::optional<std::string> token,
                         checks.PersonTokenOfRecord(record_id));
        if (!token.has_value() || *token == c.token) continue;
        ASSIGN_OR_RETURN(std::string slot, checks.Slot(*token, c.check_id));
        id_of_slot.emplace(std::move(slot), c.check_id);
      }
    }
  }
  // Every check id an event wrote, before the rows below take them from facts.checks.
  const absl::flat_hash_set<std::string> paired(facts.checks.begin(), facts.checks.end());
  // The authentic rows by check id and person key (check id, 0x00, person key), with their
  // results; and the check ids of the rows that fail authentication (whose person is not to be
  // trusted).
  absl::flat_hash_map<std::string, registry::v1::VettingResult> row_results;
  absl::flat_hash_set<std::string> stored_ids;
  absl::flat_hash_set<std::string> refer_ids;  // those with a row that says REFER
  absl::flat_hash_set<std::string> unreadable_ids;
  const auto row_key = [](absl::string_view check_id, absl::string_view person) {
    return absl::StrCat(check_id, absl::string_view("\0", 1), person);
  };
  for (const storage::CheckStore::StoredRow& row : stored_checks) {
    if (row.authentic) {
      row_results[row_key(row.check_id, row.person)] = row.result;
      stored_ids.insert(row.check_id);
      if (row.result == registry::v1::VETTING_RESULT_REFER) refer_ids.insert(row.check_id);
    } else if (const auto event = id_of_slot.find(row.slot); event != id_of_slot.end()) {
      unreadable_ids.insert(event->second);
    }
  }
  for (const storage::CheckStore::StoredRow& row : stored_checks) {
    // A deleted entry hides a probe from the person; an entry no event wrote is not the
    // registry's record of one. An entry that fails authentication is reported once, as that:
    // it is still paired with its event, by its slot.
    const auto event = id_of_slot.find(row.slot);
    if (!row.authentic) {
      report.Add(absl::StrCat("vetting check ",
                              event != id_of_slot.end()
                                  ? event->second
                                  : absl::StrCat("under slot ", absl::BytesToHexString(row.slot)),
                              ": fails authentication"));
      if (event != id_of_slot.end()) facts.checks.erase(event->second);
      continue;
    }
    // One event may write its check into more than one history (a REFER by a record under
    // another number is that person's too): each authentic copy is paired with the event.
    if (facts.checks.erase(row.check_id) == 0 && !facts.later_checks.contains(row.check_id) &&
        !paired.contains(row.check_id)) {
      report.Add(
          absl::StrCat("vetting check ", row.check_id, ": no event in the audit log wrote it"));
    }
  }
  for (const std::string& id : facts.checks) {
    report.Add(absl::StrCat("vetting check ", id, ": written in the audit log but not stored"));
  }
  // A check is paired by its id with any of its rows; a REFER by a record under another number
  // also has a copy in that person's history (row 39), so its id alone would leave either row
  // deleted unnoticed while the other remains, the probe hidden from that person. Each answered
  // check the log names its candidate for is in that candidate's history, and a REFER also in
  // the history of the person each deciding record's head names when that is another number (a
  // record erased since has no head to say; one amended since may name another number now, and
  // is passed over). One point read per deciding record of a REFER. The problem names the
  // check, never the person.
  for (const LogFacts::AnsweredCheck& c : facts.answered) {
    if (!stored_ids.contains(c.check_id) || unreadable_ids.contains(c.check_id)) continue;
    ASSIGN_OR_RETURN(const std::string asked_person, checks.PersonKey(c.token));
    const auto asked = row_results.find(row_key(c.check_id, asked_person));
    if (asked == row_results.end()) {
      report.Add(absl::StrCat("vetting check ", c.check_id,
                              ": missing from the history of the number it was asked under"));
    }
    // Only a REFER is copied (a NOT_CLEAR is decided by the asked number's own records, a CLEAR
    // by none); with the asked number's row missing, the records' heads alone say.
    if (asked != row_results.end() && asked->second != registry::v1::VETTING_RESULT_REFER) {
      continue;
    }
    absl::flat_hash_set<std::string> copies;
    for (const std::string& id : c.record_ids) {
      const auto changed = facts.last_changed.find(id);
      if (changed != facts.last_changed.end() && changed->second > c.index) continue;
      ASSIGN_OR_RETURN(const std::optional<std::string> token, checks.PersonTokenOfRecord(id));
      if (token.has_value() && *token != c.token) copies.insert(*token);
    }
    for (const std::string& token : copies) {
      ASSIGN_OR_RETURN(const std::string person, checks.PersonKey(token));
      if (!row_results.contains(row_key(c.check_id, person))) {
        report.Add(absl::StrCat("vetting check ", c.check_id,
                                ": its copy in the history of the person whose record under "
                                "another number referred it is missing"));
      }
    }
  }

  // Every answered check still within the daily limits' window has its limit rows: the person's
  // (found by the organisation and the token the event names) and at least one of the name's
  // (whose token the event does not name: counted by check id). Rows deleted while registryd
  // was stopped would give the organisation fresh tries at the candidate after a restart. The
  // rows are kept twice the window (CheckStore::kCountedRowsKept), so an hour's slack between a
  // row's time (the call's start) and its event's is no false alarm.
  if (!facts.limited.empty()) {
    const absl::Time rows_since = limits_since - absl::Hours(1);
    std::vector<std::string> limited_ids;
    limited_ids.reserve(facts.limited.size());
    for (const LogFacts::LimitedCheck& c : facts.limited) limited_ids.push_back(c.check_id);
    ASSIGN_OR_RETURN(const auto takes, checks.LimitTakesSince(rows_since, limited_ids, &report));
    for (const LogFacts::LimitedCheck& c : facts.limited) {
      ASSIGN_OR_RETURN(const bool person_row,
                       checks.HasLimitTake(c.organisation, c.token, rows_since, c.check_id));
      const auto rows = takes.find(c.check_id);
      const int count = rows == takes.end() ? 0 : rows->second;
      if (!person_row || count < 2) {
        report.Add(absl::StrCat("vetting check ", c.check_id, ": answered within the last 24 "
                                "hours, but its daily limit rows are missing (",
                                person_row ? "the name's" : "the person's",
                                "), so the organisation would get fresh tries after a restart"));
      }
    }
    // Each REFER of the window has its row for the alert on an organisation's many REFERs
    // (row 48): a row deleted while registryd was stopped would reset the day's count. The
    // result is read from the check's rows in the people's histories (the event does not hold
    // it); a check whose rows are all missing or withheld is not held here (the rows above name
    // a missing one). A row's key is a keyed hash of its check id: one point read each.
    for (const LogFacts::LimitedCheck& c : facts.limited) {
      if (!refer_ids.contains(c.check_id)) continue;
      const absl::StatusOr<bool> stored = checks.HasRefer(c.organisation, rows_since, c.check_id);
      if (!stored.ok() && !absl::IsDataLoss(stored.status())) return stored.status();
      if (!stored.ok()) {
        report.Add(absl::StrCat("vetting check ", c.check_id,
                                ": a REFER row of its organisation fails authentication"));
      } else if (!*stored) {
        report.Add(absl::StrCat("vetting check ", c.check_id, ": answered REFER within the last "
                                "24 hours, but its REFER row is missing, so the alert on the "
                                "organisation's many REFERs would count it no more"));
      }
    }
  }

  // Every consent reference an answered check was given under is bound, in its consent row, to
  // the candidate of the first retained check under it: a row deleted while registryd was
  // stopped lets the organisation give the reference for another candidate. One point read per
  // reference; the problem names the check, never the person or the reference.
  for (const auto& entry : facts.consents) {
    const LogFacts::Consent& consent = entry.second;
    absl::StatusOr<std::optional<std::string>> bound =
        checks.ConsentCandidate(consent.organisation, consent.reference);
    if (!bound.ok() && !absl::IsDataLoss(bound.status())) return bound.status();
    if (!bound.ok()) {
      report.Add(absl::StrCat("vetting check ", consent.check_id,
                              ": its consent row fails authentication"));
    } else if (!bound->has_value()) {
      report.Add(absl::StrCat("vetting check ", consent.check_id,
                              ": answered under a consent reference whose consent row is "
                              "missing, so the reference could be given for another candidate"));
    } else if (**bound != consent.token) {
      report.Add(absl::StrCat("vetting check ", consent.check_id,
                              ": its consent row binds the reference to another candidate"));
    }
  }

  absl::flat_hash_set<std::string> seen;
  for (const auto& [id, version] : stored_records) {
    seen.insert(id);
    if (const auto erased = facts.erased.find(id); erased != facts.erased.end()) {
      // Erased by an event from `settled` on: perhaps after the record was read.
      if (erased->second) {
        report.Add(absl::StrCat("record ", id, ": erased in the audit log but still stored"));
      }
    } else if (!facts.created.contains(id)) {
      report.Add(absl::StrCat("record ", id, ": no create event in the audit log"));
    }
    // Versions only grow, and each is written with its event. A stored version below the last
    // one an event before `settled` wrote is an earlier state put back; one above the last one
    // the whole log saw written is a change the log does not hold (a log put back to an earlier
    // state, or a record written without its event).
    const auto written = facts.versions.find(id);
    if (version == 0 || written == facts.versions.end()) continue;
    if (version < written->second.settled) {
      report.Add(absl::StrCat("record ", id, ": version ", version,
                              " is stored, but the audit log saw version ", written->second.settled,
                              " written: an earlier state was put back"));
    } else if (version > written->second.last) {
      report.Add(absl::StrCat("record ", id, ": version ", version,
                              " is stored, but the audit log saw only version ",
                              written->second.last, " written: the log is behind the record"));
    }
  }
  for (const auto& [id, before] : facts.created) {
    // Created by an event from `settled` on: perhaps after the records were read.
    if (before && !seen.contains(id)) {
      report.Add(absl::StrCat("record ", id, ": created in the audit log but not stored"));
    }
  }

  // Every entry of the ledger, not only those past the database's marker: the marker is in the
  // data directory, and a copy of the current one over data put back from before an erasure
  // claims an erasure those files never had. The ledger is authenticated; the marker is not. An
  // entry the marker counts was committed with its record's removal before the marker was read,
  // so a record stored now was put back. One point read per entry.
  ASSIGN_OR_RETURN(storage::ErasureLedger::Progress ledger_progress, ledger.ReadProgress());
  for (const storage::ErasureLedger::Entry& e : ledger_progress.entries) {
    if (e.index >= ledger_progress.applied) {
      report.Add(absl::StrCat("erasure ledger entry ", e.index, " (record ", e.record_id,
                              "): not applied to this database"));
      continue;
    }
    // A head that fails authentication is still a head: the record is stored.
    absl::StatusOr<bool> stored = records.IsStored(e.record_id);
    if (!stored.ok() && !absl::IsDataLoss(stored.status())) return stored.status();
    if (!stored.ok() || *stored) {
      report.Add(absl::StrCat("erasure ledger entry ", e.index, " (record ", e.record_id,
                              "): erased, but the record is stored again"));
      continue;
    }
    // None in an entry from before the ledger named the rows.
    for (const std::string& dedup_token : e.dedup_tokens) {
      ASSIGN_OR_RETURN(const bool barred, records.HasErasedRow(dedup_token, e.record_id));
      if (!barred) {
        report.Add(absl::StrCat("erasure ledger entry ", e.index, " (record ", e.record_id,
                                "): the erased-conviction row is missing, so the conviction "
                                "could be entered again"));
        break;
      }
    }
  }
  return report;
}

namespace {

// The error of a data check that could not read its data: when that was damage (a block that
// fails its checksum), the table check still runs and names the damaged files, which the error of
// the read that stopped the check cannot. Its advice to run `registryd --verify_data` for the
// name is dropped: this is that check.
absl::Status TableFilesBehind(const storage::Database& db, const absl::Status& stopped) {
  if (!absl::IsDataLoss(stopped)) return stopped;
  const absl::Status blocks = db.VerifyTableChecksums();
  if (blocks.ok()) return stopped;
  absl::string_view why = stopped.message();
  absl::ConsumeSuffix(&why, "; registryd --verify_data names the file");
  // An iterator's error names its file already, in RocksDB's words (not marked public: they are
  // not only about blocks).
  if (absl::StrContains(why, ".sst")) {
    return absl::DataLossError(absl::StrCat(
        "the data check stopped: ", why, ". Restore the newest sound backup (docs/operations.md)"));
  }
  // Our words, and RocksDB's about the blocks (file, offset, checksums), as the report's problem
  // below gives them: never a stored value.
  return PublicError(absl::DataLossError(absl::StrCat(
      "the data check stopped: ", why, ". A table file is damaged (a block fails its checksum): ",
      blocks.message(), ". Restore the newest sound backup (docs/operations.md)")));
}

}  // namespace

absl::StatusOr<storage::DataCheckReport> CheckRecordsWritten(const storage::RecordStore& records,
                                                             const storage::AuditLog& audit,
                                                             uint64_t from, uint64_t to) {
  storage::DataCheckReport report;
  // What the last event that wrote each record says of it: erased, or stored at no earlier
  // version than the newest one written (1 for a create or an import).
  struct Written {
    bool erased = false;
    uint32_t version = 0;
  };
  std::map<std::string, Written> written;
  absl::Status unparsed;
  RETURN_IF_ERROR(audit.Scan(from, to, [&](uint64_t index, absl::string_view bytes) {
    ++report.audit_events;
    registry::v1::AuditEvent event;
    if (!event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      unparsed = absl::DataLossError(absl::StrCat("audit event ", index, " does not parse"));
      return false;
    }
    if (const std::string* id = ChangedRecord(event)) {
      Written& w = written[*id];
      w.erased = false;
      w.version = std::max(w.version, event.record_version());
      return true;
    }
    const RecordFact fact = FactOf(event);
    if (fact == RecordFact::kNone) return true;
    for (const std::string& id : event.record_ids()) {
      written[id] = fact == RecordFact::kCreated ? Written{false, 1} : Written{true, 0};
    }
    return true;
  }));
  RETURN_IF_ERROR(unparsed);
  for (const auto& [id, w] : written) {
    if (w.erased) {
      // A head that fails authentication is still a head: the record is stored.
      absl::StatusOr<bool> stored = records.IsStored(id);
      if (!stored.ok() && !absl::IsDataLoss(stored.status())) return stored.status();
      ++report.records;
      if (!stored.ok() || *stored) {
        report.Add(absl::StrCat("record ", id, ": erased in the audit log but still stored"));
      }
      continue;
    }
    ASSIGN_OR_RETURN(const std::optional<uint32_t> version, records.CheckRecord(id, &report));
    if (!version.has_value()) {
      ++report.records;
      report.Add(absl::StrCat("record ", id, ": created in the audit log but not stored"));
    } else if (*version != 0 && *version < w.version) {
      report.Add(absl::StrCat("record ", id, ": version ", *version,
                              " is stored, but the audit log saw version ", w.version,
                              " written: an earlier state was put back"));
    }
  }
  return report;
}

uint64_t ProblemsThatCanChangeAVettingAnswer(const storage::DataCheckReport& report) {
  uint64_t found = 0;
  for (const std::string& problem : report.problems) {
    if (absl::StartsWith(problem, "record ") || absl::StartsWith(problem, "version ") ||
        absl::StartsWith(problem, "erasure ledger entry ") ||
        absl::StrContains(problem, "index row") ||
        absl::StrContains(problem, "erased-conviction row")) {
      ++found;
    }
  }
  return found;
}

absl::StatusOr<storage::DataCheckReport> CheckDataAndTableFiles(
    const storage::Database& db, const storage::RecordStore& records,
    const storage::CheckStore& checks, const storage::AuditLog& audit,
    const storage::ErasureLedger& ledger) {
  absl::StatusOr<storage::DataCheckReport> checked = CheckData(records, checks, audit, ledger);
  if (!checked.ok()) return TableFilesBehind(db, checked.status());
  storage::DataCheckReport report = *std::move(checked);
  // The index seal, recomputed from every index row's key: rows deleted, added or swapped in
  // the data folder, and any write that failed to keep it exact. A mismatch also refuses every
  // vetting check from here on (Database::CheckIndexSeal records the verdict).
  ASSIGN_OR_RETURN(const storage::IndexSealCheck seal, db.CheckIndexSeal());
  if (const std::string problem = seal.Problem(); !problem.empty()) report.Add(problem);
  // Index rows the check names as missing, extra, not current or not authentic break the seal
  // too, whatever the sum says (a seal made over rows already wrong matches them), and so does
  // any problem of a record's head or versions (missing, extra, or an earlier state put back:
  // the audit log saw a later version written) and of an erasure the database does not hold:
  // vetting answers from those rows and records, so a person's record rolled back to before a
  // ban would be answered CLEAR. Every vetting check is refused (DATA_LOSS) until a restore that
  // passes its checks or `registryd --reseal_index`, which the problems named here refuse until
  // they are put right.
  const uint64_t vetting_problems = ProblemsThatCanChangeAVettingAnswer(report);
  if (vetting_problems > 0) {
    storage::IndexSealCheck broken;
    broken.other = absl::StrCat("index seal: the data check names ", vetting_problems,
                                vetting_problems == 1 ? " problem" : " problems",
                                " of records, their versions or their index rows (missing, "
                                "extra, rolled back or failing authentication)");
    // Kept across restarts (the audit watermark): the rows may match the seal again at the next
    // start's comparison, as a seal put back with them does.
    broken.keep = true;
    db.RecordIndexSealVerdict(broken);
  }
  if (const absl::Status blocks = db.VerifyTableChecksums(); !blocks.ok()) {
    report.Add(absl::StrCat("a table file is damaged (a block fails its checksum): ",
                            blocks.message()));
  }
  return report;
}

}  // namespace registry::server

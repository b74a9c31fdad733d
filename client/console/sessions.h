// Who may use a running console. registry-console acts with its official's certificate, so
// anything that reaches its HTTP port could act as that official: another user of the same
// computer, or a page in another browser tab. Hence:
//
//  - a start secret (256 random bits) printed in the URL the official opens; it is exchanged
//    for a session (GET /start?s=SECRET), compared in constant time, and good for one use: the
//    browser keeps the URL in its history, where the next user of a shared workstation would
//    find a working one after the official signed out. Each use replaces it with a new one,
//    which the console prints;
//  - the session: a random id in an HttpOnly SameSite=Strict cookie, so scripts cannot read it
//    and other sites' pages cannot send it, with an idle limit;
//  - a CSRF token per session, required on every state-changing (POST) request.
//
// A session ends when the official signs out (at once: its cookie then opens nothing), after its
// idle limit, or when the console stops.
//
// Sessions also hold what one official's browser works on: vetting certificates to download, a
// vetting check's answer and a data check's result until their pages show them, search results,
// an import file between its dry run and the import, and running jobs (an import, a
// verification): each for kKeptAnswerLife at most, then dropped from memory (Kept).
#ifndef REGISTRY_CLIENT_CONSOLE_SESSIONS_H_
#define REGISTRY_CLIENT_CONSOLE_SESSIONS_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/audit_verifier.h"
#include "client/record_import.h"
#include "registry/v1/admin.pb.h"
#include "registry/v1/records.pb.h"
#include "registry/v1/vetting.pb.h"

namespace registry::console {

// `bytes` random bytes from the operating system's generator (OpenSSL RAND_bytes), as lowercase
// hex. Aborts when the generator fails: a guessable secret is worse than no console.
std::string RandomHex(size_t bytes);

// Equal strings, in time that depends on their lengths only.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// A parsed import file, kept between its dry run and the import.
struct Upload {
  std::string file_name;
  // How the registry's problems with its rows are named (ImportProblemMessage).
  client::ImportFormat format = client::ImportFormat::kCsv;
  client::ParsedImport parsed;
  // The dry run's verdicts on its rows, which the check's page shows (its POST redirects there,
  // so that a reload does not check the file again).
  std::vector<v1::ImportRowResult> checked;
};

// A long task the page follows with a progress bar: an import or a verification of the log.
struct Job {
  enum class Kind { kImport, kVerify };
  explicit Job(Kind k) : kind(k) {}
  const Kind kind;
  std::atomic<uint64_t> done{0};
  std::atomic<uint64_t> total{0};
  std::atomic<bool> finished{false};
  // Import: the file's format, which names the registry's problems with its rows.
  client::ImportFormat format = client::ImportFormat::kCsv;

  absl::Mutex mu;
  // The outcome, once finished.
  absl::Status status ABSL_GUARDED_BY(mu);
  // Import: the results of the rows sent, and the rows that could not be read or were invalid.
  std::vector<v1::ImportRowResult> results ABSL_GUARDED_BY(mu);
  std::vector<client::ImportLineError> invalid ABSL_GUARDED_BY(mu);
  // Verification.
  std::optional<client::AuditVerification> verification ABSL_GUARDED_BY(mu);
  // When it finished (StartJob): its outcome is kept kKeptAnswerLife from then. None while it
  // runs.
  absl::Time finished_at ABSL_GUARDED_BY(mu) = absl::InfiniteFuture();
};

// How many of each kind of thing a session keeps (Session); older ones are forgotten.
inline constexpr size_t kMaxKept = 20;

// How long a session keeps anything it keeps for a page (Session): a court's read, a search's
// results, a form's answer, a vetting check's answer and certificate, an auditor's filter, a data
// check's result, an import file and its dry run, a task's outcome, the notices of its changes.
// Each holds personal data, or a registry's answer about a record or the registry, for its page
// to be shown again without another (audited) call. Long enough for Back and Reload while the
// official works on one case; short, because a kept page is what the registry held then, not now
// (a record since corrected, resolved or expunged elsewhere), and an open console holds it in
// memory and shows it to whoever sits at the screen. After it, the page says it is no longer kept
// and how to ask again; the registry is not asked.
inline constexpr absl::Duration kKeptAnswerLife = absl::Minutes(10);

// When a kept value's life starts: when it was kept (`kept_at`). A task's (Job) when it finished,
// and not while it runs.
template <typename T>
absl::Time KeptLifeStart(const T&, absl::Time kept_at) {
  return kept_at;
}
absl::Time KeptLifeStart(const std::shared_ptr<Job>& job, absl::Time kept_at);

// Values by id, each with when it was kept: the newest kMaxKept of them, each for
// kKeptAnswerLife (from KeptLifeStart). Adding one more forgets the one added first (ids are
// random, so their order says nothing of age). A value past its life is not found, and is
// dropped by Expire (SessionStore::ForgetExpired, before every page). Not thread-safe: the
// session's mutex guards it.
template <typename T>
class Kept {
 public:
  // Whether a value kept at `kept_at` is past its life at `now`: the one rule of every kept
  // value's life.
  static bool PastLife(const T& value, absl::Time kept_at, absl::Time now) {
    return now - KeptLifeStart(value, kept_at) > kKeptAnswerLife;
  }

  void Add(const std::string& id, T value, absl::Time now) {
    if (!by_id_.emplace(id, Entry{std::move(value), now}).second) return;
    order_.push_back(id);
    while (order_.size() > kMaxKept) {
      by_id_.erase(order_.front());
      order_.pop_front();
    }
  }
  // The value of `id`, if kept and not past its life at `now`; with `kept_at`, when it was kept.
  const T* Find(const std::string& id, absl::Time now, absl::Time* kept_at = nullptr) const {
    auto it = by_id_.find(id);
    if (it == by_id_.end() || PastLife(it->second.value, it->second.kept_at, now)) return nullptr;
    if (kept_at != nullptr) *kept_at = it->second.kept_at;
    return &it->second.value;
  }
  // Removes and returns the value of `id`, if kept and not past its life at `now` (one past it
  // is removed all the same).
  std::optional<T> Take(const std::string& id, absl::Time now) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return std::nullopt;
    std::optional<T> value;
    if (!PastLife(it->second.value, it->second.kept_at, now)) value = std::move(it->second.value);
    by_id_.erase(it);
    order_.erase(std::find(order_.begin(), order_.end(), id));
    return value;
  }
  // Forgets every value for which `drop(value)` is true; how many.
  template <typename Predicate>
  size_t RemoveIf(Predicate drop) {
    return RemoveEntriesIf([&](const Entry& entry) { return drop(entry.value); });
  }
  // Forgets every value past its life at `now`: gone from memory, not only from the pages; how
  // many.
  size_t Expire(absl::Time now) {
    return RemoveEntriesIf(
        [&](const Entry& entry) { return PastLife(entry.value, entry.kept_at, now); });
  }
  size_t size() const { return by_id_.size(); }

 private:
  struct Entry {
    T value;
    absl::Time kept_at;
  };
  template <typename Predicate>
  size_t RemoveEntriesIf(Predicate drop) {
    size_t removed = 0;
    for (auto it = order_.begin(); it != order_.end();) {
      auto found = by_id_.find(*it);
      if (found != by_id_.end() && drop(found->second)) {
        by_id_.erase(found);
        it = order_.erase(it);
        ++removed;
      } else {
        ++it;
      }
    }
    return removed;
  }

  std::map<std::string, Entry> by_id_;
  std::deque<std::string> order_;  // oldest first
};

// A search's answer and what was asked, for the page of its results (see Session).
// The key under which Session::changes_answered holds the address `path` with the query
// `params` (decoded, in any order): the same for the Location a change was answered with and for
// the request the browser then makes to it, however it encodes the query.
std::string ChangeAddressKey(absl::string_view path,
                             std::vector<std::pair<std::string, std::string>> params);

struct SearchResult {
  v1::SearchRecordsResponse found;
  // The search form's fields as sent (the query; a court's case reference and purpose, which
  // each read from the results posts again).
  std::vector<std::pair<std::string, std::string>> fields;
};

// A court's read of a record or of its history and the purpose it was made for, for the page its
// POST redirects to (see Session).
struct CourtRead {
  std::string record_id;
  bool history = false;  // GetRecordHistory's answer in `versions`; else GetRecord's in `record`
  v1::Record record;
  v1::GetRecordHistoryResponse versions;
  // The read's case reference and purpose as sent, which the page's own reads post again.
  std::vector<std::pair<std::string, std::string>> fields;
};

// A POST's answer that is a page made after a registry call (a data subject's request answered
// or refused, an expunging refused), for the page its POST redirects to (see Session).
struct FormAnswer {
  // The form's own page, which the answer's page shows again ("/subject",
  // "/records/ID/expunge"): an id is shown only under the form that made it.
  std::string form;
  // The form's fields as sent, to show it filled in.
  std::vector<std::pair<std::string, std::string>> fields;
  // The registry's refusal; OK when it answered, or when the console refused the form itself.
  absl::Status refused;
  int http_status = 200;
  // A data subject's request answered: every check about the person.
  v1::ListChecksAboutPersonResponse checks;
  // An expunging refused: the record as read, and what the console found wrong with the form.
  v1::Record record;
  bool basis_missing = false;
  bool confirmation_wrong = false;
  // A refusal of the console's own that the fields cannot say again (an import file it could
  // not read): the catalog key of its words, and the file reader's own words (in English), if
  // any.
  std::string local_key;
  std::string local_detail;
};

// Whether a kept answer (a search's, a court's read, a form's) names the record `record_id`: its
// page shows that record (or its form's address is one of the record's), so that it goes when the
// record is expunged or changed through this console.
bool NamesRecord(const SearchResult& kept, absl::string_view record_id);
bool NamesRecord(const CourtRead& kept, absl::string_view record_id);
bool NamesRecord(const FormAnswer& kept, absl::string_view record_id);

struct Session {
  explicit Session(std::string session_id, std::string csrf_token)
      : id(std::move(session_id)), csrf(std::move(csrf_token)) {}
  const std::string id;
  const std::string csrf;

  absl::Mutex mu;
  std::string language ABSL_GUARDED_BY(mu) = "sq";
  absl::Time last_used ABSL_GUARDED_BY(mu);
  // Vetting certificates of this session's checks, by check id; the answers of checks just made,
  // by the id of their result's page, until that page has shown them once (the check's POST is
  // answered by a redirect to it, so that reloading the page does not check again, and nothing
  // of the candidate goes into its address); import files between their dry run and the import;
  // jobs. The newest kMaxKept of each, and each for kKeptAnswerLife (a job's from when it
  // finished), as everything below. A data check's result likewise waits, by the id of its
  // page, until that page has shown it once: the whole-data check is long, and a reload of the
  // page its POST made would run it again.
  Kept<v1::SignedVettingCertificate> certificates ABSL_GUARDED_BY(mu);
  Kept<v1::VettingCheckResponse> vetting_results ABSL_GUARDED_BY(mu);
  Kept<v1::VerifyDataResponse> data_checks ABSL_GUARDED_BY(mu);
  // A backup's verification likewise, by the id of its page: it restores the whole backup.
  Kept<v1::VerifyBackupResponse> backup_checks ABSL_GUARDED_BY(mu);
  // A search's answer and the fields of its form, by the id of its results' page (the search's
  // POST is answered by a redirect to it): unlike a vetting answer, shown as often as the
  // official goes back to it, with no new search, until the session ends, newer searches push
  // it out, kKeptAnswerLife passes or a record it lists is changed or expunged through this
  // console (SessionStore::ForgetRecord).
  Kept<SearchResult> searches ABSL_GUARDED_BY(mu);
  // A court's reads of a record or its history, by the id of the page the read's POST redirects
  // to: as a search's results, shown again by a reload or the back button without another
  // audited read, until the session ends, newer reads push them out, kKeptAnswerLife passes or
  // the record is changed or expunged through this console (SessionStore::ForgetRecord).
  Kept<CourtRead> court_reads ABSL_GUARDED_BY(mu);
  // An audit filter that names an actor (which no address may hold), by the id of its events'
  // page, which the filter's POST redirects to; its events are read again at each showing.
  Kept<std::vector<std::pair<std::string, std::string>>> audit_filters ABSL_GUARDED_BY(mu);
  // The answers of forms whose POST made a registry call and whose answer is a page (a data
  // subject's request, a refused expunging), by the id of the page the POST redirects to: a reload
  // or the back button shows it again, filled in as sent, and does not repeat the audited call.
  Kept<FormAnswer> form_answers ABSL_GUARDED_BY(mu);
  Kept<std::shared_ptr<Upload>> uploads ABSL_GUARDED_BY(mu);
  Kept<std::shared_ptr<Job>> jobs ABSL_GUARDED_BY(mu);
  // The records this session expunged, by id: home's notice names a record only when it is one
  // of them, so that an address made up elsewhere cannot say a live record was expunged. Each
  // with the ids of the records the registry erased with it, which the notice names too.
  Kept<std::vector<std::string>> expunged ABSL_GUARDED_BY(mu);
  // The addresses this session's changes were answered with (a POST's redirect: "/admin?backup=7",
  // "/records/ID?done=disputed", "/admin/checks/ID"), by ChangeAddressKey. A page's notice of
  // what was done is shown only at one of them: an address typed, or made up elsewhere, names a
  // backup, a rotation, a dispute or a data check this session never made.
  Kept<bool> changes_answered ABSL_GUARDED_BY(mu);

  // Forgets every kept value past its life at `now`; how many. Every Kept above is listed in
  // it: what a session keeps has no other life.
  size_t ForgetExpired(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  std::string Language() {
    absl::MutexLock lock(&mu);
    return language;
  }
};

class SessionStore {
 public:
  // `idle`: a session unused this long is gone.
  SessionStore(std::string start_secret, absl::Duration idle)
      : idle_(idle), secret_(std::move(start_secret)) {}

  // The start secret that opens the next session.
  std::string start_secret();
  // Whether `offered` is the start secret; if so it is spent: replaced by a new random one (of
  // the same size), so that the address holding it, kept in the browser's history, opens nothing
  // again. Compared in constant time.
  bool SpendSecret(absl::string_view offered);

  // A new session (random id and CSRF token). At most kMaxSessions live at once: the least
  // recently used goes.
  std::shared_ptr<Session> Create(absl::Time now);
  // The live session with this id, marked used at `now`; nullptr when there is none (never was,
  // or idle too long).
  std::shared_ptr<Session> Find(absl::string_view id, absl::Time now);
  // The language of the live session with this id, or "" when there is none; for a page that
  // only says why a request was refused. It changes nothing: the session is not marked used (a
  // refused request is no use of it), and one idle too long is left for Find to end.
  std::string LanguageOf(absl::string_view id, absl::Time now);
  // Ends the session with this id at once (its official signed out): Find no longer finds it,
  // whatever cookie still names it. What a request already holds of it (a page being sent, a
  // background job) runs to its end. False when there was no such session.
  bool End(absl::string_view id);

  // Whether `id` names a session that has ended (signed out, idle too long, or the least
  // recently used of too many): one of the newest kMaxEnded ended. Such a cookie opens nothing;
  // this only says why, to the browser that held it.
  bool Ended(absl::string_view id);
  // Whether `token` is the CSRF token of a session other than `current`: one still live (the
  // start address was opened again in the same browser, whose cookie now names the new
  // session) or one of the newest kMaxEnded ended. A form carrying it came from a page of this
  // console shown to an earlier session, not from another site (which knows no token at all);
  // it is refused all the same.
  bool TokenOfAnotherSession(absl::string_view token, const Session& current);

  // Forgets, in every live session, the kept answers that name the record `record_id`
  // (NamesRecord): its court reads and the search results that list it; with `forms` also the
  // forms' answers of its pages (a refused expunging, which shows the person). The record was
  // expunged (`forms`), or corrected, disputed or resolved, through this console: a page kept
  // before showed it as it no longer is, or as a record that no longer exists. How many.
  size_t ForgetRecord(absl::string_view record_id, bool forms);
  // Forgets, in every live session, everything it keeps (Session's Kept values) that is past its
  // life at `now` (Kept::PastLife); how many.
  size_t ForgetExpired(absl::Time now);

  static constexpr size_t kMaxSessions = 32;
  static constexpr size_t kMaxEnded = 64;

 private:
  // A session that has ended: its id and its CSRF token, kept only to say why a request naming
  // them is refused.
  struct EndedSession {
    std::string id;
    std::string csrf;
  };
  void RememberEnded(const Session& session) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const absl::Duration idle_;
  absl::Mutex mu_;
  std::string secret_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<Session>, std::less<>> sessions_ ABSL_GUARDED_BY(mu_);
  std::deque<EndedSession> ended_ ABSL_GUARDED_BY(mu_);  // oldest first
};

}  // namespace registry::console

#endif  // REGISTRY_CLIENT_CONSOLE_SESSIONS_H_

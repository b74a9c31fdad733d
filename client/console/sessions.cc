#include "client/console/sessions.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "openssl/crypto.h"
#include "openssl/rand.h"

namespace registry::console {

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    std::abort();
  }
  return absl::BytesToHexString(raw);
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string ChangeAddressKey(absl::string_view path,
                             std::vector<std::pair<std::string, std::string>> params) {
  std::sort(params.begin(), params.end());
  std::string key(path);
  // Each with its length, so that no value's own '&' or '=' makes two addresses one key.
  for (const auto& [name, value] : params) {
    absl::StrAppend(&key, "&", name.size(), ":", name, "=", value.size(), ":", value);
  }
  return key;
}

absl::Time KeptLifeStart(const std::shared_ptr<Job>& job, absl::Time) {
  absl::MutexLock lock(&job->mu);
  return job->finished_at;
}

size_t Session::ForgetExpired(absl::Time now) {
  // Every kind of thing kept, each by its Kept's one rule.
  return certificates.Expire(now) + vetting_results.Expire(now) + data_checks.Expire(now) +
         backup_checks.Expire(now) + searches.Expire(now) + court_reads.Expire(now) +
         audit_filters.Expire(now) + form_answers.Expire(now) + uploads.Expire(now) +
         jobs.Expire(now) + expunged.Expire(now) + changes_answered.Expire(now);
}

bool NamesRecord(const SearchResult& kept, absl::string_view record_id) {
  for (const v1::Record& record : kept.found.records()) {
    if (record.metadata().record_id() == record_id) return true;
  }
  return false;
}

bool NamesRecord(const CourtRead& kept, absl::string_view record_id) {
  return kept.record_id == record_id;
}

bool NamesRecord(const FormAnswer& kept, absl::string_view record_id) {
  // The form's own page ("/records/ID/expunge"), or the record read with it.
  const std::string page = absl::StrCat("/records/", record_id);
  return kept.form == page || absl::StartsWith(kept.form, page + "/") ||
         kept.record.metadata().record_id() == record_id;
}

std::string SessionStore::start_secret() {
  absl::MutexLock lock(&mu_);
  return secret_;
}

bool SessionStore::SpendSecret(absl::string_view offered) {
  absl::MutexLock lock(&mu_);
  if (!ConstantTimeEquals(offered, secret_)) return false;
  secret_ = RandomHex(secret_.size() / 2);
  return true;
}

std::shared_ptr<Session> SessionStore::Create(absl::Time now) {
  auto session = std::make_shared<Session>(RandomHex(32), RandomHex(32));
  {
    absl::MutexLock lock(&session->mu);
    session->last_used = now;
  }
  absl::MutexLock lock(&mu_);
  while (sessions_.size() >= kMaxSessions) {
    auto oldest = sessions_.begin();
    absl::Time oldest_time = absl::InfiniteFuture();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      absl::MutexLock session_lock(&it->second->mu);
      if (it->second->last_used < oldest_time) {
        oldest_time = it->second->last_used;
        oldest = it;
      }
    }
    RememberEnded(*oldest->second);
    sessions_.erase(oldest);
  }
  sessions_.emplace(session->id, session);
  return session;
}

std::shared_ptr<Session> SessionStore::Find(absl::string_view id, absl::Time now) {
  absl::MutexLock lock(&mu_);
  // The map is searched by a constant-time comparison of every id rather than by its order,
  // which would tell an attacker timing how much of a guess was right.
  std::shared_ptr<Session> found;
  for (auto& [key, session] : sessions_) {
    if (ConstantTimeEquals(id, key)) found = session;
  }
  if (found == nullptr) return nullptr;
  absl::MutexLock session_lock(&found->mu);
  if (now - found->last_used > idle_) {
    RememberEnded(*found);
    sessions_.erase(found->id);
    return nullptr;
  }
  found->last_used = now;
  return found;
}

std::string SessionStore::LanguageOf(absl::string_view id, absl::Time now) {
  absl::MutexLock lock(&mu_);
  // Searched as Find searches, every id compared in constant time.
  std::shared_ptr<Session> found;
  for (auto& [key, session] : sessions_) {
    if (ConstantTimeEquals(id, key)) found = session;
  }
  if (found == nullptr) return "";
  absl::MutexLock session_lock(&found->mu);
  if (now - found->last_used > idle_) return "";
  return found->language;
}

bool SessionStore::End(absl::string_view id) {
  absl::MutexLock lock(&mu_);
  // Searched as Find searches, every id compared in constant time.
  auto found = sessions_.end();
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    if (ConstantTimeEquals(id, it->first)) found = it;
  }
  if (found == sessions_.end()) return false;
  RememberEnded(*found->second);
  sessions_.erase(found);
  return true;
}

size_t SessionStore::ForgetRecord(absl::string_view record_id, bool forms) {
  if (record_id.empty()) return 0;
  absl::MutexLock lock(&mu_);
  size_t forgotten = 0;
  for (auto& [id, session] : sessions_) {
    absl::MutexLock session_lock(&session->mu);
    const auto names = [&](const auto& kept) { return NamesRecord(kept, record_id); };
    forgotten += session->court_reads.RemoveIf(names);
    forgotten += session->searches.RemoveIf(names);
    if (forms) forgotten += session->form_answers.RemoveIf(names);
  }
  return forgotten;
}

size_t SessionStore::ForgetExpired(absl::Time now) {
  absl::MutexLock lock(&mu_);
  size_t forgotten = 0;
  for (auto& [id, session] : sessions_) {
    absl::MutexLock session_lock(&session->mu);
    forgotten += session->ForgetExpired(now);
  }
  return forgotten;
}

void SessionStore::RememberEnded(const Session& session) {
  ended_.push_back({session.id, session.csrf});
  while (ended_.size() > kMaxEnded) ended_.pop_front();
}

bool SessionStore::Ended(absl::string_view id) {
  absl::MutexLock lock(&mu_);
  // Every id compared, each in constant time, as Find compares them.
  bool found = false;
  for (const EndedSession& ended : ended_) found |= ConstantTimeEquals(id, ended.id);
  return found;
}

bool SessionStore::TokenOfAnotherSession(absl::string_view token, const Session& current) {
  absl::MutexLock lock(&mu_);
  bool found = false;
  for (const auto& [id, session] : sessions_) {
    if (session.get() != &current) found |= ConstantTimeEquals(token, session->csrf);
  }
  for (const EndedSession& ended : ended_) found |= ConstantTimeEquals(token, ended.csrf);
  return found;
}

}  // namespace registry::console

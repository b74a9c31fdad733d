#include "client/names_removed.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "storage/name_normalizer.h"

namespace registry::client {
namespace {

bool AmendmentSets(const v1::AmendRecordRequest& request, absl::string_view path) {
  const auto& paths = request.update_mask().paths();
  return std::find(paths.begin(), paths.end(), path) != paths.end();
}

// A name as the registry compares it: its canonical form, the one its name indexes hold. A name
// the normaliser refuses (or every name, without one) compares as it is written, kept apart from
// every canonical form.
std::string ComparedName(const storage::NameNormalizer* normalizer, const std::string& name) {
  if (normalizer != nullptr) {
    if (absl::StatusOr<std::string> canonical = normalizer->Normalize(name); canonical.ok()) {
      return *std::move(canonical);
    }
  }
  // A canonical form is lowercase ASCII letters and spaces: never a leading "=".
  return absl::StrCat("=", name);
}

}  // namespace

RemovedNames NamesRemoved(const v1::Person& current, const v1::AmendRecordRequest& request,
                          const storage::NameNormalizer* normalizer) {
  const bool sets_aliases = AmendmentSets(request, "person.aliases");
  const bool sets_surname = AmendmentSets(request, "person.surname");
  const v1::Person& changed = request.person();
  const auto& aliases_after = sets_aliases ? changed.aliases() : current.aliases();
  std::vector<std::string> after;
  for (const std::string& alias : aliases_after) after.push_back(ComparedName(normalizer, alias));
  after.push_back(ComparedName(normalizer, sets_surname ? changed.surname() : current.surname()));
  const auto kept = [&](const std::string& name) {
    return std::find(after.begin(), after.end(), ComparedName(normalizer, name)) != after.end();
  };
  RemovedNames removed;
  if (sets_aliases) {
    for (int i = 0; i < current.aliases_size(); ++i) {
      if (kept(current.aliases(i))) continue;
      removed.aliases.push_back(current.aliases(i));
      removed.alias_places.push_back(i);
    }
  }
  if (sets_surname && !current.surname().empty() && !kept(current.surname())) {
    removed.surname = current.surname();
  }
  return removed;
}

RemovedNames NamesRemoved(const v1::Person& current, const v1::AmendRecordRequest& request) {
  // NameNormalizer is safe for concurrent use (the console's pages call this from many threads).
  static const absl::StatusOr<std::unique_ptr<storage::NameNormalizer>>* const normalizer =
      new absl::StatusOr<std::unique_ptr<storage::NameNormalizer>>(
          storage::NameNormalizer::Create());
  return NamesRemoved(current, request, normalizer->ok() ? normalizer->value().get() : nullptr);
}

}  // namespace registry::client

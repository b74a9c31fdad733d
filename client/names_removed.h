// The names a record is found under, and linked by to the person's other convictions
// (docs/domain.md), that an amendment takes away: an alias it does not give again, a surname
// replaced and not kept as an alias. registry-cli asks before it sends such an amendment
// (record amend), and so does the console's correction form: a clerk who typed a married name
// over the maiden name removed the name the person's earlier conviction was linked by.
//
// Names compare as the registry compares them: by their canonical form (storage/name_normalizer.h,
// the one its name indexes hold), so that a name respelt in another case, without its accents or
// with other apostrophes is the same name, and no removal.
#ifndef REGISTRY_CLIENT_NAMES_REMOVED_H_
#define REGISTRY_CLIENT_NAMES_REMOVED_H_

#include <optional>
#include <string>
#include <vector>

#include "registry/v1/records.pb.h"

namespace registry::storage {
class NameNormalizer;
}  // namespace registry::storage

namespace registry::client {

struct RemovedNames {
  // As the record holds them, with their places in its list (from 0).
  std::vector<std::string> aliases;
  std::vector<int> alias_places;
  std::optional<std::string> surname;
  bool empty() const { return aliases.empty() && !surname.has_value(); }
};

// What `request` removes of the names of the record whose person is `current`: only the fields
// its update mask names ("person.aliases", "person.surname") are taken from `request.person()`.
// Names compare by `normalizer`'s canonical form; a name it refuses (or every name, without one)
// compares as it is written, so that a respelt name is then taken for a removal, never the other
// way round.
RemovedNames NamesRemoved(const v1::Person& current, const v1::AmendRecordRequest& request,
                          const storage::NameNormalizer* normalizer);
// The same with a normaliser made once for the process (none when ICU's data is missing: names
// then compare as written).
RemovedNames NamesRemoved(const v1::Person& current, const v1::AmendRecordRequest& request);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_NAMES_REMOVED_H_

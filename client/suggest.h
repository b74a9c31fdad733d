// "Did you mean": the known name closest to what was typed, for an unknown command or option.
//
//   Closest("recrod", {"record", "vet", "audit"})  // "record"
//   Closest("frobnicate", {"record", "vet"})       // nullopt: nothing is close
#ifndef REGISTRY_CLIENT_SUGGEST_H_
#define REGISTRY_CLIENT_SUGGEST_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace registry::client {

// The number of single-character edits (insert, delete, replace, swap two neighbours) that turn
// `a` into `b` (optimal string alignment distance), counted in bytes, case-sensitive.
size_t EditDistance(absl::string_view a, absl::string_view b);

// The candidate closest to `typed`: one a few edits away (at most one for names of up to four
// characters, two up to eight, three beyond) or one that `typed` begins (a name cut short). Ties
// go to the first candidate. nullopt when none is close, or when `typed` is itself a candidate.
std::optional<std::string> Closest(absl::string_view typed,
                                   const std::vector<std::string>& candidates);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_SUGGEST_H_

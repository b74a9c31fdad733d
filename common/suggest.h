// "Did you mean": the known name closest to what was typed, for an unknown command or option;
// and whether a key that names none of our fields is a typo of one, and so may be repeated
// (registry-cli's files, registryd's policy reload events).
//
//   Closest("recrod", {"record", "vet", "audit"})  // "record"
//   Closest("frobnicate", {"record", "vet"})       // nullopt: nothing is close
#ifndef REGISTRY_COMMON_SUGGEST_H_
#define REGISTRY_COMMON_SUGGEST_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace registry {

// The number of single-character edits (insert, delete, replace, swap two neighbours) that turn
// `a` into `b` (optimal string alignment distance), counted in bytes, case-sensitive.
size_t EditDistance(absl::string_view a, absl::string_view b);

// The candidate closest to `typed`: one a few edits away (at most one for names of up to four
// characters, two up to eight, three beyond) or one that `typed` begins (a name cut short). Ties
// go to the first candidate. nullopt when none is close, or when `typed` is itself a candidate.
std::optional<std::string> Closest(absl::string_view typed,
                                   const std::vector<std::string>& candidates);

// The one reading of a name typed where one of our field or column names belongs and naming none
// of `names` (a JSON key, a CSV header cell, a --set FIELD): what it may be repeated as in an
// error. Such text may be a person's data (a surname typed as a key, a row's cell read as a
// header), which an error never repeats; so it is repeated only as a typo of one of our names:
// written as our names are (a small letter, then small letters, digits, "_", "-" and "."), at
// least five characters long, and either joined like ours ("sentence_month", "given-nme": a few
// edits from a name of six or more characters) or a name of seven or more characters with one
// character left out or two neighbours swapped ("surnme", "adress"). A letter put in or changed
// in a single word makes other words too ("pearson", "montes", "juvenal", "banks"), and names
// of fewer than six characters are never suggested. One of our names in other capitals or
// without its "_" or "-" ("Surname", "LastKnownAddress") is that name. Returns the name it is a
// typo of, nullopt when it is not one.
std::optional<std::string> NearMissOfOurName(absl::string_view typed,
                                             const std::vector<std::string>& names);

}  // namespace registry

#endif  // REGISTRY_COMMON_SUGGEST_H_

#include "common/suggest.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace registry {

size_t EditDistance(absl::string_view a, absl::string_view b) {
  // Three rows of the dynamic programme: the one before the previous is needed for a swap.
  std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t replace = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, replace});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::optional<std::string> Closest(absl::string_view typed,
                                   const std::vector<std::string>& candidates) {
  if (typed.empty()) return std::nullopt;
  const size_t allowed = typed.size() <= 4 ? 1 : typed.size() <= 8 ? 2 : 3;
  std::optional<std::string> best;
  size_t best_distance = allowed + 1;
  for (const std::string& candidate : candidates) {
    if (candidate == typed) return std::nullopt;
    // A name cut short ("--case" for "--case-ref") counts as one edit, whatever is missing.
    const size_t distance =
        absl::StartsWith(candidate, typed) ? 1 : EditDistance(typed, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

namespace {

// Whether `typed` is `name` with one character left out, or with two neighbours swapped: the
// typos of a word of ours. Another letter put in or changed makes other words too ("pearson",
// "montes"), which may be a person's name.
bool OneLeftOutOrSwapped(absl::string_view typed, absl::string_view name) {
  if (typed.size() + 1 == name.size()) {
    size_t i = 0;
    while (i < typed.size() && typed[i] == name[i]) ++i;
    return typed.substr(i) == name.substr(i + 1);
  }
  if (typed.size() != name.size()) return false;
  size_t i = 0;
  while (i < typed.size() && typed[i] == name[i]) ++i;
  return i + 1 < typed.size() && typed[i] == name[i + 1] && typed[i + 1] == name[i] &&
         typed.substr(i + 2) == name.substr(i + 2);
}

}  // namespace

std::optional<std::string> NearMissOfOurName(absl::string_view typed,
                                             const std::vector<std::string>& names) {
  // One of our names in other capitals or without its "_" ("Surname", "LastKnownAddress",
  // "SENTENCE_TYPE"): what it is repeated as is our own name.
  const auto folded = [](absl::string_view text) {
    std::string out;
    for (const char c : text) {
      if (c != '_' && c != '-') out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    }
    return out;
  };
  if (typed.size() <= 40) {
    const std::string typed_folded = folded(typed);
    for (const std::string& name : names) {
      if (name != typed && !typed_folded.empty() && folded(name) == typed_folded) return name;
    }
  }
  const bool written_like_ours =
      typed.size() >= 5 && typed.size() <= 40 &&
      absl::ascii_islower(static_cast<unsigned char>(typed.front())) &&
      std::all_of(typed.begin(), typed.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return absl::ascii_islower(u) || absl::ascii_isdigit(u) || c == '_' || c == '-' ||
               c == '.';
      });
  if (!written_like_ours) return std::nullopt;
  // A word of two joined by "_", "-" or "." is one of ours mistyped, never a person's name.
  const bool compound = typed.find_first_of("_-.") != absl::string_view::npos;
  const std::string* nearest = nullptr;
  size_t nearest_distance = 0;
  for (const std::string& name : names) {
    if (name.size() < 6 || name == typed) continue;
    size_t distance = 0;
    if (compound) {
      const size_t allowed = name.size() <= 7 ? 1 : name.size() <= 11 ? 2 : 3;
      distance = EditDistance(typed, name);
      if (distance > allowed) continue;
    } else {
      if (name.size() < 7 || !OneLeftOutOrSwapped(typed, name)) continue;
      distance = 1;
    }
    if (nearest == nullptr || distance < nearest_distance) {
      nearest = &name;
      nearest_distance = distance;
    }
  }
  if (nearest == nullptr) return std::nullopt;
  return *nearest;
}

}  // namespace registry

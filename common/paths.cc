#include "common/paths.h"

#include <filesystem>
#include <system_error>

namespace registry {

bool PathWithin(const std::string& inner, const std::string& outer) {
  std::error_code error;
  const std::filesystem::path in = std::filesystem::weakly_canonical(inner, error);
  if (error) return false;
  const std::filesystem::path out = std::filesystem::weakly_canonical(outer, error);
  if (error) return false;
  auto i = in.begin();
  for (auto o = out.begin(); o != out.end(); ++o, ++i) {
    if (o->empty()) continue;  // a trailing separator
    if (i == in.end() || *i != *o) return false;
  }
  return true;
}

}  // namespace registry

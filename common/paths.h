// Paths compared as the file system resolves them.
//
//   if (PathWithin(config.backup_dir(), config.data_dir())) { ... refuse ... }
#ifndef REGISTRY_COMMON_PATHS_H_
#define REGISTRY_COMMON_PATHS_H_

#include <string>

namespace registry {

// Whether `inner` is `outer` or inside it, after ".", "..", repeated slashes and the symbolic
// links of the parts that exist are resolved: "X/./data/f", "X/other/../data/f" and a link into
// X/data are all within "X/data"; "X/data-backups" is not. False when either cannot be resolved.
bool PathWithin(const std::string& inner, const std::string& outer);

}  // namespace registry

#endif  // REGISTRY_COMMON_PATHS_H_

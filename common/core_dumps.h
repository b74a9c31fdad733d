// registryd's memory holds every key-encryption key of the key file, the derivation root of the
// blind indexes and the audit keys, and the records it served; registry-console's holds its
// official's private key and the records it showed. A core dump of either is keys and personal
// data, written wherever the system keeps crash dumps (a core file in the working folder,
// systemd-coredump's store), outside the data folder, the backups and key custody. Both keep
// themselves out of them at start.
#ifndef REGISTRY_COMMON_CORE_DUMPS_H_
#define REGISTRY_COMMON_CORE_DUMPS_H_

#include "absl/status/status.h"

namespace registry {

// Sets the core file size limit to 0, the hard limit too (nothing registryd runs may raise it
// again), and makes the process not dumpable (prctl PR_SET_DUMPABLE 0): no core through a pipe
// handler such as systemd-coredump either, and no ptrace attach or /proc/<pid>/mem read by other
// processes of its user. Under AddressSanitizer the process stays dumpable, since LeakSanitizer
// stops its threads with ptrace at exit; the size limit still applies. Internal naming the call
// that failed.
absl::Status KeepOutOfCoreDumps();

}  // namespace registry

#endif  // REGISTRY_COMMON_CORE_DUMPS_H_

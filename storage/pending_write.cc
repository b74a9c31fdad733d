#include "storage/pending_write.h"

namespace registry::storage {

PendingWrite::~PendingWrite() {
  // In the reverse order of taking them.
  for (auto it = locks_.rbegin(); it != locks_.rend(); ++it) (*it)->Unlock();
}

}  // namespace registry::storage

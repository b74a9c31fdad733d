// What the service implementations share. Owned by RegistryServer; every pointer outlives the
// services.
#ifndef REGISTRY_SERVER_SERVICE_DEPS_H_
#define REGISTRY_SERVER_SERVICE_DEPS_H_

#include "common/clock.h"
#include "crypto/ed25519.h"
#include "registry/v1/config.pb.h"
#include "server/call_gate.h"
#include "server/metrics.h"
#include "server/record_validation.h"
#include "server/reference_data.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "storage/erasure_ledger.h"
#include "storage/record_store.h"

namespace registry::server {

class Eraser;
class KeyRotator;

struct ServiceDeps {
  CallGate* gate = nullptr;
  const Clock* clock = nullptr;
  const registry::v1::ServerConfig* config = nullptr;
  storage::Database* db = nullptr;
  storage::AuditLog* audit = nullptr;
  storage::RecordStore* records = nullptr;
  const ReferenceData* reference = nullptr;
  const RecordValidator* validator = nullptr;
  const crypto::Ed25519Signer* audit_signer = nullptr;
  const crypto::Ed25519Signer* vetting_signer = nullptr;
  KeyRotator* rotator = nullptr;
  Eraser* eraser = nullptr;
  const storage::ErasureLedger* ledger = nullptr;
  // Counts for the metrics listener; may be null.
  Metrics* metrics = nullptr;
  // The audit log's name, signed into every tree head (audit_log_id.h).
  std::string audit_log_id;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_SERVICE_DEPS_H_

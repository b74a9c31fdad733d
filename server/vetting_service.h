// VettingService: employers ask one narrow question about one consenting candidate and get one
// signed code; data subjects (through a clerk) see who checked them.
//
// The answer's schema has no offence, court, sentence or date field. A check runs in three steps,
// each the same work whatever the registry holds:
//   1. the whole request is checked and tokenised (RecordValidator, then the blind-index tokens
//      of the personal number and of the normalised names + birth date): an invalid request is
//      invalid whatever the registry holds;
//   2. the facts of the records under the personal number are read by token, never decrypting a
//      record (RecordStore::FactsForVetting);
//   3. one pure function decides (vetting_decision.h), and the reply depends on its code only.
// Steps 2 and 3 are held to a fixed time from their start (vetting.lookup_floor_micros, or
// vetting.lookup_micros_per_read for each index read the name plans when that is longer:
// LookupSpan, fixed_span.h), so that the check's time does not follow them either.
// Then one audit append, with the check kept in the person's history (the gate does that for
// every vetting call, see call_gate.h), and one signature.
//
// ListChecksAboutPerson answers with the whole history, a page at a time (newest first, each page
// starting below the last check of the one before): however many calls name the person, none
// pushes an earlier check out of what the person is shown.
//
// VettingCheck takes its request as bytes (gRPC's streamed-unary handler, one message each way,
// the same on the wire) and decodes it itself: a request gRPC could not decode (a string that
// is not UTF-8) would reach no handler, and the person it names would never see the probe. Its
// personal number is read from the bytes without the message's rules, and the refusal enters
// that person's history like any other.
#ifndef REGISTRY_SERVER_VETTING_SERVICE_H_
#define REGISTRY_SERVER_VETTING_SERVICE_H_

#include <algorithm>
#include <cstdint>
#include <memory>

#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/sync_stream.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "absl/time/time.h"
#include "crypto/ed25519.h"
#include "server/bytes_served.h"
#include "server/call_gate.h"
#include "server/decode_guard.h"
#include "server/fixed_span.h"
#include "server/metrics.h"
#include "server/record_validation.h"
#include "storage/check_store.h"
#include "storage/record_store.h"

namespace registry::server {

class VettingService final : public BytesServed<registry::v1::VettingService> {
 public:
  // How a check's lookup is held to a fixed time: `length` on `pacer`'s clock, or `per_read`
  // for each index read the candidate's input plans (CandidateTokens::planned_reads) when that
  // is longer, each overrun counted in `metrics`. Neither owned.
  struct LookupFloor {
    const Pacer* pacer;
    absl::Duration length;
    Metrics* metrics;
    absl::Duration per_read = absl::ZeroDuration();
  };
  // The time a check's lookup is held to: max(length, per_read x planned_reads). It depends on
  // the request alone (the reads its name plans), which the employer knows already, never on
  // what the lookup finds.
  static absl::Duration LookupSpan(const LookupFloor& floor,
                                   const storage::CandidateTokens& candidate) {
    return std::max(floor.length, floor.per_read * static_cast<int64_t>(candidate.planned_reads));
  }

  // None owned; each must outlive the service. Certificates are valid for
  // `certificate_validity` from the moment of the check (vetting.certificate_validity_days).
  VettingService(CallGate* gate, const storage::RecordStore* records,
                 const storage::CheckStore* checks, const RecordValidator* validator,
                 const crypto::Ed25519Signer* signer, absl::Duration certificate_validity,
                 LookupFloor lookup_floor)
      : BytesServed(gate),
        d_{gate, records, checks, validator, signer, certificate_validity, lookup_floor} {
    ServeAsBytes(&VettingService::VettingCheck);
    ServeAsBytes(&VettingService::GetVettingPublicKey);
    ServeAsBytes(&VettingService::ListChecksAboutPerson);
  }

  grpc::Status VettingCheck(grpc::ServerContext* ctx, const registry::v1::VettingCheckRequest* req,
                            registry::v1::VettingCheckResponse* resp) override;
  grpc::Status GetVettingPublicKey(grpc::ServerContext* ctx,
                                   const registry::v1::GetVettingPublicKeyRequest* req,
                                   registry::v1::PublicKey* resp) override;
  grpc::Status ListChecksAboutPerson(grpc::ServerContext* ctx,
                                     const registry::v1::ListChecksAboutPersonRequest* req,
                                     registry::v1::ListChecksAboutPersonResponse* resp) override;

 private:
  struct Deps {
    CallGate* gate;
    const storage::RecordStore* records;
    const storage::CheckStore* checks;
    const RecordValidator* validator;
    const crypto::Ed25519Signer* vetting_signer;
    absl::Duration certificate_validity;
    LookupFloor lookup_floor;
  };
  const Deps d_;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_VETTING_SERVICE_H_

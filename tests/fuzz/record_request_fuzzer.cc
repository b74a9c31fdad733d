// Fuzzes what a clerk sends: CreateRecordRequest bytes → parse → validation → blind-index
// normalisation. Must never crash; validation errors must name a field and never echo a value.
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "common/clock.h"
#include "registry/v1/records.pb.h"
#include "server/record_validation.h"
#include "server/reference_data.h"
#include "storage/name_normalizer.h"

namespace {

struct Env {
  std::unique_ptr<registry::server::ReferenceData> reference;
  std::unique_ptr<registry::server::RecordValidator> validator;
  std::unique_ptr<registry::storage::NameNormalizer> normalizer;
  registry::FakeClock clock{absl::FromCivil(absl::CivilDay(2026, 11, 28), absl::UTCTimeZone())};
};

Env* GetEnv() {
  static Env* env = [] {
    auto* e = new Env();
    auto ref = registry::server::ReferenceData::Load(REGISTRY_SOURCE_DIR "/deploy/reference");
    if (!ref.ok()) std::abort();
    e->reference = *std::move(ref);
    auto v = registry::server::RecordValidator::Create(e->reference.get(), {}, &e->clock);
    if (!v.ok()) std::abort();
    e->validator = *std::move(v);
    auto n = registry::storage::NameNormalizer::Create();
    if (!n.ok()) std::abort();
    e->normalizer = *std::move(n);
    return e;
  }();
  return env;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Env* env = GetEnv();
  registry::v1::CreateRecordRequest req;
  if (!req.ParseFromArray(data, static_cast<int>(size))) return 0;
  absl::Status s = env->validator->ValidateRecord(req.person(), req.conviction());
  if (!s.ok()) {
    // Messages name the field; a non-empty surname must never be echoed back.
    const std::string& surname = req.person().surname();
    if (surname.size() >= 8 && s.message().find(surname) != absl::string_view::npos) std::abort();
  }
  (void)env->normalizer->Normalize(req.person().surname());
  (void)env->validator->ValidateCandidate(req.person().personal_number(), req.person().surname(),
                                          req.person().given_name(), req.person().birth_date());
  return 0;
}

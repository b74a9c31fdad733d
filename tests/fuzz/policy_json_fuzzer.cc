// Fuzzes the JSON files registryd reads: server config and access policy, through protobuf's JSON
// parser and our validation. Must never crash.
#include <cstdint>

#include "registry/v1/config.pb.h"
#include "registry/v1/policy.pb.h"
#include "server/config.h"
#include "server/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view json(reinterpret_cast<const char*>(data), size);
  registry::v1::AccessPolicy policy;
  if (registry::server::ParseJson(json, &policy).ok()) {
    (void)registry::server::Policy::Compile(policy);
  }
  registry::v1::ServerConfig config;
  if (registry::server::ParseJson(json, &config).ok()) {
    (void)registry::server::FinishConfig(config, "/tmp");
  }
  return 0;
}

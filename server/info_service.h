// InfoService: who the registry takes the caller for and what it may state (WhoAmI, every role),
// and the offence and court tables records are checked against (GetReferenceData, clerks). A
// client offers these as choices and names them when it refuses a value, instead of leaving
// the caller to guess. Both run through the CallGate and are audited like every call; neither
// returns anything about a registered person.
#ifndef REGISTRY_SERVER_INFO_SERVICE_H_
#define REGISTRY_SERVER_INFO_SERVICE_H_

#include "registry/v1/info.grpc.pb.h"
#include "server/bytes_served.h"
#include "server/call_gate.h"
#include "server/reference_data.h"

namespace registry::server {

class InfoService final : public BytesServed<registry::v1::InfoService> {
 public:
  // Neither owned; both must outlive the service.
  InfoService(CallGate* gate, const ReferenceData* reference)
      : BytesServed(gate), d_{gate, reference} {
    ServeAsBytes(&InfoService::WhoAmI);
    ServeAsBytes(&InfoService::GetReferenceData);
  }

  grpc::Status WhoAmI(grpc::ServerContext* ctx, const registry::v1::WhoAmIRequest* req,
                      registry::v1::WhoAmIResponse* resp) override;
  grpc::Status GetReferenceData(grpc::ServerContext* ctx,
                                const registry::v1::GetReferenceDataRequest* req,
                                registry::v1::GetReferenceDataResponse* resp) override;

 private:
  struct Deps {
    CallGate* gate;
    const ReferenceData* reference;
  };
  const Deps d_;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_INFO_SERVICE_H_

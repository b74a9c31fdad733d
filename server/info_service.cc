#include "server/info_service.h"

namespace registry::server {
namespace v1 = registry::v1;

grpc::Status InfoService::WhoAmI(grpc::ServerContext* ctx, const v1::WhoAmIRequest* req,
                                 v1::WhoAmIResponse* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call& call) -> absl::Status {
    const Caller& caller = call.caller();
    resp->set_identity(caller.id);
    resp->set_role(caller.role);
    resp->set_organisation(caller.organisation);
    // The policy the gate admitted the call with, so the answer matches what the gate enforces
    // for this call even while the policy file is being reloaded.
    const Policy& policy = call.policy();
    const v1::Organisation* organisation = policy.FindOrganisation(caller.organisation);
    if (organisation != nullptr) resp->set_organisation_name(organisation->display_name());
    // Each role learns only the lists it states values from.
    if (caller.role == v1::ROLE_COURT) {
      for (const std::string& code : policy.proto().purpose_codes()) resp->add_purpose_codes(code);
    }
    if (caller.role == v1::ROLE_VETTING && organisation != nullptr) {
      for (const std::string& category : organisation->position_categories()) {
        resp->add_position_categories(category);
      }
    }
    return absl::OkStatus();
  });
}

grpc::Status InfoService::GetReferenceData(grpc::ServerContext* ctx,
                                           const v1::GetReferenceDataRequest* req,
                                           v1::GetReferenceDataResponse* resp) {
  return d_.gate->Unary(ctx, *req, resp, [&](Call&) -> absl::Status {
    for (v1::OffenceEntry& offence : d_.reference->RegistrableOffences()) {
      // What a clerk needs to choose; which switch admitted an entry is configuration.
      offence.clear_requires_switch();
      *resp->add_offences() = std::move(offence);
    }
    for (const v1::CourtEntry& court : d_.reference->courts().courts()) *resp->add_courts() = court;
    return absl::OkStatus();
  });
}

}  // namespace registry::server

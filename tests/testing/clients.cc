#include "tests/testing/clients.h"

#include "registry/v1/records.grpc.pb.h"

namespace registry::testing {

namespace v1 = registry::v1;

std::chrono::system_clock::time_point CallDeadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(60);
}

grpc::Status CreateRecordAs(const TestServer& server, absl::string_view identity,
                            const v1::CreateRecordRequest& request, std::string* record_id) {
  grpc::ClientContext ctx;
  ctx.set_deadline(CallDeadline());
  v1::CreateRecordResponse resp;
  const grpc::Status s =
      v1::RecordService::NewStub(server.Channel(identity))->CreateRecord(&ctx, request, &resp);
  if (record_id != nullptr) *record_id = resp.record_id();
  return s;
}

grpc::Status ExpungeRecordAs(const TestServer& server, absl::string_view identity,
                             const std::string& record_id, absl::string_view legal_basis) {
  grpc::ClientContext ctx;
  ctx.set_deadline(CallDeadline());
  v1::ExpungeRecordRequest req;
  req.set_record_id(record_id);
  req.set_legal_basis(std::string(legal_basis));
  v1::ExpungeRecordResponse resp;
  return v1::RecordService::NewStub(server.Channel(identity))->ExpungeRecord(&ctx, req, &resp);
}

}  // namespace registry::testing

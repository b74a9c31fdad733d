#include "client/health_check.h"

#include <vector>

#include "absl/synchronization/notification.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "grpcpp/support/stub_options.h"

namespace registry::client {
namespace {

constexpr uint32_t kFieldNumberShift = 3;
constexpr uint32_t kWireVarint = 0;
constexpr uint32_t kWireFixed64 = 1;
constexpr uint32_t kWireLengthDelimited = 2;
constexpr uint32_t kWireFixed32 = 5;
constexpr char kCheckMethod[] = "/grpc.health.v1.Health/Check";

}  // namespace

std::string ServingStatusName(ServingStatus status) {
  switch (status) {
    case ServingStatus::kServing:
      return "SERVING";
    case ServingStatus::kNotServing:
      return "NOT_SERVING";
    case ServingStatus::kServiceUnknown:
      return "SERVICE_UNKNOWN";
    case ServingStatus::kUnknown:
      break;
  }
  return "UNKNOWN";
}

std::string EncodeHealthCheckRequest(absl::string_view service) {
  std::string bytes;
  if (service.empty()) return bytes;  // proto3: an empty string is not sent
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream out(&raw);
    out.WriteTag((1u << kFieldNumberShift) | kWireLengthDelimited);
    out.WriteVarint32(static_cast<uint32_t>(service.size()));
    out.WriteRaw(service.data(), static_cast<int>(service.size()));
  }
  return bytes;
}

absl::StatusOr<ServingStatus> DecodeHealthCheckResponse(absl::string_view bytes) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  uint64_t status = 0;
  while (true) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) break;  // end of message (or a malformed zero tag, caught below)
    const uint32_t field = tag >> kFieldNumberShift;
    const uint32_t wire_type = tag & 7;
    bool ok = true;
    if (field == 1 && wire_type == kWireVarint) {
      ok = in.ReadVarint64(&status);
    } else if (wire_type == kWireVarint) {
      uint64_t ignored;
      ok = in.ReadVarint64(&ignored);
    } else if (wire_type == kWireFixed64) {
      uint64_t ignored;
      ok = in.ReadLittleEndian64(&ignored);
    } else if (wire_type == kWireFixed32) {
      uint32_t ignored;
      ok = in.ReadLittleEndian32(&ignored);
    } else if (wire_type == kWireLengthDelimited) {
      uint32_t length;
      ok = in.ReadVarint32(&length) && in.Skip(static_cast<int>(length));
    } else {
      ok = false;
    }
    if (!ok || field == 0) return absl::DataLossError("malformed health check response");
  }
  if (!in.ConsumedEntireMessage() || in.CurrentPosition() != static_cast<int>(bytes.size())) {
    return absl::DataLossError("malformed health check response");
  }
  if (status > 3) return ServingStatus::kUnknown;
  return static_cast<ServingStatus>(status);
}

absl::StatusOr<ServingStatus> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                          const ConnectionSettings& settings,
                                          absl::string_view service) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  PrepareContext(settings, &context);
  const std::string request_bytes = EncodeHealthCheckRequest(service);
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::Status call_status;
  absl::Notification done;
  stub.UnaryCall(&context, kCheckMethod, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status status) {
                   call_status = std::move(status);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!call_status.ok()) return ToAbslStatus(call_status);
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) {
    return absl::DataLossError("unreadable health check response");
  }
  std::string response_bytes;
  for (const grpc::Slice& part : slices) {
    response_bytes.append(reinterpret_cast<const char*>(part.begin()), part.size());
  }
  return DecodeHealthCheckResponse(response_bytes);
}

}  // namespace registry::client

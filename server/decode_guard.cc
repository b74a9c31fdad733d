#include "server/decode_guard.h"

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/json_log.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/stubs/common.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/wire_format_lite.h"
#include "google/protobuf/unknown_field_set.h"
#include "server/call_deadline.h"
#include "server/method_table.h"

namespace registry::server {
namespace {

using grpc::experimental::InterceptionHookPoints;

// What protobuf (3.21) says when a parse meets a string field that is not UTF-8:
//   String field 'registry.v1.Person.surname' contains invalid UTF-8 data when parsing a
//   protocol buffer. Use the 'bytes' type if you intend to send raw bytes.
constexpr char kUtf8Report[] = "String field '";
constexpr size_t kUtf8ReportSize = sizeof(kUtf8Report) - 1;
constexpr char kUtf8Parsing[] = "' contains invalid UTF-8 data when parsing";

thread_local std::string t_undecodable_field;

void ProtobufLog(google::protobuf::LogLevel level, const char* /*file*/, int /*line*/,
                 const std::string& message) {
  if (absl::StartsWith(message, kUtf8Report)) {
    const size_t end = message.find(kUtf8Parsing);
    if (end != std::string::npos) {
      // Noted for the call being parsed on this thread; DecodeGuard names the field.
      t_undecodable_field = message.substr(kUtf8ReportSize, end - kUtf8ReportSize);
      return;
    }
  }
  const char* name = "info";
  if (level == google::protobuf::LOGLEVEL_WARNING) name = "warning";
  if (level >= google::protobuf::LOGLEVEL_ERROR) name = "error";
  // protobuf's messages name types and fields, never values.
  LogLine(name, "protobuf").Str("detail", message).Write();
}

// Sees a call's request as gRPC parsed it, and the status it is about to send.
class DecodeGuard : public grpc::experimental::Interceptor {
 public:
  DecodeGuard(grpc::experimental::ServerRpcInfo* info, CallGate* gate, const MethodRule* rule)
      : info_(info), gate_(gate), rule_(rule) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      // The handler will not run: the request did not decode (gRPC parsed it on this thread,
      // so protobuf's report, if it made one, is this call's).
      undecoded_ = true;
      undecodable_field_ = TakeUndecodableField();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) &&
        (undecoded_ || rule_ == nullptr)) {
      methods->ModifySendStatus(Refuse());
    }
    methods->Proceed();
  }

 private:
  grpc::Status Refuse() {
    if (rule_ == nullptr) {
      return gate_->RefuseUnread(*info_->server_context(), nullptr,
                                 absl::UnimplementedError("no such method"));
    }
    // A read that failed because the call is already over: its deadline passed (the caller was
    // answered DEADLINE_EXCEEDED, e.g. for grpc-timeout 0n), the transport ended it (a request
    // over the server's size limit, answered RESOURCE_EXHAUSTED, or a compressed one, which
    // registryd does not take, answered UNIMPLEMENTED before anything was inflated), or the
    // caller did. gRPC does not tell the last two apart; the event says RESOURCE_EXHAUSTED for
    // both. The handlers that read their own bytes waited for that to settle
    // (AwaitTransportEnd).
    if (info_->server_context()->IsCancelled()) {
      if (DeadlinePassed(*info_->server_context())) {
        return gate_->RefuseUnread(
            *info_->server_context(), rule_,
            absl::DeadlineExceededError("request: not received (the call's deadline passed)"));
      }
      return gate_->RefuseUnread(
          *info_->server_context(), rule_,
          absl::ResourceExhaustedError(absl::StrCat(
              "request: not received (over the ", kMaxRequestBytes >> 20,
              " MiB limit, compressed, or the caller cancelled the call before sending it)")));
    }
    return gate_->RefuseUnread(
        *info_->server_context(), rule_,
        UndecodableRequestError(rule_->descriptor->input_type(), undecodable_field_));
  }

  grpc::experimental::ServerRpcInfo* info_;
  CallGate* gate_;
  const MethodRule* rule_;
  bool undecoded_ = false;
  std::string undecodable_field_;
};

// Finds, in `bytes` (a message of type `type` on the wire), the first value of the string field
// `full_name` that is not valid UTF-8, in the order protobuf parses them (so it is the value
// protobuf reported), and sets `*path` to its path from the request: "rows[3].record.person.
// surname", each repeated field with the index of the element (as the handlers' messages name
// them). False when there is none, or the bytes do not read as far.
bool PathOfBadString(const google::protobuf::Descriptor* type, absl::string_view bytes,
                     absl::string_view full_name, const std::string& prefix, int depth,
                     std::string* path) {
  using google::protobuf::FieldDescriptor;
  using google::protobuf::internal::WireFormatLite;
  // protobuf's own limit on nesting: deeper bytes did not parse that far.
  if (depth > google::protobuf::io::CodedInputStream::GetDefaultRecursionLimit()) return false;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  std::map<int, int> elements;  // per repeated field: the values read so far
  for (uint32_t tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
    const FieldDescriptor* f = type->FindFieldByNumber(WireFormatLite::GetTagFieldNumber(tag));
    const bool text_or_message = f != nullptr && (f->type() == FieldDescriptor::TYPE_STRING ||
                                                  f->type() == FieldDescriptor::TYPE_MESSAGE);
    if (!text_or_message ||
        WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      if (!WireFormatLite::SkipField(&in, tag)) return false;
      continue;
    }
    uint32_t length = 0;
    std::string value;
    if (!in.ReadVarint32(&length) || !in.ReadString(&value, static_cast<int>(length))) {
      return false;
    }
    std::string at = prefix.empty() ? f->name() : absl::StrCat(prefix, ".", f->name());
    if (f->is_repeated()) absl::StrAppend(&at, "[", elements[f->number()]++, "]");
    if (f->type() == FieldDescriptor::TYPE_STRING) {
      if (f->full_name() == full_name &&
          !google::protobuf::internal::IsStructurallyValidUTF8(value)) {
        *path = std::move(at);
        return true;
      }
    } else if (PathOfBadString(f->message_type(), value, full_name, at, depth + 1, path)) {
      return true;
    }
  }
  return false;
}

}  // namespace

grpc::experimental::Interceptor* DecodeGuardFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  const absl::string_view method = info->method() != nullptr ? info->method() : "";
  // The health service is answered without the log (server/health_service.h).
  if (absl::StartsWith(method, "/grpc.health.v1.")) return nullptr;
  // gRPC makes the interceptors of a call on the thread that then parses its request, just
  // before it does: a report left over from other parsing on this thread is not this call's.
  TakeUndecodableField();
  return new DecodeGuard(info, gate_, FindMethodRule(method));
}

void InstallProtobufLogHandler() {
  static std::once_flag once;
  std::call_once(once, [] { google::protobuf::SetLogHandler(&ProtobufLog); });
}

absl::Status UndecodableRequestError(const google::protobuf::Descriptor* request,
                                     absl::string_view undecodable_field,
                                     absl::string_view bytes) {
  const std::string path = FieldPath(request, undecodable_field, bytes);
  return path.empty() ? absl::InvalidArgumentError(
                            absl::StrCat("request: does not decode as ", request->full_name()))
                      : absl::InvalidArgumentError(absl::StrCat(path, ": not valid UTF-8"));
}

std::string FieldOfUndecodable(absl::string_view bytes,
                               const google::protobuf::FieldDescriptor* field) {
  if (field == nullptr) return "";
  using google::protobuf::internal::WireFormatLite;
  // Field by field up to the first that does not read: a request cut short after the field
  // still names it.
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  std::string value;  // the last complete occurrence wins, as in a parse
  for (uint32_t tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
    if (WireFormatLite::GetTagFieldNumber(tag) == field->number() &&
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      uint32_t length = 0;
      std::string read;
      if (!in.ReadVarint32(&length) || !in.ReadString(&read, static_cast<int>(length))) break;
      value = std::move(read);
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      break;
    }
  }
  return value;
}

std::string TakeUndecodableField() { return std::exchange(t_undecodable_field, std::string()); }

std::string FieldPath(const google::protobuf::Descriptor* root, absl::string_view full_name,
                      absl::string_view bytes) {
  if (root == nullptr || full_name.empty()) return "";
  if (!bytes.empty()) {
    // The value itself, with the index of every repeated field on the way: in a request of
    // 1,000 rows, "rows.record.person.surname" does not say which row to correct.
    std::string path;
    if (PathOfBadString(root, bytes, full_name, "", 0, &path)) return path;
  }
  // Breadth first over message-typed fields; each message type is entered once.
  std::deque<std::pair<const google::protobuf::Descriptor*, std::string>> queue{{root, ""}};
  std::vector<const google::protobuf::Descriptor*> seen{root};
  while (!queue.empty()) {
    auto [message, prefix] = std::move(queue.front());
    queue.pop_front();
    for (int i = 0; i < message->field_count(); ++i) {
      const google::protobuf::FieldDescriptor* f = message->field(i);
      const std::string path = prefix.empty() ? f->name() : absl::StrCat(prefix, ".", f->name());
      if (f->full_name() == full_name) return path;
      const google::protobuf::Descriptor* inner = f->message_type();
      if (inner == nullptr) continue;
      bool entered = false;
      for (const auto* s : seen) entered = entered || s == inner;
      if (entered) continue;
      seen.push_back(inner);
      queue.emplace_back(inner, path);
    }
  }
  return "";
}

std::optional<RequestBytes> ReadRequestBytes(
    grpc::internal::ReaderInterface<grpc::ByteBuffer>* stream) {
  grpc::ByteBuffer in;
  if (!stream->Read(&in)) return std::nullopt;
  RequestBytes request;
  std::vector<grpc::Slice> slices;
  request.whole = in.Dump(&slices).ok();
  for (const grpc::Slice& slice : slices) {
    request.bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return request;
}

void AwaitTransportEnd(const grpc::ServerContext& ctx) {
  const absl::Time give_up = absl::Now() + absl::Milliseconds(100);
  while (!ctx.IsCancelled() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(1));
}

grpc::Status MissingRequest() {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "request: missing");
}

grpc::Status SendReplyBytes(BytesStreamer* stream, const google::protobuf::Message& response,
                            const grpc::Status& status) {
  if (!status.ok()) return status;
  const std::string out = response.SerializeAsString();
  grpc::Slice slice(out);
  grpc::ByteBuffer reply(&slice, 1);
  stream->Write(reply);
  return status;
}

}  // namespace registry::server

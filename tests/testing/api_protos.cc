#include "tests/testing/api_protos.h"

#include <dirent.h>

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "registry/v1/admin.pb.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/config.pb.h"
#include "registry/v1/info.pb.h"
#include "registry/v1/keyfile.pb.h"
#include "registry/v1/policy.pb.h"
#include "registry/v1/records.pb.h"
#include "registry/v1/vetting.pb.h"

namespace registry::testing {

using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptor;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;

std::vector<const ServiceDescriptor*> ApiProtos::Services() const {
  std::vector<const ServiceDescriptor*> out;
  for (const FileDescriptor* file : files) {
    for (int i = 0; i < file->service_count(); ++i) out.push_back(file->service(i));
  }
  return out;
}

std::vector<const MethodDescriptor*> ApiProtos::Methods() const {
  std::vector<const MethodDescriptor*> out;
  for (const ServiceDescriptor* s : Services()) {
    for (int i = 0; i < s->method_count(); ++i) out.push_back(s->method(i));
  }
  return out;
}

ApiProtos ListApiProtos() {
  // Make sure the generated descriptors of every file are linked in.
  namespace v1 = registry::v1;
  (void)v1::GetRecordRequest::descriptor();
  (void)v1::VettingCheckRequest::descriptor();
  (void)v1::ListAuditEventsRequest::descriptor();
  (void)v1::RotateKeysRequest::descriptor();
  (void)v1::WhoAmIRequest::descriptor();
  (void)v1::ServerConfig::descriptor();
  (void)v1::KeyFile::descriptor();
  (void)v1::AccessPolicy::descriptor();
  ApiProtos api;
  const std::string dir = REGISTRY_SOURCE_DIR "/proto/registry/v1";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    api.missing.push_back(absl::StrCat("cannot list ", dir));
    return api;
  }
  std::set<std::string> names;
  while (dirent* e = readdir(d)) {
    if (absl::EndsWith(e->d_name, ".proto")) names.insert(e->d_name);
  }
  closedir(d);
  for (const std::string& name : names) {
    const FileDescriptor* file =
        DescriptorPool::generated_pool()->FindFileByName("registry/v1/" + name);
    if (file == nullptr) {
      api.missing.push_back(absl::StrCat("registry/v1/", name, " is not linked into the server"));
      continue;
    }
    api.files.push_back(file);
  }
  return api;
}

}  // namespace registry::testing

// The v1 API as the source tree defines it: every .proto file under proto/registry/v1, looked up
// in the generated descriptor pool, so that tests that walk every service, method or message
// cannot miss a new file (independently of the server's own list, server/method_table.h).
//
//   ApiProtos api = ListApiProtos();
//   for (const std::string& m : api.missing) ADD_FAILURE() << m;
//   for (const MethodDescriptor* m : api.Methods()) ...
#ifndef REGISTRY_TESTS_TESTING_API_PROTOS_H_
#define REGISTRY_TESTS_TESTING_API_PROTOS_H_

#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"

namespace registry::testing {

struct ApiProtos {
  std::vector<const google::protobuf::FileDescriptor*> files;
  // One line per problem: the folder could not be listed, or a file is not linked in.
  std::vector<std::string> missing;

  std::vector<const google::protobuf::ServiceDescriptor*> Services() const;
  std::vector<const google::protobuf::MethodDescriptor*> Methods() const;
};

ApiProtos ListApiProtos();

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_API_PROTOS_H_

// The headers that most test sources include, precompiled once for every test target in a clang
// build (tests/CMakeLists.txt, REGISTRY_TEST_PCH). Parsing and instantiating gtest, gRPC, protobuf
// and the generated API took most of each test source's compile time. Each test source still
// includes what it uses; this file only makes those includes cheap.
#ifndef REGISTRY_TESTS_TESTING_TEST_PCH_H_
#define REGISTRY_TESTS_TESTING_TEST_PCH_H_

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/audit.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"

#endif  // REGISTRY_TESTS_TESTING_TEST_PCH_H_

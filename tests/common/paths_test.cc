// PathWithin: whether a path is inside a folder as the file system resolves both.
#include "common/paths.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace registry {
namespace {

class PathWithinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "paths-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    std::filesystem::create_directories(root_ + "/data/sub");
    std::filesystem::create_directory_symlink(root_ + "/data", root_ + "/link");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string root_;
};

TEST_F(PathWithinTest, EverySpellingOfAPathInsideIsInside) {
  const std::string data = root_ + "/data";
  for (const std::string& inside :
       {data, data + "/", data + "/x", data + "/./x", data + "//x", root_ + "/other/../data/x",
        root_ + "/link/x", root_ + "/link", data + "/sub/not-yet/there"}) {
    EXPECT_TRUE(PathWithin(inside, data)) << inside;
    EXPECT_TRUE(PathWithin(inside, root_ + "/link/")) << inside;
  }
}

TEST_F(PathWithinTest, APathBesideOrAboveIsNotInside) {
  const std::string data = root_ + "/data";
  for (const std::string& outside :
       {root_, root_ + "/database", root_ + "/data-backups/x", root_ + "/data/../x",
        root_ + "/link/../x"}) {
    EXPECT_FALSE(PathWithin(outside, data)) << outside;
  }
}

}  // namespace
}  // namespace registry

// The layering docs/architecture.md describes, checked on the source tree: nothing in server/
// includes a RocksDB header or names a RocksDB type (storage/ owns every persistent layout and
// hands out its own types; its test seams travel as storage::StorageSeams).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace registry {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> SourcesUnder(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".h" || ext == ".cc")) out.push_back(entry.path());
  }
  return out;
}

TEST(LayeringTest, ServerNamesNoRocksDbHeaderOrType) {
  const std::vector<fs::path> files = SourcesUnder(fs::path(REGISTRY_SOURCE_DIR) / "server");
  ASSERT_GE(files.size(), 40u);
  for (const fs::path& file : files) {
    std::ifstream in(file);
    ASSERT_TRUE(in) << file;
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      EXPECT_EQ(line.find("rocksdb"), std::string::npos)
          << file.string() << ":" << number << " names RocksDB; storage/ owns it";
    }
  }
}

// The check itself finds what it looks for.
TEST(LayeringTest, StorageDoesIncludeRocksDb) {
  bool found = false;
  for (const fs::path& file : SourcesUnder(fs::path(REGISTRY_SOURCE_DIR) / "storage")) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    found = found || text.str().find("rocksdb") != std::string::npos;
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace registry

#include "tests/testing/data_files.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/ascii.h"

namespace registry::testing {

std::vector<std::string> FilesUnder(const std::string& root) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) files.push_back(entry.path().string());
  }
  return files;
}

std::string ReadBinary(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> FilesContaining(const std::string& root, const std::string& needle,
                                         bool ignore_case) {
  std::vector<std::string> hits;
  const std::string want = ignore_case ? absl::AsciiStrToLower(needle) : needle;
  for (const std::string& path : FilesUnder(root)) {
    std::string content = ReadBinary(path);
    if (ignore_case) absl::AsciiStrToLower(&content);
    if (content.find(want) != std::string::npos) hits.push_back(path);
  }
  return hits;
}

}  // namespace registry::testing

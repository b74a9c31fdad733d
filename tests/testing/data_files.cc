#include "tests/testing/data_files.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

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

uint64_t DamageLargestTableFile(const std::string& data_dir, uint64_t offset) {
  std::string largest;
  uintmax_t largest_size = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir, error)) {
    if (entry.path().extension() != ".sst" || entry.file_size() <= largest_size) continue;
    largest = entry.path().string();
    largest_size = entry.file_size();
  }
  if (largest.empty() || largest_size <= offset) return 0;
  std::fstream file(largest, std::ios::in | std::ios::out | std::ios::binary);
  char byte = 0;
  file.seekg(static_cast<std::streamoff>(offset));
  file.read(&byte, 1);
  byte ^= 0x20;
  file.seekp(static_cast<std::streamoff>(offset));
  file.write(&byte, 1);
  file.flush();
  return file ? largest_size : 0;
}

std::string NewestWriteAheadLog(const std::string& data_dir) {
  std::string newest;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 4 && name.substr(name.size() - 4) == ".log" && name > newest) {
      newest = name;
    }
  }
  return newest.empty() ? "" : data_dir + "/" + newest;
}

std::string EditSharedChecksum(const std::string& backup_dir, uint32_t id, const char* crc,
                               const std::string& which) {
  const std::string path = absl::StrCat(backup_dir, "/meta/", id);
  std::vector<std::string> lines = absl::StrSplit(ReadBinary(path), '\n');
  size_t shared = 0;
  while (shared < lines.size() &&
         !absl::StartsWith(lines[shared], which.empty() ? "shared" : which + " ")) {
    ++shared;
  }
  if (shared == lines.size()) return "";
  const size_t crc_at = lines[shared].find(" crc32 ");
  if (crc_at == std::string::npos) return "";
  const std::string file = lines[shared].substr(0, lines[shared].find(' '));
  lines[shared] = absl::StrCat(lines[shared].substr(0, crc_at), " crc32 ", crc);
  std::ofstream out(path, std::ios::trunc);
  out << absl::StrJoin(lines, "\n");
  return out.good() ? file : "";
}

}  // namespace registry::testing

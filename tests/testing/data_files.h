// Raw scans of a data or backup folder, for tests that prove what is (not) in the files.
#ifndef REGISTRY_TESTS_TESTING_DATA_FILES_H_
#define REGISTRY_TESTS_TESTING_DATA_FILES_H_

#include <cstdint>
#include <string>
#include <vector>

namespace registry::testing {

// Every regular file under `root`, recursively.
std::vector<std::string> FilesUnder(const std::string& root);

// The whole content of the file at `path` ("" when it cannot be read).
std::string ReadBinary(const std::string& path);

// The files under `root` whose bytes contain `needle`; with ignore_case, ASCII letters match in
// either case.
std::vector<std::string> FilesContaining(const std::string& root, const std::string& needle,
                                         bool ignore_case = false);

// The newest write-ahead log (*.log, the highest number) directly in `data_dir`; "" when there is
// none.
std::string NewestWriteAheadLog(const std::string& data_dir);

// Flips one bit of the byte at `offset` of the largest table file (*.sst) directly in `data_dir`,
// as a failing disk would: at a small offset, a byte of its first data blocks, which opening the
// database does not read. Returns the file's size (0 when there is none or it cannot be written).
uint64_t DamageLargestTableFile(const std::string& data_dir, uint64_t offset);

// Writes `crc` over the checksum of shared table file `which` (the first when "") in backup
// `id`'s record (`backup_dir`/meta/`id`), still a number, as `sed -i 's/crc32 [0-9]*/crc32
// 12345/'` would: the record then describes the file differently from another backup's.
// Returns the shared file's name ("shared_checksum/..."); "" when the record names no such file.
std::string EditSharedChecksum(const std::string& backup_dir, uint32_t id, const char* crc,
                               const std::string& which = "");

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_DATA_FILES_H_

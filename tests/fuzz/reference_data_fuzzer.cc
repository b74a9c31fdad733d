// Fuzzes the reference data loader (server/reference_data.h), as registryd reads it at start-up:
// the input, split at NUL bytes, is written as offences.json, courts.json and retention.json and
// loaded. Must never crash. Tables that load must let a validator be made, and every record of the
// example validates or is refused with InvalidArgument (never another code: the tables promise
// that some rule matches every conviction).
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "google/protobuf/util/json_util.h"
#include "registry/v1/records.pb.h"
#include "server/record_validation.h"
#include "server/reference_data.h"

namespace {

const std::string& Dir() {
  static const std::string* dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string d = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp",
                                 "/reference-data-fuzzer-XXXXXX");
    if (mkdtemp(d.data()) == nullptr) std::abort();
    static std::string* made = new std::string(d);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(*made, ignored);
    });
    return new std::string(d);
  }();
  return *dir;
}

void Write(const std::string& name, const std::string& content) {
  const std::string path = Dir() + "/" + name;
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) std::abort();
  if (!content.empty() && write(fd, content.data(), content.size()) !=
                              static_cast<ssize_t>(content.size())) {
    std::abort();
  }
  close(fd);
}

const registry::v1::CreateRecordRequest& Example() {
  static const registry::v1::CreateRecordRequest* example = [] {
    auto* r = new registry::v1::CreateRecordRequest();
    const char* json = R"({"person": {"surname": "Kërqeli", "given_name": "Arben",
      "sex": "SEX_MALE", "birth_date": "1980-04-12", "personal_number": "1234567890"},
      "conviction": {"court_id": "basic-prishtine", "case_number": "P 123/2024",
      "judgment_date": "2024-03-01", "final_date": "2024-05-15",
      "offences": [{"law": "06/L-074", "article": 230, "paragraph": 1}],
      "sentence": {"type": "SENTENCE_TYPE_IMPRISONMENT", "months": 36}}})";
    if (!google::protobuf::util::JsonStringToMessage(json, r).ok()) std::abort();
    return r;
  }();
  return *example;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::string parts[3];
  size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    const size_t end = i < 2 ? input.find('\0', start) : std::string::npos;
    parts[i] = input.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? input.size() : end + 1;
  }
  Write("offences.json", parts[0]);
  Write("courts.json", parts[1]);
  Write("retention.json", parts[2]);
  auto reference = registry::server::ReferenceData::Load(Dir());
  if (!reference.ok()) return 0;
  static const registry::FakeClock clock(
      absl::FromCivil(absl::CivilDay(2026, 11, 28), absl::UTCTimeZone()));
  auto validator = registry::server::RecordValidator::Create(reference->get(), {}, &clock);
  if (!validator.ok()) std::abort();
  const absl::Status s =
      (*validator)->ValidateRecord(Example().person(), Example().conviction());
  if (!s.ok() && s.code() != absl::StatusCode::kInvalidArgument) std::abort();
  // Tables that load have a rule for every conviction, adult or juvenile, of any sentence.
  for (const bool juvenile : {false, true}) {
    for (int type = 0; type < 8; ++type) {
      for (const uint32_t months : {0u, 1u, 36u, 600u}) {
        registry::v1::Conviction c = Example().conviction();
        c.set_juvenile(juvenile);
        c.mutable_sentence()->set_type(static_cast<registry::v1::SentenceType>(type));
        c.mutable_sentence()->set_months(months);
        auto dates = (*reference)->RetentionFor(c);
        if (!dates.ok() && dates.status().code() == absl::StatusCode::kInternal) std::abort();
      }
    }
  }
  return 0;
}

#include "bench/preload.h"

#include <set>

#include "common/clock.h"
#include "gtest/gtest.h"
#include "server/record_validation.h"
#include "server/reference_data.h"

namespace registry::bench {
namespace {

TEST(RecordGeneratorTest, RecordsAreValidUnderTheShippedReferenceData) {
  auto reference = server::ReferenceData::Load(REGISTRY_SOURCE_DIR "/deploy/reference");
  ASSERT_TRUE(reference.ok()) << reference.status();
  auto validator = server::RecordValidator::Create(reference->get(), server::ValidationOptions(),
                                                   SystemClock::Get());
  ASSERT_TRUE(validator.ok()) << validator.status();
  const RecordGenerator gen(1000000000, "2024");
  for (uint64_t n : {0ull, 1ull, 19ull, 399ull, 12345ull, 999999ull, 8999999999ull}) {
    const registry::v1::CreateRecordRequest r = gen.Record(n);
    EXPECT_TRUE((*validator)->ValidateRecord(r.person(), r.conviction()).ok())
        << "record " << n << ": " << (*validator)->ValidateRecord(r.person(), r.conviction());
  }
}

TEST(RecordGeneratorTest, PersonalNumbersAndCaseNumbersAreDistinct) {
  const RecordGenerator gen(1000000000, "2024");
  std::set<std::string> numbers, cases;
  for (uint64_t n = 0; n < 5000; ++n) {
    const registry::v1::CreateRecordRequest r = gen.Record(n);
    EXPECT_TRUE(numbers.insert(r.person().personal_number()).second);
    EXPECT_TRUE(cases.insert(r.conviction().case_number()).second);
    EXPECT_EQ(r.person().personal_number(), gen.PersonalNumber(n));
    EXPECT_EQ(r.person().surname(), gen.Surname(n));
    EXPECT_EQ(r.person().birth_date(), gen.BirthDate(n));
  }
  EXPECT_EQ(gen.PersonalNumber(7), "1000000007");
}

}  // namespace
}  // namespace registry::bench

// WhoAmI and GetReferenceData: what a caller may state and choose from, through the gate and
// audited like every call. Each role learns only the lists it states values from; the tables are
// the clerk's, as the server checks records against them.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/info.grpc.pb.h"
#include "tests/testing/audit_events.h"
#include "tests/testing/outcome.h"
#include "tests/testing/principals.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class InfoServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = TestServer::Start(); }

  v1::WhoAmIResponse WhoAmI(const std::string& identity) {
    grpc::ClientContext ctx;
    v1::WhoAmIResponse who;
    const grpc::Status s =
        v1::InfoService::NewStub(server_->Channel(identity))->WhoAmI(&ctx, {}, &who);
    EXPECT_TRUE(s.ok()) << identity << ": " << s.error_message();
    return who;
  }

  v1::AuditEvent LastEvent() { return testing::LastStoredEvent(*server_); }

  std::unique_ptr<TestServer> server_;
};

TEST_F(InfoServiceTest, EachRoleLearnsWhoItIsAndOnlyTheListsItStatesFrom) {
  const v1::WhoAmIResponse court = WhoAmI("court");
  EXPECT_EQ(court.identity(), kCourtId);
  EXPECT_EQ(court.role(), v1::ROLE_COURT);
  EXPECT_EQ(court.organisation(), "basic-court-prishtine");
  EXPECT_EQ(court.organisation_name(), "Basic Court of Prishtinë/Priština");
  EXPECT_THAT(court.purpose_codes(), ElementsAre("criminal_proceedings", "sentencing",
                                                 "appeal_review", "enforcement_of_sentence"));
  EXPECT_THAT(court.position_categories(), IsEmpty());
  EXPECT_EQ(LastEvent().action(), "/registry.v1.InfoService/WhoAmI");
  EXPECT_EQ(LastEvent().actor(), kCourtId);
  EXPECT_EQ(testing::OutcomeName(LastEvent()), "OK");

  const v1::WhoAmIResponse vetting = WhoAmI("vetting2");
  EXPECT_EQ(vetting.role(), v1::ROLE_VETTING);
  EXPECT_EQ(vetting.organisation(), "dev-care-home");
  EXPECT_THAT(vetting.position_categories(), ElementsAre("care_worker"));
  EXPECT_THAT(vetting.purpose_codes(), IsEmpty());

  for (const char* identity : {"clerk", "auditor", "admin"}) {
    const v1::WhoAmIResponse who = WhoAmI(identity);
    EXPECT_NE(who.role(), v1::ROLE_UNSPECIFIED) << identity;
    EXPECT_THAT(who.purpose_codes(), IsEmpty()) << identity;
    EXPECT_THAT(who.position_categories(), IsEmpty()) << identity;
  }
}

TEST_F(InfoServiceTest, TheReferenceDataIsTheTablesRecordsAreCheckedAgainst) {
  grpc::ClientContext ctx;
  v1::GetReferenceDataResponse tables;
  const grpc::Status s =
      v1::InfoService::NewStub(server_->Channel("clerk"))->GetReferenceData(&ctx, {}, &tables);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // The Basic Courts, the Court of Appeals and the Supreme Court; the District and Municipal
  // Courts that judged until 2012, with their dates; the court abroad.
  ASSERT_EQ(tables.courts_size(), 39);
  EXPECT_EQ(tables.courts(1).id(), "basic-prizren");
  EXPECT_EQ(tables.courts(1).name(), "Basic Court of Prizren");
  EXPECT_EQ(tables.courts(1).valid_from(), "2013-01-01");
  EXPECT_EQ(tables.courts(9).id(), "district-prishtine");
  EXPECT_EQ(tables.courts(9).valid_to(), "2012-12-31");
  EXPECT_TRUE(tables.courts(38).foreign());
  // Article 183 needs a switch that the shipped table leaves off: it may not be entered, and is
  // not offered.
  EXPECT_EQ(tables.offences_size(), 28);
  for (const v1::OffenceEntry& offence : tables.offences()) {
    EXPECT_NE(offence.article(), 183u);
    EXPECT_FALSE(offence.title().empty());
    EXPECT_TRUE(offence.requires_switch().empty());
  }
  EXPECT_EQ(tables.offences(0).law(), "06/L-074");
  EXPECT_EQ(tables.offences(0).article(), 227u);
  EXPECT_EQ(LastEvent().action(), "/registry.v1.InfoService/GetReferenceData");
}

// Officials work in Albanian and Serbian: the tables a clerk chooses from carry each offence's
// title and each court's name in both, beside English, for the console to show.
TEST_F(InfoServiceTest, TheReferenceDataNamesOffencesAndCourtsInAlbanianAndSerbian) {
  grpc::ClientContext ctx;
  v1::GetReferenceDataResponse tables;
  const grpc::Status s =
      v1::InfoService::NewStub(server_->Channel("clerk"))->GetReferenceData(&ctx, {}, &tables);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_GT(tables.offences_size(), 0);
  EXPECT_EQ(tables.offences(0).title(), "Rape");
  EXPECT_EQ(tables.offences(0).title_sq(), "Përdhunimi");
  EXPECT_EQ(tables.offences(0).title_sr(), "Silovanje");
  for (const v1::OffenceEntry& offence : tables.offences()) {
    EXPECT_FALSE(offence.title_sq().empty()) << offence.article();
    EXPECT_FALSE(offence.title_sr().empty()) << offence.article();
  }
  ASSERT_GT(tables.courts_size(), 1);
  EXPECT_EQ(tables.courts(1).name_sq(), "Gjykata Themelore e Prizrenit");
  EXPECT_EQ(tables.courts(1).name_sr(), "Osnovni sud u Prizrenu");
}

}  // namespace
}  // namespace registry::testing

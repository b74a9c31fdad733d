#include "tests/testing/test_server.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "server/config.h"
#include "server/key_file.h"
#include "tests/testing/test_pki.h"

namespace registry::testing {
namespace {

[[noreturn]] void Die(absl::string_view what, const absl::Status& s) {
  absl::FPrintF(stderr, "TestServer: %s: %s\n", what, s.ToString());
  std::abort();
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) Die("write", absl::UnavailableError(path));
  // The mode a umask of 022 gives, whatever the umask: registryd refuses a policy that every
  // local account may write. A private key is its owner's only, as the PKI scripts make it:
  // registryd refuses a server key that every local account may read.
  // (WriteFileAtomically writes it as key.pem.tmp first.)
  const bool key = absl::EndsWith(path, "key.pem") || absl::EndsWith(path, "key.pem.tmp");
  ::chmod(path.c_str(), key ? 0600 : 0644);
}

void MakeDir(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) Die("mkdir", absl::UnavailableError(path + ": " + error.message()));
}

template <typename M>
M ParseOrDie(const std::string& json) {
  M m;
  absl::Status s = server::ParseJson(json, &m);
  if (!s.ok()) Die("parse", s);
  return m;
}

}  // namespace

registry::v1::AccessPolicy DevPolicy() {
  return ParseOrDie<registry::v1::AccessPolicy>(
      ReadFileOrDie(REGISTRY_SOURCE_DIR "/deploy/dev/policy.json"));
}

registry::v1::CreateRecordRequest ExampleRecord() {
  return ParseOrDie<registry::v1::CreateRecordRequest>(
      ReadFileOrDie(REGISTRY_SOURCE_DIR "/deploy/examples/record.json"));
}

void MakeFine(registry::v1::Conviction* c, absl::string_view judgment_date,
              absl::string_view final_date) {
  c->set_judgment_date(std::string(judgment_date));
  c->set_final_date(std::string(final_date));
  c->clear_release_date();
  c->clear_suspension_end_date();
  c->mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_FINE);
  c->mutable_sentence()->set_months(0);
  c->clear_bans();
  UnderTheCodeOfItsTime(c);
}

absl::Status LimitOrganisation(TestServer& server, absl::string_view org, uint32_t per_minute,
                               uint32_t burst) {
  registry::v1::AccessPolicy policy = DevPolicy();
  for (registry::v1::Organisation& o : *policy.mutable_organisations()) {
    if (o.id() != org) continue;
    o.mutable_rate_limit()->set_per_minute(per_minute);
    o.mutable_rate_limit()->set_burst(burst);
  }
  server.WritePolicy(policy);
  return server.server()->ReloadPolicy();
}

registry::v1::CreateRecordRequest OldFineWithAChildrenBan(absl::string_view ban_end) {
  registry::v1::CreateRecordRequest record = ExampleRecord();
  registry::v1::Conviction* c = record.mutable_conviction();
  MakeFine(c, "2005-01-10", "2005-03-01");
  registry::v1::AccessoryBan* ban = c->add_bans();
  ban->set_type(registry::v1::BAN_TYPE_WORK_WITH_CHILDREN);
  ban->set_end_date(std::string(ban_end));
  return record;
}

registry::v1::CreateRecordRequest FictionalRecord(int n) {
  registry::v1::CreateRecordRequest r = ExampleRecord();
  static const char* kSurnames[] = {"Berisha", "Krasniqi", "Gashi", "Petrović", "Hoxha",
                                    "Jovanović", "Shala", "Morina", "Bytyqi", "Kastrati"};
  static const char* kGiven[] = {"Driton", "Besnik", "Luan", "Dragan", "Fatmir",
                                 "Milan", "Agron", "Valon", "Ilir", "Blerim"};
  r.mutable_person()->set_surname(kSurnames[n % 10]);
  r.mutable_person()->set_given_name(kGiven[(n / 10) % 10]);
  r.mutable_person()->set_personal_number(absl::StrFormat("%010d", 1000000000 + n));
  r.mutable_conviction()->set_case_number(absl::StrCat("P ", 1000 + n, "/2024"));
  return r;
}

void UnderTheCodeOfItsTime(registry::v1::Conviction* conviction) {
  const std::string& judgment = conviction->judgment_date();
  if (judgment >= "2019-04-14") return;
  // Before 2013 the District Courts judged (deploy/reference/courts.json).
  if (judgment < "2013-01-01" && (absl::StartsWith(conviction->court_id(), "basic-") ||
                                  conviction->court_id() == "court-of-appeals")) {
    conviction->set_court_id("district-prishtine");
  }
  // Before 6 April 2004 the table has no code of the time: the equivalent is recorded as it is.
  if (judgment < "2004-04-06") return;
  const bool provisional = judgment < "2013-01-01";
  for (registry::v1::Offence& o : *conviction->mutable_offences()) {
    if (o.law() == "06/L-074" && o.article() == 230) {
      o.set_law(provisional ? "UNMIK/2003/25" : "04/L-082");
      o.set_article(provisional ? 196 : 234);
      o.set_paragraph(0);
    }
  }
}

registry::v1::VettingCheckRequest CandidateOf(const registry::v1::Person& person,
                                              absl::string_view consent) {
  registry::v1::VettingCheckRequest req;
  req.set_personal_number(person.personal_number());
  req.set_surname(person.surname());
  req.set_given_name(person.given_name());
  req.set_birth_date(person.birth_date());
  req.set_position_category("teacher");
  req.set_consent_reference(consent.empty() ? ConsentFor(person.personal_number())
                                            : std::string(consent));
  return req;
}

std::string ConsentFor(absl::string_view personal_number, absl::string_view base) {
  std::string letters;
  for (const char c : personal_number) {
    letters.push_back(c >= '0' && c <= '9' ? static_cast<char>('A' + (c - '0')) : 'X');
  }
  return absl::StrCat(base, "-", letters);
}

bool SameConviction(const registry::v1::Conviction& a, const registry::v1::Conviction& b) {
  google::protobuf::util::MessageDifferencer differ;
  differ.IgnoreField(registry::v1::Offence::descriptor()->FindFieldByName("title"));
  differ.IgnoreField(registry::v1::Conviction::descriptor()->FindFieldByName("court_name"));
  return differ.Compare(a, b);
}

void WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  WriteFile(tmp, content);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) Die("rename", absl::UnavailableError(path));
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                           absl::string_view identity) {
  return MakeChannel(address, TestPki::Get().LoadIdentity(identity));
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                           const TestPki::Identity& identity) {
  return MakeChannel(address, identity, grpc::ChannelArguments());
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                           const TestPki::Identity& identity,
                                           grpc::ChannelArguments args) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = identity.ca_pem;
  ssl.pem_private_key = identity.key_pem;
  ssl.pem_cert_chain = identity.cert_pem;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(ssl), args);
}

std::unique_ptr<TestServer> TestServer::StartPruningAudit(const Clock* clock) {
  TestServerOptions options;
  options.clock = clock;
  options.audit.set_retention_days(server::kMinAuditRetentionDays);
  return Start(std::move(options));
}

std::unique_ptr<TestServer> TestServer::Start(TestServerOptions options) {
  const TestPki& pki = TestPki::Get();
  std::unique_ptr<TestServer> t(new TestServer());
  t->options_ = std::move(options);
  t->dir_ = MakeTempDir("registry-server");
  const std::string& d = t->dir_;

  auto keys = server::GenerateKeyFile(absl::Now());
  if (!keys.ok()) Die("keys", keys.status());
  absl::Status written = server::WriteKeyFile(d + "/keys.json", *keys, false);
  if (!written.ok()) Die("keys", written);
  t->WritePolicy(t->options_.policy ? *t->options_.policy : DevPolicy());

  // Copies: tests replace them while the server runs, and the PKI is shared by every test.
  MakeDir(t->tls_dir());
  WriteFile(t->tls_dir() + "/ca.pem", pki.CaPem());
  WriteFile(t->tls_dir() + "/cert.pem", pki.ReadFile("server/cert.pem"));
  WriteFile(t->tls_dir() + "/key.pem", pki.ReadFile("server/key.pem"));
  MakeDir(t->crl_dir());
  if (!t->options_.crl_source.empty()) {
    for (const auto& entry :
         std::filesystem::directory_iterator(pki.dir() + "/" + t->options_.crl_source)) {
      WriteFile(t->crl_dir() + "/" + entry.path().filename().string(),
                ReadFileOrDie(entry.path().string()));
    }
  }

  registry::v1::ServerConfig config;
  config.set_listen_address("127.0.0.1:0");
  config.mutable_tls()->set_client_ca_file(t->tls_dir() + "/ca.pem");
  config.mutable_tls()->set_cert_file(t->tls_dir() + "/cert.pem");
  config.mutable_tls()->set_key_file(t->tls_dir() + "/key.pem");
  if (t->options_.crl) config.mutable_tls()->set_crl_directory(t->crl_dir());
  config.set_data_dir(d + "/data");
  config.set_backup_dir(d + "/backups");
  config.set_key_file(d + "/keys.json");
  config.set_policy_file(d + "/policy.json");
  config.set_reference_dir(t->options_.reference_dir.empty()
                               ? std::string(REGISTRY_SOURCE_DIR "/deploy/reference")
                               : t->options_.reference_dir);
  *config.mutable_backup() = t->options_.backup;
  *config.mutable_unknown_callers() = t->options_.unknown_callers;
  *config.mutable_audit() = t->options_.audit;
  config.mutable_metrics()->set_listen_address(t->options_.metrics_listen_address);
  auto finished = server::FinishConfig(config, d);
  if (!finished.ok()) Die("config", finished.status());
  t->config_ = *finished;
  absl::Status started = t->Restart();
  if (!started.ok()) Die("start", started);
  return t;
}

TestServer::~TestServer() { Stop(); }

absl::Status TestServer::Restart() {
  Stop();
  server::RegistryServerOptions o;
  o.config = config_;
  o.clock = options_.clock;
  o.revocation_clock = options_.revocation_clock;
  o.pacer = options_.pacer;
  o.clock_guard_elapsed = options_.clock_guard_elapsed;
  o.after_reply = options_.after_reply;
  o.storage_seams.fault_injector = options_.fault_injector;
  o.storage_seams.env = options_.storage_env;
  o.log_calls = options_.log_calls;
  o.start_scheduler = options_.scheduler;
  // Tests make their backups themselves (RunScheduledBackupOnce for the schedule's step).
  o.start_backup_scheduler = false;
  // Likewise the data check (RunDataCheckOnce).
  o.start_data_checks = false;
  o.policy_poll = options_.policy_poll;
  o.revocation_poll = options_.revocation_poll;
  o.tls_refresh = options_.tls_refresh;
  o.unaudited_summary_interval = options_.unaudited_summary_interval;
  o.watermark_interval = options_.watermark_interval;
  o.handshake_timeout = options_.handshake_timeout;
  auto s = server::RegistryServer::Start(std::move(o));
  if (!s.ok()) return s.status();
  server_ = *std::move(s);
  return absl::OkStatus();
}

void TestServer::Stop() {
  if (server_ == nullptr) return;
  server_->Shutdown(absl::Seconds(2));
  server_.reset();
}

std::string TestServer::address() const { return absl::StrCat("127.0.0.1:", server_->port()); }

std::shared_ptr<grpc::Channel> TestServer::Channel(absl::string_view identity) const {
  return MakeChannel(address(), identity);
}

void TestServer::WritePolicy(const registry::v1::AccessPolicy& given) const {
  registry::v1::AccessPolicy policy = given;
  for (registry::v1::Organisation& org : *policy.mutable_organisations()) {
    if (org.has_rate_limit() && org.rate_limit().checks_per_person_per_day() == 0) {
      org.mutable_rate_limit()->set_checks_per_person_per_day(100000);
    }
    if (org.has_rate_limit() && org.rate_limit().checks_per_name_per_day() == 0) {
      org.mutable_rate_limit()->set_checks_per_name_per_day(100000);
    }
    // Likewise the REFER alert, whose event would come between a test's calls and their events.
    if (org.has_rate_limit() && org.rate_limit().refers_per_day_alert() == 0) {
      org.mutable_rate_limit()->set_refers_per_day_alert(100000);
    }
  }
  WritePolicyFile(dir_ + "/policy.json", policy);
}

void WritePolicyFile(const std::string& path, const registry::v1::AccessPolicy& policy) {
  std::string json;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(policy, &json, o).ok()) {
    Die("policy", absl::InternalError("encode"));
  }
  WriteFileAtomically(path, json);
}

}  // namespace registry::testing

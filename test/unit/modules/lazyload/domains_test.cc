#include "slime/modules/lazyload/domains.h"

#include "slime/modules/lazyload/sidecar.h"
#include "test_util.h"

namespace slime::lazyload {
namespace {
using testing::at;
using testing::config_of;
using testing::snapshot_of;

const char* kServices = R"(
apiVersion: v1
kind: Service
metadata: {name: details, namespace: default, labels: {app: details}}
---
apiVersion: v1
kind: Service
metadata: {name: details, namespace: test, labels: {app: details}}
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default, labels: {app: reviews, group: default}}
)";

struct Fixture {
  store::MemoryStore snap;
  FenceConfig config;
  Domains run(const std::string& spec_yaml, std::map<std::string, std::string> metrics = {}, int64_t now = 1700000000) {
    std::vector<core::Error> problems;
    FenceSpec spec = parse_fence_spec(*core::parse_yaml(spec_yaml), problems);
    MeshView view(snap, config);
    auto d = compute_domains(spec, metrics, view, config, at(now), problems);
    last_problems = problems;
    return d;
  }
  std::vector<core::Error> last_problems = {};
};

TEST(Domains, A1StableHost) {
  Fixture f{snapshot_of(kServices), config_of()};
  auto d = f.run("{host: {reviews.default.svc.cluster.local: {stable: {}}}}");
  EXPECT_EQ(sidecar_hosts(d, f.config, "default"),
            (std::vector<std::string>{"*/reviews.default.svc.cluster.local", "istio-system/*", "mesh-operator/*"}));
}

TEST(Domains, A2NamespaceWildcard) {
  Fixture f{snapshot_of(kServices), config_of()};
  auto d = f.run(R"({host: {"test/*": {}}})");
  ASSERT_TRUE(d.count("test/*"));
  EXPECT_TRUE(d["test/*"].hosts.empty());
  EXPECT_EQ(d["test/*"].status, DomainStatus::kActive);
  EXPECT_EQ(sidecar_hosts(d, f.config, "default"),
            (std::vector<std::string>{"istio-system/*", "mesh-operator/*", "test/*"}));
}

TEST(Domains, A3LabelSelectors) {
  Fixture f{snapshot_of(kServices), config_of()};
  auto d = f.run("{labelSelector: [{selector: {app: details}}, {selector: {app: reviews, group: default}}]}");
  EXPECT_EQ(d.size(), 3u);
  EXPECT_TRUE(d.count("details.default.svc.cluster.local") && d.count("details.test.svc.cluster.local") &&
              d.count("reviews.default.svc.cluster.local"));
}

TEST(Domains, A4ExpiredDeadline) {
  Fixture f{snapshot_of(kServices), config_of()};
  auto d = f.run("{host: {x.y.svc.cluster.local: {deadline: {expire: {seconds: 1600000000}}}}}");
  EXPECT_EQ(d["x.y.svc.cluster.local"].status, DomainStatus::kExpire);
  EXPECT_EQ(sidecar_hosts(d, f.config, "default"), (std::vector<std::string>{"istio-system/*", "mesh-operator/*"}));
  // Not yet expired: active.
  d = f.run("{host: {x.y.svc.cluster.local: {deadline: {expire: {seconds: 1800000000}}}}}");
  EXPECT_EQ(d["x.y.svc.cluster.local"].status, DomainStatus::kActive);
}

TEST(Domains, A5AliasesWithStaticAndLearned) {
  Fixture f{snapshot_of(kServices),
            config_of(R"({domainAliases: [{pattern: '(?P<service>[^\.]+)\.(?P<namespace>[^\.]+)\.svc\.cluster\.local$',
                          templates: ["$namespace.$service.mailsaas"]}]})")};
  auto d = f.run("{host: {details.default.svc.cluster.local: {}}}",
                 {{"{destination_service=\"productpage.default.svc.cluster.local\"}", "1"}});
  EXPECT_EQ(d.size(), 4u);
  EXPECT_EQ(sidecar_hosts(d, f.config, "default"),
            (std::vector<std::string>{"*/default.details.mailsaas", "*/default.productpage.mailsaas",
                                      "*/details.default.svc.cluster.local", "*/productpage.default.svc.cluster.local",
                                      "istio-system/*", "mesh-operator/*"}));
}

TEST(Domains, A6InvalidMetricHostsAreIgnored) {
  Fixture f{snapshot_of(kServices), config_of()};
  auto d = f.run("{}", {{"{destination_service=\"global-sidecar.mesh-operator.svc.cluster.local\"}", "1"},
                        {"{destination_service=\"unknown\"}", "1"},
                        {"{source_app=\"x\"}", "1"},
                        {"{destination_service=\"a\", request_host=\"b\"}", "1"},
                        {"{request_host=\"ok.default.svc.cluster.local:9080\"}", "1"}});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(d.count("ok.default.svc.cluster.local"));
}

TEST(Domains, A7ExpireWaitThenGone) {
  Domains old;
  old["h"].hosts = {"h"};
  old["gone"].hosts = {"gone"};
  old["gone"].status = DomainStatus::kExpireWait;
  Domains fresh = apply_expire_wait(old, {});
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh["h"].status, DomainStatus::kExpireWait);
  FenceConfig c = config_of();
  EXPECT_EQ(sidecar_hosts(fresh, c, "default").front(), "*/h");  // still in the Sidecar
  EXPECT_TRUE(apply_expire_wait(fresh, {}).empty());             // next computation: gone
}

TEST(Domains, FirstWriterWinsAndStaticExpiredStaysExpired) {
  Fixture f{snapshot_of(kServices), config_of()};
  auto d = f.run("{host: {a.b.svc.cluster.local: {deadline: {expire: {seconds: 1}}}}}",
                 {{"{destination_service=\"a.b.svc.cluster.local\"}", "1"}});
  EXPECT_EQ(d["a.b.svc.cluster.local"].status, DomainStatus::kExpire);
}

TEST(Domains, NamespaceSelectorWorks) {
  Fixture f{snapshot_of(kServices), config_of()};
  auto d = f.run("{namespaceSelector: [test]}");
  EXPECT_TRUE(d.count("test/*"));
}

TEST(Domains, UnsupportedHostKeysAreReported) {
  Fixture f{snapshot_of(kServices), config_of()};
  auto d = f.run(R"({host: {"*/foo": {}, "a/b/*": {}}})");
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(f.last_problems.size(), 2u);
}

TEST(Domains, VirtualServiceBackendsJoinTheDomain) {
  Fixture f{snapshot_of(std::string(kServices) + R"(
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews-v2}
    - destination: {host: ratings.other.svc.cluster.local}
)"),
            config_of()};
  auto d = f.run("{}", {{"{destination_service=\"reviews.default.svc.cluster.local\"}", "1"}});
  EXPECT_EQ(d["reviews.default.svc.cluster.local"].hosts,
            (std::vector<std::string>{"reviews.default.svc.cluster.local", "ratings.other.svc.cluster.local",
                                      "reviews-v2.default.svc.cluster.local"}));
  // ns/*: only backends in other namespaces are listed (the namespace's own are covered by ns/*).
  d = f.run(R"({host: {"default/*": {}}})");
  EXPECT_EQ(d["default/*"].hosts, (std::vector<std::string>{"ratings.other.svc.cluster.local"}));
}

TEST(MetricKey, HostExtraction) {
  EXPECT_EQ(host_of_metric_key("{destination_service=\"a.b:80\"}"), "a.b");
  EXPECT_EQ(host_of_metric_key("{request_host=\"x\"}"), "x");
  EXPECT_EQ(host_of_metric_key("{foo=\"x\"}"), "");
}

}  // namespace
}  // namespace slime::lazyload

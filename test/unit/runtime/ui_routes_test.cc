// The UI routes on a real AdminServer over a SharedStore: answers follow the store (the per-query cache is
// dropped on every change), filters and their bounds, read-only methods, and a page that never parses data
// as HTML.
#include <gtest/gtest.h>

#include <string>

#include "../../envtest/slime_process.h"  // http_get
#include "slime/runtime/ui_routes.h"

namespace slime::runtime {
namespace {

using core::Json;

core::Object service(const std::string& ns, const std::string& name) {
  return core::Object(Json{{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", {{"name", name}, {"namespace", ns}}}});
}

core::Object fence_with_learned(const std::string& ns, const std::string& name, const std::string& host) {
  return core::Object(Json{{"apiVersion", "microservice.slime.io/v1alpha1"},
                           {"kind", "ServiceFence"},
                           {"metadata", {{"name", name}, {"namespace", ns}}},
                           {"status", {{"metricStatus", {{"{destination_service=\"" + host + "\"}", "1"}}}}}});
}

class UiRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.put(service("default", "productpage"));
    store_.put(service("default", "details"));
    add_ui_routes(server_, store_, graph::GraphOptions{});
    ASSERT_TRUE(server_.start("127.0.0.1:0"));
  }
  void TearDown() override { server_.stop(); }
  Json get_json(const std::string& target) {
    auto r = slime::testing::http_get(server_.port(), target);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    return r.status == 200 ? Json::parse(r.body) : Json();
  }
  store::SharedStore store_;
  AdminServer server_;
};

TEST_F(UiRoutes, AnswersFollowTheStore) {
  auto before = get_json("/api/v1/graph");
  EXPECT_EQ(before["edges"].size(), 0u);
  EXPECT_EQ(get_json("/api/v1/graph")["edges"].size(), 0u);  // served again (from the cache)

  store_.put(fence_with_learned("default", "productpage", "details.default.svc.cluster.local"));
  auto after = get_json("/api/v1/graph");
  ASSERT_EQ(after["edges"].size(), 1u) << after.dump();
  EXPECT_EQ(after["edges"][0]["to"], "default/details");

  store_.remove({core::GroupKind{"microservice.slime.io", "ServiceFence"}, "default", "productpage"});
  EXPECT_EQ(get_json("/api/v1/graph")["edges"].size(), 0u);
}

// The cluster cache keeps the kinds modules read in part packed (core::Object::pack): the answers read
// them whole all the same.
TEST_F(UiRoutes, PackedObjectsAreReadWhole) {
  auto packed = [](core::Object o) {
    o.pack();
    return o;
  };
  store_.put(packed(service("default", "reviews")));
  store_.put(packed(fence_with_learned("default", "productpage", "reviews.default.svc.cluster.local")));
  auto graph = get_json("/api/v1/graph");
  ASSERT_EQ(graph["edges"].size(), 1u) << graph.dump();
  EXPECT_EQ(graph["edges"][0]["to"], "default/reviews");
}

TEST_F(UiRoutes, NamespaceFilterAndItsBound) {
  store_.put(service("other", "lonely"));
  auto other = get_json("/api/v1/graph?namespace=other");
  EXPECT_EQ(other["view"], "namespace");
  ASSERT_EQ(other["nodes"].size(), 1u);
  EXPECT_EQ(other["nodes"][0]["id"], "other/lonely");
  EXPECT_EQ(get_json("/api/v1/modules?namespace=other")["smartLimiters"].size(), 0u);

  auto too_long = slime::testing::http_get(server_.port(), "/api/v1/graph?namespace=" + std::string(254, 'a'));
  EXPECT_EQ(too_long.status, 400);
  EXPECT_EQ(too_long.body.find("aaaa"), std::string::npos);  // never echoed
}

TEST_F(UiRoutes, PageIsSelfContainedAndNeverParsesDataAsHtml) {
  auto page = slime::testing::http_get(server_.port(), "/ui");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.body, ui_page());
  // The SVG namespace name is an identifier, not something fetched; nothing else may name another origin.
  std::string text = page.body;
  for (size_t at; (at = text.find("http://www.w3.org/2000/svg")) != std::string::npos;) text.erase(at, 26);
  for (const char* banned : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "http://",
                             "https://", "<link", "<script src", "<img", "<iframe"})
    EXPECT_EQ(text.find(banned), std::string::npos) << banned;
  EXPECT_NE(page.body.find("Content-Security-Policy"), std::string::npos);
  EXPECT_NE(page.body.find("textContent"), std::string::npos);
}

}  // namespace
}  // namespace slime::runtime

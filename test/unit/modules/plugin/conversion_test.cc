// Pure conversion helpers: names, data sources, configuration strings, merge patches, base64.
#include <gtest/gtest.h>

#include "slime/modules/plugin/code_source.h"
#include "slime/modules/plugin/envoy_plugin_convert.h"
#include "slime/modules/plugin/json_util.h"
#include "slime/modules/plugin/plugin_config.h"
#include "slime/modules/plugin/plugin_manager_convert.h"

namespace slime::plugin {
namespace {

Json filter_match_name(Protocol protocol, const std::string& app_protocol) {
  PluginManagerSpec spec;
  Plugin p;
  p.enable = true;
  p.name = "f";
  p.protocol = protocol;
  p.generic_app_protocol = app_protocol;
  spec.plugins.push_back(p);
  PluginConfig config;
  std::vector<core::Error> problems;
  Json ef = convert_plugin_manager(spec, "ns", config, nullptr, problems);
  EXPECT_TRUE(problems.empty());
  return ef["configPatches"][0]["match"]["listener"]["filterChain"]["filter"]["name"];
}

// The original's conversion_test.go: the listener filter each protocol's plugins are inserted into.
TEST(PluginConversion, ListenerFilterNamePerProtocol) {
  EXPECT_EQ(filter_match_name(Protocol::kHttp, ""), "envoy.filters.network.http_connection_manager");
  EXPECT_EQ(filter_match_name(Protocol::kDubbo, ""), "envoy.filters.network.dubbo_proxy");
  EXPECT_EQ(filter_match_name(Protocol::kGeneric, "thrift"), "generic-thrift");
}

TEST(PluginConversion, UnknownProtocolNumberIsRejected) {
  std::vector<core::Error> problems;
  auto p = parse_plugin(Json{{"name", "x"}, {"enable", true}, {"protocol", 100}}, "spec.plugin[0]", false, problems);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().field, "spec.plugin[0].protocol");
}

TEST(PluginConversion, LegacyFilterNames) {
  FilterNames legacy = FilterNames::make(true);
  EXPECT_EQ(legacy.router, "envoy.router");
  EXPECT_EQ(legacy.http_connection_manager, "envoy.http_connection_manager");
  EXPECT_EQ(legacy.ratelimit, "envoy.rate_limit");
  EXPECT_EQ(legacy.cors, "envoy.cors");
  EXPECT_EQ(FilterNames::make(false).router, "envoy.filters.http.router");
}

TEST(PluginConversion, RouteConfigurationNames) {
  auto names = [](Listener l) { return route_configuration_names(l); };
  using V = std::vector<std::string>;
  EXPECT_EQ(names({80, "http", "", {}, false}), V{"http.80"});
  EXPECT_EQ(names({80, "http-web", "1.2.3.4", {}, false}), V{"http.80.1.2.3.4"});
  EXPECT_EQ(names({9090, "generic-thrift-x", "", {}, false}), V{"generic.thrift.9090"});
  EXPECT_EQ(names({9090, "generic", "", {}, false}), V{"generic.generic.9090"});
  EXPECT_EQ(names({9090, "tcp", "", {}, false}), V{});
  EXPECT_EQ(names({9090, "tcp", "sock", {}, false}), V{"sock"});
  EXPECT_EQ(names({0, "http", "/uds", {}, false}), V{"/uds"});
  EXPECT_EQ(names({0, "http", "", {}, false}), V{});
  EXPECT_EQ(names({9080, "", "", {"a", "", "b"}, true}), (V{"a:9080", "b:9080"}));
  EXPECT_EQ(names({9080, "", "", {""}, true}), V{"9080"});
}

TEST(PluginConversion, DataSources) {
  auto remote_uri = [](const std::string& url) {
    auto ds = make_data_source(url, "");
    EXPECT_TRUE(ds) << url;
    EXPECT_TRUE(ds->remote);
    return ds->json["remote"]["httpUri"]["uri"].get<std::string>();
  };
  EXPECT_EQ(remote_uri("hub.example.com/a/b:v1"), "oci://hub.example.com/a/b:v1");
  EXPECT_EQ(remote_uri("//hub.example.com/a:v1"), "oci://hub.example.com/a:v1");
  EXPECT_EQ(remote_uri("oci://hub.example.com/a:v1"), "oci://hub.example.com/a:v1");
  EXPECT_EQ(remote_uri("HTTPS://x.example.com/a.wasm"), "https://x.example.com/a.wasm");

  auto ds = make_data_source("https://x/a.wasm", "");
  EXPECT_EQ(ds->json["remote"]["sha256"], "nil");
  EXPECT_EQ(ds->json["remote"]["httpUri"]["cluster"], "_");
  EXPECT_EQ(ds->json["remote"]["httpUri"]["timeout"], "30s");
  EXPECT_EQ(make_data_source("https://x/a.wasm", "abc")->json["remote"]["sha256"], "abc");

  auto local = make_data_source("file:///opt/a.wasm", "abc");
  ASSERT_TRUE(local);
  EXPECT_FALSE(local->remote);
  EXPECT_EQ(local->json, (Json{{"local", {{"filename", "/opt/a.wasm"}}}}));

  EXPECT_FALSE(make_data_source(":nothing", ""));
  EXPECT_FALSE(make_data_source("a b", ""));
  EXPECT_FALSE(make_data_source("1x:y", ""));
}

TEST(PluginConversion, WasmConfigurationString) {
  EXPECT_EQ(wasm_configuration_string(std::nullopt), "{}");
  EXPECT_EQ(wasm_configuration_string(Json{{"_string", "raw text"}}), "raw text");
  EXPECT_EQ(wasm_configuration_string(Json{{"_string", 5}}), R"({"_string":5})");
  EXPECT_EQ(wasm_configuration_string(Json{{"_string", "a"}, {"b", 1}}), R"({"_string":"a","b":1})");
  EXPECT_EQ(wasm_configuration_string(Json{{"z", 1.0}, {"a", {{"y", 0.5}, {"x", Json::array({2.0, "s"})}}}}),
            R"({"a":{"x":[2,"s"],"y":0.5},"z":1})");
}

// RFC 7386 appendix A examples.
TEST(PluginConversion, MergePatch) {
  struct Case {
    const char* target;
    const char* patch;
    const char* result;
  } cases[] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const auto& c : cases) {
    Json target = Json::parse(c.target);
    merge_patch(target, Json::parse(c.patch));
    EXPECT_EQ(target, Json::parse(c.result)) << c.target << " + " << c.patch;
  }
}

TEST(PluginConversion, Base64) {
  EXPECT_EQ(base64_decode("e30="), "{}");
  EXPECT_EQ(base64_decode("aGVsbG8gd29ybGQ="), "hello world");
  EXPECT_EQ(base64_decode("aGVsbG8gd29ybGQ"), "hello world");
  EXPECT_EQ(base64_decode("aGVs\nbG8="), "hello");
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_FALSE(base64_decode("a$=="));
  EXPECT_FALSE(base64_decode("e3=0"));
}

}  // namespace
}  // namespace slime::plugin

// The proxy's request parsing path on arbitrary bytes: h2c preface and first-HEADERS decoding, the
// HTTP/1.1 head parser with the proxy's limits, and destination resolution (with and without a mesh).
#include <boost/beast/http.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "slime/core/object.h"
#include "slime/proxy/routing/destination.h"
#include "slime/proxy/routing/h2_sniff.h"
#include "slime/store/memory_store.h"

namespace {

namespace http = boost::beast::http;
using namespace slime;

const proxy::MeshIndex& mesh() {
  static const proxy::MeshIndex index = [] {
    store::MemoryStore mem;
    mem.put(core::Object(core::Json::parse(
        R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default"},
            "spec":{"clusterIP":"None","ports":[{"name":"http","port":80}]}})")));
    mem.put(core::Object(core::Json::parse(
        R"({"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"web","namespace":"default"},
            "subsets":[{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"name":"http","port":8080}]}]})")));
    return proxy::MeshIndex::build(mem);
  }();
  return index;
}

std::string_view sv(boost::beast::string_view s) { return {s.data(), s.size()}; }

void route(const proxy::RequestFacts& f) {
  proxy::DestinationRules rules;
  rules.own_ports = {80, 15001};
  (void)proxy::resolve_destination(f, rules, nullptr);
  (void)proxy::resolve_destination(f, rules, &mesh(), 7);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (proxy::match_h2_preface(input) == proxy::PrefaceMatch::kHttp2) {
    auto first = proxy::parse_h2_first_request(input, 16 * 1024);
    if (first.state == proxy::H2FirstRequest::State::kDone) {
      proxy::RequestFacts f;
      f.host = first.authority;
      f.orig_dest = first.orig_dest;
      f.has_orig_dest = first.has_orig_dest;
      f.source_ns = first.source_ns;
      f.has_source_ns = first.has_source_ns;
      f.method = first.method;
      route(f);
    }
    return 0;
  }
  http::request_parser<http::empty_body> p;
  p.header_limit(8 * 1024);
  p.eager(false);
  boost::beast::error_code ec;
  p.put(boost::asio::buffer(data, size), ec);
  if (ec || !p.is_header_done()) return 0;
  const auto& req = p.get();
  proxy::RequestFacts f;
  f.host = sv(req[http::field::host]);
  auto od = req.find("Slime-Orig-Dest");
  auto sn = req.find("Slime-Source-Ns");
  f.has_orig_dest = od != req.end();
  f.has_source_ns = sn != req.end();
  if (f.has_orig_dest) f.orig_dest = sv(od->value());
  if (f.has_source_ns) f.source_ns = sv(sn->value());
  f.target = sv(req.target());
  f.method = sv(req.method_string());
  f.listen_port = 80;
  route(f);
  return 0;
}

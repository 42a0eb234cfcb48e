// The proxy's request parsing path on arbitrary bytes: h2c preface and first-HEADERS decoding, the
// HTTP/1.1 request framer with the proxy's limits, destination resolution (with and without a mesh), and
// the rewritten head, which must parse again.
#include <boost/beast/http.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "slime/core/object.h"
#include "slime/proxy/http_framers.h"
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

std::optional<proxy::Destination> route(const proxy::RequestFacts& f) {
  proxy::DestinationRules rules;
  rules.own_ports = {80, 15001};
  auto open = proxy::resolve_destination(f, rules, nullptr);
  (void)proxy::resolve_destination(f, rules, &mesh(), 7);
  return open.dest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (proxy::match_h2_preface(input) == proxy::PrefaceMatch::kHttp2) {
    auto first = proxy::parse_h2_first_request(input, 16 * 1024);
    if (first.state == proxy::H2FirstRequest::State::kDone) route(proxy::request_facts(first, 80));
    return 0;
  }
  std::vector<proxy::RequestFramer::Field> fields;
  proxy::RequestFramer p(8 * 1024, 1 << 20, fields);
  boost::beast::error_code ec;
  size_t head_len = p.put_contiguous(boost::asio::buffer(data, size), ec);
  if (ec || !p.is_header_done()) return 0;
  auto dest = route(proxy::request_facts(p, 80));
  if (!dest || head_len > size) return 0;
  // What goes upstream is a valid head with the destination's Host and without the Slime-* headers.
  std::string head;
  proxy::build_request_head(head, p, *dest);
  std::vector<proxy::RequestFramer::Field> again_fields;
  proxy::RequestFramer again(64 * 1024, 1 << 20, again_fields);
  again.put_contiguous(boost::asio::buffer(head), ec);
  if (ec || !again.is_header_done() || again.find("Slime-Orig-Dest") || again.find("Slime-Source-Ns")) __builtin_trap();
  auto* host = again.find(http::field::host);
  if (!host || host->value != dest->host_header) __builtin_trap();
  return 0;
}

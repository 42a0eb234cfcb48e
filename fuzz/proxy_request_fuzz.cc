// The proxy's request parsing path on arbitrary bytes: after an h2c preface, an nghttp2 server session
// (as the relay configures it) feeding every request's header block to H2RequestHead; otherwise the
// HTTP/1.1 request framer with the proxy's limits. Then destination resolution (with and without a mesh)
// and what goes upstream: the rewritten HTTP/1.1 head must parse again, the h2 header list must carry the
// destination's :authority and no Slime-* header; with a mesh, whatever is dialled is an address:port the
// mesh declares; no hop-by-hop field goes upstream, and no request framed both by Transfer-Encoding and
// Content-Length is relayed.
#include <boost/beast/http.hpp>
#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string_view>

#include "slime/core/object.h"
#include "slime/proxy/http_framers.h"
#include "slime/proxy/routing/destination.h"
#include "slime/proxy/routing/h2_request.h"
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
  // No service list and no --allow-any-destination: nothing is ever forwarded.
  if (proxy::resolve_destination(f, rules, nullptr).dest) __builtin_trap();
  auto meshed = proxy::resolve_destination(f, rules, &mesh(), 7);
  // The mesh's only destination is web's endpoint on its target port.
  if (meshed.dest && (meshed.dest->dial_host != "10.0.0.1" || meshed.dest->dial_port != 8080)) __builtin_trap();
  rules.allow_any_destination = true;
  return proxy::resolve_destination(f, rules, nullptr).dest;
}

// The upstream header list of a routed h2 request keeps the pseudo-headers first, names the destination
// and drops the Slime-* headers.
void check_h2(const proxy::H2RequestHead& head) {
  if (head.too_large()) return;
  auto dest = route(head.facts(80));
  if (!dest) return;
  auto out = head.upstream_headers(*dest);
  if (out.size() < 4 || out[2].first != ":authority" || out[2].second != dest->host_header) __builtin_trap();
  for (size_t i = 4; i < out.size(); ++i) {
    const auto& n = out[i].first;
    if (n.starts_with(':') || n == "host" || n == "slime-orig-dest" || n == "slime-source-ns") __builtin_trap();
  }
}

struct H2Fuzz {
  std::map<int32_t, proxy::H2RequestHead> heads;
};

int on_begin_headers(nghttp2_session*, const nghttp2_frame* f, void* u) {
  if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST)
    static_cast<H2Fuzz*>(u)->heads.insert_or_assign(f->hd.stream_id, proxy::H2RequestHead(16 * 1024));
  return 0;
}

int on_header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* n, size_t nl, const uint8_t* v, size_t vl,
              uint8_t, void* u) {
  if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto& heads = static_cast<H2Fuzz*>(u)->heads;
  if (auto it = heads.find(f->hd.stream_id); it != heads.end())
    it->second.add({reinterpret_cast<const char*>(n), nl}, {reinterpret_cast<const char*>(v), vl});
  return 0;
}

int on_frame_recv(nghttp2_session*, const nghttp2_frame* f, void* u) {
  if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto& heads = static_cast<H2Fuzz*>(u)->heads;
  if (auto it = heads.find(f->hd.stream_id); it != heads.end()) check_h2(it->second);
  return 0;
}

void fuzz_h2(const uint8_t* data, size_t size) {
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &on_frame_recv);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, 1);
  H2Fuzz state;
  nghttp2_session* session = nullptr;
  nghttp2_session_server_new2(&session, cbs, &state, opt);
  nghttp2_session_mem_recv(session, data, size);
  nghttp2_session_del(session);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (proxy::match_h2_preface(input) == proxy::PrefaceMatch::kHttp2) {
    fuzz_h2(data, size);
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
  if (p.find(http::field::transfer_encoding) && p.find(http::field::content_length)) __builtin_trap();
  for (const auto& f : again.fields()) {
    bool hop = f.name == http::field::keep_alive || f.name == http::field::te ||
               (f.name_string.size() >= 6 && proxy::iequals_ascii(f.name_string.substr(0, 6), "proxy-")) ||
               (f.name == http::field::connection && !proxy::iequals_ascii(f.value, "upgrade") &&
                !proxy::iequals_ascii(f.value, "keep-alive"));
    if (hop) __builtin_trap();
  }
  return 0;
}

package main

// Reading the received config: JSON for dumps (every Envoy extension type Istio knows is linked in,
// so typed_config prints as fields, not bytes), the HTTP filter chains of listeners, and the
// conditions a test or benchmark waits for.

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	// Registers every xDS extension type istiod may send (filter_types.gen.go), and the TypedStruct
	// wrappers EnvoyFilters use for settings (udpa and xds spellings).
	_ "github.com/cncf/xds/go/udpa/type/v1"
	_ "github.com/cncf/xds/go/xds/type/v3"
	_ "istio.io/istio/pkg/config/xds"
)

func anySize(a *anypb.Any) int { return proto.Size(a) }

func resourceJSON(a *anypb.Any) json.RawMessage {
	m, err := a.UnmarshalNew()
	if err == nil {
		var b []byte
		if b, err = protojson.Marshal(m); err == nil {
			return b
		}
	}
	b, _ := json.Marshal(map[string]string{"@type": a.GetTypeUrl(), "probe_error": err.Error()})
	return b
}

// dump returns {"cds":[...],"lds":[...],"rds":[...],"eds":[...]} (resources sorted by name).
func (s *proxyState) dump(only string) map[string][]json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]json.RawMessage{}
	for url, t := range s.types {
		name := shortType[url]
		if only != "" && only != name {
			continue
		}
		list := []json.RawMessage{}
		for _, n := range sortedKeys(t.resources) {
			list = append(list, resourceJSON(t.resources[n].any))
		}
		out[name] = list
	}
	return out
}

// httpChains lists, per listener and filter chain, the HTTP filter names in order.
type httpChain struct {
	Listener string   `json:"listener"`
	Chain    string   `json:"chain"`
	Filters  []string `json:"filters"`
}

func httpChainsLocked(s *proxyState) []httpChain {
	var out []httpChain
	t := s.types[typeListener]
	for _, ln := range sortedKeys(t.resources) {
		var l listener.Listener
		if t.resources[ln].any.UnmarshalTo(&l) != nil {
			continue
		}
		chains := append([]*listener.FilterChain{}, l.GetFilterChains()...)
		if d := l.GetDefaultFilterChain(); d != nil {
			chains = append(chains, d)
		}
		for i, fc := range chains {
			for _, f := range fc.GetFilters() {
				var m hcm.HttpConnectionManager
				if !f.GetTypedConfig().MessageIs(&m) || f.GetTypedConfig().UnmarshalTo(&m) != nil {
					continue
				}
				c := httpChain{Listener: ln, Chain: fc.GetName()}
				if c.Chain == "" {
					c.Chain = strconv.Itoa(i)
				}
				for _, hf := range m.GetHttpFilters() {
					c.Filters = append(c.Filters, hf.GetName())
				}
				out = append(out, c)
			}
		}
	}
	return out
}

// condition: KIND[@SCOPE]:ARG
//
//	cluster:NAME       a cluster with this exact name      no-cluster:NAME  none with this name
//	cluster~:TEXT      a cluster whose name contains TEXT
//	vhost:NAME         a virtual host with this exact name in any route configuration
//	http-filter[@L]:F  an HTTP filter named F in a listener whose name contains L (any listener)
//	text@TYPE:TEXT     the JSON of some resource of TYPE (cds, lds, rds, eds) contains TEXT
//	min@TYPE:N         at least N resources of TYPE
type condition struct {
	kind, scope, arg string
}

func parseCondition(s string) (condition, error) {
	head, arg, ok := strings.Cut(s, ":")
	if !ok || arg == "" {
		return condition{}, fmt.Errorf("condition %q: expected KIND[@SCOPE]:ARG", s)
	}
	kind, scope, _ := strings.Cut(head, "@")
	c := condition{kind: kind, scope: scope, arg: arg}
	switch kind {
	case "cluster", "no-cluster", "cluster~", "vhost", "http-filter":
	case "text", "min":
		if typeURL(scope) == "" {
			return c, fmt.Errorf("condition %q: %s needs @cds, @lds, @rds or @eds", s, kind)
		}
		if kind == "min" {
			if _, err := strconv.Atoi(arg); err != nil {
				return c, fmt.Errorf("condition %q: %q is not a count", s, arg)
			}
		}
	default:
		return c, fmt.Errorf("condition %q: unknown kind %q", s, kind)
	}
	return c, nil
}

func typeURL(short string) string {
	for url, n := range shortType {
		if n == short {
			return url
		}
	}
	return ""
}

// holds is called with s.mu held.
func (c condition) holds(s *proxyState) bool {
	switch c.kind {
	case "cluster":
		_, ok := s.types[typeCluster].resources[c.arg]
		return ok
	case "no-cluster":
		_, ok := s.types[typeCluster].resources[c.arg]
		return !ok && s.types[typeCluster].responses > 0
	case "cluster~":
		for n := range s.types[typeCluster].resources {
			if strings.Contains(n, c.arg) {
				return true
			}
		}
	case "vhost":
		for _, r := range s.types[typeRoute].resources {
			var rc route.RouteConfiguration
			if r.any.UnmarshalTo(&rc) != nil {
				continue
			}
			for _, vh := range rc.GetVirtualHosts() {
				if vh.GetName() == c.arg {
					return true
				}
			}
		}
	case "http-filter":
		for _, ch := range httpChainsLocked(s) {
			if !strings.Contains(ch.Listener, c.scope) {
				continue
			}
			for _, f := range ch.Filters {
				if f == c.arg {
					return true
				}
			}
		}
	case "text":
		for _, r := range s.types[typeURL(c.scope)].resources {
			if strings.Contains(string(resourceJSON(r.any)), c.arg) {
				return true
			}
		}
	case "min":
		n, _ := strconv.Atoi(c.arg)
		return len(s.types[typeURL(c.scope)].resources) >= n
	}
	return false
}

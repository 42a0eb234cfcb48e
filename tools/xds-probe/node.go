package main

// The identity a real istio-proxy presents to istiod: the node id istiod parses
// (TYPE~IP~POD.NS~NS.svc.DOMAIN) and the metadata keys it reads (pkg/model/proxy.go NodeMetadata).
// Without a matching Pod (podIP, Running, Ready) istiod gives the proxy no inbound config and no
// workloadSelector match; the metadata alone only scopes it by namespace.

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/structpb"
)

type identity struct {
	Type           string // sidecar | router
	IP             string
	Pod            string
	Namespace      string
	Domain         string
	ClusterID      string
	IstioVersion   string
	ServiceAccount string
	Workload       string
	Labels         map[string]string
	Meta           map[string]string // extra metadata keys (ISTIO_META_X=V becomes X=V in a real proxy)
}

func (id identity) nodeID() string {
	return fmt.Sprintf("%s~%s~%s.%s~%s.svc.%s", id.Type, id.IP, id.Pod, id.Namespace, id.Namespace, id.Domain)
}

func (id identity) node() (*core.Node, error) {
	labels := map[string]any{}
	for k, v := range id.Labels {
		labels[k] = v
	}
	workload := id.Workload
	if workload == "" {
		workload = id.Pod
	}
	sa := id.ServiceAccount
	if sa == "" {
		sa = "default"
	}
	meta, err := structpb.NewStruct(map[string]any{
		"ISTIO_VERSION":     id.IstioVersion,
		"CLUSTER_ID":        id.ClusterID,
		"NAMESPACE":         id.Namespace,
		"NAME":              id.Pod,
		"WORKLOAD_NAME":     workload,
		"OWNER":             fmt.Sprintf("kubernetes://apis/apps/v1/namespaces/%s/deployments/%s", id.Namespace, workload),
		"SERVICE_ACCOUNT":   sa,
		"INSTANCE_IPS":      id.IP,
		"LABELS":            labels,
		"INTERCEPTION_MODE": "REDIRECT",
		"MESH_ID":           id.Domain,
	})
	if err != nil {
		return nil, err
	}
	for k, v := range id.Meta {
		meta.Fields[k] = structpb.NewStringValue(v)
	}
	return &core.Node{Id: id.nodeID(), Cluster: workload + "." + id.Namespace, Metadata: meta}, nil
}

// replica returns the i-th copy of a proxy for --count: pod NAME-i, the i-th next address.
func (id identity) replica(i int) (identity, error) {
	if i == 0 {
		return id, nil
	}
	addr, err := netip.ParseAddr(id.IP)
	if err != nil {
		return id, fmt.Errorf("--ip %q: %v", id.IP, err)
	}
	for j := 0; j < i; j++ {
		addr = addr.Next()
	}
	out := id
	out.IP = addr.String()
	out.Pod = fmt.Sprintf("%s-%d", id.Pod, i)
	return out, nil
}

// parseKV reads "k=v,k2=v2" (for --labels and --meta).
func parseKV(flagName, s string) (map[string]string, error) {
	out := map[string]string{}
	if s == "" {
		return out, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--%s: %q is not key=value", flagName, kv)
		}
		out[k] = v
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

package main

// An ADS client that behaves like Envoy towards istiod: subscribes to clusters and listeners
// (wildcard), then to the endpoints of every EDS cluster and the route configurations every HTTP
// connection manager names, ACKs what it can decode and NACKs what it cannot, and reconnects with
// backoff when the stream breaks. SotW (StreamAggregatedResources) or Delta (DeltaAggregatedResources).

import (
	"context"
	"fmt"
	"log"
	"sort"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	status "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

type adsClient struct {
	conn  *grpc.ClientConn
	node  *core.Node
	delta bool
	state *proxyState
}

func (c *adsClient) run(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		var err error
		if c.delta {
			err = c.runDelta(ctx)
		} else {
			err = c.runSotW(ctx)
		}
		c.state.setConnected(false, fmt.Sprint(err))
		if ctx.Err() != nil {
			return
		}
		log.Printf("%s: stream ended: %v (retrying in %v)", c.node.Id, err, backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// dependents returns the names a response of this type makes the proxy ask for next:
// EDS cluster names from clusters, RDS names from listeners. ok=false with an error: undecodable.
func dependents(url string, resources []*anypb.Any) (string, []string, error) {
	names := map[string]bool{}
	switch url {
	case typeCluster:
		for _, a := range resources {
			var cl cluster.Cluster
			if err := a.UnmarshalTo(&cl); err != nil {
				return "", nil, fmt.Errorf("cluster: %v", err)
			}
			if cl.GetType() == cluster.Cluster_EDS {
				name := cl.GetName()
				if sn := cl.GetEdsClusterConfig().GetServiceName(); sn != "" {
					name = sn
				}
				names[name] = true
			}
		}
		return typeEndpoint, sortedKeys(names), nil
	case typeListener:
		for _, a := range resources {
			var l listener.Listener
			if err := a.UnmarshalTo(&l); err != nil {
				return "", nil, fmt.Errorf("listener: %v", err)
			}
			chains := append([]*listener.FilterChain{}, l.GetFilterChains()...)
			if d := l.GetDefaultFilterChain(); d != nil {
				chains = append(chains, d)
			}
			for _, fc := range chains {
				for _, f := range fc.GetFilters() {
					var m hcm.HttpConnectionManager
					if f.GetTypedConfig().MessageIs(&m) && f.GetTypedConfig().UnmarshalTo(&m) == nil {
						if rn := m.GetRds().GetRouteConfigName(); rn != "" {
							names[rn] = true
						}
					}
				}
			}
		}
		return typeRoute, sortedKeys(names), nil
	}
	return "", nil, nil
}

func (c *adsClient) runSotW(ctx context.Context) error {
	stream, err := discovery.NewAggregatedDiscoveryServiceClient(c.conn).StreamAggregatedResources(ctx)
	if err != nil {
		return err
	}
	subscribed := map[string][]string{}
	send := func(url string, names []string, version, nonce string, nack error) error {
		req := &discovery.DiscoveryRequest{Node: c.node, TypeUrl: url, ResourceNames: names,
			VersionInfo: version, ResponseNonce: nonce}
		if nack != nil {
			req.ErrorDetail = &status.Status{Code: 3, Message: nack.Error()}
		}
		return stream.Send(req)
	}
	// Envoy's order: clusters first (EDS follows from them), then listeners (RDS follows).
	for _, url := range []string{typeCluster, typeListener} {
		if err := send(url, nil, "", "", nil); err != nil {
			return err
		}
	}
	versions := map[string]string{}
	for {
		resp, err := stream.Recv()
		if err != nil {
			return err
		}
		c.state.setConnected(true, "")
		at := time.Now()
		url := resp.GetTypeUrl()
		next, names, decodeErr := dependents(url, resp.GetResources())
		if decodeErr != nil {
			c.state.nack(url, decodeErr.Error())
			if err := send(url, subscribed[url], versions[url], resp.GetNonce(), decodeErr); err != nil {
				return err
			}
			continue
		}
		added := map[string]*anypb.Any{}
		for _, a := range resp.GetResources() {
			added[resourceName(url, a)] = a
		}
		// Clusters and listeners are wildcard: each response is the whole set. Endpoints and routes
		// may come a few at a time (istiod's incremental EDS): only update what arrived.
		c.state.apply(url, proto.Size(resp), added, nil, url == typeCluster || url == typeListener, at)
		versions[url] = resp.GetVersionInfo()
		if err := send(url, subscribed[url], resp.GetVersionInfo(), resp.GetNonce(), nil); err != nil {
			return err
		}
		if next != "" && !equalNames(subscribed[next], names) {
			subscribed[next] = names
			c.state.keepOnly(next, names)
			if err := send(next, names, versions[next], "", nil); err != nil {
				return err
			}
		}
	}
}

func (c *adsClient) runDelta(ctx context.Context) error {
	stream, err := discovery.NewAggregatedDiscoveryServiceClient(c.conn).DeltaAggregatedResources(ctx)
	if err != nil {
		return err
	}
	for _, url := range []string{typeCluster, typeListener} {
		if err := stream.Send(&discovery.DeltaDiscoveryRequest{Node: c.node, TypeUrl: url}); err != nil {
			return err
		}
	}
	subscribed := map[string]map[string]bool{typeEndpoint: {}, typeRoute: {}}
	for {
		resp, err := stream.Recv()
		if err != nil {
			return err
		}
		c.state.setConnected(true, "")
		at := time.Now()
		url := resp.GetTypeUrl()
		var anys []*anypb.Any
		added := map[string]*anypb.Any{}
		for _, r := range resp.GetResources() {
			if r.GetResource() != nil {
				anys = append(anys, r.GetResource())
				added[r.GetName()] = r.GetResource()
			}
		}
		ack := &discovery.DeltaDiscoveryRequest{TypeUrl: url, ResponseNonce: resp.GetNonce()}
		_, _, decodeErr := dependents(url, anys)
		if decodeErr != nil {
			c.state.nack(url, decodeErr.Error())
			ack.ErrorDetail = &status.Status{Code: 3, Message: decodeErr.Error()}
			if err := stream.Send(ack); err != nil {
				return err
			}
			continue
		}
		c.state.apply(url, proto.Size(resp), added, resp.GetRemovedResources(), false, at)
		if err := stream.Send(ack); err != nil {
			return err
		}
		// Names the whole current set needs (not only this delta), diffed against the subscription.
		next, names := c.wantedAfter(url)
		if next == "" {
			continue
		}
		want := map[string]bool{}
		for _, n := range names {
			want[n] = true
		}
		req := &discovery.DeltaDiscoveryRequest{TypeUrl: next}
		for n := range want {
			if !subscribed[next][n] {
				req.ResourceNamesSubscribe = append(req.ResourceNamesSubscribe, n)
			}
		}
		for n := range subscribed[next] {
			if !want[n] {
				req.ResourceNamesUnsubscribe = append(req.ResourceNamesUnsubscribe, n)
			}
		}
		if len(req.ResourceNamesSubscribe)+len(req.ResourceNamesUnsubscribe) == 0 {
			continue
		}
		sort.Strings(req.ResourceNamesSubscribe)
		sort.Strings(req.ResourceNamesUnsubscribe)
		subscribed[next] = want
		c.state.keepOnly(next, names)
		if err := stream.Send(req); err != nil {
			return err
		}
	}
}

// wantedAfter computes the EDS/RDS names the proxy's current clusters/listeners need.
func (c *adsClient) wantedAfter(url string) (string, []string) {
	if url != typeCluster && url != typeListener {
		return "", nil
	}
	c.state.mu.Lock()
	var all []*anypb.Any
	for _, r := range c.state.typeOf(url).resources {
		all = append(all, r.any)
	}
	c.state.mu.Unlock()
	next, names, err := dependents(url, all)
	if err != nil {
		return "", nil
	}
	return next, names
}

// resourceName reads the name field every xDS resource has (cluster_name for endpoints).
func resourceName(url string, a *anypb.Any) string {
	m, err := a.UnmarshalNew()
	if err != nil {
		return "?" + url
	}
	fields := m.ProtoReflect().Descriptor().Fields()
	for _, n := range []string{"name", "cluster_name"} {
		if f := fields.ByName(protoreflect.Name(n)); f != nil {
			return m.ProtoReflect().Get(f).String()
		}
	}
	return "?" + url
}

func equalNames(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

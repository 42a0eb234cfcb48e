package main

// What one proxy has received: per xDS type, the current resources (name → raw Any) with the time
// each was last changed, plus counters. Conditions are evaluated against it after every response.

import (
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/anypb"
)

const (
	typeCluster  = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
	typeListener = "type.googleapis.com/envoy.config.listener.v3.Listener"
	typeRoute    = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
	typeEndpoint = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
)

// shortType names the four types the way reports and conditions do.
var shortType = map[string]string{typeCluster: "cds", typeListener: "lds", typeRoute: "rds", typeEndpoint: "eds"}

type resource struct {
	any     *anypb.Any
	changed time.Time
}

type typeState struct {
	resources     map[string]resource
	responses     int
	receivedBytes int64 // wire size of every response of this type, cumulative
	nacks         int
	lastError     string
}

type waiter struct {
	cond  condition
	done  chan time.Time // the arrival time of the response that made cond true
	fired bool
}

type proxyState struct {
	mu        sync.Mutex
	id        string
	connected bool
	connErr   string
	types     map[string]*typeState
	waiters   []*waiter
}

func newProxyState(id string) *proxyState {
	s := &proxyState{id: id, types: map[string]*typeState{}}
	for t := range shortType {
		s.types[t] = &typeState{resources: map[string]resource{}}
	}
	return s
}

func (s *proxyState) typeOf(url string) *typeState {
	t, ok := s.types[url]
	if !ok {
		t = &typeState{resources: map[string]resource{}}
		s.types[url] = t
	}
	return t
}

// apply records one response: SotW replaces the whole set (replace=true), Delta adds and removes.
func (s *proxyState) apply(url string, wireBytes int, added map[string]*anypb.Any, removed []string, replace bool, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.typeOf(url)
	t.responses++
	t.receivedBytes += int64(wireBytes)
	if replace {
		for name := range t.resources {
			if _, kept := added[name]; !kept {
				delete(t.resources, name)
			}
		}
	}
	for _, name := range removed {
		delete(t.resources, name)
	}
	for name, a := range added {
		old, had := t.resources[name]
		if had && string(old.any.Value) == string(a.Value) {
			continue // unchanged: keep the time it last changed
		}
		t.resources[name] = resource{any: a, changed: at}
	}
	s.fireLocked(at)
}

// keepOnly forgets resources of url that are no longer subscribed (SotW and Delta alike: the proxy
// stops using them).
func (s *proxyState) keepOnly(url string, names []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := map[string]bool{}
	for _, n := range names {
		keep[n] = true
	}
	t := s.typeOf(url)
	for n := range t.resources {
		if !keep[n] {
			delete(t.resources, n)
		}
	}
}

func (s *proxyState) nack(url, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.typeOf(url)
	t.nacks++
	t.lastError = msg
}

func (s *proxyState) setConnected(ok bool, err string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.connected = ok
	if err != "" {
		s.connErr = err
	}
}

func (s *proxyState) fireLocked(at time.Time) {
	live := s.waiters[:0]
	for _, w := range s.waiters {
		if !w.fired && w.cond.holds(s) {
			w.fired = true
			w.done <- at
			continue
		}
		if !w.fired {
			live = append(live, w)
		}
	}
	s.waiters = live
}

// wait blocks until cond holds or the timeout passes; returns when it became true.
func (s *proxyState) wait(c condition, timeout time.Duration) (time.Time, bool) {
	s.mu.Lock()
	if c.holds(s) {
		s.mu.Unlock()
		return time.Now(), true
	}
	w := &waiter{cond: c, done: make(chan time.Time, 1)}
	s.waiters = append(s.waiters, w)
	s.mu.Unlock()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case at := <-w.done:
		return at, true
	case <-timer.C:
		s.mu.Lock()
		w.fired = true
		s.mu.Unlock()
		return time.Time{}, false
	}
}

type typeStats struct {
	Resources     int    `json:"resources"`
	Bytes         int64  `json:"bytes"`
	Responses     int    `json:"responses"`
	ReceivedBytes int64  `json:"received_bytes"`
	Nacks         int    `json:"nacks"`
	LastError     string `json:"last_error,omitempty"`
}

type proxyStats struct {
	ID        string               `json:"id"`
	Connected bool                 `json:"connected"`
	Error     string               `json:"error,omitempty"`
	Types     map[string]typeStats `json:"types"`
	Bytes     int64                `json:"bytes"`
	Resources int                  `json:"resources"`
}

// stats: bytes are the serialized size of each current resource as it arrives (its Any, type URL
// included), which is what a proxy holds; received_bytes counts every response on the wire.
func (s *proxyState) stats() proxyStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := proxyStats{ID: s.id, Connected: s.connected, Error: s.connErr, Types: map[string]typeStats{}}
	for url, t := range s.types {
		ts := typeStats{Resources: len(t.resources), Responses: t.responses, ReceivedBytes: t.receivedBytes,
			Nacks: t.nacks, LastError: t.lastError}
		for _, r := range t.resources {
			ts.Bytes += int64(anySize(r.any))
		}
		name := shortType[url]
		if name == "" {
			name = url
		}
		out.Types[name] = ts
		out.Bytes += ts.Bytes
		out.Resources += ts.Resources
	}
	return out
}

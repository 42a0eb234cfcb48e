// xds-probe: a fake istio-proxy for tests and benchmarks. It connects to istiod's plaintext ADS port
// with a real node identity, follows the config the way Envoy does (CDS→EDS, LDS→RDS), keeps what it
// received, and reports it: bytes and resources per type, the config as JSON, the HTTP filter chains,
// and how long a condition took to hold.
//
// One-shot:  xds-probe --xds ADDR --ip IP --pod P --namespace NS [--until COND]... [--dump FILE]
//
//	prints a JSON report (stats, and when each condition held) and exits 0, or 1 on timeout.
//
// Service:   xds-probe ... --control 127.0.0.1:0
//
//	prints "control=PORT" and serves GET /ready, /stats, /config?proxy=I&type=T, /chains?proxy=I,
//	/wait?proxy=I|all&cond=C[&cond=C]&timeout_ms=N until stdin closes or SIGTERM.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var (
		id                             identity
		labels, meta, xdsAddr, control string
		dumpFile                       string
		count                          int
		delta                          bool
		timeout                        time.Duration
		until                          multiFlag
		maxRecv                        int
	)
	flag.StringVar(&xdsAddr, "xds", "127.0.0.1:15010", "istiod plaintext xDS address")
	flag.StringVar(&id.Type, "type", "sidecar", "proxy type: sidecar or router")
	flag.StringVar(&id.IP, "ip", "", "the proxy's pod IP (the Pod with this status.podIP must exist for inbound config)")
	flag.StringVar(&id.Pod, "pod", "", "pod name")
	flag.StringVar(&id.Namespace, "namespace", "default", "pod namespace")
	flag.StringVar(&id.Workload, "workload", "", "workload (Deployment) name; default: the pod name")
	flag.StringVar(&id.ServiceAccount, "service-account", "default", "service account")
	flag.StringVar(&labels, "labels", "", "pod labels k=v,k2=v2 (istiod uses the Pod's own when it finds it)")
	flag.StringVar(&meta, "meta", "", "extra node metadata k=v,k2=v2 (e.g. SLIME_APP=LAZYLOAD_GLOBAL_SIDECAR)")
	flag.StringVar(&id.Domain, "domain", "cluster.local", "cluster domain")
	flag.StringVar(&id.ClusterID, "cluster-id", "Kubernetes", "istiod's cluster ID")
	flag.StringVar(&id.IstioVersion, "istio-version", envOr("ISTIO_META_ISTIO_VERSION", "1.31.0"), "ISTIO_VERSION metadata")
	flag.IntVar(&count, "count", 1, "run N proxies: pod NAME-i, the i-th next IP (i ≥ 1)")
	flag.BoolVar(&delta, "delta", false, "Delta xDS (default: state of the world)")
	flag.StringVar(&control, "control", "", "serve the control API on this loopback address")
	flag.Var(&until, "until", "one-shot: wait until this condition holds (repeatable, see inspect.go)")
	flag.DurationVar(&timeout, "timeout", 60*time.Second, "one-shot: give up after this long")
	flag.StringVar(&dumpFile, "dump", "", "one-shot: write the received config as JSON to this file")
	flag.IntVar(&maxRecv, "max-recv-bytes", 256<<20, "largest xDS response accepted (unscoped CDS at 5,000 services is > 4 MiB)")
	flag.Parse()
	log.SetFlags(log.Lmicroseconds)

	var err error
	if id.Labels, err = parseKV("labels", labels); err != nil {
		fail(err)
	}
	if id.Meta, err = parseKV("meta", meta); err != nil {
		fail(err)
	}
	if id.IP == "" || id.Pod == "" || (id.Type != "sidecar" && id.Type != "router") || count < 1 {
		fail(fmt.Errorf("need --ip, --pod, --type sidecar|router and --count ≥ 1"))
	}
	var conds []condition
	for _, u := range until {
		c, err := parseCondition(u)
		if err != nil {
			fail(err)
		}
		conds = append(conds, c)
	}

	conn, err := grpc.NewClient(xdsAddr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxRecv)))
	if err != nil {
		fail(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var proxies []*proxyState
	for i := 0; i < count; i++ {
		rid, err := id.replica(i)
		if err != nil {
			fail(err)
		}
		node, err := rid.node()
		if err != nil {
			fail(err)
		}
		st := newProxyState(node.Id)
		proxies = append(proxies, st)
		go (&adsClient{conn: conn, node: node, delta: delta, state: st}).run(ctx)
	}

	if control != "" {
		serveControl(ctx, control, proxies)
		return
	}
	start := time.Now()
	report := map[string]any{}
	held := []map[string]any{}
	ok := true
	for _, c := range conds {
		at, good := proxies[0].wait(c, timeout-time.Since(start))
		entry := map[string]any{"condition": c.String(), "held": good}
		if good {
			entry["after_ms"] = float64(at.Sub(start).Microseconds()) / 1000
		}
		held = append(held, entry)
		ok = ok && good
	}
	if len(conds) == 0 {
		// Without conditions: the first complete config (clusters and listeners answered).
		_, ok = proxies[0].wait(condition{kind: "min", scope: "lds", arg: "1"}, timeout)
	}
	report["conditions"] = held
	var stats []proxyStats
	for _, p := range proxies {
		stats = append(stats, p.stats())
	}
	report["proxies"] = stats
	if dumpFile != "" {
		b, _ := json.MarshalIndent(proxies[0].dump(""), "", " ")
		if err := os.WriteFile(dumpFile, b, 0o644); err != nil {
			fail(err)
		}
	}
	b, _ := json.MarshalIndent(report, "", " ")
	fmt.Println(string(b))
	if !ok {
		os.Exit(1)
	}
}

func (c condition) String() string {
	if c.scope != "" {
		return c.kind + "@" + c.scope + ":" + c.arg
	}
	return c.kind + ":" + c.arg
}

func serveControl(ctx context.Context, addr string, proxies []*proxyState) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		fail(fmt.Errorf("--control %q: a loopback host:port is required", addr))
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fail(err)
	}
	pick := func(w http.ResponseWriter, r *http.Request) *proxyState {
		i, err := strconv.Atoi(r.URL.Query().Get("proxy"))
		if r.URL.Query().Get("proxy") == "" {
			i, err = 0, nil
		}
		if err != nil || i < 0 || i >= len(proxies) {
			http.Error(w, "proxy: an index below "+strconv.Itoa(len(proxies))+" expected", http.StatusBadRequest)
			return nil
		}
		return proxies[i]
	}
	reply := func(w http.ResponseWriter, code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/ready", func(w http.ResponseWriter, r *http.Request) {
		for _, p := range proxies {
			st := p.stats()
			if !st.Connected || st.Types["lds"].Responses == 0 || st.Types["cds"].Responses == 0 {
				http.Error(w, "not ready: "+st.ID+" "+st.Error, http.StatusServiceUnavailable)
				return
			}
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		var out []proxyStats
		for _, p := range proxies {
			out = append(out, p.stats())
		}
		reply(w, 200, map[string]any{"proxies": out})
	})
	mux.HandleFunc("/config", func(w http.ResponseWriter, r *http.Request) {
		if p := pick(w, r); p != nil {
			reply(w, 200, p.dump(r.URL.Query().Get("type")))
		}
	})
	mux.HandleFunc("/chains", func(w http.ResponseWriter, r *http.Request) {
		if p := pick(w, r); p != nil {
			p.mu.Lock()
			chains := httpChainsLocked(p)
			p.mu.Unlock()
			reply(w, 200, chains)
		}
	})
	mux.HandleFunc("/wait", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		targets := proxies
		if q.Get("proxy") != "all" {
			p := pick(w, r)
			if p == nil {
				return
			}
			targets = []*proxyState{p}
		}
		ms, err := strconv.Atoi(q.Get("timeout_ms"))
		if err != nil || ms <= 0 || ms > 600000 {
			http.Error(w, "timeout_ms: 1..600000 expected", http.StatusBadRequest)
			return
		}
		var conds []condition
		for _, s := range q["cond"] {
			c, err := parseCondition(s)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			conds = append(conds, c)
		}
		start := time.Now()
		deadline := start.Add(time.Duration(ms) * time.Millisecond)
		var last time.Time
		for _, p := range targets {
			for _, c := range conds {
				at, ok := p.wait(c, time.Until(deadline))
				if !ok {
					reply(w, http.StatusRequestTimeout, map[string]any{"ok": false, "proxy": p.id, "condition": c.String()})
					return
				}
				if at.After(last) {
					last = at
				}
			}
		}
		reply(w, 200, map[string]any{"ok": true, "elapsed_ms": float64(time.Since(start).Microseconds()) / 1000,
			"satisfied_unix_ns": last.UnixNano()})
	})
	fmt.Printf("control=%d\n", ln.Addr().(*net.TCPAddr).Port)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	_ = srv.Close()
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "xds-probe:", err)
	os.Exit(2)
}

// The bridge between the plugin and the target (identical in v2/ and v4/).
//
// Given an address, the plugin sends every request to
// ADDR/api/v1/namespaces/default/..., without a token and without
// checking certificates. The adapter gives each registry the address
// http://127.0.0.1:PORT/t/TID (a watch's registry .../t/TID/w/WID); this
// proxy forwards to target.server, with /namespaces/default/ rewritten to
// target.namespace and with what the plugin's in-cluster mode would send:
// "Authorization: Bearer <token>" and TLS verified against caFile (or not
// at all with insecure). Everything else (method, query, body, headers,
// status, streamed watch lines) passes through unchanged.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// upstream is one target's server, namespace and credentials.
type upstream struct {
	base      *url.URL
	namespace string
	token     string
	client    *http.Client
}

type proxy struct {
	addr string // http://127.0.0.1:PORT

	mu        sync.Mutex
	upstreams map[string]*upstream          // by TID
	watches   map[string]context.Context    // by TID/WID
	cancels   map[string]context.CancelFunc // by TID/WID
	active    map[string]*sync.WaitGroup    // open requests by TID/WID
}

func newProxy() (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{
		addr:      "http://" + ln.Addr().String(),
		upstreams: map[string]*upstream{},
		watches:   map[string]context.Context{},
		cancels:   map[string]context.CancelFunc{},
		active:    map[string]*sync.WaitGroup{},
	}
	go func() {
		srv := &http.Server{Handler: p}
		_ = srv.Serve(ln)
	}()
	return p, nil
}

// addUpstream makes the client for a target; "" when it cannot.
func (p *proxy) addUpstream(tid string, t *target) error {
	base, err := url.Parse(strings.TrimRight(t.Server, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return fmt.Errorf("bad server URL %q", t.Server)
	}
	tlsConf := &tls.Config{InsecureSkipVerify: t.Insecure}
	if t.CaFile != nil && *t.CaFile != "" && !t.Insecure {
		pem, err := os.ReadFile(*t.CaFile)
		if err != nil {
			return fmt.Errorf("reading caFile: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("caFile %s: no certificate", *t.CaFile)
		}
		tlsConf.RootCAs = pool
	}
	tr := &http.Transport{
		DialContext: (&net.Dialer{
			Timeout: 3 * time.Second, KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSClientConfig:     tlsConf,
		TLSHandshakeTimeout: 5 * time.Second,
		DisableCompression:  true,
		MaxIdleConnsPerHost: 8,
	}
	u := &upstream{base: base, namespace: t.Namespace,
		client: &http.Client{Transport: tr}}
	if t.Token != nil {
		u.token = *t.Token
	}
	p.mu.Lock()
	p.upstreams[tid] = u
	p.mu.Unlock()
	return nil
}

// addWatch makes a context for the streams of one watch's registry.
func (p *proxy) addWatch(key string) {
	ctx, cancel := context.WithCancel(context.Background())
	p.mu.Lock()
	p.watches[key], p.cancels[key] = ctx, cancel
	p.active[key] = &sync.WaitGroup{}
	p.mu.Unlock()
}

// endWatch cuts the streams of a watch's registry and waits (bounded)
// until their handlers have returned, so that the plugin reads the end
// of its stream before it is stopped.
func (p *proxy) endWatch(key string) {
	p.mu.Lock()
	cancel, wg := p.cancels[key], p.active[key]
	delete(p.watches, key)
	delete(p.cancels, key)
	delete(p.active, key)
	p.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		time.Sleep(20 * time.Millisecond) // let the plugin read the EOF
	case <-time.After(time.Second):
	}
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// /t/TID[/w/WID]/api/...
	rest := strings.TrimPrefix(r.URL.Path, "/t/")
	i := strings.IndexByte(rest, '/')
	if !strings.HasPrefix(r.URL.Path, "/t/") || i < 0 {
		http.Error(w, "kreg-adapter proxy: no target in path", http.StatusBadGateway)
		return
	}
	tid, rest := rest[:i], rest[i:]
	key := ""
	ctx := r.Context()
	var wg *sync.WaitGroup
	if strings.HasPrefix(rest, "/w/") {
		j := strings.IndexByte(rest[3:], '/')
		if j < 0 {
			http.Error(w, "kreg-adapter proxy: bad watch path", http.StatusBadGateway)
			return
		}
		key = tid + "/" + rest[3:3+j]
		rest = rest[3+j:]
	}
	p.mu.Lock()
	u := p.upstreams[tid]
	if key != "" {
		wctx, ok := p.watches[key]
		if !ok {
			p.mu.Unlock()
			http.Error(w, "kreg-adapter proxy: watch stopped", http.StatusBadGateway)
			return
		}
		wg = p.active[key]
		wg.Add(1)
		defer wg.Done()
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		stop := context.AfterFunc(wctx, cancel)
		defer stop()
	}
	p.mu.Unlock()
	if u == nil {
		http.Error(w, "kreg-adapter proxy: unknown target", http.StatusBadGateway)
		return
	}

	const def = "/api/v1/namespaces/default/"
	if strings.HasPrefix(rest, def) {
		rest = "/api/v1/namespaces/" + url.PathEscape(u.namespace) + "/" +
			rest[len(def):]
	}
	out := *u.base
	out.Path = strings.TrimRight(u.base.Path, "/") + rest
	out.RawPath = ""
	out.RawQuery = r.URL.RawQuery
	req, err := http.NewRequestWithContext(ctx, r.Method, out.String(), r.Body)
	if err != nil {
		http.Error(w, "kreg-adapter proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	req.ContentLength = r.ContentLength
	for k, vs := range r.Header {
		switch k {
		case "Connection", "Keep-Alive", "Te", "Trailer", "Upgrade",
			"Proxy-Connection", "Transfer-Encoding":
			continue
		}
		req.Header[k] = vs
	}
	if u.token != "" {
		req.Header.Set("Authorization", "Bearer "+u.token)
	}
	res, err := u.client.Do(req)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kreg-adapter proxy: %s %s: %v\n",
			r.Method, out.String(), err)
		http.Error(w, "kreg-adapter proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer res.Body.Close()
	for k, vs := range res.Header {
		switch k {
		case "Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length":
			continue
		}
		w.Header()[k] = vs
	}
	w.WriteHeader(res.StatusCode)
	fl, _ := w.(http.Flusher)
	if fl != nil {
		fl.Flush()
	}
	buf := make([]byte, 32*1024)
	for {
		n, err := res.Body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
		}
		if err != nil {
			if err != io.EOF {
				// the stream was cut: end the response abruptly
				panic(http.ErrAbortHandler)
			}
			return
		}
	}
}

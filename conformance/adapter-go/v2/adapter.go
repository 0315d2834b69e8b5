// The protocol loop (identical in v2/ and v4/; main.go holds what differs).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"
)

type target struct {
	Server     string  `json:"server"`
	Namespace  string  `json:"namespace"`
	Pod        string  `json:"pod"`
	Token      *string `json:"token"`
	CaFile     *string `json:"caFile"`
	Kubeconfig *string `json:"kubeconfig"`
	Context    *string `json:"context"`
	Insecure   bool    `json:"insecure"`
}

type request struct {
	ID        json.RawMessage `json:"id"`
	Op        *string         `json:"op"`
	Target    *target         `json:"target"`
	Service   json.RawMessage `json:"service"`
	Name      *string         `json:"name"`
	Watch     *int64          `json:"watch"`
	TimeoutMs json.RawMessage `json:"timeoutMs"`
}

type errBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type answer struct {
	ID       json.RawMessage  `json:"id"`
	OK       bool             `json:"ok"`
	Name     string           `json:"name,omitempty"`
	Services *[]*service      `json:"services,omitempty"`
	Watch    int64            `json:"watch,omitempty"`
	Event    *json.RawMessage `json:"event,omitempty"`
	Error    *errBody         `json:"error,omitempty"`
}

type event struct {
	Action  string   `json:"action"`
	Service *service `json:"service"`
}

// watchH is one watch: the plugin's watcher, drained by a goroutine into
// a queue so that the plugin never blocks on a send.
type watchH struct {
	key string
	w   watcher

	mu     sync.Mutex
	queue  []event
	err    error
	notify chan struct{}
}

type adapter struct {
	px      *proxy
	targets map[string]string // target JSON -> TID
	plugins map[string]plugin // TID -> registry
	watches map[int64]*watchH
	nextTID int
	nextWID int64
}

func opError(code, format string, a ...any) *errBody {
	return &errBody{Code: code, Message: fmt.Sprintf(format, a...)}
}

func errOf(err error) *errBody {
	if isNotFound(err) {
		return &errBody{Code: "not_found", Message: err.Error()}
	}
	return &errBody{Code: "error", Message: err.Error()}
}

// tid: the proxy route for a target, made on first use.
func (a *adapter) tid(t *target) (string, error) {
	k, _ := json.Marshal(t)
	if id, ok := a.targets[string(k)]; ok {
		return id, nil
	}
	a.nextTID++
	id := strconv.Itoa(a.nextTID)
	if err := a.px.addUpstream(id, t); err != nil {
		return "", err
	}
	a.targets[string(k)] = id
	return id, nil
}

func (a *adapter) pluginFor(t *target) (plugin, error) {
	id, err := a.tid(t)
	if err != nil {
		return plugin{}, err
	}
	p, ok := a.plugins[id]
	if !ok {
		p = newPlugin(a.px.addr + "/t/" + id)
		a.plugins[id] = p
	}
	return p, nil
}

func (a *adapter) serve(req *request, ans *answer) {
	op := *req.Op
	switch op {
	case "hello", "register", "deregister", "get", "list", "watch",
		"watch_next", "watch_stop", "shutdown":
	default:
		ans.Error = opError("error", "unknown op %q", op)
		return
	}
	needTarget := op != "hello" && op != "watch_next" && op != "watch_stop" &&
		op != "shutdown"
	if needTarget && req.Target == nil {
		ans.Error = opError("error", "%s: no target", op)
		return
	}
	switch op {
	case "hello":
		ans.Name = helloName()
	case "register", "deregister":
		var s service
		if len(req.Service) == 0 {
			ans.Error = opError("error", "%s: no service", op)
			return
		}
		if err := json.Unmarshal(req.Service, &s); err != nil {
			ans.Error = opError("error", "%s: service: %v", op, err)
			return
		}
		p, err := a.pluginFor(req.Target)
		if err != nil {
			ans.Error = errOf(err)
			return
		}
		os.Setenv("HOSTNAME", req.Target.Pod)
		if op == "register" {
			err = p.register(&s)
		} else {
			err = p.deregister(&s)
		}
		if err != nil {
			ans.Error = errOf(err)
		}
	case "get", "list":
		p, err := a.pluginFor(req.Target)
		if err != nil {
			ans.Error = errOf(err)
			return
		}
		var svcs []*service
		if op == "get" {
			if req.Name == nil {
				ans.Error = opError("error", "get: no name")
				return
			}
			svcs, err = p.get(*req.Name)
		} else {
			svcs, err = p.list()
		}
		if err != nil {
			ans.Error = errOf(err)
			return
		}
		if svcs == nil {
			svcs = []*service{}
		}
		ans.Services = &svcs
	case "watch":
		a.watch(req, ans)
	case "watch_next":
		a.watchNext(req, ans)
	case "watch_stop":
		if req.Watch == nil || a.watches[*req.Watch] == nil {
			ans.Error = opError("error", "watch_stop: no such watch")
			return
		}
		h := a.watches[*req.Watch]
		delete(a.watches, *req.Watch)
		// Cut the plugin's stream first: stopping a watcher while an
		// event is in flight can panic in the plugin's goroutines.
		a.px.endWatch(h.key)
		h.w.Stop()
	case "shutdown":
	default:
		ans.Error = opError("error", "unknown op %q", op)
	}
}

func (a *adapter) watch(req *request, ans *answer) {
	id, err := a.tid(req.Target)
	if err != nil {
		ans.Error = errOf(err)
		return
	}
	a.nextWID++
	wid := a.nextWID
	key := id + "/" + strconv.FormatInt(wid, 10)
	a.px.addWatch(key)
	settle := watchSettle()
	// a registry of its own, so that its streams can be told apart
	p := newPlugin(a.px.addr + "/t/" + id + "/w/" + strconv.FormatInt(wid, 10))
	w, err := p.watch(req.Name)
	if err != nil {
		a.px.endWatch(key)
		ans.Error = errOf(err)
		return
	}
	h := &watchH{key: key, w: w, notify: make(chan struct{}, 1)}
	a.watches[wid] = h
	go h.pump()
	if settle > 0 {
		time.Sleep(settle)
	}
	ans.Watch = wid
}

// watchSettle: KREG_ADAPTER_WATCH_SETTLE_MS, a diagnostic: wait that
// long after starting a watch before answering, to look past v1-v3's
// dropped first second (never set by the suite's runs).
func watchSettle() time.Duration {
	ms, err := strconv.Atoi(os.Getenv("KREG_ADAPTER_WATCH_SETTLE_MS"))
	if err != nil || ms <= 0 {
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}

func (h *watchH) pump() {
	for {
		r, err := h.next()
		h.mu.Lock()
		if err != nil {
			h.err = err
		} else if r != nil {
			act, s := resultOf(r)
			h.queue = append(h.queue, event{Action: act, Service: s})
		}
		h.mu.Unlock()
		select {
		case h.notify <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

func (h *watchH) next() (r resultT, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic in Next: %v", v)
		}
	}()
	return h.w.Next()
}

func (a *adapter) watchNext(req *request, ans *answer) {
	if req.Watch == nil || a.watches[*req.Watch] == nil {
		ans.Error = opError("error", "watch_next: no such watch")
		return
	}
	h := a.watches[*req.Watch]
	var ms float64
	if len(req.TimeoutMs) > 0 {
		_ = json.Unmarshal(req.TimeoutMs, &ms)
	}
	deadline := time.Now().Add(time.Duration(ms * float64(time.Millisecond)))
	for {
		h.mu.Lock()
		if len(h.queue) > 0 {
			ev := h.queue[0]
			h.queue = h.queue[1:]
			h.mu.Unlock()
			b, err := json.Marshal(ev)
			if err != nil {
				ans.Error = opError("error", "encoding event: %v", err)
				return
			}
			raw := json.RawMessage(b)
			ans.Event = &raw
			return
		}
		err := h.err
		h.mu.Unlock()
		if err != nil {
			ans.Error = errOf(err)
			return
		}
		left := time.Until(deadline)
		if left <= 0 {
			raw := json.RawMessage("null")
			ans.Event = &raw
			return
		}
		t := time.NewTimer(left)
		select {
		case <-h.notify:
		case <-t.C:
		}
		t.Stop()
	}
}

// handle answers one request line, recovering a panic in the plugin.
func (a *adapter) handle(line []byte) (ans answer, quit bool) {
	ans.ID = json.RawMessage("null")
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		// keep the id when only other members are wrong
		var probe struct {
			ID json.RawMessage `json:"id"`
		}
		if json.Unmarshal(line, &probe) == nil && isInt(probe.ID) {
			ans.ID = probe.ID
		}
		ans.Error = opError("error", "bad request: %v", err)
		return ans, false
	}
	if !isInt(req.ID) {
		ans.Error = opError("error", "bad request: no integer id")
		return ans, false
	}
	ans.ID = req.ID
	if req.Op == nil {
		ans.Error = opError("error", "bad request: no op")
		return ans, false
	}
	func() {
		defer func() {
			if v := recover(); v != nil {
				fmt.Fprintf(os.Stderr, "kreg-adapter-go: panic in %s: %v\n%s",
					*req.Op, v, debug.Stack())
				ans.Error = opError("error", "panic in %s: %v", *req.Op, v)
				ans.Name, ans.Services, ans.Watch, ans.Event = "", nil, 0, nil
			}
		}()
		a.serve(&req, &ans)
	}()
	ans.OK = ans.Error == nil
	return ans, *req.Op == "shutdown"
}

func isInt(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return false
	}
	_, err := strconv.ParseInt(string(raw), 10, 64)
	return err == nil
}

func helloName() string {
	name := adapterName
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == pluginPath {
				name += " " + d.Version
			}
		}
		for _, d := range bi.Deps {
			if d.Path == microPath {
				name += " (go-micro " + d.Version + ")"
			}
		}
	}
	return name
}

func main() {
	// The protocol owns standard output: keep it on a descriptor of our
	// own and send anything else written to fd 1 to standard error.
	fd, err := syscall.Dup(1)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dup:", err)
		os.Exit(1)
	}
	if err := syscall.Dup3(2, 1, 0); err != nil {
		fmt.Fprintln(os.Stderr, "dup3:", err)
		os.Exit(1)
	}
	out := bufio.NewWriter(os.NewFile(uintptr(fd), "protocol-out"))
	px, err := newProxy()
	if err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		os.Exit(1)
	}
	a := &adapter{px: px, targets: map[string]string{},
		plugins: map[string]plugin{}, watches: map[int64]*watchH{}}
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	for {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			ans, quit := a.handle(line)
			b, merr := json.Marshal(ans)
			if merr != nil {
				b, _ = json.Marshal(answer{ID: ans.ID,
					Error: opError("error", "encoding answer: %v", merr)})
			}
			out.Write(b)
			out.WriteByte('\n')
			out.Flush()
			if quit {
				os.Exit(0)
			}
		}
		if err == io.EOF {
			os.Exit(0)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "stdin:", err)
			os.Exit(1)
		}
	}
}

// Command informer runs a client-go shared informer on pods with a label
// selector, in a fresh namespace of its own, through a fixed scenario and
// writes what its handlers saw, normalised, so that the same run against
// fakeapi and against kube-apiserver can be compared line by line.
//
//	informer -kubeconfig FILE [-context NAME] -out FILE [-stream-end auto|server|client]
//
// WatchList is client-go's feature gate WatchListClient, read once from the
// environment variable KUBE_FEATURE_WatchListClient (strconv.ParseBool; on
// by default in v0.37.2). The header says which mode ran.
//
// The output: lines starting with '#' describe the run (server, mode, how
// a stream was ended) and are not compared; every other line is compared.
// Each step lists the list/watch requests the reflector made during it and
// the handler calls (add, update, delete with name, labels, phase, whether
// terminating, finalizers; no uid, resourceVersion or time). Steps whose
// order the informer does not define (a list replaced at once) are sorted.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	clientfeatures "k8s.io/client-go/features"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
)

const (
	selector   = "app=web"
	barrierKey = "kreg.io/barrier"
	sentinel   = "sentinel"
)

var stepTimeout = 60 * time.Second

// ---- normalised objects and handler calls ---------------------------------

func podState(p *corev1.Pod) string {
	var keys []string
	for k := range p.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var lb []string
	for _, k := range keys {
		lb = append(lb, k+"="+p.Labels[k])
	}
	s := fmt.Sprintf("%s labels={%s} phase=%s", p.Name, strings.Join(lb, ","), p.Status.Phase)
	if p.DeletionTimestamp != nil {
		s += " terminating"
	}
	if len(p.Finalizers) > 0 {
		s += " finalizers=" + strings.Join(p.Finalizers, ",")
	}
	return s
}

type call struct {
	line    string
	barrier string // sentinel's barrier annotation in the new object
}

type recorder struct {
	mu      sync.Mutex
	calls   []call
	changed chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) add(c call) {
	r.mu.Lock()
	r.calls = append(r.calls, c)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// waitFor waits until pred holds over the calls seen so far.
func (r *recorder) waitFor(ctx context.Context, what string, pred func([]call) bool) error {
	for {
		r.mu.Lock()
		ok := pred(r.calls)
		ch := r.changed
		r.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		}
	}
}

func barrierOf(p *corev1.Pod) string {
	if p.Name != sentinel {
		return ""
	}
	return p.Annotations[barrierKey]
}

func asPod(obj interface{}) (*corev1.Pod, bool) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return o, false
	case cache.DeletedFinalStateUnknown:
		p, _ := o.Obj.(*corev1.Pod)
		return p, true
	}
	return nil, false
}

func (r *recorder) handlers() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			p, _ := asPod(obj)
			r.add(call{line: "add " + podState(p), barrier: barrierOf(p)})
		},
		UpdateFunc: func(oldObj, newObj interface{}) {
			o, _ := asPod(oldObj)
			n, _ := asPod(newObj)
			line := "update " + podState(n)
			if ps, ns := podState(o), podState(n); ps != ns {
				line += " (was " + strings.TrimPrefix(ps, o.Name+" ") + ")"
			} else {
				line += " (unchanged)"
			}
			r.add(call{line: line, barrier: barrierOf(n)})
		},
		DeleteFunc: func(obj interface{}) {
			p, tomb := asPod(obj)
			line := "delete " + podState(p)
			if tomb {
				line += " (final state unknown)"
			}
			r.add(call{line: line})
		},
	}
}

// ---- the informer's list and watch, with a gate for stream ends -----------

// lw lists and watches the namespace's pods with the selector, as
// cache.NewFilteredListWatchFromClient would, and lets the scenario hold
// the reflector's next request until it has made its writes (arm, then
// release), end the current stream from the client side (cut), and refuse
// the next plain watch with a client-side error, which is how a dropped
// reconnect looks to the reflector: it then lists again.
type lw struct {
	client kubernetes.Interface
	ns     string

	mu        sync.Mutex
	gate      chan struct{}
	failWatch bool
	cur       *cutWatch
	requests  []string
	streams   int           // watch streams opened so far
	opened    chan struct{} // closed and replaced when one opens
}

func newLW(client kubernetes.Interface, ns string) *lw {
	return &lw{client: client, ns: ns, opened: make(chan struct{})}
}

func (l *lw) streamCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.streams
}

// waitStream waits until more than n watch streams have been opened: the
// reflector has then applied its list (or, with WatchList, opened the
// stream that carries it), so later writes reach it as watch events.
func (l *lw) waitStream(ctx context.Context, n int) error {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	for {
		l.mu.Lock()
		got, ch := l.streams, l.opened
		l.mu.Unlock()
		if got > n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for the reflector's next watch: %w", ctx.Err())
		}
	}
}

func (l *lw) note(s string) {
	l.mu.Lock()
	l.requests = append(l.requests, s)
	l.mu.Unlock()
}

func (l *lw) takeRequests() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.requests
	l.requests = nil
	return r
}

func (l *lw) wait(ctx context.Context) {
	l.mu.Lock()
	g := l.gate
	l.mu.Unlock()
	if g != nil {
		select {
		case <-g:
		case <-ctx.Done():
		}
	}
}

func (l *lw) arm(failWatch bool) {
	l.mu.Lock()
	l.gate = make(chan struct{})
	l.failWatch = failWatch
	l.mu.Unlock()
}

func (l *lw) release() {
	l.mu.Lock()
	if l.gate != nil {
		close(l.gate)
		l.gate = nil
	}
	l.mu.Unlock()
}

func (l *lw) current() *cutWatch {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cur
}

func rvKind(rv string) string {
	switch rv {
	case "":
		return `""`
	case "0":
		return `"0"`
	}
	return "last-seen"
}

func errWord(err error) string {
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		s := st.Status()
		return fmt.Sprintf("%d %s", s.Code, s.Reason)
	}
	return err.Error()
}

func (l *lw) List(o metav1.ListOptions) (runtime.Object, error) {
	return l.ListWithContext(context.Background(), o)
}

func (l *lw) Watch(o metav1.ListOptions) (watch.Interface, error) {
	return l.WatchWithContext(context.Background(), o)
}

func (l *lw) ListWithContext(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
	l.wait(ctx)
	l.mu.Lock()
	l.failWatch = false // a re-list is under way already
	l.mu.Unlock()
	o.LabelSelector = selector
	res, err := l.client.CoreV1().Pods(l.ns).List(ctx, o)
	if err != nil {
		l.note(fmt.Sprintf("list rv=%s -> %s", rvKind(o.ResourceVersion), errWord(err)))
		return nil, err
	}
	l.note(fmt.Sprintf("list rv=%s -> %d items", rvKind(o.ResourceVersion), len(res.Items)))
	return res, nil
}

func (l *lw) WatchWithContext(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
	l.wait(ctx)
	wl := o.SendInitialEvents != nil && *o.SendInitialEvents
	kind := "watch"
	if wl {
		kind = "watch-list"
	}
	l.mu.Lock()
	fail := l.failWatch && !wl
	l.failWatch = false
	l.mu.Unlock()
	if fail {
		l.note(fmt.Sprintf("%s rv=%s -> refused by the client (forced re-list)", kind, rvKind(o.ResourceVersion)))
		return nil, errors.New("kreg informer test: reconnect refused by the client to force a re-list")
	}
	o.LabelSelector = selector
	w, err := l.client.CoreV1().Pods(l.ns).Watch(ctx, o)
	if err != nil {
		l.note(fmt.Sprintf("%s rv=%s -> %s", kind, rvKind(o.ResourceVersion), errWord(err)))
		return nil, err
	}
	l.note(fmt.Sprintf("%s rv=%s -> stream", kind, rvKind(o.ResourceVersion)))
	c := newCutWatch(w)
	l.mu.Lock()
	l.cur = c
	l.streams++
	close(l.opened)
	l.opened = make(chan struct{})
	l.mu.Unlock()
	return c, nil
}

type cutWatch struct {
	inner watch.Interface
	out   chan watch.Event
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

func newCutWatch(inner watch.Interface) *cutWatch {
	c := &cutWatch{inner: inner, out: make(chan watch.Event),
		stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *cutWatch) run() {
	defer close(c.done)
	defer close(c.out)
	defer c.inner.Stop()
	for {
		select {
		case <-c.stop:
			return
		case e, ok := <-c.inner.ResultChan():
			if !ok {
				return
			}
			select {
			case c.out <- e:
			case <-c.stop:
				return
			}
		}
	}
}

func (c *cutWatch) Stop()                          { c.once.Do(func() { close(c.stop) }) }
func (c *cutWatch) ResultChan() <-chan watch.Event { return c.out }

// ---- the scenario ----------------------------------------------------------

type run struct {
	ctx      context.Context
	client   kubernetes.Interface
	ns       string
	rec      *recorder
	lw       *lw
	inf      cache.SharedIndexInformer
	out      []string
	next     int // first call not yet given to a step
	barriers int
	fakeURL  string // fakeapi's base URL when the server is fakeapi
}

func (r *run) pod(name, app string, finalizer bool) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": app}},
		Spec: corev1.PodSpec{
			SchedulingGates:               []corev1.PodSchedulingGate{{Name: "kreg.io/hold"}},
			TerminationGracePeriodSeconds: ptr.To(int64(0)),
			Containers:                    []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10"}},
		},
	}
	if finalizer {
		p.Finalizers = []string{"kreg.io/hold"}
	}
	return p
}

func (r *run) must(err error, what string) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "informer: %s: %v\n", what, err)
		panic(errAbort)
	}
}

var errAbort = errors.New("abort")

func (r *run) create(name, app string, finalizer bool) {
	_, err := r.client.CoreV1().Pods(r.ns).Create(r.ctx, r.pod(name, app, finalizer), metav1.CreateOptions{})
	r.must(err, "create pod "+name)
}

func (r *run) patch(name, body string, sub ...string) {
	_, err := r.client.CoreV1().Pods(r.ns).Patch(r.ctx, name, types.MergePatchType, []byte(body), metav1.PatchOptions{}, sub...)
	r.must(err, "patch pod "+name+" "+strings.Join(sub, "")+" "+body)
}

func (r *run) relabel(name, app string) {
	r.patch(name, fmt.Sprintf(`{"metadata":{"labels":{"app":%q}}}`, app))
}

func (r *run) phase(name, phase string) {
	r.patch(name, fmt.Sprintf(`{"status":{"phase":%q}}`, phase), "status")
}

func (r *run) del(name string) {
	err := r.client.CoreV1().Pods(r.ns).Delete(r.ctx, name, metav1.DeleteOptions{})
	r.must(err, "delete pod "+name)
}

// step ends a step: it bumps the sentinel's barrier annotation, waits for
// the informer's update that carries it (handler calls arrive in the
// server's order, so every call the step's writes cause came before it),
// and writes the step's calls and requests.
func (r *run) step(name string, ordered bool) {
	r.barriers++
	token := fmt.Sprintf("%d", r.barriers)
	r.patch(sentinel, fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, barrierKey, token))
	ctx, cancel := context.WithTimeout(r.ctx, stepTimeout)
	defer cancel()
	idx := -1
	err := r.rec.waitFor(ctx, "the barrier of step "+name, func(cs []call) bool {
		for i := r.next; i < len(cs); i++ {
			if cs[i].barrier == token && strings.HasPrefix(cs[i].line, "update ") {
				idx = i
				return true
			}
		}
		return false
	})
	r.must(err, "step "+name)
	r.rec.mu.Lock()
	var lines []string
	for _, c := range r.rec.calls[r.next:idx] {
		lines = append(lines, c.line)
	}
	r.rec.mu.Unlock()
	r.next = idx + 1
	r.emit(name, ordered, lines)
}

func (r *run) emit(name string, ordered bool, lines []string) {
	if ordered {
		r.out = append(r.out, "step "+name)
	} else {
		r.out = append(r.out, "step "+name+" (calls sorted: their order is not defined)")
		sort.Strings(lines)
	}
	for _, q := range r.lw.takeRequests() {
		r.out = append(r.out, "  request "+q)
	}
	if len(lines) == 0 {
		r.out = append(r.out, "  (no handler call)")
	}
	for _, l := range lines {
		r.out = append(r.out, "  "+l)
	}
}

// waitStreamEnd waits until the watch the reflector holds now has ended.
func (r *run) waitStreamEnd(c *cutWatch) {
	if c == nil {
		r.must(errors.New("no watch stream open"), "stream end")
	}
	ctx, cancel := context.WithTimeout(r.ctx, stepTimeout)
	defer cancel()
	select {
	case <-c.done:
	case <-ctx.Done():
		r.must(errors.New("the watch stream did not end"), "stream end")
	}
}

func (r *run) scenario(streamEnd string) {
	// before the informer starts: a matching pod, another one, the sentinel
	r.create(sentinel, "web", false)
	r.create("pre-match", "web", false)
	r.create("pre-other", "db", false)

	stop := make(chan struct{})
	defer close(stop)
	go r.inf.Run(stop)
	ctx, cancel := context.WithTimeout(r.ctx, stepTimeout)
	synced := cache.WaitForCacheSync(ctx.Done(), r.inf.HasSynced)
	cancel()
	if !synced {
		r.must(errors.New("cache.WaitForCacheSync failed"), "initial sync")
	}
	r.must(r.lw.waitStream(r.ctx, 0), "initial sync")
	r.rec.mu.Lock()
	var initial []string
	for _, c := range r.rec.calls {
		initial = append(initial, c.line)
	}
	r.next = len(r.rec.calls)
	r.rec.mu.Unlock()
	r.emit("initial-sync", false, initial)

	r.create("m1", "web", false)
	r.step("create-matching", true)
	r.create("n1", "db", false)
	r.step("create-non-matching", true)
	r.relabel("n1", "web")
	r.step("label-into-selector", true)
	r.relabel("m1", "db")
	r.step("label-out-of-selector", true)
	r.phase("n1", "Running")
	r.step("phase-running", true)
	r.phase("m1", "Running")
	r.step("phase-of-non-matching", true)
	r.relabel("m1", "web")
	r.step("label-back-into-selector", true)
	r.del("n1")
	r.step("delete", true)
	r.create("f1", "web", true)
	r.step("create-with-finalizer", true)
	r.del("f1")
	r.step("delete-with-finalizer-terminating", true)
	r.patch("f1", `{"metadata":{"finalizers":null}}`)
	r.step("finalizer-removed-gone", true)

	// the stream ends; writes made before the reflector reconnects come
	// through the resumed watch (from the last resourceVersion it saw)
	r.lw.arm(false)
	c := r.lw.current()
	n := r.lw.streamCount()
	if streamEnd == "server" {
		resp, err := r.client.CoreV1().RESTClient().Post().AbsPath("/fakeapi/v1/close-watches").DoRaw(r.ctx)
		r.must(err, "POST /fakeapi/v1/close-watches "+string(resp))
	} else {
		c.Stop()
	}
	r.waitStreamEnd(c)
	r.create("m2", "web", false)
	r.relabel("pre-other", "web")
	r.del("pre-match")
	r.phase("m1", "Succeeded")
	r.lw.release()
	r.must(r.lw.waitStream(r.ctx, n), "resume")
	r.step("stream-ended-resume", true)

	// a forced re-list: the stream is cut and the reconnect refused by the
	// client; the writes made meanwhile reach the informer through the
	// servers' answer to the re-list
	r.lw.arm(true)
	c = r.lw.current()
	n = r.lw.streamCount()
	c.Stop()
	r.waitStreamEnd(c)
	r.create("m3", "web", false)
	r.del("m2")
	r.relabel("pre-other", "db")
	r.phase("m1", "Failed")
	r.create("n3", "db", false)
	r.lw.release()
	r.must(r.lw.waitStream(r.ctx, n), "re-list")
	r.step("forced-relist", false)

	r.create("m4", "web", false)
	r.step("after-relist", true)

	var store []string
	for _, o := range r.inf.GetStore().List() {
		p := o.(*corev1.Pod)
		store = append(store, "  "+podState(p))
	}
	sort.Strings(store)
	r.out = append(r.out, "final store")
	r.out = append(r.out, store...)
}

// ---- namespace -------------------------------------------------------------

// waitDefaultSA waits for the namespace's default ServiceAccount, which a
// real server's admission needs before it takes pods. A server that serves
// no ServiceAccounts (fakeapi answers 404 for the resource) needs none.
func waitDefaultSA(ctx context.Context, c kubernetes.Interface, ns string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	sel := fields.OneTermEqualSelector("metadata.name", "default").String()
	list, err := c.CoreV1().ServiceAccounts(ns).List(ctx, metav1.ListOptions{FieldSelector: sel})
	if apierrors.IsNotFound(err) {
		return "not served (404): not waited for", nil
	}
	if err != nil {
		return "", err
	}
	if len(list.Items) > 0 {
		return "present", nil
	}
	w, err := c.CoreV1().ServiceAccounts(ns).Watch(ctx, metav1.ListOptions{FieldSelector: sel, ResourceVersion: list.ResourceVersion})
	if err != nil {
		return "", err
	}
	defer w.Stop()
	for {
		select {
		case e, ok := <-w.ResultChan():
			if !ok {
				return "", errors.New("the ServiceAccount watch ended")
			}
			if e.Type == watch.Added || e.Type == watch.Modified {
				return "appeared", nil
			}
		case <-ctx.Done():
			return "", fmt.Errorf("the default ServiceAccount of %s: %w", ns, ctx.Err())
		}
	}
}

// deleteNamespace deletes it and waits (bounded) until it is gone: GETs
// with client-go's backoff poll until 404 (fakeapi serves no namespace
// watch; known-differences.md, namespace-verbs).
func deleteNamespace(c kubernetes.Interface, ns string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	if err := c.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	err := wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		_, err := c.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	if err != nil {
		return fmt.Errorf("namespace %s not gone: %w", ns, err)
	}
	return nil
}

// ---- main ------------------------------------------------------------------

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig file")
	kctx := flag.String("context", "", "kubeconfig context (default: its current one)")
	out := flag.String("out", "", "write the record here (default: stdout)")
	protobuf := flag.Bool("protobuf", false, "send and accept protobuf as client-go's typed clients do by default (without it: JSON, which fakeapi reads for pods)")
	streamEnd := flag.String("stream-end", "auto", "how the watch stream is ended in the resume step: server (fakeapi's POST /fakeapi/v1/close-watches), client, or auto (server on fakeapi)")
	flag.Parse()
	os.Exit(mainRun(*kubeconfig, *kctx, *out, *streamEnd, *protobuf))
}

func mainRun(kubeconfig, kctx, outPath, streamEnd string, protobuf bool) (code int) {
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: kctx}).ClientConfig()
	if err != nil {
		fmt.Fprintf(os.Stderr, "informer: kubeconfig: %v\n", err)
		return 2
	}
	cfg.UserAgent = "kreg-informer-fidelity"
	wire := "protobuf (client-go's default for typed clients)"
	if !protobuf {
		// client-go's typed clients send protobuf bodies unless told
		// otherwise; fakeapi reads JSON pod bodies only (415 otherwise)
		cfg.ContentType = "application/json"
		cfg.AcceptContentTypes = "application/json"
		wire = "JSON"
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "informer: %v\n", err)
		return 2
	}
	ctx := context.Background()

	wlOn := clientfeatures.FeatureGates().Enabled(clientfeatures.WatchListClient)
	env, set := os.LookupEnv("KUBE_FEATURE_WatchListClient")
	if !set {
		env = "(unset: the default)"
	}
	ver, err := client.Discovery().ServerVersion()
	if err != nil {
		fmt.Fprintf(os.Stderr, "informer: GET /version: %v\n", err)
		return 2
	}
	isFake := false
	if _, err := client.CoreV1().RESTClient().Get().AbsPath("/fakeapi/v1/state").DoRaw(ctx); err == nil {
		isFake = true
	}
	if streamEnd == "auto" {
		streamEnd = "client"
		if isFake {
			streamEnd = "server"
		}
	}
	head := []string{
		fmt.Sprintf("# server %s, version %s, fakeapi: %v", cfg.Host, ver.GitVersion, isFake),
		"# wire format: " + wire,
		fmt.Sprintf("# WatchListClient: %v (KUBE_FEATURE_WatchListClient=%s)", wlOn, env),
	}
	if streamEnd == "server" {
		head = append(head, "# stream end in step stream-ended-resume: by the server (POST /fakeapi/v1/close-watches)")
	} else {
		head = append(head, "# stream end in step stream-ended-resume: by the client (the watch is stopped)")
	}

	b := make([]byte, 4)
	_, _ = rand.Read(b)
	ns := "kreg-informer-" + hex.EncodeToString(b)
	_, err = client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: ns, Labels: map[string]string{"kreg.io/fidelity": "informer"}}}, metav1.CreateOptions{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "informer: create namespace %s: %v\n", ns, err)
		return 1
	}
	head = append(head, "# namespace "+ns)
	defer func() {
		if err := deleteNamespace(client, ns); err != nil {
			fmt.Fprintf(os.Stderr, "informer: delete namespace: %v\n", err)
			code = 1
		}
	}()
	sa, err := waitDefaultSA(ctx, client, ns)
	if err != nil {
		fmt.Fprintf(os.Stderr, "informer: %v\n", err)
		return 1
	}
	head = append(head, "# default ServiceAccount: "+sa)

	rec := newRecorder()
	l := newLW(client, ns)
	inf := cache.NewSharedIndexInformer(l, &corev1.Pod{}, 0, cache.Indexers{})
	if _, err := inf.AddEventHandler(rec.handlers()); err != nil {
		fmt.Fprintf(os.Stderr, "informer: %v\n", err)
		return 1
	}
	r := &run{ctx: ctx, client: client, ns: ns, rec: rec, lw: l, inf: inf}
	ok := func() (ok bool) {
		defer func() {
			if e := recover(); e != nil {
				if e != errAbort {
					panic(e)
				}
				ok = false
			}
		}()
		r.scenario(streamEnd)
		return true
	}()
	text := strings.Join(append(head, r.out...), "\n") + "\n"
	if !ok {
		text += "ABORTED (see the error above)\n"
		code = 1
	}
	if outPath == "" {
		fmt.Print(text)
	} else if err := os.WriteFile(outPath, []byte(text), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "informer: %v\n", err)
		return 1
	}
	return code
}

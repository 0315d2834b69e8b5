// kreg-adapter-go-v4: go-micro's community Kubernetes registry plugin
// (github.com/go-micro/plugins/v4/registry/kubernetes with go-micro v4)
// behind the kreg conformance adapter protocol (conformance/PROTOCOL.md).
//
// The plugin given an address always works in namespace "default" and
// sends no token; the adapter gives it the address of a reverse proxy of
// its own (proxy.go) that rewrites the namespace to the target's and adds
// the target's token and TLS settings, as the plugin's in-cluster mode
// would send them. HOSTNAME is set to target.pod before each register and
// deregister (the plugin reads it on each call).
package main

import (
	"errors"

	"github.com/go-micro/plugins/v4/registry/kubernetes"
	"go-micro.dev/v4/registry"
)

const (
	adapterName = "go-micro/plugins v4 registry/kubernetes"
	pluginPath  = "github.com/go-micro/plugins/v4/registry/kubernetes"
	microPath   = "go-micro.dev/v4"
)

type service = registry.Service

// plugin is the part of the registry the adapter drives.
type plugin struct{ r registry.Registry }

type watcher = registry.Watcher

type resultT = *registry.Result

func newPlugin(addr string) plugin {
	return plugin{kubernetes.NewRegistry(registry.Addrs(addr))}
}

func (p plugin) register(s *service) error   { return p.r.Register(s) }
func (p plugin) deregister(s *service) error { return p.r.Deregister(s) }
func (p plugin) get(name string) ([]*service, error) {
	return p.r.GetService(name)
}
func (p plugin) list() ([]*service, error) { return p.r.ListServices() }
func (p plugin) watch(name *string) (watcher, error) {
	if name != nil {
		return p.r.Watch(registry.WatchService(*name))
	}
	return p.r.Watch()
}

func isNotFound(err error) bool { return errors.Is(err, registry.ErrNotFound) }

func resultOf(r *registry.Result) (string, *service) { return r.Action, r.Service }

package initproto

import (
	"encoding/json"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// The config travels as wireConfig: the spec without the sections the init
// never reads (linux.resources, which the runtime applies to the cgroup,
// and the other platforms' sections). Besides the bytes, this spares the
// init encoding/json's analysis of those types, which a fresh process pays
// in full for every struct type reachable from the one it decodes (about
// half of specs.Spec's types, measured by allocation).
//
// The shadowing fields sit at a shallower depth than the embedded ones, so
// encoding/json sees only them; nil RawMessages are omitted.

type wireConfig struct {
	Config
	Spec *wireSpec `json:"spec"`
}

type wireSpec struct {
	specs.Spec
	Linux   *wireLinux      `json:"linux,omitempty"`
	Solaris json.RawMessage `json:"solaris,omitempty"`
	Windows json.RawMessage `json:"windows,omitempty"`
	VM      json.RawMessage `json:"vm,omitempty"`
	ZOS     json.RawMessage `json:"zos,omitempty"`
	FreeBSD json.RawMessage `json:"freebsd,omitempty"`
}

type wireLinux struct {
	specs.Linux
	Resources json.RawMessage `json:"resources,omitempty"`
}

// toWire copies cfg for sending (shallowly: nothing is modified).
func toWire(cfg *Config) *wireConfig {
	w := &wireConfig{Config: *cfg}
	if cfg.Spec != nil {
		w.Spec = &wireSpec{Spec: *cfg.Spec}
		if l := cfg.Spec.Linux; l != nil {
			w.Spec.Linux = &wireLinux{Linux: *l}
		}
	}
	return w
}

// config is what the init works from: the received spec, with
// linux.resources and the other platforms' sections left nil.
func (w *wireConfig) config() *Config {
	cfg := w.Config
	cfg.Spec = nil
	if w.Spec != nil {
		s := w.Spec.Spec
		s.Linux = nil
		if w.Spec.Linux != nil {
			l := w.Spec.Linux.Linux
			l.Resources = nil
			s.Linux = &l
		}
		cfg.Spec = &s
	}
	return &cfg
}

package initproto

// pruned returns cfg as the init receives it: the spec without the
// sections the init never reads (linux.resources, which the runtime
// applies to the cgroup, and other platforms' sections). Copies are
// shallow; cfg is not modified.
func pruned(cfg *Config) *Config {
	c := *cfg
	if cfg.Spec != nil {
		s := *cfg.Spec
		s.Solaris, s.Windows, s.VM, s.ZOS, s.FreeBSD = nil, nil, nil, nil, nil
		if cfg.Spec.Linux != nil {
			l := *cfg.Spec.Linux
			l.Resources = nil
			s.Linux = &l
		}
		c.Spec = &s
	}
	return &c
}

package container

import (
	"slices"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"

	"github.com/cais-project/cais/internal/runtime/caps"
	"github.com/cais-project/cais/internal/runtime/rootfs"
	"github.com/cais-project/cais/internal/runtime/seccomp"
	"github.com/cais-project/cais/internal/version"
)

// Annotation keys of the features document beyond runtime-spec's fields.
const (
	AnnotationLibseccompVersion = "io.github.seccomp.libseccomp.version"
	AnnotationVersion           = "org.cais-project.runtime.version"
	AnnotationCommit            = "org.cais-project.runtime.commit"
	AnnotationCheckpoint        = "org.cais-project.runtime.checkpoint.enabled"
)

// Features describes what this runtime implements, as runtime-spec's
// features document: every list comes from the package that applies it,
// so the document cannot claim what the code does not do.
func Features() *features.Features {
	yes, no := true, false
	var namespaces []string
	for ns := range namespaceFlags {
		namespaces = append(namespaces, string(ns))
	}
	slices.Sort(namespaces)
	return &features.Features{
		OCIVersionMin: "1.0.0",
		OCIVersionMax: specs.Version,
		Hooks:         []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"},
		MountOptions:  rootfs.KnownMountOptions(),
		Linux: &features.Linux{
			Namespaces:   namespaces,
			Capabilities: caps.KnownNames(),
			Cgroup: &features.Cgroup{
				V1: &yes, V2: &yes, Systemd: &no, SystemdUser: &no, Rdma: &yes,
			},
			Seccomp: &features.Seccomp{
				Enabled:        &yes,
				Actions:        seccomp.Actions(),
				Operators:      seccomp.Operators(),
				Archs:          seccomp.Archs(),
				KnownFlags:     seccomp.KnownFlags(),
				SupportedFlags: seccomp.SupportedFlags(),
			},
			Apparmor:        &features.Apparmor{Enabled: &no},
			Selinux:         &features.Selinux{Enabled: &no},
			IntelRdt:        &features.IntelRdt{Enabled: &no},
			MountExtensions: &features.MountExtensions{IDMap: &features.IDMap{Enabled: &no}},
			NetDevices:      &features.NetDevices{Enabled: &no},
		},
		Annotations: map[string]string{
			AnnotationLibseccompVersion: seccomp.LibraryVersion(),
			AnnotationVersion:           version.Version,
			AnnotationCommit:            version.Commit,
			AnnotationCheckpoint:        "false",
		},
	}
}

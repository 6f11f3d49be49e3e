package cli_test

import (
	"encoding/json"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go/features"

	"github.com/cais-project/cais/internal/fixture"
)

func TestFeaturesDocument(t *testing.T) {
	bin := fixture.Binary(t, "cais-runtime")
	out, err := exec.Command(bin, "features").Output()
	if err != nil {
		t.Fatalf("features: %v", err)
	}
	var f features.Features
	dec := json.NewDecoder(strings.NewReader(string(out)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("features output does not parse as features.Features: %v\n%s", err, out)
	}
	if f.OCIVersionMin != "1.0.0" || !strings.HasPrefix(f.OCIVersionMax, "1.") {
		t.Errorf("oci versions %q..%q", f.OCIVersionMin, f.OCIVersionMax)
	}
	wantNS := []string{"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"}
	if f.Linux == nil || !slices.Equal(f.Linux.Namespaces, wantNS) {
		t.Fatalf("namespaces %v, want %v", f.Linux.Namespaces, wantNS)
	}
	if !slices.Equal(f.Hooks, []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}) {
		t.Errorf("hooks %v", f.Hooks)
	}
	for _, o := range []string{"rbind", "ro", "nosuid", "rro", "rprivate", "nosymfollow"} {
		if !slices.Contains(f.MountOptions, o) {
			t.Errorf("mountOptions lacks %q", o)
		}
	}
	for _, c := range []string{"CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_CHECKPOINT_RESTORE"} {
		if !slices.Contains(f.Linux.Capabilities, c) {
			t.Errorf("capabilities lack %q", c)
		}
	}
	cg := f.Linux.Cgroup
	if cg == nil || !*cg.V1 || !*cg.V2 || *cg.Systemd || *cg.SystemdUser {
		t.Errorf("cgroup features %+v", cg)
	}
	sc := f.Linux.Seccomp
	if sc == nil || !*sc.Enabled || !slices.Contains(sc.Actions, "SCMP_ACT_NOTIFY") ||
		!slices.Contains(sc.Operators, "SCMP_CMP_MASKED_EQ") || !slices.Contains(sc.Archs, "SCMP_ARCH_X86_64") {
		t.Errorf("seccomp features %+v", sc)
	}
	if *f.Linux.Apparmor.Enabled || *f.Linux.Selinux.Enabled || *f.Linux.IntelRdt.Enabled || *f.Linux.MountExtensions.IDMap.Enabled {
		t.Error("features claims apparmor, selinux, intelRdt or idmap mounts")
	}
	if v := f.Annotations["io.github.seccomp.libseccomp.version"]; !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(v) {
		t.Errorf("libseccomp version annotation %q", v)
	}
}

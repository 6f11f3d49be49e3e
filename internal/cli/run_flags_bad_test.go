package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRunFlagsBadValues: a bad value of each flag exits 125 with a message
// naming the flag, and leaves no container, record, name or mount (runEnv
// checks mounts and snapshots; CheckLeaks processes).
func TestRunFlagsBadValues(t *testing.T) {
	e, name := runEnv(t)
	badEnv := filepath.Join(t.TempDir(), "bad.env")
	writeFile(t, badEnv, "# fine\nGOOD=1\nBAD NAME=x\n")
	cases := []struct {
		name  string
		flags []string
		want  []string // in stderr
	}{
		{"ulimit not a number", []string{"--ulimit", "nofile=x"}, []string{"--ulimit", "nofile=x"}},
		{"ulimit unknown", []string{"--ulimit", "files=10"}, []string{"--ulimit", "files"}},
		{"cpus negative", []string{"--cpus", "-1"}, []string{`"--cpus"`, "range of CPUs"}},
		{"cpus not a number", []string{"--cpus", "many"}, []string{`"--cpus"`}},
		{"cpus too precise", []string{"--cpus", "0.0000000001"}, []string{`"--cpus"`, "too precise"}},
		{"device missing", []string{"--device", "/nonexist"}, []string{"--device", "/nonexist"}},
		{"device not a node", []string{"--device", "/etc/passwd"}, []string{"--device", "not a device node"}},
		{"env-file missing", []string{"--env-file", "/missing"}, []string{"--env-file", "/missing"}},
		{"env-file name with a space", []string{"--env-file", badEnv}, []string{"--env-file", "line 3", "BAD NAME"}},
		{"env without a name", []string{"-e", "=x"}, []string{"--env", "=x"}},
		{"label-file missing", []string{"--label-file", "/missing"}, []string{"--label-file", "/missing"}},
		{"stop-signal", []string{"--stop-signal", "NOPE"}, []string{"--stop-signal", "NOPE"}},
		{"pull", []string{"--pull", "sometimes"}, []string{`"--pull"`, "sometimes"}},
		{"memory-swap below memory", []string{"-m", "64m", "--memory-swap", "32m"}, []string{"--memory-swap"}},
		{"memory-swap without memory", []string{"--memory-swap", "64m"}, []string{"--memory-swap", "--memory"}},
		{"memory-swap not a size", []string{"--memory-swap", "lots"}, []string{`"--memory-swap"`}},
		{"shm-size", []string{"--shm-size", "-5m"}, []string{`"--shm-size"`}},
		{"blkio-weight", []string{"--blkio-weight", "5"}, []string{"--blkio-weight"}},
		{"oom-score-adj", []string{"--oom-score-adj", "2000"}, []string{"--oom-score-adj"}},
		{"cap-add unknown", []string{"--cap-add", "FLY"}, []string{"--cap-add", "FLY"}},
		{"sysctl not namespaced", []string{"--sysctl", "kernel.panic=1"}, []string{"--sysctl", "kernel.panic"}},
		{"sysctl without value", []string{"--sysctl", "net.ipv4.ip_forward"}, []string{`"--sysctl"`}},
		{"workdir relative", []string{"-w", "rel"}, []string{"--workdir"}},
		{"user unknown", []string{"-u", "nosuchuser"}, []string{"nosuchuser"}},
		{"platform other", []string{"--platform", "linux/s390x"}, []string{"platform", "linux/s390x"}},
		{"platform invalid", []string{"--platform", "not/a/real/one"}, []string{"--platform"}},
		{"apparmor without a profile", []string{"--security-opt", "apparmor"}, []string{"--security-opt", "apparmor"}},
		{"cpuset-cpus", []string{"--cpuset-cpus", "999"}, []string{"--cpuset-cpus", "999"}},
	}
	var hard unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &hard); err == nil && hard.Max < 1<<20 && !hasCapSysResource(t) {
		// This host's root lacks CAP_SYS_RESOURCE: a hard limit above its
		// own cannot be granted, and must be refused before anything runs.
		cases = append(cases, struct {
			name  string
			flags []string
			want  []string
		}{"ulimit above the host's", []string{"--ulimit", "nofile=1048576:1048576"}, []string{"--ulimit", "CAP_SYS_RESOURCE"}})
	} else {
		t.Logf("host nofile hard limit %d with CAP_SYS_RESOURCE: the ulimit-above-host case does not apply", hard.Max)
	}
	for _, verb := range []string{"run", "create"} {
		for _, tc := range cases {
			t.Run(verb+"/"+strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
				args := append([]string{verb, "--name", name}, tc.flags...)
				r := e.run(append(args, "busybox:test", "true")...)
				if r.code != 125 {
					t.Errorf("%s %v: exit %d, want 125 (stderr %q)", verb, tc.flags, r.code, r.stderr)
				}
				for _, w := range tc.want {
					if !strings.Contains(r.stderr, w) {
						t.Errorf("%s %v: stderr %q does not name %q", verb, tc.flags, r.stderr, w)
					}
				}
				if out := e.must("ps", "-a", "-q"); out != "" {
					t.Fatalf("ps -a after a refused %s: %q", verb, out)
				}
			})
		}
	}
	for _, dir := range []string{"containers", "container-names"} {
		if es, err := os.ReadDir(filepath.Join(e.root, dir)); err == nil && len(es) != 0 {
			t.Errorf("%s holds %d entries after refused runs", dir, len(es))
		}
	}
}

func hasCapSysResource(t *testing.T) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines(string(b)) {
		if v, ok := strings.CutPrefix(l, "CapEff:"); ok {
			var m uint64
			for _, c := range strings.TrimSpace(v) {
				m = m<<4 | uint64(strings.IndexRune("0123456789abcdef", c))
			}
			return m&(1<<24) != 0
		}
	}
	return false
}

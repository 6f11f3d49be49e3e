package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/testgate"
)

// capMask is the CapEff line a process with these capability numbers shows.
func capMask(bits ...int) string {
	var m uint64
	for _, b := range bits {
		m |= 1 << b
	}
	return fmt.Sprintf("CapEff:\t%016x", m)
}

// dockerDefaultCaps are the numbers of Docker's 14 default capabilities.
var dockerDefaultCaps = []int{0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31}

// TestRunFlagsProcessView runs one container per flag and checks what the
// process inside sees, with both runtimes.
func TestRunFlagsProcessView(t *testing.T) {
	envFile := filepath.Join(t.TempDir(), "env")
	writeFile(t, envFile, "# a comment\n\nFROM_FILE=one two\n  INDENTED=yes\nCAIS_FLAGS_HOSTVAR\nCAIS_FLAGS_UNSET\nOVERRIDDEN=file\n")
	t.Setenv("CAIS_FLAGS_HOSTVAR", "from host")
	os.Unsetenv("CAIS_FLAGS_UNSET")
	sh := func(s string) []string { return []string{"sh", "-c", s} }
	cases := []struct {
		name  string
		flags []string
		cmd   []string
		want  string // the whole output
	}{
		{"user by name", []string{"-u", "nobody"}, sh("id -u; id -g; id -un"), "65534\n65534\nnobody\n"},
		{"user and group numbers", []string{"--user", "1000:1234"}, sh("id -u; id -g"), "1000\n1234\n"},
		{"workdir", []string{"-w", "/tmp/made/here"}, []string{"pwd"}, "/tmp/made/here\n"},
		{"entrypoint", []string{"--entrypoint", "/bin/echo"}, []string{"via", "entrypoint"}, "via entrypoint\n"},
		{"env file and -e", []string{"--env-file", envFile, "-e", "OVERRIDDEN=flag", "-e", "CAIS_FLAGS_HOSTVAR"},
			sh(`echo "$FROM_FILE|$INDENTED|$CAIS_FLAGS_HOSTVAR|$OVERRIDDEN|${CAIS_FLAGS_UNSET-unset}"`),
			"one two|yes|from host|flag|unset\n"},
		{"read-only", []string{"--read-only"}, sh("touch /x 2>/dev/null && echo rw || echo ro; touch /dev/shm/x && echo shm-rw"), "ro\nshm-rw\n"},
		{"default caps", nil, sh("grep CapEff /proc/self/status"), capMask(dockerDefaultCaps...) + "\n"},
		{"cap-drop ALL cap-add", []string{"--cap-drop", "ALL", "--cap-add", "net_admin"}, sh("grep CapEff /proc/self/status"), capMask(12) + "\n"},
		{"cap-drop one", []string{"--cap-drop", "CAP_CHOWN"}, sh("grep CapEff /proc/self/status"), capMask(dockerDefaultCaps[1:]...) + "\n"},
		// A loop device is not among the default devices, so only --device
		// lets the container open it, and only as its permissions say.
		{"device with permissions", []string{"--device", "/dev/loop7:/dev/l7:r"},
			sh("test -b /dev/l7 && echo block; (: < /dev/l7) 2>/dev/null && echo readable; (: > /dev/l7) 2>/dev/null || echo not-writable"),
			"block\nreadable\nnot-writable\n"},
		{"no device without --device", nil, sh("test -e /dev/l7 || echo absent"), "absent\n"},
		{"ulimit", []string{"--ulimit", "nofile=1024:2048"}, sh("ulimit -n; ulimit -Hn"), "1024\n2048\n"},
		{"sysctl", []string{"--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.shmmni=1234"},
			sh("cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni"), "1\n1234\n"},
		{"shm-size", []string{"--shm-size", "32m"}, sh("df -k /dev/shm | tail -1 | awk '{print $2}'"), "32768\n"},
		{"default shm", nil, sh("df -k /dev/shm | tail -1 | awk '{print $2}'"), "65536\n"},
		{"oom-score-adj", []string{"--oom-score-adj", "345"}, []string{"cat", "/proc/self/oom_score_adj"}, "345\n"},
		{"init", []string{"--init"}, sh("cat /proc/1/comm; test $$ -ne 1 && echo sh-is-not-pid-1"), "docker-init\nsh-is-not-pid-1\n"},
		{"privileged", []string{"--privileged"}, sh("grep CapEff /proc/self/status; test -e /dev/loop7 && echo host-devices"), privilegedCaps() + "\nhost-devices\n"},
		{"apparmor without AppArmor", []string{"--security-opt", "apparmor=unconfined"}, []string{"echo", "ran"}, "ran\n"},
	}
	for _, rt := range []string{"cais-runtime", "runc"} {
		t.Run(rt, func(t *testing.T) {
			if rt == "runc" {
				testgate.Binary(t, "/usr/bin/runc")
			}
			e, name := runEnv(t)
			for _, tc := range cases {
				t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
					args := append([]string{"run", "--rm", "--name", name, "--runtime", rt}, tc.flags...)
					args = append(append(args, "busybox:test"), tc.cmd...)
					r := e.run(args...)
					if r.code != 0 || r.stdout != tc.want {
						t.Errorf("cais %s: exit %d, stdout %q, want %q (stderr %q)", strings.Join(tc.flags, " "), r.code, r.stdout, tc.want, r.stderr)
					}
				})
			}
			if out := e.must("ps", "-a", "-q"); out != "" {
				t.Errorf("ps -a after --rm runs: %q", out)
			}
		})
	}
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// privilegedCaps is the CapEff line of a privileged container: every
// capability Linux 5.9 knows (0-40) that this process's bounding set has
// (this host withholds CAP_SYS_RESOURCE).
func privilegedCaps() string {
	var bits []int
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "CapBnd:"); ok {
			n, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			for i := 0; i <= 40; i++ {
				if n&(1<<i) != 0 {
					bits = append(bits, i)
				}
			}
		}
	}
	return capMask(bits...)
}

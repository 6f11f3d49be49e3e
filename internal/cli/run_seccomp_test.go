package cli_test

import (
	"fmt"
	"strings"
	"testing"
)

// seccompCase is a shell snippet run inside a container and what it must
// show there: its exit status being zero or not, and a string its output
// (stdout and stderr) must contain.
type seccompCase struct {
	name    string
	cmd     string
	wantOK  bool
	wantOut string
}

// runSeccompCases runs every case in one container started with the given
// extra `cais run` flags and checks each one's outcome.
func runSeccompCases(t *testing.T, flags []string, cases []seccompCase) {
	t.Helper()
	e, name := runEnv(t)
	var script strings.Builder
	for _, c := range cases {
		// One line per case: "@name rc=N output...".
		fmt.Fprintf(&script, "out=$( { %s ; } 2>&1 ); rc=$?; echo \"@%s rc=$rc\" $out\n", c.cmd, c.name)
	}
	args := append([]string{"run", "--rm", "--name", name}, flags...)
	args = append(args, "busybox:test", "sh", "-c", script.String())
	r := e.run(args...)
	if r.code != 0 {
		t.Fatalf("cais %v: code %d, stdout %q stderr %q", args, r.code, r.stdout, r.stderr)
	}
	got := map[string]string{}
	for _, line := range strings.Split(r.stdout, "\n") {
		if k, v, ok := strings.Cut(line, " rc="); ok && strings.HasPrefix(k, "@") {
			got[k[1:]] = "rc=" + v
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			line, ok := got[c.name]
			if !ok {
				t.Fatalf("no result for %q in output:\n%s", c.name, r.stdout)
			}
			if ok := strings.HasPrefix(line, "rc=0"); ok != c.wantOK {
				t.Errorf("%s: got %q, want success %v", c.cmd, line, c.wantOK)
			}
			if !strings.Contains(line, c.wantOut) {
				t.Errorf("%s: got %q, want it to contain %q", c.cmd, line, c.wantOut)
			}
		})
	}
}

func TestRunSeccompDefault(t *testing.T) {
	cases := []seccompCase{
		{"filter mode", "grep Seccomp: /proc/self/status", true, "Seccomp: 2"},
		{"ls", "ls / /proc/self", true, "bin"},
		{"cat", "cat /etc/hostname", true, ""},
		{"pipeline", "echo hello | tr a-z A-Z | wc -c", true, "6"},
		{"tmp files", "mkdir -p /tmp/d/e && echo x >/tmp/d/e/f && mv /tmp/d/e/f /tmp/d/g && rm -r /tmp/d", true, ""},
		{"date", "date +%Y", true, "20"},
		{"sleep", "sleep 0.1", true, ""},
		{"wget help", "wget --help; true", true, "wget"},
		{"background job", "sleep 0.1 & wait $!", true, ""},
		{"chroot", "chroot / true", true, ""},
		{"linux32", "linux32 uname -m", true, "i686"},
		{"unshare mount", "unshare -m true", false, "Operation not permitted"},
		// A user namespace needs no capability (see the unconfined test):
		// only the filter refuses it.
		{"unshare user", "unshare -U true", false, "Operation not permitted"},
		// busybox mount words EPERM its own way.
		{"mount tmpfs", "mount -t tmpfs x /mnt", false, "permission denied"},
		{"sethostname", "hostname other", false, "Operation not permitted"},
	}
	for _, rt := range []string{"cais-runtime", "runc"} {
		t.Run(rt, func(t *testing.T) {
			runSeccompCases(t, []string{"--runtime", rt}, cases)
		})
	}
}

func TestRunSeccompUnconfined(t *testing.T) {
	runSeccompCases(t, []string{"--security-opt", "seccomp=unconfined"}, []seccompCase{
		{"filter mode", "grep Seccomp: /proc/self/status", true, "Seccomp: 0"},
		{"unshare user", "unshare -U true", true, ""},
	})
}

func TestRunSecurityOptInvalid(t *testing.T) {
	e, name := runEnv(t)
	r := e.run("run", "--rm", "--name", name, "--security-opt", "seccomp", "busybox:test", "true")
	if r.code == 0 || !strings.Contains(r.stderr, "seccomp") {
		t.Errorf("--security-opt seccomp: code %d stderr %q, want failure naming seccomp", r.code, r.stderr)
	}
}

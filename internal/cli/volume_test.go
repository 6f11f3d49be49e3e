package cli_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/fixture"
	"github.com/cais-project/cais/internal/testgate"
)

// volEnv is runEnv that also checks, at the end, that no mount under the
// test's root (a volume's own filesystem) is left.
func volEnv(t *testing.T) (*env, string) {
	t.Helper()
	e, name := runEnv(t)
	t.Cleanup(func() {
		if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil && strings.Contains(string(b), e.root+"/volumes") {
			t.Errorf("a volume mount remains:\n%s", b)
		}
	})
	return e, name
}

// runOK runs a container command whose effect the test checks afterwards.
// It fails unless cais exits 0, except for the runtime's known start race
// (a process that exits at once can make start report "its init exited
// before starting the process" although it ran; not a volume matter).
func runOK(e *env, args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 0 && !strings.Contains(r.stderr, "its init exited before starting the process") {
		e.t.Fatalf("cais %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.stdout, r.stderr)
	}
	return r
}

// mountsOf is the Mounts of cais inspect NAME.
func mountsOf(t *testing.T, e *env, name string) []map[string]any {
	t.Helper()
	var docs []struct {
		Mounts     []map[string]any
		HostConfig struct{ Binds []string }
	}
	if err := json.Unmarshal([]byte(e.must("inspect", name)), &docs); err != nil || len(docs) != 1 {
		t.Fatalf("inspect %s: %v", name, err)
	}
	return docs[0].Mounts
}

func volumeNames(t *testing.T, e *env, args ...string) []string {
	t.Helper()
	out := strings.TrimSpace(e.must(append([]string{"volume", "ls", "-q"}, args...)...))
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestVolumeNamedSharedBetweenContainers: a page one container writes to
// a named volume (created on first use) is served by another's httpd;
// the volume cannot be removed while a container, running or only
// created, uses it; then it can, and its data goes. Both runtimes.
func TestVolumeNamedSharedBetweenContainers(t *testing.T) {
	testgate.Binary(t, "/usr/bin/curl")
	for _, rt := range []string{"cais-runtime", "runc"} {
		t.Run(rt, func(t *testing.T) {
			e, name := volEnv(t)
			vol, web, holder := name+"-www", name+"-web", name+"-holder"
			t.Cleanup(func() { e.run("rm", "-f", web, holder); e.run("volume", "rm", "-f", vol) })
			page := "page of " + rt + "\n"
			runOK(e, "run", "--rm", "--runtime", rt, "-v", vol+":/www", "busybox:test", "sh", "-c", "echo '"+strings.TrimSpace(page)+"' > /www/index.html")
			if !has(volumeNames(t, e), vol) {
				t.Fatalf("-v %s:/www did not create the volume", vol)
			}
			port := freePort(t)
			e.must("run", "-d", "--name", web, "--runtime", rt, "--network", "host", "-v", vol+":/www:ro", "busybox:test",
				"httpd", "-f", "-p", "127.0.0.1:"+port, "-h", "/www")
			var body string
			waitUntil(t, func() bool {
				out, err := exec.Command("curl", "-sf", "http://127.0.0.1:"+port+"/").Output()
				body = string(out)
				return err == nil
			})
			if body != page {
				t.Fatalf("served %q, want %q", body, page)
			}
			ms := mountsOf(t, e, web)
			want := map[string]any{"Type": "volume", "Name": vol, "Source": filepath.Join(e.root, "volumes", vol, "_data"),
				"Destination": "/www", "Driver": "local", "Mode": "ro", "RW": false, "Propagation": ""}
			if len(ms) != 1 || !sameMount(ms[0], want) {
				t.Errorf("inspect Mounts = %v, want [%v]", ms, want)
			}

			r := e.run("volume", "rm", vol)
			if r.code != 1 || !strings.Contains(r.stderr, "in use") || !strings.Contains(r.stderr, web) {
				t.Errorf("volume rm of a volume a running container uses: exit %d, %q; want 1 naming %s", r.code, r.stderr, web)
			}
			e.must("rm", "-f", web)
			e.must("create", "--name", holder, "--runtime", rt, "-v", vol+":/x", "busybox:test", "true")
			r = e.run("volume", "rm", vol)
			if r.code != 1 || !strings.Contains(r.stderr, holder) {
				t.Errorf("volume rm of a volume a created container uses: exit %d, %q; want 1 naming %s", r.code, r.stderr, holder)
			}
			if out := e.must("volume", "prune", "-f", "-a"); strings.Contains(out, vol) {
				t.Errorf("prune -a removed a volume in use:\n%s", out)
			}
			e.must("rm", "-f", holder)
			if out := e.must("volume", "rm", vol); out != vol+"\n" {
				t.Errorf("volume rm printed %q", out)
			}
			if _, err := os.Stat(filepath.Join(e.root, "volumes", vol)); !os.IsNotExist(err) {
				t.Errorf("the volume's directory remains: %v", err)
			}
		})
	}
}

func sameMount(got, want map[string]any) bool {
	for k, v := range want {
		g, ok := got[k]
		if v == "" && !ok {
			continue // omitted, as Docker omits Name and Driver of binds
		}
		if g != v {
			return false
		}
	}
	return true
}

// importDataImage imports busybox plus /data/file (owner 1234:5678, mode
// 0640, xattr user.origin) as popimg:test, with changes.
func importDataImage(t *testing.T, e *env, changes ...string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rootfs")
	if out, err := exec.Command("cp", "-a", fixture.BusyboxRootfs(t), dir).CombinedOutput(); err != nil {
		t.Fatalf("copying busybox: %v\n%s", err, out)
	}
	f := filepath.Join(dir, "data", "file")
	if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, []byte("from the image\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(f, 1234, 5678); err != nil {
		t.Fatal(err)
	}
	if err := unix.Lsetxattr(f, "user.origin", []byte("image"), 0); err != nil {
		t.Fatal(err)
	}
	args := []string{"import"}
	for _, c := range append(changes, `CMD ["/bin/sh"]`) {
		args = append(args, "-c", c)
	}
	e.must(append(args, dir, "popimg:test")...)
}

// TestVolumePopulatedFromImage: a new named volume takes the image's
// content at its path, with owner, mode and xattrs, once; the image's
// VOLUME makes anonymous volumes that rm keeps, rm -v and --rm remove.
func TestVolumePopulatedFromImage(t *testing.T) {
	e, name := volEnv(t)
	vol := name + "-pop"
	c1, c2 := name+"-1", name+"-2"
	t.Cleanup(func() {
		e.run("rm", "-f", c1, c2)
		e.run("volume", "prune", "-f", "-a")
		e.run("rmi", "popimg:test") // runEnv counts the snapshots it found
	})
	importDataImage(t, e, "VOLUME /data")

	r := runOK(e, "run", "--rm", "-v", vol+":/data", "popimg:test", "sh", "-c", "stat -c '%u:%g %a' /data/file; cat /data/file")
	if r.stdout != "1234:5678 640\nfrom the image\n" {
		t.Errorf("container saw %q in the new volume", r.stdout)
	}
	hostFile := filepath.Join(e.root, "volumes", vol, "_data", "file")
	val := make([]byte, 16)
	if n, err := unix.Lgetxattr(hostFile, "user.origin", val); err != nil || string(val[:n]) != "image" {
		t.Errorf("xattr user.origin on the volume's copy: %q, %v", val[:n], err)
	}
	runOK(e, "run", "--rm", "-v", vol+":/data", "popimg:test", "rm", "/data/file")
	if r := runOK(e, "run", "--rm", "-v", vol+":/data", "popimg:test", "ls", "-A", "/data"); r.stdout != "" {
		t.Errorf("an emptied volume was filled again: %q", r.stdout)
	}
	if r := runOK(e, "run", "--rm", "-v", vol+"-nc:/data:nocopy", "popimg:test", "ls", "-A", "/data"); r.stdout != "" {
		t.Errorf("a nocopy volume was filled: %q", r.stdout)
	}
	e.must("volume", "rm", vol, vol+"-nc")

	// The image's VOLUME: an anonymous volume per container.
	before := volumeNames(t, e)
	if r := runOK(e, "run", "--name", c1, "popimg:test", "cat", "/data/file"); r.stdout != "from the image\n" {
		t.Errorf("anonymous volume of VOLUME /data: %q", r.stdout)
	}
	ms := mountsOf(t, e, c1)
	if len(ms) != 1 || ms[0]["Type"] != "volume" || ms[0]["Destination"] != "/data" || ms[0]["Mode"] != "" || ms[0]["Driver"] != "local" || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(ms[0]["Name"].(string)) {
		t.Fatalf("inspect Mounts of the image's VOLUME: %v", ms)
	}
	anon1 := ms[0]["Name"].(string)
	e.must("create", "--name", c2, "-v", "/scratch", "popimg:test", "true")
	ms2 := mountsOf(t, e, c2)
	if len(ms2) != 2 {
		t.Fatalf("-v /scratch plus VOLUME /data: mounts %v", ms2)
	}
	e.must("rm", c1)
	if !has(volumeNames(t, e), anon1) {
		t.Errorf("rm without -v removed the anonymous volume %s", anon1)
	}
	e.must("rm", "-f", "-v", c2)
	for _, m := range ms2 {
		if has(volumeNames(t, e), m["Name"].(string)) {
			t.Errorf("rm -v left the anonymous volume %s", m["Name"])
		}
	}
	if has(volumeNames(t, e, "--filter", "label=com.docker.volume.anonymous"), anon1) != true {
		t.Errorf("anonymous volume %s lacks Docker's anonymous label", anon1)
	}
	runOK(e, "run", "--rm", "-v", "/more", "popimg:test", "true")
	if got := volumeNames(t, e); len(got) != len(before)+1 {
		t.Errorf("after run --rm: volumes %v, want only %s beyond %v", got, anon1, before)
	}
}

// TestVolumePruneAndList: prune removes only unused anonymous volumes,
// with -a unused named ones too, with --filter only those labelled; ls
// filters and formats as Docker's.
func TestVolumePruneAndList(t *testing.T) {
	e, name := volEnv(t)
	n1, n2, used, user, tmp := name+"-n1", name+"-n2", name+"-used", name+"-user", name+"-tmp"
	t.Cleanup(func() { e.run("rm", "-f", user, tmp); e.run("volume", "prune", "-f", "-a") })
	e.must("volume", "create", "--label", "tier=a", n1)
	e.must("volume", "create", n2)
	unnamed := strings.TrimSpace(e.must("volume", "create"))
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(unnamed) {
		t.Errorf("volume create without a name printed %q, want a 64-hex name", unnamed)
	}
	e.must("create", "--name", user, "-v", used+":/x", "busybox:test", "true")
	e.must("create", "--name", tmp, "-v", "/anon", "busybox:test", "true")
	anon := mountsOf(t, e, tmp)[0]["Name"].(string)
	e.must("rm", "-f", tmp)

	if got := volumeNames(t, e, "--filter", "dangling=true"); len(got) != 4 || has(got, used) {
		t.Errorf("ls dangling=true: %v, want %s, %s, %s, %s", got, n1, n2, unnamed, anon)
	}
	if got := volumeNames(t, e, "--filter", "dangling=false"); len(got) != 1 || got[0] != used {
		t.Errorf("ls dangling=false: %v, want [%s]", got, used)
	}
	if got := volumeNames(t, e, "--filter", "label=tier=a"); len(got) != 1 || got[0] != n1 {
		t.Errorf("ls label=tier=a: %v", got)
	}
	if got := volumeNames(t, e, "--filter", "name="+name+"-n"); len(got) != 2 {
		t.Errorf("ls name=%s-n: %v", name, got)
	}
	if out := e.must("volume", "ls", "--filter", "name="+n1, "--format", "{{.Name}} {{.Driver}} {{.Labels}}"); out != n1+" local tier=a\n" {
		t.Errorf("ls --format: %q", out)
	}
	var row map[string]string
	if err := json.Unmarshal([]byte(e.must("volume", "ls", "--filter", "name="+n2, "--format", "json")), &row); err != nil || row["Name"] != n2 || row["Driver"] != "local" || row["Scope"] != "local" {
		t.Errorf("ls --format json: %v %v", row, err)
	}
	if out := e.must("volume", "ls"); !strings.HasPrefix(out, "DRIVER") || !strings.Contains(out, "VOLUME NAME") {
		t.Errorf("ls table: %q", out)
	}

	out := e.must("volume", "prune", "-f")
	if !strings.Contains(out, "Deleted Volumes:\n"+anon+"\n") || strings.Contains(out, n1) || strings.Contains(out, n2) || strings.Contains(out, unnamed) {
		t.Errorf("prune without -a: %q, want only the anonymous %s", out, anon)
	}
	out = e.must("volume", "prune", "-f", "-a", "--filter", "label=tier=a")
	if !strings.Contains(out, n1) || strings.Contains(out, n2) {
		t.Errorf("prune -a --filter label=tier=a: %q, want only %s", out, n1)
	}
	out = e.must("volume", "prune", "-f", "-a")
	if !strings.Contains(out, n2) || !strings.Contains(out, unnamed) || strings.Contains(out, used) {
		t.Errorf("prune -a: %q, want %s and %s, not the used %s", out, n2, unnamed, used)
	}
	if got := volumeNames(t, e); len(got) != 1 || got[0] != used {
		t.Errorf("after prunes: %v, want [%s]", got, used)
	}
	if r := e.runIn("n\n", "volume", "prune"); !strings.Contains(r.stdout, "Are you sure") || len(volumeNames(t, e)) != 1 {
		t.Errorf("prune answered no: %q", r.stdout)
	}
	e.must("rm", "-f", user)
	e.must("volume", "rm", used)
}

// TestVolumeBadInput: each bad flag is a clear error and leaves nothing
// (no container, no volume, no mount, no missing bind source created).
func TestVolumeBadInput(t *testing.T) {
	e, name := volEnv(t)
	taken := name + "-taken"
	t.Cleanup(func() { e.run("rm", "-f", taken) })
	missing := filepath.Join(t.TempDir(), "missing")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--mount", "type=bind,source=" + missing + ",target=/x"}, "bind source path does not exist"},
		{[]string{"--mount", "type=bind,target=/x"}, "source is required"},
		{[]string{"--mount", "type=nfs,target=/x"}, "unknown mount type"},
		{[]string{"--mount", "type=volume,source=" + name + "-v,target=/x,volume-opt=bogus=1"}, "invalid option key"},
		{[]string{"--mount", "type=tmpfs,target=/x,tmpfs-size=lots"}, "tmpfs-size"},
		{[]string{"--mount", "type=volume,target=/x,color=red"}, "unexpected key"},
		{[]string{"-v", "bad name!:/x"}, "invalid characters"},
		{[]string{"-v", name + "-v:relative"}, "must be absolute"},
		{[]string{"-v", name + "-v:/x:bogus"}, "unknown mode"},
		{[]string{"-v", name + "-v:/"}, "can't be '/'"},
		{[]string{"-v", name + "-a:/x", "-v", name + "-b:/x"}, "duplicate mount point"},
		{[]string{"--tmpfs", "/t:size=lots"}, "bad size"},
		{[]string{"--tmpfs", "relative"}, "must be absolute"},
		{[]string{"--volumes-from", name + "-nosuch"}, "no such container"},
		{[]string{"--volumes-from", taken + ":rx"}, "CONTAINER[:ro|rw]"},
	} {
		r := e.run(append(append([]string{"run", "--rm"}, c.args...), "busybox:test", "true")...)
		if r.code != 125 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("run %v: exit %d, stderr %q; want 125 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
	// A name conflict found after the volumes were claimed undoes them.
	e.must("create", "--name", taken, "busybox:test", "true")
	if r := e.run("create", "--name", taken, "-v", name+"-new:/x", "-v", "/anon", "busybox:test", "true"); r.code != 125 || !strings.Contains(r.stderr, "already in use") {
		t.Errorf("create with a taken name: exit %d, %q", r.code, r.stderr)
	}
	e.must("rm", "-f", taken)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"volume", "create", "bad/name"}, "invalid characters"},
		{[]string{"volume", "create", "x"}, "invalid characters"},
		{[]string{"volume", "create", "--opt", "bogus=1", name + "-o"}, "invalid option key"},
		{[]string{"volume", "create", "--opt", "type=tmpfs", name + "-o"}, "type and device"},
		{[]string{"volume", "create", "-d", "nfs", name + "-o"}, "only \"local\""},
		{[]string{"volume", "rm", name + "-nosuch"}, "no such volume"},
		{[]string{"volume", "inspect", name + "-nosuch"}, "no such volume"},
		{[]string{"volume", "ls", "--filter", "color=red"}, "invalid filter"},
		{[]string{"volume", "ls", "--filter", "dangling=maybe"}, "dangling"},
		{[]string{"volume", "prune", "-f", "--filter", "name=x"}, "invalid filter"},
	} {
		if r := e.run(c.args...); r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want a failure saying %q", c.args, r.code, r.stderr, c.want)
		}
	}
	e.must("volume", "rm", "-f", name+"-nosuch")
	if out := e.must("ps", "-a", "-q"); out != "" {
		t.Errorf("containers left: %q", out)
	}
	if got := volumeNames(t, e); len(got) != 0 {
		t.Errorf("volumes left: %v", got)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("--mount type=bind created its missing source: %v", err)
	}
}

// TestVolumeBindsAndReadOnly: -v creates a missing host path; ro binds
// and volumes refuse writes; z/Z are accepted; inspect shows the binds.
func TestVolumeBindsAndReadOnly(t *testing.T) {
	e, name := volEnv(t)
	vol, ctr := name+"-ro", name+"-c"
	t.Cleanup(func() { e.run("rm", "-f", ctr); e.run("volume", "rm", "-f", vol) })
	host := filepath.Join(t.TempDir(), "made", "by", "cais")
	runOK(e, "run", "--rm", "-v", host+":/out:rw,z", "busybox:test", "sh", "-c", "echo written > /out/f")
	if b, err := os.ReadFile(filepath.Join(host, "f")); err != nil || string(b) != "written\n" {
		t.Fatalf("-v with a missing host path: %q, %v; want the directory made and the file in it", b, err)
	}
	for _, args := range [][]string{
		{"-v", host + ":/out:ro,Z"},
		{"--mount", "type=bind,source=" + host + ",target=/out,readonly"},
		{"-v", vol + ":/out:ro"},
		{"--mount", "type=volume,source=" + vol + ",target=/out,ro=true"},
	} {
		r := e.run(append(append([]string{"run", "--rm"}, args...), "busybox:test", "touch", "/out/new")...)
		if !strings.Contains(r.stderr, "Read-only file system") {
			t.Errorf("write to %v: exit %d, %q; want Read-only file system", args, r.code, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(host, "new")); !os.IsNotExist(err) {
		t.Errorf("a read-only bind was written: %v", err)
	}
	e.must("create", "--name", ctr, "-v", host+":/a:ro", "--mount", "type=bind,src="+host+",dst=/b,bind-propagation=rslave", "busybox:test", "true")
	ms := mountsOf(t, e, ctr)
	wantA := map[string]any{"Type": "bind", "Source": host, "Destination": "/a", "Mode": "ro", "RW": false, "Propagation": "rprivate"}
	wantB := map[string]any{"Type": "bind", "Source": host, "Destination": "/b", "Mode": "", "RW": true, "Propagation": "rslave"}
	if len(ms) != 2 || !sameMount(ms[0], wantA) || !sameMount(ms[1], wantB) {
		t.Errorf("inspect Mounts = %v, want %v and %v", ms, wantA, wantB)
	}
	if out := e.must("inspect", "--format", "{{json .HostConfig.Binds}}", ctr); out != `["`+host+`:/a:ro"]`+"\n" {
		t.Errorf("HostConfig.Binds = %s", out)
	}
}

// TestTmpfsMounts: --tmpfs and --mount type=tmpfs are tmpfs of their size
// in the container; a volume with --opt type=tmpfs is mounted on the host
// while a container uses it and unmounted after.
func TestTmpfsMounts(t *testing.T) {
	e, name := volEnv(t)
	vol, ctr := name+"-tv", name+"-c"
	t.Cleanup(func() { e.run("rm", "-f", ctr); e.run("volume", "rm", "-f", vol) })
	r := runOK(e, "run", "--rm", "--tmpfs", "/scratch:size=2m,mode=1770", "--mount", "type=tmpfs,target=/t2,tmpfs-size=1m",
		"busybox:test", "sh", "-c", "grep -E ' /(scratch|t2) ' /proc/mounts")
	for _, want := range []string{"tmpfs /scratch tmpfs rw,nosuid,nodev,noexec,relatime,size=2048k,mode=1770 ", "tmpfs /t2 tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("/proc/mounts of the container:\n%s\nwant %q", r.stdout, want)
		}
	}

	e.must("volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", "o=size=3m", vol)
	doc := e.must("volume", "inspect", vol)
	var docs []map[string]any
	if err := json.Unmarshal([]byte(doc), &docs); err != nil || len(docs) != 1 {
		t.Fatalf("volume inspect: %v\n%s", err, doc)
	}
	opts, _ := docs[0]["Options"].(map[string]any)
	if out := e.must("inspect", "--format", "{{.Name}} {{.Scope}}", vol); out != vol+" local\n" {
		t.Errorf("inspect of a volume: %q", out)
	}
	if docs[0]["Name"] != vol || docs[0]["Driver"] != "local" || docs[0]["Scope"] != "local" || opts["o"] != "size=3m" ||
		docs[0]["Mountpoint"] != filepath.Join(e.root, "volumes", vol, "_data") || docs[0]["CreatedAt"] == "" {
		t.Errorf("volume inspect: %s", doc)
	}
	e.must("run", "-d", "--name", ctr, "-v", vol+":/tv", "busybox:test", "sleep", "60")
	data := filepath.Join(e.root, "volumes", vol, "_data")
	if b, _ := os.ReadFile("/proc/self/mountinfo"); !strings.Contains(string(b), " "+data+" ") {
		t.Errorf("the tmpfs volume is not mounted on the host at %s while used", data)
	}
	if out := e.must("exec", ctr, "grep", " /tv ", "/proc/mounts"); !strings.HasPrefix(out, "tmpfs /tv tmpfs ") || !strings.Contains(out, "size=3072k") {
		t.Errorf("the volume in the container: %q", out)
	}
	e.must("rm", "-f", ctr)
	if b, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(b), " "+data+" ") {
		t.Errorf("the tmpfs volume is still mounted after its last user went")
	}
}

// TestVolumesFrom: a container gets another's volumes and binds, at their
// paths, read-only with :ro.
func TestVolumesFrom(t *testing.T) {
	e, name := volEnv(t)
	vol, src := name+"-vf", name+"-src"
	t.Cleanup(func() { e.run("rm", "-f", src); e.run("volume", "rm", "-f", vol) })
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "g"), []byte("bind\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runOK(e, "run", "--rm", "-v", vol+":/shared", "busybox:test", "sh", "-c", "echo volume > /shared/f")
	e.must("create", "--name", src, "-v", vol+":/shared", "-v", host+":/hd", "busybox:test", "true")
	if r := runOK(e, "run", "--rm", "--volumes-from", src, "busybox:test", "sh", "-c", "cat /shared/f /hd/g; touch /shared/rw"); r.stdout != "volume\nbind\n" || strings.Contains(r.stderr, "touch:") {
		t.Errorf("--volumes-from %s: %q %q", src, r.stdout, r.stderr)
	}
	r := e.run("run", "--rm", "--volumes-from", src+":ro", "busybox:test", "sh", "-c", "cat /shared/f; touch /shared/ro")
	if r.stdout != "volume\n" || !strings.Contains(r.stderr, "Read-only file system") {
		t.Errorf("--volumes-from %s:ro: %q %q", src, r.stdout, r.stderr)
	}
	e.must("rm", "-f", src)
	e.must("volume", "rm", vol)
}

// TestVolumeAfterMonitorKilled: with the container's monitor SIGKILLed,
// its record still says which volumes it holds: they stay in use, and rm
// -f -v unmounts the tmpfs volume and removes the anonymous one.
func TestVolumeAfterMonitorKilled(t *testing.T) {
	e, name := volEnv(t)
	vol, ctr := name+"-tv", name+"-c"
	t.Cleanup(func() { e.run("rm", "-f", ctr); e.run("volume", "prune", "-f", "-a") })
	e.must("volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", "o=size=1m", vol)
	id := strings.TrimSpace(e.must("run", "-d", "--name", ctr, "-v", vol+":/tv", "-v", "/anon", "busybox:test", "sleep", "60"))
	anon := ""
	for _, m := range mountsOf(t, e, ctr) {
		if m["Destination"] == "/anon" {
			anon, _ = m["Name"].(string)
		}
	}
	if err := unix.Kill(monitorOf(t, e, id), unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if r := e.run("volume", "rm", vol); r.code != 1 || !strings.Contains(r.stderr, ctr) {
		t.Errorf("volume rm with the monitor dead: exit %d, %q; want in use by %s", r.code, r.stderr, ctr)
	}
	e.must("rm", "-f", "-v", ctr)
	data := filepath.Join(e.root, "volumes", vol, "_data")
	if b, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(b), " "+data+" ") {
		t.Errorf("the tmpfs volume is still mounted after rm -f")
	}
	if got := volumeNames(t, e); len(got) != 1 || got[0] != vol || anon == "" {
		t.Errorf("volumes after rm -f -v: %v, want only %s (anonymous %q gone)", got, vol, anon)
	}
	e.must("volume", "rm", vol)
	checkNothingLeft(t, e, []string{id})
}

// TestVolumeConcurrentFirstUse: cais processes that start containers on
// one new volume at the same time create it once and fill it once, fully
// (the volume is the container's /bin: a half-filled one has no sh).
func TestVolumeConcurrentFirstUse(t *testing.T) {
	e, name := volEnv(t)
	vol := name + "-bin"
	t.Cleanup(func() { e.run("volume", "rm", "-f", vol) })
	want := runOK(e, "run", "--rm", "busybox:test", "sh", "-c", "ls /bin | wc -l").stdout
	if strings.TrimSpace(want) == "" || strings.TrimSpace(want) == "0" {
		t.Fatalf("busybox's /bin has %q entries", want)
	}
	const n = 3
	results := make(chan result, n)
	for range n {
		cmd := e.command("", "run", "--rm", "-v", vol+":/bin", "busybox:test", "/bin/sh", "-c", "ls /bin | wc -l")
		outF, errF := e.tempFile(), e.tempFile()
		cmd.Stdout, cmd.Stderr = outF, errF
		go func() {
			err := cmd.Run()
			stdout, _ := os.ReadFile(outF.Name()) // not readFile: no t.Fatal off the test goroutine
			stderr, _ := os.ReadFile(errF.Name())
			r := result{stdout: string(stdout), stderr: string(stderr)}
			if ee, ok := err.(*exec.ExitError); ok {
				r.code = ee.ExitCode()
			}
			results <- r
		}()
	}
	for range n {
		r := <-results
		if r.stdout != want {
			t.Errorf("a container saw %q binaries in its /bin volume (exit %d, %q), want %q", r.stdout, r.code, r.stderr, want)
		}
	}
	if got := volumeNames(t, e); len(got) != 1 || got[0] != vol {
		t.Errorf("volumes: %v, want [%s]", got, vol)
	}
}

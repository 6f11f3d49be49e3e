package cli_test

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// cpContainer runs a container with a tree under /d, symlinks that aim
// at a host sentinel directory (absolute and through ../..), a decoy of
// the sentinel inside the container, and bind at /data.
func cpContainer(t *testing.T) (e *env, name, sentinel, bind string) {
	e, name = runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	sentinel, bind = t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(sentinel, "secret"), []byte("host secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	up := strings.Repeat("../", 12) + strings.TrimPrefix(sentinel, "/")
	setup := `mkdir -p /d/sub && echo a > /d/f && echo b > /d/sub/g && chown 1000:1001 /d/f &&
ln -s /etc /d/etclink && ln -s ` + sentinel + ` /d/abs && ln -s ` + up + ` /d/up &&
mkdir -p ` + sentinel + ` && echo decoy > ` + sentinel + `/secret && echo y > /data/y && touch /data/ready; exec sleep 1000`
	e.must("run", "-d", "--name", name, "-v", bind+":/data", "busybox:test", "sh", "-c", setup)
	untilTrue(t, "the container set up its files", func() bool {
		_, err := os.Stat(filepath.Join(bind, "ready"))
		return err == nil
	})
	return e, name, sentinel, bind
}

func wantFile(t *testing.T, p, want string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil || string(b) != want {
		t.Errorf("%s: %q, %v; want %q", p, b, err, want)
	}
}

// TestCpFromContainer: Docker's rules for a missing destination, an
// existing directory, "/.", files, -a and -L; a bind-mounted path comes
// from the mount's source.
func TestCpFromContainer(t *testing.T) {
	e, name, _, _ := cpContainer(t)
	h := t.TempDir()
	e.must("cp", name+":/d", filepath.Join(h, "new"))
	wantFile(t, filepath.Join(h, "new", "f"), "a\n")
	wantFile(t, filepath.Join(h, "new", "sub", "g"), "b\n")

	os.Mkdir(filepath.Join(h, "into"), 0o755)
	e.must("cp", name+":/d", filepath.Join(h, "into"))
	wantFile(t, filepath.Join(h, "into", "d", "sub", "g"), "b\n")

	os.Mkdir(filepath.Join(h, "contents"), 0o755)
	e.must("cp", name+":/d/.", filepath.Join(h, "contents"))
	wantFile(t, filepath.Join(h, "contents", "f"), "a\n")

	e.must("cp", name+":/d/f", filepath.Join(h, "file"))
	wantFile(t, filepath.Join(h, "file"), "a\n")
	os.WriteFile(filepath.Join(h, "old"), []byte("old\n"), 0o644)
	e.must("cp", name+":/d/sub/g", filepath.Join(h, "old"))
	wantFile(t, filepath.Join(h, "old"), "b\n")
	if r := e.run("cp", name+":/d", filepath.Join(h, "old")); r.code != 1 || !strings.Contains(r.stderr, "directory to a file") {
		t.Errorf("cp dir onto a file: code %d stderr %q", r.code, r.stderr)
	}
	if r := e.run("cp", name+":/d/f", filepath.Join(h, "nodir")+"/"); r.code != 1 || !strings.Contains(r.stderr, "does not exist") {
		t.Errorf("cp file to a missing dir/: code %d stderr %q", r.code, r.stderr)
	}

	owner := func(p string) (uint32, uint32) {
		st, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		s := st.Sys().(*syscall.Stat_t)
		return s.Uid, s.Gid
	}
	if u, g := owner(filepath.Join(h, "file")); u != 0 || g != 0 {
		t.Errorf("cp without -a: owner %d:%d, want the caller's 0:0", u, g)
	}
	e.must("cp", "-a", name+":/d/f", filepath.Join(h, "archived"))
	if u, g := owner(filepath.Join(h, "archived")); u != 1000 || g != 1001 {
		t.Errorf("cp -a: owner %d:%d, want the container's 1000:1001", u, g)
	}

	// A source symlink is copied as a link; -L follows it inside the
	// container: to the decoy, never to the host's sentinel.
	e.must("cp", name+":/d/etclink", filepath.Join(h, "link"))
	if l, err := os.Readlink(filepath.Join(h, "link")); err != nil || l != "/etc" {
		t.Errorf("cp of a symlink: %q, %v; want a link to /etc", l, err)
	}
	for _, src := range []string{"/d/abs/secret", "/d/up/secret"} {
		dst := filepath.Join(h, "followed"+strings.ReplaceAll(src, "/", "_"))
		e.must("cp", "-L", name+":"+src, dst)
		wantFile(t, dst, "decoy\n")
	}
	e.must("cp", "-L", name+":/d/etclink", filepath.Join(h, "etc"))
	if _, err := os.Stat(filepath.Join(h, "etc", "hostname")); err != nil {
		t.Errorf("cp -L of /etc link: the container's /etc was not copied: %v", err)
	}

	// Under the bind mount: the mount's source.
	e.must("cp", name+":/data/y", filepath.Join(h, "y"))
	wantFile(t, filepath.Join(h, "y"), "y\n")

	// "-": a tar on stdout, rooted at the source's name.
	r := e.run("cp", name+":/d", "-")
	if r.code != 0 {
		t.Fatalf("cp to -: %d %s", r.code, r.stderr)
	}
	names := map[string]bool{}
	tr := tar.NewReader(strings.NewReader(r.stdout))
	for {
		hd, err := tr.Next()
		if err != nil {
			break
		}
		names[hd.Name] = true
	}
	for _, n := range []string{"d/", "d/f", "d/sub/g", "d/etclink"} {
		if !names[n] {
			t.Errorf("cp to -: tar lacks %s (has %v)", n, names)
		}
	}
}

// TestCpToContainer: host to container by the same rules, through
// symlinks that stay in the container, into a bind mount's source,
// from a tar on stdin (one with ../ refused), and into a stopped
// container.
func TestCpToContainer(t *testing.T) {
	e, name, sentinel, bind := cpContainer(t)
	h := t.TempDir()
	os.WriteFile(filepath.Join(h, "hf"), []byte("from host\n"), 0o640)
	os.MkdirAll(filepath.Join(h, "hd", "in"), 0o755)
	os.WriteFile(filepath.Join(h, "hd", "in", "x"), []byte("x\n"), 0o644)

	e.must("cp", filepath.Join(h, "hf"), name+":/d/hf")
	e.must("cp", filepath.Join(h, "hd"), name+":/d")
	e.must("cp", filepath.Join(h, "hd")+"/.", name+":/d/sub")
	if out := e.must("exec", name, "sh", "-c", "cat /d/hf /d/hd/in/x /d/sub/in/x; stat -c %a /d/hf"); out != "from host\nx\nx\n640\n" {
		t.Errorf("after cp into the container: %q", out)
	}
	for _, dst := range []string{"/d/abs/planted", "/d/up/planted"} {
		e.must("cp", filepath.Join(h, "hf"), name+":"+dst)
	}
	if _, err := os.Stat(filepath.Join(sentinel, "planted")); err == nil {
		t.Fatalf("cp through a container symlink wrote into the host's %s", sentinel)
	}
	if out := e.must("exec", name, "cat", sentinel+"/planted"); out != "from host\n" {
		t.Errorf("cp through a symlink: the container's %s/planted has %q", sentinel, out)
	}

	e.must("cp", filepath.Join(h, "hf"), name+":/data/hf")
	wantFile(t, filepath.Join(bind, "hf"), "from host\n")

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "t/", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.WriteHeader(&tar.Header{Name: "t/z", Typeflag: tar.TypeReg, Mode: 0o644, Size: 2})
	tw.Write([]byte("z\n"))
	tw.Close()
	if r := e.runIn(buf.String(), "cp", "-", name+":/d"); r.code != 0 {
		t.Fatalf("cp - into the container: %d %s", r.code, r.stderr)
	}
	if out := e.must("exec", name, "cat", "/d/t/z"); out != "z\n" {
		t.Errorf("cp - : /d/t/z has %q", out)
	}
	buf.Reset()
	tw = tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "../../../../../../../" + strings.TrimPrefix(sentinel, "/") + "/evil", Typeflag: tar.TypeReg, Mode: 0o644, Size: 2})
	tw.Write([]byte("e\n"))
	tw.Close()
	r := e.runIn(buf.String(), "cp", "-", name+":/d")
	if _, err := os.Stat(filepath.Join(sentinel, "evil")); err == nil {
		t.Fatalf("a ../ tar entry reached the host's %s", sentinel)
	}
	if r.code != 1 || !strings.Contains(r.stderr, "outside") {
		t.Errorf("cp - with a ../ entry: code %d stderr %q, want 1 and an error", r.code, r.stderr)
	}

	e.must("stop", "-t", "1", name)
	e.must("cp", filepath.Join(h, "hf"), name+":/d/stopped")
	e.must("cp", name+":/d/stopped", filepath.Join(h, "back"))
	wantFile(t, filepath.Join(h, "back"), "from host\n")
}

// TestCpBadInput: clear errors, nothing written.
func TestCpBadInput(t *testing.T) {
	e, name, _, _ := cpContainer(t)
	h := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"nosuch:/d", h}, 1, "nosuch"},
		{[]string{filepath.Join(h, "x"), "nosuch:/d"}, 1, "nosuch"},
		{[]string{name + ":/missing", h}, 1, "/missing"},
		{[]string{filepath.Join(h, "missing"), name + ":/d"}, 1, "missing"},
		{[]string{h, filepath.Join(h, "y")}, 125, "at least one container"},
		{[]string{name + ":/d", name + ":/e"}, 125, "between containers"},
		{[]string{name + ":/d/f", name + ":/d"}, 125, "between containers"},
	} {
		r := e.run(append([]string{"cp"}, c.args...)...)
		if r.code != c.code || !strings.Contains(r.stderr, c.says) {
			t.Errorf("cp %v: code %d stderr %q, want %d and %q", c.args, r.code, r.stderr, c.code, c.says)
		}
	}
	if n := entries(t, h); n != 0 {
		t.Errorf("failed cps left %d entries in %s", n, h)
	}
}

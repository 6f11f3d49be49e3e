package cli_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/cais-project/cais/internal/fixture"
)

// gate is a proxy in front of a registry that holds every layer download
// until the test opens it, so a pull is known to be in progress.
type gate struct {
	upstream string
	waiting  chan struct{} // a blob request has arrived
	open     chan struct{}
	once     sync.Once
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
		g.once.Do(func() { close(g.waiting) })
		<-g.open
	}
	u := url.URL{Scheme: "http", Host: g.upstream, Path: r.URL.Path, RawQuery: r.URL.RawQuery}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// TestImagesDuringPull runs `images`, `image inspect` and `tag` while a
// pull in another process waits for its layers: no database is held
// across the download, so they answer while the pull is still running.
func TestImagesDuringPull(t *testing.T) {
	e := newEnv(t)
	reg := fixture.Registry(t)
	push(t, reg+"/cais/first:v1", testImage(t, 64<<10, 1))
	e.must("pull", "-q", reg+"/cais/first:v1")
	push(t, reg+"/cais/slow:v1", testImage(t, 256<<10, 2))

	g := &gate{upstream: reg, waiting: make(chan struct{}), open: make(chan struct{})}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	var openOnce sync.Once
	release := func() { openOnce.Do(func() { close(g.open) }) }
	t.Cleanup(release)
	proxied := strings.TrimPrefix(srv.URL, "http://") + "/cais/slow:v1"

	pull := e.command("", "pull", "-q", proxied)
	out := e.tempFile()
	pull.Stdout, pull.Stderr = out, out
	if err := pull.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- pull.Wait() }()
	t.Cleanup(func() {
		release()
		pull.Process.Kill()
		<-done
	})
	select {
	case <-g.waiting:
	case err := <-done:
		t.Fatalf("pull ended before fetching a layer: %v\n%s", err, readFile(t, out.Name()))
	}

	if got := e.must("images", "--format", "{{.Repository}}"); got != reg+"/cais/first\n" {
		t.Errorf("images during the pull = %q", got)
	}
	e.must("image", "inspect", reg+"/cais/first:v1")
	e.must("tag", reg+"/cais/first:v1", "during/pull:x")
	select {
	case err := <-done:
		t.Fatalf("the pull ended while its layers were held: %v", err)
	default:
	}

	release()
	if err := <-done; err != nil {
		t.Fatalf("pull: %v\n%s", err, readFile(t, out.Name()))
	}
	done <- nil // for the cleanup
	if got := e.must("images", "--format", "{{.Repository}}:{{.Tag}}"); !strings.Contains(got, "/cais/slow:v1") || !strings.Contains(got, "during/pull:x") {
		t.Errorf("images after the pull:\n%s", got)
	}
}

// TestPullProgressOnTerminal gives pull a terminal (script(1)) and checks
// the bars end in Docker's final lines.
func TestPullProgressOnTerminal(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("no script(1)")
	}
	e := newEnv(t)
	reg := fixture.Registry(t)
	img := testImage(t, 512<<10, 2)
	ref := reg + "/cais/tty:v1"
	push(t, ref, img)
	cmdline := e.bin + " " + strings.Join(e.args("pull", ref), " ")
	cmd := exec.Command(script, "-qec", cmdline, "/dev/null")
	f := e.tempFile()
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Run(); err != nil {
		t.Fatalf("script: %v\n%s", err, readFile(t, f.Name()))
	}
	got := readFile(t, f.Name())
	layers, _ := img.Layers()
	for _, l := range layers {
		want := mustDigest(t, l.Digest).Hex[:12] + ": Pull complete"
		if !strings.Contains(got, want) {
			t.Errorf("terminal output lacks %q:\n%q", want, got)
		}
	}
	for _, want := range []string{"\x1b[", "Status: Downloaded newer image for " + ref, "v1: Pulling from cais/tty"} {
		if !strings.Contains(got, want) {
			t.Errorf("terminal output lacks %q:\n%q", want, got)
		}
	}
}

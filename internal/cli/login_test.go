package cli_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/crypto/bcrypt"

	"github.com/cais-project/cais/internal/testgate"
)

// authRegistry runs Debian's docker-registry on loopback with htpasswd
// basic auth for user:password, and returns its address.
func authRegistry(t *testing.T, user, password string) string {
	t.Helper()
	const bin = "/usr/bin/docker-registry"
	testgate.Binary(t, bin)
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	htpasswd := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(htpasswd, []byte(user+":"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	config := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: %q
auth:
  htpasswd:
    realm: cais-test
    path: %q
http:
  addr: %q
`, filepath.Join(dir, "storage"), htpasswd, addr)), 0o644); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "serve", config)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REGISTRY_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			t.Logf("auth registry log:\n%s", b)
		}
	})
	// Serving means /v2/ answers, here 401 without credentials.
	for {
		resp, err := (&http.Client{Timeout: time.Second}).Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("auth registry: GET /v2/ without credentials: %s", resp.Status)
			}
			return addr
		}
		select {
		case <-exited:
			t.Fatalf("auth registry exited before serving")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestLoginLogout(t *testing.T) {
	e := newEnv(t)
	const user, pass = "alice", "s3cret pass"
	reg := authRegistry(t, user, pass)
	ref := reg + "/cais/private:v1"
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, testImage(t, 1024, 1), remote.WithAuth(&authn.Basic{Username: user, Password: pass})); err != nil {
		t.Fatalf("pushing with basic auth: %v", err)
	}
	if err := os.MkdirAll(e.dockerConfig, 0o700); err != nil {
		t.Fatal(err)
	}
	configPath := filepath.Join(e.dockerConfig, "config.json")
	// An existing config with other keys and another server's credentials.
	orig := `{"auths":{"other.example:5000":{"auth":"eDp5"}},"psFormat":"table {{.ID}}","credHelpers":{"x.example":"pass"}}`
	if err := os.WriteFile(configPath, []byte(orig), 0o600); err != nil {
		t.Fatal(err)
	}
	readConfig := func(t *testing.T) map[string]any {
		t.Helper()
		b, err := os.ReadFile(configPath)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("config.json: %v\n%s", err, b)
		}
		return doc
	}

	t.Run("pull refused before login", func(t *testing.T) {
		res := e.run("pull", ref)
		if res.code != 1 || !strings.Contains(strings.ToLower(res.stderr), "unauthorized") {
			t.Errorf("pull without login: exit %d, stderr:\n%s", res.code, res.stderr)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		res := e.run("login", "-u", user, "-p", "wrong", reg)
		if res.code != 1 || !strings.Contains(res.stderr, "incorrect username or password") {
			t.Errorf("login with a wrong password: exit %d, stderr:\n%s", res.code, res.stderr)
		}
		if b, _ := os.ReadFile(configPath); string(b) != orig {
			t.Errorf("a failed login changed config.json:\n%s", b)
		}
	})

	t.Run("password-stdin", func(t *testing.T) {
		res := e.runIn(pass+"\n", "login", "-u", user, "--password-stdin", reg)
		if res.code != 0 || !hasLine(res.stdout, "Login Succeeded") {
			t.Fatalf("login --password-stdin: exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
		}
		doc := readConfig(t)
		want := map[string]any{
			"auths": map[string]any{
				"other.example:5000": map[string]any{"auth": "eDp5"},
				reg:                  map[string]any{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))},
			},
			"psFormat":    "table {{.ID}}",
			"credHelpers": map[string]any{"x.example": "pass"},
		}
		if diff := cmp.Diff(want, doc); diff != "" {
			t.Errorf("config.json after login (-want +got):\n%s", diff)
		}
		fi, err := os.Stat(configPath)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("config.json mode = %v, want 0600", fi.Mode().Perm())
		}
	})

	t.Run("pull after login", func(t *testing.T) {
		e.must("pull", ref)
		if out := e.must("images", "--format", "{{.Repository}}:{{.Tag}}"); !hasLine(out, ref) {
			t.Errorf("images after the pull:\n%s", out)
		}
	})

	t.Run("logout", func(t *testing.T) {
		res := e.run("logout", reg)
		if res.code != 0 || !hasLine(res.stdout, "Removing login credentials for "+reg) {
			t.Errorf("logout: exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
		}
		auths, _ := readConfig(t)["auths"].(map[string]any)
		if _, ok := auths[reg]; ok {
			t.Errorf("logout left %s in auths: %v", reg, auths)
		}
		if _, ok := auths["other.example:5000"]; !ok {
			t.Errorf("logout removed another server's credentials: %v", auths)
		}
		// With the credentials gone the registry refuses the pull again.
		e.must("rmi", ref)
		if res := e.run("pull", ref); res.code != 1 {
			t.Errorf("pull after logout: exit %d, stderr:\n%s", res.code, res.stderr)
		}
	})

	t.Run("logout of an unknown server", func(t *testing.T) {
		res := e.run("logout", "unknown.example:5000")
		if res.code != 0 || !hasLine(res.stdout, "Not logged in to unknown.example:5000") {
			t.Errorf("logout of an unknown server: exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
		}
	})
}

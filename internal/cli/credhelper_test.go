package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestPullWithCredentialHelper: credentials for a registry come from the
// docker-credential-<name> helper that config.json's credHelpers names,
// as Docker does; without the helper entry the pull is refused.
func TestPullWithCredentialHelper(t *testing.T) {
	e := newEnv(t)
	const user, pass = "bob", "helper pass"
	reg := authRegistry(t, user, pass)
	ref := reg + "/cais/helped:v1"
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, testImage(t, 1024, 1), remote.WithAuth(&authn.Basic{Username: user, Password: pass})); err != nil {
		t.Fatal(err)
	}
	// The helper protocol: `docker-credential-X get` reads the server on
	// stdin and prints {"Username","Secret"}; it logs what it was asked.
	bin := t.TempDir()
	asked := filepath.Join(bin, "asked")
	helper := "#!/bin/sh\n[ \"$1\" = get ] || exit 1\ncat > " + asked + "\n" +
		`printf '{"ServerURL":"%s","Username":"` + user + `","Secret":"` + pass + `"}' "$(cat ` + asked + `)"` + "\n"
	if err := os.WriteFile(filepath.Join(bin, "docker-credential-caistest"), []byte(helper), 0o755); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(e.dockerConfig, 0o700)
	config := filepath.Join(e.dockerConfig, "config.json")

	os.WriteFile(config, []byte(`{}`), 0o600)
	cmd := e.command("", "pull", ref)
	cmd.Env = append(cmd.Env, "PATH="+bin+":"+os.Getenv("PATH"))
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("pull without credentials succeeded:\n%s", out)
	}

	os.WriteFile(config, []byte(`{"credHelpers":{"`+reg+`":"caistest"}}`), 0o600)
	cmd = e.command("", "pull", ref)
	cmd.Env = append(cmd.Env, "PATH="+bin+":"+os.Getenv("PATH"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pull with the credential helper: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(asked); !strings.Contains(string(got), reg) {
		t.Errorf("the helper was asked for %q, want the registry %s", got, reg)
	}
	if out := e.must("images", "--format", "{{.Repository}}:{{.Tag}}"); !strings.Contains(out, reg+"/cais/helped:v1") {
		t.Errorf("images after the pull:\n%s", out)
	}
}

package cli_test

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cais-project/cais/internal/fixture"
)

// TestPullImagesInspect pulls a pushed image and checks what images,
// inspect and history say against what was pushed.
func TestPullImagesInspect(t *testing.T) {
	e := newEnv(t)
	reg := fixture.Registry(t)
	img := testImage(t, 1<<20, 2)
	ref := reg + "/cais/pulled:v1"
	push(t, ref, img)
	cfgDigest := mustDigest(t, img.ConfigName)
	manDigest := mustDigest(t, img.Digest)
	layers, _ := img.Layers()
	id := "sha256:" + cfgDigest.Hex

	out := e.must("pull", ref)
	for _, l := range layers {
		short := mustDigest(t, l.Digest).Hex[:12]
		for _, status := range []string{"Pulling fs layer", "Download complete", "Pull complete"} {
			if !hasLine(out, short+": "+status) {
				t.Errorf("pull output lacks %q:\n%s", short+": "+status, out)
			}
		}
	}
	got := lines(out)
	want := []string{"Digest: " + manDigest.String(), "Status: Downloaded newer image for " + ref, ref}
	if diff := cmp.Diff(want, got[len(got)-3:]); diff != "" {
		t.Errorf("pull's last lines (-want +got):\n%s", diff)
	}
	if got[0] != "v1: Pulling from cais/pulled" {
		t.Errorf("pull's first line = %q", got[0])
	}

	again := e.must("pull", ref)
	if !hasLine(again, "Status: Image is up to date for "+ref) {
		t.Errorf("second pull:\n%s", again)
	}

	t.Run("images", func(t *testing.T) {
		out := e.must("images")
		ls := lines(out)
		if len(ls) != 2 || !strings.HasPrefix(ls[0], "REPOSITORY") {
			t.Fatalf("images:\n%s", out)
		}
		f := strings.Fields(ls[1])
		if f[0] != reg+"/cais/pulled" || f[1] != "v1" || f[2] != cfgDigest.Hex[:12] {
			t.Errorf("images row = %q", ls[1])
		}
		if q := e.must("images", "-q"); q != cfgDigest.Hex[:12]+"\n" {
			t.Errorf("images -q = %q", q)
		}
		if q := e.must("images", "-q", "--no-trunc"); q != id+"\n" {
			t.Errorf("images -q --no-trunc = %q", q)
		}
		if tmpl := e.must("images", "--format", "{{.Repository}}:{{.Tag}}"); tmpl != ref+"\n" {
			t.Errorf("images --format = %q", tmpl)
		}
		var row map[string]string
		js := e.must("images", "--format", "json")
		if err := json.Unmarshal([]byte(js), &row); err != nil {
			t.Fatalf("images --format json: %v\n%s", err, js)
		}
		if row["ID"] != id || row["Repository"] != reg+"/cais/pulled" || row["Tag"] != "v1" {
			t.Errorf("images json = %v", row)
		}
		dg := e.must("images", "--digests", "--format", "{{.Digest}}")
		if dg != manDigest.String()+"\n" {
			t.Errorf("images --digests = %q, want %s", dg, manDigest)
		}
		if n := e.must("images", "--filter", "label=org.example.kind=test", "-q"); n == "" {
			t.Errorf("label filter matched nothing")
		}
		if n := e.must("images", "--filter", "label=org.example.kind=other", "-q"); n != "" {
			t.Errorf("label filter with another value matched %q", n)
		}
		if n := e.must("images", "--filter", "dangling=true", "-q"); n != "" {
			t.Errorf("dangling filter matched %q", n)
		}
		if n := e.must("images", "--filter", "reference=*/cais/*", "-q"); n == "" {
			t.Errorf("reference filter matched nothing")
		}
	})

	t.Run("inspect", func(t *testing.T) {
		var docs []map[string]any
		out := e.must("image", "inspect", ref)
		if err := json.Unmarshal([]byte(out), &docs); err != nil || len(docs) != 1 {
			t.Fatalf("inspect: %v\n%s", err, out)
		}
		d := docs[0]
		cf, _ := img.ConfigFile()
		var diffIDs []any
		for _, h := range cf.RootFS.DiffIDs {
			diffIDs = append(diffIDs, h.String())
		}
		cfg := d["Config"].(map[string]any)
		checks := []struct {
			name      string
			got, want any
		}{
			{"Id", d["Id"], id},
			{"RepoTags", d["RepoTags"], []any{ref}},
			{"RepoDigests", d["RepoDigests"], []any{reg + "/cais/pulled@" + manDigest.String()}},
			{"Architecture", d["Architecture"], "amd64"},
			{"Os", d["Os"], "linux"},
			{"Created", d["Created"], "2024-05-06T07:08:09Z"},
			{"RootFS.Layers", d["RootFS"].(map[string]any)["Layers"], diffIDs},
			{"Config.Env", cfg["Env"], []any{"PATH=/bin", "HELLO=world"}},
			{"Config.Cmd", cfg["Cmd"], []any{"/bin/sh", "-c", "echo hi"}},
			{"Config.Entrypoint", cfg["Entrypoint"], []any{"/entry"}},
			{"Config.WorkingDir", cfg["WorkingDir"], "/work"},
			{"Config.User", cfg["User"], "1000:1000"},
			{"Config.Labels", cfg["Labels"], map[string]any{"org.example.kind": "test"}},
			{"Config.ExposedPorts", cfg["ExposedPorts"], map[string]any{"80/tcp": map[string]any{}}},
			{"Config.StopSignal", cfg["StopSignal"], "SIGQUIT"},
		}
		for _, c := range checks {
			if diff := cmp.Diff(c.want, c.got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", c.name, diff)
			}
		}
		// Two layers of 1 MiB of random bytes unpack to a little over 2 MiB.
		if size := d["Size"].(float64); size < 2<<20 || size > 3<<20 {
			t.Errorf("Size = %v, want about 2 MiB", size)
		}
		if got := e.must("image", "inspect", "--format", "{{.Id}} {{index .Config.Env 1}}", ref); got != id+" HELLO=world\n" {
			t.Errorf("inspect --format = %q", got)
		}
		if got := e.must("image", "inspect", "--format", "{{.Id}}", cfgDigest.Hex[:8]); got != id+"\n" {
			t.Errorf("inspect by ID prefix = %q", got)
		}
		skopeo, err := exec.LookPath("skopeo")
		if err != nil {
			t.Skip("no skopeo")
		}
		so, err := exec.Command(skopeo, "inspect", "--tls-verify=false", "docker://"+ref).Output()
		if err != nil {
			t.Fatalf("skopeo inspect: %v", err)
		}
		var sk struct {
			Digest string
			Layers []string
			Env    []string
		}
		if err := json.Unmarshal(so, &sk); err != nil {
			t.Fatal(err)
		}
		if sk.Digest != manDigest.String() || !cmp.Equal(sk.Env, []string{"PATH=/bin", "HELLO=world"}) {
			t.Errorf("skopeo says digest %s env %v; cais pulled %s", sk.Digest, sk.Env, manDigest)
		}
	})

	t.Run("history", func(t *testing.T) {
		out := e.must("history", "--format", "{{.ID}}|{{.CreatedBy}}", "--no-trunc", ref)
		want := fmt.Sprintf("%s|/bin/sh -c #(nop) ADD layer1\n<missing>|/bin/sh -c #(nop) ADD layer0\n", id)
		if out != want {
			t.Errorf("history = %q, want %q", out, want)
		}
		if q := e.must("history", "-q", ref); q != cfgDigest.Hex[:12]+"\n<missing>\n" {
			t.Errorf("history -q = %q", q)
		}
		tbl := lines(e.must("history", ref))
		if len(tbl) != 3 || !strings.HasPrefix(tbl[0], "IMAGE") || !strings.Contains(tbl[0], "CREATED BY") {
			t.Errorf("history table:\n%s", strings.Join(tbl, "\n"))
		}
	})

	t.Run("system df", func(t *testing.T) {
		out := e.must("system", "df")
		if !strings.Contains(out, "Images") || !strings.Contains(out, "(100%)") {
			t.Errorf("system df:\n%s", out)
		}
	})

	t.Run("push", func(t *testing.T) {
		dst := reg + "/cais/pushed:v2"
		e.must("tag", ref, dst)
		out := e.must("push", dst)
		if !hasLine(out, fmt.Sprintf("v2: digest: %s size: %d", manDigest, mustSize(t, img))) {
			t.Errorf("push:\n%s", out)
		}
		so, err := exec.Command("skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://"+dst).Output()
		if err == nil && strings.TrimSpace(string(so)) != manDigest.String() {
			t.Errorf("registry has %s at %s, want %s", so, dst, manDigest)
		}
	})
	_ = filepath.Join
}

func mustSize(t *testing.T, img interface{ RawManifest() ([]byte, error) }) int {
	b, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

package container

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// state.json keeps config.json as read; the commands that need only
// hooks, annotations or the cgroups path read them without the full
// decode, and update rewrites the spec it changed.
func TestStateSpecRoundTrip(t *testing.T) {
	dir := t.TempDir()
	raw := []byte(`{"ociVersion":"1.0.2","annotations":{"a":"b"},
		"hooks":{"poststop":[{"path":"/bin/true"}]},
		"linux":{"cgroupsPath":"/x/y","resources":{"pids":{"limit":5}}},
		"future":{"field":1}}`)
	s := &State{ID: "c", Spec: raw}
	if err := s.save(dir); err != nil {
		t.Fatal(err)
	}
	got, err := loadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	v := got.specView()
	if v.Annotations["a"] != "b" || v.Hooks == nil || len(v.Hooks.Poststop) != 1 || v.cgroupsPath() != "/x/y" {
		t.Fatalf("view = %+v", v)
	}
	if got.spec != nil {
		t.Fatal("the view decoded the whole spec")
	}
	full, err := got.FullSpec()
	if err != nil || *full.Linux.Resources.Pids.Limit != 5 {
		t.Fatalf("FullSpec = %+v, %v", full, err)
	}
	// Fields unknown to this runtime survive in state.json until the spec
	// is rewritten.
	b, _ := os.ReadFile(dir + "/" + stateFile)
	var m map[string]map[string]any
	json.Unmarshal(b, &m)
	if _, ok := m["spec"]["future"]; !ok {
		t.Fatalf("state.json lost config.json's fields: %s", b)
	}

	seven := int64(7)
	full.Linux.Resources.Pids = &specs.LinuxPids{Limit: &seven}
	if err := got.setSpec(full); err != nil {
		t.Fatal(err)
	}
	if err := got.save(dir); err != nil {
		t.Fatal(err)
	}
	again, err := loadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := again.FullSpec(); *f.Linux.Resources.Pids.Limit != 7 || again.specView().cgroupsPath() != "/x/y" {
		t.Fatalf("after update: %s", again.Spec)
	}
}

func TestStateBadSpec(t *testing.T) {
	s := &State{ID: "c", Spec: json.RawMessage(`{"process":1}`)}
	if _, err := s.FullSpec(); err == nil {
		t.Fatal("a malformed spec decoded")
	}
}

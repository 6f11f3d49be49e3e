package initproto

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fill sets every exported field reachable from v to a distinct non-zero
// value (interfaces stay nil: the codec refuses them).
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(-int64(1 + *n%100))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(uint64(1 + *n%200))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5 + float64(*n))
	case reflect.String:
		v.SetString("s" + strconv.Itoa(*n))
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := 0; i < 2; i++ {
			fill(s.Index(i), n)
		}
		v.Set(s)
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			fill(v.Index(i), n)
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for i := 0; i < 2; i++ {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(k, n)
			fill(e, n)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), n)
		v.Set(p)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), n)
			}
		}
	}
}

func fullConfig(t *testing.T) *Config {
	t.Helper()
	var cfg Config
	n := 0
	fill(reflect.ValueOf(&cfg).Elem(), &n)
	if cfg.Spec.Linux.Resources.Memory.Limit == nil || cfg.Spec.Process.User.AdditionalGids == nil || cfg.Seccomp.BPF == nil {
		t.Fatal("fill left fields unset")
	}
	return &cfg
}

// Every field of the config, the whole OCI spec included, comes back as
// it went: a field of a kind the codec cannot carry fails here first.
func TestCodecRoundTripsEveryField(t *testing.T) {
	want := fullConfig(t)
	b, err := marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var got Config
	if err := unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(&got, want) {
		t.Fatalf("round trip differs: %s", cmp.Diff(want, &got))
	}
	// nil and empty stay apart.
	want.Spec.Mounts, want.Spec.Process.Env, want.CgroupPaths = nil, []string{}, map[string]string{}
	if b, err = marshal(want); err != nil {
		t.Fatal(err)
	}
	got = Config{}
	if err := unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Spec.Mounts != nil || got.Spec.Process.Env == nil || got.CgroupPaths == nil {
		t.Errorf("nil/empty not kept: mounts %v env %#v cgroupPaths %#v", got.Spec.Mounts, got.Spec.Process.Env, got.CgroupPaths)
	}
}

// A cut, padded or corrupted message is an error, never a panic or an
// allocation larger than the message.
func TestCodecRefusesBadInput(t *testing.T) {
	b, err := marshal(fullConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(b); i++ {
		var c Config
		if err := unmarshal(b[:i], &c); err == nil {
			t.Fatalf("a message cut at %d of %d bytes was accepted", i, len(b))
		}
	}
	var c Config
	if err := unmarshal(append(b, 0), &c); err == nil || !strings.Contains(err.Error(), "left over") {
		t.Errorf("trailing byte: got %v", err)
	}
	// ID is the first field: claim a string of 2^40 bytes.
	huge := []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x20}
	if err := unmarshal(huge, &c); err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("huge length: got %v", err)
	}
	type withInterface struct{ X any }
	if _, err := marshal(&withInterface{X: 1}); err == nil {
		t.Error("a non-nil interface was encoded")
	}
	type withHidden struct {
		A string
		b int
	}
	if _, err := marshal(&withHidden{A: "a", b: 1}); err == nil || !strings.Contains(err.Error(), "unexported field b") {
		t.Errorf("a struct with an unexported field: got %v", err)
	}
}

// The config travels through the conversation in this form.
func TestSendConfigUsesTheCodec(t *testing.T) {
	parent, child := pair(t)
	want := fullConfig(t)
	want.Spec.Linux.Resources, want.Spec.Windows, want.Spec.Solaris, want.Spec.VM, want.Spec.ZOS, want.Spec.FreeBSD = nil, nil, nil, nil, nil, nil
	got := receiveConfig(t, child)
	if err := parent.SendConfig(want); err != nil {
		t.Fatal(err)
	}
	if cfg := <-got; !cmp.Equal(cfg, want) {
		t.Errorf("received config differs: %s", cmp.Diff(want, cfg))
	}
}

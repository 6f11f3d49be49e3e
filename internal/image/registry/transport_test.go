package registry

import (
	"errors"
	"net/http"
	"testing"

	"github.com/cais-project/cais/internal/errdefs"
)

func TestPlainHTTPAllowed(t *testing.T) {
	cases := []struct {
		host     string
		insecure []string
		want     bool
	}{
		{"127.0.0.1:5000", nil, true},
		{"127.1.2.3", nil, true},
		{"[::1]:5000", nil, true},
		{"localhost:5000", nil, true},
		{"reg.localhost", nil, true},
		{"10.0.0.5:5000", nil, false}, // go-containerregistry alone would use HTTP here
		{"192.168.1.2", nil, false},
		{"registry.example.com", nil, false},
		{"registry.example.com:5000", []string{"registry.example.com"}, true},
		{"registry.example.com:5000", []string{"registry.example.com:5000"}, true},
		{"registry.example.com:5001", []string{"registry.example.com:5000"}, false},
	}
	for _, c := range cases {
		t.Run(c.host, func(t *testing.T) {
			if got := plainHTTPAllowed(c.host, c.insecure); got != c.want {
				t.Errorf("plainHTTPAllowed(%q, %q) = %v, want %v", c.host, c.insecure, got, c.want)
			}
		})
	}
}

type failTransport struct{}

func (failTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("must not be reached")
}

func TestGuardRefusesPlainHTTPBeforeDialing(t *testing.T) {
	g := &guardTransport{next: failTransport{}, manifestLimit: DefaultManifestLimit}
	req, _ := http.NewRequest("GET", "http://10.0.0.5:5000/v2/", nil)
	if _, err := g.RoundTrip(req); !errors.Is(err, errdefs.ErrPermission) {
		t.Errorf("plain HTTP to a private address: %v, want Permission", err)
	}
}

func TestParseReferenceNames(t *testing.T) {
	cases := []struct{ in, want string }{
		{"busybox", "docker.io/library/busybox:latest"},
		{"127.0.0.1:5000/a/b:v1", "127.0.0.1:5000/a/b:v1"},
		{"quay.io/x/y@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			"quay.io/x/y@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
	}
	for _, c := range cases {
		r, err := ParseReference(c.in)
		if err != nil {
			t.Fatalf("ParseReference(%q): %v", c.in, err)
		}
		if got := RecordName(r); got != c.want {
			t.Errorf("RecordName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if _, err := ParseReference("Bad::Ref@@"); !errdefs.IsInvalidArgument(err) {
		t.Errorf("bad reference: %v, want InvalidArgument", err)
	}
}

package transfer

import (
	"encoding/json"
	"fmt"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cais-project/cais/internal/errdefs"
)

// applyChanges applies Dockerfile instructions to an image config, the
// subset docker import --change accepts. Each change is one instruction
// ("CMD [\"/bin/sh\"]", "ENV A=1 B=2", "EXPOSE 80/udp 443").
func applyChanges(c *ocispec.ImageConfig, changes []string) error {
	for _, ch := range changes {
		if err := applyChange(c, ch); err != nil {
			return fmt.Errorf("change %q: %w", ch, err)
		}
	}
	return nil
}

func applyChange(c *ocispec.ImageConfig, change string) error {
	word, rest, _ := strings.Cut(strings.TrimSpace(change), " ")
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return fmt.Errorf("no argument: %w", errdefs.ErrInvalidArgument)
	}
	switch strings.ToUpper(word) {
	case "CMD":
		c.Cmd = command(rest)
	case "ENTRYPOINT":
		c.Entrypoint = command(rest)
	case "ENV":
		kvs, err := pairs(rest)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			c.Env = setEnv(c.Env, kv[0], kv[1])
		}
	case "LABEL":
		kvs, err := pairs(rest)
		if err != nil {
			return err
		}
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		for _, kv := range kvs {
			c.Labels[kv[0]] = kv[1]
		}
	case "WORKDIR":
		c.WorkingDir = rest
	case "USER":
		c.User = rest
	case "STOPSIGNAL":
		c.StopSignal = rest
	case "EXPOSE":
		if c.ExposedPorts == nil {
			c.ExposedPorts = map[string]struct{}{}
		}
		for _, p := range strings.Fields(rest) {
			if !strings.Contains(p, "/") {
				p += "/tcp"
			}
			c.ExposedPorts[strings.ToLower(p)] = struct{}{}
		}
	case "VOLUME":
		if c.Volumes == nil {
			c.Volumes = map[string]struct{}{}
		}
		vols := []string{}
		if err := json.Unmarshal([]byte(rest), &vols); err != nil {
			vols = strings.Fields(rest)
		}
		for _, v := range vols {
			c.Volumes[v] = struct{}{}
		}
	default:
		return fmt.Errorf("instruction %q cannot be applied to an imported image: %w", word, errdefs.ErrInvalidArgument)
	}
	return nil
}

// command reads the exec form (a JSON array) or the shell form, which
// runs under /bin/sh -c as in a Dockerfile.
func command(s string) []string {
	var argv []string
	if strings.HasPrefix(s, "[") && json.Unmarshal([]byte(s), &argv) == nil {
		return argv
	}
	return []string{"/bin/sh", "-c", s}
}

// pairs reads "K=V K2=V2" (values may be double-quoted) or the legacy
// "K V with spaces".
func pairs(s string) ([][2]string, error) {
	first, _, _ := strings.Cut(s, " ")
	if !strings.Contains(first, "=") {
		k, v, _ := strings.Cut(s, " ")
		return [][2]string{{k, strings.TrimSpace(v)}}, nil
	}
	var out [][2]string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		k, rest, ok := strings.Cut(s, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("%q is not KEY=VALUE: %w", s, errdefs.ErrInvalidArgument)
		}
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				return nil, fmt.Errorf("unterminated quote in %q: %w", s, errdefs.ErrInvalidArgument)
			}
			v, s = rest[1:1+end], rest[2+end:]
		} else {
			v, s, _ = strings.Cut(rest, " ")
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

func setEnv(env []string, k, v string) []string {
	for i, e := range env {
		if strings.HasPrefix(e, k+"=") {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}

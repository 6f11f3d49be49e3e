package engine

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/cais-project/cais/internal/errdefs"
)

// DockerConfigPath is where credentials are kept, as Docker keeps them:
// $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
func DockerConfigPath() (string, error) {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the Docker config: %w", err)
	}
	return filepath.Join(home, ".docker", "config.json"), nil
}

// serverKey is the key Docker uses in "auths" for a server.
func serverKey(server string) string {
	switch server {
	case "", "docker.io", "index.docker.io", "registry-1.docker.io":
		return "https://index.docker.io/v1/"
	}
	return server
}

// Login checks the credentials against server's registry and stores them
// (base64 "user:password" under auths, as Docker does) in the Docker
// config. It returns the file written. Wrong credentials fail with
// errdefs.ErrPermission.
func (e *Engine) Login(ctx context.Context, server, user, password string) (string, error) {
	if user == "" || password == "" {
		return "", fmt.Errorf("login: a username and a password are needed: %w", errdefs.ErrInvalidArgument)
	}
	host := server
	if host == "" || serverKey(host) != host {
		host = name.DefaultRegistry
	}
	var opts []name.Option
	for _, r := range e.opts.InsecureRegistries {
		if r == host {
			opts = append(opts, name.Insecure)
		}
	}
	reg, err := name.NewRegistry(host, opts...)
	if err != nil {
		return "", fmt.Errorf("login: server %q: %v: %w", server, err, errdefs.ErrInvalidArgument)
	}
	auth := &authn.Basic{Username: user, Password: password}
	tr, err := transport.NewWithContext(ctx, reg, auth, http.DefaultTransport, []string{reg.Scope(transport.PullScope)})
	if err != nil {
		return "", fmt.Errorf("login to %s: %w", host, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, reg.Scheme()+"://"+reg.RegistryStr()+"/v2/", nil)
	if err != nil {
		return "", err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return "", fmt.Errorf("login to %s: %w: %w", host, err, errdefs.ErrUnavailable)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return "", fmt.Errorf("login to %s: unauthorized: incorrect username or password: %w", host, errdefs.ErrPermission)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("login to %s: registry answered %s: %w", host, resp.Status, errdefs.ErrUnavailable)
	}
	entry := map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + password))}
	return editDockerConfig(func(auths map[string]json.RawMessage) error {
		b, err := json.Marshal(entry)
		auths[serverKey(server)] = b
		return err
	})
}

// Logout removes server's credentials from the Docker config. It fails
// with errdefs.ErrNotFound when there were none.
func (e *Engine) Logout(ctx context.Context, server string) (string, error) {
	return editDockerConfig(func(auths map[string]json.RawMessage) error {
		k := serverKey(server)
		if _, ok := auths[k]; !ok {
			return fmt.Errorf("not logged in to %s: %w", k, errdefs.ErrNotFound)
		}
		delete(auths, k)
		return nil
	})
}

// editDockerConfig changes the "auths" object of the Docker config and
// keeps every other key as it was, writing atomically with mode 0600.
func editDockerConfig(edit func(map[string]json.RawMessage) error) (string, error) {
	path, err := DockerConfigPath()
	if err != nil {
		return "", err
	}
	doc := map[string]json.RawMessage{}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return "", fmt.Errorf("reading %s: %w", path, err)
	default:
		if err := json.Unmarshal(b, &doc); err != nil {
			return "", fmt.Errorf("parsing %s: %v: %w", path, err, errdefs.ErrInvalidArgument)
		}
	}
	auths := map[string]json.RawMessage{}
	if raw, ok := doc["auths"]; ok {
		if err := json.Unmarshal(raw, &auths); err != nil {
			return "", fmt.Errorf("parsing auths in %s: %v: %w", path, err, errdefs.ErrInvalidArgument)
		}
	}
	if err := edit(auths); err != nil {
		return "", err
	}
	if doc["auths"], err = json.Marshal(auths); err != nil {
		return "", err
	}
	out, err := json.MarshalIndent(doc, "", "\t")
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config.json-")
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(out, '\n')); err != nil {
		tmp.Close()
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return path, nil
}

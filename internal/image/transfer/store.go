package transfer

import (
	"context"
	"fmt"
	"strings"

	gcrname "github.com/google/go-containerregistry/pkg/name"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/metadata"
	"github.com/cais-project/cais/internal/image/registry"
)

// Store is where Load and Import put images and Save takes them from: the
// content store for bytes and the image records, as registry pulls and
// pushes use them.
type Store = registry.Store

// DefaultJSONLimit is the largest JSON document (manifest.json,
// index.json, a manifest, an index or a config) Load accepts.
const DefaultJSONLimit = registry.DefaultManifestLimit

// recordName turns a reference as a user writes it ("busybox",
// "localhost:5000/app:v1") into the image record name registry pulls use
// ("docker.io/library/busybox:latest").
func recordName(ref string) (string, error) {
	r, err := registry.ParseReference(ref)
	if err != nil {
		return "", err
	}
	return registry.RecordName(r), nil
}

// lookup finds the record for ref: a record of exactly that name (which
// covers records named by digest), else the record of the normalized
// reference.
func lookup(ctx context.Context, st Store, ref string) (metadata.Image, error) {
	rec, err := st.Images.Get(ctx, ref)
	if err == nil || !errdefs.IsNotFound(err) {
		return rec, err
	}
	name, perr := recordName(ref)
	if perr != nil {
		return metadata.Image{}, fmt.Errorf("image %s: %w", ref, errdefs.ErrNotFound)
	}
	return st.Images.Get(ctx, name)
}

// familiar is how Docker writes a name in manifest.json's RepoTags:
// "busybox:latest" for docker.io/library/busybox:latest. Only tagged names
// can be RepoTags; ok is false for others (digest references, records
// named by digest).
func familiar(name string) (string, bool) {
	if strings.HasPrefix(name, "sha256:") {
		return "", false
	}
	r, err := gcrname.NewTag(name, gcrname.StrictValidation)
	if err != nil {
		return "", false
	}
	n := registry.RecordName(r)
	if rest, ok := strings.CutPrefix(n, "docker.io/"); ok {
		return strings.TrimPrefix(rest, "library/"), true
	}
	return n, true
}

// setRecord points name at img's target, creating the record or moving an
// existing one (keeping its labels).
func setRecord(ctx context.Context, images registry.ImageStore, img metadata.Image) error {
	_, err := images.Create(ctx, img)
	if !errdefs.IsAlreadyExists(err) {
		return err
	}
	old, err := images.Get(ctx, img.Name)
	if err != nil {
		return err
	}
	old.Target = img.Target
	_, err = images.Update(ctx, old, metadata.FieldTarget)
	return err
}

package metadata

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"sort"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	bolt "go.etcd.io/bbolt"

	"github.com/cais-project/cais/internal/errdefs"
)

// Image is one image record.
type Image struct {
	// Name is the record's key, normally a full reference
	// ("docker.io/library/busybox:latest"). Required, immutable.
	Name string `json:"name"`
	// Target is what the name points at: a manifest or an index. Required.
	Target ocispec.Descriptor `json:"target"`
	// Labels are free-form; keys must not be empty.
	Labels map[string]string `json:"labels,omitempty"`
	// CreatedAt and UpdatedAt are set by the store.
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// The database layout: one bucket, name -> JSON record. A version bucket
// lets a later layout migrate.
var (
	bucketImages = []byte("images.v1")
)

// Store is the image record store. It is safe for concurrent use; bbolt
// holds a file lock, so one process opens the database at a time and others
// wait up to the open timeout.
type Store struct {
	db *bolt.DB
}

// Open opens (creating if needed) <root>/meta.db.
func Open(root string) (*Store, error) {
	db, err := bolt.Open(filepath.Join(root, "meta.db"), 0o600, &bolt.Options{Timeout: 30 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("opening image metadata: %w", err)
	}
	// Only a new database needs the bucket: an Update commits (two
	// fdatasyncs) even when it changes nothing, and most opens only read.
	var have bool
	db.View(func(tx *bolt.Tx) error { have = tx.Bucket(bucketImages) != nil; return nil })
	if !have {
		err = db.Update(func(tx *bolt.Tx) error {
			_, err := tx.CreateBucketIfNotExists(bucketImages)
			return err
		})
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("initialising image metadata: %w", err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func validate(img Image) error {
	if img.Name == "" {
		return fmt.Errorf("image name is empty: %w", errdefs.ErrInvalidArgument)
	}
	if err := img.Target.Digest.Validate(); err != nil {
		return fmt.Errorf("image %s: target digest %q: %v: %w", img.Name, img.Target.Digest, err, errdefs.ErrInvalidArgument)
	}
	if img.Target.MediaType == "" || img.Target.Size <= 0 {
		return fmt.Errorf("image %s: target needs a media type and a size: %w", img.Name, errdefs.ErrInvalidArgument)
	}
	for k := range img.Labels {
		if k == "" {
			return fmt.Errorf("image %s: empty label key: %w", img.Name, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

// Create adds a record. It fails with errdefs.ErrAlreadyExists if the name
// is taken. CreatedAt and UpdatedAt are set to now.
func (s *Store) Create(ctx context.Context, img Image) (Image, error) {
	if err := validate(img); err != nil {
		return Image{}, err
	}
	img.CreatedAt = time.Now().UTC()
	img.UpdatedAt = img.CreatedAt
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketImages)
		if b.Get([]byte(img.Name)) != nil {
			return fmt.Errorf("image %s: %w", img.Name, errdefs.ErrAlreadyExists)
		}
		return put(b, img)
	})
	if err != nil {
		return Image{}, err
	}
	return img, nil
}

// Get returns a record, or fails with errdefs.ErrNotFound.
func (s *Store) Get(ctx context.Context, name string) (Image, error) {
	var img Image
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		img, err = get(tx.Bucket(bucketImages), name)
		return err
	})
	return img, err
}

// List returns the records for which every filter returns true, sorted by
// name.
func (s *Store) List(ctx context.Context, filters ...func(Image) bool) ([]Image, error) {
	var out []Image
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketImages).ForEach(func(k, v []byte) error {
			var img Image
			if err := json.Unmarshal(v, &img); err != nil {
				return fmt.Errorf("decoding image %s: %w", k, err)
			}
			for _, f := range filters {
				if !f(img) {
					return nil
				}
			}
			out = append(out, img)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	return out, nil // bbolt iterates keys in byte order
}

// Field names for Update.
const (
	FieldTarget = "target"
	FieldLabels = "labels"
)

// Update replaces fields of an existing record (by img.Name): those named
// in fields (FieldTarget, FieldLabels), or both when none are named. It
// fails with errdefs.ErrNotFound for an absent record and returns the
// record as stored.
func (s *Store) Update(ctx context.Context, img Image, fields ...string) (Image, error) {
	if len(fields) == 0 {
		fields = []string{FieldTarget, FieldLabels}
	}
	var out Image
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketImages)
		cur, err := get(b, img.Name)
		if err != nil {
			return err
		}
		for _, f := range fields {
			switch f {
			case FieldTarget:
				cur.Target = img.Target
			case FieldLabels:
				cur.Labels = maps.Clone(img.Labels)
			default:
				return fmt.Errorf("image %s: unknown field %q: %w", img.Name, f, errdefs.ErrInvalidArgument)
			}
		}
		if err := validate(cur); err != nil {
			return err
		}
		cur.UpdatedAt = time.Now().UTC()
		out = cur
		return put(b, cur)
	})
	if err != nil {
		return Image{}, err
	}
	return out, nil
}

// Delete removes a record, or fails with errdefs.ErrNotFound.
func (s *Store) Delete(ctx context.Context, name string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketImages)
		if b.Get([]byte(name)) == nil {
			return fmt.Errorf("image %s: %w", name, errdefs.ErrNotFound)
		}
		return b.Delete([]byte(name))
	})
}

// GCRoots returns the distinct target digests of all records, sorted: the
// content a garbage collector must keep, together with everything those
// targets reference.
func (s *Store) GCRoots(ctx context.Context) ([]digest.Digest, error) {
	imgs, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[digest.Digest]bool{}
	var out []digest.Digest
	for _, img := range imgs {
		if !seen[img.Target.Digest] {
			seen[img.Target.Digest] = true
			out = append(out, img.Target.Digest)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

func get(b *bolt.Bucket, name string) (Image, error) {
	v := b.Get([]byte(name))
	if v == nil {
		return Image{}, fmt.Errorf("image %s: %w", name, errdefs.ErrNotFound)
	}
	var img Image
	if err := json.Unmarshal(v, &img); err != nil {
		return Image{}, fmt.Errorf("decoding image %s: %w", name, err)
	}
	return img, nil
}

func put(b *bolt.Bucket, img Image) error {
	v, err := json.Marshal(img)
	if err != nil {
		return fmt.Errorf("encoding image %s: %w", img.Name, err)
	}
	if err := b.Put([]byte(img.Name), v); err != nil {
		return fmt.Errorf("storing image %s: %w", img.Name, err)
	}
	return nil
}

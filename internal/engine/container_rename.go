package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cais-project/cais/internal/errdefs"
)

// RenameContainer gives c the name newName, under the containers lock:
// the new name is claimed in the index (exclusively), the record is
// rewritten, then the old name is released. A taken name is an
// errdefs.ErrConflict naming its holder; an invalid one, or the current
// name, an errdefs.ErrInvalidArgument.
func (e *Engine) RenameContainer(ctx context.Context, c *Container, newName string) error {
	newName = strings.TrimPrefix(newName, "/")
	if !validName(newName) {
		return fmt.Errorf("invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed: %w", newName, errdefs.ErrInvalidArgument)
	}
	unlock, err := e.lockContainers()
	if err != nil {
		return err
	}
	defer unlock()
	// Read the record again under the lock: another rename may have won.
	cur, err := e.loadContainer(c.ID)
	if err != nil {
		return err
	}
	if cur.Name == newName {
		return fmt.Errorf("renaming a container with the same name as its current name: %w", errdefs.ErrInvalidArgument)
	}
	if holder, err := os.ReadFile(filepath.Join(e.namesDir(), newName)); err == nil {
		return fmt.Errorf("the container name %q is already in use by container %q; remove (or rename) that container to reuse the name: %w",
			"/"+newName, string(holder), errdefs.ErrConflict)
	}
	oldName := cur.Name
	cur.Name = newName
	if err := e.reserve(cur); err != nil {
		return err
	}
	oldPath := filepath.Join(e.namesDir(), oldName)
	if b, err := os.ReadFile(oldPath); err == nil && string(b) == cur.ID {
		if err := os.Remove(oldPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("releasing name %s: %w", oldName, err)
		}
	}
	c.Name = newName
	return nil
}

package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cais-project/cais/internal/runtime/specdefault"
)

func specCmd() *command {
	var bundle string
	var rootless bool
	cmd := newCommand("spec [--bundle DIR] [--rootless]", "write a default config.json, like runc spec", noArgs,
		func(*call) error {
			s := specdefault.Spec()
			if rootless {
				specdefault.MakeRootless(s, os.Getuid(), os.Getgid())
			}
			path := filepath.Join(bundle, "config.json")
			if _, err := os.Stat(path); err == nil {
				return fmt.Errorf("file %s exists: remove it first", path)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			b, err := json.MarshalIndent(s, "", "\t")
			if err != nil {
				return err
			}
			return os.WriteFile(path, append(b, '\n'), 0o666)
		})
	cmd.flags.stringVar(&bundle, "bundle", "b", "", "directory to write config.json in")
	cmd.flags.boolVar(&rootless, "rootless", "", "a spec for a rootless container")
	return cmd
}

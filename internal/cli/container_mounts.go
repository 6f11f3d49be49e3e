package cli

import (
	"github.com/spf13/pflag"

	"github.com/cais-project/cais/internal/engine"
)

// registerMountFlags adds --mount, --tmpfs and --volumes-from (-v is
// with the other container flags).
func registerMountFlags(f *pflag.FlagSet, o *engine.MountOptions) {
	f.StringArrayVar(&o.Mounts, "mount", nil, "attach a filesystem mount: type=bind|volume|tmpfs,source=…,target=…[,readonly] (repeatable)")
	f.StringArrayVar(&o.Tmpfs, "tmpfs", nil, "mount a tmpfs directory: /path[:options] (repeatable)")
	f.StringArrayVar(&o.VolumesFrom, "volumes-from", nil, "mount volumes from the specified container: CONTAINER[:ro|rw] (repeatable)")
}

package cli

import (
	"github.com/spf13/pflag"

	"github.com/cais-project/cais/internal/engine"
)

// registerMountFlags adds --mount, --tmpfs and --volumes-from (-v is
// with the other container flags).
func registerMountFlags(f *pflag.FlagSet, o *engine.MountOptions) {
	stringListVar(f, &o.Mounts, "mount", "attach a filesystem mount: type=bind|volume|tmpfs,source=…,target=…[,readonly] (repeatable)")
	stringListVar(f, &o.Tmpfs, "tmpfs", "mount a tmpfs directory: /path[:options] (repeatable)")
	stringListVar(f, &o.VolumesFrom, "volumes-from", "mount volumes from the specified container: CONTAINER[:ro|rw] (repeatable)")
}

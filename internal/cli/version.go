package cli

import (
	"fmt"
	"os"
	"runtime"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
	"github.com/cais-project/cais/internal/version"
)

// versionInfo is `version`'s document in Docker's shape: the client, and
// the server (for cais, the engine in this process) with its components.
type versionInfo struct {
	Client versionClient
	Server *versionServer `json:",omitempty"`
}

type versionClient struct {
	Platform   struct{ Name string }
	Version    string
	APIVersion string `json:"ApiVersion"`
	GoVersion  string
	GitCommit  string
	BuildTime  string
	Os, Arch   string
	Context    string
}

type versionServer struct {
	Platform   struct{ Name string }
	Components []versionComponent
	Version    string
	APIVersion string `json:"ApiVersion"`
	GoVersion  string
	GitCommit  string
	Os, Arch   string
}

type versionComponent struct {
	Name    string
	Version string
	Details map[string]string
}

// apiVersion is the Docker API version cais's documents follow.
const apiVersion = "1.43"

func versionCmd(g *globals) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "version [OPTIONS]",
		Short: "Show the cais version information",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			v := versionInfo{Client: versionClient{Version: version.Version, APIVersion: apiVersion,
				GoVersion: runtime.Version(), GitCommit: version.Commit, BuildTime: buildTime(),
				Os: runtime.GOOS, Arch: runtime.GOARCH, Context: "default"}}
			v.Client.Platform.Name = "cais"
			srv := &versionServer{Version: version.Version, APIVersion: apiVersion, GoVersion: runtime.Version(),
				GitCommit: version.Commit, Os: runtime.GOOS, Arch: runtime.GOARCH}
			srv.Platform.Name = "cais (daemonless)"
			srv.Components = append(srv.Components, versionComponent{Name: "Engine", Version: version.Version,
				Details: map[string]string{"ApiVersion": apiVersion, "GitCommit": version.Commit, "GoVersion": runtime.Version(),
					"Os": runtime.GOOS, "Arch": runtime.GOARCH, "Experimental": "false"}})
			rt, rtErr := engine.DefaultRuntimeVersion(c.Context())
			if rtErr == nil {
				srv.Components = append(srv.Components, versionComponent{Name: rt.Name, Version: rt.Version,
					Details: map[string]string{"GitCommit": rt.GitCommit}})
			}
			v.Server = srv
			if format != "" {
				if format == "json" {
					format = "{{json .}}"
				}
				return printTemplate(g, format, []any{v})
			}
			w := tabwriter.NewWriter(g.stdout, 20, 1, 1, ' ', 0)
			fmt.Fprintf(w, "Client:\n Version:\t%s\n API version:\t%s\n Go version:\t%s\n Git commit:\t%s\n Built:\t%s\n OS/Arch:\t%s/%s\n Context:\t%s\n\n",
				v.Client.Version, apiVersion, v.Client.GoVersion, v.Client.GitCommit, v.Client.BuildTime, v.Client.Os, v.Client.Arch, v.Client.Context)
			fmt.Fprintf(w, "Server: %s\n", srv.Platform.Name)
			for _, comp := range srv.Components {
				fmt.Fprintf(w, " %s:\n  Version:\t%s\n", comp.Name, comp.Version)
				for _, k := range []string{"ApiVersion", "GoVersion", "GitCommit", "Os", "Experimental"} {
					val, ok := comp.Details[k]
					switch {
					case !ok:
					case k == "ApiVersion":
						fmt.Fprintf(w, "  API version:\t%s\n", val)
					case k == "GoVersion":
						fmt.Fprintf(w, "  Go version:\t%s\n", val)
					case k == "GitCommit" && comp.Name == "Engine":
						fmt.Fprintf(w, "  Git commit:\t%s\n", val)
					case k == "GitCommit":
						fmt.Fprintf(w, "  GitCommit:\t%s\n", val)
					case k == "Os":
						fmt.Fprintf(w, "  OS/Arch:\t%s/%s\n", val, comp.Details["Arch"])
					default:
						fmt.Fprintf(w, "  %s:\t%s\n", k, val)
					}
				}
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if rtErr != nil {
				return fmt.Errorf("asking the default runtime its version: %w", rtErr)
			}
			return nil
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "", "format output using a Go template")
	return c
}

// buildTime is the modification time of this binary, Docker's "Built".
func buildTime() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	st, err := os.Stat(exe)
	if err != nil {
		return ""
	}
	return st.ModTime().UTC().Format(time.ANSIC)
}

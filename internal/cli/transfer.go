package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
)

// transferCmds are save, load and import.
func transferCmds(g *globals) []*cobra.Command {
	return []*cobra.Command{saveCmd(g), loadCmd(g), importCmd(g)}
}

func saveCmd(g *globals) *cobra.Command {
	var output, format string
	c := &cobra.Command{
		Use:   "save [OPTIONS] IMAGE [IMAGE...]",
		Short: "Save one or more images to a tar archive (streamed to STDOUT by default)",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			var w io.Writer = g.stdout
			if output == "" && isTerminal(g.stdout) {
				return fmt.Errorf("cowardly refusing to save to a terminal. Use the -o flag or redirect")
			}
			var f *os.File
			if output != "" {
				if f, err = os.CreateTemp(dirOf(output), ".cais-save-"); err != nil {
					return err
				}
				defer os.Remove(f.Name())
				defer f.Close()
				w = f
			}
			if err := e.Save(c.Context(), args, w, format); err != nil {
				return err
			}
			if f != nil {
				if err := f.Close(); err != nil {
					return err
				}
				return os.Rename(f.Name(), output)
			}
			return nil
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "write to a file, instead of STDOUT")
	c.Flags().StringVar(&format, "format", "docker-archive", "archive format: docker-archive or oci-archive")
	return c
}

func dirOf(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[:i+1]
		}
	}
	return "."
}

func loadCmd(g *globals) *cobra.Command {
	var input string
	var quiet bool
	c := &cobra.Command{
		Use:   "load [OPTIONS]",
		Short: "Load an image from a tar archive or STDIN",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			r := g.stdin
			if input != "" {
				f, err := os.Open(input)
				if err != nil {
					return err
				}
				defer f.Close()
				r = f
			}
			names, err := e.Load(c.Context(), r)
			for _, n := range names {
				if len(n) > 7 && n[:7] == "sha256:" {
					fmt.Fprintf(g.stdout, "Loaded image ID: %s\n", n)
				} else {
					fmt.Fprintf(g.stdout, "Loaded image: %s\n", n)
				}
			}
			_ = quiet // Docker's -q hides the progress; load shows none
			return err
		},
	}
	c.Flags().StringVarP(&input, "input", "i", "", "read from tar archive file, instead of STDIN")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "suppress the load output")
	return c
}

func importCmd(g *globals) *cobra.Command {
	var changes []string
	var message string
	c := &cobra.Command{
		Use:   "import [OPTIONS] file|DIR|- [REPOSITORY[:TAG]]",
		Short: "Import the contents from a tarball to create a filesystem image",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			ref := ""
			if len(args) == 2 {
				ref = args[1]
			}
			id, err := e.Import(c.Context(), args[0], g.stdin, ref, engine.ImportOptions{Changes: changes, Message: message})
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, id)
			return nil
		},
	}
	stringListVarP(c.Flags(), &changes, "change", "c", "apply Dockerfile instruction to the created image")
	c.Flags().StringVarP(&message, "message", "m", "", "set commit message for imported image")
	return c
}

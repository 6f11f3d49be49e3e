package cli

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

func loginCmd(g *globals) *cobra.Command {
	var user, password string
	var passwordStdin bool
	c := &cobra.Command{
		Use:   "login [OPTIONS] [SERVER]",
		Short: "Log in to a registry",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			server := ""
			if len(args) == 1 {
				server = args[0]
			}
			if password != "" {
				fmt.Fprintln(g.stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
				if passwordStdin {
					return usageError{fmt.Errorf("--password and --password-stdin are mutually exclusive")}
				}
			}
			if passwordStdin {
				if user == "" {
					return usageError{fmt.Errorf("must provide --username with --password-stdin")}
				}
				b, err := io.ReadAll(g.stdin)
				if err != nil {
					return err
				}
				password = strings.TrimRight(string(b), "\r\n")
			}
			if user == "" || password == "" {
				if isTerminal(g.stdout) {
					r := bufio.NewReader(g.stdin)
					if user == "" {
						fmt.Fprint(g.stdout, "Username: ")
						l, _ := r.ReadString('\n')
						user = strings.TrimSpace(l)
					}
					if password == "" {
						fmt.Fprint(g.stdout, "Password: ")
						l, _ := r.ReadString('\n')
						password = strings.TrimRight(l, "\r\n")
					}
				} else {
					return fmt.Errorf("cannot perform an interactive login from a non TTY device")
				}
			}
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			path, err := e.Login(c.Context(), server, user, password)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stderr, "WARNING! Your password will be stored unencrypted in %s.\n"+
				"Configure a credential helper to remove this warning. See\n"+
				"https://docs.docker.com/go/credential-store/\n\n", path)
			fmt.Fprintln(g.stdout, "Login Succeeded")
			return nil
		},
	}
	c.Flags().StringVarP(&user, "username", "u", "", "username")
	c.Flags().StringVarP(&password, "password", "p", "", "password")
	c.Flags().BoolVar(&passwordStdin, "password-stdin", false, "take the password from stdin")
	return c
}

func logoutCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "logout [SERVER]",
		Short: "Log out from a registry",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			server := ""
			if len(args) == 1 {
				server = args[0]
			}
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			shown := server
			if shown == "" {
				shown = "https://index.docker.io/v1/"
			}
			if _, err := e.Logout(c.Context(), server); err != nil {
				fmt.Fprintf(g.stdout, "Not logged in to %s\n", shown)
				return nil
			}
			fmt.Fprintf(g.stdout, "Removing login credentials for %s\n", shown)
			return nil
		},
	}
}

package cli

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
)

func inspectCmd(g *globals) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "inspect [OPTIONS] NAME|ID [NAME|ID...]",
		Short: "Display detailed information on one or more containers or images",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			var docs []any
			failed := false
			for _, a := range args {
				d, err := inspectObject(c.Context(), e, a, c.Parent() != nil && c.Parent().Name() == "image")
				if err != nil {
					fmt.Fprintf(g.stderr, "cais: inspect %s: %v\n", a, err)
					failed = true
					continue
				}
				docs = append(docs, d)
			}
			if format == "" {
				if docs == nil {
					docs = []any{}
				}
				if err := writeJSONIndent(g.stdout, docs); err != nil {
					return err
				}
			} else if err := printTemplate(g, format, docs); err != nil {
				return err
			}
			if failed {
				return exitError{exitFailure}
			}
			return nil
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "", "format output using a Go template")
	return c
}

// printTemplate runs a Go template over each document as its JSON form
// (so the template sees Docker's field names, {{.Id}}, {{.Config.Env}}).
func printTemplate[T any](g *globals, format string, docs []T) error {
	tmpl, err := parseTemplate(format)
	if err != nil {
		return usageError{err}
	}
	for _, d := range docs {
		b, err := json.Marshal(d)
		if err != nil {
			return err
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return err
		}
		if err := tmpl.Execute(g.stdout, v); err != nil {
			return usageError{fmt.Errorf("template: %w", err)}
		}
		fmt.Fprintln(g.stdout)
	}
	return nil
}

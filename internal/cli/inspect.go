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
			imagesOnly := c.Parent() != nil && c.Parent().Name() == "image"
			return inspectEach(g, args, format, true, func(a string) (any, error) {
				return inspectObject(c.Context(), e, a, imagesOnly)
			})
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "", "format output using a Go template")
	return c
}

// inspectEach prints what get returns for each argument, as one JSON array
// or through the --format template, as Docker's inspect commands do. An
// argument get fails on is reported on stderr (prefixed with "inspect ARG:"
// when named) and makes the command exit 1 after the others are printed.
func inspectEach[T any](g *globals, args []string, format string, named bool, get func(string) (T, error)) error {
	docs := []T{}
	failed := false
	for _, a := range args {
		d, err := get(a)
		if err != nil {
			if named {
				fmt.Fprintf(g.stderr, "cais: inspect %s: %v\n", a, err)
			} else {
				fmt.Fprintf(g.stderr, "cais: %v\n", err)
			}
			failed = true
			continue
		}
		docs = append(docs, d)
	}
	var err error
	if format == "" {
		err = writeJSONIndent(g.stdout, docs)
	} else {
		err = printTemplate(g, format, docs)
	}
	if err != nil {
		return err
	}
	if failed {
		return exitError{exitFailure}
	}
	return nil
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

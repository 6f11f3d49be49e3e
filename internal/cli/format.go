package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"

	"github.com/docker/go-units"
)

// row is one line of a listing, keyed by Docker's template field names.
type row map[string]string

// listing prints rows as Docker does for --format: "" or "table" is the
// default table of columns, "table TEMPLATE" a table of the template,
// "json" one JSON object per line, anything else a Go template per row.
type listing struct {
	format  string
	columns []string          // default table's fields, in order
	headers map[string]string // field -> column header
}

func (l listing) print(w io.Writer, rows []row) error {
	format := l.format
	switch {
	case format == "json":
		for _, r := range rows {
			b, err := json.Marshal(r)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "%s\n", b)
		}
		return nil
	case format == "" || format == "table":
		var cols []string
		for _, c := range l.columns {
			cols = append(cols, "{{."+c+"}}")
		}
		format = "table " + strings.Join(cols, "\t")
	}
	table := false
	if rest, ok := strings.CutPrefix(format, "table"); ok {
		table, format = true, strings.TrimLeft(rest, " ")
	}
	format = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(format)
	tmpl, err := parseTemplate(format)
	if err != nil {
		return usageError{err}
	}
	out := w
	var tw *tabwriter.Writer
	if table {
		tw = tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
		out = tw
		header := row{}
		for k, v := range l.headers {
			header[k] = v
		}
		if err := tmpl.Execute(out, header); err != nil {
			return usageError{fmt.Errorf("template: %w", err)}
		}
		fmt.Fprintln(out)
	}
	for _, r := range rows {
		if err := tmpl.Execute(out, r); err != nil {
			return usageError{fmt.Errorf("template: %w", err)}
		}
		fmt.Fprintln(out)
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

// parseTemplate parses a Go template with the functions Docker's
// templates offer.
func parseTemplate(s string) (*template.Template, error) {
	funcs := template.FuncMap{
		"json": func(v any) (string, error) {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			err := enc.Encode(v)
			return strings.TrimSpace(buf.String()), err
		},
		"join":     strings.Join,
		"upper":    strings.ToUpper,
		"lower":    strings.ToLower,
		"split":    strings.Split,
		"title":    strings.ToTitle,
		"truncate": func(s string, n int) string { return truncate(s, n) },
		"println":  fmt.Sprintln,
	}
	t, err := template.New("").Option("missingkey=error").Funcs(funcs).Parse(s)
	if err != nil {
		return nil, fmt.Errorf("template parsing error: %w", err)
	}
	return t, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// humanSize is Docker's size column ("4.26MB").
func humanSize(n int64) string { return units.HumanSizeWithPrecision(float64(n), 3) }

// since is Docker's "CREATED" column ("2 weeks ago").
func since(t time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	return units.HumanDuration(time.Since(t)) + " ago"
}

// shortID drops "sha256:" and keeps 12 hex digits unless noTrunc.
func shortID(id string, noTrunc bool) string {
	if noTrunc {
		return id
	}
	return truncate(strings.TrimPrefix(id, "sha256:"), 12)
}

func writeJSONIndent(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

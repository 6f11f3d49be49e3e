package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// readKVFile reads an --env-file or --label-file in Docker's format: one
// NAME=value per line, taken literally (no quotes, no expansion); blank
// lines and lines whose first non-blank character is # are skipped. A line
// holding only NAME is given to bare, which returns the entry to use or
// false to drop it.
func readKVFile(path string, bare func(name string) (string, bool)) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a UTF-8 BOM
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimLeftFunc(sc.Text(), unicode.IsSpace)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !utf8.ValidString(line) {
			return nil, fmt.Errorf("%s: line %d: invalid UTF-8", path, n)
		}
		name, _, hasValue := strings.Cut(line, "=")
		if !hasValue {
			name = strings.TrimRightFunc(name, unicode.IsSpace)
		}
		if name == "" {
			return nil, fmt.Errorf("%s: line %d: no variable name in %q", path, n, line)
		}
		if strings.ContainsFunc(name, unicode.IsSpace) {
			return nil, fmt.Errorf("%s: line %d: variable %q contains whitespace", path, n, name)
		}
		if hasValue {
			out = append(out, line)
		} else if e, ok := bare(name); ok {
			out = append(out, e)
		}
	}
	return out, sc.Err()
}

// hostEnv is the bare-NAME rule of -e and --env-file: the host's value,
// or nothing when the host has no such variable.
func hostEnv(name string) (string, bool) {
	v, ok := os.LookupEnv(name)
	return name + "=" + v, ok
}

// bareLabel is the bare-NAME rule of -l and --label-file: an empty value.
func bareLabel(name string) (string, bool) { return name + "=", true }

func cutKV(s string) (k, v string, ok bool) { return strings.Cut(s, "=") }

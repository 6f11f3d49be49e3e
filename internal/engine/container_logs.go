package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/errdefs"
)

// LogsOptions are `cais logs`'s options. The zero value prints everything.
type LogsOptions struct {
	Follow     bool      // keep reading until the container is done
	Tail       int       // only the last Tail entries; < 0 is all
	Since      time.Time // entries at or after; zero is no bound
	Until      time.Time // entries before; zero is no bound
	Timestamps bool      // prefix each entry with its time
}

// timestampLayout is Docker's fixed-width RFC 3339 with nanoseconds.
const timestampLayout = "2006-01-02T15:04:05.000000000Z07:00"

// ParseLogTime parses a --since/--until value as Docker does: RFC 3339
// (with or without zone or seconds, or a bare date), a Unix time in
// seconds with optional fraction, or a duration ("10m", "1h30m") before
// now.
func ParseLogTime(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	if sec, frac, ok := strings.Cut(s, "."); isDigits(sec) && (!ok || isDigits(frac)) {
		n, _ := strconv.ParseInt(sec, 10, 64)
		var ns int64
		if ok {
			frac = (frac + "000000000")[:9]
			ns, _ = strconv.ParseInt(frac, 10, 64)
		}
		return time.Unix(n, ns), nil
	}
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02T15", "2006-01-02Z07:00", "2006-01-02"} {
		if t, err := time.ParseInLocation(l, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("failed to parse value as time or duration: %q: %w", s, errdefs.ErrInvalidArgument)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// logEntry is one line of Docker's json-file log.
type logEntry struct {
	Log    string    `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
}

// ContainerLogs writes the container's json-file log, rotated files
// first (oldest to newest), to stdout and stderr by stream, as o selects.
func (e *Engine) ContainerLogs(ctx context.Context, c *Container, o LogsOptions, stdout, stderr io.Writer) error {
	if !o.Until.IsZero() {
		o.Follow = false // as Docker: a bounded window ends
	}
	w := logWriter{o: o, stdout: stdout, stderr: stderr}
	path := e.logPath(c.ID)
	files := rotatedLogs(path)
	if o.Tail >= 0 {
		// Keep the last Tail entries of everything, then print them.
		var ring []logEntry
		for _, p := range append(files, path) {
			if err := readLogFile(p, func(ent logEntry) {
				if w.selected(ent) && o.Tail > 0 {
					if len(ring) == o.Tail {
						ring = ring[1:]
					}
					ring = append(ring, ent)
				}
			}); err != nil {
				return err
			}
		}
		for _, ent := range ring {
			w.write(ent)
		}
		if !o.Follow {
			return nil
		}
		return e.followLog(ctx, c, path, true, w)
	}
	for _, p := range files {
		if err := readLogFile(p, func(ent logEntry) { w.write(ent) }); err != nil {
			return err
		}
	}
	return e.followLog(ctx, c, path, false, w)
}

// rotatedLogs are path.N ... path.1 that exist, oldest first.
func rotatedLogs(path string) []string {
	var out []string
	for i := 1; ; i++ {
		p := path + "." + strconv.Itoa(i)
		if _, err := os.Stat(p); err != nil {
			break
		}
		out = append([]string{p}, out...)
	}
	return out
}

// readLogFile calls fn for every complete entry of p; a missing file has
// none.
func readLogFile(p string, fn func(logEntry)) error {
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		var ent logEntry
		if json.Unmarshal(line, &ent) == nil {
			fn(ent)
		}
	}
}

// followLog prints the live log from its start (or, with atEnd, from its
// end) and, with w.o.Follow, what is appended until the monitor is done.
// A rotation (the live file renamed, a new one made) is followed to the
// new file once the old one is read out.
func (e *Engine) followLog(ctx context.Context, c *Container, path string, atEnd bool, w logWriter) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer func() { f.Close() }()
	if atEnd {
		if _, err := f.Seek(0, io.SeekEnd); err != nil {
			return err
		}
	}
	r := bufio.NewReader(f)
	var partial []byte
	follow, drained := w.o.Follow, false
	for {
		line, err := r.ReadBytes('\n')
		partial = append(partial, line...)
		if err == nil {
			var ent logEntry
			if json.Unmarshal(partial, &ent) == nil {
				w.write(ent)
			}
			partial = partial[:0]
			continue
		}
		if err != io.EOF {
			return err
		}
		if len(partial) == 0 && rotatedAway(f, path) {
			if !drained {
				// Entries written just before the rename: read on.
				drained = true
				continue
			}
			if nf, err := os.Open(path); err == nil {
				f.Close()
				f, drained = nf, false
				r.Reset(f)
				continue
			}
		}
		if !follow || !monitor.Alive(e.monitorDir(c.ID)) {
			if follow {
				follow = false // one more pass for what was written last
				continue
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// rotatedAway tells whether path now names another file than f.
func rotatedAway(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && !os.SameFile(a, b)
}

type logWriter struct {
	o              LogsOptions
	stdout, stderr io.Writer
}

func (w logWriter) selected(ent logEntry) bool {
	if !w.o.Since.IsZero() && ent.Time.Before(w.o.Since) {
		return false
	}
	return w.o.Until.IsZero() || ent.Time.Before(w.o.Until)
}

func (w logWriter) write(ent logEntry) {
	if !w.selected(ent) {
		return
	}
	out := w.stdout
	if ent.Stream == "stderr" {
		out = w.stderr
	}
	if w.o.Timestamps {
		io.WriteString(out, ent.Time.UTC().Format(timestampLayout)+" ")
	}
	io.WriteString(out, ent.Log)
}

package cli

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/engine"
)

// screen replays what barProgress writes on a terminal that understands
// newline, carriage return, cursor up/down (ESC[nA, ESC[nB) and erase line
// (ESC[2K), and returns the lines shown.
func screen(t *testing.T, out string) []string {
	var lines []string
	row, col := 0, 0
	put := func(r rune) {
		for len(lines) <= row {
			lines = append(lines, "")
		}
		l := []rune(lines[row])
		for len(l) < col {
			l = append(l, ' ')
		}
		if col < len(l) {
			l[col] = r
		} else {
			l = append(l, r)
		}
		lines[row] = string(l)
		col++
	}
	for i := 0; i < len(out); i++ {
		switch c := out[i]; c {
		case '\n':
			row, col = row+1, 0
		case '\r':
			col = 0
		case 0x1b:
			end := strings.IndexAny(out[i:], "ABK")
			if end < 0 || out[i+1] != '[' {
				t.Fatalf("unexpected escape at %d: %q", i, out[i:])
			}
			n, _ := strconv.Atoi(out[i+2 : i+end])
			switch out[i+end] {
			case 'A':
				row -= n
			case 'B':
				row += n
			case 'K':
				if row < len(lines) {
					lines[row] = ""
				}
			}
			if row < 0 {
				t.Fatalf("cursor moved above the first line at %d", i)
			}
			i += end
		default:
			put(rune(c))
		}
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// TestBarProgress checks the lines a terminal shows during and after a
// pull: one line per layer, rewritten in place, bars while bytes move.
func TestBarProgress(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, true)
	p.event(engine.Event{ID: "latest", Status: "Pulling from library/busybox"})
	p.event(engine.Event{ID: "aaaaaaaaaaaa", Status: "Pulling fs layer"})
	p.event(engine.Event{ID: "bbbbbbbbbbbb", Status: "Pulling fs layer"})
	p.event(engine.Event{ID: "aaaaaaaaaaaa", Status: "Downloading", Current: 500, Total: 1000})
	got := screen(t, b.String())
	want := []string{
		"latest: Pulling from library/busybox",
		"aaaaaaaaaaaa: Downloading [===============>              ] 500B/1kB",
		"bbbbbbbbbbbb: Pulling fs layer",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("mid-pull screen:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	p.event(engine.Event{ID: "bbbbbbbbbbbb", Status: "Downloading", Current: 2000, Total: 2000})
	p.event(engine.Event{ID: "aaaaaaaaaaaa", Status: "Pull complete"})
	p.done(true)
	got = screen(t, b.String())
	want[1], want[2] = "aaaaaaaaaaaa: Pull complete", "bbbbbbbbbbbb: Downloading"
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("screen after the pull:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cais-project/cais/internal/engine"
)

// barProgress draws one line per layer on a terminal, in Docker's style:
// "abc123def456: Downloading [==>        ] 1.2MB/40MB", rewriting a layer's
// line in place (cursor up, erase line, cursor back down) as Docker's CLI
// does. It is drawn here rather than with a progress-bar library, whose
// package initialisation (ANSI and Unicode width tables) every cais start
// paid for, pull or not.
type barProgress struct {
	w     io.Writer
	ids   []string       // one line each, in order of first event
	row   map[string]int // id -> index in ids
	lines []string       // what each line shows now
	state []string       // each line's status, without a bar
	drawn []time.Time    // when each line was last drawn
}

// barWidth is the number of cells between the brackets.
const barWidth = 30

// progressEvery limits redraws of a line whose status did not change.
const progressEvery = 100 * time.Millisecond

func (p *barProgress) event(ev engine.Event) {
	i, ok := p.row[ev.ID]
	if !ok {
		i = len(p.ids)
		p.row[ev.ID] = i
		p.ids = append(p.ids, ev.ID)
		p.lines = append(p.lines, "")
		p.state = append(p.state, "")
		p.drawn = append(p.drawn, time.Time{})
		fmt.Fprint(p.w, "\n")
	}
	line := barLine(ev)
	if line == p.lines[i] {
		return
	}
	now := time.Now()
	if ev.Status == p.state[i] && now.Sub(p.drawn[i]) < progressEvery && ev.Current < ev.Total {
		return
	}
	p.state[i], p.drawn[i] = ev.Status, now
	p.draw(i, line)
}

// draw goes up to line i, erases it, writes it, and goes back below the last.
func (p *barProgress) draw(i int, line string) {
	p.lines[i] = line
	up := len(p.ids) - i
	fmt.Fprintf(p.w, "\x1b[%dA\r\x1b[2K%s\r\x1b[%dB", up, line, up)
}

// barLine is the text of a layer's line for ev.
func barLine(ev engine.Event) string {
	line := ev.ID + ": " + ev.Status
	switch ev.Status {
	case "Downloading", "Extracting", "Pushing":
		if ev.Total > 0 {
			line += " " + bar(ev.Current, ev.Total) + " " + humanSize(ev.Current) + "/" + humanSize(ev.Total)
		}
	}
	return line
}

// bar is "[=====>      ]" for cur of total.
func bar(cur, total int64) string {
	n := int(min(max(cur, 0), total) * barWidth / total)
	s := strings.Repeat("=", n)
	if n < barWidth {
		s += ">" + strings.Repeat(" ", barWidth-n-1)
	}
	return "[" + s + "]"
}

// done leaves the cursor below the lines; after a transfer that succeeded,
// a line still showing a bar is redrawn with its status alone.
func (p *barProgress) done(ok bool) {
	if !ok {
		return
	}
	for i, id := range p.ids {
		if plain := id + ": " + p.state[i]; p.lines[i] != plain {
			p.draw(i, plain)
		}
	}
}

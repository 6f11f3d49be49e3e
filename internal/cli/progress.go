package cli

import (
	"fmt"
	"io"

	"github.com/cais-project/cais/internal/engine"
)

// progress shows a pull's or push's events: bars on a terminal, Docker's
// status lines otherwise.
type progress interface {
	event(engine.Event)
	// done stops the display; ok says whether the transfer succeeded.
	done(ok bool)
}

func newProgress(w io.Writer, tty bool) progress {
	if tty {
		return &barProgress{w: w, row: map[string]int{}}
	}
	return &lineProgress{w: w, last: map[string]string{}}
}

// lineProgress prints one line per status change, without byte counts, as
// Docker does when its output is not a terminal.
type lineProgress struct {
	w    io.Writer
	last map[string]string
}

func (p *lineProgress) event(ev engine.Event) {
	if ev.Current > 0 || ev.Status == "Downloading" || ev.Status == "Extracting" || ev.Status == "Pushing" {
		return
	}
	if p.last[ev.ID] == ev.Status {
		return
	}
	p.last[ev.ID] = ev.Status
	fmt.Fprintf(p.w, "%s: %s\n", ev.ID, ev.Status)
}

func (p *lineProgress) done(bool) {}

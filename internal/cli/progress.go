package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

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
		return &barProgress{w: w, bars: map[string]*layerBar{}}
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

// barProgress draws one mpb bar per layer in Docker's style:
// "abc123def456: Downloading [==>      ] 1.2MB/40MB".
type barProgress struct {
	w    io.Writer
	p    *mpb.Progress
	bars map[string]*layerBar
}

type layerBar struct {
	mu     sync.Mutex
	status string
	bar    *mpb.Bar
}

func (l *layerBar) setStatus(s string) {
	l.mu.Lock()
	l.status = s
	l.mu.Unlock()
}

func (l *layerBar) getStatus() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.status
}

func (p *barProgress) event(ev engine.Event) {
	if strings.HasPrefix(ev.Status, "Pulling from") {
		fmt.Fprintf(p.w, "%s: %s\n", ev.ID, ev.Status)
		return
	}
	if p.p == nil {
		// mpb sizes its rows from the terminal, and draws nothing on one
		// that reports 0x0 (a fresh pty); a plain writer makes it use the
		// given width while we already know the output is a terminal.
		p.p = mpb.New(mpb.WithOutput(plainWriter{p.w}), mpb.WithWidth(40), mpb.WithAutoRefresh())
	}
	lb := p.bars[ev.ID]
	if lb == nil {
		lb = &layerBar{status: ev.Status}
		id := ev.ID
		lb.bar = p.p.New(0,
			mpb.BarStyle().Lbound("[").Filler("=").Tip(">").Padding(" ").Rbound("]"),
			mpb.BarFillerClearOnComplete(),
			mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return id + ": " + lb.getStatus() + " " })),
			mpb.AppendDecorators(decor.OnComplete(decor.Any(func(s decor.Statistics) string {
				if s.Total <= 0 {
					return ""
				}
				return " " + humanSize(s.Current) + "/" + humanSize(s.Total)
			}), "")),
		)
		p.bars[ev.ID] = lb
	}
	lb.setStatus(ev.Status)
	switch ev.Status {
	case "Downloading", "Extracting", "Pushing":
		if ev.Total > 0 {
			lb.bar.SetTotal(ev.Total, false)
		}
		lb.bar.SetCurrent(ev.Current)
	case "Pull complete", "Already exists", "Pushed", "Layer already exists":
		lb.bar.SetTotal(-1, true)
	}
}

func (p *barProgress) done(ok bool) {
	if p.p == nil {
		return
	}
	for _, lb := range p.bars {
		if !lb.bar.Completed() {
			if ok {
				lb.bar.SetTotal(-1, true)
			} else {
				lb.bar.Abort(false)
			}
		}
	}
	p.p.Wait()
}

// plainWriter hides the *os.File behind an io.Writer.
type plainWriter struct{ w io.Writer }

func (p plainWriter) Write(b []byte) (int, error) { return p.w.Write(b) }

package monitor

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"

	"github.com/cais-project/cais/internal/errdefs"
)

// A removal claim is how a foreground `run --rm` takes the --rm cleanup
// over from the monitor: it removes the container itself, in its own
// process, right after the exit, instead of the monitor starting the
// engine's cleanup command. The claim is a connection held open: while a
// claim is held at the exit the monitor does not run Cleanup (it does
// start the runtime's delete for the claimant: claim_delete.go); it
// reports the exit, then waits for every claimant to disconnect, and runs
// its cleanup only if Config.Record still exists (the claimant died
// before it finished). A claimant that dies while the
// container runs leaves no claim, and the monitor cleans up as without one.

// Claim is a held removal claim.
type Claim struct{ conn *net.UnixConn }

// ClaimRemoval tells a --rm monitor that the caller removes the container
// after its exit. Release (or the caller's death) ends the claim.
func (c *Client) ClaimRemoval(ctx context.Context) (*Claim, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	if err := writeJSONLine(conn, request{Op: "claim-remove"}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("monitor claim-remove: %w", gone(err))
	}
	resp, err := readResponse(bufio.NewReader(conn))
	if err == nil {
		err = errorOf(resp)
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &Claim{conn: conn}, nil
}

// Release ends the claim: the monitor then checks whether the container's
// record is gone and finishes.
func (cl *Claim) Release() error { return cl.conn.Close() }

// holdClaim serves one claim until its client disconnects.
func (s *server) holdClaim(conn net.Conn, br *bufio.Reader) {
	s.mu.Lock()
	if s.claimsClosed {
		s.mu.Unlock()
		s.reply(conn, nil, fmt.Errorf("container %s has exited: %w", s.cfg.ID, errdefs.ErrConflict))
		return
	}
	if !s.cfg.Remove {
		s.mu.Unlock()
		s.reply(conn, nil, fmt.Errorf("container %s is not --rm: %w", s.cfg.ID, errdefs.ErrInvalidArgument))
		return
	}
	s.claims++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.claims--
		s.mu.Unlock()
		select {
		case s.claimGone <- struct{}{}:
		default:
		}
	}()
	if s.reply(conn, nil, nil) != nil {
		return
	}
	for {
		if _, err := br.ReadByte(); err != nil {
			return // EOF: released, or the claimant died
		}
	}
}

// closeClaims refuses new claims from now on and reports whether one is
// held: the monitor decides once, at the exit, who removes the container.
func (s *server) closeClaims() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.claimsClosed = true
	return s.claims > 0
}

// claimed reports whether a removal claim is held.
func (s *server) claimed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.claims > 0
}

// awaitClaims waits until no claim is held.
func (s *server) awaitClaims() {
	for s.claimed() {
		<-s.claimGone
	}
}

// recordGone reports whether the claimant removed the container: its
// record (Config.Record) no longer exists. Without a Record it trusts the
// claimant.
func (s *server) recordGone() bool {
	if s.cfg.Record == "" {
		return true
	}
	_, err := os.Lstat(s.cfg.Record)
	return os.IsNotExist(err)
}

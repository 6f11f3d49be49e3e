package monitor

import (
	"context"
	"fmt"
	"net"

	"github.com/cais-project/cais/internal/errdefs"
)

// When a removal claim is held at the exit, the monitor still deletes the
// container in the runtime, at once: it is the first to know of the exit,
// and the claimant (a foreground `run --rm`) would otherwise start the
// same runtime process only after the wait answer reached it and it read
// its record (a few ms later). The claimant removes the engine's part
// meanwhile and asks for the delete's outcome with {"op":"await-delete"},
// answered once it finished ({} or its error). A monitor that is not
// deleting (no claim at the exit, or one from before this request
// existed) answers with an error, and the claimant deletes itself; so does
// one whose monitor died meanwhile (a second delete of a container being
// deleted finds none).

// deleteForClaimant starts the runtime delete of the exited container.
func (s *server) deleteForClaimant(ctx context.Context) {
	done := make(chan struct{})
	s.mu.Lock()
	s.deleted = done
	s.mu.Unlock()
	go func() {
		err := s.rt.Delete(ctx, s.cfg.ID, true)
		s.mu.Lock()
		s.deleteErr = err
		s.mu.Unlock()
		close(done)
	}()
}

// awaitDelete answers await-delete once the claimed delete finished.
func (s *server) awaitDelete(conn net.Conn) {
	s.mu.Lock()
	done := s.deleted
	s.mu.Unlock()
	if done == nil {
		s.reply(conn, nil, fmt.Errorf("container %s is not being deleted by its monitor: %w", s.cfg.ID, errdefs.ErrConflict))
		return
	}
	<-done
	s.mu.Lock()
	err := s.deleteErr
	s.mu.Unlock()
	s.reply(conn, nil, err)
}

// waitDeleted waits for a claimed delete the monitor started, if any.
func (s *server) waitDeleted() {
	s.mu.Lock()
	done := s.deleted
	s.mu.Unlock()
	if done != nil {
		<-done
	}
}

// AwaitDelete waits until the monitor's own runtime delete of the exited
// container (made because a removal claim was held at the exit) finished,
// and returns its error; an error also when the monitor is not deleting
// it or is gone: the caller then deletes it itself.
func (c *Client) AwaitDelete(ctx context.Context) error {
	resp, err := c.call(ctx, request{Op: "await-delete"})
	if err != nil {
		return err
	}
	return errorOf(resp)
}

package client

import "github.com/cais-project/cais/internal/errdefs"

// Error classes: every error the client returns that has a class wraps one
// of these, so callers can test it with errors.Is.
var (
	ErrNotFound        = errdefs.ErrNotFound
	ErrAlreadyExists   = errdefs.ErrAlreadyExists
	ErrInvalidArgument = errdefs.ErrInvalidArgument
	ErrConflict        = errdefs.ErrConflict
	ErrUnavailable     = errdefs.ErrUnavailable
)

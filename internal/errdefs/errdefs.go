// Package errdefs defines the classes of error that cais code returns, so
// callers can decide what to do with errors.Is instead of matching text.
//
// A package wraps one of these sentinels with context
// (fmt.Errorf("container %s: %w", id, errdefs.ErrNotFound)); only the edges
// (the command lines, later the API servers) turn a class into an exit code
// or a protocol status. This package imports nothing else of cais.
package errdefs

import "errors"

// The error classes. Compare with errors.Is.
var (
	ErrNotFound        = errors.New("not found")
	ErrAlreadyExists   = errors.New("already exists")
	ErrInvalidArgument = errors.New("invalid argument")
	ErrConflict        = errors.New("conflict")
	ErrUnavailable     = errors.New("unavailable")
	ErrNotImplemented  = errors.New("not implemented")
	ErrPermission      = errors.New("permission denied")
)

// IsNotFound reports whether err is of the NotFound class.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsAlreadyExists reports whether err is of the AlreadyExists class.
func IsAlreadyExists(err error) bool { return errors.Is(err, ErrAlreadyExists) }

// IsInvalidArgument reports whether err is of the InvalidArgument class.
func IsInvalidArgument(err error) bool { return errors.Is(err, ErrInvalidArgument) }

// IsConflict reports whether err is of the Conflict class.
func IsConflict(err error) bool { return errors.Is(err, ErrConflict) }

// IsNotImplemented reports whether err is of the NotImplemented class.
func IsNotImplemented(err error) bool { return errors.Is(err, ErrNotImplemented) }

// Package logging carries a *slog.Logger in a context.Context, so that
// libraries log with request-scoped fields and stay silent unless the caller
// attached a logger. It does not configure output; binaries do that.
package logging

import (
	"context"
	"io"
	"log/slog"
)

type ctxKey struct{}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// WithLogger returns a context that carries l.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From returns the logger carried by ctx, or one that discards everything.
func From(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(ctxKey{}).(*slog.Logger); ok && l != nil {
		return l
	}
	return discard
}

package app

import (
	"io"
	"log/slog"
)

// NewLogger returns the service's logger: JSON lines on w at level and up.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

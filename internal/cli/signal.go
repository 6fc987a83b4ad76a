package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// NotifyContext is signal.NotifyContext for the signals that stop a
// command: SIGINT (Ctrl-C) and SIGTERM. Calling stop lets a second signal
// end the process the usual way.
func NotifyContext(parent context.Context) (ctx context.Context, stop context.CancelFunc) {
	return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
}

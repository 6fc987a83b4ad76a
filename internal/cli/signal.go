package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// NotifyContext is signal.NotifyContext for the signals that stop a
// command: SIGINT (Ctrl-C) and SIGTERM. The first signal ends ctx and
// restores the signals' default action, so that a second one ends the
// process at once, the usual way (a command winding down, or writing its
// results, takes a moment). Calling stop does that too.
func NotifyContext(parent context.Context) (ctx context.Context, stop context.CancelFunc) {
	ctx, stop = signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done() // a signal, parent's end, or stop
		stop()
	}()
	return ctx, stop
}

package live

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// StopSignals are the signals that end a run by default and that a run
// turns into "no": SIGHUP (the ssh session dropped, the very case --confirm
// exists for), SIGINT, SIGTERM and SIGQUIT. While a run holds a ruleset
// that is not confirmed they cannot end it before its rollback; SIGKILL,
// which nothing can catch, is what the journal and the guard are for.
var StopSignals = []os.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT}

// SignalError is the cause of a context cancelled by a signal.
type SignalError struct{ Signal os.Signal }

func (e *SignalError) Error() string { return fmt.Sprintf("interrupted by %v", e.Signal) }

// SignalContext returns a context that a StopSignal cancels (its cause a
// *SignalError) and a function that stops listening. It also makes
// SIGPIPE harmless for the rest of the process: a write to a pipe whose
// reader went away (`xt2nft apply ... 2>&1 | head`) fails with EPIPE
// instead of killing the process on the spot. Signals that arrive after the
// context is cancelled are absorbed: a second Ctrl-C cannot cut a rollback
// short.
func SignalContext(parent context.Context) (context.Context, func()) {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, StopSignals...)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-ch:
				cancel(&SignalError{Signal: s})
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

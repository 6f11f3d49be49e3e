package cli

import (
	"os"
	"os/signal"
)

// catchSignals returns a channel of every signal this process receives,
// for a foreground run or exec to forward to the container's process.
//
// Registering all signals costs a round trip to Go's signal thread per
// signal (about a millisecond in all), so it runs concurrently with the
// container's creation. The handlers are never removed: the command exits
// when its process does, and signal.Stop would pay the round trips again.
func catchSignals() <-chan os.Signal {
	sigs := make(chan os.Signal, 16)
	go signal.Notify(sigs)
	return sigs
}

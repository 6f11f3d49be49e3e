// Package monitor is the per-container monitor: the server side that
// cmd/cais-monitor runs, one process per container (like containerd's shim
// or Podman's conmon), and the client side the engine uses to spawn it and
// talk to it.
//
// The monitor owns one container from create to its final exit: it is the
// child subreaper of the container's init, creates the container through
// ocicli (`run --detach` when it starts at once, see launch.go), holds
// its stdio (pipes, or the pty master received on a console socket),
// writes Docker's json-file log with size rotation, serves attach
// and control requests on a unix socket, reaps the init's exit status,
// writes it atomically into state.json, applies the restart policy, and on
// --rm deletes the container and runs the engine's cleanup command (unless
// a foreground client claimed the removal). It
// outlives the CLI that spawned it (own session; Spawn starts it directly,
// so it is the CLI's child until the CLI exits).
//
// It does not own images, rootfs mounts or the engine's records; the
// cleanup command is how the engine takes part at the end.
//
// A monitor can also be started before its container's bundle exists
// (Prespawn, prespawn.go): it then reads its command line from
// --config-fd and makes nothing until it came; EOF with nothing ends it.
//
// # Files in the monitor's directory (Config.Dir)
//
//	monitor.pid   "PID STARTTIME\n" of the monitor (start time in clock ticks,
//	              /proc/PID/stat field 22), so a reused pid is not taken for it
//	monitor.sock  the control and attach socket
//	state.json    the Status, replaced atomically on every change
//	monitor.log   the monitor's own stderr
//	init.pid      the runtime's --pid-file
//
// # Protocol on monitor.sock
//
// A client connects, writes one request: a JSON object on one line of at
// most 4 KiB, and reads one response line (a JSON object, at most 64 KiB).
// One request per connection.
//
//	{"op":"status"}                      → {"status":{...}}
//	{"op":"start"}                       → {"status":{...}}  start a created container
//	                                       (with --create-on-start: create and start it;
//	                                       a failure answers the error with the status
//	                                       already exited and its exit code)
//	{"op":"kill","signal":N}             → {}                kill(2) the init with N
//	{"op":"stop","signal":S,"timeoutMs":N} → {"status":{...}}  S (SIGTERM if 0), SIGKILL
//	                                       after N ms; a user stop: no restart follows
//	{"op":"wait"}                        → {"status":{...}}  when the monitor is done
//	                                       with the container (exited, no restart due)
//	{"op":"attach","stdin":true}         → {} then frames both ways
//	{"op":"claim-remove"}                → {} then held open: the client
//	                                       removes the --rm container after the
//	                                       exit; see claim.go
//	{"op":"await-delete"}                → {} once the runtime delete the monitor
//	                                       started at the exit for a claimant
//	                                       finished (its error otherwise; an error
//	                                       when it started none); claim_delete.go
//
// A failed request answers {"error":"message","class":"not-found"|
// "conflict"|"invalid"|""}.
//
// After an attach response, the connection carries frames: one byte
// stream, a 4-byte big-endian length (at most 32 KiB), the payload.
// Server to client: 1 stdout, 2 stderr (a tty's output is stdout). Client
// to server: 0 stdin data (an empty payload closes the container's stdin),
// 3 resize (payload: rows and columns as two big-endian uint16). Only the
// first client that asks for stdin gets it; a client that reads too slowly
// to keep up with the container is disconnected rather than slowing it.
package monitor

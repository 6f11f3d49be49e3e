// Package volume is cais's volume store with Docker's local driver: each
// volume is a directory <root>/<name>/ holding its metadata (volume.json,
// replaced atomically) and its data (_data), which is either a plain
// directory or, for volumes created with --opt type=…,device=…, the mount
// point of that filesystem, mounted when its first user acquires it and
// unmounted when its last user releases it.
//
// Every operation that changes a volume holds an exclusive flock on
// <root>/.lock (no volume name starts with a dot), so several cais processes can share a store. Users
// are recorded as files under <root>/<name>/users/, so the reference count
// survives the process that took it. Whether a container still uses a
// volume is the engine's question (its container records); this package
// knows only the users that acquired a volume's mount.
package volume

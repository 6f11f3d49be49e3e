// Package etcfiles renders the /etc/hosts and /etc/resolv.conf files of a
// container as Docker writes them, and replaces a file's contents in place
// (the files are bind-mounted into running containers, so their inode must
// stay the same).
//
// Rendering is pure: Hosts and ResolvConf take everything they need as
// arguments (the host's resolv.conf as bytes, addresses already resolved,
// "host-gateway" included) and return the file's bytes, the same bytes for
// the same options. ParseExtraHost, ParseNameserver and ValidateOptions
// check what users type, with Docker's messages.
package etcfiles

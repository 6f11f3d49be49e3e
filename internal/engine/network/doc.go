// Package network owns cais's container networks: Docker-shaped network
// records under <root>/networks, the CNI configuration lists generated from
// them (bridge with host-local IPAM, portmap, firewall, tuning; lo is
// brought up natively in every container's namespace), the choice of subnets that collide neither with the
// host's routes nor with other networks, per-container network namespace
// files, attaching and detaching containers through libcni and the standard
// plugins, and published port parsing. The hosts files that give
// containers on a user-defined network their peers' names are rendered by
// etcfiles; the engine decides who the peers are.
//
// It never writes bridge or IPAM plumbing itself: the plugins do. NAT is
// one masquerade rule per network, which it installs and removes with
// the bridge (masq_linux.go).
package network

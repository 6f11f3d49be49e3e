package network

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// Every container's lo is brought up by NewNetNS itself, one rtnetlink
// request from the thread that made the namespace, as Docker and Podman's
// netavark do: the kernel then gives lo 127.0.0.1/8 and ::1. CNI does not
// ask for the loopback plugin, which cost a process (~15 ms of CPU here,
// competing with the bridge plugin's ADD on two cores), a libcni cache
// file, and a pending ADD to wait for.

// loopbackIndex is lo's interface index in every network namespace.
const loopbackIndex = 1

// setLoopbackUp sets lo up in the calling thread's network namespace.
func setLoopbackUp() error {
	req := linkRequest(unix.RTM_NEWLINK, unix.NLM_F_REQUEST|unix.NLM_F_ACK, rtnlSeq, "")
	ifi := req[unix.SizeofNlMsghdr:]
	ne := binary.NativeEndian
	ne.PutUint32(ifi[4:], loopbackIndex) // ifi_index
	ne.PutUint32(ifi[8:], unix.IFF_UP)   // ifi_flags
	ne.PutUint32(ifi[12:], unix.IFF_UP)  // ifi_change: only IFF_UP
	if err := rtnlSend(req, nil); err != nil {
		return fmt.Errorf("setting lo up: %w", err)
	}
	return nil
}

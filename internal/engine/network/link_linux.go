package network

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// deleteLink removes the host device name (a network's bridge) if it
// exists. The bridge plugin makes bridges but never removes them. It asks
// the kernel directly (one RTM_DELLINK over rtnetlink) rather than run
// `ip link delete`, a process on the path of every last detach.
func deleteLink(name string) error {
	if name == "" {
		return nil
	}
	if err := rtnlDelLink(name); err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("deleting bridge %s: %w", name, err)
	}
	return nil
}

// rtnlDelLink sends RTM_DELLINK for the device named name (by its
// IFLA_IFNAME attribute) and waits for the kernel's answer.
func rtnlDelLink(name string) error {
	if len(name) >= unix.IFNAMSIZ {
		return unix.EINVAL
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("rtnetlink socket: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("rtnetlink bind: %w", err)
	}
	attrLen := unix.SizeofRtAttr + len(name) + 1
	msgLen := unix.SizeofNlMsghdr + unix.SizeofIfInfomsg + (attrLen+3)&^3
	b := make([]byte, msgLen)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(msgLen))
	ne.PutUint16(b[4:], unix.RTM_DELLINK)
	ne.PutUint16(b[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	ne.PutUint32(b[8:], 1)                  // sequence number
	b[unix.SizeofNlMsghdr] = unix.AF_UNSPEC // ifinfomsg: all zero but the family
	at := b[unix.SizeofNlMsghdr+unix.SizeofIfInfomsg:]
	ne.PutUint16(at[0:], uint16(attrLen))
	ne.PutUint16(at[2:], unix.IFLA_IFNAME)
	copy(at[unix.SizeofRtAttr:], name)
	if err := unix.Sendto(fd, b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("rtnetlink send: %w", err)
	}
	buf := make([]byte, 4096)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("rtnetlink receive: %w", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return fmt.Errorf("rtnetlink answer: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Seq != 1 || m.Header.Type != unix.NLMSG_ERROR {
				continue
			}
			if len(m.Data) < 4 {
				return fmt.Errorf("rtnetlink answer: short error message")
			}
			if errno := int32(ne.Uint32(m.Data[0:4])); errno != 0 {
				return unix.Errno(-errno)
			}
			return nil
		}
	}
}

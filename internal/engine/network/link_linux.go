package network

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// Devices are looked up and deleted over rtnetlink, in the network
// namespace of the caller. /sys/class/net would show the devices of the
// namespace that mounted sysfs instead: under `nsenter --net` cais never
// saw its own bridge there. Each call is one request on a socket of its
// own; no `ip` process is run.

// deleteLink removes the host device name (a network's bridge) if it
// exists. The bridge plugin makes bridges but never removes them.
func deleteLink(name string) error {
	if name == "" {
		return nil
	}
	if err := rtnlLink(unix.RTM_DELLINK, name, nil); err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("deleting bridge %s: %w", name, err)
	}
	return nil
}

// linkIndex is the interface index of the device name; an absent device
// is unix.ENODEV.
func linkIndex(name string) (int32, error) {
	var index int32
	err := rtnlLink(unix.RTM_GETLINK, name, func(m syscall.NetlinkMessage) {
		if m.Header.Type == unix.RTM_NEWLINK && len(m.Data) >= unix.SizeofIfInfomsg {
			index = int32(binary.NativeEndian.Uint32(m.Data[4:8]))
		}
	})
	if err == nil && index == 0 {
		err = fmt.Errorf("rtnetlink: no link in the answer for %s", name)
	}
	return index, err
}

// linkExists reports whether the device name was found. A lookup that
// fails counts as absent: the caller (claimSubnet) then takes the slow,
// careful path of a network whose bridge is still to be made.
func linkExists(name string) bool {
	_, err := linkIndex(name)
	return err == nil
}

// linkHasPorts reports whether any device has the device name as its
// master (a veth plugged into a bridge). An absent device has none.
func linkHasPorts(name string) (bool, error) {
	index, err := linkIndex(name)
	if errors.Is(err, unix.ENODEV) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	found := false
	err = rtnlDump(unix.RTM_GETLINK, func(m syscall.NetlinkMessage) {
		if m.Header.Type != unix.RTM_NEWLINK {
			return
		}
		attrs, err := syscall.ParseNetlinkRouteAttr(&m)
		if err != nil {
			return
		}
		for _, a := range attrs {
			if a.Attr.Type == unix.IFLA_MASTER && len(a.Value) >= 4 && int32(binary.NativeEndian.Uint32(a.Value)) == index {
				found = true
			}
		}
	})
	return found, err
}

// rtnlLink sends one link request (typ) for the device named name and
// calls fn with each answer before the kernel's acknowledgement.
func rtnlLink(typ uint16, name string, fn func(syscall.NetlinkMessage)) error {
	if len(name) >= unix.IFNAMSIZ || name == "" {
		return unix.EINVAL
	}
	return rtnl(typ, unix.NLM_F_REQUEST|unix.NLM_F_ACK, name, fn)
}

// rtnlDump asks for every object of typ (RTM_GETLINK) and calls fn with
// each.
func rtnlDump(typ uint16, fn func(syscall.NetlinkMessage)) error {
	return rtnl(typ, unix.NLM_F_REQUEST|unix.NLM_F_DUMP, "", fn)
}

// rtnl sends an ifinfomsg request, with an IFLA_IFNAME attribute when
// name is set, and reads the answers until the acknowledgement, an error
// or the end of a dump.
func rtnl(typ, flags uint16, name string, fn func(syscall.NetlinkMessage)) error {
	return rtnlSend(linkRequest(typ, flags, rtnlSeq, name), fn)
}

// rtnlSeq is the sequence number of every request: each has a socket of
// its own.
const rtnlSeq = 1

// rtnlSend sends the request req (sequence number rtnlSeq) on a new
// rtnetlink socket, in the calling thread's network namespace, and reads
// the answers as rtnl does.
func rtnlSend(req []byte, fn func(syscall.NetlinkMessage)) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("rtnetlink socket: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("rtnetlink bind: %w", err)
	}
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("rtnetlink send: %w", err)
	}
	buf := make([]byte, 1<<16) // a dump's parts are at most a few pages
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
			if m.Header.Seq != rtnlSeq {
				continue
			}
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return nil
			case unix.NLMSG_ERROR:
				if len(m.Data) < 4 {
					return fmt.Errorf("rtnetlink answer: short error message")
				}
				if errno := int32(binary.NativeEndian.Uint32(m.Data[0:4])); errno != 0 {
					return unix.Errno(-errno)
				}
				return nil
			default:
				if fn != nil {
					fn(m)
				}
			}
		}
	}
}

// linkRequest is the bytes of one ifinfomsg request: all zero but the
// family, and the name as IFLA_IFNAME when set.
func linkRequest(typ, flags uint16, seq uint32, name string) []byte {
	attrLen := 0
	if name != "" {
		attrLen = unix.SizeofRtAttr + len(name) + 1
	}
	msgLen := unix.SizeofNlMsghdr + unix.SizeofIfInfomsg + (attrLen+3)&^3
	b := make([]byte, msgLen)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(msgLen))
	ne.PutUint16(b[4:], typ)
	ne.PutUint16(b[6:], flags)
	ne.PutUint32(b[8:], seq)
	b[unix.SizeofNlMsghdr] = unix.AF_UNSPEC
	if name != "" {
		at := b[unix.SizeofNlMsghdr+unix.SizeofIfInfomsg:]
		ne.PutUint16(at[0:], uint16(attrLen))
		ne.PutUint16(at[2:], unix.IFLA_IFNAME)
		copy(at[unix.SizeofRtAttr:], name)
	}
	return b
}

package network

// A container's namespace can go before its attachments' DEL when no
// plugin of their lists needs it for DEL: the bridge plugin then only
// releases the address through host-local (CNI allows DEL without a
// namespace, and plugins must tolerate one that is gone), and the kernel
// removes lo and the veth pair with the namespace, off the caller's path.
// With the namespace there, the bridge plugin entered it and deleted the
// veth itself, waiting on the kernel for ~20-30 ms of a `run --rm` here.
//
// Two kinds of attachment still need it: those recorded with the bridge
// plugin's ipMasq (NetworkNAT unset), whose DEL finds the masquerade
// chain to remove from the veth's addresses, and those with tuning
// (--mac-address), whose DEL restores the device from the plugin's backup
// file in the namespace and only then removes that file.

// DelNeedsNetNS reports whether any of as needs the container's namespace
// during its DEL.
func DelNeedsNetNS(as []Attachment) bool {
	for _, a := range as {
		if !a.NetworkNAT || a.RequestedMAC != "" {
			return true
		}
	}
	return false
}

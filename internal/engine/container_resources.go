package engine

import (
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// InspectResources are the limits of HostConfig that `cais update`
// changes, with Docker's names (Docker embeds its Resources the same
// way). Memory and PidsLimit are HostConfig's own fields.
type InspectResources struct {
	MemorySwap  int64  `json:"MemorySwap"`
	NanoCpus    int64  `json:"NanoCpus"`
	CpuShares   int64  `json:"CpuShares"`
	CpuPeriod   int64  `json:"CpuPeriod"`
	CpuQuota    int64  `json:"CpuQuota"`
	CpusetCpus  string `json:"CpusetCpus"`
	BlkioWeight uint16 `json:"BlkioWeight"`
}

// inspectResources fills the limits the bundle's spec holds: what create
// applied, as `cais update` changed it since.
func inspectResources(hc *HostConfig, spec *specs.Spec) {
	if spec == nil || spec.Linux == nil || spec.Linux.Resources == nil {
		return
	}
	r := spec.Linux.Resources
	out := &hc.InspectResources
	if r.Memory != nil && r.Memory.Swap != nil {
		out.MemorySwap = *r.Memory.Swap
	}
	if r.CPU != nil {
		if r.CPU.Shares != nil {
			out.CpuShares = int64(*r.CPU.Shares)
		}
		if n, err := strconv.ParseInt(spec.Annotations[annotationNanoCPUs], 10, 64); err == nil {
			out.NanoCpus = n
		} else {
			if r.CPU.Period != nil {
				out.CpuPeriod = int64(*r.CPU.Period)
			}
			if r.CPU.Quota != nil && *r.CPU.Quota > 0 {
				out.CpuQuota = *r.CPU.Quota
			}
		}
		out.CpusetCpus = r.CPU.Cpus
	}
	if r.BlockIO != nil && r.BlockIO.Weight != nil {
		out.BlkioWeight = *r.BlockIO.Weight
	}
}

package engine

import (
	"context"
	"os/exec"
)

// Info is what `cais info` reports.
type Info struct {
	Root          string
	RunRoot       string
	Driver        string
	CgroupVersion string
	Runtimes      []string // OCI runtimes found on PATH
	Images        int
	// Containers counts every container; the others split it by state
	// (Docker's: restarting ones count as running, created ones as stopped).
	Containers, ContainersRunning, ContainersPaused, ContainersStopped int
}

// Info describes the engine and its host.
func (e *Engine) Info(ctx context.Context) (Info, error) {
	imgs, err := e.loadImages(ctx)
	if err != nil {
		return Info{}, err
	}
	in := Info{Root: e.opts.Root, RunRoot: e.opts.RunRoot, Driver: "overlay", Images: len(imgs), CgroupVersion: cgroupVersion("/sys/fs/cgroup")}
	for _, r := range []string{"cais-runtime", "runc", "crun"} {
		if _, err := exec.LookPath(r); err == nil {
			in.Runtimes = append(in.Runtimes, r)
		}
	}
	if err := e.countContainers(ctx, &in); err != nil {
		return Info{}, err
	}
	return in, nil
}

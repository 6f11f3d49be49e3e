// Command run is the smallest program over cais's Go API: it pulls an
// image, runs `echo hello` in it with this program's stdio, prints the exit
// status, and deletes the container and its snapshot.
//
//	go run ./examples/run [-root DIR] [-runroot DIR] REGISTRY/REPO:TAG
//
// Run it as root with cais-monitor and cais-runtime in PATH (or next to the
// built program).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/cais-project/cais/client"
)

func main() {
	root := flag.String("root", "/var/lib/cais", "cais state directory")
	runRoot := flag.String("runroot", "/run/cais", "cais runtime state directory")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: run [-root DIR] [-runroot DIR] IMAGE")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	code, err := run(context.Background(), *root, *runRoot, flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "run:", err)
		os.Exit(1)
	}
	fmt.Printf("exit status: %d\n", code)
}

func run(ctx context.Context, root, runRoot, ref string) (code uint32, err error) {
	c, err := client.New(ctx, client.WithRoot(root), client.WithRunRoot(runRoot))
	if err != nil {
		return 0, err
	}
	defer c.Close()

	img, err := c.Pull(ctx, ref)
	if err != nil {
		return 0, err
	}
	ctr, err := c.NewContainer(ctx, fmt.Sprintf("example-run-%d", os.Getpid()),
		client.WithImage(img), client.WithProcessArgs("echo", "hello"))
	if err != nil {
		return 0, err
	}
	defer func() {
		if derr := ctr.Delete(ctx, client.WithSnapshotCleanup); err == nil {
			err = derr
		}
	}()

	task, err := ctr.NewTask(ctx, client.WithStdio(os.Stdin, os.Stdout, os.Stderr))
	if err != nil {
		return 0, err
	}
	exitC, err := task.Wait(ctx)
	if err != nil {
		return 0, err
	}
	if err := task.Start(ctx); err != nil {
		return 0, err
	}
	status := <-exitC
	if _, err := task.Delete(ctx); err != nil {
		return 0, err
	}
	code, _, err = status.Result()
	return code, err
}

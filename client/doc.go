// Package client is cais's Go API for programs, shaped like containerd's
// client: connect to a state directory, pull an image, create a container
// from it, give it a task with the caller's stdio, start, wait, kill and
// delete.
//
//	c, err := client.New(ctx, client.WithRoot(root), client.WithRunRoot(runRoot))
//	img, err := c.Pull(ctx, "registry.example/busybox:latest")
//	ctr, err := c.NewContainer(ctx, "hello", client.WithImage(img),
//		client.WithProcessArgs("echo", "hello"))
//	task, err := ctr.NewTask(ctx, client.WithStdio(os.Stdin, os.Stdout, os.Stderr))
//	exitC, err := task.Wait(ctx)
//	err = task.Start(ctx)
//	status := <-exitC
//	_, err = task.Delete(ctx)
//	err = ctr.Delete(ctx, client.WithSnapshotCleanup)
//
// There is no daemon: the client is a thin layer over cais's engine, which
// keeps its state on disk under the root and run root (the same ones the
// `cais` command line uses, so `cais ps -a` shows the containers a program
// made) and runs one cais-monitor process per container. The monitor and
// the OCI runtime (cais-runtime by default) are found next to the running
// program, else in PATH.
//
// Differences from containerd worth knowing:
//   - A container's ID is its cais name (Docker's naming rule: letters,
//     digits, '_', '.', '-'); cais gives it a 64-hex internal ID as well.
//   - NewContainer creates the container in the runtime (its process waits
//     to be started), so a bad image or runtime fails there. NewTask
//     connects the caller's stdio and Start runs the process.
//   - A container's rootfs snapshot belongs to it: Delete removes it, with
//     or without WithSnapshotCleanup (accepted so containerd-shaped programs
//     read the same).
//   - The default network is "none" (a network namespace with only
//     loopback), as containerd's; WithHostNetwork shares the host's.
//
// Errors wrap the classes exported here (ErrNotFound, ErrInvalidArgument,
// ...); test them with errors.Is.
package client

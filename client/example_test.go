package client_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/cais-project/cais/client"
)

// Where Example keeps its state and what it pulls. TestExample points them
// at a temp dir and a private registry and runs Example there.
var (
	exampleRoot    = "/var/lib/cais"
	exampleRunRoot = "/run/cais"
	exampleImage   = "registry.example.com/library/busybox:latest"
)

// Example runs `echo hello` in a container with the program's stdio, as
// containerd's getting-started program does, and removes it afterwards.
func Example() {
	ctx := context.Background()
	c, err := client.New(ctx, client.WithRoot(exampleRoot), client.WithRunRoot(exampleRunRoot))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	img, err := c.Pull(ctx, exampleImage)
	if err != nil {
		log.Fatal(err)
	}
	ctr, err := c.NewContainer(ctx, "example-hello", client.WithImage(img),
		client.WithEnv([]string{"WHO=world"}), client.WithProcessArgs("sh", "-c", `echo "hello $WHO"`))
	if err != nil {
		log.Fatal(err)
	}
	task, err := ctr.NewTask(ctx, client.WithStdio(nil, os.Stdout, os.Stderr))
	if err != nil {
		log.Fatal(err)
	}
	exitC, err := task.Wait(ctx) // before Start, so a quick exit is not missed
	if err != nil {
		log.Fatal(err)
	}
	if err := task.Start(ctx); err != nil {
		log.Fatal(err)
	}
	status := <-exitC
	code, _, err := status.Result()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("exit status:", code)
	if _, err := task.Delete(ctx); err != nil {
		log.Fatal(err)
	}
	if err := ctr.Delete(ctx, client.WithSnapshotCleanup); err != nil {
		log.Fatal(err)
	}
}

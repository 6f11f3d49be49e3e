package bootstrap

import (
	"encoding/json"

	"github.com/cais-project/cais/internal/runtime/initproto"
)

// warmDoc names each struct type of a typical config once, empty.
const warmDoc = `{"spec":{"process":{"user":{"additionalGids":[]},"args":[],"env":[],
"capabilities":{"bounding":[]},"rlimits":[{}],"consoleSize":{}},"root":{},"mounts":[{}],
"hooks":{"createContainer":[{}],"startContainer":[{}]},"annotations":{},
"linux":{"namespaces":[{}],"uidMappings":[{}],"devices":[{}],"sysctl":{},
"resources":{"devices":[{}],"memory":{},"cpu":{},"pids":{},"blockIO":{}},
"seccomp":{"syscalls":[{"args":[{}]}]},"maskedPaths":[],"readonlyPaths":[]}}}`

// warmDecoder decodes warmDoc so that encoding/json has analysed the
// config's types (a few milliseconds of reflection in a fresh process)
// while the init still waits for the parent to send the real config.
func warmDecoder() {
	var c initproto.Config
	json.Unmarshal([]byte(warmDoc), &c)
}

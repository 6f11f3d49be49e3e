package monitor_test

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestMemoryReport logs the private memory of an idle monitor holding a
// running container (Private_Clean + Private_Dirty of smaps_rollup). It
// asserts only that the numbers are readable: the size depends on the Go
// runtime; the report carries the number.
func TestMemoryReport(t *testing.T) {
	e := newEnv(t, "cais-runtime")
	cfg := e.config("exec sleep 1000")
	cfg.StartNow = true
	c := e.spawn(cfg)
	st, err := c.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("/proc/" + strconv.Itoa(st.MonitorPid) + "/smaps_rollup")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kb := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 && strings.HasPrefix(fields[0], "Private_") || len(fields) == 3 && fields[0] == "Rss:" {
			n, _ := strconv.Atoi(fields[1])
			kb[strings.TrimSuffix(fields[0], ":")] = n
		}
	}
	if kb["Rss"] == 0 {
		t.Fatalf("no Rss in smaps_rollup: %v", kb)
	}
	t.Logf("monitor %d: Rss %d kB, Private_Clean %d kB, Private_Dirty %d kB", st.MonitorPid, kb["Rss"], kb["Private_Clean"], kb["Private_Dirty"])
	c.Stop(t.Context(), 0)
}

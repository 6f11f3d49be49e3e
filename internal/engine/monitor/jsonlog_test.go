package monitor

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func readLog(t *testing.T, path string) []logEntry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []logEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e logEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

func TestJSONLogLines(t *testing.T) {
	long := strings.Repeat("x", maxLine+5)
	for _, tc := range []struct {
		name   string
		writes [][2]string // stream, text
		want   []logEntry
	}{
		{"split lines", [][2]string{{"stdout", "a\nb"}, {"stdout", "c\n"}}, []logEntry{{Log: "a\n", Stream: "stdout"}, {Log: "bc\n", Stream: "stdout"}}},
		{"streams apart", [][2]string{{"stdout", "o"}, {"stderr", "e\n"}, {"stdout", "\n"}}, []logEntry{{Log: "e\n", Stream: "stderr"}, {Log: "o\n", Stream: "stdout"}}},
		{"unfinished line flushed", [][2]string{{"stderr", "end"}}, []logEntry{{Log: "end", Stream: "stderr"}}},
		{"long line split", [][2]string{{"stdout", long + "\n"}}, []logEntry{{Log: long[:maxLine], Stream: "stdout"}, {Log: "xxxxx\n", Stream: "stdout"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "log")
			l, err := openJSONLog(path, 0, 1)
			if err != nil {
				t.Fatal(err)
			}
			at := time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)
			l.now = func() time.Time { return at }
			for _, w := range tc.writes {
				if err := l.Write(w[0], []byte(w[1])); err != nil {
					t.Fatal(err)
				}
			}
			l.Flush("stdout")
			l.Flush("stderr")
			l.Close()
			got := readLog(t, path)
			for i := range tc.want {
				tc.want[i].Time = "2024-01-02T03:04:05.000000006Z"
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("log (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJSONLogRotation(t *testing.T) {
	for _, tc := range []struct {
		name      string
		maxFiles  int
		wantFiles []string
	}{
		{"three files", 3, []string{"log", "log.1", "log.2"}},
		{"one file", 1, []string{"log"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "log")
			l, err := openJSONLog(path, 200, tc.maxFiles)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 50; i++ {
				if err := l.Write("stdout", []byte("line of output\n")); err != nil {
					t.Fatal(err)
				}
			}
			l.Close()
			entries, _ := os.ReadDir(dir)
			var got []string
			for _, e := range entries {
				got = append(got, e.Name())
				fi, _ := e.Info()
				if fi.Size() > 200 {
					t.Errorf("%s is %d bytes, over max-size 200", e.Name(), fi.Size())
				}
				if len(readLog(t, filepath.Join(dir, e.Name()))) == 0 {
					t.Errorf("%s holds no entries", e.Name())
				}
			}
			if diff := cmp.Diff(tc.wantFiles, got); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

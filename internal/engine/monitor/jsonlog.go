package monitor

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// maxLine is the longest log entry: a longer line is split into partial
// entries without a trailing newline, as Docker does.
const maxLine = 16 << 10

// jsonLog writes Docker's json-file format, one object per line:
//
//	{"log":"text\n","stream":"stdout","time":"2024-01-02T03:04:05.123456789Z"}
//
// When the live file would grow past maxSize it is renamed to path.1 (path.1
// to path.2, ...), keeping maxFiles files in all. Safe for concurrent use.
type jsonLog struct {
	mu       sync.Mutex
	path     string
	maxSize  int64
	maxFiles int
	f        *os.File
	size     int64
	partial  map[string][]byte // per stream, text not yet ended by '\n'
	now      func() time.Time
}

func openJSONLog(path string, maxSize int64, maxFiles int) (*jsonLog, error) {
	l := &jsonLog{path: path, maxSize: maxSize, maxFiles: max(maxFiles, 1), partial: map[string][]byte{}, now: time.Now}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *jsonLog) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_CLOEXEC, 0o640)
	if err != nil {
		return fmt.Errorf("opening container log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("opening container log: %w", err)
	}
	l.f, l.size = f, fi.Size()
	return nil
}

// Write logs p as output of stream, one entry per complete line.
func (l *jsonLog) Write(stream string, p []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	buf := append(l.partial[stream], p...)
	for len(buf) > 0 {
		i := indexNL(buf)
		switch {
		case i >= 0 && i < maxLine:
			if err := l.entry(stream, buf[:i+1]); err != nil {
				return err
			}
			buf = buf[i+1:]
		case len(buf) >= maxLine:
			if err := l.entry(stream, buf[:maxLine]); err != nil {
				return err
			}
			buf = buf[maxLine:]
		default:
			l.partial[stream] = append(l.partial[stream][:0], buf...)
			return nil
		}
	}
	l.partial[stream] = l.partial[stream][:0]
	return nil
}

// Flush logs what is left of stream's last line without a newline.
func (l *jsonLog) Flush(stream string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.partial[stream]
	delete(l.partial, stream)
	if len(p) == 0 {
		return nil
	}
	return l.entry(stream, p)
}

func indexNL(b []byte) int {
	for i, c := range b {
		if c == '\n' {
			return i
		}
	}
	return -1
}

type logEntry struct {
	Log    string `json:"log"`
	Stream string `json:"stream"`
	Time   string `json:"time"`
}

func (l *jsonLog) entry(stream string, text []byte) error {
	b, err := json.Marshal(logEntry{Log: string(text), Stream: stream, Time: l.now().UTC().Format(time.RFC3339Nano)})
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if l.maxSize > 0 && l.size > 0 && l.size+int64(len(b)) > l.maxSize {
		if err := l.rotate(); err != nil {
			return err
		}
	}
	n, err := l.f.Write(b)
	l.size += int64(n)
	if err != nil {
		return fmt.Errorf("writing container log: %w", err)
	}
	return nil
}

// rotate shifts path.N-1 → path.N ... path → path.1, dropping the oldest,
// and opens a new live file; with maxFiles 1 the live file is truncated.
func (l *jsonLog) rotate() error {
	l.f.Close()
	if l.maxFiles == 1 {
		if err := os.Truncate(l.path, 0); err != nil {
			return fmt.Errorf("rotating container log: %w", err)
		}
		return l.open()
	}
	for i := l.maxFiles - 1; i >= 1; i-- {
		from := l.path
		if i > 1 {
			from = l.path + "." + strconv.Itoa(i-1)
		}
		if err := os.Rename(from, l.path+"."+strconv.Itoa(i)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("rotating container log: %w", err)
		}
	}
	return l.open()
}

func (l *jsonLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}

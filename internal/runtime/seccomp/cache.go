package seccomp

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
)

// cacheFormat names the entry layout and the way Compile builds a filter.
// Change it whenever either changes, so that old entries are never used.
const cacheFormat = "cais-seccomp-cache-1"

// binaryID identifies the running build, so that a new binary never uses
// what an older Compile built even if cacheFormat was not changed: a hash
// of the executable's first 32 KiB, which hold its ELF notes and the Go
// build ID (a hash of every input of the build). "" if it is unreadable.
var binaryID = sync.OnceValue(func() string {
	f, err := os.Open("/proc/self/exe")
	if err != nil {
		return ""
	}
	defer f.Close()
	buf := make([]byte, 32<<10)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return ""
	}
	return fmt.Sprintf("%x", sha256.Sum256(buf[:n]))
})

// cacheMagic starts every entry file.
var cacheMagic = [8]byte{'C', 'A', 'I', 'S', 'B', 'P', 'F', '1'}

// MaxCacheEntries bounds a cache directory: writing one more removes the
// entries used longest ago.
const MaxCacheEntries = 64

// Cache keeps compiled programs in a directory, one file per profile.
// A program depends only on the profile, the architecture, libseccomp and
// the kernel's seccomp API level (and the code that compiled it), and the
// key covers all of them. Entries
// carry a checksum; one that is corrupt, truncated or unreadable is ignored
// and rewritten. Several processes may share a directory: entries are
// written to a temporary file and renamed.
type Cache struct {
	dir string
}

// NewCache returns the cache in dir, which it creates (0700) when it first
// writes an entry.
func NewCache(dir string) *Cache { return &Cache{dir: dir} }

// Program returns the compiled program for cfg, from the cache when it has
// it. Otherwise it validates cfg exactly as Validate does (the same errors),
// compiles it and stores the result; failing to store it is not an error.
func (c *Cache) Program(cfg *specs.LinuxSeccomp) (*Program, error) {
	get, err := c.Start(cfg)
	if err != nil {
		return nil, err
	}
	return get()
}

// Start is Program in two halves, so that a caller can do other work while
// a missing program compiles: it looks cfg up and, on a miss, validates it
// (returning Validate's errors) and starts compiling it in a goroutine. The
// function it returns waits for the program.
func (c *Cache) Start(cfg *specs.LinuxSeccomp) (func() (*Program, error), error) {
	key, err := cacheKey(cfg)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(c.dir, key)
	if p, err := readEntry(path); err == nil {
		now := time.Now()
		_ = os.Chtimes(path, now, now) // recently used: evicted last
		return func() (*Program, error) { return p, nil }, nil
	}
	if err := Validate(cfg); err != nil {
		return nil, err
	}
	type result struct {
		p   *Program
		err error
	}
	done := make(chan result, 1)
	go func() {
		p, err := compileProgram(cfg)
		if err == nil && c.write(path, p) == nil {
			c.trim()
		}
		done <- result{p, err}
	}()
	return func() (*Program, error) {
		r := <-done
		return r.p, r.err
	}, nil
}

// CompileProgram validates cfg (as Validate) and compiles it into a Program.
func CompileProgram(cfg *specs.LinuxSeccomp) (*Program, error) {
	if err := Validate(cfg); err != nil {
		return nil, err
	}
	return compileProgram(cfg)
}

func compileProgram(cfg *specs.LinuxSeccomp) (*Program, error) {
	f, err := Compile(cfg)
	if err != nil {
		return nil, err
	}
	defer f.ctx.Release()
	return f.Program()
}

// cacheKey is a sha256 over everything a program depends on.
func cacheKey(cfg *specs.LinuxSeccomp) (string, error) {
	js, err := json.Marshal(cfg)
	if err != nil {
		return "", fmt.Errorf("linux.seccomp: %w", err)
	}
	api, err := libseccomp.GetAPI()
	if err != nil {
		return "", fmt.Errorf("asking libseccomp for its API level: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00%s\x00", cacheFormat, binaryID(), LibraryVersion(), api, runtime.GOARCH)
	h.Write(js)
	return fmt.Sprintf("%x", h.Sum(nil)), nil
}

// An entry is the magic, the sha256 of the payload, then the payload:
// flags (uint32), notify (uint32, 0 or 1), BPF length (uint32) and the BPF.
const entryHeader = len(cacheMagic) + sha256.Size

func encodeEntry(p *Program) []byte {
	payload := binary.LittleEndian.AppendUint32(nil, uint32(p.Flags))
	var notify uint32
	if p.Notify {
		notify = 1
	}
	payload = binary.LittleEndian.AppendUint32(payload, notify)
	payload = binary.LittleEndian.AppendUint32(payload, uint32(len(p.BPF)))
	payload = append(payload, p.BPF...)
	sum := sha256.Sum256(payload)
	out := make([]byte, 0, entryHeader+len(payload))
	out = append(out, cacheMagic[:]...)
	out = append(out, sum[:]...)
	return append(out, payload...)
}

var errBadEntry = errors.New("seccomp cache: bad entry")

func decodeEntry(b []byte) (*Program, error) {
	if len(b) < entryHeader+12 || !bytes.Equal(b[:len(cacheMagic)], cacheMagic[:]) {
		return nil, errBadEntry
	}
	payload := b[entryHeader:]
	if sum := sha256.Sum256(payload); !bytes.Equal(sum[:], b[len(cacheMagic):entryHeader]) {
		return nil, errBadEntry
	}
	flags := binary.LittleEndian.Uint32(payload)
	notify := binary.LittleEndian.Uint32(payload[4:])
	n := binary.LittleEndian.Uint32(payload[8:])
	bpf := payload[12:]
	if notify > 1 || uint64(n) != uint64(len(bpf)) || n == 0 || n%bpfInsnSize != 0 {
		return nil, errBadEntry
	}
	return &Program{BPF: bpf, Flags: uint(flags), Notify: notify == 1}, nil
}

func readEntry(path string) (*Program, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return decodeEntry(b)
}

// write stores p at path atomically (temporary file and rename). There is
// no fsync: a lost entry is compiled again.
func (c *Cache) write(path string, p *Program) error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(c.dir, ".tmp-")
	if err != nil {
		return err
	}
	_, err = tmp.Write(encodeEntry(p))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if err = os.Rename(tmp.Name(), path); err != nil {
			// Something that is not an entry (an empty directory) is
			// in the way: remove it and try once more.
			os.Remove(path)
			err = os.Rename(tmp.Name(), path)
		}
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// trim removes the entries used longest ago while there are more than
// MaxCacheEntries. Entries another process removed first are no error.
func (c *Cache) trim() {
	entries, err := os.ReadDir(c.dir)
	if err != nil || len(entries) <= MaxCacheEntries {
		return
	}
	type aged struct {
		name string
		mod  time.Time
	}
	var all []aged
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		all = append(all, aged{e.Name(), info.ModTime()})
	}
	slices.SortFunc(all, func(a, b aged) int { return a.mod.Compare(b.mod) })
	for i := 0; i < len(all)-MaxCacheEntries; i++ {
		os.Remove(filepath.Join(c.dir, all[i].name))
	}
}

package seccomp

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
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
const cacheFormat = "cais-seccomp-cache-2"

// binaryID identifies the running build, so that a new binary never uses
// what an older Compile built even if cacheFormat was not changed: the Go
// build ID (hashes of every input of the build and of its output), read
// from the ELF note near the start of the executable, or when there is
// none a 128-bit FNV-1a of the executable's first 32 KiB, which hold its
// ELF notes. "" if it is unreadable.
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
	if id := goBuildID(buf[:min(n, 4<<10)]); id != "" {
		return "go:" + id
	}
	h := fnv.New128a()
	h.Write(buf[:n])
	return fmt.Sprintf("fnv:%x", h.Sum(nil))
})

// goBuildID finds the Go build ID note (name "Go", type 4) in head, the
// first bytes of an ELF executable, where the linker puts its notes.
func goBuildID(head []byte) string {
	const noteGoBuildID = 4
	tag := []byte("Go\x00\x00")
	for off := 0; ; {
		i := bytes.Index(head[off:], tag)
		if i < 0 {
			return ""
		}
		at := off + i // the name; the 12-byte note header precedes it
		off = at + 1
		if at < 12 {
			continue
		}
		hdr := head[at-12 : at]
		namesz, descsz, typ := binary.LittleEndian.Uint32(hdr), binary.LittleEndian.Uint32(hdr[4:]), binary.LittleEndian.Uint32(hdr[8:])
		if namesz != 4 || typ != noteGoBuildID || descsz == 0 || uint64(at)+4+uint64(descsz) > uint64(len(head)) {
			continue
		}
		return string(head[at+4 : at+4+int(descsz)])
	}
}

// cacheMagic starts every entry file.
var cacheMagic = [8]byte{'C', 'A', 'I', 'S', 'B', 'P', 'F', '2'}

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
	ident, err := cacheIdentity(cfg)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(c.dir, keyOf(ident))
	if p, err := readEntry(path, ident); err == nil {
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
		if err == nil && c.write(path, ident, p) == nil {
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

// cacheIdentity is everything a program depends on: the format, the
// build, libseccomp's version and API level, the architecture and the
// profile's JSON. An entry stores it whole and a lookup compares it, so
// the key (a hash of it) only has to be fast: a collision costs a miss.
func cacheIdentity(cfg *specs.LinuxSeccomp) ([]byte, error) {
	js, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("linux.seccomp: %w", err)
	}
	api, err := libseccomp.GetAPI()
	if err != nil {
		return nil, fmt.Errorf("asking libseccomp for its API level: %w", err)
	}
	ident := fmt.Appendf(nil, "%s\x00%s\x00%s\x00%d\x00%s\x00", cacheFormat, binaryID(), LibraryVersion(), api, runtime.GOARCH)
	return append(ident, js...), nil
}

// keyOf names an entry: a 128-bit FNV-1a of its identity, in hex. It is
// not a cryptographic hash (crypto/sha256 brought the whole FIPS module's
// initialisation into every runtime process); only root writes under
// --root, and a lookup checks the identity stored in the entry.
func keyOf(ident []byte) string {
	return fmt.Sprintf("%x", fnvSum(ident))
}

func fnvSum(b []byte) []byte {
	h := fnv.New128a()
	h.Write(b)
	return h.Sum(nil)
}

// cacheKey is the file name of cfg's entry.
func cacheKey(cfg *specs.LinuxSeccomp) (string, error) {
	ident, err := cacheIdentity(cfg)
	if err != nil {
		return "", err
	}
	return keyOf(ident), nil
}

// An entry is the magic, a 128-bit FNV-1a checksum of the payload, then
// the payload: identity length (uint32) and identity, flags (uint32),
// notify (uint32, 0 or 1), BPF length (uint32) and the BPF.
const (
	sumSize     = 16
	entryHeader = len(cacheMagic) + sumSize
)

func encodeEntry(ident []byte, p *Program) []byte {
	payload := binary.LittleEndian.AppendUint32(nil, uint32(len(ident)))
	payload = append(payload, ident...)
	payload = binary.LittleEndian.AppendUint32(payload, uint32(p.Flags))
	var notify uint32
	if p.Notify {
		notify = 1
	}
	payload = binary.LittleEndian.AppendUint32(payload, notify)
	payload = binary.LittleEndian.AppendUint32(payload, uint32(len(p.BPF)))
	payload = append(payload, p.BPF...)
	out := make([]byte, 0, entryHeader+len(payload))
	out = append(out, cacheMagic[:]...)
	out = append(out, fnvSum(payload)...)
	return append(out, payload...)
}

var (
	errBadEntry   = errors.New("seccomp cache: bad entry")
	errOtherEntry = errors.New("seccomp cache: the entry is another profile's")
)

// decodeEntry returns the program of entry b if it is intact and was
// stored for ident.
func decodeEntry(b, ident []byte) (*Program, error) {
	if len(b) < entryHeader+4 || !bytes.Equal(b[:len(cacheMagic)], cacheMagic[:]) {
		return nil, errBadEntry
	}
	payload := b[entryHeader:]
	if !bytes.Equal(fnvSum(payload), b[len(cacheMagic):entryHeader]) {
		return nil, errBadEntry
	}
	n := uint64(binary.LittleEndian.Uint32(payload))
	if uint64(len(payload)) < 4+n+12 {
		return nil, errBadEntry
	}
	if !bytes.Equal(payload[4:4+n], ident) {
		return nil, errOtherEntry
	}
	payload = payload[4+n:]
	flags := binary.LittleEndian.Uint32(payload)
	notify := binary.LittleEndian.Uint32(payload[4:])
	size := binary.LittleEndian.Uint32(payload[8:])
	bpf := payload[12:]
	if notify > 1 || uint64(size) != uint64(len(bpf)) || size == 0 || size%bpfInsnSize != 0 {
		return nil, errBadEntry
	}
	return &Program{BPF: bpf, Flags: uint(flags), Notify: notify == 1}, nil
}

func readEntry(path string, ident []byte) (*Program, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return decodeEntry(b, ident)
}

// write stores p at path atomically (temporary file and rename). There is
// no fsync: a lost entry is compiled again.
func (c *Cache) write(path string, ident []byte, p *Program) error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(c.dir, ".tmp-")
	if err != nil {
		return err
	}
	_, err = tmp.Write(encodeEntry(ident, p))
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

package deploy

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/edgewatt/edgewatt/internal/buildinfo"
	"github.com/edgewatt/edgewatt/internal/release"
)

// Binary is the edgewatt executable chosen for a target.
type Binary struct {
	Path   string
	SHA256 string
	Size   int64
	Source string // where it came from, for the log: "dist/edgewatt-linux-arm64 (make release)"
}

// binaries finds or builds one binary per target, once per deploy run.
type binaries struct {
	opts  *Options
	mu    sync.Mutex
	cache map[release.Target]*binResult
}

type binResult struct {
	once sync.Once
	bin  *Binary
	err  error
}

func (b *binaries) get(ctx context.Context, t release.Target) (*Binary, error) {
	b.mu.Lock()
	if b.cache == nil {
		b.cache = map[release.Target]*binResult{}
	}
	r := b.cache[t]
	if r == nil {
		r = &binResult{}
		b.cache[t] = r
	}
	b.mu.Unlock()
	r.once.Do(func() { r.bin, r.err = b.find(ctx, t) })
	return r.bin, r.err
}

// find picks, in order: --binary; dist/ from 'make release' (checked against its SHA256SUMS);
// this very executable when it was built for the target; a build with the local Go toolchain
// from the source tree.
func (b *binaries) find(ctx context.Context, t release.Target) (*Binary, error) {
	o := b.opts
	if o.Binary != "" {
		return hashFile(o.Binary, "--binary "+o.Binary)
	}
	if o.Dist != "" {
		p := filepath.Join(o.Dist, t.BinaryName())
		if _, err := os.Stat(p); err == nil {
			bin, err := hashFile(p, p+" (make release)")
			if err != nil {
				return nil, err
			}
			if want, ok := readSums(filepath.Join(o.Dist, "SHA256SUMS"))[t.BinaryName()]; ok && want != bin.SHA256 {
				return nil, fmt.Errorf("deploy: %s does not match %s/SHA256SUMS: rebuild with 'make release'", p, o.Dist)
			}
			return bin, nil
		}
	}
	if self := buildinfo.Read(); self.Target() == t.String() {
		if exe, err := os.Executable(); err == nil && strings.HasPrefix(filepath.Base(exe), "edgewatt") {
			return hashFile(exe, "this edgewatt ("+exe+", built for "+t.String()+")")
		}
	}
	src := o.Source
	if src == "" {
		src = findSourceTree()
	}
	if src == "" {
		return nil, fmt.Errorf("deploy: no binary for %s: no %s in %s, and this is not inside the edgewatt source tree to build one: run 'make release' in the source tree, pass --dist DIR or --binary FILE", t, t.BinaryName(), orNone(o.Dist))
	}
	dir := o.BuildDir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "edgewatt-deploy-build"); err != nil {
			return nil, fmt.Errorf("deploy: %w", err)
		}
	}
	out := filepath.Join(dir, t.BinaryName())
	// Not -trimpath: the compile cache of everyday builds and tests applies, so this takes
	// seconds; 'make release' makes the reproducible, path-free binaries.
	cmd := exec.CommandContext(ctx, "go", "build", "-ldflags=-s -w", "-o", out, "./cmd/edgewatt")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), t.Env()...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("deploy: building %s with the local Go toolchain in %s: %v\n%s", t, src, err, msg)
	}
	return hashFile(out, "built now for "+t.String()+" with the local Go toolchain from "+src)
}

func orNone(s string) string {
	if s == "" {
		return "(no --dist)"
	}
	return s
}

// findSourceTree returns the edgewatt module root above the working directory, or "".
func findSourceTree() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			if strings.HasPrefix(string(b), "module github.com/edgewatt/edgewatt\n") {
				return d
			}
			return ""
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

func hashFile(path, source string) (*Binary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("deploy: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return nil, fmt.Errorf("deploy: reading %s: %w", path, err)
	}
	return &Binary{Path: path, SHA256: hex.EncodeToString(h.Sum(nil)), Size: n, Source: source}, nil
}

// readSums reads a sha256sum file ("HEX  NAME" lines); a missing file gives an empty map.
func readSums(path string) map[string]string {
	m := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if sum, name, ok := strings.Cut(sc.Text(), "  "); ok {
			m[strings.TrimPrefix(name, "*")] = sum
		}
	}
	return m
}

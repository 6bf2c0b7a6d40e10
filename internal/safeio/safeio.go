package safeio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Limits for the files edgewatt reads. A text classifier for a Pi is a few MB; these leave
// room for much larger ones and stop a wrong path (a disk image, /dev/zero) early.
const (
	MaxModelFile = 1 << 30   // a source model (.h5, .keras, TF.js model.json and shards) or a model file
	MaxTextFile  = 256 << 20 // tokenizers, labels, --eval/--calib/--data/--texts files
)

// ErrNotRegular is returned (wrapped) for an input or output that is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is returned (wrapped) for an input larger than its limit.
var ErrTooLarge = errors.New("file too large")

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file"
}

// Open opens path for reading if it is a regular file (checked before opening, so a FIFO
// is never opened) and returns it with its size.
func Open(path string) (*os.File, int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%s is %s, %w; give a file", path, kind(st.Mode()), ErrNotRegular)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	st, err = f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !st.Mode().IsRegular() { // replaced between the two checks
		f.Close()
		return nil, 0, fmt.Errorf("%s is %s, %w; give a file", path, kind(st.Mode()), ErrNotRegular)
	}
	return f, st.Size(), nil
}

// ReadFile reads the regular file at path if it holds at most max bytes.
func ReadFile(path string, max int64) ([]byte, error) {
	f, size, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > max {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d edgewatt reads (%w)", path, size, max, ErrTooLarge)
	}
	b := make([]byte, 0, size+1)
	for {
		n, err := f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > max {
			return nil, fmt.Errorf("%s grew past the %d bytes edgewatt reads while it was read (%w)", path, max, ErrTooLarge)
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grow
		}
	}
}

// Path names a file a command reads or writes, with the flag that gave it, for messages.
type Path struct {
	Flag string // e.g. "-o", "--eval", "model"
	Path string
}

func (p Path) String() string {
	if p.Flag == "" {
		return p.Path
	}
	return p.Flag + " " + p.Path
}

// CheckOutputs refuses outputs that are one of the inputs (same device and inode after
// resolving symbolic links), the same file as another output, or that exist and are not
// regular files. Empty paths are ignored.
func CheckOutputs(outputs, inputs []Path) error {
	type seen struct {
		p  Path
		st fs.FileInfo
	}
	var ins []seen
	for _, in := range inputs {
		if in.Path == "" {
			continue
		}
		if st, err := os.Stat(in.Path); err == nil {
			ins = append(ins, seen{in, st})
		}
	}
	var outs []seen
	for _, o := range outputs {
		if o.Path == "" {
			continue
		}
		st, err := os.Stat(o.Path)
		if errors.Is(err, fs.ErrNotExist) {
			if d := filepath.Dir(o.Path); d != "" {
				if dst, err := os.Stat(d); err != nil || !dst.IsDir() {
					return fmt.Errorf("output %s: its directory %s does not exist; create it first", o, d)
				}
			}
			// A dangling symlink would be replaced by the rename; compare by name too.
			for _, p := range outs {
				if filepath.Clean(p.p.Path) == filepath.Clean(o.Path) {
					return fmt.Errorf("output %s is also output %s; give each output its own path", o, p.p)
				}
			}
			outs = append(outs, seen{o, nil})
			continue
		}
		if err != nil {
			return fmt.Errorf("output %s: %w", o, err)
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("output %s is %s, %w; give a file path (an existing file is replaced)", o, kind(st.Mode()), ErrNotRegular)
		}
		for _, in := range ins {
			if os.SameFile(st, in.st) {
				return fmt.Errorf("output %s is the input %s; writing it would destroy the input, choose another output path", o, in.p)
			}
		}
		for _, p := range outs {
			if p.st != nil && os.SameFile(st, p.st) {
				return fmt.Errorf("output %s is also output %s; give each output its own path", o, p.p)
			}
		}
		outs = append(outs, seen{o, st})
	}
	return nil
}

const tmpMarker = ".edgewatt-tmp-"

func tmpPrefix(path string) string { return "." + filepath.Base(path) + tmpMarker }

// CleanStale removes the temporary files that an earlier WriteAtomic to path left when its
// process was killed (SIGKILL, power loss): those whose PID is not a running process.
func CleanStale(path string) {
	dir, prefix := filepath.Dir(path), tmpPrefix(path)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) || !e.Type().IsRegular() {
			continue
		}
		rest := name[len(prefix):]
		i := strings.IndexByte(rest, '-')
		if i <= 0 {
			continue
		}
		pid, err := strconv.Atoi(rest[:i])
		if err != nil || pid <= 0 || processAlive(pid) {
			continue
		}
		os.Remove(filepath.Join(dir, name))
	}
}

// WriteAtomic writes path through write: a temporary file beside it, fsync, chmod 0644,
// rename, fsync of the directory. path must not exist or be a regular file. On any error
// path is untouched and no temporary file remains; errors name path.
func WriteAtomic(path string, write func(w io.Writer) error) (err error) {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("output %s is %s, %w; give a file path", path, kind(st.Mode()), ErrNotRegular)
	}
	CleanStale(path)
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, tmpPrefix(path)+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	name := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, unwrapPath(err))
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, unwrapPath(err))
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, unwrapPath(err))
	}
	if err = os.Rename(name, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, unwrapPath(err))
	}
	if d, e := os.Open(dir); e == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// unwrapPath drops the temporary file's name from a *PathError or *LinkError.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

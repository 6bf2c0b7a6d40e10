package board

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// readString reads a small sysfs/procfs file, trimmed.
func readString(fsys fs.FS, name string) (string, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return "", rooted(err)
	}
	if len(b) > 1<<20 {
		return "", fmt.Errorf("%s: %d bytes, too large for a sysfs attribute", name, len(b))
	}
	return strings.TrimSpace(string(b)), nil
}

// readInt reads a sysfs attribute holding one decimal integer.
func readInt(fsys fs.FS, name string) (int64, error) {
	s, err := readString(fsys, name)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not an integer", name, clip(s))
	}
	return v, nil
}

// sysfsHint says how to fix a failed sysfs read.
func sysfsHint(err error, what string) string {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return what + " is readable by root only: run edgewatt with sudo, or grant read access (sudo chmod a+r on the file; a udev rule makes it permanent)"
	case errors.Is(err, fs.ErrNotExist):
		return what + " does not exist: the kernel driver is not loaded, or the device is gone"
	}
	return ""
}

func exists(fsys fs.FS, name string) bool {
	_, err := fs.Stat(fsys, name)
	return err == nil
}

// rooted makes the unrooted path of an fs.PathError (fs.FS paths have no leading '/')
// absolute again, for messages.
func rooted(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && !strings.HasPrefix(pe.Path, "/") {
		return &fs.PathError{Op: pe.Op, Path: "/" + pe.Path, Err: pe.Err}
	}
	return err
}

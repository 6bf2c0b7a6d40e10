package board

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// OpenFirst returns the first alternative that opens, reports the ones before it, and joins
// every alternative's error when none opens.
func TestOpenFirst(t *testing.T) {
	good := "replay:testdata/replay/idle-load.csv"
	var failed []string
	src, alt, err := OpenFirst("replay:testdata/replay/missing.csv | "+good, OpenOptions{}, func(alt string, err error) {
		failed = append(failed, alt)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if alt != good || len(failed) != 1 || failed[0] != "replay:testdata/replay/missing.csv" {
		t.Fatalf("opened %q after failing %q", alt, failed)
	}

	_, _, err = OpenFirst("replay:testdata/replay/missing.csv", OpenOptions{}, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "board: ") {
		t.Fatalf("one alternative: want its own error, unprefixed, got %v", err)
	}
	_, _, err = OpenFirst("replay:testdata/replay/missing.csv|bogus", OpenOptions{}, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "replay:testdata/replay/missing.csv: board: ") || !strings.Contains(err.Error(), "\nbogus: board: ") {
		t.Fatalf("two alternatives: want both named, got %v", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the joined error should keep its causes: %v", err)
	}
}

// Package depcheck keeps the import graph the way STYLE.md draws it: the device-side runtime
// links only the standard library, golang.org/x/sys and x448/float16, never convert or board.
package depcheck

import (
	"os/exec"
	"strings"
	"testing"
)

func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).Output()
	if err != nil {
		t.Skipf("SKIP: go list unavailable here (%v); the import rule is checked on the host run", err)
	}
	return strings.Fields(string(out))
}

func TestRuntimeDeps(t *testing.T) {
	allowed := []string{"github.com/edgewatt/edgewatt/runtime", "github.com/edgewatt/edgewatt/quant", "golang.org/x/sys/", "github.com/x448/float16"}
	for _, d := range deps(t, "github.com/edgewatt/edgewatt/runtime/...") {
		ok := false
		for _, a := range allowed {
			if strings.HasPrefix(d, a) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("runtime depends on %s; it may use only the standard library, golang.org/x/sys, x448/float16 and quant", d)
		}
	}
}

func TestBoardAndConvertStayApart(t *testing.T) {
	for _, d := range deps(t, "github.com/edgewatt/edgewatt/board/...") {
		if strings.Contains(d, "edgewatt/convert") || strings.Contains(d, "edgewatt/runtime") {
			t.Errorf("board depends on %s", d)
		}
	}
	for _, d := range deps(t, "github.com/edgewatt/edgewatt/convert/...") {
		if strings.HasPrefix(d, "periph.io/") || strings.Contains(d, "edgewatt/board") {
			t.Errorf("convert depends on %s", d)
		}
	}
}

package deploy

import (
	"os/exec"
	"testing"
)

func TestQuoteRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "two words", "it's", `"dq" $HOME $(id) ; rm -rf / ` + "`x`", "-n", "a\nb", "'", "é ü"} {
		out, err := exec.Command("sh", "-c", "printf %s "+Quote(s)).Output()
		if err != nil {
			t.Fatalf("sh: %v", err)
		}
		if string(out) != s {
			t.Errorf("Quote(%q) came back as %q", s, out)
		}
	}
	out, err := exec.Command("sh", "-c", Script(`printf '%s|' "$@"`, "a b", "$x", "'q'")).Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "a b|$x|'q'|" {
		t.Errorf("Script positional args = %q", out)
	}
}

func FuzzQuote(f *testing.F) {
	f.Add("it's $(x)")
	f.Fuzz(func(t *testing.T, s string) {
		q := Quote(s)
		// A quoted word never ends its quoting early: outside the '\'' escapes there is no
		// single quote, so the shell sees exactly one word.
		if s != "" && q[0] == '\'' && q[len(q)-1] != '\'' {
			t.Fatalf("Quote(%q) = %q", s, q)
		}
	})
}

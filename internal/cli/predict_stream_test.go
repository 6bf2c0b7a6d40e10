package cli

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// streamRecord is what predict prints per input: a prediction or an error record.
type streamRecord struct {
	Text  *string `json:"text"`
	Label string  `json:"label"`
	Line  int     `json:"line"`
	Error string  `json:"error"`
}

// readRecord reads one output line. The deadline only turns a hang (an unflushed record)
// into a failure instead of a stuck test; nothing is asserted about how fast it came.
func readRecord(t *testing.T, lines <-chan string) streamRecord {
	t.Helper()
	select {
	case l, ok := <-lines:
		if !ok {
			t.Fatal("predict's output ended")
		}
		var r streamRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("output line %q: %v", l, err)
		}
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("no record: the answer to a line that was written is still unflushed")
	}
	return streamRecord{}
}

// Issue 13's pipe test, through io.Pipe to Run: each answer is read before the next line is
// written (so it was flushed on its own), a line written after a 2 s pause is answered
// before the line after it exists, and a malformed line in the middle gives an error record
// with its line number without losing the lines after it.
func TestPredictStreamsOverAPipe(t *testing.T) {
	model := smallModel(t)
	for _, jsonl := range []bool{false, true} {
		inR, inW := io.Pipe()
		outR, outW := io.Pipe()
		args := []string{"predict", "-m", model}
		line := func(s string) string { return s + "\n" }
		bad := "{not json\n"
		if jsonl {
			args = append(args, "--jsonl")
			line = func(s string) string { b, _ := json.Marshal(map[string]string{"text": s}); return string(b) + "\n" }
		} else {
			bad = strings.Repeat("x", maxLineBytes+10) + "\n" // too long: the plain-text error
		}
		done := make(chan error, 1)
		var stderr bytes.Buffer
		go func() { done <- Run(args, inR, outW, &stderr); outW.Close() }()
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(outR)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		io.WriteString(inW, line("smoke detected in the kitchen"))
		if r := readRecord(t, lines); r.Text == nil || *r.Text != "smoke detected in the kitchen" {
			t.Fatalf("first record %+v", r)
		}
		time.Sleep(2 * time.Second)
		io.WriteString(inW, line("the dishwasher finished"))
		if r := readRecord(t, lines); r.Text == nil || *r.Text != "the dishwasher finished" {
			t.Fatalf("record after the pause %+v", r)
		}
		io.WriteString(inW, bad)
		if r := readRecord(t, lines); r.Line != 3 || r.Error == "" {
			t.Fatalf("malformed line 3 gave %+v, want an error record for line 3", r)
		}
		io.WriteString(inW, line("water leak in the basement"))
		if r := readRecord(t, lines); r.Text == nil || *r.Text != "water leak in the basement" {
			t.Fatalf("line after the bad one: %+v", r)
		}
		inW.Close()
		if err := <-done; err == nil || !strings.Contains(err.Error(), "1 of 4 inputs failed") {
			t.Errorf("jsonl %v: exit error %v, want '1 of 4 inputs failed'", jsonl, err)
		}
	}
}

func predictStdin(t *testing.T, stdin io.Reader, args ...string) ([]streamRecord, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := Run(append([]string{"predict"}, args...), stdin, &out, &errb)
	var recs []streamRecord
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if l == "" {
			continue
		}
		var r streamRecord
		if jerr := json.Unmarshal([]byte(l), &r); jerr != nil {
			t.Fatalf("output %q: %v", l, jerr)
		}
		recs = append(recs, r)
	}
	return recs, err
}

func TestPredictOnErrorStop(t *testing.T) {
	model := smallModel(t)
	recs, err := predictStdin(t, strings.NewReader("{\"text\":\"a\"}\nnot json\n{\"text\":\"c\"}\n"), "-m", model, "--jsonl", "--on-error", "stop")
	if err == nil || !strings.Contains(err.Error(), "stdin line 2") || len(recs) != 1 {
		t.Fatalf("stop: %d records, %v", len(recs), err)
	}
}

// A 100 MB line was "bufio.Scanner: token too long" with no line number and the rest
// dropped; it is now one error record, read without holding it, and the stream goes on.
func TestPredictHugeLine(t *testing.T) {
	model := smallModel(t)
	in := io.MultiReader(strings.NewReader("first\n"), io.LimitReader(zeros{'x'}, 100<<20), strings.NewReader("\nlast\n"))
	var recs []streamRecord
	var err error
	var before, after goruntime.MemStats
	goruntime.GC()
	goruntime.ReadMemStats(&before)
	recs, err = predictStdin(t, in, "-m", model)
	goruntime.ReadMemStats(&after)
	if len(recs) != 3 || recs[1].Line != 2 || !strings.Contains(recs[1].Error, "104857600 bytes") || *recs[2].Text != "last" {
		t.Fatalf("records %+v, err %v", recs, err)
	}
	if a := after.TotalAlloc - before.TotalAlloc; a > 32<<20 {
		t.Errorf("a 100 MB line allocated %d MiB", a>>20)
	}
}

type zeros struct{ b byte }

func (z zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = z.b
	}
	return len(p), nil
}

func TestPredictBOMAndIDLines(t *testing.T) {
	model := smallModel(t)
	recs, err := predictStdin(t, strings.NewReader("\xef\xbb\xbf{\"text\":\"hello\"}\n"), "-m", model, "--jsonl")
	if err != nil || len(recs) != 1 || recs[0].Text == nil || *recs[0].Text != "hello" {
		t.Fatalf("BOM: %+v %v", recs, err)
	}
	recs, err = predictStdin(t, strings.NewReader("1,2,3\n1,x,3\n99999\n4,5\n"), "-m", model, "--ids")
	if len(recs) != 4 || recs[1].Line != 2 || !strings.Contains(recs[1].Error, `"x" is not an integer`) ||
		recs[2].Line != 3 || !strings.Contains(recs[2].Error, "outside the embedding") || recs[3].Error != "" {
		t.Fatalf("--ids: %+v %v", recs, err)
	}
}

// Weights that overflow float32 made predict stop with "json: unsupported value: NaN",
// naming neither input nor cause.
func TestPredictNonFiniteScore(t *testing.T) {
	f, err := modelfile.ReadFile(smallModel(t))
	if err != nil {
		t.Fatal(err)
	}
	// Finite weights whose sums overflow: dense 0 reaches +Inf, dense 1 then adds +Inf and
	// -Inf (NaN).
	for name, v := range map[string]float32{modelfile.DenseScale(0): 2e36, modelfile.DenseBias(0): 3.4e38} {
		s := f.Tensor(name)
		for i := 0; i < len(s.Data); i += 4 {
			binary.LittleEndian.PutUint32(s.Data[i:], math.Float32bits(v))
		}
	}
	p := filepath.Join(t.TempDir(), "overflow.safetensors")
	if err := modelfile.WriteFile(p, f); err != nil {
		t.Fatal(err)
	}
	recs, err := predictStdin(t, strings.NewReader("smoke detected in the kitchen\n"), "-m", p)
	if len(recs) != 1 || recs[0].Line != 1 || !strings.Contains(recs[0].Error, `"smoke detected in the kitchen"`) ||
		!strings.Contains(recs[0].Error, "overflow") || err == nil {
		t.Fatalf("records %+v, err %v", recs, err)
	}
	os.Remove(p)
}

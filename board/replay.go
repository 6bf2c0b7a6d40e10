package board

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"periph.io/x/conn/v3/physic"
)

// TraceSample is one row of a power trace.
type TraceSample struct {
	T         time.Duration // since the start of the trace
	Power     physic.Power
	Temp      physic.Temperature // 0 (absolute zero) when the trace has no temperature
	Throttled Throttle           // vcgencmd get_throttled bits; 0 when absent
	Rate      float64            // inferences per second since the previous row; 0 when absent (or idle)
}

// Trace is a recorded power trace: CSV rows "time_s,watts[,temp_c,throttled[,inferences_per_s]]",
// an optional header line naming those columns, times strictly increasing, throttled in hex
// (0x50005) or decimal. Lines starting with '#' are the trace's description, kept in
// Description: a report on a replay quotes it, so a synthetic trace says so.
type Trace struct {
	Samples     []TraceSample
	Description string // the '#' comment lines, without the '#', joined by newlines
	// HasRate is true when the trace has an inferences_per_s column (recorded, e.g., by
	// 'edgewatt bench --energy --record' on a board): a replay then counts the trace's
	// inferences instead of the host's.
	HasRate bool
}

// traceColumns are the columns of a trace, in order; a header line must name a prefix of them.
var traceColumns = []string{"time_s", "watts", "temp_c", "throttled", "inferences_per_s"}

// Trace limits: a wrong file (a disk image, /dev/zero) is refused rather than read whole.
const (
	maxTraceRows  = 4_000_000 // 11 hours at 100 Hz
	maxTraceBytes = 256 << 20
	maxTraceLine  = 1 << 16
	maxTraceDesc  = 64 << 10 // description bytes kept
)

// ParseTrace reads a CSV power trace; see Trace for the format. At most 256 MiB are read.
func ParseTrace(r io.Reader) (*Trace, error) { return parseTrace(r, maxTraceBytes) }

func parseTrace(r io.Reader, maxBytes int64) (*Trace, error) {
	lr := &io.LimitedReader{R: r, N: maxBytes + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 4096), maxTraceLine)
	t := &Trace{}
	var desc strings.Builder
	line, rows := 0, 0
	joules := 0.0
	width := 0 // the header's column count, 0 without a header
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff") // a UTF-8 byte order mark
		}
		if c, ok := strings.CutPrefix(text, "#"); ok {
			if rows == 0 && desc.Len() < maxTraceDesc {
				if desc.Len() > 0 {
					desc.WriteByte('\n')
				}
				desc.WriteString(strings.TrimSpace(c))
			}
			continue
		}
		if text == "" {
			continue
		}
		f := strings.Split(text, ",")
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		rows++
		if rows == 1 && isHeader(f) {
			if err := checkHeader(f); err != nil {
				return nil, fmt.Errorf("board: trace line %d: %w", line, err)
			}
			width = len(f)
			continue
		}
		if len(f) < 2 || len(f) > len(traceColumns) {
			return nil, fmt.Errorf("board: trace line %d: %d fields, want time_s,watts[,temp_c,throttled[,inferences_per_s]]", line, len(f))
		}
		if width != 0 && len(f) > width {
			return nil, fmt.Errorf("board: trace line %d: %d fields, but the header names %d", line, len(f), width)
		}
		sec, err := strconv.ParseFloat(f[0], 64)
		if err != nil || math.IsNaN(sec) || math.IsInf(sec, 0) || sec < 0 || sec > 1e9 {
			what := "want seconds >= 0 (e.g. 0.100)"
			if rows == 1 {
				what += "; a header line must name the columns: " + strings.Join(traceColumns, ",")
			}
			return nil, fmt.Errorf("board: trace line %d: time %q: %s", line, clip(f[0]), what)
		}
		w, err := strconv.ParseFloat(f[1], 64)
		if err != nil || math.IsNaN(w) || math.IsInf(w, 0) || w < 0 || w > 1e6 {
			return nil, fmt.Errorf("board: trace line %d: power %q: want watts between 0 and 1e6 (e.g. 3.25)", line, clip(f[1]))
		}
		s := TraceSample{T: time.Duration(math.Round(sec * 1e9)), Power: Watts(w)}
		if len(f) > 2 && f[2] != "" {
			c, err := strconv.ParseFloat(f[2], 64)
			if err != nil || math.IsNaN(c) || c < -273.15 || c > 1000 {
				return nil, fmt.Errorf("board: trace line %d: temperature %q: want degrees Celsius (e.g. 48.3)", line, clip(f[2]))
			}
			s.Temp = physic.ZeroCelsius + physic.Temperature(math.Round(c*float64(physic.Kelvin)))
		}
		if len(f) > 3 && f[3] != "" {
			v, err := strconv.ParseUint(f[3], 0, 32)
			if err != nil {
				return nil, fmt.Errorf("board: trace line %d: throttled %q: want vcgencmd get_throttled bits (e.g. 0x50005 or 0)", line, clip(f[3]))
			}
			s.Throttled = Throttle(v)
		}
		if len(t.Samples) == 0 {
			t.HasRate = len(f) > 4
		}
		if (len(f) > 4) != t.HasRate {
			return nil, fmt.Errorf("board: trace line %d: inferences_per_s must be on every row or on none (0 while idle)", line)
		}
		if t.HasRate {
			v, err := strconv.ParseFloat(f[4], 64)
			if err != nil || math.IsNaN(v) || v < 0 || v > 1e9 {
				return nil, fmt.Errorf("board: trace line %d: inferences_per_s %q: want a rate >= 0 (0 while idle)", line, clip(f[4]))
			}
			s.Rate = v
		}
		if n := len(t.Samples); n > 0 && s.T <= t.Samples[n-1].T {
			return nil, fmt.Errorf("board: trace line %d: time %s is not after the previous row's %s: sort the trace by time", line, f[0], t.Samples[n-1].T)
		}
		if len(t.Samples) >= maxTraceRows {
			return nil, fmt.Errorf("board: trace line %d: more than %d rows: split the trace", line, maxTraceRows)
		}
		if n := len(t.Samples); n > 0 {
			prev := t.Samples[n-1]
			joules += (s.T - prev.T).Seconds() * (watts(prev.Power) + w) / 2
			if joules > maxTraceJoules {
				return nil, fmt.Errorf("board: trace line %d: the trace integrates to more than %.0g J (a board at 5 W would need %.0f years): are the columns seconds and watts?", line, maxTraceJoules, maxTraceJoules/5/3.156e7)
			}
		}
		t.Samples = append(t.Samples, s)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("a line longer than %d bytes: not a trace of time_s,watts rows", maxTraceLine)
		}
		return nil, fmt.Errorf("board: trace line %d: %w", line+1, err)
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("board: trace larger than %d MiB: split it or decimate it", maxBytes>>20)
	}
	if len(t.Samples) == 0 {
		return nil, fmt.Errorf("board: trace has no rows: want CSV lines time_s,watts[,temp_c,throttled[,inferences_per_s]]")
	}
	t.Description = desc.String()
	return t, nil
}

// maxTraceJoules bounds a trace's energy well inside physic.Energy (int64 nanojoules, about
// 9.2e9 J), so that integrating it cannot overflow.
const maxTraceJoules = 1e9

// isHeader reports whether the first row is a header: no field is a number. A row with
// a typo in its first number ("0.O5,2.7") is not a header but a bad row.
func isHeader(f []string) bool {
	for _, v := range f {
		if _, err := strconv.ParseFloat(v, 64); err == nil || v == "" {
			return false
		}
	}
	return true
}

// checkHeader accepts a header naming a prefix of traceColumns, in order.
func checkHeader(f []string) error {
	if len(f) < 2 || len(f) > len(traceColumns) {
		return fmt.Errorf("header with %d columns: want %s (the first two at least)", len(f), strings.Join(traceColumns, ","))
	}
	for i, v := range f {
		if !strings.EqualFold(v, traceColumns[i]) {
			return fmt.Errorf("header column %d is %q, want %q (columns: %s)", i+1, clip(v), traceColumns[i], strings.Join(traceColumns, ","))
		}
	}
	return nil
}

// Duration is the time of the last sample.
func (t *Trace) Duration() time.Duration { return t.Samples[len(t.Samples)-1].T }

// Energy is the trapezoid integral of the trace's power over its duration.
func (t *Trace) Energy() physic.Energy {
	var j float64
	for i := 1; i < len(t.Samples); i++ {
		a, b := t.Samples[i-1], t.Samples[i]
		j += (watts(a.Power) + watts(b.Power)) / 2 * (b.T - a.T).Seconds()
	}
	return joules(j)
}

// Replay is a Source that plays a Trace back. Without pacing, Read returns the next row at
// once, stamped Start + T, so a caller runs on the trace's virtual clock.
type Replay struct {
	name  string
	trace *Trace
	start time.Time
	pace  bool
	now   func() time.Time
	i     int
	last  TraceSample
}

// NewReplay returns a replay of t whose t = 0 is start. With pace, Read sleeps until
// start + T of the next row (by the real clock).
func NewReplay(name string, t *Trace, start time.Time, pace bool) *Replay {
	return &Replay{name: name, trace: t, start: start, pace: pace, now: time.Now}
}

// OpenReplay reads the trace at file (a path in fsys if fsys is not nil, else in the
// operating system) and returns a Replay. The file must be a regular file of at most
// 256 MiB: a device (/dev/zero), a FIFO or a directory is refused.
func OpenReplay(file string, opt OpenOptions) (*Replay, error) {
	var (
		f   fs.File
		err error
	)
	if opt.FS != nil {
		f, err = opt.FS.Open(strings.TrimPrefix(path.Clean(file), "/"))
	} else {
		f, err = openRegular(file)
	}
	if err != nil {
		return nil, &SourceError{Source: "replay:" + file, Op: "open", Err: err,
			Hint: "pass an existing CSV file of time_s,watts rows, e.g. --power replay:board/testdata/replay/idle-load.csv"}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s, not a regular file", fileKind(fi.Mode()))
	}
	if err == nil && fi.Size() > maxTraceBytes {
		err = fmt.Errorf("%d bytes, more than the %d MiB a trace may have: split it or decimate it", fi.Size(), maxTraceBytes>>20)
	}
	if err != nil {
		return nil, &SourceError{Source: "replay:" + file, Op: "open", Err: err,
			Hint: "a replay reads a CSV file of time_s,watts rows"}
	}
	t, err := ParseTrace(f)
	if err != nil {
		return nil, &SourceError{Source: "replay:" + file, Op: "parse", Err: err}
	}
	start := opt.Start
	if start.IsZero() {
		start = opt.now()
	}
	r := NewReplay("replay:"+file, t, start, opt.Pace)
	if opt.Now != nil {
		r.now = opt.Now
	}
	return r, nil
}

// fileKind names what a non-regular file is, for messages.
func fileKind(m fs.FileMode) string {
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
	return "a special file"
}

// openRegular opens file without blocking on a FIFO: O_NONBLOCK where the system has it,
// the regular-file check following.
func openRegular(file string) (*os.File, error) {
	return os.OpenFile(file, os.O_RDONLY|oNonblock, 0)
}

// Inferences is the trace's recorded inferences over [a, b]: each row's inferences_per_s is
// the mean rate over the interval since the previous row (a counter difference divided by
// the time, as a recorder writes it), spread evenly over that interval; 0 without a rate
// column.
func (t *Trace) Inferences(a, b time.Duration) float64 {
	if !t.HasRate || b <= a {
		return 0
	}
	var n float64
	for i := 1; i < len(t.Samples); i++ {
		p, q := t.Samples[i-1], t.Samples[i]
		if lo, hi := max(a, p.T), min(b, q.T); hi > lo {
			n += q.Rate * (hi - lo).Seconds()
		}
	}
	return n
}

// Trace returns the trace being played.
func (r *Replay) Trace() *Trace { return r.trace }

// Start is the time of the trace's t = 0.
func (r *Replay) Start() time.Time { return r.start }

// Name implements Source.
func (r *Replay) Name() string { return r.name }

// Interval is the trace's mean sample period (1 s for a single-row trace).
func (r *Replay) Interval() time.Duration {
	n := len(r.trace.Samples)
	if n < 2 {
		return time.Second
	}
	return (r.trace.Samples[n-1].T - r.trace.Samples[0].T) / time.Duration(n-1)
}

// Read returns the next row, or io.EOF after the last.
func (r *Replay) Read() (Reading, error) {
	if r.i >= len(r.trace.Samples) {
		return Reading{}, io.EOF
	}
	s := r.trace.Samples[r.i]
	r.i++
	at := r.start.Add(s.T)
	if r.pace {
		if d := at.Sub(r.now()); d > 0 {
			time.Sleep(d)
		}
	}
	r.last = s
	return Reading{Time: at, Power: s.Power, Flags: s.Throttled.Quality()}, nil
}

// Conditions returns the temperature and throttle bits of the last row read; ok is false
// when the trace has no temperature column.
func (r *Replay) Conditions() (temp physic.Temperature, th Throttle, ok bool) {
	return r.last.Temp, r.last.Throttled, r.last.Temp != 0
}

// Close implements Source.
func (r *Replay) Close() error { return nil }

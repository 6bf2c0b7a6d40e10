package serve

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"
)

// The /v1/predict answer is written by hand: it is the hot path, and encoding/json's
// reflection cost more than the prediction. encode_test.go checks it against json.Marshal.

var jsonContentType = []string{"application/json"}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func writeV1(w http.ResponseWriter, r *v1Response) {
	bp := bufPool.Get().(*[]byte)
	b := appendV1((*bp)[:0], r)
	b = append(b, '\n')
	// A shared, already canonical header value: no allocation. net/http adds the
	// Content-Length itself for a body this small written in one piece.
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	if cap(b) <= 64<<10 {
		*bp = b
		bufPool.Put(bp)
	}
}

func appendV1(b []byte, r *v1Response) []byte {
	b = append(b, `{"model":`...)
	b = appendString(b, r.Model)
	b = append(b, `,"sha256":`...)
	b = appendString(b, r.SHA256)
	b = append(b, `,"version":`...)
	b = appendString(b, r.Version)
	b = append(b, `,"labels":[`...)
	for i, l := range r.Labels {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, l)
	}
	b = append(b, `],"predictions":[`...)
	for i := range r.Predictions {
		p := &r.Predictions[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"label":`...)
		b = appendString(b, p.Label)
		if p.Score != nil {
			b = append(b, `,"score":`...)
			b = appendFloat32(b, *p.Score)
		}
		b = append(b, `,"scores":[`...)
		for j, s := range p.Scores {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendFloat32(b, s)
		}
		b = append(b, `],"latency_seconds":`...)
		b = appendFloat64(b, p.Latency)
		b = append(b, '}')
	}
	b = append(b, `],"latency_seconds":`...)
	b = appendFloat64(b, r.Latency)
	return append(b, '}')
}

// appendFloat32 and appendFloat64 format as encoding/json does (shortest repr, exponent
// outside [1e-6, 1e21)); NaN and infinities, which JSON cannot hold, become null.
func appendFloat32(b []byte, f float32) []byte { return appendFloat(b, float64(f), 32) }
func appendFloat64(b []byte, f float64) []byte { return appendFloat(b, f, 64) }

func appendFloat(b []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	abs := math.Abs(f)
	fmt := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			fmt = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, fmt, -1, bits)
	if fmt == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string: quotes, backslashes and control characters
// escaped, <, > and & escaped as encoding/json does by default, invalid UTF-8 as U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

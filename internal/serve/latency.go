package serve

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// latencyHist is a lock-free log-linear histogram of inference latencies (4 sub-buckets per
// power of two, so a quantile is known within 19 %); the dashboard's p50/p99 come from the
// difference of two snapshots.
type latencyHist struct {
	b [latBuckets]atomic.Uint64
}

const latBuckets = 4 * 42 // up to 2^41 ns ≈ 36 min

func latBucket(ns uint64) int {
	if ns < 4 {
		return int(ns)
	}
	e := bits.Len64(ns) - 1         // 2^e <= ns < 2^(e+1)
	sub := int(ns>>(uint(e)-2)) & 3 // the two bits after the leading one
	i := e*4 + sub - 4
	if i >= latBuckets {
		i = latBuckets - 1
	}
	return i
}

// latUpper is the upper bound (ns) of bucket i.
func latUpper(i int) float64 {
	if i < 4 {
		return float64(i + 1)
	}
	e := (i + 4) / 4
	sub := (i + 4) % 4
	return float64(uint64(1)<<uint(e)) * (1 + float64(sub+1)/4)
}

func (h *latencyHist) observe(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.b[latBucket(uint64(d))].Add(1)
}

type latSnapshot [latBuckets]uint64

func (h *latencyHist) snapshot(dst *latSnapshot) {
	for i := range h.b {
		dst[i] = h.b[i].Load()
	}
}

// quantiles returns the q-quantiles of the observations between prev and cur, in seconds;
// ok is false when there were none.
func quantiles(prev, cur *latSnapshot, qs ...float64) (out []float64, n uint64) {
	for i := range cur {
		n += cur[i] - prev[i]
	}
	out = make([]float64, len(qs))
	if n == 0 {
		return out, 0
	}
	for k, q := range qs {
		rank := uint64(q*float64(n-1)) + 1
		var c uint64
		for i := range cur {
			c += cur[i] - prev[i]
			if c >= rank {
				out[k] = latUpper(i) / 1e9
				break
			}
		}
	}
	return out, n
}

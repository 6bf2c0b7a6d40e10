package serve

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	loadDuration = flag.Duration("serve.load", 2*time.Second, "duration of each load-test phase")
	idleDuration = flag.Duration("serve.idle", 3*time.Second, "how long the idle CPU of the serving binary is measured (the README's figure uses 60s)")
)

// The real smart-home int8 model (trained and converted by edgewatt, in runtime/testdata).
const smarthomeModel = "../../runtime/testdata/smarthome-int8.safetensors"

const loadText = "Smoke detected in the kitchen, evacuate now"

// constantServer serves body for every request, through the same http.Server settings.
func constantServer(t testing.TB, body []byte) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	srv := NewHTTPServer(h, HTTPOptions{}, discardLogger())
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// wrkResult is what one wrk run measured.
type wrkResult struct {
	rps      float64
	p50, p99 time.Duration
	requests int
	bad      int // non-200 or a body without the expected label, counted by the Lua script
	errors   string
}

const wrkScript = `
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("EW_BODY")
local want = os.getenv("EW_WANT")
function response(status, headers, body)
  if status ~= 200 or not string.find(body, want, 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  io.write(string.format("BAD %d\n", b))
end
`

func runWrk(t *testing.T, wrk, url, body, want string, d time.Duration) wrkResult {
	t.Helper()
	script := filepath.Join(t.TempDir(), "post.lua")
	os.WriteFile(script, []byte(wrkScript), 0o644)
	cmd := exec.Command(wrk, "-t2", "-c32", "-d"+strconv.Itoa(int(d.Seconds()))+"s", "--latency", "-s", script, url)
	cmd.Env = append(os.Environ(), "EW_BODY="+body, "EW_WANT="+want)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	s := string(out)
	var r wrkResult
	if m := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`).FindStringSubmatch(s); m != nil {
		r.rps, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := regexp.MustCompile(`(\d+) requests in`).FindStringSubmatch(s); m != nil {
		r.requests, _ = strconv.Atoi(m[1])
	}
	if m := regexp.MustCompile(`BAD (\d+)`).FindStringSubmatch(s); m != nil {
		r.bad, _ = strconv.Atoi(m[1])
	} else {
		t.Fatalf("wrk printed no BAD count:\n%s", s)
	}
	r.p50 = wrkPercentile(s, "50%")
	r.p99 = wrkPercentile(s, "99%")
	if m := regexp.MustCompile(`(Socket errors:.*|Non-2xx.*)`).FindAllString(s, -1); m != nil {
		r.errors = strings.Join(m, "; ")
	}
	return r
}

func wrkPercentile(out, p string) time.Duration {
	m := regexp.MustCompile(`\s` + regexp.QuoteMeta(p) + `\s+([0-9.]+)(us|ms|s)`).FindStringSubmatch(out)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	switch m[2] {
	case "us":
		return time.Duration(v * 1e3)
	case "ms":
		return time.Duration(v * 1e6)
	}
	return time.Duration(v * 1e9)
}

// paced sends requests at a fixed rate for d over 64 keep-alive connections and returns the
// latencies, measured from each request's scheduled start (so queueing counts: no
// coordinated omission). It speaks HTTP/1.1 on raw connections, so that the generator costs
// far less CPU than the server it measures (net/http's client costs about as much).
func paced(t *testing.T, url, body, want string, rate float64, d time.Duration) (lat []time.Duration, bad int64) {
	const conns = 64
	addr := strings.TrimPrefix(url, "http://")
	addr, path, _ := strings.Cut(addr, "/")
	req := []byte(fmt.Sprintf("POST /%s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", path, addr, len(body), body))
	interval := time.Duration(float64(time.Second) / rate)
	n := int(d / interval)
	start := time.Now().Add(50 * time.Millisecond)
	var next atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	var badN atomic.Int64
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			defer func() { mu.Lock(); lat = append(lat, mine...); mu.Unlock() }()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				badN.Add(1)
				return
			}
			defer conn.Close()
			br := bufio.NewReaderSize(conn, 8192)
			buf := make([]byte, 0, 4096)
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				at := start.Add(time.Duration(i) * interval)
				time.Sleep(time.Until(at))
				if _, err := conn.Write(req); err != nil {
					badN.Add(1)
					return
				}
				status, clen := 0, -1
				for {
					line, err := br.ReadSlice('\n')
					if err != nil {
						badN.Add(1)
						return
					}
					if status == 0 && len(line) > 12 {
						status, _ = strconv.Atoi(string(line[9:12]))
						continue
					}
					if len(line) <= 2 {
						break
					}
					if k, v, ok := strings.Cut(string(line), ":"); ok && strings.EqualFold(k, "Content-Length") {
						clen, _ = strconv.Atoi(strings.TrimSpace(v))
					}
				}
				if clen < 0 || clen > 1<<20 {
					badN.Add(1)
					return
				}
				buf = buf[:clen]
				if _, err := io.ReadFull(br, buf); err != nil {
					badN.Add(1)
					return
				}
				mine = append(mine, time.Since(at))
				if status != 200 || !bytes.Contains(buf, []byte(want)) {
					badN.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	return lat, badN.Load()
}

func pct(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	return lat[min(len(lat)-1, int(p*float64(len(lat))))]
}

// procStat returns a process's CPU time (user+system) and its peak RSS.
func procStat(t *testing.T, pid int) (cpu time.Duration, hwm int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	cpu = time.Duration(ut+st) * (time.Second / 100) // USER_HZ is 100 on Linux
	s, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(s); m != nil {
		hwm, _ = strconv.ParseInt(string(m[1]), 10, 64)
		hwm *= 1024
	}
	return cpu, hwm
}

// TestLoad measures the real binary serving /v1/predict (one text per request, the real
// smart-home int8 model) against a constant-JSON net/http server (testdata/constserver,
// built with the same NewHTTPServer) answering the same bytes, both loaded by wrk in
// interleaved rounds; then p99 at half that load, the peak RSS while serving, and the CPU
// time of the idle service with power sampling on. The figures are printed; the test checks
// that every answer was right and the RSS budget.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the load test takes about 25 s")
	}
	model, err := filepath.Abs(smarthomeModel)
	if err != nil {
		t.Fatal(err)
	}
	ref := newReference(t, model)
	label, _ := ref.text(loadText)
	want := `"label":"` + label + `"`
	body := `{"text": "` + loadText + `"}`
	trace := filepath.Join(t.TempDir(), "trace.csv")
	os.WriteFile(trace, []byte("0,2.7\n1,2.7\n2,2.8\n3,2.7\n"), 0o644)
	cmd, url, stderr := startBinary(t, "-m", "kitchen="+model, "--power", "replay:"+trace, "--log-level", "warn")

	// The constant server answers with exactly the bytes the service answers.
	resp, err := http.Post(url+"/v1/predict", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	constBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(constBody, []byte(want)) {
		t.Fatalf("the service answers %s, want %s", constBody, want)
	}
	curl, cpid := startConstServer(t, constBody)

	var predRPS float64
	wrk, err := exec.LookPath("wrk")
	if err == nil {
		const rounds = 3
		var cs, ps []wrkResult
		// The servers' own CPU time per request does not depend on what else the machine runs.
		var cCPU, pCPU time.Duration
		var cN, pN int
		for i := 0; i < rounds; i++ { // interleaved, so that drift on a shared machine hits both
			a, _ := procStat(t, cpid)
			cs = append(cs, runWrk(t, wrk, curl+"/", body, want, *loadDuration))
			b, _ := procStat(t, cpid)
			cCPU, cN = cCPU+b-a, cN+cs[i].requests
			a, _ = procStat(t, cmd.Process.Pid)
			ps = append(ps, runWrk(t, wrk, url+"/v1/predict", body, want, *loadDuration))
			b, _ = procStat(t, cmd.Process.Pid)
			pCPU, pN = pCPU+b-a, pN+ps[i].requests
		}
		cPer, pPer := cCPU/time.Duration(max(cN, 1)), pCPU/time.Duration(max(pN, 1))
		t.Logf("server CPU time per request: constant JSON %v, /v1/predict %v (ratio %.1f %%)", cPer, pPer, 100*float64(cPer)/float64(pPer))
		med := func(rs []wrkResult) wrkResult {
			rs = slices.Clone(rs)
			slices.SortFunc(rs, func(a, b wrkResult) int { return int(a.rps - b.rps) })
			return rs[len(rs)/2]
		}
		c, p := med(cs), med(ps)
		predRPS = p.rps
		var ratios []string
		for i := range cs {
			ratios = append(ratios, fmt.Sprintf("%.0f%%", 100*ps[i].rps/cs[i].rps))
		}
		t.Logf("wrk -t2 -c32 -d%v, %d interleaved rounds, medians: constant JSON %.0f req/s (p50 %v, p99 %v); /v1/predict %.0f req/s (p50 %v, p99 %v): %.1f %% of constant (per round %s)",
			*loadDuration, rounds, c.rps, c.p50, c.p99, p.rps, p.p50, p.p99, 100*p.rps/c.rps, strings.Join(ratios, " "))
		for _, r := range append(cs, ps...) {
			if r.bad != 0 || r.errors != "" {
				t.Errorf("wrk: %d wrong or failed answers of %d (%s)", r.bad, r.requests, r.errors)
			}
		}
	} else {
		t.Log("wrk not found (apt-get install -y wrk): measuring with the Go load generator only")
		lat, bad := paced(t, url+"/v1/predict", body, want, 4000, *loadDuration)
		predRPS = float64(len(lat)) / loadDuration.Seconds()
		if bad != 0 {
			t.Errorf("%d wrong or failed answers", bad)
		}
	}
	lat, bad := paced(t, url+"/v1/predict", body, want, predRPS/2, *loadDuration)
	t.Logf("paced at half load (%.0f req/s, 64 connections, raw HTTP/1.1): %d requests, p50 %v, p90 %v, p99 %v, max %v",
		predRPS/2, len(lat), pct(lat, 0.5), pct(lat, 0.9), pct(lat, 0.99), pct(lat, 1))
	if bad != 0 {
		t.Errorf("half load: %d wrong or failed answers", bad)
	}
	_, hwm := procStat(t, cmd.Process.Pid)
	t.Logf("peak RSS of the binary while serving (VmHWM): %.1f MiB", float64(hwm)/(1<<20))
	if hwm > 30<<20 {
		t.Errorf("peak RSS %.1f MiB is over the 30 MiB budget", float64(hwm)/(1<<20))
	}
	time.Sleep(2 * time.Second) // let the connections close and the GC settle
	c0, _ := procStat(t, cmd.Process.Pid)
	t0 := time.Now()
	time.Sleep(*idleDuration)
	c1, _ := procStat(t, cmd.Process.Pid)
	el := time.Since(t0)
	t.Logf("idle with power sampling at 1 s: %v CPU in %v = %.3f %% of one core (clock ticks of 10 ms)", c1-c0, el.Round(time.Millisecond), 100*(c1-c0).Seconds()/el.Seconds())
	if log := strings.TrimSpace(stderr.String()); log != "" {
		t.Logf("the service logged (warn and above):\n%s", log)
	}
}

// startConstServer builds and starts testdata/constserver answering body; it returns its
// URL and process id.
func startConstServer(t *testing.T, body []byte) (string, int) {
	t.Helper()
	edgewattBinary(t) // skips where binaries cannot be built or run
	dir := t.TempDir()
	bin := filepath.Join(dir, "constserver")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/edgewatt/edgewatt/internal/serve/testdata/constserver").CombinedOutput(); err != nil {
		t.Fatalf("go build constserver: %v\n%s", err, out)
	}
	file := filepath.Join(dir, "body.json")
	os.WriteFile(file, body, 0o644)
	addr := freePort(t)
	cmd := exec.Command(bin, addr, file)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr, cmd.Process.Pid
		}
		if time.Now().After(deadline) {
			t.Fatal("constserver did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

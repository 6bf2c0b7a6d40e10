package deploy

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/edgewatt/edgewatt/internal/release"
	"github.com/edgewatt/edgewatt/runtime"
)

// Options configure a deployment. Hosts and SSH are needed by every action; Model only by
// Deploy.
type Options struct {
	Model string // the .safetensors file to install
	Hosts []Host

	Prefix    string        // default /opt/edgewatt (a Host may carry its own)
	Init      string        // "systemd" (default) or "none"
	Unit      string        // systemd unit name, default "edgewatt"
	UnitDir   string        // default /etc/systemd/system
	Systemctl string        // default "systemctl" (tests name a stand-in)
	ServeArgs []string      // extra 'edgewatt serve' flags for the unit (--listen, --token-file, ...)
	Keep      int           // releases kept per host, default 3 (current and previous always stay)
	Parallel  int           // hosts at once, default 4
	Canary    int           // the first Canary hosts must all succeed before the others start
	Ready     time.Duration // how long the service may take to become active, default 30s

	Dist     string // directory of 'make release' binaries, default "dist"
	Binary   string // use this binary for every host (skips the choice)
	Arch     string // force a target (linux/arm64), else detected per host
	Source   string // source tree to build missing binaries in; "" finds it above the working directory
	BuildDir string // where such builds go; "" a temporary directory

	SmokeText string // text the smoke prediction classifies

	SSH SSH
	Log io.Writer // progress lines "host: ..."; nil discards
}

// Host is one target: an ssh destination (user@host or a ~/.ssh/config alias) and the
// prefix to install into.
type Host struct {
	Dest   string
	Prefix string
}

// ParseHost reads "[user@]host[:/prefix]" (scp style: a prefix after the colon must be an
// absolute path).
func ParseHost(s, defPrefix string) (Host, error) {
	s = strings.TrimSpace(s)
	h := Host{Dest: s, Prefix: defPrefix}
	if i := strings.Index(s, ":/"); i >= 0 {
		h.Dest, h.Prefix = s[:i], path.Clean(s[i+1:])
	}
	if h.Dest == "" || strings.HasPrefix(h.Dest, "-") || strings.ContainsAny(h.Dest, " \t\n'\"\\;&|`$") {
		return Host{}, fmt.Errorf("deploy: host %q: want [user@]host or an ssh config alias, optionally :/prefix", s)
	}
	if h.Prefix == "" || !path.IsAbs(h.Prefix) || h.Prefix == "/" {
		return Host{}, fmt.Errorf("deploy: host %q: the prefix %q must be an absolute directory below /", s, h.Prefix)
	}
	return h, nil
}

// ReadInventory reads one host per line ("[user@]host[:/prefix]"); blank lines and # comments
// are skipped.
func ReadInventory(r io.Reader, defPrefix string) ([]Host, error) {
	var hosts []Host
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if strings.TrimSpace(line) == "" {
			continue
		}
		h, err := ParseHost(line, defPrefix)
		if err != nil {
			return nil, fmt.Errorf("inventory line %d: %w", n, err)
		}
		hosts = append(hosts, h)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("deploy: inventory: %w", err)
	}
	return hosts, nil
}

func (o *Options) defaults() {
	if o.Prefix == "" {
		o.Prefix = "/opt/edgewatt"
	}
	if o.Init == "" {
		o.Init = "systemd"
	}
	if o.Unit == "" {
		o.Unit = "edgewatt"
	}
	if o.UnitDir == "" {
		o.UnitDir = "/etc/systemd/system"
	}
	if o.Systemctl == "" {
		o.Systemctl = "systemctl"
	}
	if o.Keep <= 0 {
		o.Keep = 3
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	if o.Ready <= 0 {
		o.Ready = 30 * time.Second
	}
	if o.SmokeText == "" {
		o.SmokeText = "edgewatt deploy smoke test: is this urgent?"
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

func (o *Options) check() error {
	if len(o.Hosts) == 0 {
		return errors.New("deploy: no hosts: give --host user@host (repeatable) or --inventory FILE")
	}
	if o.Init != "systemd" && o.Init != "none" {
		return fmt.Errorf("deploy: --init %q: use systemd or none", o.Init)
	}
	if strings.ContainsAny(o.Unit, "/ \t\n") || o.Unit == "" {
		return fmt.Errorf("deploy: unit name %q: a plain name such as edgewatt", o.Unit)
	}
	return nil
}

// Result is one host's outcome, a row of the summary table.
type Result struct {
	Host     string        `json:"host"`
	Board    string        `json:"board"`
	Arch     string        `json:"arch"`
	Release  string        `json:"release"`
	ModelSHA string        `json:"model_sha256"`
	Result   string        `json:"result"` // deployed, unchanged, rolled back, failed, skipped, ok, none
	Err      error         `json:"-"`
	Error    string        `json:"error,omitempty"`
	Time     time.Duration `json:"-"`
	Seconds  float64       `json:"seconds"`
}

// Failed reports whether the host did not end where it was asked to.
func (r Result) Failed() bool { return r.Err != nil }

// Meta is release.json, written into every release directory.
type Meta struct {
	ID           string    `json:"id"`
	Target       string    `json:"target"`
	BinarySHA256 string    `json:"binary_sha256"`
	BinaryFrom   string    `json:"binary_from"`
	Model        string    `json:"model"` // the local file name it came from
	ModelSHA256  string    `json:"model_sha256"`
	Init         string    `json:"init"`
	ServeArgs    []string  `json:"serve_args,omitempty"`
	DeployedAt   time.Time `json:"deployed_at"`
	SmokeText    string    `json:"smoke_text"`
	SmokeLabel   string    `json:"smoke_label"`
	SmokeScores  []float32 `json:"smoke_scores"`
}

// smokeTolerance bounds |host score - local score|. The engine's float kernels differ by CPU
// (AVX2 here, NEON on a Pi, the pure-Go twin under GOARM=6) in summation order only; the
// runtime's contract (runtime/doc.go) keeps them within 1e-5, and the label must match exactly.
const smokeTolerance = 1e-5

type model struct {
	path, name, sha string
	size            int64
	label           string
	scores          []float32
}

type deployer struct {
	o     Options
	bins  binaries
	model *model
	logMu sync.Mutex
}

func (d *deployer) logf(h Host, format string, a ...any) {
	d.logMu.Lock()
	defer d.logMu.Unlock()
	fmt.Fprintf(d.o.Log, "%s: %s\n", h.Dest, fmt.Sprintf(format, a...))
}

func (d *deployer) run(ctx context.Context, h Host, script string, stdin io.Reader, args ...string) ([]byte, error) {
	return d.o.SSH.Run(ctx, h.Dest, Script(script, args...), stdin)
}

// privileged runs a script as root: directly when the login user is root, else through
// 'sudo -n' (a password prompt cannot be answered; the error says so).
func (d *deployer) privileged(ctx context.Context, h Host, uid int, script string, stdin io.Reader, args ...string) ([]byte, error) {
	argv := append([]string{"sh", "-c", script, "sh"}, args...)
	if uid != 0 {
		argv = append([]string{"sudo", "-n"}, argv...)
	}
	out, err := d.o.SSH.Run(ctx, h.Dest, Command(argv...), stdin)
	var re *RemoteError
	if err != nil && uid != 0 && errors.As(err, &re) && strings.Contains(re.Stderr, "password is required") {
		return out, fmt.Errorf("this step needs root on %s: allow passwordless sudo there (Raspberry Pi OS's first user has it), log in as a user who may write the prefix, or choose a --prefix the user owns and --init none (%w)", h.Dest, err)
	}
	return out, err
}

// write runs a script that changes files under the prefix: as the login user when it may
// write there, else through sudo (the default user of Raspberry Pi OS may not write
// /opt, but has passwordless sudo).
func (d *deployer) write(ctx context.Context, h Host, p *Probe, script string, stdin io.Reader, args ...string) ([]byte, error) {
	if p.Writable || p.UID == 0 {
		return d.run(ctx, h, script, stdin, args...)
	}
	return d.privileged(ctx, h, p.UID, script, stdin, args...)
}

// Deploy installs the model and the matching edgewatt on every host and returns one Result
// per host, in order. The error is for problems before any host is touched (a bad model,
// bad options).
func Deploy(ctx context.Context, o Options) ([]Result, error) {
	o.defaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	if o.Model == "" {
		return nil, errors.New("deploy: -m MODEL is required (a .safetensors file from 'edgewatt convert')")
	}
	m, err := loadModel(o.Model, o.SmokeText)
	if err != nil {
		return nil, err
	}
	d := &deployer{o: o, model: m}
	d.bins.opts = &d.o
	return d.fleet(ctx, d.deployOne), nil
}

func loadModel(p, text string) (*model, error) {
	mm, err := runtime.Load(p)
	if err != nil {
		return nil, fmt.Errorf("deploy: the model does not load here, so it is not sent anywhere: %w", err)
	}
	defer mm.Close()
	r := mm.NewPredictor().PredictText(text)
	// The label as 'edgewatt predict' prints it.
	label := strconv.Itoa(r.Label)
	if l := mm.Labels(); r.Label < len(l) {
		label = l[r.Label]
	}
	m := &model{path: p, name: filepath.Base(p), label: label, scores: append([]float32(nil), r.Scores...)}
	bin, err := hashFile(p, "")
	if err != nil {
		return nil, err
	}
	m.sha, m.size = bin.SHA256, bin.Size
	return m, nil
}

// releaseIDFor names a release by its content: the same binary, model and service settings
// give the same id, which is what makes a re-deployment a no-op.
func releaseIDFor(binSHA, modelSHA, init string, serveArgs []string) string {
	h := sha256.Sum256([]byte(binSHA + "\n" + modelSHA + "\n" + init + "\n" + strings.Join(serveArgs, "\x00")))
	return hex.EncodeToString(h[:6])
}

func (d *deployer) probe(ctx context.Context, h Host) (*Probe, error) {
	out, err := d.run(ctx, h, probeScript, nil, h.Prefix)
	if err != nil {
		return nil, err
	}
	return ParseProbe(out)
}

func (d *deployer) deployOne(ctx context.Context, h Host) Result {
	r := Result{Host: h.Dest, ModelSHA: short(d.model.sha)}
	p, err := d.probe(ctx, h)
	if err != nil {
		return r.fail(err)
	}
	r.Board = p.Board()
	tg, why, err := Choose(p)
	if d.o.Arch != "" {
		if tg, err = release.ParseTarget(d.o.Arch); err == nil {
			why = "--arch " + d.o.Arch
		}
	}
	if err != nil {
		return r.fail(err)
	}
	r.Arch = tg.String()
	bin, err := d.bins.get(ctx, tg)
	if err != nil {
		return r.fail(err)
	}
	id := releaseIDFor(bin.SHA256, d.model.sha, d.o.Init, d.o.ServeArgs)
	r.Release = id
	d.logf(h, "%s, %s: %s because %s; binary: %s", r.Board, p.Machine, tg, why, bin.Source)

	if p.Current == id {
		if _, err := d.run(ctx, h, verifyScript, nil, h.Prefix, id); err == nil {
			d.logf(h, "release %s is already current and verifies: nothing to do", id)
			r.Result = "unchanged"
			return r
		}
		d.logf(h, "release %s is current but does not verify: installing it again", id)
	}

	need := bin.Size + d.model.size + 256<<10
	if p.FreeBytes >= 0 && p.FreeBytes < need {
		return r.fail(fmt.Errorf("only %s free on the file system of %s, the release needs %s: free some space or choose another --prefix; nothing was changed", mib(p.FreeBytes), h.Prefix, mib(need)))
	}
	meta := Meta{ID: id, Target: tg.String(), BinarySHA256: bin.SHA256, BinaryFrom: bin.Source, Model: d.model.name,
		ModelSHA256: d.model.sha, Init: d.o.Init, ServeArgs: d.o.ServeArgs, DeployedAt: time.Now().UTC().Truncate(time.Second),
		SmokeText: d.o.SmokeText, SmokeLabel: d.model.label, SmokeScores: d.model.scores}
	if err := d.stage(ctx, h, p, id, bin, meta); err != nil {
		return r.fail(err)
	}
	if _, err := d.write(ctx, h, p, switchScript, nil, h.Prefix, id); err != nil {
		d.restore(ctx, h, p, p.Current, p.Previous, id)
		return r.fail(fmt.Errorf("switching %s/current: %w", h.Prefix, err))
	}
	d.logf(h, "current -> releases/%s", id)
	if err := d.activate(ctx, h, p.UID, id, &meta); err != nil {
		return d.rollBack(ctx, h, p, id, r, err)
	}
	if out, err := d.write(ctx, h, p, pruneScript, nil, h.Prefix, strconv.Itoa(d.o.Keep)); err == nil && len(out) > 0 {
		d.logf(h, "removed old releases: %s", strings.Join(strings.Fields(string(out)), ", "))
	}
	r.Result = "deployed"
	return r
}

// stage uploads the binary and the model into releases/.ID.partial, verifies them on the
// host and renames the directory to releases/ID. On failure it removes what it wrote.
func (d *deployer) stage(ctx context.Context, h Host, p *Probe, id string, bin *Binary, meta Meta) error {
	dir := h.Prefix + "/releases/." + id + ".partial"
	cleanup := func() { _, _ = d.write(context.WithoutCancel(ctx), h, p, `rm -rf -- "$1"`, nil, dir) }
	start := time.Now()
	for i, f := range []struct{ local, remote string }{{bin.Path, "edgewatt"}, {d.model.path, "model.safetensors"}} {
		fh, err := os.Open(f.local)
		if err != nil {
			return fmt.Errorf("deploy: %w", err)
		}
		_, err = d.write(ctx, h, p, uploadScript, fh, dir, f.remote, strconv.Itoa(1-min(i, 1)))
		fh.Close()
		if err != nil {
			cleanup()
			return fmt.Errorf("uploading %s into %s: %w (is the prefix writable by the ssh user, and is there space? the current release is untouched)", f.remote, dir, err)
		}
	}
	sums := fmt.Sprintf("%s  edgewatt\n%s  model.safetensors\n", bin.SHA256, d.model.sha)
	mj, _ := json.MarshalIndent(meta, "", "  ")
	if _, err := d.write(ctx, h, p, finishScript, nil, h.Prefix, id, sums, string(mj)); err != nil {
		cleanup()
		return fmt.Errorf("checking the upload on the host: %w (the current release is untouched)", err)
	}
	d.logf(h, "uploaded %s in %.1fs, sha256 verified on the host: releases/%s", mib(bin.Size+d.model.size), time.Since(start).Seconds(), id)
	return nil
}

// activate installs and restarts the service (systemd) and runs the smoke prediction.
func (d *deployer) activate(ctx context.Context, h Host, uid int, id string, meta *Meta) error {
	if d.o.Init == "systemd" {
		if err := d.installUnit(ctx, h, uid, id); err != nil {
			return err
		}
	} else {
		d.logf(h, "--init none: no service installed; run %s/current/edgewatt serve -m %s/current/model.safetensors under your init system", h.Prefix, h.Prefix)
	}
	return d.smoke(ctx, h, meta)
}

// installUnit renders the unit with the release's own binary ('edgewatt serve --systemd-unit'),
// so the unit always matches the version it runs, installs it and waits for it to be active.
func (d *deployer) installUnit(ctx context.Context, h Host, uid int, id string) error {
	rel := h.Prefix + "/releases/" + id
	argv := append([]string{rel + "/edgewatt", "serve", "-m", rel + "/model.safetensors"}, d.o.ServeArgs...)
	argv = append(argv, "--systemd-unit")
	unit, err := d.o.SSH.Run(ctx, h.Dest, Command(argv...), nil)
	if err != nil {
		return fmt.Errorf("rendering the systemd unit with '%s': %w", strings.Join(argv[1:], " "), err)
	}
	if _, err := d.privileged(ctx, h, uid, unitScript, strings.NewReader(string(unit)), d.o.UnitDir, d.o.Unit, d.o.Systemctl); err != nil {
		return fmt.Errorf("installing %s/%s.service: %w", d.o.UnitDir, d.o.Unit, err)
	}
	secs := strconv.Itoa(int(math.Ceil(d.o.Ready.Seconds())))
	if _, err := d.run(ctx, h, activeScript, nil, d.o.Systemctl, d.o.Unit, secs); err != nil {
		return fmt.Errorf("%s.service did not become active within %ss: %w", d.o.Unit, secs, err)
	}
	d.logf(h, "%s.service restarted and active", d.o.Unit)
	return nil
}

// smoke runs one prediction through current/ on the host and compares it with meta's.
func (d *deployer) smoke(ctx context.Context, h Host, meta *Meta) error {
	cur := h.Prefix + "/current"
	out, err := d.o.SSH.Run(ctx, h.Dest, Command(cur+"/edgewatt", "predict", "-m", cur+"/model.safetensors", "--", meta.SmokeText), nil)
	if err != nil {
		return fmt.Errorf("smoke prediction: %w", err)
	}
	var got struct {
		Label  string    `json:"label"`
		Scores []float32 `json:"scores"`
	}
	if err := json.Unmarshal(firstLine(out), &got); err != nil {
		return fmt.Errorf("smoke prediction: the host printed %q, not a prediction", clip(string(out)))
	}
	if err := sameScores(got.Label, got.Scores, meta.SmokeLabel, meta.SmokeScores); err != nil {
		return fmt.Errorf("smoke prediction of %q: %w", meta.SmokeText, err)
	}
	d.logf(h, "smoke prediction %q %v matches this machine's", got.Label, got.Scores)
	return nil
}

func sameScores(label string, scores []float32, wantLabel string, want []float32) error {
	diff := label != wantLabel || len(scores) != len(want)
	for i := 0; !diff && i < len(want); i++ {
		diff = math.Abs(float64(scores[i])-float64(want[i])) > smokeTolerance || math.IsNaN(float64(scores[i]))
	}
	if diff {
		return fmt.Errorf("the host says %q %v, this machine says %q %v (tolerance %g)", label, scores, wantLabel, want, smokeTolerance)
	}
	return nil
}

// rollBack restores the links as they were before this deployment, brings the previous
// release's service back, and removes the failed release.
func (d *deployer) rollBack(ctx context.Context, h Host, p *Probe, id string, r Result, cause error) Result {
	ctx = context.WithoutCancel(ctx)
	if err := d.restore(ctx, h, p, p.Current, p.Previous, id); err != nil {
		return r.fail(fmt.Errorf("%w; the rollback failed too: %v", cause, err))
	}
	if p.Current == "" {
		r.Result = "failed"
		r.Err = fmt.Errorf("%w; there was no earlier release, the failed one was removed", cause)
		return r
	}
	d.logf(h, "rolled back to %s", p.Current)
	r.Result = "rolled back"
	r.Err = fmt.Errorf("%w; rolled back to %s", cause, p.Current)
	return r
}

// restore sets the links, and with systemd re-installs the unit of the release now current.
func (d *deployer) restore(ctx context.Context, h Host, p *Probe, cur, prev, failed string) error {
	if _, err := d.write(ctx, h, p, restoreScript, nil, h.Prefix, cur, prev, failed); err != nil {
		return err
	}
	if d.o.Init == "systemd" && cur != "" {
		return d.installUnit(ctx, h, p.UID, cur)
	}
	return nil
}

// Rollback makes each host's previous release current again (and the current one previous).
func Rollback(ctx context.Context, o Options) ([]Result, error) {
	o.defaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	d := &deployer{o: o}
	return d.fleet(ctx, func(ctx context.Context, h Host) Result {
		r := Result{Host: h.Dest}
		p, err := d.probe(ctx, h)
		if err != nil {
			return r.fail(err)
		}
		r.Board = p.Board()
		if p.Previous == "" {
			return r.fail(fmt.Errorf("no previous release under %s to roll back to", h.Prefix))
		}
		meta, err := d.meta(ctx, h, p.Previous)
		if err != nil {
			return r.fail(fmt.Errorf("previous release %s: %w", p.Previous, err))
		}
		if _, err := d.run(ctx, h, verifyScript, nil, h.Prefix, p.Previous); err != nil {
			return r.fail(fmt.Errorf("previous release %s does not verify, not switching to it: %w", p.Previous, err))
		}
		r.Release, r.Arch, r.ModelSHA = p.Previous, meta.Target, short(meta.ModelSHA256)
		if err := d.restore(ctx, h, p, p.Previous, p.Current, ""); err != nil {
			return r.fail(err)
		}
		if err := d.smoke(ctx, h, meta); err != nil {
			return r.fail(err)
		}
		d.logf(h, "current -> releases/%s (was %s)", p.Previous, p.Current)
		r.Result = "rolled back"
		return r
	}), nil
}

// Status reports each host's current release, checked against its checksums.
func Status(ctx context.Context, o Options) ([]Result, error) {
	o.defaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	d := &deployer{o: o}
	return d.fleet(ctx, func(ctx context.Context, h Host) Result {
		r := Result{Host: h.Dest}
		p, err := d.probe(ctx, h)
		if err != nil {
			return r.fail(err)
		}
		r.Board = p.Board()
		if tg, _, err := Choose(p); err == nil {
			r.Arch = tg.String()
		}
		if p.Current == "" {
			r.Result = "none"
			return r
		}
		r.Release = p.Current
		var meta Meta
		if err := json.Unmarshal(p.Release, &meta); err == nil {
			r.Arch, r.ModelSHA = meta.Target, short(meta.ModelSHA256)
		}
		if _, err := d.run(ctx, h, verifyScript, nil, h.Prefix, p.Current); err != nil {
			return r.fail(fmt.Errorf("release %s does not verify: %w", p.Current, err))
		}
		r.Result = "ok"
		return r
	}), nil
}

func (d *deployer) meta(ctx context.Context, h Host, id string) (*Meta, error) {
	out, err := d.run(ctx, h, releaseJSONScript, nil, h.Prefix, id)
	if err != nil {
		return nil, err
	}
	var m Meta
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("release.json: %w", err)
	}
	return &m, nil
}

// fleet runs fn on every host: the first Canary hosts first (all must succeed, else the
// others are skipped), then the rest, Parallel at a time. Results keep the hosts' order.
func (d *deployer) fleet(ctx context.Context, fn func(context.Context, Host) Result) []Result {
	hosts := d.o.Hosts
	var closeSSH func()
	d.o.SSH, closeSSH = d.o.SSH.multiplex(ctx, hosts)
	defer closeSSH()
	res := make([]Result, len(hosts))
	runGroup := func(lo, hi int) bool {
		sem := make(chan struct{}, d.o.Parallel)
		var wg sync.WaitGroup
		for i := lo; i < hi; i++ {
			wg.Add(1)
			sem <- struct{}{}
			go func(i int) {
				defer wg.Done()
				defer func() { <-sem }()
				start := time.Now()
				r := fn(ctx, hosts[i])
				if r.Err != nil {
					if r.Result == "" {
						r.Result = "failed"
					}
					r.Error = r.Err.Error()
					d.logf(hosts[i], "%s: %v", r.Result, r.Err)
				}
				r.Time = time.Since(start).Round(100 * time.Millisecond)
				r.Seconds = r.Time.Seconds()
				res[i] = r
			}(i)
		}
		wg.Wait()
		for i := lo; i < hi; i++ {
			if res[i].Failed() {
				return false
			}
		}
		return true
	}
	k := min(max(d.o.Canary, 0), len(hosts))
	if k > 0 && !runGroup(0, k) {
		for i := k; i < len(hosts); i++ {
			res[i] = Result{Host: hosts[i].Dest, Result: "skipped", Err: errors.New("a canary host failed"), Error: "a canary host failed"}
		}
		return res
	}
	runGroup(k, len(hosts))
	return res
}

func (r Result) fail(err error) Result {
	r.Result, r.Err = "failed", err
	return r
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func firstLine(b []byte) []byte {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return []byte(s)
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgewatt/edgewatt/internal/release"
)

// artifacts: an edgewatt binary for this machine in a dist/ directory (as 'make release'
// lays it out) and two different small models, made once per test binary.
var (
	artOnce sync.Once
	art     struct {
		dist, modelA, modelB string
		err                  error
	}
)

func artifacts(t *testing.T) (dist, modelA, modelB string) {
	t.Helper()
	artOnce.Do(func() {
		dir, err := os.MkdirTemp("", "edgewatt-deploy-test")
		if err != nil {
			art.err = err
			return
		}
		host := release.Target{GOOS: "linux", GOARCH: goarch(), GOARM: ""}
		art.dist = filepath.Join(dir, "dist")
		bin := filepath.Join(art.dist, host.BinaryName())
		root, _ := filepath.Abs("../..")
		cmd := exec.Command("go", "build", "-o", bin, "./cmd/edgewatt")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			art.err = errors.New("go build: " + err.Error() + "\n" + string(out))
			return
		}
		mk := func(name, seed string) string {
			h5 := filepath.Join(dir, name+".h5")
			out := filepath.Join(dir, name+".safetensors")
			for _, argv := range [][]string{
				{"train", "--data", filepath.Join(root, "examples/smarthome/train.csv"), "--vocab", "300", "--maxlen", "16",
					"--epochs", "2", "--seed", seed, "--quiet", "-o", h5},
				{"convert", h5, "--tokenizer", filepath.Join(dir, name+".tokenizer.json"), "--padding", "post", "--truncating", "post",
					"--labels", "routine,urgent", "-o", out},
			} {
				if msg, err := exec.Command(bin, argv...).CombinedOutput(); err != nil && art.err == nil {
					art.err = errors.New(argv[0] + ": " + err.Error() + "\n" + string(msg))
				}
			}
			return out
		}
		art.modelA, art.modelB = mk("a", "1"), mk("b", "2")
	})
	if art.err != nil {
		t.Fatal(art.err)
	}
	return art.dist, art.modelA, art.modelB
}

func goarch() string {
	out, _ := exec.Command("go", "env", "GOARCH").Output()
	return strings.TrimSpace(string(out))
}

func opts(s testSSHD, dist, model string, hosts ...string) Options {
	o := Options{Model: model, Init: "none", Dist: dist, SSH: s.ssh(), Keep: 2}
	for _, h := range hosts {
		hh, err := ParseHost(h, "/opt/edgewatt")
		if err != nil {
			panic(err)
		}
		o.Hosts = append(o.Hosts, hh)
	}
	return o
}

// one returns the single Result of a one-host action: one(t)(Deploy(ctx, o)).
func one(t *testing.T) func([]Result, error) Result {
	return func(res []Result, err error) Result {
		t.Helper()
		return oneResult(t, res, err)
	}
}

func oneResult(t *testing.T, res []Result, err error) Result {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 {
		t.Fatalf("%d results", len(res))
	}
	var b strings.Builder
	_ = WriteTable(&b, res)
	t.Logf("\n%s", b.String())
	return res[0]
}

func link(t *testing.T, p string) string {
	t.Helper()
	l, err := os.Readlink(p)
	if err != nil {
		return ""
	}
	return l
}

// TestDeployOverSSH walks one host through a release's life over a real sshd: first deploy,
// no-op redeploy, a second release, a failing smoke test that rolls back, --rollback, --status.
func TestDeployOverSSH(t *testing.T) {
	t.Parallel()
	s := startSSHD(t)
	dist, modelA, modelB := artifacts(t)
	prefix := filepath.Join(t.TempDir(), "opt", "edgewatt")
	host := "pi-a:" + prefix
	ctx := context.Background()
	var log strings.Builder

	o := opts(s, dist, modelA, host)
	o.Log = &log
	r := one(t)(Deploy(ctx, o))
	if r.Result != "deployed" || r.Err != nil {
		t.Fatalf("first deploy: %+v\n%s", r, log.String())
	}
	relA := r.Release
	if got := link(t, filepath.Join(prefix, "current")); got != "releases/"+relA {
		t.Fatalf("current -> %q, want releases/%s", got, relA)
	}
	if !strings.Contains(log.String(), "sha256 verified on the host") || !strings.Contains(log.String(), "matches this machine's") {
		t.Errorf("log lacks the verification or the smoke check:\n%s", log.String())
	}
	var meta Meta
	b, err := os.ReadFile(filepath.Join(prefix, "current", "release.json"))
	if err != nil || json.Unmarshal(b, &meta) != nil || meta.ModelSHA256[:12] != r.ModelSHA || meta.Target != "linux/"+goarch() {
		t.Fatalf("release.json: %v %+v", err, meta)
	}

	// The same release again: nothing changes.
	r = one(t)(Deploy(ctx, o))
	if r.Result != "unchanged" || r.Release != relA {
		t.Fatalf("redeploy: %+v", r)
	}

	// A second model: a new release, the first one becomes previous.
	r = one(t)(Deploy(ctx, opts(s, dist, modelB, host)))
	relB := r.Release
	if r.Result != "deployed" || relB == relA {
		t.Fatalf("second release: %+v", r)
	}
	if got := link(t, filepath.Join(prefix, "previous")); got != "releases/"+relA {
		t.Fatalf("previous -> %q, want releases/%s", got, relA)
	}

	// A binary whose predictions differ from this machine's: the smoke test fails after the
	// switch, and the host goes back to relB.
	fake := filepath.Join(t.TempDir(), "edgewatt")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\ncase \"$1\" in\nversion) echo 'edgewatt broken';;\npredict) echo '{\"label\":\"routine\",\"scores\":[0.123]}';;\n*) exit 1;;\nesac\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ob := opts(s, dist, modelA, host)
	ob.Binary = fake
	r = one(t)(Deploy(ctx, ob))
	if r.Result != "rolled back" || r.Err == nil || !strings.Contains(r.Err.Error(), "smoke prediction") || !strings.Contains(r.Err.Error(), "rolled back to "+relB) {
		t.Fatalf("failing smoke test: %+v", r)
	}
	if got := link(t, filepath.Join(prefix, "current")); got != "releases/"+relB {
		t.Fatalf("after the rollback current -> %q, want releases/%s", got, relB)
	}
	if got := link(t, filepath.Join(prefix, "previous")); got != "releases/"+relA {
		t.Fatalf("after the rollback previous -> %q, want releases/%s", got, relA)
	}
	if _, err := os.Stat(filepath.Join(prefix, "releases", r.Release)); !os.IsNotExist(err) {
		t.Errorf("the failed release %s was left behind (%v)", r.Release, err)
	}

	// deploy --rollback: relA is current again, and still predicts what it did.
	r = one(t)(Rollback(ctx, opts(s, "", "", host)))
	if r.Result != "rolled back" || r.Err != nil || r.Release != relA {
		t.Fatalf("--rollback: %+v", r)
	}
	if got := link(t, filepath.Join(prefix, "current")); got != "releases/"+relA {
		t.Fatalf("after --rollback current -> %q", got)
	}

	// --status reports it and checks it.
	r = one(t)(Status(ctx, opts(s, "", "", host)))
	if r.Result != "ok" || r.Release != relA || r.Arch != "linux/"+goarch() {
		t.Fatalf("--status: %+v", r)
	}
	// Keep: with Keep 2, a third release removes the oldest one that is neither current nor
	// previous (relB), and keeps relA (now previous).
	oc := opts(s, dist, modelB, host)
	oc.ServeArgs = []string{"--listen=127.0.0.1:9090"} // part of the release id: a third release
	r = one(t)(Deploy(ctx, oc))
	if r.Result != "deployed" {
		t.Fatalf("third release: %+v", r)
	}
	ents, _ := os.ReadDir(filepath.Join(prefix, "releases"))
	var kept []string
	for _, e := range ents {
		kept = append(kept, e.Name())
	}
	if len(kept) != 2 || !slices.Contains(kept, r.Release) || !slices.Contains(kept, relA) {
		t.Errorf("after a third release with Keep 2: releases/ holds %v, want %s and %s", kept, r.Release, relA)
	}
	r = one(t)(Rollback(ctx, opts(s, "", "", host)))
	if r.Release != relA {
		t.Fatalf("second --rollback: %+v", r)
	}

	// A tampered file is caught by --status.
	if err := os.WriteFile(filepath.Join(prefix, "releases", relA, "model.safetensors"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = one(t)(Status(ctx, opts(s, "", "", host)))
	if !r.Failed() || !strings.Contains(r.Err.Error(), "does not verify") {
		t.Fatalf("--status of a tampered release: %+v", r)
	}
}

// TestDeploySSHRefusals: a host that refuses the key and one whose host key is unknown fail
// with a message that says which, and nothing is written.
func TestDeploySSHRefusals(t *testing.T) {
	t.Parallel()
	s := startSSHD(t)
	dist, modelA, _ := artifacts(t)
	prefix := filepath.Join(t.TempDir(), "p")
	for _, tc := range []struct{ host, want string }{
		{"pi-refused", "refused every key"},
		{"pi-unknown", "never skips host-key checks"},
	} {
		r := one(t)(Deploy(context.Background(), opts(s, dist, modelA, tc.host+":"+prefix)))
		var ce *ConnectError
		if r.Result != "failed" || !errors.As(r.Err, &ce) || !strings.Contains(r.Err.Error(), tc.want) {
			t.Errorf("%s: %+v, want a ConnectError saying %q", tc.host, r, tc.want)
		}
	}
	if _, err := os.Stat(prefix); !os.IsNotExist(err) {
		t.Errorf("a refused deployment created %s", prefix)
	}
}

// TestDeployFullAndReadOnly: a full file system and a read-only prefix fail with a clear
// message and leave the previous release current and intact.
func TestDeployFullAndReadOnly(t *testing.T) {
	t.Parallel()
	if os.Getuid() != 0 {
		t.Skip("needs root to mount a small tmpfs (CI runs as root)")
	}
	s := startSSHD(t)
	dist, modelA, modelB := artifacts(t)
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", mnt).Run() })
	prefix := filepath.Join(mnt, "edgewatt")
	host := "pi-b:" + prefix
	ctx := context.Background()
	r := one(t)(Deploy(ctx, opts(s, dist, modelA, host)))
	if r.Result != "deployed" {
		t.Fatalf("first deploy: %+v", r)
	}
	rel := r.Release

	// Fill the disk: the next release does not fit.
	if out, err := exec.Command("sh", "-c", "dd if=/dev/zero of="+Quote(filepath.Join(mnt, "filler"))+" bs=1M 2>/dev/null; true").CombinedOutput(); err != nil {
		t.Fatalf("filling: %v %s", err, out)
	}
	r = one(t)(Deploy(ctx, opts(s, dist, modelB, host)))
	if r.Result != "failed" || !strings.Contains(r.Err.Error(), "free on the file system") {
		t.Fatalf("full disk: %+v", r)
	}
	checkIntact(t, s, prefix, rel)
	os.Remove(filepath.Join(mnt, "filler"))

	// Read-only: the upload fails, the previous release stays.
	if out, err := exec.Command("mount", "-o", "remount,ro", mnt).CombinedOutput(); err != nil {
		t.Fatalf("remount ro: %v %s", err, out)
	}
	r = one(t)(Deploy(ctx, opts(s, dist, modelB, host)))
	if r.Result != "failed" || !strings.Contains(r.Err.Error(), "Read-only file system") || !strings.Contains(r.Err.Error(), "current release is untouched") {
		t.Fatalf("read-only prefix: %+v", r)
	}
	checkIntact(t, s, prefix, rel)
}

func checkIntact(t *testing.T, s testSSHD, prefix, rel string) {
	t.Helper()
	if got := link(t, filepath.Join(prefix, "current")); got != "releases/"+rel {
		t.Errorf("current -> %q, want releases/%s", got, rel)
	}
	r := one(t)(Status(context.Background(), opts(s, "", "", "pi-b:"+prefix)))
	if r.Result != "ok" || r.Release != rel {
		t.Errorf("previous release not intact: %+v", r)
	}
	ents, _ := os.ReadDir(filepath.Join(prefix, "releases"))
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("releases/ holds %v, want only %s (no partial upload left)", names, rel)
	}
}

// TestDeployFleetCanary: three loopback "hosts" with a canary, then a fleet whose canary
// fails, so the others are never touched.
func TestDeployFleetCanary(t *testing.T) {
	t.Parallel()
	s := startSSHD(t)
	dist, modelA, _ := artifacts(t)
	base := t.TempDir()
	hosts := []string{"pi-a:" + base + "/a", "pi-b:" + base + "/b", "pi-c:" + base + "/c"}
	o := opts(s, dist, modelA, hosts...)
	o.Canary, o.Parallel = 1, 2
	res, err := Deploy(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	_ = WriteTable(&b, res)
	t.Logf("\n%s", b.String())
	for _, r := range res {
		if r.Result != "deployed" || r.Release != res[0].Release {
			t.Errorf("%s: %+v", r.Host, r)
		}
	}
	if !strings.HasPrefix(b.String(), "HOST  BOARD") || strings.Count(b.String(), "deployed") != 3 {
		t.Errorf("table:\n%s", b.String())
	}

	o = opts(s, dist, modelA, append([]string{"pi-refused:" + base + "/r"}, "pi-b:"+base+"/b2", "pi-c:"+base+"/c2")...)
	o.Canary = 1
	res, err = Deploy(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Result != "failed" || res[1].Result != "skipped" || res[2].Result != "skipped" {
		t.Errorf("failed canary: %+v", res)
	}
	for _, d := range []string{"b2", "c2"} {
		if _, err := os.Stat(filepath.Join(base, d)); !os.IsNotExist(err) {
			t.Errorf("host after a failed canary was touched: %s exists", d)
		}
	}
}

// fakeSystemctl writes a stand-in for systemctl that logs its arguments; is-active succeeds
// when the installed unit contains activeIf (a release path: "this release's service
// starts"). The real systemd cannot run in a test container; the unit the deployed binary
// renders is still checked with systemd-analyze verify.
func fakeSystemctl(t *testing.T, dir, unitFile, activeIf string) (path, log string) {
	t.Helper()
	path, log = filepath.Join(dir, "systemctl"), filepath.Join(dir, "systemctl.log")
	script := "#!/bin/sh\necho \"$*\" >> " + Quote(log) + "\ncase \"$1\" in\n" +
		"is-active) grep -q -- " + Quote(activeIf) + " " + Quote(unitFile) + "; exit $?;;\n" +
		"status) echo 'edgewatt.service: failed (test)';;\nesac\nexit 0\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, log
}

// TestDeploySystemd: the unit is rendered by the deployed release ('edgewatt serve
// --systemd-unit'), installed, reloaded, enabled and restarted, passes systemd-analyze
// verify, and a service that never becomes active rolls back to the previous release's unit.
func TestDeploySystemd(t *testing.T) {
	t.Parallel()
	s := startSSHD(t)
	dist, modelA, modelB := artifacts(t)
	base := t.TempDir()
	prefix, unitDir := filepath.Join(base, "opt"), filepath.Join(base, "units")
	if err := os.MkdirAll(unitDir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctl, ctlLog := fakeSystemctl(t, base, filepath.Join(unitDir, "edgewatt.service"), "/releases/")
	o := opts(s, dist, modelA, "pi-a:"+prefix)
	o.Init, o.UnitDir, o.Systemctl = "systemd", unitDir, ctl
	r := one(t)(Deploy(context.Background(), o))
	if r.Result != "deployed" {
		t.Fatalf("deploy with systemd: %+v", r)
	}
	relA := r.Release
	unit, err := os.ReadFile(filepath.Join(unitDir, "edgewatt.service"))
	if err != nil {
		t.Fatal(err)
	}
	wantExec := "ExecStart=" + prefix + "/releases/" + relA + "/edgewatt serve -m "
	if !strings.Contains(string(unit), wantExec) || !strings.Contains(string(unit), "SupplementaryGroups=") {
		t.Errorf("unit lacks %q or the sensor groups:\n%s", wantExec, unit)
	}
	calls, _ := os.ReadFile(ctlLog)
	for _, want := range []string{"daemon-reload", "enable --quiet edgewatt.service", "restart edgewatt.service", "is-active --quiet edgewatt.service"} {
		if !strings.Contains(string(calls), want) {
			t.Errorf("systemctl was not called with %q; calls:\n%s", want, calls)
		}
	}
	if sa, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Log("systemd-analyze not found (apt-get install -y systemd): unit not verified")
	} else if out, err := exec.Command(sa, "verify", filepath.Join(unitDir, "edgewatt.service")).CombinedOutput(); err != nil {
		t.Errorf("systemd-analyze verify: %v\n%s\n%s", err, out, unit)
	}

	// A release whose service never becomes active: rolled back, relA's unit reinstalled.
	ctl, _ = fakeSystemctl(t, base, filepath.Join(unitDir, "edgewatt.service"), "/releases/"+relA+"/")
	o = opts(s, dist, modelB, "pi-a:"+prefix)
	o.Init, o.UnitDir, o.Systemctl, o.Ready = "systemd", unitDir, ctl, time.Second
	r = one(t)(Deploy(context.Background(), o))
	if r.Result != "rolled back" || !strings.Contains(r.Err.Error(), "did not become active") {
		t.Fatalf("inactive service: %+v", r)
	}
	unit, _ = os.ReadFile(filepath.Join(unitDir, "edgewatt.service"))
	if !strings.Contains(string(unit), "/releases/"+relA+"/edgewatt serve") {
		t.Errorf("after the rollback the unit does not run %s:\n%s", relA, unit)
	}
}

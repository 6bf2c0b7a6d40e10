package cli

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgewatt/edgewatt/board"
	"github.com/edgewatt/edgewatt/internal/buildinfo"
)

func TestServeMQTTUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--mqtt", "http://broker"}, "not supported"},
		{[]string{"--mqtt", "mqtt://"}, "no host"},
		{[]string{"--mqtt-node", "pi"}, "need --mqtt"},
		{[]string{"--mqtt", "mqtt://h", "--mqtt-node", "kitchen pi"}, "letters, digits"},
		{[]string{"--mqtt", "mqtt://h", "--mqtt-node", "pi", "--mqtt-root", "a/b"}, "reserve"},
		{[]string{"--mqtt", "mqtt://h", "--mqtt-node", "pi", "--mqtt-telemetry-interval", "10ms"}, "at least 1s"},
		{[]string{"--mqtt", "mqtt://h", "--mqtt-cert", "c.pem"}, "mqtts://"},
		{[]string{"--mqtt", "mqtt://h", "--mqtt-node", "pi", "--mqtt-result-qos", "0"}, "give 2"},
	} {
		var so, se bytes.Buffer
		err := Run(append([]string{"serve", "-m", "x.safetensors"}, tc.args...), nil, &so, &se)
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want a usage error containing %q", tc.args, err, tc.want)
		}
	}
}

func TestServeMQTTUnit(t *testing.T) {
	model := smallModel(t)
	var so, se bytes.Buffer
	// A relative --mqtt-ca becomes absolute in the unit.
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("ca.pem", testCAPEM(t), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Run([]string{"serve", "-m", model, "--systemd-unit", "--mqtt", "mqtts://broker.lan", "--mqtt-node", "pi-1", "--mqtt-ca", "ca.pem", "--mqtt-result-qos", "1"}, nil, &so, &se); err != nil {
		t.Fatalf("%v\n%s", err, se.String())
	}
	for _, want := range []string{"--mqtt mqtts://broker.lan", "--mqtt-node pi-1", "--mqtt-ca " + filepath.Join(dir, "ca.pem"), "--mqtt-result-qos 1"} {
		if !strings.Contains(so.String(), want) {
			t.Errorf("unit lacks %q:\n%s", want, so.String())
		}
	}
}

func TestDashboardURL(t *testing.T) {
	host, _ := os.Hostname()
	for _, tc := range []struct {
		listen string
		https  bool
		want   string
	}{
		{"127.0.0.1:8080", false, "http://127.0.0.1:8080/"},
		{"0.0.0.0:8080", true, "https://" + host + ":8080/"},
		{":9000", false, "http://" + host + ":9000/"},
		{"192.168.1.5:80", false, "http://192.168.1.5:80/"},
		{"nonsense", false, ""},
	} {
		if got := dashboardURL(tc.listen, tc.https); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.listen, got, tc.want)
		}
	}
	if v := buildinfo.Read().Short(); v == "" {
		t.Error("empty version")
	}
}

func TestBoardName(t *testing.T) {
	if got := boardName(&board.Info{Model: "Raspberry Pi 4 Model B Rev 1.4", CPU: "Cortex-A72"}); got != "Raspberry Pi 4 Model B Rev 1.4" {
		t.Error(got)
	}
	if got := boardName(&board.Info{CPU: "AMD EPYC", Machine: "x86_64"}); got != "AMD EPYC x86_64" {
		t.Error(got)
	}
}

// testCAPEM is a self-signed CA certificate in PEM.
func testCAPEM(t *testing.T) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

package mqtt

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestDecodeRequest(t *testing.T) {
	for _, tc := range []struct {
		in, text, id, err string
	}{
		{in: "turn on the lights", text: "turn on the lights"},
		{in: "  {\"text\": \"a\", \"id\": \"x\"}\n", text: "a", id: `"x"`},
		{in: `{"text": "a", "id": 7}`, text: "a", id: `7`},
		{in: `{"text": "a", "id": null}`, text: "a"},
		{in: `{"text": ""}`, text: ""},
		{in: `{"text": "a", "id": {"x": 1}}`, err: "string or a number"},
		{in: `{"text": "a", "id": true}`, err: "string or a number"},
		{in: `{"text": "a"} {"text": "b"}`, err: "data after"},
		{in: `{"text": "a", "extra": 1}`, err: "unknown field"},
		{in: `{}`, err: `no "text"`},
		{in: `{"id": "` + strings.Repeat("x", 300) + `", "text": "a"}`, err: "at most 256"},
		{in: "", err: "empty"},
		{in: "\xc3\x28", err: "UTF-8"},
		{in: strings.Repeat("a", DefaultMaxPayload+1), err: "larger than"},
	} {
		r, err := DecodeRequest([]byte(tc.in), 0)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%.40q: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || r.Text != tc.text || string(r.ID) != tc.id {
			t.Errorf("%.40q: %q %s %v, want %q %s", tc.in, r.Text, r.ID, err, tc.text, tc.id)
		}
	}
}

// FuzzDecodeRequest: any payload decodes or fails with an error, never a panic; a decoded
// request's text is valid UTF-8, its id (when set) is a JSON string or number of bounded
// size, and a result carrying it encodes.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{"hello", `{"text":"a","id":"1"}`, `{"text":"a","id":1e999}`, `{"text":"\ud800"}`, `{"id":[1]}`, "{", " {\"text\":null}", "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRequest(b, 4096)
		if err != nil {
			if r.Text != "" {
				t.Fatalf("error %v with text %q", err, r.Text)
			}
			_ = idOf(b)
			return
		}
		if !utf8.ValidString(r.Text) {
			t.Fatalf("text %q is not UTF-8", r.Text)
		}
		if r.ID != nil {
			var v any
			if len(r.ID) > maxIDBytes || json.Unmarshal(r.ID, &v) != nil {
				t.Fatalf("id %q", r.ID)
			}
		}
		if _, err := json.Marshal(Result{ID: r.ID, Model: "m", Error: "x"}); err != nil {
			t.Fatalf("result with id %q: %v", r.ID, err)
		}
	})
}

func TestWindow(t *testing.T) {
	w := newWindow(3)
	for _, k := range []string{"a", "b", "c"} {
		if !w.add(k) {
			t.Fatalf("%s not new", k)
		}
	}
	if w.add("a") {
		t.Fatal("a answered twice")
	}
	w.add("d") // evicts a
	if !w.add("a") {
		t.Fatal("a still remembered after 3 newer ids")
	}
}

func TestBackoff(t *testing.T) {
	lo, hi := 100*time.Millisecond, 2*time.Second
	if Backoff(0, lo, hi) != 0 {
		t.Error("first attempt delayed")
	}
	for n := 1; n < 40; n++ {
		ceil := lo << min(n, 20)
		if ceil > hi {
			ceil = hi
		}
		for range 50 {
			d := Backoff(n, lo, hi)
			if d < lo || d > ceil {
				t.Fatalf("attempt %d: %v outside [%v, %v]", n, d, lo, ceil)
			}
		}
	}
}

func TestParseBroker(t *testing.T) {
	b, err := ParseBroker("mqtt://user:p%40ss@broker.lan", TLSFiles{})
	if err != nil || b.URL.String() != "mqtt://broker.lan:1883" || b.Username != "user" || b.Password != "p@ss" || b.TLS != nil {
		t.Fatalf("%+v %v", b, err)
	}
	if s := b.String(); strings.Contains(s, "p@ss") || strings.Contains(s, "p%40ss") {
		t.Errorf("String shows the password: %s", s)
	}
	for _, tc := range []struct{ url, err string }{
		{"", "empty"}, {"http://x", "not supported"}, {"mqtt://", "no host"}, {"mqtt://h/x", "path"},
		{"mqtt://h:1883?x=1", "path"}, {"::", "want mqtt://"},
	} {
		if _, err := ParseBroker(tc.url, TLSFiles{}); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: %v, want %q", tc.url, err, tc.err)
		}
	}
	if _, err := ParseBroker("mqtt://h", TLSFiles{CA: "ca.pem"}); err == nil || !strings.Contains(err.Error(), "mqtts://") {
		t.Errorf("TLS files with mqtt://: %v", err)
	}

	// mqtts with a CA and a client certificate.
	dir := t.TempDir()
	ca, cert, key := writeTestCerts(t, dir)
	b, err = ParseBroker("mqtts://broker.lan", TLSFiles{CA: ca, Cert: cert, Key: key})
	if err != nil || b.URL.String() != "mqtts://broker.lan:8883" || b.TLS == nil || b.TLS.RootCAs == nil ||
		len(b.TLS.Certificates) != 1 || b.TLS.ServerName != "broker.lan" {
		t.Fatalf("%+v %v", b, err)
	}
	if _, err := ParseBroker("mqtts://h", TLSFiles{Cert: cert}); err == nil || !strings.Contains(err.Error(), "both") {
		t.Errorf("cert without key: %v", err)
	}
	if _, err := ParseBroker("mqtts://h", TLSFiles{CA: key}); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("key as CA: %v", err)
	}
	if _, err := ParseBroker("mqtts://h", TLSFiles{CA: filepath.Join(dir, "missing.pem")}); err == nil {
		t.Error("missing CA accepted")
	}
}

// writeTestCerts writes a self-signed CA and a client certificate it signed.
func writeTestCerts(t *testing.T, dir string) (ca, cert, key string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test ca"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTpl, caTpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	cliKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cliTpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "edgewatt"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	cliDER, err := x509.CreateCertificate(rand.Reader, cliTpl, caTpl, &cliKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(cliKey)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("client.pem", "CERTIFICATE", cliDER), write("client.key", "EC PRIVATE KEY", keyDER)
}

// FuzzParseBroker: any URL parses or fails with an error; a parsed one has a scheme the
// connection understands, a host:port, and String never shows the password.
func FuzzParseBroker(f *testing.F) {
	for _, s := range []string{"mqtt://u:p@h:1883", "mqtts://h", "tcp://[::1]:1", "mqtt://h/x", "mqtt://:1", "ws://h", "mqtt://u:secret@h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBroker(s, TLSFiles{})
		if err != nil {
			return
		}
		if (b.URL.Scheme != "mqtt" && b.URL.Scheme != "mqtts") || b.URL.Port() == "" || b.URL.Hostname() == "" {
			t.Fatalf("%q parsed as %v", s, b.URL)
		}
		if b.Password != "" && strings.Contains(b.String(), b.Password) && !strings.Contains(b.URL.Host+b.Username, b.Password) {
			t.Fatalf("String %q shows the password %q", b.String(), b.Password)
		}
	})
}

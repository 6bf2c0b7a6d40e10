package mqtt

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestMQTTS: a real Mosquitto TLS listener that requires client certificates; the node
// connects with mqtts://, the broker's CA and its client certificate, and answers requests.
func TestMQTTS(t *testing.T) {
	dir := t.TempDir()
	pki := newTestPKI(t, dir)
	br := startMosquitto(t) // a plain listener for the test's own client
	tlsPort := freePort(t)
	br.kill(syscall.SIGTERM)
	conf, err := os.ReadFile(br.conf)
	if err != nil {
		t.Fatal(err)
	}
	conf = append(conf, fmt.Sprintf("listener %d 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\nrequire_certificate true\n",
		tlsPort, pki.ca, pki.serverCert, pki.serverKey)...)
	if err := os.WriteFile(br.conf, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	br.start()
	waitPort(t, tlsPort)

	b, err := ParseBroker("mqtts://127.0.0.1:"+strconv.Itoa(tlsPort), TLSFiles{CA: pki.ca, Cert: pki.clientCert, Key: pki.clientKey})
	if err != nil {
		t.Fatal(err)
	}
	cls := newRuntimeClassifier(t, "smarthome")
	svc := startService(t, b, "secure", cls, nil, nil)
	tp := topics{root: "edgewatt", node: "secure"}
	c := newClient(t, br.broker(), "plain-client", false, tp.status(), tp.result("smarthome"))
	for string(c.next(t, tp.status(), 10*time.Second).Payload) != "online" {
	}
	c.publish(t, tp.classify("smarthome"), []byte(`{"text": "Smoke detected in the kitchen, evacuate now", "id": "tls"}`))
	if r := decodeResult(t, c.next(t, tp.result("smarthome"), 10*time.Second)); r.Label != "urgent" || string(r.ID) != `"tls"` {
		t.Errorf("%+v", r)
	}
	if svc.Stats().Connections < 1 {
		t.Error("no connection counted")
	}
}

func waitPort(t *testing.T, port int) {
	t.Helper()
	for range 200 {
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 100*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("port %d never listened", port)
}

type testPKI struct{ ca, serverCert, serverKey, clientCert, clientKey string }

// newTestPKI writes a CA, a server certificate for 127.0.0.1 and a client certificate.
func newTestPKI(t *testing.T, dir string) testPKI {
	t.Helper()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	now := time.Now()
	caKey := key()
	caTpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "edgewatt test CA"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTpl, caTpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage, ips []net.IP) ([]byte, []byte) {
		k := key()
		tpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn}, NotBefore: now.Add(-time.Hour),
			NotAfter: now.Add(24 * time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature, IPAddresses: ips}
		der, err := x509.CreateCertificate(rand.Reader, tpl, caTpl, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kd, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return der, kd
	}
	sc, sk := leaf(2, "127.0.0.1", x509.ExtKeyUsageServerAuth, []net.IP{net.ParseIP("127.0.0.1")})
	cc, ck := leaf(3, "edgewatt-node", x509.ExtKeyUsageClientAuth, nil)
	return testPKI{ca: write("ca.pem", "CERTIFICATE", caDER), serverCert: write("server.pem", "CERTIFICATE", sc), serverKey: write("server.key", "EC PRIVATE KEY", sk),
		clientCert: write("client.pem", "CERTIFICATE", cc), clientKey: write("client.key", "EC PRIVATE KEY", ck)}
}

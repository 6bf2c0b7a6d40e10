package serve

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLimits(t *testing.T) {
	pa := writeModel(t, t.TempDir(), "a.safetensors", optA)
	s := startServer(t, Options{Models: []ModelSpec{{"a", pa}}, Limits: Limits{MaxBodyBytes: 4096, MaxTextBytes: 100, MaxBatch: 3}},
		HTTPOptions{ReadHeaderTimeout: 300 * time.Millisecond})
	for _, c := range []struct {
		path, body string
		code       int
		want       string
	}{
		{"/v1/predict", `{"text": "` + strings.Repeat("a", 5000) + `"}`, 413, "larger than the limit of 4 KiB"},
		{"/v1/predict", `{"text": "` + strings.Repeat("a", 101) + `"}`, 413, "text 0 is 101 bytes; the limit is 100"},
		{"/v1/predict", `{"texts": ["a","b","c","d"]}`, 413, "4 inputs in one request; the limit is 3"},
		{"/v1/predict", `{"ids": [[1],[2],[3],[4]]}`, 413, "the limit is 3"},
		{"/v2/models/a/infer", `{"inputs":[{"name":"text","shape":[4],"datatype":"BYTES","data":["a","b","c","d"]}]}`, 413, "the limit is 3"},
		{"/v2/models/a/infer", `{"inputs":[{"name":"text","shape":[2],"datatype":"BYTES","data":["a","b","c","d"]}]}`, 400, "more than the 2 elements"},
		{"/v2/models/a/infer", `{"inputs":[{"name":"ids","shape":[1,100000],"datatype":"INT32","data":[1]}]}`, 413, "rows of 100000 ids"},
		{"/v2/models/a/infer", `{"inputs":[{"name":"ids","shape":[4294967296,4294967296],"datatype":"INT32","data":[1]}]}`, 400, "dimensions"},
		{"/v2/models/a/infer", `{"inputs":[{"name":"ids","shape":[2,2],"datatype":"INT32","data":[1,2,3,4,5]}]}`, 400, "more than the 4 elements"},
	} {
		var e errBody
		if code := s.do(t, "POST", c.path, c.body, &e); code != c.code || !strings.Contains(e.Error, c.want) {
			t.Errorf("%s %.60s: %d %q, want %d containing %q", c.path, c.body, code, e.Error, c.code, c.want)
		}
	}
	// A slowloris client that never finishes its headers is cut off by ReadHeaderTimeout.
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST /v1/predict HTTP/1.1\r\nHost: x\r\n")
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	t0 := time.Now()
	_, err = io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server kept a connection with unfinished headers open for %v", time.Since(t0))
	}
	// And the server still answers others.
	var r v1Response
	if code := s.do(t, "POST", "/v1/predict", `{"text":"a"}`, &r); code != 200 {
		t.Errorf("after slowloris: %d", code)
	}
}

func TestToken(t *testing.T) {
	pa := writeModel(t, t.TempDir(), "a.safetensors", optA)
	s := startServer(t, Options{Models: []ModelSpec{{"a", pa}}}, HTTPOptions{Token: "s3cret"})
	for _, c := range []struct {
		method, path, body string
		hdr                []string
		code               int
	}{
		{"POST", "/v1/predict", `{"text":"a"}`, nil, 401},
		{"POST", "/v1/predict", `{"text":"a"}`, []string{"Authorization", "Bearer s3cre"}, 401},
		{"POST", "/v1/predict", `{"text":"a"}`, []string{"Authorization", "Bearer s3cret!"}, 401},
		{"POST", "/v1/predict", `{"text":"a"}`, []string{"Authorization", "s3cret"}, 401},
		{"POST", "/v1/predict", `{"text":"a"}`, []string{"Authorization", "Bearer s3cret"}, 200},
		{"GET", "/v1/models", "", nil, 401},
		{"GET", "/v1/telemetry", "", nil, 401},
		{"GET", "/metrics", "", nil, 401},
		{"GET", "/metrics", "", []string{"Authorization", "Bearer s3cret"}, 200},
		{"GET", "/v2/models/a", "", nil, 401},
		{"POST", "/v2/models/a/infer", `{"inputs":[{"name":"text","shape":[1],"datatype":"BYTES","data":["a"]}]}`, nil, 401},
		{"GET", "/v2/health/live", "", nil, 200},
		{"GET", "/v2/health/ready", "", nil, 200},
		{"GET", "/", "", nil, 200},
	} {
		req, _ := http.NewRequest(c.method, s.url+c.path, strings.NewReader(c.body))
		for i := 0; i+1 < len(c.hdr); i += 2 {
			req.Header.Set(c.hdr[i], c.hdr[i+1])
		}
		resp, err := s.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("%s %s %v: %d, want %d", c.method, c.path, c.hdr, resp.StatusCode, c.code)
		}
		if c.code == 401 && (!strings.Contains(string(b), `"error":"missing or wrong bearer token`) || resp.Header.Get("WWW-Authenticate") == "") {
			t.Errorf("%s %s: 401 body %s", c.method, c.path, b)
		}
	}
	// Exposure: loopback is fine without a token, anything else needs one or --insecure.
	for _, c := range []struct {
		listen, token string
		insecure, ok  bool
	}{
		{"127.0.0.1:8080", "", false, true}, {"[::1]:8080", "", false, true}, {"localhost:8080", "", false, true},
		{"0.0.0.0:8080", "", false, false}, {":8080", "", false, false}, {"192.168.1.5:80", "", false, false},
		{"0.0.0.0:8080", "t", false, true}, {"0.0.0.0:8080", "", true, true},
	} {
		if err := CheckExposure(c.listen, c.token, c.insecure); (err == nil) != c.ok {
			t.Errorf("CheckExposure(%q, %q, %v) = %v", c.listen, c.token, c.insecure, err)
		}
	}
	svc, err := New(Options{Models: []ModelSpec{{"a", pa}}})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if err := Run(t.Context(), svc, HTTPOptions{Listen: "0.0.0.0:0"}); err == nil || !strings.Contains(err.Error(), "--token") {
		t.Errorf("Run on 0.0.0.0 without a token: %v", err)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key; it returns their paths and a pool.
func selfSigned(t *testing.T) (cert, key string, pool *x509.CertPool) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "edgewatt test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600)
	c, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return cert, key, pool
}

func TestTLS(t *testing.T) {
	pa := writeModel(t, t.TempDir(), "a.safetensors", optA)
	cert, key, pool := selfSigned(t)
	s := startServer(t, Options{Models: []ModelSpec{{"a", pa}}}, HTTPOptions{TLSCert: cert, TLSKey: key, Token: "tok"})
	s.c.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	var r v1Response
	if code := s.do(t, "POST", "/v1/predict", `{"text":"fire"}`, &r, "Authorization", "Bearer tok"); code != 200 || len(r.Predictions) != 1 {
		t.Fatalf("https: %d %+v", code, r)
	}
	// Plain HTTP to the TLS port gets no answer from the API.
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "https://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, _ := bufio.NewReader(conn).ReadString('\n')
	if strings.Contains(line, "200") {
		t.Errorf("plain HTTP on the TLS port answered %q", line)
	}
	// An untrusting client fails the handshake.
	if _, err := (&http.Client{Timeout: 5 * time.Second}).Get(s.url + "/v2/health/live"); err == nil {
		t.Errorf("a client without the test CA connected")
	}
	// Bad key pair: a clear error.
	svc, err := New(Options{Models: []ModelSpec{{"a", pa}}})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	if err := Run(t.Context(), svc, HTTPOptions{Listener: ln, TLSCert: key, TLSKey: cert}); err == nil || !strings.Contains(err.Error(), "TLS key pair") {
		t.Errorf("bad key pair: %v", err)
	}
}

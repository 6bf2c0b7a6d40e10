package mqtt

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
)

// Broker is where to connect and how: the parsed --mqtt URL with its credentials and TLS.
type Broker struct {
	URL      *url.URL // scheme mqtt or mqtts, host:port, no user info
	Username string
	Password string
	TLS      *tls.Config // non-nil for mqtts
}

// TLSFiles are the PEM files for mqtts://: CA is the broker's certificate authority (empty:
// the system roots); Cert and Key are the client certificate for brokers that ask for one
// (both or neither).
type TLSFiles struct {
	CA, Cert, Key string
}

// ParseBroker parses mqtt://[user[:pass]@]host[:port] (default port 1883) or
// mqtts://... (default port 8883, TLS with files' CA and client certificate).
func ParseBroker(raw string, files TLSFiles) (*Broker, error) {
	if raw == "" {
		return nil, errors.New("mqtt: empty broker URL: give one like mqtt://user:pass@broker:1883")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("mqtt: broker URL %q: %w (want mqtt://user:pass@host:1883 or mqtts://host:8883)", raw, err)
	}
	b := &Broker{}
	var port string
	switch strings.ToLower(u.Scheme) {
	case "mqtt", "tcp":
		port = "1883"
		if files.CA != "" || files.Cert != "" || files.Key != "" {
			return nil, fmt.Errorf("mqtt: TLS files given for %s, which is not TLS: use mqtts://%s", redact(u), u.Host)
		}
	case "mqtts", "ssl", "tls":
		port = "8883"
	default:
		return nil, fmt.Errorf("mqtt: broker URL %s: scheme %q is not supported: use mqtt:// or mqtts://", redact(u), u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("mqtt: broker URL %s has no host: want mqtt://host:1883", redact(u))
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("mqtt: broker URL %s: a path, query or fragment is not used by MQTT; remove it", redact(u))
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), port)
	}
	if u.User != nil {
		b.Username = u.User.Username()
		b.Password, _ = u.User.Password()
	}
	scheme := "mqtt"
	if port == "8883" {
		scheme = "mqtts"
		cfg, err := tlsConfig(u.Hostname(), files)
		if err != nil {
			return nil, err
		}
		b.TLS = cfg
	}
	b.URL = &url.URL{Scheme: scheme, Host: host}
	return b, nil
}

// String is the URL without the password.
func (b *Broker) String() string {
	u := *b.URL
	if b.Username != "" {
		u.User = url.User(b.Username)
	}
	return u.String()
}

func redact(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User(c.User.Username())
	}
	return c.String()
}

func tlsConfig(host string, f TLSFiles) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if f.CA != "" {
		pem, err := os.ReadFile(f.CA)
		if err != nil {
			return nil, fmt.Errorf("mqtt: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mqtt: CA file %s holds no PEM certificate: give the broker's CA certificate (-----BEGIN CERTIFICATE-----)", f.CA)
		}
		cfg.RootCAs = pool
	}
	if (f.Cert == "") != (f.Key == "") {
		return nil, errors.New("mqtt: a client certificate needs both --mqtt-cert and --mqtt-key")
	}
	if f.Cert != "" {
		c, err := tls.LoadX509KeyPair(f.Cert, f.Key)
		if err != nil {
			return nil, fmt.Errorf("mqtt: client certificate %s / key %s: %w", f.Cert, f.Key, err)
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	return cfg, nil
}

package main

import (
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

// writeSelfSigned writes a self-signed ECDSA P-256 certificate for 127.0.0.1 with `serial`, and
// its key, to certFile and keyFile, stamped `mod`; returns the certificate for a trust pool.
func writeSelfSigned(t *testing.T, certFile, keyFile string, serial int64,
	mod time.Time) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: "gateway"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE",
		Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY",
		Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{certFile, keyFile} {
		if err := os.Chtimes(f, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// The HTTPS listener serves the certificate from --tls-cert/--tls-key and, once the files are
// replaced, the new one on a fresh connection, without a restart.
func TestHTTPSListenerReloadsItsCertificate(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "gw.pem"), filepath.Join(dir, "gw.key")
	first := writeSelfSigned(t, certFile, keyFile, 1001, time.Now().Add(-time.Minute))
	conf, err := serverTLS(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{TLSConfig: conf, Handler: http.HandlerFunc(
		func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	defer srv.Close()

	serial := func(roots *x509.CertPool) int64 {
		c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: roots,
			ServerName: "127.0.0.1"})
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	pool := x509.NewCertPool()
	pool.AddCert(first)
	if got := serial(pool); got != 1001 {
		t.Fatalf("serial %d, want 1001", got)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatalf("HTTPS GET: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok" {
		t.Fatalf("body %q", body)
	}

	second := writeSelfSigned(t, certFile, keyFile, 2002, time.Now())
	pool.AddCert(second)
	deadline := time.Now().Add(5 * time.Second)
	got := serial(pool)
	for got != 2002 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		got = serial(pool)
	}
	if got != 2002 {
		t.Fatalf("after replacing the files: serial %d, want 2002", got)
	}
}

// A certificate pair that does not load keeps the one being served.
func TestCertReloaderKeepsTheOldPairWhenTheNewOneIsBroken(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "gw.pem"), filepath.Join(dir, "gw.key")
	writeSelfSigned(t, certFile, keyFile, 7, time.Now().Add(-time.Minute))
	r, err := newCertReloader(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	r.every = 0
	if err := os.WriteFile(certFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := r.current()
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil || leaf.SerialNumber.Int64() != 7 {
		t.Fatalf("served %v, %v; want the old serial 7", leaf, err)
	}
}

// The gRPC side names the flag of a file it cannot use.
func TestGRPCTLSNamesTheBadFlag(t *testing.T) {
	dir := t.TempDir()
	_, err := (&grpcTLS{caFile: filepath.Join(dir, "missing.pem")}).dialOptions()
	if err == nil || !strings.Contains(err.Error(), "--grpc-ca") {
		t.Fatalf("err %v, want one naming --grpc-ca", err)
	}
	certFile, keyFile := filepath.Join(dir, "gw.pem"), filepath.Join(dir, "gw.key")
	writeSelfSigned(t, certFile, keyFile, 9, time.Now())
	_, err = (&grpcTLS{caFile: certFile, certFile: certFile, keyFile: filepath.Join(dir, "x")}).
		dialOptions()
	if err == nil || !strings.Contains(err.Error(), "--grpc-cert") {
		t.Fatalf("err %v, want one naming --grpc-cert", err)
	}
	opts, err := (*grpcTLS)(nil).dialOptions()
	if err != nil || len(opts) != 1 {
		t.Fatalf("plaintext: %v %v", opts, err)
	}
}

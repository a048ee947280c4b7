package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log"
	"os"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// certReloader holds a certificate and key read from files and reads them again when either
// file's modification time changes (looked at no more often than every `every`), so that a
// rotated certificate is served without a restart. A pair that does not load keeps the old one.
type certReloader struct {
	certFile, keyFile string
	every             time.Duration

	mu      sync.Mutex
	cert    *tls.Certificate
	certMod time.Time
	keyMod  time.Time
	checked time.Time
}

func newCertReloader(certFile, keyFile string) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, every: time.Second}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *certReloader) load() error {
	cs, err := os.Stat(r.certFile)
	if err != nil {
		return err
	}
	ks, err := os.Stat(r.keyFile)
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return err
	}
	r.cert, r.certMod, r.keyMod = &cert, cs.ModTime(), ks.ModTime()
	return nil
}

func (r *certReloader) current() *tls.Certificate {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.checked) < r.every {
		return r.cert
	}
	r.checked = time.Now()
	cs, err1 := os.Stat(r.certFile)
	ks, err2 := os.Stat(r.keyFile)
	if err1 != nil || err2 != nil || (cs.ModTime().Equal(r.certMod) && ks.ModTime().Equal(r.keyMod)) {
		return r.cert
	}
	if err := r.load(); err != nil {
		log.Printf("aggpay-gateway: keeping the current certificate: %s: %v", r.certFile, err)
	}
	return r.cert
}

// serverTLS is the HTTPS listener's configuration: the certificate from --tls-cert/--tls-key,
// reloaded when the files change.
func serverTLS(certFile, keyFile string) (*tls.Config, error) {
	r, err := newCertReloader(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert/--tls-key: %v", err)
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return r.current(), nil
		},
	}, nil
}

// grpcTLS is how the gateway reaches aggpayd over mutual TLS: aggpayd's certificate verified
// against --grpc-ca, the gateway's own (CN=gateway) from --grpc-cert/--grpc-key, reloaded when
// the files change.
type grpcTLS struct {
	caFile, certFile, keyFile string
}

// dialOptions: TLS with the gateway's client certificate, or plaintext when t is nil
// (--plaintext, development).
func (t *grpcTLS) dialOptions() ([]grpc.DialOption, error) {
	if t == nil {
		return []grpc.DialOption{grpc.WithInsecure()}, nil
	}
	pem, err := os.ReadFile(t.caFile)
	if err != nil {
		return nil, fmt.Errorf("--grpc-ca: %v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--grpc-ca: no PEM certificate in %s", t.caFile)
	}
	r, err := newCertReloader(t.certFile, t.keyFile)
	if err != nil {
		return nil, fmt.Errorf("--grpc-cert/--grpc-key: %v", err)
	}
	conf := &tls.Config{
		MinVersion: tls.VersionTLS12,
		RootCAs:    roots,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return r.current(), nil
		},
	}
	return []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(conf))}, nil
}

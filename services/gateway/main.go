// aggpay-gateway is the merchant REST/JSON API of aggpay: grpc-gateway in front of the aggpay
// gRPC services. It checks each merchant's signed request with the merchant service and
// forwards it with the internal credential and the authenticated merchant id.
//
//	AGGPAY_INTERNAL_SECRET=... aggpay-gateway --listen 127.0.0.1:8080 --grpc-addr 127.0.0.1:50051
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	aggpayv1 "aggpay/gen/aggpay/v1"

	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
)

const minSecretLen = 16

type config struct {
	listen          string
	grpcAddr        string
	serviceAddrs    map[string]*string
	openAPIPath     string
	authTimeout     time.Duration
	upstreamTimeout time.Duration
	shutdownTimeout time.Duration
	secret          string
	publicRate      float64
	publicBurst     float64
	trustedProxies  string
	// The sandbox channel runs behind this gateway: the cashier shows the sandbox wallet's
	// confirm step and calls SandboxPay with the internal credential.
	cashierSandbox bool
	// The largest refund, in minor units, a cashier may make in the merchant portal.
	cashierRefundLimit int64
	// Mutual TLS to aggpayd; nil: plaintext with the shared secret (--plaintext, development).
	grpcTLS *grpcTLS
	// The HTTPS listener's certificate and key; empty: plain HTTP (behind a TLS-terminating
	// proxy, or development).
	tlsCert, tlsKey string
}

// addr is the address of one service: its own flag when given, --grpc-addr otherwise.
func (c *config) addr(service string) string {
	if p, ok := c.serviceAddrs[service]; ok && *p != "" {
		return *p
	}
	return c.grpcAddr
}

func main() {
	log.SetFlags(0)
	log.SetOutput(logWriter{os.Stderr})
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("aggpay-gateway", flag.ContinueOnError)
	cfg := config{serviceAddrs: map[string]*string{}}
	fs.StringVar(&cfg.listen, "listen", "127.0.0.1:8080", "HTTP address to listen on")
	fs.StringVar(&cfg.grpcAddr, "grpc-addr", "127.0.0.1:50051",
		"gRPC address of aggpayd (every service, unless overridden below)")
	for _, s := range restServices {
		cfg.serviceAddrs[s.name] = fs.String(s.name+"-addr", "",
			fmt.Sprintf("gRPC address of the %s service (default: --grpc-addr)", s.name))
	}
	if _, ok := cfg.serviceAddrs["merchant"]; !ok {
		cfg.serviceAddrs["merchant"] = fs.String("merchant-addr", "",
			"gRPC address of the merchant service (default: --grpc-addr)")
	}
	fs.StringVar(&cfg.openAPIPath, "openapi", "",
		"the OpenAPI document served at /openapi.json (default: openapi.json next to the binary)")
	fs.DurationVar(&cfg.authTimeout, "auth-timeout", 5*time.Second,
		"deadline of each AuthenticateRequest call (a signed request is authenticated in the "+
			"route's call, under --upstream-timeout; AuthenticateRequest only when grpc-gateway "+
			"refuses the request before any call)")
	fs.DurationVar(&cfg.upstreamTimeout, "upstream-timeout", 30*time.Second,
		"deadline of each forwarded call")
	gcPct := fs.Int("gc-percent", defaultGCPercent,
		"garbage collection target, as GOGC (the environment's GOGC, when set, wins)")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 15*time.Second,
		"how long SIGTERM waits for requests in flight")
	fs.Float64Var(&cfg.publicRate, "public-rate", 2,
		"requests per second each client address may make to the public (unsigned) routes")
	fs.Float64Var(&cfg.publicBurst, "public-burst", 10,
		"burst of requests a client address may make to the public routes")
	fs.StringVar(&cfg.trustedProxies, "trusted-proxy", "",
		"comma-separated addresses or CIDRs of proxies in front of the gateway whose "+
			"X-Forwarded-For is believed (default: none; the client is the TCP peer)")
	fs.BoolVar(&cfg.cashierSandbox, "cashier-sandbox", false,
		"the payment service runs the sandbox channel: the cashier page (/c/) shows the sandbox "+
			"wallet's confirm step and confirms with the internal credential (never in production)")
	fs.Int64Var(&cfg.cashierRefundLimit, "portal-cashier-refund-limit", 50000,
		"the largest refund, in minor units of the payment's currency, that a cashier may make in "+
			"the merchant portal (0: cashiers may not refund)")
	plaintext := fs.Bool("plaintext", false,
		"development only: reach aggpayd without TLS (tls.mode plaintext) and present the shared "+
			"AGGPAY_INTERNAL_SECRET as the credential")
	var gt grpcTLS
	fs.StringVar(&gt.caFile, "grpc-ca", "", "CA certificate(s) aggpayd's certificate chains to")
	fs.StringVar(&gt.certFile, "grpc-cert", "",
		"the gateway's client certificate for aggpayd (CN=gateway; reloaded when the file changes)")
	fs.StringVar(&gt.keyFile, "grpc-key", "", "the key of --grpc-cert")
	fs.StringVar(&cfg.tlsCert, "tls-cert", "",
		"serve HTTPS with this certificate (reloaded when the file changes; default: plain HTTP)")
	fs.StringVar(&cfg.tlsKey, "tls-key", "", "the key of --tls-cert")
	finish := fs.String("finish-openapi", "",
		"build step: merge the *.swagger.json under this directory, print the served document, exit")
	fs.SetOutput(os.Stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		log.Printf("aggpay-gateway: unexpected argument %q", fs.Arg(0))
		return 2
	}

	if err := applyGCPercent(*gcPct); err != nil {
		log.Printf("aggpay-gateway: %v", err)
		return 2
	}

	if *finish != "" {
		raw, err := finishOpenAPIFiles(*finish)
		if err != nil {
			log.Printf("aggpay-gateway: %s: %v", *finish, err)
			return 1
		}
		if _, err := os.Stdout.Write(raw); err != nil {
			log.Printf("aggpay-gateway: %v", err)
			return 1
		}
		return 0
	}

	// Over mutual TLS the secret is the gateway's own (its CSRF key), AGGPAY_GATEWAY_SECRET or,
	// under its old name, AGGPAY_INTERNAL_SECRET; with --plaintext it is also the credential
	// shared with aggpayd.
	secretEnv := "AGGPAY_INTERNAL_SECRET"
	if *plaintext {
		sendSharedSecret = true
		log.Printf("aggpay-gateway: --plaintext: no TLS to aggpayd, and the shared secret is " +
			"the credential (development only)")
	} else {
		sendSharedSecret = false
		if gt.caFile == "" || gt.certFile == "" || gt.keyFile == "" {
			log.Printf("aggpay-gateway: --grpc-ca, --grpc-cert and --grpc-key are required " +
				"(mutual TLS to aggpayd), or --plaintext for development")
			return 2
		}
		cfg.grpcTLS = &gt
		if os.Getenv("AGGPAY_GATEWAY_SECRET") != "" {
			secretEnv = "AGGPAY_GATEWAY_SECRET"
		}
	}
	if (cfg.tlsCert == "") != (cfg.tlsKey == "") {
		log.Printf("aggpay-gateway: --tls-cert and --tls-key go together")
		return 2
	}
	cfg.secret = os.Getenv(secretEnv)
	if cfg.secret == "" {
		log.Printf("aggpay-gateway: %s is not set: it must hold at least 16 characters "+
			"(the console's and portal's CSRF key; with --plaintext also the secret shared with "+
			"aggpayd)", secretEnv)
		return 2
	}
	if len(cfg.secret) < minSecretLen {
		log.Printf("aggpay-gateway: %s is %d characters long; it must have "+
			"at least %d", secretEnv, len(cfg.secret), minSecretLen)
		return 2
	}
	if !(cfg.publicRate > 0) || !(cfg.publicBurst >= 1) {
		log.Printf("aggpay-gateway: --public-rate must be > 0 and --public-burst >= 1")
		return 2
	}
	if _, err := parseTrustedProxies(cfg.trustedProxies); err != nil {
		log.Printf("aggpay-gateway: --trusted-proxy: %v", err)
		return 2
	}
	if cfg.openAPIPath == "" {
		cfg.openAPIPath = defaultOpenAPIPath()
	}
	openAPI, err := loadOpenAPI(cfg.openAPIPath)
	if err != nil {
		log.Printf("aggpay-gateway: cannot load the OpenAPI document (--openapi): %v", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	connCtx, closeConns := context.WithCancel(context.Background())
	defer closeConns()

	handler, err := newGateway(connCtx, &cfg, openAPI)
	if err != nil {
		log.Printf("aggpay-gateway: %v", err)
		return 1
	}
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		log.Printf("aggpay-gateway: %v", err)
		return 1
	}
	scheme := "http"
	var serverConf *tls.Config
	if cfg.tlsCert != "" {
		if serverConf, err = serverTLS(cfg.tlsCert, cfg.tlsKey); err != nil {
			log.Printf("aggpay-gateway: %v", err)
			return 2
		}
		scheme = "https"
	}
	srv := &http.Server{
		TLSConfig:         serverConf,
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      cfg.upstreamTimeout + 30*time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(logWriter{os.Stderr}, "http: ", 0),
	}
	var addrs []string
	for _, s := range restServices {
		addrs = append(addrs, s.name+"="+cfg.addr(s.name))
	}
	log.Printf("aggpay-gateway listening on %s://%s (%s; auth via merchant=%s)", scheme, ln.Addr(),
		strings.Join(addrs, " "), cfg.addr("merchant"))

	serveErr := make(chan error, 1)
	go func() {
		if serverConf != nil {
			serveErr <- srv.ServeTLS(ln, "", "")
		} else {
			serveErr <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-serveErr:
		log.Printf("aggpay-gateway: %v", err)
		return 1
	case <-ctx.Done():
	}
	stop()
	log.Printf("aggpay-gateway: shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Printf("aggpay-gateway: shutdown: %v", err)
		return 1
	}
	closeConns()
	log.Printf("aggpay-gateway: stopped")
	return 0
}

func defaultOpenAPIPath() string {
	exe, err := os.Executable()
	if err != nil {
		return "openapi.json"
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	return filepath.Join(filepath.Dir(exe), "openapi.json")
}

// newGateway wires the HTTP side: /healthz and /openapi.json open, the public routes unsigned
// and rate-limited per address, everything else signed, all handed to grpc-gateway.
// Connections to the services live until ctx ends.
func newGateway(ctx context.Context, cfg *config, openAPI []byte) (http.Handler, error) {
	var files []string
	for _, s := range restServices {
		files = append(files, s.file)
	}
	if err := checkPublicRoutes(files); err != nil {
		return nil, err
	}
	proxies, err := parseTrustedProxies(cfg.trustedProxies)
	if err != nil {
		return nil, fmt.Errorf("--trusted-proxy: %v", err)
	}
	rate, burst := cfg.publicRate, cfg.publicBurst
	if rate <= 0 {
		rate = 2
	}
	if burst < 1 {
		burst = 10
	}
	runtime.DefaultContextTimeout = cfg.upstreamTimeout
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, jsonMarshaler),
		runtime.WithIncomingHeaderMatcher(incomingHeaderMatcher),
		runtime.WithOutgoingHeaderMatcher(outgoingHeaderMatcher),
		runtime.WithMetadata(internalMetadata(cfg.secret)),
		runtime.WithProtoErrorHandler(protoErrorHandler),
		runtime.WithForwardResponseOption(publicResponseFilter),
		runtime.WithForwardResponseOption(signedResponseCheck),
	)
	dial, err := cfg.grpcTLS.dialOptions()
	if err != nil {
		return nil, err
	}
	authConn, err := grpc.Dial(cfg.addr("merchant"), dial...)
	if err != nil {
		return nil, fmt.Errorf("dialling the merchant service at %s: %v", cfg.addr("merchant"), err)
	}
	go func() {
		<-ctx.Done()
		_ = authConn.Close()
	}()
	auth := &authenticator{
		merchants: aggpayv1.NewMerchantServiceClient(authConn),
		secret:    cfg.secret,
		timeout:   cfg.authTimeout,
		next:      mux,
	}
	for _, s := range restServices {
		opts := dial
		if cfg.addr(s.name) != cfg.addr("merchant") {
			// Microservices mode: a service elsewhere than the merchant service gets the
			// merchant the gateway authenticated first, as before (signedElsewhere).
			opts = append(append([]grpc.DialOption{}, dial...),
				grpc.WithUnaryInterceptor(auth.signedElsewhere))
		}
		if err := s.register(ctx, mux, cfg.addr(s.name), opts); err != nil {
			return nil, fmt.Errorf("registering the %s service at %s: %v", s.name,
				cfg.addr(s.name), err)
		}
	}
	public := &publicHandler{
		limiter: newAddressLimiter(rate, burst),
		proxies: proxies,
		next:    mux,
	}
	conns := map[string]*grpc.ClientConn{}
	for _, name := range []string{"binding", "payment", "admin"} {
		conn, err := grpc.Dial(cfg.addr(name), dial...)
		if err != nil {
			return nil, fmt.Errorf("dialling the %s service at %s: %v", name, cfg.addr(name), err)
		}
		conns[name] = conn
		go func() {
			<-ctx.Done()
			_ = conn.Close()
		}()
	}
	// The cashier's payments share the public routes' limit per address.
	cash, err := newCashier(aggpayv1.NewBindingServiceClient(conns["binding"]),
		aggpayv1.NewPaymentServiceClient(conns["payment"]), cfg.secret, cfg.cashierSandbox,
		public.limiter, proxies, cfg.upstreamTimeout)
	if err != nil {
		return nil, err
	}
	cons, err := newConsole(aggpayv1.NewAdminServiceClient(conns["admin"]), cfg.secret,
		cfg.upstreamTimeout, proxies, mux)
	if err != nil {
		return nil, fmt.Errorf("console: %v", err)
	}
	port, err := newPortal(auth.merchants, cfg.secret, cfg.upstreamTimeout, proxies, mux)
	port.cashierRefundLimit = cfg.cashierRefundLimit
	if err != nil {
		return nil, fmt.Errorf("portal: %v", err)
	}
	return accessLog(limitBodies(routes(auth, public, cash, cons, port, openAPI))), nil
}

// routes serves the two open endpoints, the cashier pages, the staff console and its staff
// routes (console.go) and the public routes, refuses a path that is not in
// canonical form, and sends everything else through the signature check.
func routes(signed http.Handler, public *publicHandler, cash http.Handler, cons *console,
	port *portal, openAPI []byte) http.Handler {
	health := serveBytes("application/json", []byte("{\"status\":\"ok\"}\n"))
	doc := serveBytes("application/json", openAPI)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The console's and the portal's roots are the paths with a trailing slash.
		if msg := nonCanonicalPath(r); msg != "" && r.URL.Path != consolePrefix &&
			r.URL.Path != portalPrefix {
			newAPIError(codes.InvalidArgument, msg).write(w)
			return
		}
		switch p := r.URL.Path; {
		case p == "/healthz":
			health(w, r)
		case p == "/openapi.json":
			doc(w, r)
		case strings.HasPrefix(p, cashierPrefix) || strings.HasPrefix(p, cashierAssetPrefix):
			cash.ServeHTTP(w, r)
		case p == "/console":
			http.Redirect(w, r, consolePrefix, http.StatusMovedPermanently)
		case strings.HasPrefix(p, consolePrefix):
			cons.ServeHTTP(w, r)
		case strings.HasPrefix(p, staffPrefix):
			cons.staff(w, r)
		case p == "/m":
			http.Redirect(w, r, portalPrefix, http.StatusMovedPermanently)
		case strings.HasPrefix(p, portalPrefix):
			port.ServeHTTP(w, r)
		case strings.HasPrefix(p, publicPrefix):
			route := findPublicRoute(r.Method, p)
			if route == nil {
				var allow []string
				for _, pr := range publicRoutes {
					if pr.path == p {
						allow = append(allow, pr.method)
					}
				}
				if len(allow) > 0 {
					methodNotAllowed(w, r, strings.Join(allow, ", "))
					return
				}
				newAPIError(codes.NotFound, fmt.Sprintf("no route for %s %s", r.Method, p)).
					write(w)
				return
			}
			public.ServeHTTP(w, r, route)
		default:
			// A merchant route with the portal's cookie and no signature: the portal's session.
			if s := portalSessionFrom(r); s != "" && len(r.Header.Values("Authorization")) == 0 {
				port.merchant(w, r, s)
				return
			}
			signed.ServeHTTP(w, r)
		}
	})
}

// nonCanonicalPath explains why the request path is refused, or is "" for a canonical one:
// no empty, "." or ".." segment (whether sent plainly or percent-encoded), no encoded "/" or
// "\\", nothing that a proxy in front or behind could read as another path.
func nonCanonicalPath(r *http.Request) string {
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") {
		return "the request path must start with /"
	}
	if p == "/" {
		return ""
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "the request path is not canonical: no empty, \".\" or \"..\" segments"
		}
	}
	if strings.ContainsAny(p, "\\\x00") {
		return "the request path has a character that is not allowed"
	}
	raw := strings.ToLower(r.URL.EscapedPath())
	if strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") {
		return "the request path has an encoded / or \\"
	}
	return ""
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	newAPIError(codes.Unimplemented,
		fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path)).
		withStatus(http.StatusMethodNotAllowed).write(w)
}

// accessLog writes one line per request to stderr and gives every request its X-Request-Id.
func accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{requestID: requestID(r)}
		w.Header().Set("X-Request-Id", info.requestID)
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(withRequestInfo(r.Context(), info)))
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		merchant := info.merchantID
		if merchant == "" {
			merchant = "-"
		}
		log.Printf("%s %s status=%d latency_ms=%.3f merchant=%s bytes=%d request_id=%s",
			r.Method, r.URL.Path, rec.status, float64(time.Since(start).Microseconds())/1000,
			merchant, rec.bytes, info.requestID)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// logWriter prefixes each log line with a UTC timestamp.
type logWriter struct{ out io.Writer }

func (l logWriter) Write(p []byte) (int, error) {
	ts := time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")
	if _, err := fmt.Fprintf(l.out, "%s %s", ts, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

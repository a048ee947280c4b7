package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	aggpayv1 "aggpay/gen/aggpay/v1"

	"github.com/golang/protobuf/jsonpb"
	"github.com/golang/protobuf/proto"
	descpb "github.com/golang/protobuf/protoc-gen-go/descriptor"
	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc/codes"
)

// Routes under /v1/public/ are the payers' (the cashier page's): no merchant signature, no
// merchant identity and no internal credential are forwarded, so the services see an anonymous
// caller, which only methods marked public in the proto accept. Each one is listed here with
// what the gateway does to its request and its response; checkPublicRoutes refuses to start a
// gateway whose protos and this table disagree.
const publicPrefix = "/v1/public/"

// Largest body a public route accepts.
const maxPublicBodyBytes = 16 << 10

type publicRoute struct {
	method string
	path   string
	// The gRPC method the route reaches: it must carry (access).public in the proto.
	grpcMethod string
	// prepare rewrites the request body with what the gateway alone knows (the client address).
	prepare func(body []byte, clientIP string) ([]byte, error)
	// scrub removes from the response what a payer must not see; an unexpected message fails.
	scrub func(proto.Message) error
}

var publicRoutes = []publicRoute{
	{
		method:     "POST",
		path:       "/v1/public/payments",
		grpcMethod: "/aggpay.v1.PaymentService/CreateCodePayment",
		prepare:    prepareCodePayment,
		scrub:      scrubPayment,
	},
}

func findPublicRoute(method, path string) *publicRoute {
	for i := range publicRoutes {
		if publicRoutes[i].method == method && publicRoutes[i].path == path {
			return &publicRoutes[i]
		}
	}
	return nil
}

// jsonMarshaler is the gateway's JSON mapping, the one grpc-gateway's mux uses.
var jsonMarshaler = &runtime.JSONPb{OrigName: true, EmitDefaults: true}

// decodeOne reads exactly one JSON object (or nothing) into m, with the mapping grpc-gateway
// uses; data after the object is refused, where grpc-gateway would silently ignore it.
func decodeOne(body []byte, m proto.Message) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	u := &jsonpb.Unmarshaler{AllowUnknownFields: true}
	if err := u.UnmarshalNext(dec, m); err != nil {
		return fmt.Errorf("the request body is not valid JSON for this route: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("the request body has data after its JSON object")
	}
	return nil
}

// prepareCodePayment sets payer_ip to the address the gateway saw, whatever the client sent.
func prepareCodePayment(body []byte, clientIP string) ([]byte, error) {
	var req aggpayv1.CreateCodePaymentRequest
	if err := decodeOne(body, &req); err != nil {
		return nil, err
	}
	req.PayerIp = clientIP
	return jsonMarshaler.Marshal(&req)
}

// scrubPayment keeps what the payer's page needs and drops the merchant's business: its fee and
// plan, its store and terminal, its order number, the channel's transaction id, refunds.
func scrubPayment(m proto.Message) error {
	p, ok := m.(*aggpayv1.Payment)
	if !ok {
		return fmt.Errorf("unexpected response %T on a public route", m)
	}
	*p = aggpayv1.Payment{
		PaymentId:       p.PaymentId,
		CodeId:          p.CodeId,
		Flow:            p.Flow,
		Wallet:          p.Wallet,
		ClientRequestId: p.ClientRequestId,
		Amount:          p.Amount,
		Status:          p.Status,
		PayUrl:          p.PayUrl,
		CreatedAt:       p.CreatedAt,
		PaidAt:          p.PaidAt,
		ExpiresAt:       p.ExpiresAt,
	}
	return nil
}

// publicResponseFilter is grpc-gateway's forward-response hook: on a public route it scrubs the
// response before it is marshalled.
func publicResponseFilter(ctx context.Context, _ http.ResponseWriter, m proto.Message) error {
	info := requestInfoFrom(ctx)
	if info.public == nil {
		return nil
	}
	if err := info.public.scrub(m); err != nil {
		log.Printf("ERROR %v (request_id=%s)", err, info.requestID)
		return err
	}
	return nil
}

// publicHandler serves the public routes: rate-limited per client address, unsigned, with the
// client's headers stripped as on signed routes.
type publicHandler struct {
	limiter *addressLimiter
	proxies *trustedProxies
	next    http.Handler
}

func (p *publicHandler) ServeHTTP(w http.ResponseWriter, r *http.Request, route *publicRoute) {
	info := requestInfoFrom(r.Context())
	clientIP, ok := limitClient(w, r, p.proxies, p.limiter, "requests")
	if !ok {
		return
	}
	if r.ContentLength > maxPublicBodyBytes {
		tooLargePublic().write(w)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPublicBodyBytes+1))
	if err != nil {
		newAPIError(codes.InvalidArgument, "could not read the request body").write(w)
		return
	}
	if len(body) > maxPublicBodyBytes {
		tooLargePublic().write(w)
		return
	}
	body, err = route.prepare(body, clientIP)
	if err != nil {
		newAPIError(codes.InvalidArgument, err.Error()).write(w)
		return
	}
	info.public = route
	info.clientIP = clientIP
	info.merchantID = ""
	a := &authenticator{next: p.next}
	a.forward(w, r, body)
}

func tooLargePublic() *apiError {
	return newAPIError(codes.InvalidArgument,
		fmt.Sprintf("the request body is larger than %d bytes", maxPublicBodyBytes)).
		withStatus(http.StatusRequestEntityTooLarge)
}

// --- The client's address. ---

// trustedProxies are the addresses whose X-Forwarded-For the gateway believes (--trusted-proxy).
// With none, the client is the TCP peer and X-Forwarded-For is ignored.
type trustedProxies struct {
	nets []*net.IPNet
}

func parseTrustedProxies(list string) (*trustedProxies, error) {
	t := &trustedProxies{}
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			ip := net.ParseIP(s)
			if ip == nil {
				return nil, fmt.Errorf("%q is neither an address nor a CIDR", s)
			}
			bits := 128
			if ip.To4() != nil {
				bits = 32
			}
			s = fmt.Sprintf("%s/%d", s, bits)
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR", s)
		}
		t.nets = append(t.nets, n)
	}
	return t, nil
}

func (t *trustedProxies) trusted(ip net.IP) bool {
	for _, n := range t.nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// clientIP is the client's address in canonical text ("203.0.113.7", "2001:db8::1"): the TCP
// peer, or, when the peer is a trusted proxy, the right-most X-Forwarded-For entry that is not
// one. "" when the peer address cannot be parsed.
func (t *trustedProxies) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return ""
	}
	if t != nil && len(t.nets) > 0 && t.trusted(ip) {
		var hops []string
		for _, v := range r.Header.Values("X-Forwarded-For") {
			hops = append(hops, strings.Split(v, ",")...)
		}
		for i := len(hops) - 1; i >= 0; i-- {
			hop := net.ParseIP(strings.TrimSpace(hops[i]))
			if hop == nil {
				break // a malformed entry: trust nothing to its left
			}
			ip = hop
			if !t.trusted(hop) {
				break
			}
		}
	}
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	return ip.String()
}

// --- Rate limit per client address. ---

// addressLimiter is a token bucket per client address (an IPv6 client by its /64, which one
// host usually holds whole). Memory is bounded: past maxBuckets, idle (full) buckets go.
type addressLimiter struct {
	mu         sync.Mutex
	perSecond  float64
	burst      float64
	maxBuckets int
	now        func() time.Time
	buckets    map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newAddressLimiter(perSecond, burst float64) *addressLimiter {
	return &addressLimiter{perSecond: perSecond, burst: burst, maxBuckets: 100000,
		now: time.Now, buckets: map[string]*bucket{}}
}

func limiterKey(clientIP string) string {
	ip := net.ParseIP(clientIP)
	if ip == nil || ip.To4() != nil {
		return clientIP
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// take spends one token of the client's bucket; it returns 0 when allowed, otherwise how long
// until a token is there.
// limitClient answers the client's address as the gateway sees it (trustedProxies rules), or
// writes the refusal and answers false: INVALID_ARGUMENT when the address cannot be told,
// RESOURCE_EXHAUSTED with Retry-After when the address is over `limiter`. `what` names what is
// limited in the message ("requests", "sign-in attempts").
func limitClient(w http.ResponseWriter, r *http.Request, proxies *trustedProxies,
	limiter *addressLimiter, what string) (string, bool) {
	clientIP := proxies.clientIP(r)
	if clientIP == "" {
		newAPIError(codes.InvalidArgument, "cannot tell the client's address").write(w)
		return "", false
	}
	if wait := limiter.take(clientIP); wait > 0 {
		e := newAPIError(codes.ResourceExhausted,
			"too many "+what+" from this address; retry after the Retry-After delay")
		e.retryAfter = wait
		e.write(w)
		return "", false
	}
	return clientIP, true
}

func (l *addressLimiter) take(clientIP string) time.Duration {
	key := limiterKey(clientIP)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.maxBuckets {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.at).Seconds(); elapsed > 0 {
		b.tokens += elapsed * l.perSecond
		if b.tokens > l.burst {
			b.tokens = l.burst
		}
	}
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return time.Duration((1 - b.tokens) / l.perSecond * float64(time.Second))
}

// sweep drops the buckets that have refilled; if that frees nothing, every bucket goes (a flood
// of new addresses costs the limiter its memory, never the gateway).
func (l *addressLimiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.perSecond >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= l.maxBuckets {
		l.buckets = map[string]*bucket{}
	}
}

// --- The protos and the table must agree. ---

// checkPublicRoutes reads the HTTP rules of every REST service's proto: a rule under
// /v1/public/ must belong to a public method and be in publicRoutes with that method; a public
// method's rule must be under /v1/public/; every publicRoutes entry must have its rule.
func checkPublicRoutes(files []string) error {
	var fds []*descpb.FileDescriptorProto
	for _, file := range files {
		fd, err := fileDescriptor(file)
		if err != nil {
			return err
		}
		fds = append(fds, fd)
	}
	return checkPublicRules(fds, publicRoutes)
}

func checkPublicRules(fds []*descpb.FileDescriptorProto, table []publicRoute) error {
	find := func(verb, path string) *publicRoute {
		for i := range table {
			if table[i].method == verb && table[i].path == path {
				return &table[i]
			}
		}
		return nil
	}
	found := map[string]bool{}
	for _, fd := range fds {
		for _, svc := range fd.GetService() {
			for _, m := range svc.GetMethod() {
				full := fmt.Sprintf("/%s.%s/%s", fd.GetPackage(), svc.GetName(), m.GetName())
				public := false
				if ext, err := proto.GetExtension(m.GetOptions(), aggpayv1.E_Access); err == nil {
					if a, ok := ext.(*aggpayv1.AccessPolicy); ok {
						public = a.GetPublic()
					}
				}
				ext, err := proto.GetExtension(m.GetOptions(), annotations.E_Http)
				if err != nil {
					continue // no HTTP rule
				}
				rule, ok := ext.(*annotations.HttpRule)
				if !ok {
					continue
				}
				for _, b := range append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...) {
					verb, path := ruleVerbPath(b)
					isPublicPath := strings.HasPrefix(path, publicPrefix)
					switch {
					case isPublicPath && !public:
						return fmt.Errorf("%s %s reaches %s, which is not public", verb, path, full)
					case public && !isPublicPath:
						return fmt.Errorf("%s is public but bound to %s %s, outside %s", full,
							verb, path, publicPrefix)
					case isPublicPath:
						r := find(verb, path)
						if r == nil || r.grpcMethod != full {
							return fmt.Errorf("%s %s (%s) is not in the gateway's publicRoutes",
								verb, path, full)
						}
						found[verb+" "+path] = true
					}
				}
			}
		}
	}
	for _, r := range table {
		if !found[r.method+" "+r.path] {
			return fmt.Errorf("publicRoutes has %s %s, which no proto binds", r.method, r.path)
		}
	}
	return nil
}

func ruleVerbPath(r *annotations.HttpRule) (string, string) {
	switch p := r.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		return "GET", p.Get
	case *annotations.HttpRule_Post:
		return "POST", p.Post
	case *annotations.HttpRule_Put:
		return "PUT", p.Put
	case *annotations.HttpRule_Delete:
		return "DELETE", p.Delete
	case *annotations.HttpRule_Patch:
		return "PATCH", p.Patch
	case *annotations.HttpRule_Custom:
		return strings.ToUpper(p.Custom.GetKind()), p.Custom.GetPath()
	}
	return "", ""
}

func fileDescriptor(file string) (*descpb.FileDescriptorProto, error) {
	gz := proto.FileDescriptor(file)
	if gz == nil {
		return nil, fmt.Errorf("the proto %s is not linked into the gateway", file)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	fd := &descpb.FileDescriptorProto{}
	if err := proto.Unmarshal(raw, fd); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	return fd, nil
}

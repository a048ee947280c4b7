package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	aggpayv1 "aggpay/gen/aggpay/v1"

	"github.com/golang/protobuf/proto"
	descpb "github.com/golang/protobuf/protoc-gen-go/descriptor"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fakePayments records what reached the payment service.
type fakePayments struct {
	aggpayv1.UnimplementedPaymentServiceServer
	rec *recorder
	mu  sync.Mutex
	// The last CreateCodePayment request.
	code *aggpayv1.CreateCodePaymentRequest
}

func (f *fakePayments) CreateCodePayment(ctx context.Context,
	req *aggpayv1.CreateCodePaymentRequest) (*aggpayv1.Payment, error) {
	f.rec.add(ctx, "CreateCodePayment", nil)
	f.mu.Lock()
	f.code = req
	f.mu.Unlock()
	if req.Code == "" {
		return nil, status.Error(codes.InvalidArgument, "code is required")
	}
	// Everything a merchant would see; the gateway must cut it down for the payer.
	return &aggpayv1.Payment{
		PaymentId: "pay_1", MerchantId: "m_secret", StoreId: "st_1", CodeId: req.Code,
		Flow: "STATIC_CODE", Wallet: req.Wallet, Channel: "sandbox", OutTradeNo: "pay_1",
		ClientRequestId: req.ClientRequestId, Amount: req.Amount,
		Fee:    &aggpayv1.Money{Currency: "CNY", AmountMinor: 38},
		PlanId: "bank-standard", PlanVersion: 3, Status: "PAYING",
		PayUrl: "https://sandbox.invalid/pay/pay_1", ChannelTxnId: "tx_1",
	}, nil
}

func (f *fakePayments) CreateMerchantPayment(ctx context.Context,
	req *aggpayv1.CreateMerchantPaymentRequest) (*aggpayv1.Payment, error) {
	f.rec.add(ctx, "CreateMerchantPayment", nil)
	m := callerMerchant(ctx)
	if m == "" {
		return nil, status.Error(codes.Unauthenticated, "no merchant")
	}
	return &aggpayv1.Payment{PaymentId: "pay_2", MerchantId: m, OutTradeNo: req.OutTradeNo,
		Status: "PAYING"}, nil
}

func (f *fakePayments) lastCode() *aggpayv1.CreateCodePaymentRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.code
}

type publicFixture struct {
	*fixture
	payments *fakePayments
}

func newPublicFixture(t *testing.T, rate, burst float64, proxies string) *publicFixture {
	addr, rec, payments := startFakesWithPayments(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := &config{
		grpcAddr:        addr,
		serviceAddrs:    map[string]*string{},
		authTimeout:     2 * time.Second,
		upstreamTimeout: 5 * time.Second,
		secret:          testSecret,
		publicRate:      rate,
		publicBurst:     burst,
		trustedProxies:  proxies,
	}
	h, err := newGateway(ctx, cfg, []byte(`{"swagger":"2.0"}`))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &publicFixture{fixture: &fixture{rec: rec, url: srv.URL}, payments: payments}
}

const codeBody = `{"code":"c_0123456789abcdefghijkl","amount":{"currency":"CNY","amount_minor":"1234"},` +
	`"wallet":"wechat","payer_ip":"6.6.6.6","payerIp":"7.7.7.7","device_id":"d1",` +
	`"client_request_id":"REQ-1"}`

func TestPublicRouteIsServedUnsignedAndAnonymous(t *testing.T) {
	f := newPublicFixture(t, 100, 100, "")
	// Spoofed identity headers, a forwarded-for claim and even a valid merchant signature: none
	// of them is forwarded or consulted.
	r := send(t, "POST", f.url, "/v1/public/payments", codeBody, testKeyID, map[string]string{
		"X-Forwarded-For":                       "8.8.8.8",
		"X-Real-Ip":                             "8.8.4.4",
		"X-Aggpay-Internal":                     testSecret,
		"X-Aggpay-Merchant-Id":                  "m_victim",
		"Grpc-Metadata-X-Aggpay-Merchant-Id":    "m_victim",
		"X-Aggpay-Client-Address":               "8.8.8.8",
		"Grpc-Metadata-X-Aggpay-Client-Address": "8.8.8.8",
	}, nil, nil)
	if r.status != 200 {
		t.Fatalf("public route: %d %s", r.status, r.body)
	}
	if _, called := f.rec.last("AuthenticateRequest"); called {
		t.Error("a public request was sent for authentication")
	}
	call, ok := f.rec.last("CreateCodePayment")
	if !ok {
		t.Fatal("CreateCodePayment not called")
	}
	for _, k := range []string{internalKey, merchantKey, "authorization", "x-real-ip",
		"grpc-metadata-x-aggpay-merchant-id"} {
		if v := call.md.Get(k); len(v) > 0 {
			t.Errorf("%s forwarded on a public route: %v", k, v)
		}
	}
	if v := strings.Join(call.md.Get("x-forwarded-for"), ","); strings.Contains(v, "8.8.8.8") {
		t.Errorf("the client's X-Forwarded-For forwarded: %q", v)
	}
	// The client's address with the gateway's proof of it, for the services' per-payer limits.
	if v := call.md.Get(clientAddressKey); len(v) != 1 || v[0] != "127.0.0.1" {
		t.Errorf("client address %v", v)
	}
	if v := call.md.Get(clientAddressSigKey); len(v) != 1 ||
		v[0] != clientAddressSig(testSecret, "127.0.0.1") {
		t.Errorf("client address proof %v", v)
	}
	req := f.payments.lastCode()
	if req.PayerIp != "127.0.0.1" {
		t.Errorf("payer_ip %q, want the connection's 127.0.0.1", req.PayerIp)
	}
	if req.Code != "c_0123456789abcdefghijkl" || req.Amount.GetAmountMinor() != 1234 ||
		req.Wallet != "wechat" || req.DeviceId != "d1" || req.ClientRequestId != "REQ-1" {
		t.Errorf("request not passed on: %+v", req)
	}
	body := string(r.body)
	for _, want := range []string{`"payment_id":"pay_1"`, `"status":"PAYING"`,
		`"pay_url":"https://sandbox.invalid/pay/pay_1"`, `"amount_minor":"1234"`} {
		if !strings.Contains(body, want) {
			t.Errorf("response lacks %s: %s", want, body)
		}
	}
	for _, leak := range []string{"m_secret", "bank-standard", "st_1", "tx_1", `"amount_minor":"38"`,
		`"plan_version":"3"`} {
		if strings.Contains(body, leak) {
			t.Errorf("response shows the payer %s: %s", leak, body)
		}
	}
}

func TestPublicRouteRefusesBadBodies(t *testing.T) {
	f := newPublicFixture(t, 100, 100, "")
	for name, body := range map[string]string{
		"trailing object": `{"code":"c1"}{"payer_ip":"1.1.1.1"}`,
		"not json":        `code=c1`,
		"wrong type":      `{"code":5}`,
	} {
		r := send(t, "POST", f.url, "/v1/public/payments", body, "", nil, nil, nil)
		if e := r.apiError(t); r.status != 400 || e.Code != "INVALID_ARGUMENT" {
			t.Errorf("%s: %d %+v", name, r.status, e)
		}
	}
	if _, called := f.rec.last("CreateCodePayment"); called {
		t.Error("a bad body reached the service")
	}
	big := `{"code":"` + strings.Repeat("x", maxPublicBodyBytes) + `"}`
	if r := send(t, "POST", f.url, "/v1/public/payments", big, "", nil, nil, nil); r.status != 413 {
		t.Errorf("oversized body: %d", r.status)
	}
	// A service error keeps the error shape.
	r := send(t, "POST", f.url, "/v1/public/payments", `{}`, "", nil, nil, nil)
	if e := r.apiError(t); r.status != 400 || e.Message != "code is required" {
		t.Errorf("service error: %d %+v", r.status, e)
	}
}

func TestPublicRateLimitPerAddress(t *testing.T) {
	f := newPublicFixture(t, 0.5, 3, "")
	for i := 0; i < 3; i++ {
		if r := send(t, "POST", f.url, "/v1/public/payments", codeBody, "", nil, nil, nil); r.status != 200 {
			t.Fatalf("request %d within the burst: %d %s", i+1, r.status, r.body)
		}
	}
	f.rec.reset()
	r := send(t, "POST", f.url, "/v1/public/payments", codeBody, "", nil, nil, nil)
	e := r.apiError(t)
	if r.status != 429 || e.Code != "RESOURCE_EXHAUSTED" {
		t.Fatalf("over the limit: %d %+v", r.status, e)
	}
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 2 {
		t.Errorf("Retry-After %q, want 1 or 2 s at 0.5/s", r.header.Get("Retry-After"))
	}
	if _, called := f.rec.last("CreateCodePayment"); called {
		t.Error("a limited request reached the service")
	}
	// The signed merchant routes are limited per key by the merchant service, not here.
	if r := send(t, "GET", f.url, "/v1/merchant", "", testKeyID, nil, nil, nil); r.status != 200 {
		t.Errorf("signed route after the public limit: %d %s", r.status, r.body)
	}
}

func TestAddressLimiter(t *testing.T) {
	now := time.Unix(1700000000, 0)
	l := newAddressLimiter(1, 2)
	l.now = func() time.Time { return now }
	for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9"} {
		if w := l.take(ip); w != 0 {
			t.Fatalf("%s: limited at once", ip)
		}
	}
	// The same /64: the third request waits a second; another /64 and an IPv4 do not.
	if w := l.take("2001:db8:1:2::77"); w != time.Second {
		t.Errorf("same /64: wait %v", w)
	}
	if l.take("2001:db8:1:3::1") != 0 || l.take("203.0.113.7") != 0 {
		t.Error("another address was limited")
	}
	now = now.Add(500 * time.Millisecond)
	if w := l.take("2001:db8:1:2::1"); w != 500*time.Millisecond {
		t.Errorf("half refilled: wait %v", w)
	}
	now = now.Add(time.Second)
	if w := l.take("2001:db8:1:2::1"); w != 0 {
		t.Errorf("refilled: wait %v", w)
	}
	// Memory stays bounded: idle buckets are swept.
	l.maxBuckets = 3
	now = now.Add(time.Hour)
	for i := 0; i < 10; i++ {
		l.take(fmt.Sprintf("198.51.100.%d", i))
	}
	if len(l.buckets) > 3 {
		t.Errorf("%d buckets kept, max 3", len(l.buckets))
	}
}

func TestClientAddress(t *testing.T) {
	none, _ := parseTrustedProxies("")
	proxies, err := parseTrustedProxies("10.0.0.0/8, 192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseTrustedProxies("10.0.0.0/33"); err == nil {
		t.Error("a bad CIDR was accepted")
	}
	req := func(remote string, xff ...string) *http.Request {
		r := httptest.NewRequest("POST", "/v1/public/payments", nil)
		r.RemoteAddr = remote
		for _, v := range xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		return r
	}
	for _, c := range []struct {
		name    string
		proxies *trustedProxies
		r       *http.Request
		want    string
	}{
		{"no proxy flag: X-Forwarded-For ignored", none, req("203.0.113.7:5000", "1.2.3.4"), "203.0.113.7"},
		{"untrusted peer: ignored", proxies, req("203.0.113.7:5000", "1.2.3.4"), "203.0.113.7"},
		{"trusted proxy", proxies, req("10.1.1.1:5000", "198.51.100.9"), "198.51.100.9"},
		{"a client's forged entry to the left", proxies,
			req("10.1.1.1:5000", "1.2.3.4, 198.51.100.9, 192.0.2.1"), "198.51.100.9"},
		{"two headers", proxies, req("10.1.1.1:5000", "1.2.3.4", "198.51.100.9"), "198.51.100.9"},
		{"malformed entry", proxies, req("10.1.1.1:5000", "1.2.3.4, garbage"), "10.1.1.1"},
		{"IPv6 peer", none, req("[2001:db8::1]:443"), "2001:db8::1"},
		{"IPv4-mapped", none, req("[::ffff:203.0.113.7]:443"), "203.0.113.7"},
		{"unparseable peer", none, req("pipe"), ""},
	} {
		if got := c.proxies.clientIP(c.r); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestTrustedProxyEndToEnd(t *testing.T) {
	f := newPublicFixture(t, 100, 100, "127.0.0.1")
	r := send(t, "POST", f.url, "/v1/public/payments", codeBody, "",
		map[string]string{"X-Forwarded-For": "1.2.3.4, 198.51.100.9"}, nil, nil)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if got := f.payments.lastCode().PayerIp; got != "198.51.100.9" {
		t.Errorf("payer_ip %q behind a trusted proxy", got)
	}
	if call, _ := f.rec.last("CreateCodePayment"); strings.Join(call.md.Get(clientAddressKey), ",") != "198.51.100.9" {
		t.Errorf("client address %v behind a trusted proxy", call.md.Get(clientAddressKey))
	}
	// grpc-gateway names the TCP peer in x-forwarded-for; the client's own claims never pass.
	call, _ := f.rec.last("CreateCodePayment")
	if v := strings.Join(call.md.Get("x-forwarded-for"), ","); strings.Contains(v, "1.2.3.4") ||
		strings.Contains(v, "198.51.100.9") {
		t.Errorf("the client's X-Forwarded-For forwarded: %q", v)
	}
}

func TestSignedMerchantPaymentRouteStillRefusesUnsigned(t *testing.T) {
	f := newPublicFixture(t, 100, 100, "")
	body := `{"out_trade_no":"T1","amount":{"currency":"CNY","amount_minor":"100"},"wallet":"wechat"}`
	r := send(t, "POST", f.url, "/v1/merchant/payments", body, "", nil, nil, nil)
	if e := r.apiError(t); r.status != 401 || e.Code != "UNAUTHENTICATED" {
		t.Fatalf("unsigned merchant route: %d %+v", r.status, e)
	}
	if _, called := f.rec.last("CreateMerchantPayment"); called {
		t.Fatal("an unsigned merchant request reached the service")
	}
	r = send(t, "POST", f.url, "/v1/merchant/payments", body, testKeyID, nil, nil, nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"merchant_id":"m_test"`) {
		t.Fatalf("signed: %d %s", r.status, r.body)
	}
	call, _ := f.rec.last("CreateMerchantPayment")
	if v := call.md.Get(merchantKey); len(v) != 1 || v[0] != "m_test" {
		t.Errorf("merchant forwarded as %v", v)
	}
	// A signed request to the public route is still served as public: no merchant forwarded.
	r = send(t, "POST", f.url, "/v1/public/payments", codeBody, testKeyID, nil, nil, nil)
	call, _ = f.rec.last("CreateCodePayment")
	if r.status != 200 || len(call.md.Get(merchantKey)) > 0 || len(call.md.Get(internalKey)) > 0 {
		t.Errorf("signed public request: %d, md %v", r.status, call.md)
	}
}

// raw sends one request with the exact request target given, as a client on the wire can.
func raw(t *testing.T, url, method, target, body string, header map[string]string) response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n", method, target)
	fmt.Fprintf(&b, "Content-Type: application/json\r\nContent-Length: %d\r\n", len(body))
	for k, v := range header {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n" + body)
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, rb}
}

func TestPathTricksAreRefused(t *testing.T) {
	f := newPublicFixture(t, 1000, 1000, "")
	merchantBody := `{"out_trade_no":"T1","amount":{"currency":"CNY","amount_minor":"100"}}`
	// Paths that some component could read as a merchant route, or as the public one.
	for _, target := range []string{
		"/v1/public/../merchant/payments",
		"/v1/public/%2e%2e/merchant/payments",
		"/v1/public/%2E%2E/merchant/payments",
		"/v1/public/./payments",
		"/v1/public//payments",
		"//v1/public/payments",
		"/v1/public/payments/",
		"/v1/public/payments/.",
		"/v1/public/payments/..",
		"/v1/public%2fpayments",
		"/v1/public%2Fpayments",
		"/v1/public/%2e/payments",
		"/v1/merchant/../public/payments",
		"/v1/public/..%2fmerchant/payments",
		"/v1/public/..%5cmerchant/payments",
		"/v1/public/..\\merchant/payments",
	} {
		r := raw(t, f.url, "POST", target, merchantBody, nil)
		if e := r.apiError(t); r.status != 400 || e.Code != "INVALID_ARGUMENT" {
			t.Errorf("%s: %d %+v", target, r.status, e)
		}
	}
	// Under /v1/public/ only the listed routes exist; nothing falls through to the signed ones.
	for _, c := range []struct {
		method, target string
		status         int
	}{
		{"GET", "/v1/public/payments", 405},
		{"PUT", "/v1/public/payments", 405},
		{"POST", "/v1/public/payments:cancel", 404},
		{"POST", "/v1/public/payments/pay_1/refunds", 404},
		{"GET", "/v1/public/merchant/payments", 404},
		{"POST", "/v1/public/", 400},
		// Not public: the signature is required.
		{"POST", "/V1/public/payments", 401},
		{"POST", "/v1/Public/payments", 401},
		{"POST", "/v1/merchant/payments", 401},
	} {
		r := raw(t, f.url, c.method, c.target, merchantBody, nil)
		if r.apiError(t); r.status != c.status {
			t.Errorf("%s %s: %d, want %d: %s", c.method, c.target, r.status, c.status, r.body)
		}
	}
	// grpc-gateway's method override and form fallback cannot turn the public route into another.
	r := raw(t, f.url, "POST", "/v1/public/payments", codeBody,
		map[string]string{"X-HTTP-Method-Override": "GET"})
	if r.status != 200 {
		t.Errorf("override: %d %s", r.status, r.body)
	}
	if _, called := f.rec.last("CreateMerchantPayment"); called {
		t.Fatal("a path trick reached a merchant method")
	}
	if _, called := f.rec.last("AuthenticateRequest"); called {
		t.Fatal("a path trick was sent for authentication")
	}
}

func TestPublicRoutesMatchTheProtos(t *testing.T) {
	var files []string
	for _, s := range restServices {
		files = append(files, s.file)
	}
	if err := checkPublicRoutes(files); err != nil {
		t.Fatalf("the shipped protos: %v", err)
	}
	method := func(name string, public bool, rule *annotations.HttpRule) *descpb.MethodDescriptorProto {
		opts := &descpb.MethodOptions{}
		if err := proto.SetExtension(opts, aggpayv1.E_Access,
			&aggpayv1.AccessPolicy{Public: public, Merchant: !public}); err != nil {
			t.Fatal(err)
		}
		if err := proto.SetExtension(opts, annotations.E_Http, rule); err != nil {
			t.Fatal(err)
		}
		return &descpb.MethodDescriptorProto{Name: proto.String(name), Options: opts}
	}
	file := func(ms ...*descpb.MethodDescriptorProto) []*descpb.FileDescriptorProto {
		return []*descpb.FileDescriptorProto{{
			Package: proto.String("aggpay.v1"),
			Service: []*descpb.ServiceDescriptorProto{{Name: proto.String("S"), Method: ms}},
		}}
	}
	post := func(p string) *annotations.HttpRule {
		return &annotations.HttpRule{Pattern: &annotations.HttpRule_Post{Post: p}}
	}
	table := []publicRoute{{method: "POST", path: "/v1/public/x", grpcMethod: "/aggpay.v1.S/X"}}
	if err := checkPublicRules(file(method("X", true, post("/v1/public/x"))), table); err != nil {
		t.Errorf("a consistent table: %v", err)
	}
	for name, fds := range map[string][]*descpb.FileDescriptorProto{
		"a merchant method under /v1/public/": file(method("X", true, post("/v1/public/x")),
			method("Y", false, post("/v1/public/y"))),
		"a merchant method as an additional binding": file(method("X", true, post("/v1/public/x")),
			method("Y", false, &annotations.HttpRule{
				Pattern:            &annotations.HttpRule_Get{Get: "/v1/merchant/y"},
				AdditionalBindings: []*annotations.HttpRule{post("/v1/public/y")}})),
		"a public method outside /v1/public/": file(method("X", true, post("/v1/public/x")),
			method("Z", true, post("/v1/merchant/z"))),
		"a table route bound to another method": file(method("W", true, post("/v1/public/x"))),
		"a table route no proto binds":          file(),
	} {
		if err := checkPublicRules(fds, table); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestOpenAPIPublicRoutesNeedNoSignature(t *testing.T) {
	doc := `{"swagger":"2.0","paths":{
	  "/v1/public/payments":{"post":{"responses":{}}},
	  "/v1/merchant/payments":{"post":{"responses":{}}}}}`
	out, err := finishOpenAPI([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	pub := s[strings.Index(s, `"/v1/public/payments"`):]
	if !strings.Contains(pub[:strings.Index(pub, "}\n    }")+1], `"security": []`) {
		t.Errorf("the public route is not marked unsigned: %s", s)
	}
	if strings.Count(s, `"security": []`) != 1 {
		t.Errorf("more than the public route marked unsigned: %s", s)
	}
}

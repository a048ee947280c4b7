package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
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
	"github.com/golang/protobuf/ptypes"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

const (
	testSecret    = "internal-secret-for-tests"
	testKeyID     = "k_test"
	testKeySecret = "sk_test_0123456789abcdef"
	limitedKeyID  = "k_limited"
)

func TestParseAuthorization(t *testing.T) {
	good := []string{
		`AGGPAY-HMAC-SHA256 key_id="k1",timestamp="1700000000",nonce="abcdefgh",signature="ff"`,
		`aggpay-hmac-sha256   signature="ff", nonce="abcdefgh" ,timestamp="1700000000", key_id="k1"`,
	}
	for _, h := range good {
		c, err := parseAuthorization(h)
		if err != nil {
			t.Fatalf("%s: %v", h, err)
		}
		if c != (credential{"k1", "1700000000", "abcdefgh", "ff"}) {
			t.Fatalf("%s: got %+v", h, c)
		}
	}
	bad := []string{
		``,
		`Bearer abc`,
		`AGGPAY-HMAC-SHA256`,
		`AGGPAY-HMAC-SHA256 key_id="k1",timestamp="1",nonce="abcdefgh"`,
		`AGGPAY-HMAC-SHA256 key_id="k1",timestamp="1",nonce="abcdefgh",signature=ff`,
		`AGGPAY-HMAC-SHA256 key_id="k1",timestamp="1",nonce="abcdefgh",signature="ff`,
		`AGGPAY-HMAC-SHA256 key_id="k1" timestamp="1",nonce="abcdefgh",signature="ff"`,
		`AGGPAY-HMAC-SHA256 key_id="k1",key_id="k2",timestamp="1",nonce="abcdefgh",signature="ff"`,
		`AGGPAY-HMAC-SHA256 key_id="",timestamp="1",nonce="abcdefgh",signature="ff"`,
		`AGGPAY-HMAC-SHA256 key_id="k 1",timestamp="1",nonce="abcdefgh",signature="ff"`,
		`AGGPAY-HMAC-SHA256 key_id="k1",timestamp="1",nonce="abcdefgh",signature="ff",extra="x"`,
		`AGGPAY-HMAC-SHA256 key_id="k1",timestamp="1",nonce="abcdefgh",signature="ff",`,
		`AGGPAY-HMAC-SHA256 key_id="k1",timestamp="1",nonce="abcdefgh",signature="ff",,`,
		`AGGPAY-HMAC-SHA256 ` + strings.Repeat("x", maxAuthorizationBytes),
	}
	for _, h := range bad {
		if c, err := parseAuthorization(h); err == nil {
			t.Errorf("%q: accepted as %+v", h, c)
		}
	}
}

func TestPathAndQueryIsTheRequestTargetAsSent(t *testing.T) {
	for _, target := range []string{
		"/v1/merchant",
		"/v1/merchant?",
		"/v1/merchant?merchant_id=m_1",
		"/v1/merchant/fee-plan?at=2024-01-01T00:00:00%2B08:00&b=%7e&a=1",
		"/v1/%7efoo/a%2Fb?q=a+b",
	} {
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(
			"GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n")))
		if err != nil {
			t.Fatal(err)
		}
		if got := pathAndQuery(r); got != target {
			t.Errorf("sent %q, signed target %q", target, got)
		}
	}
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(
		"GET http://example.com/v1/merchant?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n")))
	if err != nil {
		t.Fatal(err)
	}
	if got := pathAndQuery(r); got != "/v1/merchant?x=1" {
		t.Errorf("absolute form: %q", got)
	}
}

func TestHeaderMatchers(t *testing.T) {
	for _, h := range []string{"Authorization", "X-Aggpay-Internal", "X-Aggpay-Merchant-Id",
		"Grpc-Metadata-X-Aggpay-Internal", "Grpc-Metadata-X-Aggpay-Merchant-Id", "Cookie",
		"X-Forwarded-For", "User-Agent", "Grpc-Timeout", "X-Aggpay-Client-Address",
		"Grpc-Metadata-X-Aggpay-Client-Address-Sig", "X-Aggpay-Signed-Request-Bin",
		"Grpc-Metadata-X-Aggpay-Signed-Request-Bin", "Grpc-Metadata-X-Aggpay-Signed-Merchant"} {
		if k, ok := incomingHeaderMatcher(h); ok {
			t.Errorf("%s forwarded as %s", h, k)
		}
	}
	if k, ok := incomingHeaderMatcher("x-request-id"); !ok || k != "x-request-id" {
		t.Errorf("X-Request-Id: %q %v", k, ok)
	}
	if _, ok := outgoingHeaderMatcher("x-aggpay-principal"); ok {
		t.Error("response metadata forwarded")
	}
	md := internalMetadata(testSecret)(context.Background(), httptest.NewRequest("GET", "/", nil))
	if len(md) != 0 {
		t.Errorf("metadata without an authenticated merchant: %v", md)
	}
}

func TestSaneRequestID(t *testing.T) {
	for _, s := range []string{"abc", "req-1.2_3:4", strings.Repeat("a", 128)} {
		if !saneRequestID(s) {
			t.Errorf("%q refused", s)
		}
	}
	for _, s := range []string{"", "a b", "a\nb", "ä", strings.Repeat("a", 129)} {
		if saneRequestID(s) {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int64{
		0: 1, time.Millisecond: 1, time.Second: 1, 1001 * time.Millisecond: 2, 30 * time.Second: 30,
	} {
		if got := retryAfterSeconds(d); got != want {
			t.Errorf("%v: %d, want %d", d, got, want)
		}
	}
}

func TestFinishOpenAPI(t *testing.T) {
	fee := `{"swagger":"2.0","info":{"title":"aggpay/v1/fee.proto"},
	  "paths":{"/v1/x":{"get":{"summary":"X.","responses":{"200":{"schema":{"$ref":"#/definitions/v1A"}}}}}},
	  "definitions":{"v1A":{"properties":{"b":{"$ref":"#/definitions/v1B"}}},"v1B":{},
	                 "v1Internal":{}}}`
	merchant := `{"swagger":"2.0","info":{"title":"aggpay/v1/merchant.proto"},
	  "paths":{"/v1/x":{"post":{"responses":{"200":{"schema":{"$ref":"#/definitions/v1B"}}}}},
	           "/v1/y":{"get":{"responses":{"200":{"schema":{"$ref":"#/definitions/v1C"}}}}}},
	  "definitions":{"v1B":{"description":"B."},"v1C":{}}}`
	out, err := finishOpenAPI([]byte(fee), []byte(merchant))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Info        map[string]interface{}            `json:"info"`
		Definitions map[string]map[string]interface{} `json:"definitions"`
		Security    []map[string][]string             `json:"security"`
		SecDefs     map[string]map[string]interface{} `json:"securityDefinitions"`
		Paths       map[string]map[string]struct {
			Summary   string                 `json:"summary"`
			Responses map[string]interface{} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Info["title"] != "aggpay merchant API" {
		t.Errorf("title %v", doc.Info["title"])
	}
	for _, name := range []string{"v1A", "v1B", "v1C", "aggpayError"} {
		if _, ok := doc.Definitions[name]; !ok {
			t.Errorf("%s pruned", name)
		}
	}
	if doc.Definitions["v1B"]["description"] != "B." {
		t.Error("the documented copy of a definition was not kept")
	}
	if _, ok := doc.Definitions["v1Internal"]; ok {
		t.Error("an unreferenced definition was kept")
	}
	if doc.Paths["/v1/x"]["get"].Summary != "X." || len(doc.Paths["/v1/x"]) != 2 ||
		len(doc.Paths["/v1/y"]) != 1 {
		t.Errorf("paths not merged: %+v", doc.Paths)
	}
	if _, ok := doc.Paths["/v1/y"]["get"].Responses["default"]; !ok {
		t.Error("no error response")
	}
	if doc.SecDefs["AggpayHmac"]["name"] != "Authorization" || len(doc.Security) != 1 {
		t.Errorf("security: %v %v", doc.SecDefs, doc.Security)
	}
	if _, err := finishOpenAPI([]byte(fee), []byte(fee)); err == nil {
		t.Error("a route bound twice was accepted")
	}
}

// --- The gateway against in-process fakes of the merchant and fee services. ---

type seenCall struct {
	method string
	md     metadata.MD
	auth   *aggpayv1.AuthenticateRequestRequest
}

type recorder struct {
	mu    sync.Mutex
	calls []seenCall
	// Set before requests: the fakes ignore the signed request, as an aggpayd older than the
	// gateway would.
	ignoreSigned bool
}

func (r *recorder) add(ctx context.Context, method string, auth *aggpayv1.AuthenticateRequestRequest) {
	md, _ := metadata.FromIncomingContext(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, seenCall{method: method, md: md.Copy(), auth: auth})
}

func (r *recorder) last(method string) (seenCall, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.calls) - 1; i >= 0; i-- {
		if r.calls[i].method == method {
			return r.calls[i], true
		}
	}
	return seenCall{}, false
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = nil
}

func internalOK(ctx context.Context) bool {
	md, _ := metadata.FromIncomingContext(ctx)
	v := md.Get(internalKey)
	return len(v) == 1 && v[0] == testSecret
}

func callerMerchant(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get(merchantKey); len(v) == 1 && internalOK(ctx) {
		return v[0]
	}
	return ""
}

type fakeMerchants struct {
	aggpayv1.UnimplementedMerchantServiceServer
	rec *recorder
}

func canonical(method, target, timestamp, nonce, bodyHash string) string {
	return method + "\n" + target + "\n" + timestamp + "\n" + nonce + "\n" + bodyHash + "\n"
}

func hmacHex(secret, s string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}

func (f *fakeMerchants) AuthenticateRequest(ctx context.Context,
	req *aggpayv1.AuthenticateRequestRequest) (*aggpayv1.AuthenticateRequestResponse, error) {
	f.rec.add(ctx, "AuthenticateRequest", req)
	if !internalOK(ctx) {
		return nil, status.Error(codes.Unauthenticated, "invalid internal credential")
	}
	merchant, err := fakeAuthenticate(req)
	if err != nil {
		return nil, err
	}
	return &aggpayv1.AuthenticateRequestResponse{MerchantId: merchant, KeyId: req.KeyId}, nil
}

// fakeAuthenticate is the fakes' merchant domain: it checks a signed request as
// MerchantOperations::AuthenticateRequest would.
func fakeAuthenticate(req *aggpayv1.AuthenticateRequestRequest) (string, error) {
	if req.KeyId == limitedKeyID {
		s, _ := status.New(codes.ResourceExhausted, "rate limit exceeded").WithDetails(
			&errdetails.RetryInfo{RetryDelay: ptypes.DurationProto(1200 * time.Millisecond)})
		return "", s.Err()
	}
	if req.KeyId != testKeyID {
		return "", status.Error(codes.Unauthenticated, "unknown key")
	}
	want := hmacHex(testKeySecret, canonical(req.Method, req.PathAndQuery, req.Timestamp,
		req.Nonce, req.BodySha256))
	if !hmac.Equal([]byte(want), []byte(req.Signature)) {
		return "", status.Error(codes.Unauthenticated, "signature mismatch")
	}
	return "m_test", nil
}

// fakeSignedRequests stands in for aggpayd's auth interceptor (auth_interceptor.cc) on the
// signed request the gateway sends with a route's call: recorded as "signed" with the call's
// metadata as sent; refused with x-aggpay-signed-refused, or authenticated with
// x-aggpay-signed-merchant and the merchant handed to the handler. ignore: an aggpayd that
// does not know the key (the handler sees an anonymous call).
func fakeSignedRequests(rec *recorder, ignore *bool) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req interface{}, info *grpc.UnaryServerInfo,
		handler grpc.UnaryHandler) (interface{}, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		v := md.Get(signedRequestKey)
		if len(v) == 0 || (ignore != nil && *ignore) {
			return handler(ctx, req)
		}
		signed := &aggpayv1.AuthenticateRequestRequest{}
		if err := proto.Unmarshal([]byte(v[0]), signed); err != nil {
			return nil, status.Error(codes.Unauthenticated, "malformed signed request")
		}
		rec.add(ctx, "signed", signed)
		if !internalOK(ctx) {
			return nil, status.Error(codes.Unauthenticated, "invalid internal credential")
		}
		if len(md.Get(merchantKey)) > 0 {
			return nil, status.Error(codes.PermissionDenied,
				"a signed merchant request comes with no other caller credential")
		}
		merchant, err := fakeAuthenticate(signed)
		if err != nil {
			_ = grpc.SetTrailer(ctx, metadata.Pairs(signedRefusedKey, "1"))
			return nil, err
		}
		_ = grpc.SetTrailer(ctx, metadata.Pairs(signedMerchantKey, merchant))
		md = md.Copy()
		delete(md, signedRequestKey)
		md.Set(merchantKey, merchant)
		return handler(metadata.NewIncomingContext(ctx, md), req)
	}
}

func (f *fakeMerchants) GetMerchant(ctx context.Context,
	req *aggpayv1.GetMerchantRequest) (*aggpayv1.Merchant, error) {
	f.rec.add(ctx, "GetMerchant", nil)
	m := callerMerchant(ctx)
	if m == "" && req.MerchantId == "m_anonymous" {
		// A method that answers anonymous callers.
		return &aggpayv1.Merchant{MerchantId: req.MerchantId, DisplayName: "Test noodles"}, nil
	}
	if m == "" {
		return nil, status.Error(codes.Unauthenticated, "no merchant")
	}
	if req.MerchantId == "m_boom" {
		return nil, status.Error(codes.Internal, "mysql: password=hunter2 at 10.0.0.5")
	}
	return &aggpayv1.Merchant{MerchantId: m, DisplayName: "Test noodles"}, nil
}

type fakeFees struct {
	aggpayv1.UnimplementedFeeServiceServer
	rec *recorder
}

func (f *fakeFees) Quote(ctx context.Context,
	req *aggpayv1.QuoteRequest) (*aggpayv1.QuoteResponse, error) {
	f.rec.add(ctx, "Quote", nil)
	if callerMerchant(ctx) == "" {
		return nil, status.Error(codes.Unauthenticated, "no merchant")
	}
	if req.GetAmount() == nil {
		s, _ := status.New(codes.InvalidArgument, "amount is required").WithDetails(
			&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
				{Field: "amount", Description: "amount is required"}}})
		return nil, s.Err()
	}
	a := req.GetAmount()
	fee := a.AmountMinor * 38 / 10000
	return &aggpayv1.QuoteResponse{
		Fee:    &aggpayv1.Money{Currency: a.Currency, AmountMinor: fee},
		Net:    &aggpayv1.Money{Currency: a.Currency, AmountMinor: a.AmountMinor - fee},
		PlanId: "std",
	}, nil
}

type fixture struct {
	rec *recorder
	url string
}

func startFakes(t *testing.T) (string, *recorder) {
	addr, rec, _ := startFakesWithPayments(t)
	return addr, rec
}

func startFakesWithPayments(t *testing.T) (string, *recorder, *fakePayments) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	payments := &fakePayments{rec: rec}
	srv := grpc.NewServer(grpc.UnaryInterceptor(fakeSignedRequests(rec, &rec.ignoreSigned)))
	aggpayv1.RegisterMerchantServiceServer(srv, &fakeMerchants{rec: rec})
	aggpayv1.RegisterFeeServiceServer(srv, &fakeFees{rec: rec})
	aggpayv1.RegisterPaymentServiceServer(srv, payments)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return ln.Addr().String(), rec, payments
}

func startGateway(t *testing.T, grpcAddr string) string {
	return startGatewayWithSecret(t, grpcAddr, testSecret)
}

func startGatewayWithSecret(t *testing.T, grpcAddr, secret string) string {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := &config{
		grpcAddr:        grpcAddr,
		serviceAddrs:    map[string]*string{},
		authTimeout:     2 * time.Second,
		upstreamTimeout: 5 * time.Second,
		secret:          secret,
	}
	h, err := newGateway(ctx, cfg, []byte(`{"swagger":"2.0"}`))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func newFixture(t *testing.T) *fixture {
	addr, rec := startFakes(t)
	return &fixture{rec: rec, url: startGateway(t, addr)}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) apiError(t *testing.T) errorBody {
	t.Helper()
	var env map[string]map[string]interface{}
	if err := json.Unmarshal(r.body, &env); err != nil || env["error"] == nil {
		t.Fatalf("status %d: not the error shape: %s", r.status, r.body)
	}
	var e errorEnvelope
	_ = json.Unmarshal(r.body, &e)
	for k := range env["error"] {
		switch k {
		case "code", "http_status", "message", "field":
		default:
			t.Errorf("unexpected error member %q in %s", k, r.body)
		}
	}
	if e.Error.HTTPStatus != r.status {
		t.Errorf("http_status %d in a %d response", e.Error.HTTPStatus, r.status)
	}
	if r.header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
	}
	return e.Error
}

// send makes a request; keyID != "" signs it (signTarget/signBody override what is signed).
func send(t *testing.T, method, url, target, body, keyID string, header map[string]string,
	signTarget, signBody *string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url+target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if keyID != "" {
		st, sb := target, body
		if signTarget != nil {
			st = *signTarget
		}
		if signBody != nil {
			sb = *signBody
		}
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		nonce := fmt.Sprintf("n%015d", time.Now().UnixNano()%1e15)
		sum := sha256.Sum256([]byte(sb))
		sig := hmacHex(testKeySecret, canonical(method, st, ts, nonce, hex.EncodeToString(sum[:])))
		req.Header.Set("Authorization", fmt.Sprintf(
			`AGGPAY-HMAC-SHA256 key_id="%s",timestamp="%s",nonce="%s",signature="%s"`,
			keyID, ts, nonce, sig))
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

func TestOpenEndpoints(t *testing.T) {
	f := newFixture(t)
	r := send(t, "GET", f.url, "/healthz", "", "", nil, nil, nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"ok"`) {
		t.Fatalf("healthz: %d %s", r.status, r.body)
	}
	r = send(t, "GET", f.url, "/openapi.json", "", "", nil, nil, nil)
	if r.status != 200 || string(r.body) != `{"swagger":"2.0"}` {
		t.Fatalf("openapi: %d %s", r.status, r.body)
	}
	r = send(t, "POST", f.url, "/healthz", "{}", "", nil, nil, nil)
	if e := r.apiError(t); r.status != 405 || r.header.Get("Allow") != "GET, HEAD" {
		t.Fatalf("POST /healthz: %d %+v", r.status, e)
	}
}

func TestUnsignedAndBadlySignedRequests(t *testing.T) {
	f := newFixture(t)
	r := send(t, "GET", f.url, "/v1/merchant", "", "", nil, nil, nil)
	e := r.apiError(t)
	if r.status != 401 || e.Code != "UNAUTHENTICATED" || r.header.Get("WWW-Authenticate") == "" {
		t.Fatalf("unsigned: %d %+v", r.status, e)
	}
	if _, called := f.rec.last("GetMerchant"); called {
		t.Fatal("an unsigned request reached the service")
	}
	r = send(t, "GET", f.url, "/v1/no-such-route", "", "", nil, nil, nil)
	if r.apiError(t); r.status != 401 {
		t.Fatalf("unsigned unknown route: %d", r.status)
	}
	r = send(t, "GET", f.url, "/v1/merchant", "", "", map[string]string{
		"Authorization": `AGGPAY-HMAC-SHA256 key_id="k"`}, nil, nil)
	if r.apiError(t); r.status != 401 {
		t.Fatalf("malformed: %d", r.status)
	}
	// Signed, then the body changed in transit.
	signed := `{"amount":{"currency":"CNY","amount_minor":"100"}}`
	r = send(t, "POST", f.url, "/v1/fees/quote",
		`{"amount":{"currency":"CNY","amount_minor":"999"}}`, testKeyID, nil, nil, &signed)
	if e := r.apiError(t); r.status != 401 || e.Message != "signature mismatch" {
		t.Fatalf("tampered body: %d %+v", r.status, e)
	}
	// Signed without the query, sent with one.
	plain := "/v1/merchant"
	r = send(t, "GET", f.url, "/v1/merchant?merchant_id=m_other", "", testKeyID, nil, &plain, nil)
	if r.apiError(t); r.status != 401 {
		t.Fatalf("tampered query: %d", r.status)
	}
}

func TestSignedRequestForwardsOnlyTheInternalIdentity(t *testing.T) {
	f := newFixture(t)
	r := send(t, "GET", f.url, "/v1/merchant?merchant_id=", "", testKeyID, map[string]string{
		"X-Request-Id":                       "req-123",
		"X-Aggpay-Merchant-Id":               "m_evil",
		"X-Aggpay-Internal":                  "forged",
		"Grpc-Metadata-X-Aggpay-Merchant-Id": "m_evil",
		"Grpc-Metadata-X-Aggpay-Internal":    "forged",
		"Grpc-Metadata-X-Aggpay-Principal":   "staff:admin",
		"Cookie":                             "a=b",
		"X-Forwarded-For":                    "1.2.3.4",
	}, nil, nil)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var m map[string]interface{}
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatal(err)
	}
	if m["merchant_id"] != "m_test" || m["display_name"] != "Test noodles" {
		t.Fatalf("body %s", r.body)
	}
	// EmitDefaults: unset fields are present.
	if _, ok := m["legal_name"]; !ok {
		t.Errorf("defaults not emitted: %s", r.body)
	}
	for k := range r.header {
		if strings.Contains(strings.ToLower(k), "signed") {
			t.Errorf("response header %s=%v", k, r.header[k])
		}
	}
	if r.header.Get("X-Request-Id") != "req-123" {
		t.Errorf("X-Request-Id %q", r.header.Get("X-Request-Id"))
	}
	// One hop: the signed request travels with the route's call, no AuthenticateRequest.
	if _, called := f.rec.last("AuthenticateRequest"); called {
		t.Error("the gateway called AuthenticateRequest for a signed route")
	}
	call, ok := f.rec.last("signed")
	if !ok {
		t.Fatal("GetMerchant was not called with a signed request")
	}
	if call.auth.PathAndQuery != "/v1/merchant?merchant_id=" || call.auth.Method != "GET" ||
		call.auth.BodySha256 != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" ||
		call.auth.KeyId != testKeyID || call.auth.Signature == "" || call.auth.Nonce == "" {
		t.Errorf("the signed request was %+v", call.auth)
	}
	if _, ok := f.rec.last("GetMerchant"); !ok {
		t.Fatal("GetMerchant not called")
	}
	md := call.md
	if got := md.Get(internalKey); len(got) != 1 || got[0] != testSecret {
		t.Errorf("x-aggpay-internal %v", got)
	}
	if got := md.Get(merchantKey); len(got) != 0 {
		t.Errorf("x-aggpay-merchant-id %v beside a signed request", got)
	}
	if got := md.Get(signedRequestKey); len(got) != 1 {
		t.Errorf("x-aggpay-signed-request-bin %d values", len(got))
	}
	if got := md.Get(requestIDKey); len(got) != 1 || got[0] != "req-123" {
		t.Errorf("x-request-id %v", got)
	}
	for k := range md {
		switch {
		case k == internalKey, k == signedRequestKey, k == requestIDKey, k == "x-forwarded-for",
			k == "content-type", k == ":authority", k == "user-agent":
		default:
			t.Errorf("unexpected metadata %s=%v", k, md[k])
		}
	}
	if got := md.Get("x-forwarded-for"); len(got) != 1 || got[0] != "127.0.0.1" {
		t.Errorf("x-forwarded-for %v", got)
	}
}

func TestBadRequestIDIsReplaced(t *testing.T) {
	f := newFixture(t)
	r := send(t, "GET", f.url, "/v1/merchant", "", testKeyID,
		map[string]string{"X-Request-Id": "bad id with spaces"}, nil, nil)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	id := r.header.Get("X-Request-Id")
	call, _ := f.rec.last("GetMerchant")
	if !saneRequestID(id) || id == "bad id with spaces" || call.md.Get(requestIDKey)[0] != id {
		t.Errorf("request id %q, service saw %v", id, call.md.Get(requestIDKey))
	}
}

func TestQuote(t *testing.T) {
	f := newFixture(t)
	r := send(t, "POST", f.url, "/v1/fees/quote",
		`{"channel":"wechat","amount":{"currency":"CNY","amount_minor":"10000"}}`, testKeyID,
		nil, nil, nil)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var q map[string]interface{}
	if err := json.Unmarshal(r.body, &q); err != nil {
		t.Fatal(err)
	}
	fee, _ := q["fee"].(map[string]interface{})
	if fee["amount_minor"] != "38" || q["plan_version"] != "0" {
		t.Errorf("response %s", r.body)
	}

	// int64 as a JSON number is accepted too; unknown fields are ignored.
	r = send(t, "POST", f.url, "/v1/fees/quote",
		`{"amount":{"currency":"CNY","amount_minor":20000},"future_field":1}`, testKeyID,
		nil, nil, nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"amount_minor":"76"`) {
		t.Fatalf("number amount: %d %s", r.status, r.body)
	}

	r = send(t, "POST", f.url, "/v1/fees/quote", `{"channel":"wechat"}`, testKeyID, nil, nil, nil)
	e := r.apiError(t)
	if r.status != 400 || e.Code != "INVALID_ARGUMENT" || e.Field != "amount" ||
		e.Message != "amount is required" {
		t.Fatalf("field error: %d %s", r.status, r.body)
	}

	r = send(t, "POST", f.url, "/v1/fees/quote", `{"amount":`, testKeyID, nil, nil, nil)
	if e := r.apiError(t); r.status != 400 || e.Code != "INVALID_ARGUMENT" {
		t.Fatalf("bad JSON: %d %s", r.status, r.body)
	}
}

func TestRoutingErrors(t *testing.T) {
	f := newFixture(t)
	r := send(t, "GET", f.url, "/v1/no-such-route", "", testKeyID, nil, nil, nil)
	if e := r.apiError(t); r.status != 404 || e.Code != "NOT_FOUND" {
		t.Fatalf("unknown route: %d %s", r.status, r.body)
	}
	r = send(t, "GET", f.url, "/v1/fees/quote", "", testKeyID, nil, nil, nil)
	if e := r.apiError(t); r.status != 405 {
		t.Fatalf("wrong method: %d %+v", r.status, e)
	}
	// A service that is not implemented keeps its 501.
	r = send(t, "POST", f.url, "/v1/fees/compare", `{}`, testKeyID, nil, nil, nil)
	if e := r.apiError(t); r.status != 501 || e.Code != "UNIMPLEMENTED" {
		t.Fatalf("unimplemented: %d %+v", r.status, e)
	}
}

func TestBodyLimit(t *testing.T) {
	f := newFixture(t)
	big := `{"channel":"` + strings.Repeat("x", maxBodyBytes) + `"}`
	r := send(t, "POST", f.url, "/v1/fees/quote", big, testKeyID, nil, nil, nil)
	if e := r.apiError(t); r.status != 413 {
		t.Fatalf("%d %+v", r.status, e)
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t)
	r := send(t, "GET", f.url, "/v1/merchant", "", limitedKeyID, nil, nil, nil)
	e := r.apiError(t)
	if r.status != 429 || e.Code != "RESOURCE_EXHAUSTED" || r.header.Get("Retry-After") != "2" {
		t.Fatalf("%d %+v Retry-After=%q", r.status, e, r.header.Get("Retry-After"))
	}
}

func TestInternalErrorsAreNotLeaked(t *testing.T) {
	f := newFixture(t)
	r := send(t, "GET", f.url, "/v1/merchant?merchant_id=m_boom", "", testKeyID, nil, nil, nil)
	e := r.apiError(t)
	if r.status != 500 || e.Code != "INTERNAL" || strings.Contains(string(r.body), "hunter2") {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestServicesUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	url := startGateway(t, addr)
	r := send(t, "GET", url, "/v1/merchant", "", testKeyID, nil, nil, nil)
	e := r.apiError(t)
	if r.status != 503 || e.Code != "UNAVAILABLE" || strings.Contains(e.Message, addr) {
		t.Fatalf("%d %+v", r.status, e)
	}
}

func TestWrongInternalSecretIsTheGatewaysFault(t *testing.T) {
	addr, _ := startFakes(t)
	url := startGatewayWithSecret(t, addr, "not-the-internal-secret")
	r := send(t, "GET", url, "/v1/merchant", "", testKeyID, nil, nil, nil)
	e := r.apiError(t)
	if r.status != 500 || e.Code != "INTERNAL" || strings.Contains(e.Message, "credential") {
		t.Fatalf("%d %+v", r.status, e)
	}
}

func TestAClientsOwnSignedRequestHeaderCountsForNothing(t *testing.T) {
	f := newFixture(t)
	// A well-formed signed request for the test key, presented as the client's own header.
	forged, err := proto.Marshal(&aggpayv1.AuthenticateRequestRequest{KeyId: testKeyID})
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(forged)
	for _, h := range []string{"X-Aggpay-Signed-Request-Bin", "Grpc-Metadata-X-Aggpay-Signed-Request-Bin",
		"Grpc-Metadata-X-Aggpay-Signed-Merchant", "X-Aggpay-Signed-Merchant"} {
		f.rec.reset()
		// Unsigned: refused by the gateway, nothing reaches the service.
		r := send(t, "GET", f.url, "/v1/merchant", "", "", map[string]string{h: b64}, nil, nil)
		if e := r.apiError(t); r.status != 401 || e.Code != "UNAUTHENTICATED" {
			t.Fatalf("%s, unsigned: %d %+v", h, r.status, e)
		}
		if _, called := f.rec.last("GetMerchant"); called {
			t.Fatalf("%s: an unsigned request reached the service", h)
		}
		// Signed: the service sees the gateway's signed request only.
		r = send(t, "GET", f.url, "/v1/merchant", "", testKeyID, map[string]string{h: b64}, nil, nil)
		if r.status != 200 {
			t.Fatalf("%s, signed: %d %s", h, r.status, r.body)
		}
		call, _ := f.rec.last("signed")
		if got := call.md.Get(signedRequestKey); len(got) != 1 || got[0] == string(forged) ||
			call.auth.Signature == "" {
			t.Fatalf("%s: the service saw %d signed requests, the client's: %v", h, len(got),
				len(got) == 1 && got[0] == string(forged))
		}
		for _, k := range []string{signedMerchantKey, signedRefusedKey} {
			if got := call.md.Get(k); len(got) != 0 {
				t.Fatalf("%s: the service saw %s=%v", h, k, got)
			}
		}
	}
}

func TestAnAggpaydThatIgnoresTheSignedRequestIsNeverTakenForTheMerchant(t *testing.T) {
	f := newFixture(t)
	f.rec.ignoreSigned = true
	// The route answers an anonymous call with UNAUTHENTICATED: the gateway's fault, not the
	// client's credential.
	r := send(t, "GET", f.url, "/v1/merchant", "", testKeyID, nil, nil, nil)
	if e := r.apiError(t); r.status != 500 || e.Code != "INTERNAL" {
		t.Fatalf("anonymous refusal: %d %+v", r.status, e)
	}
	// A route that answers an anonymous call: without aggpayd's merchant, still no success.
	r = send(t, "GET", f.url, "/v1/merchant?merchant_id=m_anonymous", "", testKeyID, nil, nil,
		nil)
	if strings.Contains(string(r.body), "Test noodles") {
		t.Fatalf("the anonymous answer reached the client: %s", r.body)
	}
	if e := r.apiError(t); r.status != 500 || e.Code != "INTERNAL" {
		t.Fatalf("anonymous answer: %d %+v", r.status, e)
	}
}

func TestABadSignatureIsA401EvenWhereNoCallIsMade(t *testing.T) {
	f := newFixture(t)
	other := "/v1/other"
	// grpc-gateway refuses these before any call; the signature is still checked first.
	for _, c := range []struct{ method, target, body string }{
		{"GET", "/v1/no-such-route", ""},
		{"GET", "/v1/fees/quote", ""},
		{"POST", "/v1/fees/quote", `{"amount":`},
	} {
		r := send(t, c.method, f.url, c.target, c.body, testKeyID, nil, &other, nil)
		if e := r.apiError(t); r.status != 401 || e.Message != "signature mismatch" {
			t.Fatalf("%s %s: %d %+v", c.method, c.target, r.status, e)
		}
	}
}

// Microservices mode: a route's service at another address than the merchant service's gets the
// merchant the gateway authenticated with AuthenticateRequest first, never the signed request
// (that process could not authenticate it); the merchant service's own routes keep one hop.
func TestAServiceElsewhereGetsTheAuthenticatedMerchant(t *testing.T) {
	merchantAddr, rec := startFakes(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	feeRec := &recorder{}
	srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req interface{},
		info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (interface{}, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		if len(md.Get(signedRequestKey)) > 0 {
			return nil, status.Error(codes.Internal, "a signed request reached the fee service")
		}
		return handler(ctx, req)
	}))
	aggpayv1.RegisterFeeServiceServer(srv, &fakeFees{rec: feeRec})
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	feeAddr := ln.Addr().String()

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := &config{
		grpcAddr:        merchantAddr,
		serviceAddrs:    map[string]*string{"fee": &feeAddr},
		authTimeout:     2 * time.Second,
		upstreamTimeout: 5 * time.Second,
		secret:          testSecret,
	}
	h, err := newGateway(ctx, cfg, []byte(`{"swagger":"2.0"}`))
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(h)
	t.Cleanup(gw.Close)

	body := `{"channel":"wechat","amount":{"currency":"CNY","amount_minor":"10000"}}`
	r := send(t, "POST", gw.URL, "/v1/fees/quote", body, testKeyID, nil, nil, nil)
	if r.status != 200 {
		t.Fatalf("quote: %d %s", r.status, r.body)
	}
	auth, ok := rec.last("AuthenticateRequest")
	if !ok || auth.auth.Method != "POST" || auth.auth.PathAndQuery != "/v1/fees/quote" {
		t.Fatalf("AuthenticateRequest: %v %+v", ok, auth.auth)
	}
	call, _ := feeRec.last("Quote")
	if got := call.md.Get(merchantKey); len(got) != 1 || got[0] != "m_test" {
		t.Errorf("the fee service saw merchant %v", got)
	}
	// Refusals are AuthenticateRequest's, as before.
	other := "/v1/other"
	r = send(t, "POST", gw.URL, "/v1/fees/quote", body, testKeyID, nil, &other, nil)
	if e := r.apiError(t); r.status != 401 || e.Message != "signature mismatch" {
		t.Fatalf("bad signature: %d %+v", r.status, e)
	}
	r = send(t, "POST", gw.URL, "/v1/fees/quote", body, limitedKeyID, nil, nil, nil)
	if e := r.apiError(t); r.status != 429 || r.header.Get("Retry-After") != "2" {
		t.Fatalf("rate limit: %d %+v", r.status, e)
	}
	// The merchant service's own route: one hop.
	rec.reset()
	r = send(t, "GET", gw.URL, "/v1/merchant", "", testKeyID, nil, nil, nil)
	if r.status != 200 {
		t.Fatalf("merchant: %d %s", r.status, r.body)
	}
	if _, called := rec.last("AuthenticateRequest"); called {
		t.Error("AuthenticateRequest called for the merchant service's own route")
	}
}

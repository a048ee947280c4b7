package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	aggpayv1 "aggpay/gen/aggpay/v1"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fakeBindings answers ResolveCode by code id: "c_payable", "c_dynamic", "c_replaced",
// "c_frozen", "c_limited"; anything else is NOT_FOUND.
type fakeBindings struct {
	aggpayv1.UnimplementedBindingServiceServer
	rec *recorder
}

func (f *fakeBindings) ResolveCode(ctx context.Context,
	req *aggpayv1.ResolveCodeRequest) (*aggpayv1.ResolvedCode, error) {
	f.rec.add(ctx, "ResolveCode", nil)
	switch req.Code {
	case "c_payable":
		return &aggpayv1.ResolvedCode{Outcome: "PAYABLE", CodeId: req.Code, Kind: "STATIC",
			MerchantDisplayName: "Noodle <House>", StoreId: "st_1", TerminalSn: "T1"}, nil
	case "c_dynamic":
		return &aggpayv1.ResolvedCode{Outcome: "PAYABLE", CodeId: req.Code, Kind: "DYNAMIC",
			MerchantDisplayName: "Noodle House", StoreId: "st_1",
			Amount: &aggpayv1.Money{Currency: "CNY", AmountMinor: 1250}}, nil
	case "c_replaced":
		return &aggpayv1.ResolvedCode{Outcome: "REPLACED", CodeId: req.Code,
			Message: "this code has been replaced"}, nil
	case "c_expired", "c_unbound":
		return &aggpayv1.ResolvedCode{Outcome: strings.ToUpper(req.Code[2:]), CodeId: req.Code}, nil
	case "c_frozen":
		return &aggpayv1.ResolvedCode{Outcome: "MERCHANT_FROZEN", CodeId: req.Code,
			MerchantDisplayName: "Frozen Fruit"}, nil
	case "c_limited":
		return nil, status.Error(codes.ResourceExhausted, "too many resolves")
	}
	return nil, status.Error(codes.NotFound, "code not found")
}

// cashierPayments is the payment service as the cashier sees it: one payment per key.
type cashierPayments struct {
	aggpayv1.UnimplementedPaymentServiceServer
	rec      *recorder
	mu       sync.Mutex
	byKey    map[string]*aggpayv1.Payment
	lastCode *aggpayv1.CreateCodePaymentRequest
	paid     []string
}

func (f *cashierPayments) CreateCodePayment(ctx context.Context,
	req *aggpayv1.CreateCodePaymentRequest) (*aggpayv1.Payment, error) {
	f.rec.add(ctx, "CreateCodePayment", nil)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastCode = req
	if req.Amount.GetAmountMinor() > 5000000 {
		st, _ := status.New(codes.InvalidArgument, "amount: at most 50000.00").WithDetails(
			&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
				{Field: "amount", Description: "at most 50000.00"}}})
		return nil, st.Err()
	}
	if p, ok := f.byKey[req.ClientRequestId]; ok {
		return p, nil
	}
	p := &aggpayv1.Payment{PaymentId: "pay_" + req.ClientRequestId[2:10], Status: "PAYING",
		Amount: req.Amount, ClientRequestId: req.ClientRequestId, MerchantId: "m_secret"}
	f.byKey[req.ClientRequestId] = p
	return p, nil
}

func (f *cashierPayments) GetPaymentStatus(ctx context.Context,
	req *aggpayv1.GetPaymentStatusRequest) (*aggpayv1.PaymentStatus, error) {
	f.rec.add(ctx, "GetPaymentStatus", nil)
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.byKey[req.ClientRequestId]
	if !ok || p.PaymentId != req.PaymentId {
		return nil, status.Error(codes.NotFound, "payment not found")
	}
	return &aggpayv1.PaymentStatus{PaymentId: p.PaymentId, Status: p.Status, Amount: p.Amount}, nil
}

func (f *cashierPayments) SandboxPay(ctx context.Context,
	req *aggpayv1.SandboxPayRequest) (*aggpayv1.Payment, error) {
	f.rec.add(ctx, "SandboxPay", nil)
	if !internalOK(ctx) {
		return nil, status.Error(codes.Unauthenticated, "no credential")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.byKey {
		if p.PaymentId == req.PaymentId {
			p.Status = "SUCCESS"
			if req.Decline {
				p.Status = "FAILED"
			}
			f.paid = append(f.paid, p.PaymentId)
			return p, nil
		}
	}
	return nil, status.Error(codes.NotFound, "payment not found")
}

type cashierFixture struct {
	url      string
	rec      *recorder
	payments *cashierPayments
}

func newCashierFixture(t *testing.T, sandbox bool) *cashierFixture {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	payments := &cashierPayments{rec: rec, byKey: map[string]*aggpayv1.Payment{}}
	srv := grpc.NewServer()
	aggpayv1.RegisterMerchantServiceServer(srv, &fakeMerchants{rec: rec})
	aggpayv1.RegisterBindingServiceServer(srv, &fakeBindings{rec: rec})
	aggpayv1.RegisterPaymentServiceServer(srv, payments)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := &config{grpcAddr: ln.Addr().String(), serviceAddrs: map[string]*string{},
		authTimeout: 2 * time.Second, upstreamTimeout: 5 * time.Second, secret: testSecret,
		publicRate: 100, publicBurst: 100, cashierSandbox: sandbox}
	h, err := newGateway(ctx, cfg, []byte(`{"swagger":"2.0"}`))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return &cashierFixture{url: hs.URL, rec: rec, payments: payments}
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

func (f *cashierFixture) do(t *testing.T, method, path, form string,
	header map[string]string) (int, http.Header, string) {
	t.Helper()
	var body io.Reader
	if form != "" {
		body = strings.NewReader(form)
	}
	req, err := http.NewRequest(method, f.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// formKey is the idempotency key rendered into a pay page.
func formKey(t *testing.T, html string) string {
	t.Helper()
	const marker = `name="k" value="`
	i := strings.Index(html, marker)
	if i < 0 {
		t.Fatalf("no key in the page: %s", html)
	}
	rest := html[i+len(marker):]
	return rest[:strings.IndexByte(rest, '"')]
}

func TestCashierPayPage(t *testing.T) {
	f := newCashierFixture(t, true)
	st, h, body := f.do(t, "GET", "/c/c_payable", "", nil)
	if st != 200 {
		t.Fatalf("status %d: %s", st, body)
	}
	if h.Get("Content-Security-Policy") != cashierCSP ||
		!strings.Contains(cashierCSP, "script-src 'self'") {
		t.Errorf("CSP %q", h.Get("Content-Security-Policy"))
	}
	if h.Get("Cache-Control") != "no-store" || h.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers %v", h)
	}
	for _, want := range []string{`lang="zh-CN"`, "Noodle &lt;House&gt;", "st_1", "付款",
		`name="wallet" value="wechat"`, `name="wallet" value="alipay"`, `class="keypad"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, "style=") ||
		strings.Contains(body, "http://") || strings.Contains(body, "https://") {
		t.Errorf("inline script, inline style or another origin in the page: %s", body)
	}
	k1, k2 := formKey(t, body), formKey(t, f.pageBody(t, "/c/c_payable", nil))
	if !validKey(k1) || k1 == k2 {
		t.Errorf("keys %q %q: one random key per page view", k1, k2)
	}
	call, _ := f.rec.last("ResolveCode")
	if v := call.md.Get(clientAddressKey); len(v) != 1 || v[0] != "127.0.0.1" {
		t.Errorf("resolve without the payer's address: %v", call.md)
	}
	if v := call.md.Get(internalKey); len(v) != 0 {
		t.Errorf("resolve with the internal credential: %v", v)
	}

	// English by Accept-Language; the wallet from the app's User-Agent.
	en := f.pageBody(t, "/c/c_payable", map[string]string{
		"Accept-Language": "en-US,en;q=0.9,zh;q=0.5",
		"User-Agent":      "Mozilla/5.0 (iPhone) MicroMessenger/8.0.40",
	})
	if !strings.Contains(en, `lang="en"`) || !strings.Contains(en, ">Pay<") ||
		!strings.Contains(en, `name="wallet" value="wechat"`) ||
		strings.Contains(en, `value="alipay"`) {
		t.Errorf("English WeChat page: %s", en)
	}
	// A dynamic code: its own amount, no keypad.
	dyn := f.pageBody(t, "/c/c_dynamic", nil)
	if !strings.Contains(dyn, "¥12.50") || strings.Contains(dyn, `class="keypad"`) ||
		!strings.Contains(dyn, `name="amount" value="12.50"`) {
		t.Errorf("dynamic code page: %s", dyn)
	}
	if st, _, _ := f.do(t, "GET", "/cashier/cashier.js", "", nil); st != 200 {
		t.Errorf("script: %d", st)
	}
}

func (f *cashierFixture) pageBody(t *testing.T, path string, header map[string]string) string {
	st, _, body := f.do(t, "GET", path, "", header)
	if st != 200 {
		t.Fatalf("%s: %d %s", path, st, body)
	}
	return body
}

func TestCashierOutcomePages(t *testing.T) {
	f := newCashierFixture(t, false)
	for _, c := range []struct {
		path   string
		status int
		want   []string
		absent []string
	}{
		{"/c/c_replaced", 410, []string{"收款码已更换", "请向商家索取新的收款码"}, []string{"<form"}},
		{"/c/c_frozen", 200, []string{"Frozen Fruit", "该商家暂时无法收款"}, []string{"<form"}},
		{"/c/c_expired", 410, []string{"收款码已过期"}, []string{"<form"}},
		{"/c/c_unbound", 410, []string{"此收款码未绑定商家"}, []string{"<form"}},
		{"/c/c_missing", 404, []string{"收款码无效"}, nil},
		{"/c/bad%20id", 404, []string{"收款码无效"}, nil},
		{"/c/c_limited", 429, []string{"请求过于频繁"}, nil},
	} {
		st, _, body := f.do(t, "GET", c.path, "", nil)
		if st != c.status {
			t.Errorf("%s: status %d, want %d", c.path, st, c.status)
		}
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q: %s", c.path, w, body)
			}
		}
		for _, a := range c.absent {
			if strings.Contains(body, a) {
				t.Errorf("%s has %q", c.path, a)
			}
		}
	}
	_, _, en := f.do(t, "GET", "/c/c_replaced", "", map[string]string{"Accept-Language": "en"})
	if !strings.Contains(en, "This code has been replaced; ask the merchant for the new one.") {
		t.Errorf("English replaced page: %s", en)
	}
	// No sandbox behind this gateway: no confirm step.
	if st, _, _ := f.do(t, "GET", "/c/c_payable/confirm?p=x&k=y", "", nil); st != 404 {
		t.Errorf("confirm without the sandbox: %d", st)
	}
}

func TestCashierPayCreatesOnePaymentPerKey(t *testing.T) {
	f := newCashierFixture(t, true)
	key := formKey(t, f.pageBody(t, "/c/c_payable", nil))
	form := url.Values{"k": {key}, "amount": {"12.34"}, "currency": {"CNY"},
		"wallet": {"alipay"}, "payer_ip": {"6.6.6.6"}}.Encode()
	hdr := map[string]string{"X-Forwarded-For": "8.8.8.8"}
	st, h, body := f.do(t, "POST", "/c/c_payable/pay", form, hdr)
	if st != http.StatusSeeOther {
		t.Fatalf("pay: %d %s", st, body)
	}
	next := h.Get("Location")
	if !strings.HasPrefix(next, "/c/c_payable/confirm?p=pay_") || !strings.Contains(next, key) {
		t.Fatalf("next %q", next)
	}
	req := f.payments.lastCode
	if req.PayerIp != "127.0.0.1" || req.Amount.GetAmountMinor() != 1234 ||
		req.Amount.GetCurrency() != "CNY" || req.Wallet != "alipay" ||
		req.ClientRequestId != key || req.Code != "c_payable" {
		t.Errorf("CreateCodePayment got %+v", req)
	}
	call, _ := f.rec.last("CreateCodePayment")
	if v := call.md.Get(internalKey); len(v) != 0 {
		t.Errorf("payment created with the internal credential")
	}
	if v := call.md.Get(clientAddressSigKey); len(v) != 1 ||
		v[0] != clientAddressSig(testSecret, "127.0.0.1") {
		t.Errorf("client address proof %v", v)
	}
	// The same page view again (a double tap, a retry): the same payment.
	st, h2, _ := f.do(t, "POST", "/c/c_payable/pay", form,
		map[string]string{"Accept": "application/json"})
	if st != 200 || len(f.payments.byKey) != 1 {
		t.Fatalf("second submission: %d, %d payments", st, len(f.payments.byKey))
	}
	_ = h2
	// The sandbox wallet confirms; the result page then shows success.
	q, _ := url.Parse(next)
	p := q.Query().Get("p")
	if body := f.pageBody(t, next, nil); !strings.Contains(body, "¥12.34") ||
		!strings.Contains(body, "确认付款") {
		t.Errorf("confirm page: %s", body)
	}
	// Someone else's key: nothing.
	if st, _, _ := f.do(t, "POST", "/c/c_payable/confirm",
		url.Values{"p": {p}, "k": {"cq" + strings.Repeat("0", 30)}}.Encode(), nil); st != 404 {
		t.Errorf("confirm with a wrong key: %d", st)
	}
	if len(f.payments.paid) != 0 {
		t.Fatal("paid with a wrong key")
	}
	st, h, _ = f.do(t, "POST", "/c/c_payable/confirm",
		url.Values{"p": {p}, "k": {key}, "decision": {"pay"}}.Encode(), nil)
	if st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/c/c_payable/result?") {
		t.Fatalf("confirm: %d %v", st, h)
	}
	if call, _ := f.rec.last("SandboxPay"); len(call.md.Get(internalKey)) != 1 {
		t.Error("SandboxPay without the internal credential")
	}
	// Another key, or none, reads nothing.
	for _, q := range []string{"?p=" + p + "&k=cq" + strings.Repeat("1", 30), "?p=" + p, ""} {
		if st, _, body := f.do(t, "GET", "/c/c_payable/result"+q, "", nil); st != 404 ||
			strings.Contains(body, "12.34") {
			t.Errorf("result%s: %d %s", q, st, body)
		}
		if st, _, body := f.do(t, "GET", "/c/c_payable/status"+q, "", nil); st != 404 ||
			strings.Contains(body, "SUCCESS") {
			t.Errorf("status%s: %d %s", q, st, body)
		}
	}
	if body := f.pageBody(t, h.Get("Location"), nil); !strings.Contains(body, "付款成功") ||
		!strings.Contains(body, `data-final="true"`) {
		t.Errorf("result page: %s", body)
	}
	_, _, js := f.do(t, "GET", "/c/c_payable/status?p="+p+"&k="+key, "",
		map[string]string{"Accept-Language": "en"})
	if !strings.Contains(js, `"status":"SUCCESS"`) || !strings.Contains(js, `"final":true`) ||
		!strings.Contains(js, "Payment successful") || strings.Contains(js, "m_secret") {
		t.Errorf("status JSON: %s", js)
	}
}

func TestCashierPayRefusesBadInput(t *testing.T) {
	f := newCashierFixture(t, true)
	key := formKey(t, f.pageBody(t, "/c/c_payable", nil))
	for _, c := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"k": {key}, "amount": {"0"}, "wallet": {"wechat"}}, "amount"},
		{url.Values{"k": {key}, "amount": {"1.234"}, "wallet": {"wechat"}}, "amount"},
		{url.Values{"k": {key}, "amount": {"-1"}, "wallet": {"wechat"}}, "amount"},
		{url.Values{"k": {key}, "amount": {"1e3"}, "wallet": {"wechat"}}, "amount"},
		{url.Values{"k": {key}, "amount": {"1"}, "wallet": {"paypal"}}, "wallet"},
		{url.Values{"k": {"guess"}, "amount": {"1"}, "wallet": {"wechat"}}, "k"},
		{url.Values{"k": {key}, "amount": {"1"}, "wallet": {"wechat"}, "currency": {"XXX"}},
			"currency"},
	} {
		st, _, body := f.do(t, "POST", "/c/c_payable/pay", c.form.Encode(),
			map[string]string{"Accept": "application/json"})
		if st != 400 || !strings.Contains(body, `"field":"`+c.field+`"`) {
			t.Errorf("%v: %d %s", c.form, st, body)
		}
	}
	if len(f.payments.byKey) != 0 {
		t.Fatalf("bad input reached the payment service")
	}
	// The service's own limit: the pay page again, with the error, the amount and the same key.
	st, _, body := f.do(t, "POST", "/c/c_payable/pay",
		url.Values{"k": {key}, "amount": {"60000"}, "wallet": {"wechat"}}.Encode(), nil)
	if st != 400 || !strings.Contains(body, "金额无效") || !strings.Contains(body, `value="60000"`) ||
		formKey(t, body) != key {
		t.Errorf("refused by the service: %d %s", st, body)
	}
	// A form posted from another site.
	st, _, _ = f.do(t, "POST", "/c/c_payable/pay",
		url.Values{"k": {key}, "amount": {"1"}, "wallet": {"wechat"}}.Encode(),
		map[string]string{"Origin": "https://evil.example"})
	if st != 403 {
		t.Errorf("cross-site post: %d", st)
	}
	st, _, _ = f.do(t, "POST", "/c/c_payable/pay",
		url.Values{"k": {key}, "amount": {"1"}, "wallet": {"wechat"}}.Encode(),
		map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "null"})
	if st != 403 || len(f.payments.byKey) != 0 {
		t.Errorf("cross-site post (Sec-Fetch-Site): %d", st)
	}
	// The page's own post under its no-referrer policy: Origin null, same-origin fetch.
	st, _, _ = f.do(t, "POST", "/c/c_payable/pay",
		url.Values{"k": {key}, "amount": {"1"}, "wallet": {"wechat"}}.Encode(),
		map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "null"})
	if st != http.StatusSeeOther {
		t.Errorf("own post: %d", st)
	}
}

func TestPickLanguage(t *testing.T) {
	for in, want := range map[string]string{
		"":                             "zh-CN",
		"fr-FR":                        "zh-CN",
		"en":                           "en",
		"en-GB,en;q=0.9":               "en",
		"zh-CN,zh;q=0.9,en;q=0.8":      "zh-CN",
		"fr;q=1,en;q=0.5,zh;q=0.4":     "en",
		"zh-TW;q=0.9,en-US;q=0.95":     "en",
		"en;q=0":                       "zh-CN",
		"de, zh-Hans-CN;q=0.7, en;q=x": "zh-CN",
	} {
		if got := pickLanguage(in); got != want {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
	}
}

func TestWalletFromUserAgent(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (Linux; Android 13) MicroMessenger/8.0.42.2460(0x28002A58) WeChat/arm64": "wechat",
		"Mozilla/5.0 (iPhone) AlipayClient/10.5.36.6000 Language/zh-Hans":                     "alipay",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1":                               "",
	} {
		if got := walletFromUserAgent(ua); got != want {
			t.Errorf("%q: %q, want %q", ua, got, want)
		}
	}
}

func TestParseAmount(t *testing.T) {
	for in, want := range map[string]int64{"1": 100, "12.3": 1230, "12.34": 1234, "0.01": 1,
		" 7 ": 700, "99999999.99": 9999999999} {
		if got, err := parseAmount(in, 2); err != nil || got != want {
			t.Errorf("%q: %d %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "0.00", "1.", ".5", "1.234", "-1", "+1", "1e2", "1,00",
		"１", "999999999999", "1.2.3", "0x10"} {
		if got, err := parseAmount(in, 2); err == nil {
			t.Errorf("%q accepted as %d", in, got)
		}
	}
	if got, err := parseAmount("1500", 0); err != nil || got != 1500 {
		t.Errorf("JPY: %d %v", got, err)
	}
	if _, err := parseAmount("15.5", 0); err == nil {
		t.Error("JPY with decimals accepted")
	}
	if formatMinor(1230, "CNY") != "12.30" || amountText(5, "CNY") != "¥0.05" ||
		amountText(1500, "JPY") != "1500 JPY" {
		t.Error("formatting")
	}
}

func TestCashierTextHasEveryKeyInBothLanguages(t *testing.T) {
	for k := range cashierText["zh-CN"] {
		if cashierText["en"][k] == "" {
			t.Errorf("%s has no English", k)
		}
	}
	for k := range cashierText["en"] {
		if cashierText["zh-CN"][k] == "" {
			t.Errorf("%s has no Chinese", k)
		}
	}
	for _, o := range outcomeKeys {
		if cashierText["en"][o+"_title"] == "" || cashierText["en"][o+"_text"] == "" {
			t.Errorf("outcome %s has no page text", o)
		}
	}
}

package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	aggpayv1 "aggpay/gen/aggpay/v1"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// The payer's cashier page (services/gateway/README.md, "The cashier page"):
//
//	GET  /c/{code_id}                  resolve the code; the pay form, or the outcome's own page
//	POST /c/{code_id}/pay              create the payment (amount, wallet, k); 303 to the next step
//	GET  /c/{code_id}/confirm?p=&k=    the sandbox wallet's confirm step (--cashier-sandbox only)
//	POST /c/{code_id}/confirm          the payer confirms or declines in the sandbox wallet
//	GET  /c/{code_id}/result?p=&k=     the payment's status, polled until it is final
//	GET  /c/{code_id}/status?p=&k=     the same as JSON, for the result page's script
//	GET  /cashier/{cashier.css,cashier.js,icon.svg}
//
// Every page is rendered on the server and works before (and without) the script; the script
// adds the keypad, a pay button that cannot be tapped twice and the result page's polling.
// k is the page view's idempotency key: random, rendered into the form, sent as the payment's
// client_request_id, so that a repeated submission answers with the same payment, and together
// with the payment id it is the payer's only credential for the payment's status.
const (
	cashierPrefix      = "/c/"
	cashierAssetPrefix = "/cashier/"
	// Static codes carry no amount and so no currency: the cashier takes payments in CNY.
	cashierCurrency = "CNY"
	// Largest amount the page accepts before asking the payment service, which has its own limit.
	maxCashierAmountMinor = 99999999999
	maxCashierFormBytes   = 4 << 10
)

//go:embed cashier
var cashierFiles embed.FS

// The Content-Security-Policy of every cashier response: nothing but the gateway's own script,
// style and images, forms posted only back to it, never framed.
const cashierCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

type cashierAsset struct {
	contentType string
	body        []byte
	etag        string
}

// cashier serves the pages. It calls the binding and payment services as an anonymous public
// caller carrying the payer's address (vouched for with the gateway's HMAC, as on /v1/public/),
// and, only with --cashier-sandbox, SandboxPay with the internal credential.
type cashier struct {
	bindings aggpayv1.BindingServiceClient
	payments aggpayv1.PaymentServiceClient
	secret   string
	// The sandbox channel runs behind this gateway: the sandbox wallet's confirm step is shown.
	sandbox bool
	limiter *addressLimiter
	proxies *trustedProxies
	timeout time.Duration
	tmpl    *template.Template
	assets  map[string]cashierAsset
}

func newCashier(bindings aggpayv1.BindingServiceClient, payments aggpayv1.PaymentServiceClient,
	secret string, sandbox bool, limiter *addressLimiter, proxies *trustedProxies,
	timeout time.Duration) (*cashier, error) {
	tmpl, err := template.New("").ParseFS(cashierFiles, "cashier/*.html")
	if err != nil {
		return nil, fmt.Errorf("cashier templates: %v", err)
	}
	assets := map[string]cashierAsset{}
	for name, ct := range map[string]string{
		"cashier.css": "text/css; charset=utf-8",
		"cashier.js":  "text/javascript; charset=utf-8",
		"icon.svg":    "image/svg+xml",
	} {
		b, err := cashierFiles.ReadFile("cashier/" + name)
		if err != nil {
			return nil, fmt.Errorf("cashier assets: %v", err)
		}
		sum := sha256.Sum256(b)
		assets[cashierAssetPrefix+name] = cashierAsset{ct, b,
			`"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return &cashier{bindings: bindings, payments: payments, secret: secret, sandbox: sandbox,
		limiter: limiter, proxies: proxies, timeout: timeout, tmpl: tmpl, assets: assets}, nil
}

// page is what a template renders.
type page struct {
	Lang string
	T    map[string]string
	// The template of the body: "pay", "outcome", "confirm" or "result".
	Body   string
	Title  string
	CodeID string
	// The outcome pages' text, and the merchant's name where the outcome allows it.
	Heading  string
	Message  string
	Merchant string
	Store    string
	// The pay form.
	Key          string
	FixedAmount  string
	Amount       string
	Currency     string
	Wallet       string
	WalletChoice bool
	Error        string
	ErrorField   string
	// The confirm and result pages.
	PaymentID    string
	Status       string
	StatusText   string
	Final        bool
	Success      bool
	AmountText   string
	RefreshAfter int
}

func (c *cashier) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", cashierCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	if a, ok := c.assets[r.URL.Path]; ok {
		c.serveAsset(w, r, a)
		return
	}
	lang := pickLanguage(r.Header.Get("Accept-Language"))
	codeID, action, ok := splitCashierPath(r.URL.Path)
	if !ok {
		c.outcome(w, lang, http.StatusNotFound, "", "NOT_FOUND", "")
		return
	}
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	post := r.Method == http.MethodPost
	switch {
	case action == "" && get:
		c.payPage(w, r, lang, codeID)
	case action == "pay" && post:
		c.pay(w, r, lang, codeID)
	case action == "confirm" && get && c.sandbox:
		c.confirmPage(w, r, lang, codeID)
	case action == "confirm" && post && c.sandbox:
		c.confirm(w, r, lang, codeID)
	case action == "result" && get:
		c.resultPage(w, r, lang, codeID)
	case action == "status" && get:
		c.statusJSON(w, r, codeID)
	case action == "" || action == "pay" || action == "result" || action == "status" ||
		(action == "confirm" && c.sandbox):
		allow := "GET, HEAD"
		if action == "pay" {
			allow = "POST"
		} else if action == "confirm" {
			allow = "GET, HEAD, POST"
		}
		h.Set("Allow", allow)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	default:
		c.outcome(w, lang, http.StatusNotFound, "", "NOT_FOUND", "")
	}
}

// splitCashierPath reads /c/{code_id} and /c/{code_id}/{action}. A code id is 1 to 64
// characters of [A-Za-z0-9_-]; the binding service decides whether it exists.
func splitCashierPath(p string) (codeID, action string, ok bool) {
	rest := strings.TrimPrefix(p, cashierPrefix)
	parts := strings.Split(rest, "/")
	if len(parts) > 2 || !validCodeID(parts[0]) {
		return "", "", false
	}
	if len(parts) == 2 {
		action = parts[1]
	}
	return parts[0], action, true
}

func validCodeID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' ||
			ch == '_' || ch == '-') {
			return false
		}
	}
	return true
}

func (c *cashier) serveAsset(w http.ResponseWriter, r *http.Request, a cashierAsset) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", a.contentType)
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("ETag", a.etag)
	if r.Header.Get("If-None-Match") == a.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(a.body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(a.body)
}

// publicContext is the context of a call made for the payer: the payer's address with the
// gateway's proof of it, the request id, no credential.
func (c *cashier) publicContext(r *http.Request, clientIP string) (context.Context,
	context.CancelFunc) {
	ctx, cancel := context.WithTimeout(r.Context(), c.timeout)
	md := metadata.Pairs(requestIDKey, requestInfoFrom(r.Context()).requestID)
	if clientIP != "" {
		md.Append(clientAddressKey, clientIP)
		md.Append(clientAddressSigKey, clientAddressSig(c.secret, clientIP))
	}
	return metadata.NewOutgoingContext(ctx, md), cancel
}

// --- The pay page. ---

func (c *cashier) payPage(w http.ResponseWriter, r *http.Request, lang, codeID string) {
	c.renderPay(w, r, lang, codeID, http.StatusOK, nil)
}

// payRetry is what the pay page shows again after a refused payment: the error, and the
// payer's key and amount (no payment was made with that key).
type payRetry struct {
	msg, field   string
	key, amount  string
	walletChoice string
}

// renderPay resolves the code and shows the pay form, or the outcome's page.
func (c *cashier) renderPay(w http.ResponseWriter, r *http.Request, lang, codeID string,
	httpStatus int, retry *payRetry) {
	clientIP := c.proxies.clientIP(r)
	ctx, cancel := c.publicContext(r, clientIP)
	defer cancel()
	code, err := c.bindings.ResolveCode(ctx, &aggpayv1.ResolveCodeRequest{Code: codeID})
	if err != nil {
		c.resolveFailed(w, r, lang, codeID, err)
		return
	}
	if code.GetOutcome() != "PAYABLE" {
		c.outcomePage(w, lang, codeID, code)
		return
	}
	p := c.newPage(lang, "pay", codeID)
	p.Title = code.GetMerchantDisplayName()
	p.Merchant = code.GetMerchantDisplayName()
	p.Store = code.GetStoreId()
	p.Currency = cashierCurrency
	if a := code.GetAmount(); a != nil && a.GetAmountMinor() > 0 {
		p.Currency = a.GetCurrency()
		p.FixedAmount = formatMinor(a.GetAmountMinor(), a.GetCurrency())
		p.Amount = p.FixedAmount
		p.AmountText = amountText(a.GetAmountMinor(), a.GetCurrency())
	}
	p.Wallet = walletFromUserAgent(r.UserAgent())
	p.WalletChoice = p.Wallet == ""
	if retry != nil {
		p.Error, p.ErrorField = retry.msg, retry.field
		p.Key = retry.key
		if p.FixedAmount == "" {
			p.Amount = retry.amount
		}
		if p.WalletChoice && walletNames[retry.walletChoice] {
			p.Wallet = retry.walletChoice
		}
	}
	if !validKey(p.Key) {
		key, err := newIdempotencyKey()
		if err != nil {
			c.outcome(w, lang, http.StatusServiceUnavailable, codeID, "ERROR", "")
			return
		}
		p.Key = key
	}
	c.render(w, httpStatus, p)
}

// newIdempotencyKey is one page view's client_request_id: "cq" and 120 random bits in hex, 32
// characters (the longest client_request_id the payment service takes).
func newIdempotencyKey() (string, error) {
	var b [15]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "cq" + hex.EncodeToString(b[:]), nil
}

func validKey(k string) bool {
	if len(k) != 32 || !strings.HasPrefix(k, "cq") {
		return false
	}
	_, err := hex.DecodeString(k[2:])
	return err == nil
}

func (c *cashier) resolveFailed(w http.ResponseWriter, r *http.Request, lang, codeID string,
	err error) {
	s, _ := status.FromError(err)
	switch s.Code() {
	case codes.NotFound, codes.InvalidArgument:
		c.outcome(w, lang, http.StatusNotFound, codeID, "NOT_FOUND", "")
	case codes.ResourceExhausted:
		e := fromStatus(s, requestInfoFrom(r.Context()).requestID)
		w.Header().Set("Retry-After", strconv.FormatInt(retryAfterSeconds(e.retryAfter), 10))
		c.outcome(w, lang, http.StatusTooManyRequests, codeID, "RATE_LIMITED", "")
	default:
		fromStatus(s, requestInfoFrom(r.Context()).requestID) // logs what is internal
		c.outcome(w, lang, http.StatusServiceUnavailable, codeID, "ERROR", "")
	}
}

// outcomePage shows a code that cannot be paid: only the merchant's display name, and only for
// a frozen merchant, whose payers should know whose shop it is.
func (c *cashier) outcomePage(w http.ResponseWriter, lang, codeID string,
	code *aggpayv1.ResolvedCode) {
	switch o := code.GetOutcome(); o {
	case "MERCHANT_FROZEN":
		c.outcome(w, lang, http.StatusOK, codeID, o, code.GetMerchantDisplayName())
	case "REPLACED", "EXPIRED", "UNBOUND":
		c.outcome(w, lang, http.StatusGone, codeID, o, "")
	default:
		log.Printf("ERROR unknown resolve outcome %q for code %s", o, codeID)
		c.outcome(w, lang, http.StatusServiceUnavailable, codeID, "ERROR", "")
	}
}

var outcomeKeys = map[string]string{
	"REPLACED":        "replaced",
	"EXPIRED":         "expired",
	"UNBOUND":         "unbound",
	"MERCHANT_FROZEN": "frozen",
	"NOT_FOUND":       "notfound",
	"RATE_LIMITED":    "ratelimited",
	"ERROR":           "error",
}

func (c *cashier) outcome(w http.ResponseWriter, lang string, httpStatus int, codeID, outcome,
	merchant string) {
	k := outcomeKeys[outcome]
	if k == "" {
		k = "error"
	}
	p := c.newPage(lang, "outcome", codeID)
	p.Status = outcome
	p.Heading = p.T[k+"_title"]
	p.Message = p.T[k+"_text"]
	p.Title = p.Heading
	p.Merchant = merchant
	c.render(w, httpStatus, p)
}

// --- Paying. ---

// pay creates the payment as POST /v1/public/payments does: rate-limited per payer address,
// payer_ip set to the address the gateway saw, the client's own claims ignored. The script sends
// Accept: application/json and gets {"next": URL} (or {"error":..., "field":...}); a plain form
// post gets a 303 to the same URL, or the pay page again with the error.
func (c *cashier) pay(w http.ResponseWriter, r *http.Request, lang, codeID string) {
	wantJSON := strings.Contains(r.Header.Get("Accept"), "application/json")
	fail := func(httpStatus int, field, msg string, form url.Values) {
		if wantJSON {
			writeJSON(w, httpStatus, map[string]string{"error": msg, "field": field})
			return
		}
		if form == nil {
			outcome := "ERROR"
			if httpStatus == http.StatusTooManyRequests {
				outcome = "RATE_LIMITED"
			}
			c.outcome(w, lang, httpStatus, codeID, outcome, "")
			return
		}
		c.renderPay(w, r, lang, codeID, httpStatus, &payRetry{msg: msg, field: field,
			key: form.Get("k"), amount: form.Get("amount"), walletChoice: form.Get("wallet")})
	}
	if !sameOrigin(r) {
		fail(http.StatusForbidden, "", c.text(lang, "err_origin"), nil)
		return
	}
	clientIP := c.proxies.clientIP(r)
	if clientIP == "" {
		fail(http.StatusBadRequest, "", c.text(lang, "error_text"), nil)
		return
	}
	if wait := c.limiter.take(clientIP); wait > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(retryAfterSeconds(wait), 10))
		fail(http.StatusTooManyRequests, "", c.text(lang, "ratelimited_text"), nil)
		return
	}
	form, err := readForm(r)
	if err != nil {
		fail(http.StatusBadRequest, "", c.text(lang, "error_text"), nil)
		return
	}
	key := form.Get("k")
	if !validKey(key) {
		fail(http.StatusBadRequest, "k", c.text(lang, "err_key"), form)
		return
	}
	currency := form.Get("currency")
	if currency == "" {
		currency = cashierCurrency
	}
	exp, known := currencyExponent[currency]
	if !known {
		fail(http.StatusBadRequest, "currency", c.text(lang, "err_currency"), form)
		return
	}
	minor, err := parseAmount(form.Get("amount"), exp)
	if err != nil {
		fail(http.StatusBadRequest, "amount", c.text(lang, "err_amount"), form)
		return
	}
	wallet := walletFromUserAgent(r.UserAgent())
	if wallet == "" {
		wallet = form.Get("wallet")
	}
	if _, ok := walletNames[wallet]; !ok {
		fail(http.StatusBadRequest, "wallet", c.text(lang, "err_wallet"), form)
		return
	}
	ctx, cancel := c.publicContext(r, clientIP)
	defer cancel()
	pay, err := c.payments.CreateCodePayment(ctx, &aggpayv1.CreateCodePaymentRequest{
		Code:            codeID,
		Amount:          &aggpayv1.Money{Currency: currency, AmountMinor: minor},
		Wallet:          wallet,
		PayerIp:         clientIP,
		ClientRequestId: key,
	})
	if err != nil {
		s, _ := status.FromError(err)
		e := fromStatus(s, requestInfoFrom(r.Context()).requestID)
		msg := c.text(lang, "err_pay")
		switch {
		case e.body.Field == "amount" || strings.HasPrefix(e.body.Field, "amount."):
			msg = c.text(lang, "err_amount") + " " + e.body.Message
		case s.Code() == codes.FailedPrecondition || s.Code() == codes.InvalidArgument:
			msg = c.text(lang, "err_pay") + " " + e.body.Message
		case s.Code() == codes.ResourceExhausted:
			w.Header().Set("Retry-After", strconv.FormatInt(retryAfterSeconds(e.retryAfter), 10))
			msg = c.text(lang, "ratelimited_text")
		}
		fail(e.body.HTTPStatus, e.body.Field, msg, form)
		return
	}
	next := c.nextURL(codeID, pay.GetPaymentId(), key, pay.GetStatus())
	if wantJSON {
		writeJSON(w, http.StatusOK, map[string]string{"next": next})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// nextURL is where a payment goes after it is created: the sandbox wallet while it waits for the
// payer, otherwise its result page (a real wallet's own step, JSAPI or a redirect to pay_url,
// belongs to that channel's adapter and is not built yet).
func (c *cashier) nextURL(codeID, paymentID, key, st string) string {
	q := "?p=" + url.QueryEscape(paymentID) + "&k=" + url.QueryEscape(key)
	if c.sandbox && (st == "CREATED" || st == "PAYING") {
		return cashierPrefix + codeID + "/confirm" + q
	}
	return cashierPrefix + codeID + "/result" + q
}

// sameOrigin refuses a form posted from another site, when the browser says where it came
// from: Sec-Fetch-Site, or else an Origin naming another host. The pages' no-referrer policy
// makes browsers send "Origin: null" for their own form posts, which tells nothing.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site != "cross-site"
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

func readForm(r *http.Request) (url.Values, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxCashierFormBytes+1))
	if err != nil || len(body) > maxCashierFormBytes {
		return nil, fmt.Errorf("the form is too large")
	}
	return url.ParseQuery(string(body))
}

// --- The sandbox wallet and the result. ---

// payerPayment checks p and k and asks the payment service for the payer's view of it.
func (c *cashier) payerPayment(r *http.Request, paymentID, key string) (*aggpayv1.PaymentStatus,
	error) {
	if paymentID == "" || len(paymentID) > 64 || !validKey(key) {
		return nil, status.Error(codes.NotFound, "payment not found")
	}
	ctx, cancel := c.publicContext(r, c.proxies.clientIP(r))
	defer cancel()
	return c.payments.GetPaymentStatus(ctx, &aggpayv1.GetPaymentStatusRequest{
		PaymentId: paymentID, ClientRequestId: key})
}

func (c *cashier) paymentPage(w http.ResponseWriter, r *http.Request, lang, codeID, body,
	paymentID, key string) (*page, bool) {
	st, err := c.payerPayment(r, paymentID, key)
	if err != nil {
		s, _ := status.FromError(err)
		switch s.Code() {
		case codes.NotFound, codes.InvalidArgument:
			c.outcome(w, lang, http.StatusNotFound, codeID, "NOT_FOUND", "")
		case codes.ResourceExhausted:
			c.outcome(w, lang, http.StatusTooManyRequests, codeID, "RATE_LIMITED", "")
		default:
			fromStatus(s, requestInfoFrom(r.Context()).requestID)
			c.outcome(w, lang, http.StatusServiceUnavailable, codeID, "ERROR", "")
		}
		return nil, false
	}
	p := c.newPage(lang, body, codeID)
	p.PaymentID = st.GetPaymentId()
	p.Key = key
	p.Status = st.GetStatus()
	p.StatusText = c.text(lang, "status_"+strings.ToLower(st.GetStatus()))
	p.Final = finalStatus(st.GetStatus())
	p.Success = st.GetStatus() == "SUCCESS"
	if a := st.GetAmount(); a != nil {
		p.AmountText = amountText(a.GetAmountMinor(), a.GetCurrency())
	}
	return p, true
}

func finalStatus(s string) bool { return s == "SUCCESS" || s == "FAILED" || s == "CLOSED" }

func (c *cashier) confirmPage(w http.ResponseWriter, r *http.Request, lang, codeID string) {
	q := r.URL.Query()
	p, ok := c.paymentPage(w, r, lang, codeID, "confirm", q.Get("p"), q.Get("k"))
	if !ok {
		return
	}
	if p.Final {
		http.Redirect(w, r, c.resultURL(codeID, p.PaymentID, p.Key), http.StatusSeeOther)
		return
	}
	p.Title = p.T["sandbox_title"]
	c.render(w, http.StatusOK, p)
}

// confirm is the sandbox wallet's answer. The payer proves the payment is theirs (p and k) before
// the gateway calls SandboxPay, which only its internal credential may.
func (c *cashier) confirm(w http.ResponseWriter, r *http.Request, lang, codeID string) {
	wantJSON := strings.Contains(r.Header.Get("Accept"), "application/json")
	if !sameOrigin(r) {
		c.outcome(w, lang, http.StatusForbidden, codeID, "ERROR", "")
		return
	}
	clientIP := c.proxies.clientIP(r)
	if wait := c.limiter.take(clientIP); clientIP == "" || wait > 0 {
		c.outcome(w, lang, http.StatusTooManyRequests, codeID, "RATE_LIMITED", "")
		return
	}
	form, err := readForm(r)
	if err != nil {
		c.outcome(w, lang, http.StatusBadRequest, codeID, "ERROR", "")
		return
	}
	p, ok := c.paymentPage(w, r, lang, codeID, "result", form.Get("p"), form.Get("k"))
	if !ok {
		return
	}
	if !p.Final {
		ctx, cancel := context.WithTimeout(r.Context(), c.timeout)
		defer cancel()
		ctx = metadata.NewOutgoingContext(ctx, withSharedSecret(metadata.Pairs(
			requestIDKey, requestInfoFrom(r.Context()).requestID), c.secret))
		_, err := c.payments.SandboxPay(ctx, &aggpayv1.SandboxPayRequest{
			PaymentId: p.PaymentID, Decline: form.Get("decision") == "decline"})
		if err != nil {
			s, _ := status.FromError(err)
			fromStatus(s, requestInfoFrom(r.Context()).requestID)
			log.Printf("sandbox pay failed payment=%s code=%s message=%q", p.PaymentID,
				codeName(s.Code()), s.Message())
			c.outcome(w, lang, http.StatusServiceUnavailable, codeID, "ERROR", "")
			return
		}
	}
	next := c.resultURL(codeID, p.PaymentID, p.Key)
	if wantJSON {
		writeJSON(w, http.StatusOK, map[string]string{"next": next})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *cashier) resultURL(codeID, paymentID, key string) string {
	return cashierPrefix + codeID + "/result?p=" + url.QueryEscape(paymentID) + "&k=" +
		url.QueryEscape(key)
}

func (c *cashier) resultPage(w http.ResponseWriter, r *http.Request, lang, codeID string) {
	q := r.URL.Query()
	p, ok := c.paymentPage(w, r, lang, codeID, "result", q.Get("p"), q.Get("k"))
	if !ok {
		return
	}
	p.Title = p.StatusText
	if !p.Final {
		p.RefreshAfter = 3 // without the script, the page reloads itself
	}
	c.render(w, http.StatusOK, p)
}

// statusJSON is what the result page's script polls.
func (c *cashier) statusJSON(w http.ResponseWriter, r *http.Request, codeID string) {
	w.Header().Set("Cache-Control", "no-store")
	lang := pickLanguage(r.Header.Get("Accept-Language"))
	q := r.URL.Query()
	st, err := c.payerPayment(r, q.Get("p"), q.Get("k"))
	if err != nil {
		s, _ := status.FromError(err)
		e := fromStatus(s, requestInfoFrom(r.Context()).requestID)
		writeJSON(w, e.body.HTTPStatus, map[string]string{"error": e.body.Code})
		return
	}
	writeJSON(w, http.StatusOK, map[string]interface{}{
		"status":      st.GetStatus(),
		"status_text": c.text(lang, "status_"+strings.ToLower(st.GetStatus())),
		"final":       finalStatus(st.GetStatus()),
		"success":     st.GetStatus() == "SUCCESS",
	})
}

// --- Rendering. ---

func (c *cashier) newPage(lang, body, codeID string) *page {
	return &page{Lang: lang, T: cashierText[lang], Body: body, CodeID: codeID}
}

func (c *cashier) text(lang, key string) string {
	if s, ok := cashierText[lang][key]; ok {
		return s
	}
	return cashierText["zh-CN"][key]
}

func (c *cashier) render(w http.ResponseWriter, httpStatus int, p *page) {
	var b strings.Builder
	if err := c.tmpl.ExecuteTemplate(&b, "layout", p); err != nil {
		log.Printf("ERROR cashier template %s: %v", p.Body, err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", p.Lang)
	h.Set("Vary", "Accept-Language, User-Agent")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(httpStatus)
	_, _ = io.WriteString(w, b.String())
}

func writeJSON(w http.ResponseWriter, httpStatus int, v interface{}) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(httpStatus)
	_, _ = w.Write(append(b, '\n'))
}

// --- Pure rules: language, wallet, amounts. ---

// pickLanguage is "en" when the browser prefers English to Chinese, "zh-CN" otherwise (the
// default, for a browser that names neither).
func pickLanguage(acceptLanguage string) string {
	bestQ, best := -1.0, "zh-CN"
	for _, part := range strings.Split(acceptLanguage, ",") {
		fields := strings.Split(strings.TrimSpace(part), ";")
		tag := strings.ToLower(strings.TrimSpace(fields[0]))
		q := 1.0
		for _, f := range fields[1:] {
			f = strings.TrimSpace(f)
			if strings.HasPrefix(f, "q=") {
				v, err := strconv.ParseFloat(f[2:], 64)
				if err != nil {
					v = 0
				}
				q = v
			}
		}
		var lang string
		switch {
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			lang = "en"
		case tag == "zh" || strings.HasPrefix(tag, "zh-"):
			lang = "zh-CN"
		default:
			continue
		}
		if q > bestQ {
			bestQ, best = q, lang
		}
	}
	if bestQ <= 0 {
		return "zh-CN"
	}
	return best
}

var walletNames = map[string]bool{"wechat": true, "alipay": true, "unionpay": true}

// walletFromUserAgent is the wallet whose app the page is open in, or "" for any other browser
// (the payer chooses).
func walletFromUserAgent(ua string) string {
	switch {
	case strings.Contains(ua, "MicroMessenger"):
		return "wechat"
	case strings.Contains(ua, "AlipayClient"):
		return "alipay"
	}
	return ""
}

// The currencies the cashier formats, with their exponents (services/common/money knows all).
var currencyExponent = map[string]int{"CNY": 2, "HKD": 2, "USD": 2, "EUR": 2, "JPY": 0}

// parseAmount reads a positive amount in major units with at most `exp` decimals ("12",
// "12.5", "12.50") into minor units. Nothing is rounded: a third decimal is an error.
func parseAmount(s string, exp int) (int64, error) {
	s = strings.TrimSpace(s)
	whole, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		whole, frac = s[:i], s[i+1:]
		if frac == "" || exp == 0 {
			return 0, fmt.Errorf("amount: malformed")
		}
	}
	if whole == "" || len(whole) > 11 || len(frac) > exp {
		return 0, fmt.Errorf("amount: malformed")
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, fmt.Errorf("amount: malformed")
			}
		}
	}
	for len(frac) < exp {
		frac += "0"
	}
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || v <= 0 || v > maxCashierAmountMinor {
		return 0, fmt.Errorf("amount: out of range")
	}
	return v, nil
}

// formatMinor is the amount in major units, as the form and the keypad write it ("12.30").
func formatMinor(minor int64, currency string) string {
	exp, ok := currencyExponent[currency]
	if !ok {
		exp = 2
	}
	if exp == 0 {
		return strconv.FormatInt(minor, 10)
	}
	div := int64(1)
	for i := 0; i < exp; i++ {
		div *= 10
	}
	return fmt.Sprintf("%d.%0*d", minor/div, exp, minor%div)
}

// amountText is the amount as a payer reads it: "¥12.30" for CNY, "12.30 USD" otherwise.
func amountText(minor int64, currency string) string {
	if currency == "CNY" {
		return "¥" + formatMinor(minor, currency)
	}
	return formatMinor(minor, currency) + " " + currency
}

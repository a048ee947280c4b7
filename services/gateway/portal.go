package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	aggpayv1 "aggpay/gen/aggpay/v1"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// The merchant portal (docs/portal.md): pages under /m/, its sign-in API under /m/api/, and
// the merchant REST routes (/v1/merchant/…, /v1/fees/…) called with the portal's session cookie
// instead of a signature.
//
// A portal session becomes the same merchant principal an API key does: the gateway asks the
// merchant service who the session is (CheckPortalSession), then forwards the request to
// grpc-gateway with the internal credential and the merchant id, exactly as a signed request,
// so the services enforce tenancy in the one place they always do. The portal's roles (owner,
// cashier, viewer) are the gateway's: portalRoutes says which routes each may call, and a
// route missing from it is refused to every session. The user and role travel along as
// metadata for the audit log's actor.
const (
	portalPrefix      = "/m/"
	portalSessionPath = "/m/api/session"
	portalCodePath    = "/m/api/sign-in-code"
	portalCookie      = "__Host-aggpay_portal"
	portalSessionPfx  = "agps_"
)

//go:embed portal
var portalFiles embed.FS

// Like the console's: nothing but the gateway's own files; blob: and data: images for the stand
// card drawn in the page.
const portalCSP = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: blob:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; " +
	"base-uri 'none'"

type portalRole uint8

const (
	roleOwner portalRole = 1 << iota
	roleCashier
	roleViewer
	anyRole = roleOwner | roleCashier | roleViewer
)

var portalRoleBits = map[string]portalRole{"owner": roleOwner, "cashier": roleCashier,
	"viewer": roleViewer}

// portalRoute: a merchant REST route a portal session may call, and by which roles. "*" in the
// pattern is one path segment.
type portalRoute struct {
	method  string
	pattern string
	roles   portalRole
}

// The portal's role table (docs/portal.md has it as a table). Reads are open to every role but
// the users and the code backup (owners) and the application and statements (not cashiers);
// changes are the owners', except payments and refunds, which cashiers take too.
var portalRoutes = []portalRoute{
	{"GET", "/v1/merchant", anyRole},
	{"GET", "/v1/merchant/application", roleOwner | roleViewer},
	{"GET", "/v1/merchant/stores", anyRole},
	{"GET", "/v1/merchant/terminals", anyRole},
	{"GET", "/v1/merchant/fee-plan", anyRole},
	{"POST", "/v1/fees/quote", anyRole},
	{"POST", "/v1/fees/refund-fee", anyRole},
	{"GET", "/v1/merchant/codes", anyRole},
	{"GET", "/v1/merchant/codes/*/image", anyRole},
	{"GET", "/v1/merchant/codes-backup", roleOwner},
	{"GET", "/v1/merchant/code-alerts", anyRole},
	{"POST", "/v1/merchant/codes/*/reset-requests", roleOwner},
	{"POST", "/v1/merchant/code-reset-requests/*/verify", roleOwner},
	{"GET", "/v1/merchant/payments", anyRole},
	{"GET", "/v1/merchant/payments/*", anyRole},
	{"POST", "/v1/merchant/payments", roleOwner | roleCashier},
	{"POST", "/v1/merchant/payments/*/refunds", roleOwner | roleCashier},
	{"GET", "/v1/merchant/settlements", anyRole},
	{"GET", "/v1/merchant/settlements/*/statement", roleOwner | roleViewer},
	{"GET", "/v1/merchant/next-payout", anyRole},
	{"POST", "/v1/merchant/settlement-account/otp", roleOwner},
	{"PUT", "/v1/merchant/settlement-account", roleOwner},
	{"PUT", "/v1/merchant/webhook", roleOwner},
	{"GET", "/v1/merchant/risk/freezes", anyRole},
	{"GET", "/v1/merchant/risk/alerts", anyRole},
	{"GET", "/v1/merchant/risk/thresholds", anyRole},
	{"PUT", "/v1/merchant/risk/thresholds", roleOwner},
	{"GET", "/v1/merchant/risk/appeals", roleOwner | roleViewer},
	{"POST", "/v1/merchant/risk/appeals", roleOwner},
	{"GET", "/v1/merchant/users", roleOwner},
	{"POST", "/v1/merchant/users", roleOwner},
	{"DELETE", "/v1/merchant/users/*", roleOwner},
	{"GET", "/v1/merchant/api-keys", roleOwner},
	{"POST", "/v1/merchant/api-keys", roleOwner},
	{"DELETE", "/v1/merchant/api-keys/*", roleOwner},
}

const refundRoute = "/v1/merchant/payments/*/refunds"

// overCashierLimit explains why a cashier's refund body is refused, or is "" when it is within
// the limit. An amount the gateway cannot read is refused too: the service would read it.
func (p *portal) overCashierLimit(body []byte) string {
	var req struct {
		Amount struct {
			AmountMinor json.Number `json:"amount_minor"`
		} `json:"amount"`
	}
	if json.Unmarshal(body, &req) != nil {
		return "amount: a cashier's refund must be JSON with amount.amount_minor"
	}
	minor, err := strconv.ParseInt(strings.Trim(string(req.Amount.AmountMinor), `"`), 10, 64)
	if err != nil {
		return "amount: a cashier's refund must name amount.amount_minor"
	}
	if minor > p.cashierRefundLimit {
		return fmt.Sprintf("amount: a cashier may refund at most %d minor units; ask an owner", p.cashierRefundLimit)
	}
	return ""
}

// findPortalRoute is the table's entry for the request, or nil.
func findPortalRoute(method, path string) *portalRoute {
	segs := strings.Split(path, "/")
	for i := range portalRoutes {
		pr := &portalRoutes[i]
		if pr.method != method {
			continue
		}
		want := strings.Split(pr.pattern, "/")
		if len(want) != len(segs) {
			continue
		}
		ok := true
		for k := range want {
			if want[k] != "*" && want[k] != segs[k] || want[k] == "*" && segs[k] == "" {
				ok = false
				break
			}
		}
		if ok {
			return pr
		}
	}
	return nil
}

type portal struct {
	merchants aggpayv1.MerchantServiceClient
	secret    string
	timeout   time.Duration
	next      http.Handler
	assets    map[string]cashierAsset
	signIns   *addressLimiter
	proxies   *trustedProxies
	// The largest refund (minor units) a cashier may make; owners have no portal limit.
	cashierRefundLimit int64
}

func newPortal(merchants aggpayv1.MerchantServiceClient, secret string, timeout time.Duration,
	proxies *trustedProxies, next http.Handler) (*portal, error) {
	assets, err := loadPageAssets(portalFiles, "portal", portalPrefix)
	if err != nil {
		return nil, err
	}
	page, ok := assets[portalPrefix+"index.html"]
	if !ok {
		return nil, errString("portal/index.html is missing")
	}
	// The page in each language: only <html lang> differs; the script picks its words by it.
	delete(assets, portalPrefix+"index.html")
	for _, lang := range []string{"zh-CN", "en"} {
		b := bytes.Replace(page.body, []byte(`<html lang="zh-CN">`),
			[]byte(`<html lang="`+lang+`">`), 1)
		assets["page:"+lang] = newAsset(page.contentType, b)
	}
	return &portal{merchants: merchants, secret: secret, timeout: timeout, next: next,
		assets: assets, signIns: newAddressLimiter(signInPerSecond, signInBurst),
		proxies: proxies}, nil
}

func portalSessionFrom(r *http.Request) string {
	return cookieSession(r, portalCookie, portalSessionPfx)
}

// ServeHTTP serves the pages (every page path is the one-page app) and the sign-in API.
func (p *portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setConsoleHeaders(w.Header())
	w.Header().Set("Content-Security-Policy", portalCSP)
	switch r.URL.Path {
	case portalSessionPath:
		p.session(w, r)
		return
	case portalCodePath:
		p.requestCode(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, r, "GET, HEAD")
		return
	}
	a, ok := p.assets[r.URL.Path]
	if !ok {
		rest := strings.TrimPrefix(r.URL.Path, portalPrefix)
		if strings.Contains(rest, ".") || strings.HasPrefix(rest, "api/") {
			http.NotFound(w, r)
			return
		}
		a = p.assets["page:"+pickLanguage(r.Header.Get("Accept-Language"))]
		w.Header().Set("Vary", "Accept-Language")
	}
	serveAsset(w, r, a)
}

func (p *portal) csrfToken(session string) string {
	return csrfFor(p.secret, "portal-csrf", session)
}

func (p *portal) setCookie(w http.ResponseWriter, value string, maxAge int) {
	setSessionCookie(w, portalCookie, value, maxAge)
}

// internal is a context for the merchant service's portal RPCs: the internal credential.
func (p *portal) internal(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(r.Context(), p.timeout)
	return metadata.NewOutgoingContext(ctx, withSharedSecret(metadata.Pairs(
		requestIDKey, requestInfoFrom(r.Context()).requestID), p.secret)), cancel
}

type portalSessionView struct {
	SignedIn           bool   `json:"signed_in"`
	UserID             string `json:"user_id,omitempty"`
	MerchantID         string `json:"merchant_id,omitempty"`
	MerchantName       string `json:"merchant_name,omitempty"`
	Mobile             string `json:"mobile,omitempty"`
	Role               string `json:"role,omitempty"`
	CSRFToken          string `json:"csrf_token,omitempty"`
	ExpiresAt          string `json:"expires_at,omitempty"`
	IdleTimeoutSeconds int64  `json:"idle_timeout_seconds,omitempty"`
}

func (p *portal) view(pr *aggpayv1.PortalPrincipal, session string) portalSessionView {
	u := pr.GetUser()
	return portalSessionView{SignedIn: true, UserID: u.GetUserId(), MerchantID: u.GetMerchantId(),
		MerchantName: pr.GetMerchantDisplayName(), Mobile: u.GetMobile(), Role: u.GetRole(),
		CSRFToken: p.csrfToken(session)}
}

// readSignIn reads a small JSON body into v, after the same-origin check and the per-address
// limit that every sign-in step shares.
func (p *portal) readSignIn(w http.ResponseWriter, r *http.Request, v interface{},
	shape string) bool {
	if !sameOrigin(r) {
		newAPIError(codes.PermissionDenied, "sign-in is accepted only from the portal").write(w)
		return false
	}
	if _, ok := limitClient(w, r, p.proxies, p.signIns, "sign-in attempts"); !ok {
		return false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxSignInBody+1))
	if err == nil && len(body) > maxSignInBody {
		bodyTooLarge(maxSignInBody).write(w)
		return false
	}
	if err != nil || json.Unmarshal(body, v) != nil {
		newAPIError(codes.InvalidArgument, "the body must be JSON "+shape).write(w)
		return false
	}
	return true
}

// requestCode: POST {mobile} sends a sign-in code by SMS.
func (p *portal) requestCode(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, r, "POST")
		return
	}
	var req struct {
		Mobile string `json:"mobile"`
	}
	if !p.readSignIn(w, r, &req, "{mobile}") {
		return
	}
	ctx, cancel := p.internal(r)
	defer cancel()
	resp, err := p.merchants.RequestPortalCode(ctx,
		&aggpayv1.RequestPortalCodeRequest{Mobile: strings.TrimSpace(req.Mobile)})
	if err != nil {
		p.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]interface{}{
		"expires_at":           time.Unix(resp.GetExpiresAt().GetSeconds(), 0).UTC().Format(time.RFC3339),
		"resend_after_seconds": resp.GetResendAfterSeconds()})
}

// session: POST {mobile, code} signs in, GET says who is signed in, DELETE signs out.
func (p *portal) session(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		var req struct {
			Mobile string `json:"mobile"`
			Code   string `json:"code"`
		}
		if !p.readSignIn(w, r, &req, "{mobile, code}") {
			return
		}
		ctx, cancel := p.internal(r)
		defer cancel()
		resp, err := p.merchants.VerifyPortalCode(ctx, &aggpayv1.VerifyPortalCodeRequest{
			Mobile: strings.TrimSpace(req.Mobile), Code: strings.TrimSpace(req.Code)})
		if err != nil {
			p.fail(w, r, err)
			return
		}
		p.setCookie(w, resp.GetSessionToken(), 0)
		v := p.view(resp.GetPrincipal(), resp.GetSessionToken())
		v.ExpiresAt = time.Unix(resp.GetExpiresAt().GetSeconds(), 0).UTC().Format(time.RFC3339)
		v.IdleTimeoutSeconds = resp.GetIdleTimeoutSeconds()
		writeJSON(w, http.StatusOK, v)
	case http.MethodGet:
		s := portalSessionFrom(r)
		if s == "" {
			writeJSON(w, http.StatusOK, portalSessionView{})
			return
		}
		pr, err := p.check(r, s)
		if status.Code(err) == codes.Unauthenticated {
			p.setCookie(w, "", -1)
			writeJSON(w, http.StatusOK, portalSessionView{})
			return
		}
		if err != nil {
			p.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, p.view(pr, s))
	case http.MethodDelete:
		s := portalSessionFrom(r)
		if s != "" {
			if !csrfValid(r, p.csrfToken(s)) {
				newAPIError(codes.PermissionDenied, "missing or wrong "+csrfHeader).write(w)
				return
			}
			ctx, cancel := p.internal(r)
			defer cancel()
			_, err := p.merchants.EndPortalSession(ctx, &aggpayv1.PortalSessionRef{SessionToken: s})
			if err != nil && status.Code(err) != codes.NotFound {
				p.fail(w, r, err)
				return
			}
		}
		p.setCookie(w, "", -1)
		w.WriteHeader(http.StatusNoContent)
	default:
		methodNotAllowed(w, r, "GET, POST, DELETE")
	}
}

func (p *portal) check(r *http.Request, session string) (*aggpayv1.PortalPrincipal, error) {
	ctx, cancel := p.internal(r)
	defer cancel()
	return p.merchants.CheckPortalSession(ctx, &aggpayv1.PortalSessionRef{SessionToken: session})
}

func (p *portal) fail(w http.ResponseWriter, r *http.Request, err error) {
	s, ok := status.FromError(err)
	if !ok {
		s = status.New(codes.Unknown, err.Error())
	}
	fromStatus(s, requestInfoFrom(r.Context()).requestID).write(w)
}

// merchant serves a merchant REST route for a portal session: the session is checked, the
// CSRF token required on every change, the role table applied, and the request forwarded as
// the session's merchant.
func (p *portal) merchant(w http.ResponseWriter, r *http.Request, session string) {
	info := requestInfoFrom(r.Context())
	safe := r.Method == http.MethodGet || r.Method == http.MethodHead
	if !safe && !csrfValid(r, p.csrfToken(session)) {
		newAPIError(codes.PermissionDenied, "missing or wrong "+csrfHeader).write(w)
		return
	}
	pr, err := p.check(r, session)
	if status.Code(err) == codes.Unauthenticated {
		p.setCookie(w, "", -1)
		newAPIError(codes.Unauthenticated, "the portal session has ended: sign in again").write(w)
		return
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	route := findPortalRoute(method, r.URL.Path)
	role := pr.GetUser().GetRole()
	if route == nil {
		newAPIError(codes.PermissionDenied, "the portal does not offer "+method+" "+r.URL.Path+
			": use an API key").write(w)
		return
	}
	if route.roles&portalRoleBits[role] == 0 {
		newAPIError(codes.PermissionDenied, "role "+role+" may not do this: ask an owner of "+
			"the merchant").write(w)
		return
	}
	if r.ContentLength > maxBodyBytes {
		tooLarge().write(w)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil || len(body) > maxBodyBytes {
		tooLarge().write(w)
		return
	}
	info.merchantID = pr.GetUser().GetMerchantId()
	info.portalUser = pr.GetUser().GetUserId()
	info.portalRole = role
	w.Header().Set("Cache-Control", "no-store")
	if role == "cashier" && p.cashierServe(w, r, route, body) {
		return
	}
	forwardTo(p.next, w, r, body)
}

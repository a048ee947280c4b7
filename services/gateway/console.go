package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"strings"
	"time"

	aggpayv1 "aggpay/gen/aggpay/v1"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// The staff console (docs/console.md): static pages under /console/, a session API under
// /console/api/session, and the staff REST routes under /v1/staff/, which grpc-gateway serves
// from the protos' google.api.http rules.
//
// Who the caller is, and what it may do, is decided in one place: aggpayd's auth interceptor.
// The gateway only carries the credential there. A console session is a staff credential like
// a bearer token ("agss_…" instead of "agst_…", services/admin/staff_directory.h): the gateway
// keeps it in an HttpOnly cookie and forwards it as "authorization: Bearer …" metadata, without
// the internal credential, so the services see exactly what a gRPC client with that credential
// would be.
const (
	consolePrefix      = "/console/"
	consoleSessionPath = "/console/api/session"
	staffPrefix        = "/v1/staff/"
	// Secure + the __Host- prefix: the browser sends it only over HTTPS (or to localhost), only
	// to this host, only for Path=/, and no subdomain can set it.
	sessionCookie = "__Host-aggpay_console"
	csrfHeader    = "X-CSRF-Token"
	maxSignInBody = 4 << 10
	// Sign-in attempts per client address: a burst of 10, then one every 5 s. The admin service
	// also locks an account after 5 failures in a row; this keeps one address from guessing
	// across many accounts, or from locking them all out quickly.
	signInPerSecond = 0.2
	signInBurst     = 10
)

//go:embed console
var consoleFiles embed.FS

// What the console's and the portal's scripts share (pagekit/pagekit.js), served under each
// one's own prefix.
//
//go:embed pagekit
var pagekitFiles embed.FS

// Nothing runs or loads but the gateway's own files; no inline script or style, no frames.
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

type console struct {
	admin   aggpayv1.AdminServiceClient
	secret  string
	timeout time.Duration
	// grpc-gateway, for /v1/staff/ routes.
	next    http.Handler
	assets  map[string]cashierAsset
	signIns *addressLimiter
	proxies *trustedProxies
}

func newConsole(admin aggpayv1.AdminServiceClient, secret string, timeout time.Duration,
	proxies *trustedProxies, next http.Handler) (*console, error) {
	assets, err := loadPageAssets(consoleFiles, "console", consolePrefix)
	if err != nil {
		return nil, err
	}
	if _, ok := assets[consolePrefix+"index.html"]; !ok {
		return nil, errString("console/index.html is missing")
	}
	return &console{admin: admin, secret: secret, timeout: timeout, next: next, assets: assets,
		signIns: newAddressLimiter(signInPerSecond, signInBurst), proxies: proxies}, nil
}

type errString string

func (e errString) Error() string { return string(e) }

func max(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func setConsoleHeaders(h http.Header) {
	h.Set("Content-Security-Policy", consoleCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// ServeHTTP serves the pages (every page path is the one-page app, index.html) and the session
// API.
func (c *console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setConsoleHeaders(w.Header())
	if r.URL.Path == consoleSessionPath {
		c.session(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, r, "GET, HEAD")
		return
	}
	a, ok := c.assets[r.URL.Path]
	if !ok {
		// /console/, /console/audit, …: the app routes on the client.
		rest := strings.TrimPrefix(r.URL.Path, consolePrefix)
		if strings.Contains(rest, ".") {
			http.NotFound(w, r)
			return
		}
		a = c.assets[consolePrefix+"index.html"]
	}
	serveAsset(w, r, a)
}

// loadAssets reads the embedded pages under dir, keyed by URL path (prefix + file name), each
// with its content type and ETag.
func loadAssets(files embed.FS, dir, prefix string) (map[string]cashierAsset, error) {
	assets := map[string]cashierAsset{}
	entries, err := files.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	types := map[string]string{".html": "text/html; charset=utf-8",
		".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
		".svg": "image/svg+xml"}
	for _, e := range entries {
		name := e.Name()
		dot := strings.LastIndexByte(name, '.')
		ct, ok := types[name[max(dot, 0):]]
		if dot < 0 || !ok {
			continue
		}
		b, err := files.ReadFile(dir + "/" + name)
		if err != nil {
			return nil, err
		}
		assets[prefix+name] = newAsset(ct, b)
	}
	return assets, nil
}

// loadPageAssets is loadAssets of dir plus the shared pagekit files, under the same prefix.
func loadPageAssets(files embed.FS, dir, prefix string) (map[string]cashierAsset, error) {
	assets, err := loadAssets(files, dir, prefix)
	if err != nil {
		return nil, err
	}
	shared, err := loadAssets(pagekitFiles, "pagekit", prefix)
	if err != nil {
		return nil, err
	}
	for k, v := range shared {
		assets[k] = v
	}
	return assets, nil
}

func newAsset(contentType string, body []byte) cashierAsset {
	sum := sha256.Sum256(body)
	return cashierAsset{contentType, body, `"` + hex.EncodeToString(sum[:8]) + `"`}
}

// serveAsset answers with an embedded file, revalidated by its ETag.
func serveAsset(w http.ResponseWriter, r *http.Request, a cashierAsset) {
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("ETag", a.etag)
	h.Set("Cache-Control", "no-cache")
	if r.Header.Get("If-None-Match") == a.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(a.body)
}

// csrfToken is bound to the session: HMAC-SHA256 under the internal secret. A page of the
// console learns it from the session API (same-origin only: CORS is never granted) and sends it
// in X-CSRF-Token with every change; a form or fetch from another site cannot know it.
func (c *console) csrfToken(session string) string {
	return csrfFor(c.secret, "console-csrf", session)
}

// csrfFor is a session's CSRF token: hex HMAC-SHA256 under the internal secret of
// PURPOSE "\n" SESSION (the console's and the portal's purposes differ).
func csrfFor(secret, purpose, session string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(purpose + "\n" + session))
	return hex.EncodeToString(m.Sum(nil))
}

// csrfValid: the request carries the session's token and is not marked cross-site.
func csrfValid(r *http.Request, want string) bool {
	got := r.Header.Get(csrfHeader)
	return got != "" && sameOrigin(r) && hmac.Equal([]byte(got), []byte(want))
}

func sessionFrom(r *http.Request) string { return cookieSession(r, sessionCookie, "agss_") }

func (c *console) setCookie(w http.ResponseWriter, value string, maxAge int) {
	setSessionCookie(w, sessionCookie, value, maxAge)
}

// cookieSession is the session token in cookie NAME when it has the credential's PREFIX and a
// sane length, or "": the console's and the portal's sessions are read alike.
func cookieSession(r *http.Request, name, prefix string) string {
	ck, err := r.Cookie(name)
	if err != nil || !strings.HasPrefix(ck.Value, prefix) || len(ck.Value) > 256 {
		return ""
	}
	return ck.Value
}

// setSessionCookie sets (maxAge 0: for the browser session) or clears (maxAge -1) a session
// cookie: HttpOnly, Secure, SameSite=Strict, for the whole site.
func setSessionCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
}

func (c *console) context(r *http.Request, withSession string) (context.Context,
	context.CancelFunc) {
	ctx, cancel := context.WithTimeout(r.Context(), c.timeout)
	info := requestInfoFrom(r.Context())
	md := metadata.Pairs(requestIDKey, info.requestID)
	if withSession != "" {
		md.Append("authorization", "Bearer "+withSession)
	} else {
		md = withSharedSecret(md, c.secret)
	}
	return metadata.NewOutgoingContext(ctx, md), cancel
}

type sessionView struct {
	SignedIn           bool   `json:"signed_in"`
	Username           string `json:"username"`
	StaffID            string `json:"staff_id"`
	Role               string `json:"role"`
	CSRFToken          string `json:"csrf_token"`
	ExpiresAt          string `json:"expires_at,omitempty"`
	IdleTimeoutSeconds int64  `json:"idle_timeout_seconds,omitempty"`
}

// session: POST signs in, GET says who is signed in, DELETE signs out.
func (c *console) session(w http.ResponseWriter, r *http.Request) {
	info := requestInfoFrom(r.Context())
	switch r.Method {
	case http.MethodPost:
		if !sameOrigin(r) {
			newAPIError(codes.PermissionDenied, "sign-in is accepted only from the console").write(w)
			return
		}
		if _, ok := limitClient(w, r, c.proxies, c.signIns, "sign-in attempts"); !ok {
			return
		}
		var req struct {
			Username string `json:"username"`
			Password string `json:"password"`
			TotpCode string `json:"totp_code"`
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxSignInBody+1))
		if err == nil && len(body) > maxSignInBody {
			bodyTooLarge(maxSignInBody).write(w)
			return
		}
		if err != nil || json.Unmarshal(body, &req) != nil {
			newAPIError(codes.InvalidArgument,
				"the body must be JSON {username, password, totp_code}").write(w)
			return
		}
		ctx, cancel := c.context(r, "")
		defer cancel()
		resp, err := c.admin.SignIn(ctx, &aggpayv1.SignInRequest{Username: req.Username,
			Password: req.Password, TotpCode: strings.TrimSpace(req.TotpCode)})
		if err != nil {
			c.fail(w, err, info.requestID)
			return
		}
		c.setCookie(w, resp.GetSessionToken(), 0)
		writeJSON(w, http.StatusOK, sessionView{SignedIn: true,
			Username: resp.GetStaff().GetUsername(), StaffID: resp.GetStaff().GetStaffId(),
			Role: resp.GetStaff().GetRole(), CSRFToken: c.csrfToken(resp.GetSessionToken()),
			ExpiresAt:          time.Unix(resp.GetExpiresAt().GetSeconds(), 0).UTC().Format(time.RFC3339),
			IdleTimeoutSeconds: resp.GetIdleTimeoutSeconds()})
	case http.MethodGet:
		// Not signed in is an answer, not an error: the page asks this first on every load.
		s := sessionFrom(r)
		if s == "" {
			writeJSON(w, http.StatusOK, sessionView{})
			return
		}
		ctx, cancel := c.context(r, s)
		defer cancel()
		p, err := c.admin.WhoAmI(ctx, &aggpayv1.WhoAmIRequest{})
		if status.Code(err) == codes.Unauthenticated {
			c.setCookie(w, "", -1)
			writeJSON(w, http.StatusOK, sessionView{})
			return
		}
		if err != nil {
			c.fail(w, err, info.requestID)
			return
		}
		writeJSON(w, http.StatusOK, sessionView{SignedIn: true, Username: p.GetUsername(),
			StaffID: p.GetId(), Role: p.GetRole(), CSRFToken: c.csrfToken(s)})
	case http.MethodDelete:
		s := sessionFrom(r)
		if s == "" {
			c.setCookie(w, "", -1)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if !c.csrfOK(r, s) {
			newAPIError(codes.PermissionDenied, "missing or wrong "+csrfHeader).write(w)
			return
		}
		ctx, cancel := c.context(r, "")
		defer cancel()
		_, err := c.admin.SignOut(ctx, &aggpayv1.SignOutRequest{SessionToken: s})
		if err != nil && status.Code(err) != codes.NotFound {
			c.fail(w, err, info.requestID)
			return
		}
		c.setCookie(w, "", -1)
		w.WriteHeader(http.StatusNoContent)
	default:
		methodNotAllowed(w, r, "GET, POST, DELETE")
	}
}

func (c *console) csrfOK(r *http.Request, session string) bool {
	return csrfValid(r, c.csrfToken(session))
}

func (c *console) fail(w http.ResponseWriter, err error, requestID string) {
	s, ok := status.FromError(err)
	if !ok {
		s = status.New(codes.Unknown, err.Error())
	}
	if internalCredentialRefused(s) {
		log.Printf("ERROR the admin service refused the gateway's internal credential: check "+
			"AGGPAY_INTERNAL_SECRET (request_id=%s)", requestID)
		newAPIError(codes.Internal, "internal error").write(w)
		return
	}
	fromStatus(s, requestID).write(w)
}

// staff serves /v1/staff/: the caller is a console session (cookie, with the CSRF token on
// every change) or a staff bearer token (Authorization: Bearer agst_…, for scripts). Either
// goes to the services as the staff credential; the interceptor decides.
func (c *console) staff(w http.ResponseWriter, r *http.Request) {
	info := requestInfoFrom(r.Context())
	var credential string
	if auth := r.Header.Values("Authorization"); len(auth) > 0 {
		const bearer = "Bearer "
		if len(auth) > 1 || !strings.HasPrefix(auth[0], bearer) || len(auth[0]) > 300 {
			newAPIError(codes.Unauthenticated,
				"staff routes take Authorization: Bearer <staff token>, or a console session").
				write(w)
			return
		}
		credential = strings.TrimPrefix(auth[0], bearer)
	} else if s := sessionFrom(r); s != "" {
		safe := r.Method == http.MethodGet || r.Method == http.MethodHead
		if !safe && !c.csrfOK(r, s) {
			newAPIError(codes.PermissionDenied, "missing or wrong "+csrfHeader).write(w)
			return
		}
		credential = s
	} else {
		newAPIError(codes.Unauthenticated, "sign in to the console, or send a staff bearer token").
			write(w)
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
	info.staffCredential = credential
	w.Header().Set("Cache-Control", "no-store")
	forwardTo(c.next, w, r, body)
}

package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"

	aggpayv1 "aggpay/gen/aggpay/v1"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

const testSession = "agss_session-under-test"

// fakeAdmin answers like the admin service for one account, and records what reached it.
type fakeAdmin struct {
	aggpayv1.UnimplementedAdminServiceServer
	rec *recorder
}

func (f *fakeAdmin) SignIn(ctx context.Context, r *aggpayv1.SignInRequest) (*aggpayv1.SignInResponse,
	error) {
	f.rec.add(ctx, "SignIn", nil)
	if !internalOK(ctx) {
		return nil, status.Error(codes.Unauthenticated, "invalid internal credential")
	}
	if r.GetUsername() != "olivia" || r.GetPassword() != "correct horse battery" ||
		r.GetTotpCode() != "123456" {
		return nil, status.Error(codes.Unauthenticated, "wrong username, password or code")
	}
	return &aggpayv1.SignInResponse{SessionToken: testSession, SessionId: "ses_1",
		Staff: &aggpayv1.Staff{StaffId: "stf_1", Username: "olivia", Role: "auditor"}}, nil
}

func staffCaller(ctx context.Context) bool {
	md, _ := metadata.FromIncomingContext(ctx)
	a := md.Get("authorization")
	return len(a) == 1 && a[0] == "Bearer "+testSession && len(md.Get(internalKey)) == 0 &&
		len(md.Get(merchantKey)) == 0
}

func (f *fakeAdmin) WhoAmI(ctx context.Context, _ *aggpayv1.WhoAmIRequest) (*aggpayv1.Principal,
	error) {
	f.rec.add(ctx, "WhoAmI", nil)
	if !staffCaller(ctx) {
		return nil, status.Error(codes.Unauthenticated, "invalid session")
	}
	return &aggpayv1.Principal{Kind: "staff", Id: "stf_1", Role: "auditor", Username: "olivia"}, nil
}

func (f *fakeAdmin) VerifyAudit(ctx context.Context, _ *aggpayv1.VerifyAuditRequest) (
	*aggpayv1.VerifyAuditResponse, error) {
	f.rec.add(ctx, "VerifyAudit", nil)
	if !staffCaller(ctx) {
		return nil, status.Error(codes.Unauthenticated, "invalid session")
	}
	return &aggpayv1.VerifyAuditResponse{Ok: true, EntriesChecked: 3}, nil
}

func (f *fakeAdmin) SignOut(ctx context.Context, r *aggpayv1.SignOutRequest) (
	*aggpayv1.SignOutResponse, error) {
	f.rec.add(ctx, "SignOut", nil)
	if !internalOK(ctx) || r.GetSessionToken() != testSession {
		return nil, status.Error(codes.NotFound, "no such session")
	}
	return &aggpayv1.SignOutResponse{}, nil
}

func startConsole(t *testing.T) (string, *recorder) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	srv := grpc.NewServer()
	aggpayv1.RegisterAdminServiceServer(srv, &fakeAdmin{rec: rec})
	aggpayv1.RegisterMerchantServiceServer(srv, &fakeMerchants{rec: rec})
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return startGateway(t, ln.Addr().String()), rec
}

func consoleDo(t *testing.T, method, url, body string, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func signInForTest(t *testing.T, url string) (cookie *http.Cookie, csrf string) {
	t.Helper()
	resp := consoleDo(t, "POST", url+consoleSessionPath,
		`{"username":"olivia","password":"correct horse battery","totp_code":"123456"}`,
		map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin"})
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("sign-in: %d %s", resp.StatusCode, body)
	}
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatalf("no %s cookie: %v", sessionCookie, resp.Header["Set-Cookie"])
	}
	var v sessionView
	if err := jsonUnmarshal(body, &v); err != nil || v.CSRFToken == "" || !v.SignedIn {
		t.Fatalf("sign-in body: %s", body)
	}
	return cookie, v.CSRFToken
}

func TestConsoleSignInSetsAStrictHttpOnlySecureCookie(t *testing.T) {
	url, rec := startConsole(t)
	cookie, csrf := signInForTest(t, url)
	if cookie.Value != testSession || !cookie.HttpOnly || !cookie.Secure ||
		cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/" {
		t.Errorf("cookie %+v", cookie)
	}
	if len(csrf) != 64 {
		t.Errorf("csrf token %q", csrf)
	}
	if c, ok := rec.last("SignIn"); !ok || len(c.md.Get(internalKey)) != 1 {
		t.Errorf("SignIn did not carry the internal credential: %v", c.md)
	}

	rec.reset()
	wrong := consoleDo(t, "POST", url+consoleSessionPath,
		`{"username":"olivia","password":"nope","totp_code":"123456"}`, nil)
	if wrong.StatusCode != 401 || len(wrong.Cookies()) != 0 {
		t.Errorf("wrong password: %d, cookies %v", wrong.StatusCode, wrong.Cookies())
	}
	rec.reset()
	cross := consoleDo(t, "POST", url+consoleSessionPath,
		`{"username":"olivia","password":"correct horse battery","totp_code":"123456"}`,
		map[string]string{"Sec-Fetch-Site": "cross-site"})
	if cross.StatusCode != 403 {
		t.Errorf("cross-site sign-in: %d", cross.StatusCode)
	}
	if _, called := rec.last("SignIn"); called {
		t.Error("a cross-site sign-in reached the admin service")
	}
}

func TestStaffRoutesForwardTheSessionAsTheStaffCredentialOnly(t *testing.T) {
	url, rec := startConsole(t)
	cookie, csrf := signInForTest(t, url)
	ck := sessionCookie + "=" + cookie.Value

	// A client's own x-aggpay-internal is never forwarded; the session goes as the bearer.
	who := consoleDo(t, "GET", url+"/v1/staff/whoami", "",
		map[string]string{"Cookie": ck, "X-Aggpay-Internal": testSecret})
	if who.StatusCode != 200 {
		b, _ := io.ReadAll(who.Body)
		t.Fatalf("whoami: %d %s", who.StatusCode, b)
	}
	if c, _ := rec.last("WhoAmI"); len(c.md.Get(internalKey)) != 0 {
		t.Errorf("the internal credential reached a staff route: %v", c.md)
	}

	// A change needs the CSRF token.
	rec.reset()
	for _, h := range []map[string]string{
		{"Cookie": ck},
		{"Cookie": ck, csrfHeader: strings.Repeat("0", 64)},
		{"Cookie": ck, csrfHeader: csrf, "Sec-Fetch-Site": "cross-site"},
	} {
		if r := consoleDo(t, "POST", url+"/v1/staff/audit:verify", "{}", h); r.StatusCode != 403 {
			t.Errorf("%v: %d", h, r.StatusCode)
		}
	}
	if _, called := rec.last("VerifyAudit"); called {
		t.Error("a change without a valid CSRF token reached the service")
	}
	ok := consoleDo(t, "POST", url+"/v1/staff/audit:verify", "{}",
		map[string]string{"Cookie": ck, csrfHeader: csrf, "Content-Type": "application/json"})
	if ok.StatusCode != 200 {
		t.Errorf("with the CSRF token: %d", ok.StatusCode)
	}

	// A bearer token needs no CSRF token (no browser sends it by itself); a merchant's
	// signature or nothing at all is not a staff credential.
	bearer := consoleDo(t, "POST", url+"/v1/staff/audit:verify", "{}",
		map[string]string{"Authorization": "Bearer " + testSession})
	if bearer.StatusCode != 200 {
		t.Errorf("bearer: %d", bearer.StatusCode)
	}
	for _, h := range []map[string]string{
		nil,
		{"Authorization": authScheme + ` key_id="k",timestamp="1",nonce="n",signature="s"`},
	} {
		if r := consoleDo(t, "GET", url+"/v1/staff/whoami", "", h); r.StatusCode != 401 {
			t.Errorf("%v: %d", h, r.StatusCode)
		}
	}
}

func TestConsoleSignOutEndsTheSessionOnTheServer(t *testing.T) {
	url, rec := startConsole(t)
	cookie, csrf := signInForTest(t, url)
	ck := sessionCookie + "=" + cookie.Value
	if r := consoleDo(t, "DELETE", url+consoleSessionPath, "", map[string]string{"Cookie": ck}); r.StatusCode != 403 {
		t.Errorf("sign-out without CSRF: %d", r.StatusCode)
	}
	r := consoleDo(t, "DELETE", url+consoleSessionPath, "",
		map[string]string{"Cookie": ck, csrfHeader: csrf})
	if r.StatusCode != 204 {
		t.Fatalf("sign-out: %d", r.StatusCode)
	}
	if _, called := rec.last("SignOut"); !called {
		t.Error("SignOut was not called")
	}
	cleared := false
	for _, c := range r.Cookies() {
		cleared = cleared || (c.Name == sessionCookie && c.MaxAge < 0)
	}
	if !cleared {
		t.Errorf("cookie not cleared: %v", r.Header["Set-Cookie"])
	}
	// Not signed in is an answer, not an error.
	s := consoleDo(t, "GET", url+consoleSessionPath, "", nil)
	b, _ := io.ReadAll(s.Body)
	if s.StatusCode != 200 || !strings.Contains(string(b), `"signed_in":false`) {
		t.Errorf("session without a cookie: %d %s", s.StatusCode, b)
	}
}

func TestConsoleSignInsAreLimitedPerAddress(t *testing.T) {
	url, rec := startConsole(t)
	for i := 0; i < signInBurst; i++ {
		r := consoleDo(t, "POST", url+consoleSessionPath,
			`{"username":"olivia","password":"wrong","totp_code":"000000"}`, nil)
		if r.StatusCode != 401 {
			t.Fatalf("attempt %d: %d", i, r.StatusCode)
		}
	}
	rec.reset()
	r := consoleDo(t, "POST", url+consoleSessionPath,
		`{"username":"olivia","password":"correct horse battery","totp_code":"123456"}`, nil)
	if r.StatusCode != 429 || r.Header.Get("Retry-After") == "" {
		t.Errorf("attempt past the burst: %d, Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if _, called := rec.last("SignIn"); called {
		t.Error("a limited sign-in reached the admin service")
	}
}

func TestConsolePagesAreTheEmbeddedAppUnderAStrictPolicy(t *testing.T) {
	url, _ := startConsole(t)
	for _, p := range []string{"/console/", "/console/audit", "/console/codes"} {
		r := consoleDo(t, "GET", url+p, "", nil)
		b, _ := io.ReadAll(r.Body)
		if r.StatusCode != 200 || !strings.Contains(string(b), `src="/console/console.js"`) {
			t.Errorf("%s: %d", p, r.StatusCode)
		}
		csp := r.Header.Get("Content-Security-Policy")
		if !strings.HasPrefix(csp, "default-src 'none'; script-src 'self'") ||
			strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		if r.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: framable", p)
		}
	}
	if r := consoleDo(t, "GET", url+"/console/console.js", "", nil); r.StatusCode != 200 ||
		!strings.HasPrefix(r.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("console.js: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	if r := consoleDo(t, "GET", url+"/console/missing.js", "", nil); r.StatusCode != 404 {
		t.Errorf("missing asset: %d", r.StatusCode)
	}
	if r := consoleDo(t, "POST", url+"/console/", "", nil); r.StatusCode != 405 {
		t.Errorf("POST a page: %d", r.StatusCode)
	}
}

// Every module the console imports (console.js imports its pages, they import console.js's
// helpers) is embedded and served as JavaScript: a missing one would leave the console blank.
func TestConsoleModulesImportOnlyEmbeddedModules(t *testing.T) {
	url, _ := startConsole(t)
	imports := regexp.MustCompile(`from '\./([a-z_]+\.js)';`)
	seen := map[string]bool{}
	queue := []string{"console.js"}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		r := consoleDo(t, "GET", url+"/console/"+name, "", nil)
		b, _ := io.ReadAll(r.Body)
		if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/javascript") {
			t.Fatalf("%s: %d %s", name, r.StatusCode, r.Header.Get("Content-Type"))
		}
		for _, m := range imports.FindAllStringSubmatch(string(b), -1) {
			queue = append(queue, m[1])
		}
	}
	for _, want := range []string{"payments.js", "merchant.js", "terminals.js", "codes.js",
		"settlement.js", "risk.js"} {
		if !seen[want] {
			t.Errorf("%s is not imported (seen %v)", want, seen)
		}
	}
}

func jsonUnmarshal(b []byte, v interface{}) error { return json.Unmarshal(b, v) }

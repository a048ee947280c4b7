package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	aggpayv1 "aggpay/gen/aggpay/v1"

	"github.com/golang/protobuf/proto"
	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// The merchant signing scheme (docs/api.md). The gateway alone sees the raw body, so it hashes
// it; the merchant domain holds the key secrets and checks the HMAC, the timestamp window, the
// nonce and the rate limit: in aggpayd's auth interceptor, for the signed request the gateway
// sends with the route's call (signedRequest), or in MerchantService.AuthenticateRequest.
const (
	authScheme = "AGGPAY-HMAC-SHA256"
	// Largest request body accepted; a larger one gets 413.
	maxBodyBytes = 1 << 20
	// Longest Authorization header worth parsing.
	maxAuthorizationBytes = 2048
)

// credential is what the Authorization header carries.
type credential struct {
	keyID     string
	timestamp string
	nonce     string
	signature string
}

// parseAuthorization reads
//
//	AGGPAY-HMAC-SHA256 key_id="…",timestamp="…",nonce="…",signature="…"
//
// The scheme name is case-insensitive (RFC 9110); parameters may come in any order, separated
// by commas with optional spaces; each must appear exactly once with a quoted, non-empty value.
// The values' own rules (lengths, alphabets, the clock window) are the merchant service's.
func parseAuthorization(header string) (credential, error) {
	var c credential
	if len(header) > maxAuthorizationBytes {
		return c, fmt.Errorf("the Authorization header is too long")
	}
	header = strings.TrimSpace(header)
	sp := strings.IndexAny(header, " \t")
	if sp < 0 || !strings.EqualFold(header[:sp], authScheme) {
		return c, fmt.Errorf("the Authorization scheme must be %s", authScheme)
	}
	rest := strings.TrimLeft(header[sp:], " \t")
	seen := map[string]bool{}
	for {
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return c, fmt.Errorf("malformed Authorization parameters")
		}
		name := strings.TrimRight(rest[:eq], " \t")
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		if !strings.HasPrefix(rest, `"`) {
			return c, fmt.Errorf("the Authorization parameter %s must be a quoted string", name)
		}
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return c, fmt.Errorf("the Authorization parameter %s has no closing quote", name)
		}
		value := rest[1 : 1+end]
		rest = rest[end+2:]
		if value == "" {
			return c, fmt.Errorf("the Authorization parameter %s is empty", name)
		}
		for _, ch := range value {
			if ch < 0x21 || ch > 0x7e || ch == '\\' {
				return c, fmt.Errorf("the Authorization parameter %s has a character outside "+
					"printable ASCII", name)
			}
		}
		if seen[name] {
			return c, fmt.Errorf("the Authorization parameter %s appears twice", name)
		}
		seen[name] = true
		switch name {
		case "key_id":
			c.keyID = value
		case "timestamp":
			c.timestamp = value
		case "nonce":
			c.nonce = value
		case "signature":
			c.signature = value
		default:
			return c, fmt.Errorf("unknown Authorization parameter %q", name)
		}
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			break
		}
		if rest[0] != ',' {
			return c, fmt.Errorf("the Authorization parameters must be separated by commas")
		}
		rest = strings.TrimLeft(rest[1:], " \t")
		if rest == "" {
			return c, fmt.Errorf("the Authorization parameters end with a comma")
		}
	}
	for _, p := range []struct{ name, value string }{
		{"key_id", c.keyID}, {"timestamp", c.timestamp}, {"nonce", c.nonce},
		{"signature", c.signature},
	} {
		if p.value == "" {
			return c, fmt.Errorf("the Authorization header lacks %s", p.name)
		}
	}
	return c, nil
}

// pathAndQuery is the request target exactly as the client sent it on the request line
// ("/v1/merchant", "/v1/merchant/fee-plan?at=2024-01-01T00:00:00Z"): the merchant signed those
// bytes, so they are passed on untouched (no re-encoding, no "?" unless the client sent one).
// A request in absolute form ("GET http://host/v1/merchant") falls back to the parsed URL.
func pathAndQuery(r *http.Request) string {
	if strings.HasPrefix(r.RequestURI, "/") {
		return r.RequestURI
	}
	return r.URL.RequestURI()
}

// Headers a request keeps on its way into grpc-gateway. Everything else is dropped before
// runtime.AnnotateContext sees the request: it would otherwise forward Authorization as
// metadata, honour Grpc-Timeout and X-HTTP-Method-Override, and pass X-Forwarded-* along.
var passedHeaders = []string{"Content-Type", "Accept", "X-Request-Id"}

// authenticator checks each merchant request and hands it to grpc-gateway.
type authenticator struct {
	merchants aggpayv1.MerchantServiceClient
	secret    string
	timeout   time.Duration
	next      http.Handler
}

func (a *authenticator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info := requestInfoFrom(r.Context())

	if r.ContentLength > maxBodyBytes {
		tooLarge().write(w)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		newAPIError(codes.InvalidArgument, "could not read the request body").write(w)
		return
	}
	if len(body) > maxBodyBytes {
		tooLarge().write(w)
		return
	}
	sum := sha256.Sum256(body)
	bodyHash := hex.EncodeToString(sum[:])

	auth := r.Header.Values("Authorization")
	if len(auth) == 0 {
		newAPIError(codes.Unauthenticated, "the request is not signed: send an Authorization: "+
			authScheme+" header (see docs/api.md)").write(w)
		return
	}
	if len(auth) > 1 {
		newAPIError(codes.Unauthenticated, "more than one Authorization header").write(w)
		return
	}
	cred, err := parseAuthorization(auth[0])
	if err != nil {
		newAPIError(codes.Unauthenticated, err.Error()).write(w)
		return
	}

	// Authenticated by aggpayd with the route's own call, in one hop: the annotator sends the
	// signed request (internalMetadata), the response hooks read aggpayd's verdict (signedVerdict).
	req := &aggpayv1.AuthenticateRequestRequest{
		KeyId:        cred.keyID,
		Timestamp:    cred.timestamp,
		Nonce:        cred.nonce,
		Signature:    cred.signature,
		Method:       strings.ToUpper(r.Method),
		PathAndQuery: pathAndQuery(r),
		BodySha256:   bodyHash,
	}
	wire, err := proto.Marshal(req)
	if err != nil {
		log.Printf("ERROR could not marshal a signed request (request_id=%s): %v", info.requestID, err)
		newAPIError(codes.Internal, "internal error").write(w)
		return
	}
	info.signed = &signedRequest{wire: wire, req: req, auth: a}
	a.forward(w, r, body)
}

// forward hands the request to grpc-gateway with only passedHeaders and the given body.
func (a *authenticator) forward(w http.ResponseWriter, r *http.Request, body []byte) {
	forwardTo(a.next, w, r, body)
}

func forwardTo(next http.Handler, w http.ResponseWriter, r *http.Request, body []byte) {
	info := requestInfoFrom(r.Context())
	clean := make(http.Header, len(passedHeaders))
	for _, k := range passedHeaders {
		if v := r.Header.Values(k); len(v) > 0 {
			clean[k] = v
		}
	}
	clean.Set("X-Request-Id", info.requestID)
	r2 := r.Clone(r.Context())
	r2.Header = clean
	r2.Host = ""
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	next.ServeHTTP(w, r2)
}

func tooLarge() *apiError {
	return newAPIError(codes.InvalidArgument,
		fmt.Sprintf("the request body is larger than %d bytes", maxBodyBytes)).
		withStatus(http.StatusRequestEntityTooLarge)
}

// signedRequest is a merchant's signed request on its way to aggpayd with the route's call
// (x-aggpay-signed-request-bin): aggpayd's auth interceptor checks it as AuthenticateRequest
// would and answers in the call's trailers, x-aggpay-signed-refused on a refusal (the status is
// then the authentication's) and x-aggpay-signed-merchant with the merchant otherwise.
type signedRequest struct {
	wire []byte // req, marshalled: the metadata value (grpc-go base64-encodes -bin values)
	req  *aggpayv1.AuthenticateRequestRequest
	auth *authenticator
	// Set by signedElsewhere, for a route's service at another address than the merchant
	// service's: the merchant AuthenticateRequest named, or its refusal.
	merchant string
	refused  bool
}

// signedElsewhere is the client interceptor of the connections to services at another address
// than the merchant service's (microservices mode): such a process cannot authenticate the
// signed request in its call (AuthenticateRequest admits the gateway only), so the gateway asks
// AuthenticateRequest first and forwards the merchant id instead, two hops as before.
func (a *authenticator) signedElsewhere(ctx context.Context, method string, req, reply interface{},
	cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	info := requestInfoFrom(ctx)
	md, _ := metadata.FromOutgoingContext(ctx)
	sr := info.signed
	if sr == nil || len(md.Get(signedRequestKey)) == 0 {
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	merchant, err := a.authenticate(ctx, info.requestID, sr.req)
	if err != nil {
		sr.refused = true
		return err
	}
	sr.merchant = merchant
	md = md.Copy()
	delete(md, signedRequestKey)
	md.Set(merchantKey, merchant)
	return invoker(metadata.NewOutgoingContext(ctx, md), method, req, reply, cc, opts...)
}

// signedVerdict reads what aggpayd said of the signed request of a call that failed with s:
// nil when the merchant was authenticated (info.merchantID is set, and the route's own mapping
// applies), or the answer for the client. called: whether the route's call was made (false for
// grpc-gateway's own refusals before any call: no route, a wrong method).
func (sr *signedRequest) verdict(ctx context.Context, info *requestInfo, md runtime.ServerMetadata,
	called bool, s *status.Status) *apiError {
	if sr.refused {
		return authError(s.Err(), info.requestID)
	}
	if sr.merchant != "" {
		info.merchantID = sr.merchant
		return nil
	}
	if called {
		if len(md.TrailerMD.Get(signedRefusedKey)) > 0 {
			return authError(s.Err(), info.requestID)
		}
		if m := md.TrailerMD.Get(signedMerchantKey); len(m) == 1 && m[0] != "" {
			info.merchantID = m[0]
			return nil
		}
		switch s.Code() {
		case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
			// aggpayd unreachable or silent: as a failed AuthenticateRequest (503).
			return authError(s.Err(), info.requestID)
		case codes.InvalidArgument:
			// grpc-gateway's own: the body, query or path did not parse, and the call was not
			// made (aggpayd marks every call that carried a signed request). Checked below.
		default:
			// An aggpayd that ignores the signed request answers the route as for an anonymous
			// caller; never taken for the merchant's answer.
			log.Printf("ERROR aggpayd did not authenticate the signed request the gateway sent "+
				"(is aggpayd older than the gateway?) request_id=%s code=%s message=%q",
				info.requestID, codeName(s.Code()), s.Message())
			return newAPIError(codes.Internal, "internal error")
		}
	}
	// No call carried the signed request: it is checked with AuthenticateRequest, as before,
	// so that a bad signature stays a 401 whatever else is wrong with the request.
	merchant, err := sr.auth.authenticate(ctx, info.requestID, sr.req)
	if err != nil {
		return authError(err, info.requestID)
	}
	info.merchantID = merchant
	return nil
}

// signedResponseCheck is grpc-gateway's forward-response hook for signed routes: a successful
// call must carry aggpayd's x-aggpay-signed-merchant (an aggpayd that ignored the signed request
// answered as for an anonymous caller, which must never pass for the merchant's answer); the
// merchant is the access log's. The verdict's trailers are not passed on to the client.
func signedResponseCheck(ctx context.Context, w http.ResponseWriter, _ proto.Message) error {
	info := requestInfoFrom(ctx)
	md, ok := runtime.ServerMetadataFromContext(ctx)
	if info.signed != nil {
		var m []string
		if info.signed.merchant != "" {
			m = []string{info.signed.merchant}
		} else if ok && len(md.TrailerMD.Get(signedRefusedKey)) == 0 {
			m = md.TrailerMD.Get(signedMerchantKey)
		}
		if len(m) != 1 || m[0] == "" {
			return status.Error(codes.Internal, "aggpayd did not authenticate the signed request")
		}
		info.merchantID = m[0]
	}
	if ok && (md.TrailerMD.Get(signedMerchantKey) != nil || md.TrailerMD.Get(signedRefusedKey) != nil) {
		delete(md.TrailerMD, signedMerchantKey)
		delete(md.TrailerMD, signedRefusedKey)
		// grpc-gateway declared every trailer before this hook; declare only the others.
		w.Header().Del("Trailer")
		for k := range md.TrailerMD {
			w.Header().Add("Trailer",
				textproto.CanonicalMIMEHeaderKey(runtime.MetadataTrailerPrefix+k))
		}
	}
	return nil
}

// authenticate asks the merchant service who signed the request (AuthenticateRequest): only
// for a signed request that no route's call carried (signedRequest.verdict).
func (a *authenticator) authenticate(ctx context.Context, requestID string,
	req *aggpayv1.AuthenticateRequestRequest) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	ctx = metadata.NewOutgoingContext(ctx, withSharedSecret(metadata.Pairs(
		requestIDKey, requestID,
	), a.secret))
	resp, err := a.merchants.AuthenticateRequest(ctx, req)
	if err != nil {
		return "", err
	}
	if resp.GetMerchantId() == "" {
		return "", status.Error(codes.Internal, "AuthenticateRequest named no merchant")
	}
	return resp.GetMerchantId(), nil
}

// authError maps a failed AuthenticateRequest: a bad credential is 401 whatever detail the
// service gives, the rate limit 429 with Retry-After, an unreachable or slow service 503.
func authError(err error, requestID string) *apiError {
	s, ok := status.FromError(err)
	if !ok {
		s = status.New(codes.Unknown, err.Error())
	}
	if internalCredentialRefused(s) || s.Code() == codes.PermissionDenied {
		// AuthenticateRequest refuses only the caller here, which is the gateway.
		log.Printf("ERROR the merchant service refused the gateway's internal credential: check "+
			"that AGGPAY_INTERNAL_SECRET matches aggpayd's (request_id=%s code=%s message=%q)",
			requestID, codeName(s.Code()), s.Message())
		return newAPIError(codes.Internal, "internal error")
	}
	switch s.Code() {
	case codes.Unauthenticated, codes.InvalidArgument, codes.NotFound:
		msg := s.Message()
		if msg == "" {
			msg = "the request signature was not accepted"
		}
		return newAPIError(codes.Unauthenticated, msg)
	case codes.ResourceExhausted, codes.FailedPrecondition:
		return fromStatus(s, requestID)
	case codes.Unavailable, codes.DeadlineExceeded:
		log.Printf("authentication unavailable request_id=%s code=%s message=%q", requestID,
			codeName(s.Code()), s.Message())
		return newAPIError(codes.Unavailable, "authentication is unavailable; try again shortly")
	case codes.Canceled:
		return newAPIError(codes.Canceled, "the request was cancelled")
	default:
		log.Printf("authentication failed request_id=%s code=%s message=%q", requestID,
			codeName(s.Code()), s.Message())
		return newAPIError(codes.Internal, "internal error")
	}
}

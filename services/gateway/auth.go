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
	"strings"
	"time"

	aggpayv1 "aggpay/gen/aggpay/v1"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// The merchant signing scheme (docs/api.md). The gateway alone sees the raw body, so it hashes
// it; the merchant service holds the key secrets and checks the HMAC, the timestamp window, the
// nonce and the rate limit (MerchantService.AuthenticateRequest).
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

	merchantID, err := a.authenticate(r.Context(), info.requestID, cred, strings.ToUpper(r.Method),
		pathAndQuery(r), bodyHash)
	if err != nil {
		authError(err, info.requestID).write(w)
		return
	}
	info.merchantID = merchantID
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

// authenticate asks the merchant service who signed the request.
func (a *authenticator) authenticate(ctx context.Context, requestID string, c credential,
	method, target, bodyHash string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	ctx = metadata.NewOutgoingContext(ctx, withSharedSecret(metadata.Pairs(
		requestIDKey, requestID,
	), a.secret))
	resp, err := a.merchants.AuthenticateRequest(ctx, &aggpayv1.AuthenticateRequestRequest{
		KeyId:        c.keyID,
		Timestamp:    c.timestamp,
		Nonce:        c.nonce,
		Signature:    c.signature,
		Method:       method,
		PathAndQuery: target,
		BodySha256:   bodyHash,
	})
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

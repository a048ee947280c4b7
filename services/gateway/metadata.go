package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/textproto"

	"google.golang.org/grpc/metadata"
)

// Metadata keys shared with the C++ services (services/common/grpc/principal.h).
const (
	internalKey  = "x-aggpay-internal"
	merchantKey  = "x-aggpay-merchant-id"
	requestIDKey = "x-request-id"
	// With merchantKey, for a portal session: its user and role (principal.h).
	merchantUserKey = "x-aggpay-merchant-user"
	merchantRoleKey = "x-aggpay-merchant-role"
	// On a public route: the client's address and the gateway's HMAC over it (auth_interceptor.cc),
	// so that the services' limits on failed public calls count per payer, not per gateway.
	clientAddressKey    = "x-aggpay-client-address"
	clientAddressSigKey = "x-aggpay-client-address-sig"
	// A signed merchant request, sent with the route's call for aggpayd to authenticate
	// (services/common/grpc/request_authenticator.h), and aggpayd's verdict in the trailers.
	signedRequestKey  = "x-aggpay-signed-request-bin"
	signedRefusedKey  = "x-aggpay-signed-refused"
	signedMerchantKey = "x-aggpay-signed-merchant"
)

// requestInfo travels in the request's context from the access log, which creates it, to the
// authenticator, which fills in the merchant, and to grpc-gateway's metadata annotator.
type requestInfo struct {
	requestID string
	// The merchant: on a signed route as aggpayd named it when it authenticated the signed request (the access
	// log's), on a portal session the session's (sent to aggpayd).
	merchantID string
	// On a signed route: the signed request the route's call carries.
	signed *signedRequest
	// On a /v1/staff/ route: the staff credential (bearer token or console session), forwarded
	// as "authorization: Bearer …" for aggpayd's interceptor to decide on.
	staffCredential string
	// The public route being served (no merchant, no internal credential), or nil, and the
	// client's address as the gateway established it.
	public   *publicRoute
	clientIP string
	// A portal session's user and role (portal.go), sent with the merchant for the audit log.
	portalUser string
	portalRole string
}

type requestInfoKey struct{}

func withRequestInfo(ctx context.Context, info *requestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

func requestInfoFrom(ctx context.Context) *requestInfo {
	if info, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return info
	}
	return &requestInfo{}
}

// requestID keeps the client's X-Request-Id when it is 1 to 128 characters of
// [A-Za-z0-9._:-], and makes a new one otherwise.
func requestID(r *http.Request) string {
	if v := r.Header.Values("X-Request-Id"); len(v) == 1 && saneRequestID(v[0]) {
		return v[0]
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("aggpay-gateway: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

func saneRequestID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '.' || c == '_' || c == ':' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// incomingHeaderMatcher decides which client headers become gRPC metadata: only X-Request-Id
// (already checked and replaced by the authenticator). Nothing else, so a client can never send
// x-aggpay-internal, x-aggpay-merchant-id or anything else the services trust, whether as a
// plain header or as Grpc-Metadata-*.
func incomingHeaderMatcher(key string) (string, bool) {
	if textproto.CanonicalMIMEHeaderKey(key) == "X-Request-Id" {
		return requestIDKey, true
	}
	return "", false
}

// outgoingHeaderMatcher keeps the services' response metadata out of HTTP responses.
func outgoingHeaderMatcher(string) (string, bool) { return "", false }

// internalMetadata returns the grpc-gateway metadata annotator: on a signed route the signed
// request (and, in plaintext mode, the internal credential); on a portal session the internal
// credential and the session's merchant. A public route's request gets neither, only the
// client's address with the gateway's proof of it; one that somehow reached grpc-gateway without
// a merchant gets nothing. The services treat both as anonymous.
func internalMetadata(secret string) func(context.Context, *http.Request) metadata.MD {
	return func(_ context.Context, r *http.Request) metadata.MD {
		info := requestInfoFrom(r.Context())
		if info.public != nil {
			if info.clientIP == "" {
				return metadata.MD{}
			}
			return metadata.Pairs(clientAddressKey, info.clientIP,
				clientAddressSigKey, clientAddressSig(secret, info.clientIP))
		}
		if info.staffCredential != "" {
			return metadata.Pairs("authorization", "Bearer "+info.staffCredential)
		}
		if info.signed != nil {
			// The signed request alone (no merchant id): aggpayd authenticates it in this call.
			return withSharedSecret(metadata.Pairs(signedRequestKey, string(info.signed.wire)),
				secret)
		}
		if info.merchantID == "" {
			return metadata.MD{}
		}
		md := withSharedSecret(metadata.Pairs(merchantKey, info.merchantID), secret)
		if info.portalUser != "" {
			md.Append(merchantUserKey, info.portalUser)
			md.Append(merchantRoleKey, info.portalRole)
		}
		return md
	}
}

// sendSharedSecret: whether calls to aggpayd carry the shared secret (x-aggpay-internal). Only
// with --plaintext (development); over mutual TLS the gateway's client certificate is its
// credential and the secret stays in the gateway (its CSRF key). Set once by run().
var sendSharedSecret = true

// withSharedSecret adds the shared secret to md when sendSharedSecret says so.
func withSharedSecret(md metadata.MD, secret string) metadata.MD {
	if sendSharedSecret {
		md.Set(internalKey, secret)
	}
	return md
}

// clientAddressSig is the gateway's proof of a client address: hex HMAC-SHA256 under the internal
// secret of "client-address\n" ADDRESS.
func clientAddressSig(secret, address string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("client-address\n" + address))
	return hex.EncodeToString(m.Sum(nil))
}

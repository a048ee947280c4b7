package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"

	"google.golang.org/grpc/codes"
)

// bodyLimit is the largest request body, in bytes, that the gateway reads on a path: the
// public (unsigned) routes 16 KiB, the cashier's forms and the console's and portal's sign-in
// 4 KiB, everything else 1 MiB (the signed merchant API, the staff routes, the console and the
// portal). docs/api.md "Limits" lists them all.
func bodyLimit(path string) int64 {
	switch {
	case path == consoleSessionPath || path == portalSessionPath || path == portalCodePath:
		return maxSignInBody
	case strings.HasPrefix(path, publicPrefix):
		return maxPublicBodyBytes
	case strings.HasPrefix(path, cashierPrefix) || strings.HasPrefix(path, cashierAssetPrefix):
		return maxCashierFormBytes
	default:
		return maxBodyBytes
	}
}

func bodyTooLarge(limit int64) *apiError {
	return newAPIError(codes.InvalidArgument,
		fmt.Sprintf("the request body is larger than %d bytes", limit)).
		withStatus(http.StatusRequestEntityTooLarge)
}

// limitBodies answers 413 with the JSON error for any request whose body is over its path's
// limit, on every route, before a handler sees it: a declared Content-Length is refused
// unread, a body without one (chunked) is read up to the limit and refused when it runs over.
func limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := bodyLimit(r.URL.Path)
		if r.ContentLength > limit {
			bodyTooLarge(limit).write(w)
			return
		}
		if r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
			if err != nil {
				newAPIError(codes.InvalidArgument, "could not read the request body").write(w)
				return
			}
			if int64(len(body)) > limit {
				bodyTooLarge(limit).write(w)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		} else if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

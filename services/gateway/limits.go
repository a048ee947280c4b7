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

// refusedBodyDrain is how much of a refused body the gateway still reads, and throws away,
// before it answers 413. A client that sends its whole body before reading the answer (curl
// does, once its wait for 100-continue has passed, and so does any client that sends no
// Expect) would otherwise lose the answer: closing a connection with unread bytes in its
// receive queue sends a TCP reset, and a reset makes the client's kernel discard what the
// client had not read yet. A body more than this over its limit is refused unread, and the
// connection is closed after the answer.
const refusedBodyDrain = 4 << 20

// limitBodies answers 413 with the JSON error for any request whose body is over its path's
// limit, on every route, before a handler sees it: a declared Content-Length over the limit is
// refused without parsing (read and thrown away up to refusedBodyDrain), a body without one
// (chunked) is read up to the limit and refused when it runs over.
func limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := bodyLimit(r.URL.Path)
		if r.ContentLength > limit {
			if r.ContentLength <= limit+refusedBodyDrain {
				_, _ = io.Copy(io.Discard, r.Body)
			} else {
				w.Header().Set("Connection", "close")
			}
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
				if n, _ := io.CopyN(io.Discard, r.Body, refusedBodyDrain+1); n > refusedBodyDrain {
					w.Header().Set("Connection", "close")
				}
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

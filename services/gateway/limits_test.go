package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestEveryPathHasItsBodyLimitDeclaredOrChunked(t *testing.T) {
	read := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		_ = b
	})
	h := limitBodies(read)
	cases := []struct {
		path  string
		limit int
	}{
		{"/v1/merchant/payments", maxBodyBytes},
		{"/v1/staff/merchants", maxBodyBytes},
		{"/console/api/session", maxSignInBody},
		{"/m/api/session", maxSignInBody},
		{"/m/api/sign-in-code", maxSignInBody},
		{"/m/api/anything", maxBodyBytes},
		{"/v1/public/payments", maxPublicBodyBytes},
		{"/c/AAAAAAAAAAAAAAAAAAAAAA", maxCashierFormBytes},
	}
	for _, c := range cases {
		for _, chunked := range []bool{false, true} {
			for _, size := range []int{c.limit, c.limit + 1} {
				r := httptest.NewRequest("POST", c.path, strings.NewReader(strings.Repeat("x", size)))
				if chunked {
					r.ContentLength = -1
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				want := http.StatusOK
				if size > c.limit {
					want = http.StatusRequestEntityTooLarge
				}
				if w.Code != want {
					t.Errorf("%s %d bytes (chunked %v): %d, want %d", c.path, size, chunked, w.Code, want)
				}
				if want == http.StatusRequestEntityTooLarge &&
					!strings.Contains(w.Body.String(), "\"code\":\"INVALID_ARGUMENT\"") {
					t.Errorf("%s: not the JSON error: %s", c.path, w.Body.String())
				}
			}
		}
	}
}

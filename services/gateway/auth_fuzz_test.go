package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// formatAuthorization writes a credential in the one spelling docs/api.md shows.
func formatAuthorization(c credential) string {
	return authScheme + ` key_id="` + c.keyID + `",timestamp="` + c.timestamp + `",nonce="` +
		c.nonce + `",signature="` + c.signature + `"`
}

// addSeeds adds every file of tests/fuzz/corpus/authorization and tests/fuzz/regressions/
// authorization (AGGPAY_SOURCE_DIR, set by build.sh) as a seed: plain `go test` runs each
// once, `go test -fuzz` starts from them.
func addSeeds(f *testing.F) {
	root := os.Getenv("AGGPAY_SOURCE_DIR")
	if root == "" {
		return
	}
	for _, dir := range []string{"corpus", "regressions"} {
		files, _ := filepath.Glob(filepath.Join(root, "tests", "fuzz", dir, "authorization", "*"))
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatalf("seed %s: %v", name, err)
			}
			f.Add(string(b))
		}
	}
}

// FuzzParseAuthorization: a header that parses names each parameter once with a non-empty,
// printable, unquoted value; it re-serialises to docs/api.md's spelling, which parses to the
// same credential; and what is refused is refused with a message, never a panic.
func FuzzParseAuthorization(f *testing.F) {
	f.Add(`AGGPAY-HMAC-SHA256 key_id="ak_demo_0001",timestamp="1717228800",nonce="9f86d081884c7d659a2feaa0c55ad015",signature="24848c3fd44041706ada74570543da73b43dc2d6c804934b79e2f5392cf8ddac"`)
	addSeeds(f)
	f.Fuzz(func(t *testing.T, header string) {
		c, err := parseAuthorization(header)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("%q: an error with no message", header)
			}
			return
		}
		if len(header) > maxAuthorizationBytes {
			t.Fatalf("a %d-byte header was parsed", len(header))
		}
		for _, v := range []string{c.keyID, c.timestamp, c.nonce, c.signature} {
			if v == "" {
				t.Fatalf("%q: parsed with an empty value: %+v", header, c)
			}
			for i := 0; i < len(v); i++ {
				if v[i] < 0x21 || v[i] > 0x7e || v[i] == '"' || v[i] == '\\' {
					t.Fatalf("%q: value %q has byte %#x", header, v, v[i])
				}
			}
			if !strings.Contains(header, `"`+v+`"`) {
				t.Fatalf("%q: value %q is not one of the header's quoted strings", header, v)
			}
		}
		again, err := parseAuthorization(formatAuthorization(c))
		if err != nil {
			t.Fatalf("%q parses, but its canonical spelling %q does not: %v", header,
				formatAuthorization(c), err)
		}
		if again != c {
			t.Fatalf("%q: re-serialised it reads %+v, not %+v", header, again, c)
		}
	})
}

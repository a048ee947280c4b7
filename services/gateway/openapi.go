package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

const openAPIDescription = `The aggpay merchant API: REST/JSON over the aggpay gRPC services.

Every request is signed (see the AggpayHmac security scheme and docs/api.md), except the payers'
routes under /v1/public/, which are unsigned and rate-limited per client address. Field names are the
proto names (amount_minor). int64 fields are JSON strings ("12345"), as in proto3's JSON mapping.
Every error has one shape: {"error":{"code":"INVALID_ARGUMENT","http_status":400,"message":"...",
"field":"amount"}}; field appears when the service named the request field at fault.`

const securityDescription = `Authorization: AGGPAY-HMAC-SHA256 key_id="...",timestamp="...",nonce="...",signature="..."

signature is the lowercase hex HMAC-SHA256, under the API key's secret, of
METHOD\nPATH_AND_QUERY\nTIMESTAMP\nNONCE\nBODY_SHA256\n (each line ends with a newline, the last
one too). METHOD is upper case; PATH_AND_QUERY the request target exactly as sent; TIMESTAMP Unix
seconds within 300 s of the server's clock; NONCE 8 to 64 of [A-Za-z0-9_-], never reused;
BODY_SHA256 the lowercase hex SHA-256 of the raw body (of the empty string when there is none).`

// finishOpenAPI merges protoc-gen-swagger's per-file documents into the one the gateway serves,
// with a title, the signing scheme, the error shape on every operation, and only the definitions
// that the routes use (a file's document holds every message of the file, internal ones
// included).
//
// The merge is done here rather than by protoc-gen-swagger's allow_merge: v1.6.4 merges by
// appending every file's services to the first file, then looks their comments up in that
// file's source info, so every operation but the first file's loses its summary.
func finishOpenAPI(files ...[]byte) ([]byte, error) {
	var doc map[string]interface{}
	paths := map[string]interface{}{}
	defs := map[string]interface{}{}
	for i, raw := range files {
		var part map[string]interface{}
		if err := json.Unmarshal(raw, &part); err != nil {
			return nil, fmt.Errorf("document %d is not JSON: %v", i+1, err)
		}
		if doc == nil {
			doc = part
		}
		partPaths, _ := part["paths"].(map[string]interface{})
		for path, item := range partPaths {
			ops, _ := item.(map[string]interface{})
			merged, _ := paths[path].(map[string]interface{})
			if merged == nil {
				merged = map[string]interface{}{}
				paths[path] = merged
			}
			for method, op := range ops {
				if _, dup := merged[method]; dup {
					return nil, fmt.Errorf("%s %s is bound twice", strings.ToUpper(method), path)
				}
				merged[method] = op
			}
		}
		partDefs, _ := part["definitions"].(map[string]interface{})
		for name, d := range partDefs {
			// The same message appears in each file that uses it; keep a documented copy.
			if old, ok := defs[name].(map[string]interface{}); ok {
				if _, documented := old["description"]; documented {
					continue
				}
			}
			defs[name] = d
		}
	}
	if doc == nil || len(paths) == 0 {
		return nil, fmt.Errorf("no HTTP routes in the protos")
	}
	doc["paths"] = paths

	doc["info"] = map[string]interface{}{
		"title":       "aggpay merchant API",
		"version":     "v1",
		"description": openAPIDescription,
	}
	doc["securityDefinitions"] = map[string]interface{}{
		"AggpayHmac": map[string]interface{}{
			"type":        "apiKey",
			"in":          "header",
			"name":        "Authorization",
			"description": securityDescription,
		},
	}
	doc["security"] = []interface{}{map[string]interface{}{"AggpayHmac": []interface{}{}}}

	defs["aggpayError"] = map[string]interface{}{
		"type": "object",
		"properties": map[string]interface{}{
			"error": map[string]interface{}{
				"type":     "object",
				"required": []interface{}{"code", "http_status", "message"},
				"properties": map[string]interface{}{
					"code": map[string]interface{}{
						"type":        "string",
						"description": "The gRPC status name: INVALID_ARGUMENT, UNAUTHENTICATED, NOT_FOUND, ...",
					},
					"http_status": map[string]interface{}{"type": "integer", "format": "int32"},
					"message":     map[string]interface{}{"type": "string"},
					"field": map[string]interface{}{
						"type":        "string",
						"description": "The request field at fault, when there is one.",
					},
				},
			},
		},
	}
	errorResponse := map[string]interface{}{
		"description": "An error (every error has this shape). 429 comes with Retry-After.",
		"schema":      map[string]interface{}{"$ref": "#/definitions/aggpayError"},
	}
	for path, item := range paths {
		ops, ok := item.(map[string]interface{})
		if !ok {
			continue
		}
		for _, op := range ops {
			o, ok := op.(map[string]interface{})
			if !ok {
				continue
			}
			if strings.HasPrefix(path, publicPrefix) {
				// The payers' routes: unsigned, rate-limited per client address.
				o["security"] = []interface{}{}
			}
			responses, _ := o["responses"].(map[string]interface{})
			if responses == nil {
				responses = map[string]interface{}{}
				o["responses"] = responses
			}
			responses["default"] = errorResponse
		}
	}

	// Keep the definitions reachable from the paths.
	keep := map[string]bool{}
	var queue []string
	addRefs := func(v interface{}) {
		for _, name := range refs(v) {
			if !keep[name] {
				keep[name] = true
				queue = append(queue, name)
			}
		}
	}
	addRefs(paths)
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if d, ok := defs[name]; ok {
			addRefs(d)
		}
	}
	for name := range defs {
		if !keep[name] {
			delete(defs, name)
		}
	}
	doc["definitions"] = defs

	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// refs lists the definitions that v refers to ("$ref": "#/definitions/NAME"), sorted.
func refs(v interface{}) []string {
	seen := map[string]bool{}
	var walk func(interface{})
	walk = func(v interface{}) {
		switch t := v.(type) {
		case map[string]interface{}:
			for k, x := range t {
				if s, ok := x.(string); ok && k == "$ref" {
					if name := strings.TrimPrefix(s, "#/definitions/"); name != s {
						seen[name] = true
					}
					continue
				}
				walk(x)
			}
		case []interface{}:
			for _, x := range t {
				walk(x)
			}
		}
	}
	walk(v)
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// finishOpenAPIFiles runs finishOpenAPI over every *.swagger.json under dir (or over the one
// file dir names), in path order.
func finishOpenAPIFiles(dir string) ([]byte, error) {
	var names []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (path == dir || strings.HasSuffix(path, ".swagger.json")) {
			names = append(names, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var files [][]byte
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		files = append(files, b)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no *.swagger.json under %s", dir)
	}
	return finishOpenAPI(files...)
}

// loadOpenAPI reads the document the gateway serves at /openapi.json.
func loadOpenAPI(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("%s is not JSON", path)
	}
	return b, nil
}

func serveBytes(contentType string, b []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, r, "GET, HEAD")
			return
		}
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(b)
	}
}

package server

import (
	"strings"
	"testing"
)

func TestPlainMessage(t *testing.T) {
	tests := []struct{ in, want string }{
		{`not found: not found: point "x"`, `not found: point "x"`},
		{`id: not found: not found: point "a"`, `id: not found: point "a"`},
		{`a: a: a: b`, `a: b`},
		{`space "s" does not exist in dataset "d"`, `space "s" does not exist in dataset "d"`},
		{`x: y: x`, `x: y: x`},
		{``, ``},
	}
	for _, tc := range tests {
		if got := plainMessage(tc.in); got != tc.want {
			t.Errorf("plainMessage(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestNotFoundReadsOnce sends requests whose errors pass through several
// wrapping layers and checks that no word sequence repeats back to back.
func TestNotFoundReadsOnce(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.call("POST", "/v1/datasets", map[string]any{"name": "ds"}, nil)
	ts.call("POST", "/v1/datasets/ds/spaces", map[string]any{"name": "s", "dim": 2, "metric": "l2"}, nil)
	for _, rq := range []struct{ method, path, body string }{
		{"GET", "/v1/datasets/ds/points/nope", ""},
		{"POST", "/v1/datasets/ds/search", `{"space":"s","id":"nope"}`},
		{"DELETE", "/v1/datasets/ds/points/nope", ""},
	} {
		var e errBody
		var body any
		if rq.body != "" {
			body = rq.body
		}
		if code := ts.call(rq.method, rq.path, body, &e); code != 404 {
			t.Errorf("%s %s: %d, want 404", rq.method, rq.path, code)
		}
		if strings.Contains(e.Error.Message, "not found: not found") || e.Error.Message == "" {
			t.Errorf("%s %s: message %q", rq.method, rq.path, e.Error.Message)
		}
	}
}

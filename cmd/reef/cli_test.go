package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reef-ml/reef/server"
)

// cliServer is a real reef server on a loopback port with one dataset,
// "photos", of two spaces: "img" (point vectors) and "img-boxes" (none).
func cliServer(t *testing.T) string {
	t.Helper()
	eng := openRestoreEngine(t, t.TempDir())
	so := server.DefaultOptions()
	so.Logger = quiet()
	srv, err := server.New(eng, so)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); eng.Close() })
	post := func(path, body string) {
		resp, err := http.Post(hs.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("POST %s: %d", path, resp.StatusCode)
		}
	}
	post("/v1/datasets", `{"name":"photos"}`)
	post("/v1/datasets/photos/spaces", `{"name":"img","dim":2,"metric":"l2"}`)
	post("/v1/datasets/photos/spaces", `{"name":"img-boxes","dim":2,"metric":"l2"}`)
	var pts []string
	for i := range 5 {
		pts = append(pts, fmt.Sprintf(`{"id":"p%d","vectors":{"img":[%d,1]},"metadata":{"label":"l%d","score":%d.5,"tags":["a"]}}`, i, i, i%2, i))
	}
	post("/v1/datasets/photos/points", `{"points":[`+strings.Join(pts, ",")+`]}`)
	return hs.URL
}

// reef runs the CLI in-process and returns its standard output and error.
func reef(t *testing.T, url string, args ...string) (string, error) {
	t.Helper()
	t.Setenv("REEF_SERVER", url) // read when the flags are made
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestCLICommands(t *testing.T) {
	url := cliServer(t)
	dir := t.TempDir()
	tests := []struct {
		name    string
		args    []string
		want    []string // substrings of the output, or of the error
		wantErr bool
	}{
		{"datasets", []string{"datasets"}, []string{"photos", "5", "img, img-boxes"}, false},
		{"info", []string{"info", "photos"}, []string{"img ", "img-boxes", "label", "string", "score", "number", "tags", "list", "from 5 of 5 points"}, false},
		{"info sampled", []string{"info", "photos", "--sample", "2"}, []string{"from 2 of 5 points"}, false},
		{"info typo", []string{"info", "photoz"}, []string{`dataset "photoz" does not exist`, `did you mean "photos"?`}, true},
		{"search picks the image space", []string{"search", "--dataset", "photos", "--id", "p0", "-k", "2"}, []string{"p1", "2 hits"}, false},
		{"space typo", []string{"search", "--dataset", "photos", "--space", "imgs", "--id", "p0"}, []string{`space "imgs" does not exist in dataset "photos"`, "img, img-boxes", `did you mean "img"?`}, true},
		{"far name: no guess", []string{"search", "--dataset", "zzzzzzzz", "--id", "p0"}, []string{"datasets: photos"}, true},
		{"export", []string{"export", "photos", "-o", filepath.Join(dir, "p.parquet")}, []string{"exported photos/img to"}, false},
		{"export npy", []string{"export", "photos", "--format", "npy", "-o", filepath.Join(dir, "p.npy")}, []string{"exported photos/img"}, false},
		{"delete points", []string{"delete", "photos", "p4"}, []string{"deleted 1 point from photos"}, false},
		{"delete unknown point", []string{"delete", "photos", "p9"}, []string{`not found: point "p9"`}, true},
		{"delete dataset needs --yes", []string{"delete", "photos"}, []string{"add --yes"}, true},
		{"delete dataset", []string{"delete", "photos", "--yes"}, []string{"deleted dataset photos (4 points)"}, false},
		{"gone", []string{"datasets"}, []string{"no datasets yet"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := reef(t, url, tc.args...)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v; output %s", err, tc.wantErr, out)
			}
			if err != nil {
				out += err.Error()
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if err != nil && (repeatsWords(err.Error()) || strings.Contains(err.Error(), "not_found")) || strings.Contains(out, "did you mean \"zz") {
				t.Errorf("output repeats itself or guesses wildly:\n%s", out)
			}
		})
	}
	if st, err := os.Stat(filepath.Join(dir, "p.npy")); err != nil || st.Size() != 128+5*2*4 {
		t.Errorf("p.npy: %v %v, want a 128-byte header and 5×2 float32", st, err)
	}
}

func TestDefaultSpace(t *testing.T) {
	sp := func(name string, pv int) spaceInfo { return spaceInfo{Name: name, PointVectors: pv} }
	tests := []struct {
		name   string
		spaces []spaceInfo
		want   string
		err    string
	}{
		{"only", []spaceInfo{sp("a", 0)}, "a", ""},
		{"model image space", []spaceInfo{sp("m", 10), sp("m-boxes", 0)}, "m", ""},
		{"two with images", []spaceInfo{sp("a", 1), sp("b", 1)}, "", "give --space: a, b"},
		{"none", nil, "", "no spaces yet"},
	}
	for _, tc := range tests {
		got, err := defaultSpace(datasetInfo{Name: "d", Spaces: tc.spaces})
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %q %v, want %q %q", tc.name, got, err, tc.want, tc.err)
		}
	}
}

func TestNearest(t *testing.T) {
	names := []string{"caltech", "fashion-mnist", "photos"}
	tests := []struct{ in, want string }{
		{"caltec", "caltech"}, {"Caltech", "caltech"}, {"fashion_mnist", "fashion-mnist"}, {"xyz", ""}, {"", ""},
	}
	for _, tc := range tests {
		if got := nearest(tc.in, names); got != tc.want {
			t.Errorf("nearest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLineProgressIsPlain(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, 10, "embedding images", false)
	old := plainEvery
	plainEvery = 0
	defer func() { plainEvery = old }()
	for range 10 {
		p.Add(1)
	}
	p.Finish()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 11 || !strings.HasPrefix(lines[10], "embedding images: 10/10 (100%)") {
		t.Fatalf("lines %q", lines)
	}
	if strings.ContainsAny(buf.String(), "\r\x1b") {
		t.Errorf("control characters in redirected progress: %q", buf.String())
	}
}

func TestScrollJSONRoundTrip(t *testing.T) {
	// info reads the scroll route through these tags.
	var page struct {
		Points []struct {
			Metadata map[string]any `json:"metadata"`
		} `json:"points"`
		NextCursor string `json:"next_cursor"`
	}
	if err := json.Unmarshal([]byte(`{"points":[{"id":"a","metadata":{"x":1}}],"next_cursor":"YQ"}`), &page); err != nil || page.NextCursor != "YQ" || page.Points[0].Metadata["x"] != 1.0 {
		t.Fatalf("%+v %v", page, err)
	}
}

// repeatsWords reports a wrapped error whose layers say the same thing
// twice, as in "not found: not found: point".
func repeatsWords(s string) bool {
	parts := strings.Split(s, ": ")
	for i := 1; i < len(parts); i++ {
		if parts[i] == parts[i-1] || strings.HasPrefix(parts[i], parts[i-1]+" ") {
			return true
		}
	}
	return false
}

func TestRepeatsWords(t *testing.T) {
	for s, want := range map[string]bool{
		`not found: not found: point "x"`: true, `not found: point "x" (HTTP 404)`: false, "the: the": true,
		`space "emb" does not exist in dataset "cli"`: false, "not found: not found point": true,
		`space "imgs" does not exist; spaces: img, img-boxes`: false,
	} {
		if repeatsWords(s) != want {
			t.Errorf("repeatsWords(%q) = %v", s, !want)
		}
	}
}

func TestBenchObserverPlainOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	obs := newBenchObserver(&buf)
	if _, ok := obs.(*plainObserver); !ok {
		t.Fatalf("a buffer got %T, want the plain observer", obs)
	}
	obs.Stage("exact ground truth", 1000)
	for range 1000 {
		obs.Advance(1)
	}
	obs.Stage("build", 10)
	obs.Close()
	if lines := strings.Count(buf.String(), "\n"); lines != 2 || strings.ContainsAny(buf.String(), "\r\x1b") {
		t.Errorf("%d lines for 1000 steps (want one a stage, plain):\n%q", lines, buf.String())
	}
}

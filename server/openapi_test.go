package server

import (
	"bufio"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes keeps docs/openapi.yaml true to the router: every
// route is documented and every documented operation exists.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	f, err := os.Open("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pathRE := regexp.MustCompile(`^  (/\S*):\s*$`)
	methodRE := regexp.MustCompile(`^    (get|post|put|delete|patch):`)
	paramRE := regexp.MustCompile(`\{(\w+)\}`)
	documented := map[string]bool{}
	inPaths, cur := false, ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "paths:" {
			inPaths = true
			continue
		}
		if !inPaths {
			continue
		}
		if m := pathRE.FindStringSubmatch(line); m != nil {
			cur = paramRE.ReplaceAllString(m[1], ":$1")
		} else if m := methodRE.FindStringSubmatch(line); m != nil && cur != "" {
			documented[strings.ToUpper(m[1])+" "+cur] = true
		}
	}
	ts := newTestServer(t, t.TempDir(), nil)
	routed := map[string]bool{}
	for _, rt := range ts.srv.routes {
		routed[rt.method+" "+rt.path] = true
	}
	var missing, extra []string
	for r := range routed {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for d := range documented {
		if !routed[d] {
			extra = append(extra, d)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing)+len(extra) > 0 {
		t.Fatalf("openapi.yaml is out of date:\n undocumented routes: %v\n documented but not routed: %v", missing, extra)
	}
}

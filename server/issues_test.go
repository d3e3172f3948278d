package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reef-ml/reef/engine"
)

func TestIssueSaveCollectExport(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	twoSets(t, ts)
	var members []string
	for i := range 20 {
		members = append(members, fmt.Sprintf("ca-1-%d", i))
	}
	var is struct {
		Name  string
		IDs   []string
		Space struct{ Provenance string }
	}
	if code := ts.call("POST", "/v1/datasets/ca/issues", map[string]any{"name": "c1-fails", "space": "s", "ids": members}, &is); code != 200 || len(is.IDs) != 20 {
		t.Fatalf("save: %d %+v", code, is)
	}
	// Membership is in metadata, for filters.
	var upd struct{ Matched int }
	ts.call("POST", "/v1/datasets/ca/points/metadata", map[string]any{"filter": map[string]any{"metadata.issues": "c1-fails"}, "set": map[string]any{"seen": true}}, &upd)
	if upd.Matched != 20 {
		t.Errorf("filter on issues matched %d, want 20", upd.Matched)
	}
	type hits struct {
		Hits  []struct{ ID string }
		Saved int
	}
	precision := func(h hits) float64 {
		n := 0
		for _, x := range h.Hits {
			if strings.HasPrefix(x.ID, "cb-1-") {
				n++
			}
		}
		return float64(n) / float64(len(h.Hits))
	}
	var first hits
	if code := ts.call("POST", "/v1/datasets/ca/issues/c1-fails/collect", map[string]any{"from": "cb", "k": 50}, &first); code != 200 || len(first.Hits) != 50 {
		t.Fatalf("collect: %d, %d hits", code, len(first.Hits))
	}
	accept, reject := []string{"cb-1-0", "cb-1-1", "cb-1-2"}, []string{"cb-0-0", "cb-0-1", "cb-0-2"}
	var second hits
	ts.call("POST", "/v1/datasets/ca/issues/c1-fails/collect", map[string]any{"from": "cb", "k": 50, "accept": accept, "reject": reject, "save": true}, &second)
	if precision(first) < 0.98 || precision(second) < precision(first) || second.Saved != 3 {
		t.Errorf("precision %.2f then %.2f with feedback, saved %d", precision(first), precision(second), second.Saved)
	}
	for _, h := range second.Hits {
		if h.ID == accept[0] || h.ID == reject[0] {
			t.Errorf("judged point %s returned again", h.ID)
		}
	}
	for format, want := range map[string]string{"csv": "dataset,id,source\nca,ca-1-0,issue\n", "jsonl": `{"dataset":"ca","id":"ca-1-0","source":"issue"}`} {
		req := httptest.NewRequest("GET", "/v1/datasets/ca/issues/c1-fails/export?format="+format, nil)
		rec := httptest.NewRecorder()
		ts.srv.Handler().ServeHTTP(rec, req)
		body := rec.Body.String()
		lines := strings.Count(strings.TrimSpace(body), "\n") + 1
		wantLines := 23
		if format == "csv" {
			wantLines++
		}
		if rec.Code != 200 || !strings.HasPrefix(body, want) || lines != wantLines || !strings.Contains(body, "cb-1-2") {
			t.Errorf("%s export: %d, %d lines:\n%s", format, rec.Code, lines, body)
		}
	}
	var list struct {
		Issues []struct {
			Name            string
			Size, Collected int
		}
	}
	ts.call("GET", "/v1/datasets/ca/issues", nil, &list)
	if len(list.Issues) != 1 || list.Issues[0].Size != 20 || list.Issues[0].Collected != 3 {
		t.Errorf("list %+v", list)
	}
	// A pool embedded by another model is refused, naming from.
	ctx := context.Background()
	ts.eng.CreateDataset(ctx, "pool2")
	ts.eng.CreateSpace(ctx, "pool2", engine.SpaceSpec{Name: "s", Dim: 8, Metric: "l2", Provenance: "clip", ModelVersion: "2"})
	for _, tt := range []struct {
		path, body string
		status     int
		field      string
	}{
		{"/v1/datasets/ca/issues/c1-fails/collect", `{"from":"pool2"}`, 400, "from"},
		{"/v1/datasets/ca/issues/c1-fails/collect", `{}`, 400, "from"},
		{"/v1/datasets/ca/issues/nope/collect", `{"from":"cb"}`, 404, "issue"},
		{"/v1/datasets/ca/issues", `{"name":"x","space":"s","ids":["missing"]}`, 404, "ids[0]"},
		{"/v1/datasets/ca/issues", `{"name":"../x","space":"s","ids":["ca-1-0"]}`, 400, "name"},
		{"/v1/datasets/ca/issues", `{"name":"x","space":"s","ids":[]}`, 400, "ids"},
	} {
		var e errBody
		if code := ts.call("POST", tt.path, tt.body, &e); code != tt.status || e.Error.Field != tt.field {
			t.Errorf("%s %s: %d %+v, want %d field %q", tt.path, tt.body, code, e.Error, tt.status, tt.field)
		}
	}
}

package engine

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/reef-ml/reef/storage"
)

func TestFilterLanguage(t *testing.T) {
	meta := map[string]any{}
	json.Unmarshal([]byte(`{"label":"cat","score":0.85,"n":3,"tags":["review","hard"],"split":"test",
		"box":{"w":12},"ok":true,"note":"blurry photo","none":null}`), &meta)
	tests := []struct {
		name   string
		filter string
		want   bool
	}{
		{"scalar eq", `{"metadata.label":"cat"}`, true},
		{"scalar eq miss", `{"metadata.label":"dog"}`, false},
		{"any of", `{"metadata.label":["dog","cat"]}`, true},
		{"number is not string", `{"metadata.n":"3"}`, false},
		{"tag membership", `{"metadata.tags":"review"}`, true},
		{"tag contains", `{"metadata.tags":{"$contains":"hard"}}`, true},
		{"tag contains miss", `{"metadata.tags":{"$contains":"easy"}}`, false},
		{"substring", `{"metadata.note":{"$contains":"blur"}}`, true},
		{"gt", `{"metadata.score":{"$gt":0.8}}`, true},
		{"range", `{"metadata.score":{"$gte":0.8,"$lt":0.9}}`, true},
		{"range miss", `{"metadata.score":{"$gte":0.9}}`, false},
		{"lte equal", `{"metadata.n":{"$lte":3}}`, true},
		{"string range", `{"metadata.split":{"$gt":"a","$lt":"u"}}`, true},
		{"number vs string compare", `{"metadata.label":{"$gt":1}}`, false},
		{"nested path", `{"metadata.box.w":{"$gt":10}}`, true},
		{"exists", `{"metadata.score":{"$exists":true}}`, true},
		{"not exists", `{"metadata.missing":{"$exists":false}}`, true},
		{"null exists", `{"metadata.none":{"$exists":true}}`, true},
		{"eq null", `{"metadata.none":null}`, true},
		{"ne", `{"metadata.label":{"$ne":"dog"}}`, true},
		{"ne missing holds", `{"metadata.missing":{"$ne":"x"}}`, true},
		{"ne on list", `{"metadata.tags":{"$ne":"review"}}`, false},
		{"nin", `{"metadata.label":{"$nin":["dog","cow"]}}`, true},
		{"nin miss", `{"metadata.label":{"$nin":["cat"]}}`, false},
		{"bool", `{"metadata.ok":true}`, true},
		{"and", `{"$and":[{"metadata.label":"cat"},{"metadata.n":3}]}`, true},
		{"or", `{"$or":[{"metadata.label":"dog"},{"metadata.n":3}]}`, true},
		{"or miss", `{"$or":[{"metadata.label":"dog"},{"metadata.n":4}]}`, false},
		{"not", `{"$not":{"metadata.label":"cat"}}`, false},
		{"all keys hold", `{"metadata.label":"cat","metadata.split":"train"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Filter
			if err := json.Unmarshal([]byte(tt.filter), &f); err != nil {
				t.Fatal(err)
			}
			cf, err := compileFilter(f, storage.LevelPoint)
			if err != nil {
				t.Fatal(err)
			}
			if got := cf.root.match(fctx{meta: meta}); got != tt.want {
				t.Fatalf("match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFilterRefusesBadShapes(t *testing.T) {
	tests := []struct {
		name, filter, field string
	}{
		{"unknown operator", `{"metadata.a":{"$like":"x"}}`, "filter.metadata.a.$like"},
		{"unknown key", `{"label":"x"}`, "filter.label"},
		{"unknown logical", `{"$xor":[]}`, "filter.$xor"},
		{"empty in", `{"metadata.a":[]}`, "filter.metadata.a.$in"},
		{"object in list", `{"metadata.a":{"$in":[{"b":1}]}}`, "filter.metadata.a.$in[0]"},
		{"exists not bool", `{"metadata.a":{"$exists":1}}`, "filter.metadata.a.$exists"},
		{"gt bool", `{"metadata.a":{"$gt":true}}`, "filter.metadata.a.$gt"},
		{"or not list", `{"$or":{"metadata.a":1}}`, "filter.$or"},
		{"or item", `{"$or":[1]}`, "filter.$or[0]"},
		{"nested error", `{"$or":[{"metadata.a":{"$gt":[1]}}]}`, "filter.$or[0].metadata.a.$gt"},
		{"object at point level", `{"object.class":"cat"}`, "filter.object.class"},
		{"empty ops", `{"metadata.a":{}}`, "filter.metadata.a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Filter
			if err := json.Unmarshal([]byte(tt.filter), &f); err != nil {
				t.Fatal(err)
			}
			_, err := compileFilter(f, storage.LevelPoint)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want field %s", err, tt.field)
			}
		})
	}
	deep := `{"metadata.a":1}`
	for range maxFilterDepth + 1 {
		deep = `{"$not":` + deep + `}`
	}
	var f Filter
	json.Unmarshal([]byte(deep), &f)
	if _, err := compileFilter(f, storage.LevelPoint); !errors.Is(err, ErrInvalid) {
		t.Fatalf("deep filter: %v", err)
	}
}

func TestFilteredSearchOperatorsAndWarnings(t *testing.T) {
	e := openEngine(t, t.TempDir())
	defer e.Close()
	seed(t, e, 400, 8, "l2")
	ctx := context.Background()
	res, err := e.Search(ctx, "ds", SearchRequest{Space: "emb", ID: "p0001", K: 400,
		Filter: Filter{"metadata.n": map[string]any{"$gte": 100.0, "$lt": 110.0}}})
	if err != nil {
		t.Fatal(err)
	}
	got := ids(res.Hits)
	slices.Sort(got)
	want := []string{"p0100", "p0101", "p0102", "p0103", "p0104", "p0105", "p0106", "p0107", "p0108", "p0109"}
	if !slices.Equal(got, want) || len(res.Warnings) != 0 {
		t.Fatalf("range filter got %v (warnings %v), want %v", got, res.Warnings, want)
	}
	res, err = e.Search(ctx, "ds", SearchRequest{Space: "emb", ID: "p0001", K: 5, Filter: Filter{"metadata.splt": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 0 || len(res.Warnings) != 1 {
		t.Fatalf("misspelt field: %d hits, warnings %v", len(res.Hits), res.Warnings)
	}
	mustCheck(t, e)
}

package engine

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestTargetUnmarshalJSON(t *testing.T) {
	tests := []struct {
		in   string
		want []Target
		err  string
	}{
		{`["a","b"]`, []Target{{ID: "a"}, {ID: "b"}}, ""},
		{`[{"id":"a","weight":2},"b"]`, []Target{{ID: "a", Weight: 2}, {ID: "b"}}, ""},
		{`[{"vector":[1,0]}]`, []Target{{Vector: []float32{1, 0}}}, ""},
		{`[{"id":"a","object_id":"det0","dataset":"train"}]`, []Target{{ID: "a", ObjectID: "det0", Dataset: "train"}}, ""},
		{`["é\u00e9"]`, []Target{{ID: "éé"}}, ""},
		{`[""]`, nil, "must not be empty"},
		{`[5]`, nil, "is an id string or an object"},
		{`[["a"]]`, nil, "is an id string or an object"},
		{`[{"idd":"a"}]`, nil, `unknown field "idd"`},
		{`[{"id":5}]`, nil, "cannot unmarshal number"},
	}
	for _, tc := range tests {
		var got []Target
		err := json.Unmarshal([]byte(tc.in), &got)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v %v, want %+v", tc.in, got, err, tc.want)
		}
	}
}

func FuzzTargetUnmarshalJSON(f *testing.F) {
	for _, s := range []string{`"a"`, `{"id":"a","weight":1}`, `null`, `5`, `{"vector":[1,2]}`, `""`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var tg Target
		if err := json.Unmarshal(data, &tg); err != nil {
			return
		}
		// Whatever decodes re-encodes as an object that decodes the same.
		again, err := json.Marshal(tg)
		if err != nil {
			t.Fatal(err)
		}
		var back Target
		if err := json.Unmarshal(again, &back); err != nil || !reflect.DeepEqual(normal(back), normal(tg)) {
			t.Fatalf("%q → %s → %+v %v", data, again, back, err)
		}
	})
}

// normal makes an empty vector nil, as omitempty drops it.
func normal(t Target) Target {
	if len(t.Vector) == 0 {
		t.Vector = nil
	}
	return t
}

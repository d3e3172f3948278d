package weaviate

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	pb "github.com/weaviate/weaviate/grpc/generated/protocol/v1"
	"google.golang.org/protobuf/encoding/prototext"
)

func TestFilterTranslation(t *testing.T) {
	tests := []struct {
		name string
		f    Filter
		want string // prototext of the translation, whitespace-normalized
	}{
		{"empty", nil, ""},
		{"eq text", Filter{Eq("split", "test")}, `operator:OPERATOR_EQUAL value_text:"test" target:{property:"split"}`},
		{"eq number", Filter{Eq("label", 3.0)}, `operator:OPERATOR_EQUAL value_number:3 target:{property:"label"}`},
		{"eq bool", Filter{Eq("ok", true)}, `operator:OPERATOR_EQUAL value_boolean:true target:{property:"ok"}`},
		{"eq int", Filter{Eq("n", 7)}, `operator:OPERATOR_EQUAL value_int:7 target:{property:"n"}`},
		{"range", Range("score", 0.5, 1), `operator:OPERATOR_AND filters:{operator:OPERATOR_GREATER_THAN_EQUAL value_number:0.5 target:{property:"score"}} filters:{operator:OPERATOR_LESS_THAN value_number:1 target:{property:"score"}}`},
		{"any of one", Filter{AnyOf("c", "cat")}, `operator:OPERATOR_EQUAL value_text:"cat" target:{property:"c"}`},
		{"any of", Filter{AnyOf("c", "cat", "dog")}, `operator:OPERATOR_OR filters:{operator:OPERATOR_EQUAL value_text:"cat" target:{property:"c"}} filters:{operator:OPERATOR_EQUAL value_text:"dog" target:{property:"c"}}`},
		{"is null", Filter{{Property: "c", Op: OpIsNull, Value: true}}, `operator:OPERATOR_IS_NULL value_boolean:true target:{property:"c"}`},
		{"like", Filter{{Property: "c", Op: OpLike, Value: "ca*"}}, `operator:OPERATOR_LIKE value_text:"ca*" target:{property:"c"}`},
		{"or", Filter{Or(Filter{Eq("a", "x")}, Filter{Eq("b", 1.0), Eq("c", true)})}, `operator:OPERATOR_OR filters:{operator:OPERATOR_EQUAL value_text:"x" target:{property:"a"}} filters:{operator:OPERATOR_AND filters:{operator:OPERATOR_EQUAL value_number:1 target:{property:"b"}} filters:{operator:OPERATOR_EQUAL value_boolean:true target:{property:"c"}}}`},
		{"not", Filter{Not(Filter{Eq("a", "x")})}, `operator:OPERATOR_NOT filters:{operator:OPERATOR_EQUAL value_text:"x" target:{property:"a"}}`},
		{"not equal", Filter{{Property: "c", Op: OpNotEqual, Value: "x"}}, `operator:OPERATOR_NOT_EQUAL value_text:"x" target:{property:"c"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.f.proto()
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if p != nil {
				got = strings.Join(strings.Fields(prototext.MarshalOptions{}.Format(p)), " ")
			}
			if norm(got) != norm(tt.want) {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// norm drops the spaces prototext may or may not put after ':' and '{'.
func norm(s string) string {
	return strings.NewReplacer(": ", ":", "{ ", "{", " }", "}").Replace(s)
}

func TestFilterRejectsEveryBadCondition(t *testing.T) {
	f := Filter{
		Eq("bad-name", "x"),
		{Property: "a", Op: OpLess, Value: "text"},
		{Property: "b", Op: OpAnyOf},
		{Property: "c", Op: OpIsNull, Value: "yes"},
		Eq("d", math.NaN()),
		Eq("e", []int{1}),
		{Property: "f", Op: 99, Value: 1.0},
		Or(),
		{Op: OpNot, Sub: []Filter{{Eq("a", "x")}, {Eq("b", "y")}}},
		{Property: "g", Op: OpLike, Value: 3.0},
		Or(Filter{Eq("bad name", "x")}),
	}
	_, err := f.proto()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	for i := range f {
		if !strings.Contains(err.Error(), fmt.Sprintf("filter[%d]", i)) {
			t.Errorf("condition %d not reported in %v", i, err)
		}
	}
}

func TestIDFilter(t *testing.T) {
	p := idFilter([]string{"u1", "u2"})
	if p.GetOperator() != pb.Filters_OPERATOR_CONTAINS_ANY || p.GetTarget().GetProperty() != "_id" || len(p.GetValueTextArray().GetValues()) != 2 {
		t.Fatalf("idFilter = %v", p)
	}
}

func TestFilterDepthIsBounded(t *testing.T) {
	f := Filter{Eq("a", "x")}
	for range maxFilterDepth + 1 {
		f = Filter{Not(f)}
	}
	if _, err := f.proto(); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "nested") {
		t.Fatalf("deep filter = %v, want ErrInvalid naming the nesting", err)
	}
}

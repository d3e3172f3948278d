package weaviate

import (
	"errors"
	"fmt"
	"math"

	pb "github.com/weaviate/weaviate/grpc/generated/protocol/v1"
)

// Op is a comparison of a filter condition.
type Op uint8

// Ops. AnyOf matches when the property equals one of Values; IsNull when
// the property is absent (Value true) or present (Value false). Measured:
// is-null true misses objects written before the property was declared
// (they have no null entry), so test absence as Not(is-null false).
const (
	OpEqual Op = iota + 1
	OpNotEqual
	OpLess
	OpLessEqual
	OpGreater
	OpGreaterEqual
	OpAnyOf
	OpIsNull
	// OpLike matches text against a pattern: * any run, ? one character.
	OpLike
	// OpOr holds when one filter of Sub holds; OpNot when Sub[0] does not.
	OpOr
	OpNot
)

// Cond is one condition on a property. Values are string, float64, int
// (matching an int property), bool; ranges take numbers only.
type Cond struct {
	Property string
	Op       Op
	Value    any
	Values   []any    // for OpAnyOf
	Sub      []Filter // for OpOr and OpNot (Property unused)
}

// Or holds when one of fs holds.
func Or(fs ...Filter) Cond { return Cond{Op: OpOr, Sub: fs} }

// Not holds when f does not. Weaviate's NOT of a comparison on a missing
// property holds, as reef's $ne does.
func Not(f Filter) Cond { return Cond{Op: OpNot, Sub: []Filter{f}} }

// Filter is the conjunction of its conditions; an empty Filter matches
// every object.
type Filter []Cond

// Eq, Range and AnyOf build the common conditions.
func Eq(prop string, v any) Cond { return Cond{Property: prop, Op: OpEqual, Value: v} }

// AnyOf matches objects whose property equals one of vs.
func AnyOf(prop string, vs ...any) Cond { return Cond{Property: prop, Op: OpAnyOf, Values: vs} }

// Range matches lo <= prop < hi.
func Range(prop string, lo, hi float64) Filter {
	return Filter{{Property: prop, Op: OpGreaterEqual, Value: lo}, {Property: prop, Op: OpLess, Value: hi}}
}

var comparisons = map[Op]pb.Filters_Operator{
	OpEqual: pb.Filters_OPERATOR_EQUAL, OpNotEqual: pb.Filters_OPERATOR_NOT_EQUAL,
	OpLess: pb.Filters_OPERATOR_LESS_THAN, OpLessEqual: pb.Filters_OPERATOR_LESS_THAN_EQUAL,
	OpGreater: pb.Filters_OPERATOR_GREATER_THAN, OpGreaterEqual: pb.Filters_OPERATOR_GREATER_THAN_EQUAL,
}

// proto translates f, reporting every bad condition at once; nil for an
// empty filter.
func (f Filter) proto() (*pb.Filters, error) {
	var errs []error
	var parts []*pb.Filters
	for i, c := range f {
		p, err := c.proto()
		if err != nil {
			errs = append(errs, fmt.Errorf("filter[%d]: %w", i, err))
			continue
		}
		parts = append(parts, p)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	switch len(parts) {
	case 0:
		return nil, nil
	case 1:
		return parts[0], nil
	}
	return &pb.Filters{Operator: pb.Filters_OPERATOR_AND, Filters: parts}, nil
}

func (c Cond) proto() (*pb.Filters, error) {
	switch c.Op {
	case OpOr, OpNot:
		return c.logical()
	}
	if !propertyName.MatchString(c.Property) {
		return nil, fmt.Errorf("%w: property %q", ErrInvalid, c.Property)
	}
	target := &pb.FilterTarget{Target: &pb.FilterTarget_Property{Property: c.Property}}
	switch c.Op {
	case OpAnyOf:
		if len(c.Values) == 0 {
			return nil, fmt.Errorf("%w: %s: an empty list matches nothing", ErrInvalid, c.Property)
		}
		or := &pb.Filters{Operator: pb.Filters_OPERATOR_OR}
		for _, v := range c.Values {
			p, err := Eq(c.Property, v).proto()
			if err != nil {
				return nil, err
			}
			or.Filters = append(or.Filters, p)
		}
		if len(or.Filters) == 1 {
			return or.Filters[0], nil
		}
		return or, nil
	case OpIsNull:
		b, ok := c.Value.(bool)
		if !ok {
			return nil, fmt.Errorf("%w: %s: is-null takes true or false", ErrInvalid, c.Property)
		}
		return &pb.Filters{Operator: pb.Filters_OPERATOR_IS_NULL, Target: target, TestValue: &pb.Filters_ValueBoolean{ValueBoolean: b}}, nil
	}
	if c.Op == OpLike {
		v, ok := c.Value.(string)
		if !ok || v == "" {
			return nil, fmt.Errorf("%w: %s: like takes a non-empty pattern", ErrInvalid, c.Property)
		}
		return &pb.Filters{Operator: pb.Filters_OPERATOR_LIKE, Target: target, TestValue: &pb.Filters_ValueText{ValueText: v}}, nil
	}
	op, ok := comparisons[c.Op]
	if !ok {
		return nil, fmt.Errorf("%w: %s: unknown operator %d", ErrInvalid, c.Property, c.Op)
	}
	ranged := c.Op != OpEqual && c.Op != OpNotEqual
	p := &pb.Filters{Operator: op, Target: target}
	switch v := c.Value.(type) {
	case string:
		if ranged {
			return nil, fmt.Errorf("%w: %s: a range needs a number", ErrInvalid, c.Property)
		}
		p.TestValue = &pb.Filters_ValueText{ValueText: v}
	case bool:
		if ranged {
			return nil, fmt.Errorf("%w: %s: a range needs a number", ErrInvalid, c.Property)
		}
		p.TestValue = &pb.Filters_ValueBoolean{ValueBoolean: v}
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: %s: %v is not a finite number", ErrInvalid, c.Property, v)
		}
		p.TestValue = &pb.Filters_ValueNumber{ValueNumber: v}
	case int:
		p.TestValue = &pb.Filters_ValueInt{ValueInt: int64(v)}
	case int64:
		p.TestValue = &pb.Filters_ValueInt{ValueInt: v}
	default:
		return nil, fmt.Errorf("%w: %s: value %v (%T) is not a string, number or boolean", ErrInvalid, c.Property, c.Value, c.Value)
	}
	return p, nil
}

// maxFilterDepth bounds the nesting of Or and Not.
const maxFilterDepth = 16

func (c Cond) logical() (*pb.Filters, error) {
	if c.depth() > maxFilterDepth {
		return nil, fmt.Errorf("%w: filter nested deeper than %d", ErrInvalid, maxFilterDepth)
	}
	if len(c.Sub) == 0 || (c.Op == OpNot && len(c.Sub) != 1) {
		return nil, fmt.Errorf("%w: or needs at least one filter, not exactly one", ErrInvalid)
	}
	out := &pb.Filters{Operator: pb.Filters_OPERATOR_OR}
	if c.Op == OpNot {
		out.Operator = pb.Filters_OPERATOR_NOT
	}
	for i, f := range c.Sub {
		p, err := f.proto()
		if err != nil {
			return nil, fmt.Errorf("sub[%d]: %w", i, err)
		}
		if p == nil {
			return nil, fmt.Errorf("%w: sub[%d] is empty", ErrInvalid, i)
		}
		out.Filters = append(out.Filters, p)
	}
	if c.Op == OpOr && len(out.Filters) == 1 {
		return out.Filters[0], nil
	}
	return out, nil
}

func (c Cond) depth() int {
	d := 0
	for _, f := range c.Sub {
		for _, k := range f {
			d = max(d, k.depth())
		}
	}
	return d + 1
}

// idFilter matches the objects with the given UUIDs.
func idFilter(uuids []string) *pb.Filters {
	return &pb.Filters{
		Operator:  pb.Filters_OPERATOR_CONTAINS_ANY,
		Target:    &pb.FilterTarget{Target: &pb.FilterTarget_Property{Property: "_id"}},
		TestValue: &pb.Filters_ValueTextArray{ValueTextArray: &pb.TextArray{Values: uuids}},
	}
}

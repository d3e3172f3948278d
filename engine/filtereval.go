package engine

import (
	"fmt"
	"sort"
	"strings"
)

// match evaluates a compiled filter against one point (and object).
func (n *fnode) match(x fctx) bool {
	switch n.op {
	case "$and":
		for _, k := range n.kids {
			if !k.match(x) {
				return false
			}
		}
		return true
	case "$or":
		for _, k := range n.kids {
			if k.match(x) {
				return true
			}
		}
		return false
	case "$not":
		return !n.kids[0].match(x)
	}
	v, ok := n.value(x)
	return testField(n.op, v, ok, n.vals)
}

// value looks the node's field up.
func (n *fnode) value(x fctx) (any, bool) {
	if n.object {
		if x.obj == nil {
			return nil, false
		}
		if n.path[0] == "kind" {
			return x.obj.Kind, true
		}
		return x.obj.Class, true
	}
	return lookup(x.meta, n.path)
}

func lookup(meta map[string]any, path []string) (any, bool) {
	var cur any = meta
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// testField applies one operator. A stored list satisfies $eq, $in and the
// comparisons when one of its elements does.
func testField(op string, v any, present bool, vals []any) bool {
	switch op {
	case "$exists":
		return present == vals[0].(bool)
	case "$ne":
		return !present || !anyElem(v, func(e any) bool { return equal(e, vals[0]) })
	case "$nin":
		return !present || !anyElem(v, func(e any) bool { return inList(e, vals) })
	}
	if !present {
		return false
	}
	switch op {
	case "$eq":
		return anyElem(v, func(e any) bool { return equal(e, vals[0]) })
	case "$in":
		return anyElem(v, func(e any) bool { return inList(e, vals) })
	case "$contains":
		if s, ok := v.(string); ok {
			sub, ok := vals[0].(string)
			return ok && strings.Contains(s, sub)
		}
		list, ok := v.([]any)
		return ok && anyElem(list, func(e any) bool { return equal(e, vals[0]) })
	}
	return anyElem(v, func(e any) bool {
		c, ok := compare(e, vals[0])
		if !ok {
			return false
		}
		switch op {
		case "$gt":
			return c > 0
		case "$gte":
			return c >= 0
		case "$lt":
			return c < 0
		}
		return c <= 0 // $lte
	})
}

// anyElem applies f to v, or to each element when v is a list.
func anyElem(v any, f func(any) bool) bool {
	list, ok := v.([]any)
	if !ok {
		return f(v)
	}
	for _, e := range list {
		if f(e) {
			return true
		}
	}
	return false
}

func inList(v any, vals []any) bool {
	for _, w := range vals {
		if equal(v, w) {
			return true
		}
	}
	return false
}

// equal compares JSON-decoded scalars; values of different kinds differ.
func equal(a, b any) bool {
	switch a := a.(type) {
	case string, float64, bool:
		return a == b
	case nil:
		return b == nil
	}
	return false
}

// compare orders two numbers or two strings; ok is false otherwise.
func compare(a, b any) (int, bool) {
	switch a := a.(type) {
	case float64:
		b, ok := b.(float64)
		if !ok {
			return 0, false
		}
		switch {
		case a < b:
			return -1, true
		case a > b:
			return 1, true
		}
		return 0, true
	case string:
		b, ok := b.(string)
		if !ok {
			return 0, false
		}
		return strings.Compare(a, b), true
	}
	return 0, false
}

// fieldWarnings names the filter's fields that no scanned point holds.
func fieldWarnings(cf *compiledFilter, seen map[string]bool) []string {
	var out []string
	done := map[string]bool{}
	for _, n := range cf.fields {
		if n.object || seen[n.field] || done[n.field] {
			continue
		}
		done[n.field] = true
		out = append(out, fmt.Sprintf("filter field %q: no point in this dataset has it", n.field))
	}
	sort.Strings(out)
	return out
}

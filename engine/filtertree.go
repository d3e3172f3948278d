package engine

import "github.com/reef-ml/reef/storage"

// FilterNode is a checked filter as a tree, for stores that push filters
// down: Op is "$and", "$or" or "$not" with Kids, or one field operator
// ($eq $ne $in $nin $gt $gte $lt $lte $exists $contains) on Path (below
// metadata, or ["class"] / ["kind"] when Object) with operands Vals.
// Field is the request's key, for warnings.
type FilterNode struct {
	Op     string
	Kids   []FilterNode
	Path   []string
	Object bool
	Field  string
	Vals   []any
}

// ParseFilter checks a filter as Search does and returns its tree.
func ParseFilter(f Filter, level storage.Level) (FilterNode, error) {
	cf, err := compileFilter(f, level)
	if err != nil {
		return FilterNode{}, err
	}
	return exportNode(cf.root), nil
}

func exportNode(n *fnode) FilterNode {
	out := FilterNode{Op: n.op, Path: n.path, Object: n.object, Field: n.field, Vals: n.vals}
	for _, k := range n.kids {
		out.Kids = append(out.Kids, exportNode(k))
	}
	return out
}

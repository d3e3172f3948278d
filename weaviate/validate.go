package weaviate

import (
	"errors"
	"fmt"
	"math"
)

// maxBatch bounds one Upsert, so one call stays one bounded request.
const maxBatch = 10000

// validateObjects reports every problem of a batch at once and returns
// the properties it uses that the collection does not declare yet.
func validateObjects(k *collection, objs []Object) ([]PropertySpec, error) {
	var errs []error
	if len(objs) > maxBatch {
		errs = append(errs, fmt.Errorf("%w: %d objects, at most %d per batch", ErrInvalid, len(objs), maxBatch))
	}
	seen := make(map[string]int, len(objs))
	newTypes := map[string]string{}
	var newProps []PropertySpec
	for i, o := range objs {
		f := fmt.Sprintf("objects[%d]", i)
		if o.ID == "" {
			errs = append(errs, fmt.Errorf("%w: %s.id is empty", ErrInvalid, f))
		} else if j, dup := seen[o.ID]; dup {
			errs = append(errs, fmt.Errorf("%w: %s.id %q repeats objects[%d]", ErrInvalid, f, o.ID, j))
		}
		seen[o.ID] = i
		for vn, v := range o.Vectors {
			dim, ok := k.dims[vn]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("%w: %s.vectors.%s: %s has no such vector (it has %v)", ErrInvalid, f, vn, k.name, k.vectorNames()))
			case len(v) != dim:
				errs = append(errs, fmt.Errorf("%w: %s.vectors.%s has %d values, want %d", ErrInvalid, f, vn, len(v), dim))
			case !finite(v):
				errs = append(errs, fmt.Errorf("%w: %s.vectors.%s holds NaN or Inf", ErrInvalid, f, vn))
			}
		}
		for p, v := range o.Properties {
			if v == nil {
				continue
			}
			t := valueType(v)
			if t == "" {
				errs = append(errs, fmt.Errorf("%w: %s.properties.%s: %T is not a string, number or boolean", ErrInvalid, f, p, v))
				continue
			}
			if fv, ok := v.(float64); ok && (math.IsNaN(fv) || math.IsInf(fv, 0)) {
				errs = append(errs, fmt.Errorf("%w: %s.properties.%s is not finite", ErrInvalid, f, p))
			}
			if err := (PropertySpec{Name: p, Type: t}).validate(f + ".properties"); err != nil {
				errs = append(errs, err)
				continue
			}
			want, declared := k.props[p]
			if !declared {
				want, declared = newTypes[p]
			}
			switch {
			case !declared:
				newTypes[p] = t
				newProps = append(newProps, PropertySpec{Name: p, Type: t})
			case want != t && !(want == "number" && t == "int"):
				errs = append(errs, fmt.Errorf("%w: %s.properties.%s is %s, the collection holds %s", ErrInvalid, f, p, t, want))
			}
		}
	}
	return newProps, errors.Join(errs...)
}

func valueType(v any) string {
	switch v.(type) {
	case string:
		return "text"
	case float64:
		return "number"
	case int, int64:
		return "int"
	case bool:
		return "boolean"
	}
	return ""
}

func finite(v []float32) bool {
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return false
		}
	}
	return true
}

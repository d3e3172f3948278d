package weaviate

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// mergeWorkers bounds the PATCH requests of one Merge in flight.
const mergeWorkers = 8

// Merge sets the given properties of existing objects and keeps their
// other properties and vectors (batch writes replace whole objects, so a
// metadata-only change goes here). Validation is as for Upsert; a missing
// object's Result is ErrNotFound. Each object is one REST request.
func (c *Client) Merge(ctx context.Context, name string, patches []Object) ([]Result, error) {
	k, err := c.schema(ctx, name)
	if err != nil {
		return nil, err
	}
	var errs []error
	for i, p := range patches {
		if len(p.Vectors) > 0 {
			errs = append(errs, fmt.Errorf("%w: objects[%d].vectors: Merge changes properties only", ErrInvalid, i))
		}
	}
	newProps, err := validateObjects(k, patches)
	if err = errors.Join(append(errs, err)...); err != nil {
		return nil, err
	}
	if len(newProps) > 0 {
		if err := c.ensureProperties(ctx, name, newProps); err != nil {
			return nil, err
		}
	}
	res := make([]Result, len(patches))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(mergeWorkers, len(patches)) {
		wg.Go(func() {
			for i := range next {
				res[i] = Result{ID: patches[i].ID, Err: c.patch(ctx, name, patches[i])}
			}
		})
	}
	for i := range patches {
		next <- i
	}
	close(next)
	wg.Wait()
	var failed []error
	for _, r := range res {
		if r.Err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", r.ID, r.Err))
		}
	}
	return res, errors.Join(failed...)
}

func (c *Client) patch(ctx context.Context, name string, p Object) error {
	props := map[string]any{}
	for k, v := range p.Properties {
		if v != nil {
			props[k] = v
		}
	}
	path := fmt.Sprintf("/v1/objects/%s/%s?consistency_level=%s", url.PathEscape(name), ObjectUUID(name, p.ID), c.opts.WriteConsistency)
	err := c.rest(ctx, http.MethodPatch, path, map[string]any{"class": name, "properties": props}, nil)
	var se *statusError
	switch {
	case err == nil, errors.Is(err, ErrNotFound):
		return err
	case errors.As(err, &se) && se.code/100 == 4:
		return fmt.Errorf("%w: %v", ErrRejected, se)
	case errors.As(err, &se) && strings.Contains(strings.ToLower(se.body), "replica"):
		return fmt.Errorf("%w: %v", ErrUnknownOutcome, se)
	}
	return fmt.Errorf("%w: %v", ErrUnknownOutcome, err)
}

package understand

import (
	"errors"
	"math"

	"github.com/reef-ml/reef/engine"
)

// Documented maxima of the analysis parameters (docs/openapi.yaml). Each
// bounds the work one request may ask for; a value outside its range is a
// 400 naming the parameter, never a panic or an empty 200.
const (
	MaxGraphK        = 1000    // neighbours of a k-NN graph (k, neighbors): 8·n·k bytes, 800 MB at 100,000 points
	MaxPermutations  = 100_000 // compare's permutation test
	MaxExamples      = 1000    // compare's least-covered examples per side
	MaxResultLimit   = 10_000  // outliers and duplicates returned
	MaxMinCluster    = 1_000_000
	MaxBenchM        = 128
	MinBenchM        = 2
	MaxBenchEf       = 10_000
	MaxBenchK        = 100
	MaxBenchQueries  = 2000
	MaxBenchVectors  = 50_000
	maxBenchBuilds   = 12
	maxBenchEfValues = 16
)

func inRange(field string, v, lo, hi int) error {
	if v < lo || v > hi {
		return engine.FieldErr(engine.ErrInvalid, field, "must be between %d and %d, got %d", lo, hi, v)
	}
	return nil
}

// checkCompare validates a compare request after defaults are applied,
// reporting every problem at once.
func checkCompare(req CompareRequest) error {
	var errs []error
	errs = append(errs, inRange("k", req.K, 1, MaxGraphK), inRange("permutations", req.Permutations, 1, MaxPermutations),
		inRange("examples", req.Examples, 0, MaxExamples))
	if !(req.Alpha > 0 && req.Alpha < 1) {
		errs = append(errs, engine.FieldErr(engine.ErrInvalid, "alpha", "must be between 0 and 1 (exclusive), got %v", req.Alpha))
	}
	return errors.Join(errs...)
}

// checkDuplicates validates a duplicates request after defaults.
func checkDuplicates(req DuplicatesRequest) error {
	var errs []error
	errs = append(errs, inRange("k", req.K, 1, MaxGraphK), inRange("limit", req.Limit, 1, MaxResultLimit))
	for _, p := range []struct {
		field string
		v     float64
	}{{"threshold", req.Threshold}, {"relative", req.Relative}} {
		if p.v < 0 || math.IsNaN(p.v) || math.IsInf(p.v, 0) || p.v > math.MaxFloat32 {
			errs = append(errs, engine.FieldErr(engine.ErrInvalid, p.field, "must be a finite number ≥ 0, got %v", p.v))
		}
	}
	return errors.Join(errs...)
}

// checkBench validates a bench sweep; backends are checked by name here so
// that a bogus one is a 400 before any index is built.
func checkBench(backends []string, m, efc, ef []int, k, queries, maxVectors int) error {
	var errs []error
	for _, b := range backends {
		if b != "hnsw" && b != "coder" && b != "exact" {
			errs = append(errs, engine.FieldErr(engine.ErrInvalid, "backends", "must be hnsw, coder or exact, got %q", b))
		}
	}
	for _, v := range m {
		errs = append(errs, inRange("m", v, MinBenchM, MaxBenchM))
	}
	for _, v := range efc {
		errs = append(errs, inRange("ef_construction", v, 1, MaxBenchEf))
	}
	for _, v := range ef {
		errs = append(errs, inRange("ef", v, 1, MaxBenchEf))
	}
	errs = append(errs, inRange("k", k, 1, MaxBenchK), inRange("queries", queries, 1, MaxBenchQueries),
		inRange("max_vectors", maxVectors, 1, MaxBenchVectors))
	if builds := len(backends) * max(len(m), 1) * max(len(efc), 1); builds > maxBenchBuilds {
		errs = append(errs, engine.FieldErr(engine.ErrInvalid, "m", "sweep of %d builds; at most %d (backends × m × ef_construction)", builds, maxBenchBuilds))
	}
	if len(ef) > maxBenchEfValues {
		errs = append(errs, engine.FieldErr(engine.ErrInvalid, "ef", "%d values; at most %d", len(ef), maxBenchEfValues))
	}
	return errors.Join(errs...)
}

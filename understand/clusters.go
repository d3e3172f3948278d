package understand

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/reef-ml/reef/analysis"
	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/index"
)

// ClustersRequest groups a space's points.
type ClustersRequest struct {
	Space string `json:"space"`
	Level string `json:"level,omitempty"`
	// Method is "kmeans" (mini-batch, k-means++; default) or "density"
	// (HDBSCAN-style on the k-NN graph's mutual reachability, with noise).
	Method         string `json:"method,omitempty"`
	K              int    `json:"k,omitempty"`                // clusters, for kmeans (default 10)
	MinClusterSize int    `json:"min_cluster_size,omitempty"` // for density (default 20)
	Neighbors      int    `json:"neighbors,omitempty"`        // graph k, for density (default 15)
	// SummaryFields are metadata fields (or "object.class") whose value mix
	// is reported per cluster, e.g. ["label", "split"].
	SummaryFields []string `json:"summary_fields,omitempty"`
	// WriteMetadata stores each point's cluster as metadata "cluster".
	WriteMetadata bool   `json:"write_metadata,omitempty"`
	Seed          uint64 `json:"seed,omitempty"`
}

// Cluster is one group with its size, medoid and metadata mix.
type Cluster struct {
	ID      int                       `json:"id"` // -1 is noise
	Size    int                       `json:"size"`
	Medoid  *RowRef                   `json:"medoid,omitempty"`
	Summary map[string]map[string]int `json:"summary,omitempty"`
}

// ClustersResult lists clusters, largest first.
type ClustersResult struct {
	Method   string    `json:"method"`
	Points   int       `json:"points"`
	Noise    int       `json:"noise"`
	Clusters []Cluster `json:"clusters"`
	TookMs   float64   `json:"took_ms"`
}

// Clusters groups the points of a space level.
func (e *Analyzer) Clusters(ctx context.Context, dataset string, req ClustersRequest) (ClustersResult, error) {
	start := time.Now()
	lvl, err := engine.ParseLevel(req.Level)
	if err != nil {
		return ClustersResult{}, err
	}
	var (
		labels []int
		rows   *engine.Rows
	)
	switch req.Method {
	case "", "kmeans":
		req.Method = "kmeans"
		if req.K == 0 {
			req.K = 10
		}
		if req.K < 1 || req.K > 10000 {
			return ClustersResult{}, engine.FieldErr(engine.ErrInvalid, "k", "must be between 1 and 10000")
		}
		if rows, err = e.eng.Rows(ctx, dataset, req.Space, lvl); err != nil {
			return ClustersResult{}, err
		}
		if rows.Metric == index.Dot {
			return ClustersResult{}, engine.FieldErr(engine.ErrInvalid, "method", "k-means needs an l2 or cosine space; use method density under dot")
		}
		if len(rows.IIDs) < req.K {
			return ClustersResult{}, engine.FieldErr(engine.ErrInvalid, "k", "%d clusters asked of %d points", req.K, len(rows.IIDs))
		}
		km, err := analysis.KMeans(ctx, rows.Vectors, analysis.KMeansOptions{Options: analysis.Options{Workers: e.eng.Workers()},
			K: req.K, Seed: req.Seed + 1, Metric: rows.Metric})
		if err != nil {
			return ClustersResult{}, fmt.Errorf("k-means: %w", err)
		}
		labels = km.Labels
	case "density":
		if req.MinClusterSize == 0 {
			req.MinClusterSize = 20
		}
		if req.Neighbors == 0 {
			req.Neighbors = 15
		}
		if err := errors.Join(inRange("min_cluster_size", req.MinClusterSize, 2, MaxMinCluster), inRange("neighbors", req.Neighbors, 1, MaxGraphK)); err != nil {
			return ClustersResult{}, err
		}
		gv, err := e.KNNGraph(ctx, dataset, req.Space, req.Level, req.Neighbors, nil)
		if err != nil {
			return ClustersResult{}, err
		}
		rows = gv.Rows
		dr, err := analysis.DensityClusters(ctx, gv.Graph, analysis.DensityOptions{Options: analysis.Options{Workers: e.eng.Workers()},
			MinClusterSize: req.MinClusterSize})
		if err != nil {
			return ClustersResult{}, engine.FieldErr(engine.ErrInvalid, "min_cluster_size", "%v", err)
		}
		labels = dr.Labels
	default:
		return ClustersResult{}, engine.FieldErr(engine.ErrInvalid, "method", "must be kmeans or density, got %q", req.Method)
	}
	res := ClustersResult{Method: req.Method, Points: len(labels)}
	medoids, err := analysis.Medoids(ctx, rows.Vectors, labels, rows.Metric, 256, req.Seed+1, analysis.Options{Workers: e.eng.Workers()})
	if err != nil {
		return res, err
	}
	groups := map[string][]string{}
	for _, f := range req.SummaryFields {
		if groups[f], err = e.groupValues(rows, f); err != nil {
			return res, err
		}
	}
	byID := map[int]*Cluster{}
	for r, l := range labels {
		c := byID[l]
		if c == nil {
			c = &Cluster{ID: l, Summary: map[string]map[string]int{}}
			byID[l] = c
		}
		c.Size++
		for f, vals := range groups {
			if c.Summary[f] == nil {
				c.Summary[f] = map[string]int{}
			}
			c.Summary[f][vals[r]]++
		}
	}
	for id, c := range byID {
		if id < 0 {
			res.Noise = c.Size
		} else if id < len(medoids) && medoids[id] >= 0 {
			ref, err := e.refs(rows, []int{medoids[id]}, false)
			if err != nil {
				return res, err
			}
			c.Medoid = &ref[0]
		}
		if len(c.Summary) == 0 {
			c.Summary = nil
		}
		res.Clusters = append(res.Clusters, *c)
	}
	sort.Slice(res.Clusters, func(i, j int) bool {
		if res.Clusters[i].Size != res.Clusters[j].Size {
			return res.Clusters[i].Size > res.Clusters[j].Size
		}
		return res.Clusters[i].ID < res.Clusters[j].ID
	})
	if req.WriteMetadata {
		if err := e.writeMetadataFields(ctx, rows, func(r int) map[string]any { return map[string]any{"cluster": labels[r]} }); err != nil {
			return res, fmt.Errorf("writing clusters to metadata: %w", err)
		}
	}
	res.TookMs = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

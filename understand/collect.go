package understand

import (
	"context"
	"fmt"
	"slices"

	"github.com/reef-ml/reef/engine"
)

// CollectRequest searches another dataset (an unlabelled pool) for more
// points like an issue's, with accept/reject feedback from earlier rounds
// re-ranking the candidates (the engine's logistic re-ranker).
type CollectRequest struct {
	From     string        `json:"from"`
	K        int           `json:"k,omitempty"`        // default 50
	Strategy string        `json:"strategy,omitempty"` // average (default) or best_score
	Filter   engine.Filter `json:"filter,omitempty"`
	// Accept and Reject are ids in From judged in earlier rounds; they are
	// never returned again.
	Accept []string `json:"accept,omitempty"`
	Reject []string `json:"reject,omitempty"`
	// Save adds Accept to the issue's collected points (for export).
	Save bool `json:"save,omitempty"`
}

// CollectResult is one round of candidates.
type CollectResult struct {
	Issue  string       `json:"issue"`
	From   string       `json:"from"`
	Hits   []engine.Hit `json:"hits"`
	Saved  int          `json:"saved"`
	TookMs float64      `json:"took_ms"`
}

// sameDef says why two space definitions cannot be compared, or "".
func sameDef(a, b SpaceDef) string {
	if a.Dim != b.Dim || a.Metric != b.Metric || a.Provenance != b.Provenance || a.ModelVersion != b.ModelVersion {
		return fmt.Sprintf("%d-d %s from %s %s vs %d-d %s from %s %s", a.Dim, a.Metric, a.Provenance, a.ModelVersion,
			b.Dim, b.Metric, b.Provenance, b.ModelVersion)
	}
	return ""
}

func (e *Analyzer) spaceDef(dataset, space, level string) (SpaceDef, error) {
	sh, err := e.eng.Space(dataset, space)
	if err != nil {
		return SpaceDef{}, err
	}
	sp := sh.Info
	return SpaceDef{Name: sp.Name, Level: level, Dim: sp.Dim, Metric: sp.Metric, Provenance: sp.Provenance, ModelVersion: sp.ModelVersion}, nil
}

// Collect runs one round: the issue's points are the positive examples of
// a multi-target search in From.
func (e *Analyzer) Collect(ctx context.Context, dataset, name string, req CollectRequest) (CollectResult, error) {
	is, err := e.GetIssue(dataset, name)
	if err != nil {
		return CollectResult{}, err
	}
	if req.From == "" {
		return CollectResult{}, engine.FieldErr(engine.ErrInvalid, "from", "name the dataset to collect from")
	}
	if req.K == 0 {
		req.K = 50
	}
	cur, err := e.spaceDef(dataset, is.Space.Name, is.Space.Level)
	if err != nil {
		return CollectResult{}, err
	}
	if why := sameDef(is.Space, cur); why != "" {
		return CollectResult{}, engine.FieldErr(engine.ErrIncompatible, "issue", "space %q of %q changed since issue %q was saved (%s); save it again", is.Space.Name, dataset, name, why)
	}
	other, err := e.spaceDef(req.From, is.Space.Name, is.Space.Level)
	if err != nil {
		return CollectResult{}, err
	}
	if why := sameDef(is.Space, other); why != "" {
		return CollectResult{}, engine.FieldErr(engine.ErrIncompatible, "from", "issue %q was found in space %q and %q's space of that name differs (%s): vectors of different models or versions cannot be compared",
			name, is.Space.Name, req.From, why)
	}
	sr := engine.SearchRequest{Space: is.Space.Name, Level: is.Space.Level, K: req.K, Strategy: req.Strategy, Filter: req.Filter}
	for _, id := range is.IDs {
		sr.Positive = append(sr.Positive, engine.Target{ID: id, Dataset: dataset})
	}
	if len(req.Accept)+len(req.Reject) > 0 {
		sr.Feedback = &engine.Feedback{}
		for _, id := range req.Accept {
			sr.Feedback.Accept = append(sr.Feedback.Accept, engine.Target{ID: id})
		}
		for _, id := range req.Reject {
			sr.Feedback.Reject = append(sr.Feedback.Reject, engine.Target{ID: id})
		}
	}
	res, err := e.eng.Search(ctx, req.From, sr)
	if err != nil {
		return CollectResult{}, err
	}
	out := CollectResult{Issue: name, From: req.From, Hits: res.Hits, TookMs: res.TookMs}
	if out.Hits == nil {
		out.Hits = []engine.Hit{}
	}
	if req.Save && len(req.Accept) > 0 {
		if out.Saved, err = e.saveCollected(dataset, name, req.From, req.Accept); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (e *Analyzer) saveCollected(dataset, name, from string, ids []string) (int, error) {
	e.issueMu.Lock()
	defer e.issueMu.Unlock()
	is, err := e.GetIssue(dataset, name)
	if err != nil {
		return 0, err
	}
	if is.Collected == nil {
		is.Collected = map[string][]string{}
	}
	before := len(is.Collected[from])
	all := append(slices.Clone(is.Collected[from]), ids...)
	slices.Sort(all)
	is.Collected[from] = slices.Compact(all)
	return len(is.Collected[from]) - before, e.writeIssue(is)
}

// ExportRow is one exported point.
type ExportRow struct {
	Dataset string `json:"dataset"`
	ID      string `json:"id"`
	Source  string `json:"source"` // "issue" or "collected"
}

// ExportIssue lists an issue's points and the points collected for it.
func (e *Analyzer) ExportIssue(dataset, name string) ([]ExportRow, error) {
	is, err := e.GetIssue(dataset, name)
	if err != nil {
		return nil, err
	}
	var out []ExportRow
	for _, id := range is.IDs {
		out = append(out, ExportRow{Dataset: dataset, ID: id, Source: "issue"})
	}
	froms := make([]string, 0, len(is.Collected))
	for f := range is.Collected {
		froms = append(froms, f)
	}
	slices.Sort(froms)
	for _, f := range froms {
		for _, id := range is.Collected[f] {
			out = append(out, ExportRow{Dataset: f, ID: id, Source: "collected"})
		}
	}
	return out, nil
}

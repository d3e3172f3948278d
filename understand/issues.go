package understand

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/reef-ml/reef/engine"
	"github.com/reef-ml/reef/safefile"
	"github.com/reef-ml/reef/storage"
)

// An issue is a named selection of a dataset (failure cases, a region,
// label errors) with the space definition it was found in, so that "more
// like this" can be collected from another dataset only when its vectors
// come from the same model and version. Issues are files under the data
// directory (issues/<dataset uid>/<name>.json); member points also get the
// name in their metadata list "issues", for filters and colours.
//
// Caveat: the files are not in /v1/backup (the engine has no side bucket
// for dataset documents yet), and deleting a dataset leaves its issue
// files behind under the old uid, where no dataset will find them.

// SpaceDef is the definition two spaces must share to be compared.
type SpaceDef struct {
	Name         string `json:"name"`
	Level        string `json:"level"`
	Dim          int    `json:"dim"`
	Metric       string `json:"metric"`
	Provenance   string `json:"provenance"`
	ModelVersion string `json:"model_version,omitempty"`
}

// Issue is a saved selection.
type Issue struct {
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Dataset     string    `json:"dataset"`
	Space       SpaceDef  `json:"space"`
	IDs         []string  `json:"ids"`
	Created     time.Time `json:"created"`
	// Collected are the points accepted from other datasets, by dataset.
	Collected map[string][]string `json:"collected,omitempty"`
}

// IssueRequest saves (or replaces) an issue.
type IssueRequest struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Space       string   `json:"space"`
	Level       string   `json:"level,omitempty"`
	IDs         []string `json:"ids"`
}

func (e *Analyzer) issuePath(dataset, name string) (string, error) {
	info, err := e.eng.DB().Dataset(dataset)
	if err != nil {
		return "", engine.FromStorage(err)
	}
	return filepath.Join(e.eng.DataDir(), "issues", info.UID, name+".json"), nil
}

// SaveIssue validates the ids (every one must have a vector in the space)
// and stores the issue and the membership in one metadata update.
func (e *Analyzer) SaveIssue(ctx context.Context, dataset string, req IssueRequest) (Issue, error) {
	lvl, err := engine.ParseLevel(req.Level)
	var errs []error
	errs = append(errs, err, engine.CheckName("name", req.Name))
	if len(req.IDs) == 0 {
		errs = append(errs, engine.FieldErr(engine.ErrInvalid, "ids", "an issue needs at least one id"))
	}
	if err := errors.Join(errs...); err != nil {
		return Issue{}, err
	}
	sh, err := e.eng.Space(dataset, req.Space)
	if err != nil {
		return Issue{}, err
	}
	sp := sh.Info
	ids := slices.Clone(req.IDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for i, id := range ids {
		if _, err := e.eng.DB().IIDOf(dataset, storage.Ref{PointID: id}); err != nil {
			return Issue{}, engine.FieldErr(engine.ErrNotFound, fmt.Sprintf("ids[%d]", i), "point %q: %v", id, engine.FromStorage(err))
		}
	}
	is := Issue{Name: req.Name, Description: req.Description, Dataset: dataset, IDs: ids, Created: time.Now().UTC(),
		Space: SpaceDef{Name: sp.Name, Level: lvl.String(), Dim: sp.Dim, Metric: sp.Metric, Provenance: sp.Provenance, ModelVersion: sp.ModelVersion}}
	e.issueMu.Lock()
	defer e.issueMu.Unlock()
	if err := e.writeIssue(is); err != nil {
		return Issue{}, err
	}
	_, err = e.eng.UpdateMetadata(ctx, dataset, engine.MetadataUpdate{IDs: ids, Edit: func(_ string, m map[string]json.RawMessage) (bool, error) {
		var list []string
		if raw, ok := m["issues"]; ok && json.Unmarshal(raw, &list) != nil {
			return false, fmt.Errorf("metadata issues is not a list of names")
		}
		if slices.Contains(list, req.Name) {
			return false, nil
		}
		raw, err := json.Marshal(append(list, req.Name))
		m["issues"] = raw
		return true, err
	}})
	return is, err
}

func (e *Analyzer) writeIssue(is Issue) error {
	path, err := e.issuePath(is.Dataset, is.Name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(is, "", " ")
	if err != nil {
		return err
	}
	return safefile.WriteBytes(path, 0o644, b)
}

// GetIssue reads a saved issue.
func (e *Analyzer) GetIssue(dataset, name string) (Issue, error) {
	if err := engine.CheckName("issue", name); err != nil {
		return Issue{}, err
	}
	path, err := e.issuePath(dataset, name)
	if err != nil {
		return Issue{}, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Issue{}, engine.FieldErr(engine.ErrNotFound, "issue", "dataset %q has no issue %q", dataset, name)
	}
	if err != nil {
		return Issue{}, err
	}
	var is Issue
	if err := json.Unmarshal(b, &is); err != nil {
		return Issue{}, fmt.Errorf("issue file %s: %w", path, err)
	}
	return is, nil
}

// IssueSummary is an issue without its ids.
type IssueSummary struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Space       SpaceDef `json:"space"`
	Size        int      `json:"size"`
	Collected   int      `json:"collected"`
}

// Issues lists a dataset's issues by name.
func (e *Analyzer) Issues(dataset string) ([]IssueSummary, error) {
	path, err := e.issuePath(dataset, "x")
	if err != nil {
		return nil, err
	}
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*.json"))
	sort.Strings(files)
	out := []IssueSummary{}
	for _, f := range files {
		is, err := e.GetIssue(dataset, trimExt(filepath.Base(f)))
		if err != nil {
			return nil, err
		}
		n := 0
		for _, ids := range is.Collected {
			n += len(ids)
		}
		out = append(out, IssueSummary{Name: is.Name, Description: is.Description, Space: is.Space, Size: len(is.IDs), Collected: n})
	}
	return out, nil
}

func trimExt(s string) string { return s[:len(s)-len(filepath.Ext(s))] }

package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

// datasetInfo is GET /v1/datasets/{ds} as the CLI reads it.
type datasetInfo struct {
	Name    string      `json:"name"`
	Points  int         `json:"points"`
	Objects int         `json:"objects"`
	Seq     uint64      `json:"seq"`
	Spaces  []spaceInfo `json:"spaces"`
}

type spaceInfo struct {
	Name          string `json:"name"`
	Dim           int    `json:"dim"`
	Metric        string `json:"metric"`
	Provenance    string `json:"provenance"`
	ModelVersion  string `json:"model_version"`
	PointVectors  int    `json:"point_vectors"`
	ObjectVectors int    `json:"object_vectors"`
	Index         struct {
		Backend string `json:"backend"`
	} `json:"index"`
}

func (c *client) datasets(ctx context.Context) ([]datasetInfo, error) {
	var res struct {
		Datasets []datasetInfo `json:"datasets"`
	}
	err := c.do(ctx, http.MethodGet, "/v1/datasets", "", nil, &res)
	return res.Datasets, err
}

// dataset fetches one dataset; an unknown name lists the datasets that
// exist and suggests the nearest.
func (c *client) dataset(ctx context.Context, name string) (datasetInfo, error) {
	list, err := c.datasets(ctx)
	if err != nil {
		return datasetInfo{}, err
	}
	names := make([]string, len(list))
	for i, d := range list {
		if d.Name == name {
			return d, nil
		}
		names[i] = d.Name
	}
	return datasetInfo{}, unknownName("dataset", name, "", names)
}

// unknownName explains a name that does not exist: what does, and the
// nearest one when it is close enough to be a slip of the keyboard.
func unknownName(kind, name, where string, existing []string) error {
	msg := fmt.Sprintf("%s %q does not exist%s", kind, name, where)
	if name == "" {
		msg = fmt.Sprintf("give --%s", kind)
	}
	if len(existing) == 0 {
		return fmt.Errorf("%s; there are no %ss yet", msg, kind)
	}
	sort.Strings(existing)
	msg += fmt.Sprintf("; %ss: %s", kind, strings.Join(existing, ", "))
	if near := nearest(name, existing); near != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", near)
	}
	return errors.New(msg)
}

// nearest returns the existing name closest to name by edit distance
// (ignoring case), or "" when none is within a third of its length.
func nearest(name string, existing []string) string {
	if name == "" {
		return ""
	}
	best, bestD := "", len([]rune(name))/3+1
	for _, e := range existing {
		if d := editDistance(strings.ToLower(name), strings.ToLower(e)); d < bestD {
			best, bestD = e, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance over runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// defaultSpace picks the space a command means when --space is not given:
// the only space, or else the only one holding image (point) vectors, as a
// detector model's "-boxes" space holds box vectors only.
func defaultSpace(d datasetInfo) (string, error) {
	names := make([]string, len(d.Spaces))
	var withPoints []string
	for i, s := range d.Spaces {
		names[i] = s.Name
		if s.PointVectors > 0 {
			withPoints = append(withPoints, s.Name)
		}
	}
	switch {
	case len(names) == 1:
		return names[0], nil
	case len(withPoints) == 1:
		return withPoints[0], nil
	case len(names) == 0:
		return "", fmt.Errorf("dataset %q has no spaces yet; ingest or import into it first", d.Name)
	}
	return "", fmt.Errorf("dataset %q has %d spaces, give --space: %s", d.Name, len(names), strings.Join(names, ", "))
}

// resolve checks a dataset and space name against the server and picks
// the default space when space is empty.
func (c *client) resolve(ctx context.Context, dataset, space string) (datasetInfo, string, error) {
	d, err := c.dataset(ctx, dataset)
	if err != nil {
		return d, "", err
	}
	if space == "" {
		space, err = defaultSpace(d)
		return d, space, err
	}
	names := make([]string, len(d.Spaces))
	for i, s := range d.Spaces {
		if s.Name == space {
			return d, space, nil
		}
		names[i] = s.Name
	}
	return d, "", unknownName("space", space, fmt.Sprintf(" in dataset %q", d.Name), names)
}

// resolveNames runs before a command that has --dataset and --space flags:
// it checks the names against the server and fills in a missing --space,
// so every command explains a wrong name the same way.
func resolveNames(cmd *cobra.Command) error {
	fs := cmd.Flags()
	dsFlag, spFlag := fs.Lookup("dataset"), fs.Lookup("space")
	if dsFlag == nil || spFlag == nil || dsFlag.Value.String() == "" {
		return nil
	}
	if create, err := fs.GetBool("create"); err == nil && create {
		return nil // import --create makes the names
	}
	c := client{http: http.DefaultClient}
	c.base, _ = fs.GetString("server")
	c.key, _ = fs.GetString("key")
	_, space, err := c.resolve(cmd.Context(), dsFlag.Value.String(), spFlag.Value.String())
	if err != nil {
		return err
	}
	if spFlag.Value.String() == "" {
		return fs.Set("space", space)
	}
	return nil
}

func dsURL(ds string) string { return "/v1/datasets/" + url.PathEscape(ds) }

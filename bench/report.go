package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of a Run, possibly merged with peer results.
type Report struct {
	Workload WorkloadInfo `json:"workload"`
	Machine  Machine      `json:"machine"`
	Rows     []Row        `json:"rows"`
}

// WorkloadInfo describes the measured workload without its vectors.
type WorkloadInfo struct {
	Name    string `json:"name"`
	Metric  string `json:"metric"`
	N       int    `json:"n"`
	Dim     int    `json:"dim"`
	Queries int    `json:"queries"`
	K       int    `json:"k"`
}

func describe(w *Workload, k int) WorkloadInfo {
	return WorkloadInfo{Name: w.Name, Metric: w.Metric.String(), N: len(w.Train), Dim: w.Dim(), Queries: len(w.Queries), K: k}
}

// Machine identifies where the numbers were taken.
type Machine struct {
	GOOS      string    `json:"goos"`
	GOARCH    string    `json:"goarch"`
	NumCPU    int       `json:"num_cpu"`
	CPUModel  string    `json:"cpu_model,omitempty"`
	GoVersion string    `json:"go_version"`
	Time      time.Time `json:"time"`
}

// CurrentMachine describes this machine (CPU model from /proc/cpuinfo on
// Linux, empty elsewhere).
func CurrentMachine() Machine {
	return Machine{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, NumCPU: runtime.NumCPU(),
		CPUModel: cpuModel(), GoVersion: runtime.Version(), Time: time.Now().UTC().Truncate(time.Second)}
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Row is one measurement: one index configuration searched at one ef with
// one thread count. Build and memory figures repeat on every row of a
// configuration. Peers (Source != "reef") may leave fields zero.
type Row struct {
	Source             string  `json:"source"`
	Backend            string  `json:"backend"`
	M                  int     `json:"m"`
	EfConstruction     int     `json:"ef_construction"`
	Ef                 int     `json:"ef"`
	K                  int     `json:"k"`
	Threads            int     `json:"threads"`
	Recall             float64 `json:"recall"`
	QPS                float64 `json:"qps"`
	P50Micros          float64 `json:"p50_us"`
	P95Micros          float64 `json:"p95_us"`
	P99Micros          float64 `json:"p99_us"`
	BuildSeconds       float64 `json:"build_s"`
	BuildThreads       int     `json:"build_threads"`
	SerialBuildSeconds float64 `json:"serial_build_s,omitempty"`
	BytesPerVector     float64 `json:"bytes_per_vector,omitempty"`
}

// Series names the curve a row belongs to: source/backend, build settings
// and search threads; only Ef varies within a series.
func (r Row) Series() string {
	s := r.Source + "/" + r.Backend
	if r.M > 0 {
		s += fmt.Sprintf(" M=%d efC=%d", r.M, r.EfConstruction)
	}
	return s + fmt.Sprintf(" t=%d", r.Threads)
}

// series groups rows by Series, each sorted by Ef, in first-seen order.
func series(rows []Row) (names []string, by map[string][]Row) {
	by = map[string][]Row{}
	for _, r := range rows {
		s := r.Series()
		if _, ok := by[s]; !ok {
			names = append(names, s)
		}
		by[s] = append(by[s], r)
	}
	for _, rs := range by {
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].Ef < rs[j].Ef })
	}
	return names, by
}

// WriteTable writes the rows as an aligned text table.
func (r *Report) WriteTable(w io.Writer) error {
	m := r.Machine
	fmt.Fprintf(w, "# %s  metric=%s n=%d dim=%d queries=%d k=%d\n", r.Workload.Name, r.Workload.Metric, r.Workload.N, r.Workload.Dim, r.Workload.Queries, r.Workload.K)
	fmt.Fprintf(w, "# %s/%s %d CPUs %s %s\n", m.GOOS, m.GOARCH, m.NumCPU, m.CPUModel, m.GoVersion)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "source\tbackend\tM\tefC\tef\tthreads\trecall\tQPS\tp50 µs\tp95 µs\tp99 µs\tbuild s\tbuild s (1t)\tbytes/vec\t")
	for _, x := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%.4f\t%.0f\t%.0f\t%.0f\t%.0f\t%.2f\t%s\t%s\t\n",
			x.Source, x.Backend, x.M, x.EfConstruction, x.Ef, x.Threads, x.Recall, x.QPS,
			x.P50Micros, x.P95Micros, x.P99Micros, x.BuildSeconds, optF(x.SerialBuildSeconds, "%.2f"), optF(x.BytesPerVector, "%.0f"))
	}
	return tw.Flush()
}

func optF(v float64, f string) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf(f, v)
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// ReadReport decodes a report written by WriteJSON or by a peer program.
func ReadReport(rd io.Reader) (*Report, error) {
	var r Report
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return nil, fmt.Errorf("bench: decode report: %w", err)
	}
	return &r, nil
}

// Merge appends a peer's rows (e.g. hnswlib's, decoded with ReadReport) so
// ratio tables and plots come from one report. Rows without a Source are
// labelled with the peer's name.
func (r *Report) Merge(name string, peer *Report) {
	for _, x := range peer.Rows {
		if x.Source == "" {
			x.Source = name
		}
		r.Rows = append(r.Rows, x)
	}
}

// RecallPoint is one series' throughput at a target recall.
type RecallPoint struct {
	Series  string
	Target  float64
	Reached bool
	// Row is the smallest-ef row whose recall reaches Target.
	Row Row
	// QPS interpolates between Row and the row before it (which missed the
	// target), log-linearly in QPS against recall; it equals Row.QPS when
	// the series' first row already reaches the target. It estimates what
	// a tuned ef would give rather than overstating the cost of overshoot.
	QPS float64
}

// AtRecall returns, for every series in r (in first-seen order), the
// smallest-ef row reaching target recall. Series that never reach it are
// returned with Reached false. Rows are taken in ef order; recall is not
// assumed monotone, the first row at or above target wins.
func (r *Report) AtRecall(target float64) []RecallPoint {
	names, by := series(r.Rows)
	out := make([]RecallPoint, 0, len(names))
	for _, s := range names {
		p := RecallPoint{Series: s, Target: target}
		rows := by[s]
		for i, x := range rows {
			if x.Recall < target {
				continue
			}
			p.Reached, p.Row, p.QPS = true, x, x.QPS
			if i > 0 {
				prev := rows[i-1]
				if d := x.Recall - prev.Recall; d > 0 && prev.QPS > 0 && x.QPS > 0 {
					f := (target - prev.Recall) / d
					p.QPS = math.Exp(math.Log(prev.QPS) + f*(math.Log(x.QPS)-math.Log(prev.QPS)))
				}
			}
			break
		}
		out = append(out, p)
	}
	return out
}

// WriteRatios writes, for each target recall, every series' interpolated
// QPS and its ratio to the baseline source's series with the same M,
// efConstruction and threads (falling back to any baseline series with the
// same threads), e.g. baseline "hnswlib" after Merge. It also compares the
// median latency of the selected (smallest-ef) rows, baseline p50 / series
// p50: on a machine shared with other work, preemption inflates wall-clock
// QPS and tail latency far more than the median, so the p50 ratio is the
// steadier of the two.
func (r *Report) WriteRatios(w io.Writer, targets []float64, baseline string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "recall\tseries\tef\trecall@ef\tQPS@target\tvs %s\tp50 µs\tp50 speed vs %s\t\n", baseline, baseline)
	for _, t := range targets {
		pts := r.AtRecall(t)
		for _, p := range pts {
			if !p.Reached {
				fmt.Fprintf(tw, "%.2f\t%s\t-\t-\tnot reached\t-\t-\t-\t\n", t, p.Series)
				continue
			}
			ratio, lat := "-", "-"
			if b, ok := baselineFor(pts, p.Row, baseline); ok && p.Row.Source != baseline {
				ratio = fmt.Sprintf("%.2fx", p.QPS/b.QPS)
				if p.Row.P50Micros > 0 {
					lat = fmt.Sprintf("%.2fx", b.Row.P50Micros/p.Row.P50Micros)
				}
			}
			fmt.Fprintf(tw, "%.2f\t%s\t%d\t%.4f\t%.0f\t%s\t%.0f\t%s\t\n", t, p.Series, p.Row.Ef, p.Row.Recall, p.QPS, ratio, p.Row.P50Micros, lat)
		}
	}
	return tw.Flush()
}

func baselineFor(pts []RecallPoint, x Row, baseline string) (RecallPoint, bool) {
	var loose RecallPoint
	found := false
	for _, p := range pts {
		b := p.Row
		if !p.Reached || b.Source != baseline || b.Threads != x.Threads {
			continue
		}
		if b.M == x.M && b.EfConstruction == x.EfConstruction {
			return p, true
		}
		if !found {
			loose, found = p, true
		}
	}
	return loose, found
}

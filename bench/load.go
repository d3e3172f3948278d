package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// LoadOptions configure Load. At least one of Duration and MaxRequests must
// be set; the run stops at whichever comes first.
type LoadOptions struct {
	URL string
	// Method defaults to POST when Body is set, GET otherwise.
	Method string
	// Body returns the body of request i (0-based); nil sends none.
	Body        func(i int) []byte
	Header      http.Header
	Concurrency int // workers; <= 0 means 1
	Duration    time.Duration
	MaxRequests int
	// AllowRemote permits non-loopback hosts. Without it Load refuses
	// anything but localhost, 127.0.0.0/8 and ::1: it is for load-testing
	// reef's own server, not other people's.
	AllowRemote bool
	// Client defaults to a client with keep-alives sized for Concurrency.
	Client *http.Client
}

// LoadResult summarises a Load run. Latencies cover every completed
// request, failed ones included. Errors counts transport failures and
// responses with status >= 400.
type LoadResult struct {
	Requests int
	Errors   int
	Elapsed  time.Duration
	QPS      float64
	P50      time.Duration
	P95      time.Duration
	P99      time.Duration
	Max      time.Duration
}

// ErrRemoteHost is returned for a non-loopback URL without AllowRemote.
var ErrRemoteHost = errors.New("bench: refusing to load a non-loopback host (set AllowRemote)")

// Load sends requests from Concurrency workers until MaxRequests have been
// sent, Duration has passed or ctx is done, and reports throughput and
// latency percentiles. Response bodies are read fully and discarded.
func Load(ctx context.Context, o LoadOptions) (*LoadResult, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("bench: bad load URL %q", o.URL)
	}
	if !o.AllowRemote && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("%w: %s", ErrRemoteHost, u.Hostname())
	}
	if o.Duration <= 0 && o.MaxRequests <= 0 {
		return nil, errors.New("bench: Load needs Duration or MaxRequests")
	}
	conc := max(o.Concurrency, 1)
	method := o.Method
	if method == "" {
		method = http.MethodGet
		if o.Body != nil {
			method = http.MethodPost
		}
	}
	client := o.Client
	if client == nil {
		client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}}
		defer client.CloseIdleConnections()
	}
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	var next, errs atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			defer func() { mu.Lock(); lat = append(lat, mine...); mu.Unlock() }()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if o.MaxRequests > 0 && i >= o.MaxRequests {
					return
				}
				d, ok := loadOne(ctx, client, method, o, i)
				if ctx.Err() != nil && !ok {
					return // cut off by the deadline: not a server error
				}
				mine = append(mine, d)
				if !ok {
					errs.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	slices.Sort(lat)
	p := percentiles(lat, 0.50, 0.95, 0.99, 1)
	res := &LoadResult{Requests: len(lat), Errors: int(errs.Load()), Elapsed: el,
		QPS: float64(len(lat)) / el.Seconds(), P50: p[0], P95: p[1], P99: p[2], Max: p[3]}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return res, err
	}
	return res, nil
}

func loadOne(ctx context.Context, c *http.Client, method string, o LoadOptions, i int) (time.Duration, bool) {
	var body io.Reader
	if o.Body != nil {
		body = bytes.NewReader(o.Body(i))
	}
	req, err := http.NewRequestWithContext(ctx, method, o.URL, body)
	if err != nil {
		return 0, false
	}
	for k, v := range o.Header {
		req.Header[k] = v
	}
	t0 := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return time.Since(t0), false
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return time.Since(t0), err == nil && resp.StatusCode < 400
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// percentiles returns the nearest-rank percentiles (fractions in (0,1]) of
// d, sorting a copy; zero for empty input.
func percentiles(d []time.Duration, ps ...float64) []time.Duration {
	out := make([]time.Duration, len(ps))
	if len(d) == 0 {
		return out
	}
	s := slices.Clone(d)
	slices.Sort(s)
	for i, p := range ps {
		r := int(p*float64(len(s))+0.999999) - 1
		out[i] = s[min(max(r, 0), len(s)-1)]
	}
	return out
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

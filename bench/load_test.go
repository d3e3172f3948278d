package bench

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

func TestLoadCountsAndErrors(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		var buf [16]byte
		n, _ := r.Body.Read(buf[:])
		i, _ := strconv.Atoi(string(buf[:n]))
		if r.Header.Get("X-Test") != "yes" || i%5 == 0 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	res, err := Load(context.Background(), LoadOptions{
		URL: srv.URL, Body: func(i int) []byte { return []byte(strconv.Itoa(i)) },
		Header: http.Header{"X-Test": {"yes"}}, Concurrency: 4, MaxRequests: 100, Duration: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 100 || served.Load() != 100 || res.Errors != 20 {
		t.Fatalf("requests %d served %d errors %d, want 100/100/20", res.Requests, served.Load(), res.Errors)
	}
	if !(res.P50 > 0 && res.P50 <= res.P95 && res.P95 <= res.P99 && res.P99 <= res.Max && res.QPS > 0) {
		t.Fatalf("percentiles not ordered: %+v", res)
	}
}

func TestLoadDurationBound(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(5 * time.Millisecond) }))
	defer srv.Close()
	start := time.Now()
	res, err := Load(context.Background(), LoadOptions{URL: srv.URL, Concurrency: 2, Duration: 150 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 2*time.Second || res.Requests == 0 || res.Errors != 0 {
		t.Fatalf("took %v, %d requests, %d errors", el, res.Requests, res.Errors)
	}
}

func TestLoadRefusesRemote(t *testing.T) {
	for _, c := range []struct {
		url   string
		allow bool
		want  error
	}{
		{"http://example.com/", false, ErrRemoteHost},
		{"http://10.0.0.1:8080/", false, ErrRemoteHost},
		{"http://[::1]:1/", false, nil},
		{"http://localhost:1/", false, nil},
		{"http://127.0.0.2:1/", false, nil},
	} {
		_, err := Load(context.Background(), LoadOptions{URL: c.url, AllowRemote: c.allow, MaxRequests: 1})
		if c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.url, err, c.want)
		}
		if c.want == nil && errors.Is(err, ErrRemoteHost) {
			t.Errorf("%s: loopback refused", c.url)
		}
	}
	if _, err := Load(context.Background(), LoadOptions{URL: "http://127.0.0.1:1/"}); err == nil {
		t.Error("want error without Duration or MaxRequests")
	}
}

func TestPercentiles(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i))
	}
	p := percentiles(d, 0.5, 0.95, 0.99, 1)
	if p[0] != 50 || p[1] != 95 || p[2] != 99 || p[3] != 100 {
		t.Fatalf("percentiles %v", p)
	}
	if p := percentiles(nil, 0.5); p[0] != 0 {
		t.Fatal("empty input")
	}
	if p := percentiles([]time.Duration{7}, 0.01, 1); p[0] != 7 || p[1] != 7 {
		t.Fatalf("single %v", p)
	}
}

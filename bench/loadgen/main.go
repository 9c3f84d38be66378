// Command loadgen drives an HTTP/1.1 server on loopback with GET requests over keep-alive
// connections and prints one JSON line: requests, errors, seconds, RPS and latency
// percentiles in milliseconds.
//
// With -rate 0 each connection sends its next request as soon as the last answer arrived
// (closed loop). With -rate R requests are scheduled R per second and latency counts from
// each request's scheduled time, so a stalled server cannot hide its queue (no coordinated
// omission). Paths come from -paths, one per line, used in order.
//
// It is the compiled counterpart of bench/api.py's asyncio generator: on a 2-core machine the
// generator competes with the server for CPU, and a cheaper one leaves the server more.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type result struct {
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"rps"`
	P50      float64 `json:"p50_ms"`
	P90      float64 `json:"p90_ms"`
	P99      float64 `json:"p99_ms"`
	P999     float64 `json:"p999_ms"`
	Max      float64 `json:"max_ms"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "server host:port")
	pathsFile := flag.String("paths", "", "file with one request path per line")
	token := flag.String("token", "", "bearer token (none when empty)")
	conns := flag.Int("conns", 64, "keep-alive connections")
	rate := flag.Float64("rate", 0, "requests per second; 0 for a closed loop")
	timeout := flag.Duration("timeout", 120*time.Second, "stop sending after this long")
	latencyFile := flag.String("latencies", "", "also write each answered request's latency (ms), one per line")
	flag.Parse()

	raw, err := os.ReadFile(*pathsFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	auth := ""
	if *token != "" {
		auth = "Authorization: Bearer " + *token + "\r\n"
	}
	var requests [][]byte
	for _, p := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if p = strings.TrimSpace(p); p != "" {
			requests = append(requests, []byte("GET "+p+" HTTP/1.1\r\nHost: "+*addr+"\r\n"+auth+"\r\n"))
		}
	}
	if len(requests) == 0 {
		fmt.Fprintln(os.Stderr, "loadgen: no paths")
		os.Exit(2)
	}

	latencies := make([]float64, len(requests))
	done := make([]bool, len(requests))
	var next, errors int64 = -1, 0
	start := time.Now()
	deadline := start.Add(*timeout)
	var wg sync.WaitGroup
	for c := 0; c < *conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", *addr)
			if err != nil {
				atomic.AddInt64(&errors, 1)
				return
			}
			defer conn.Close()
			reader := bufio.NewReaderSize(conn, 64<<10)
			for {
				i := int(atomic.AddInt64(&next, 1))
				if i >= len(requests) || time.Now().After(deadline) {
					return
				}
				t0 := time.Now()
				if *rate > 0 {
					due := start.Add(time.Duration(float64(i) / *rate * float64(time.Second)))
					if wait := time.Until(due); wait > 0 {
						time.Sleep(wait)
					}
					t0 = due
				}
				if _, err := conn.Write(requests[i]); err != nil {
					atomic.AddInt64(&errors, 1)
					return
				}
				resp, err := http.ReadResponse(reader, nil)
				if err != nil {
					atomic.AddInt64(&errors, 1)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				latencies[i] = float64(time.Since(t0).Nanoseconds()) / 1e6
				done[i] = true
				if resp.StatusCode != http.StatusOK {
					atomic.AddInt64(&errors, 1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()

	var got []float64
	for i, ok := range done {
		if ok {
			got = append(got, latencies[i])
		}
	}
	if *latencyFile != "" {
		var b strings.Builder
		for _, v := range got {
			b.WriteString(strconv.FormatFloat(v, 'f', 4, 64))
			b.WriteByte('\n')
		}
		if err := os.WriteFile(*latencyFile, []byte(b.String()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
	}
	sort.Float64s(got)
	pct := func(q float64) float64 {
		if len(got) == 0 {
			return 0
		}
		k := int(q * float64(len(got)-1))
		return got[k]
	}
	out := result{
		Requests: len(got), Errors: int(errors), Seconds: elapsed,
		RPS: float64(len(got)) / elapsed,
		P50: pct(0.50), P90: pct(0.90), P99: pct(0.99), P999: pct(0.999), Max: pct(1.0),
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		os.Exit(1)
	}
}

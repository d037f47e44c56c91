package bench

import (
	"net/http"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkPaired measures the ratios the targets are stated in on a noisy
// machine: the library, the peer and the floor take turns in short chunks
// of requests (the order rotating from one op to the next), each chunk
// timed on its own, so that a burst of load from elsewhere falls on all
// three alike instead of on whichever benchmark happened to run then. One
// op is one chunk of each; ns/op is suppressed. Reported: the median time
// per request of each contender over all chunks, and the medians of the
// per-op ratios: peer÷netsuite (how many times faster the library is) and
// netsuite÷floor. BenchmarkTBA and BenchmarkBearer give the allocations and
// the conventional numbers.
func BenchmarkPaired(b *testing.B) {
	type contender struct {
		name string
		rt   http.RoundTripper
	}
	for _, tc := range []struct {
		auth  string
		chunk int // requests per goroutine per chunk
		setup func(b *testing.B) []contender
	}{
		{"tba", 200, func(b *testing.B) []contender {
			return []contender{
				{"netsuite", newTBAConnection(b, &nopTransport{})},
				{"dghubble", newDghubble(&nopTransport{})},
				{"floor", tbaFloor{base: &nopTransport{}, key: signingKey(), baseStr: baseString("ABCDEFGHIJKLMNOPQRSTUVWXYZ", time.Now().Unix())}},
			}
		}},
		{"bearer", 1000, func(b *testing.B) []contender {
			conn := newBearerConnection(b, &nopTransport{}, newECKey(b))
			b.Cleanup(func() { conn.Close() })
			return []contender{
				{"netsuite", conn},
				{"xoauth2", newXOAuth2(&nopTransport{})},
				{"floor", bearerFloor{base: &nopTransport{}, value: "Bearer " + accessToken}},
			}
		}},
	} {
		for _, mode := range []string{"serial", "parallel"} {
			b.Run("auth="+tc.auth+"/mode="+mode, func(b *testing.B) {
				cs := tc.setup(b)
				procs := 1
				if mode == "parallel" {
					procs = runtime.GOMAXPROCS(0)
				}
				reqs := make([]*http.Request, procs)
				for i := range reqs {
					reqs[i] = newRequest(b)
				}
				for _, c := range cs {
					roundTrip(b, c.rt, reqs[0]) // tokens fetched, pools warm
				}
				perReq := make([][]float64, len(cs)) // ns per request, per chunk
				var peerRatio, floorRatio []float64
				op := 0
				for b.Loop() {
					var t [3]float64
					for k := range cs {
						i := (k + op) % len(cs) // rotate who goes first
						t[i] = chunk(b, cs[i].rt, reqs, tc.chunk)
						perReq[i] = append(perReq[i], t[i])
					}
					peerRatio = append(peerRatio, t[1]/t[0])
					floorRatio = append(floorRatio, t[0]/t[2])
					op++
				}
				b.ReportMetric(0, "ns/op")
				for i, c := range cs {
					b.ReportMetric(median(perReq[i]), c.name+"-ns/req")
				}
				b.ReportMetric(median(peerRatio), cs[1].name+"/netsuite")
				b.ReportMetric(median(floorRatio), "netsuite/floor")
			})
		}
	}
}

// chunk sends n requests through rt from each of len(reqs) goroutines (one
// goroutine: from this one) and returns the wall time per request in ns.
func chunk(b *testing.B, rt http.RoundTripper, reqs []*http.Request, n int) float64 {
	start := time.Now()
	if len(reqs) == 1 {
		for range n {
			if _, err := rt.RoundTrip(reqs[0]); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		var wg sync.WaitGroup
		for _, req := range reqs {
			wg.Go(func() {
				for range n {
					if _, err := rt.RoundTrip(req); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n*len(reqs))
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

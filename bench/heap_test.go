package bench

import (
	"net/http"
	"runtime"
	"testing"
)

// requestsPerOp is how many requests one op of BenchmarkHeap sends.
// run.sh uses -benchtime 10x: 1,000,000 requests; CI's -benchtime 1x sends
// 100,000.
const requestsPerOp = 100_000

// heapInUse is the live heap after two collections (the second empties the
// sync.Pool victim caches).
func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// BenchmarkHeap: a Connection at rest holds no per-request state. It
// measures the live heap (after GC) with nothing, with a warmed-up
// Connection, and after b.N x 100,000 signed requests through it over the
// no-op transport; heap-growth-B is after - before, which must stay flat
// (a few KiB of runtime noise either way) however many requests were sent.
func BenchmarkHeap(b *testing.B) {
	for _, tc := range []struct {
		name string
		conn func(b *testing.B) http.RoundTripper
	}{
		{"auth=tba", func(b *testing.B) http.RoundTripper { return newTBAConnection(b, &nopTransport{}) }},
		{"auth=bearer", func(b *testing.B) http.RoundTripper {
			return newBearerConnection(b, &nopTransport{}, newECKey(b))
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			req := newRequest(b)
			empty := heapInUse()
			conn := tc.conn(b)
			roundTrip(b, conn, req) // first token, pools warmed
			before := heapInUse()
			b.ResetTimer()
			for range b.N {
				for range requestsPerOp {
					if _, err := conn.RoundTrip(req); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			after := heapInUse()
			runtime.KeepAlive(conn)
			b.ReportMetric(float64(b.N*requestsPerOp), "requests")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*requestsPerOp), "ns/request")
			b.ReportMetric(float64(before-empty), "conn-B")
			b.ReportMetric(float64(before), "heap-before-B")
			b.ReportMetric(float64(after), "heap-after-B")
			b.ReportMetric(float64(after-before), "heap-growth-B")
		})
	}
}

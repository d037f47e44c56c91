// Command benchtable reads `go test -bench` output of the bench module and
// writes the README's results table: the median of every metric, the ratios
// the targets of issue 6 are stated in, and whether each target is met.
//
//	go run ./cmd/benchtable results/roundtrip.txt results/expiry.txt … > results/table.md
//
// benchstat (run.sh runs it too) gives the same medians with confidence
// intervals; this only arranges them against the targets.
package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// samples maps benchmark name (without the -GOMAXPROCS suffix) and unit to
// the values of every run.
type samples map[string]map[string][]float64

var procSuffix = regexp.MustCompile(`-\d+$`)

func parse(r io.Reader, s samples) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := procSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
		if s[name] == nil {
			s[name] = map[string][]float64{}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return fmt.Errorf("%s: %q is not a number", f[0], f[i])
			}
			s[name][f[i+1]] = append(s[name][f[i+1]], v)
		}
	}
	return sc.Err()
}

// median returns the median of name's unit, and whether there is one.
func (s samples) median(name, unit string) (float64, bool) {
	vs := slices.Clone(s[name][unit])
	if len(vs) == 0 {
		return math.NaN(), false
	}
	slices.Sort(vs)
	n := len(vs)
	if n%2 == 1 {
		return vs[n/2], true
	}
	return (vs[n/2-1] + vs[n/2]) / 2, true
}

func (s samples) m(name, unit string) float64 { v, _ := s.median(name, unit); return v }

func (s samples) runs(name, unit string) int { return len(s[name][unit]) }

func dur(ns float64) string {
	switch {
	case math.IsNaN(ns):
		return "–"
	case ns < 0:
		return "≈ 0 (within noise)"
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

func num(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	if v == math.Trunc(v) || math.Abs(v) >= 1000 {
		return thousands(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// thousands puts a comma between groups of three digits.
func thousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func ratio(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return fmt.Sprintf("%.2fx", v)
}

func verdict(ok bool, known bool) string {
	switch {
	case !known:
		return "not measured"
	case ok:
		return "**met**"
	}
	return "**missed**"
}

func bytesStr(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	if math.Abs(v) >= 10*1024 {
		return fmt.Sprintf("%.1f KiB", v/1024)
	}
	return fmt.Sprintf("%.0f B", v)
}

func main() {
	s := samples{}
	for _, path := range os.Args[1:] {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		err = parse(f, s)
		f.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, path+":", err)
			os.Exit(1)
		}
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	roundTrips(w, s)
	expiry(w, s)
	heap(w, s)
	mint(w, s)
}

func roundTrips(w io.Writer, s samples) {
	n := s.runs("TBA/lib=netsuite/mode=serial", "ns/op")
	fmt.Fprintf(w, "#### RoundTrip over a no-op transport (median of %d runs)\n\n", n)
	fmt.Fprintln(w, "| benchmark | netsuite | peer | floor | peer ÷ netsuite | netsuite ÷ floor | allocs/op netsuite · peer · floor | B/op netsuite · peer · floor |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|")
	for _, row := range []struct{ bench, peer, peerName string }{
		{"TBA", "dghubble", "dghubble/oauth1"},
		{"Bearer", "xoauth2", "x/oauth2"},
	} {
		for _, mode := range []string{"serial", "parallel"} {
			name := func(lib string) string { return row.bench + "/lib=" + lib + "/mode=" + mode }
			ns, peer, floor := s.m(name("netsuite"), "ns/op"), s.m(name(row.peer), "ns/op"), s.m(name("floor"), "ns/op")
			fmt.Fprintf(w, "| %s %s | %s | %s (%s) | %s | %s | %s | %s · %s · %s | %s · %s · %s |\n",
				row.bench, mode, dur(ns), dur(peer), row.peerName, dur(floor), ratio(peer/ns), ratio(ns/floor),
				num(s.m(name("netsuite"), "allocs/op")), num(s.m(name(row.peer), "allocs/op")), num(s.m(name("floor"), "allocs/op")),
				num(s.m(name("netsuite"), "B/op")), num(s.m(name(row.peer), "B/op")), num(s.m(name("floor"), "B/op")))
		}
	}
	fmt.Fprintln(w)

	paired(w, s)

	fmt.Fprintln(w, "#### Targets")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Ratios from BenchmarkPaired (median of the per-op ratios of interleaved chunks, then the median over runs); in brackets the ratio of the medians of BenchmarkTBA / BenchmarkBearer, which noise from elsewhere on the machine skews more.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| target | measured | verdict |")
	fmt.Fprintln(w, "|---|---|---|")
	tba := func(lib, mode, unit string) float64 { return s.m("TBA/lib="+lib+"/mode="+mode, unit) }
	bear := func(lib, mode, unit string) float64 { return s.m("Bearer/lib="+lib+"/mode="+mode, unit) }
	pr := func(auth, mode, unit string) float64 { return s.m("Paired/auth="+auth+"/mode="+mode, unit) }
	for _, mode := range []string{"serial", "parallel"} {
		r := pr("tba", mode, "dghubble/netsuite")
		fmt.Fprintf(w, "| TBA %s: ≥ 5x faster than dghubble/oauth1 | %s (%s) | %s |\n", mode, ratio(r),
			ratio(tba("dghubble", mode, "ns/op")/tba("netsuite", mode, "ns/op")), verdict(r >= 5, !math.IsNaN(r)))
		f := pr("tba", mode, "netsuite/floor")
		fmt.Fprintf(w, "| TBA %s: ≤ 3x the floor | %s (%s) | %s |\n", mode, ratio(f),
			ratio(tba("netsuite", mode, "ns/op")/tba("floor", mode, "ns/op")), verdict(f <= 3, !math.IsNaN(f)))
	}
	a := tba("netsuite", "serial", "allocs/op")
	fmt.Fprintf(w, "| TBA: ≤ 25 allocs/op | %s | %s |\n", num(a), verdict(a <= 25, !math.IsNaN(a)))
	bp := 1 / pr("bearer", "parallel", "xoauth2/netsuite")
	fmt.Fprintf(w, "| Bearer parallel: ≤ x/oauth2 | %s of x/oauth2's time (%s) | %s |\n", ratio(bp),
		ratio(bear("netsuite", "parallel", "ns/op")/bear("xoauth2", "parallel", "ns/op")), verdict(bp <= 1, !math.IsNaN(bp)))
	bs := pr("bearer", "serial", "netsuite/floor")
	fmt.Fprintf(w, "| Bearer serial: ≤ 1.5x the floor | %s (%s) | %s |\n", ratio(bs),
		ratio(bear("netsuite", "serial", "ns/op")/bear("floor", "serial", "ns/op")), verdict(bs <= 1.5, !math.IsNaN(bs)))
	tr, ok1 := s.median("Expiry/lib=netsuite", "token-requests/refresh")
	ww, ok2 := s.median("Expiry/lib=netsuite", "worst-wait-ms")
	xw := s.m("Expiry/lib=xoauth2", "worst-wait-ms")
	fmt.Fprintf(w, "| Expiry: exactly 1 token request per refresh point | %s (max over runs %s) | %s |\n",
		num(tr), num(maxOf(s["Expiry/lib=netsuite"]["token-requests/refresh"])), verdict(ok1 && allEqual(s["Expiry/lib=netsuite"]["token-requests/refresh"], 1), ok1))
	fmt.Fprintf(w, "| Expiry: worst wait ≪ 200 ms (x/oauth2: %s ms) | %s ms (max over runs %s ms) | %s |\n",
		num(xw), num(ww), num(maxOf(s["Expiry/lib=netsuite"]["worst-wait-ms"])), verdict(ok2 && maxOf(s["Expiry/lib=netsuite"]["worst-wait-ms"]) < 20, ok2))
	for _, auth := range []string{"tba", "bearer"} {
		name := "Heap/auth=" + auth
		g, ok := s.median(name, "heap-growth-B")
		worst := maxAbs(s[name]["heap-growth-B"])
		fmt.Fprintf(w, "| Heap flat over %s %s requests (\\|growth\\| < 64 KiB, i.e. < 0.07 B/request) | median %s, worst %s | %s |\n",
			num(s.m(name, "requests")), strings.ToUpper(auth), bytesStr(g), bytesStr(worst), verdict(worst < 64*1024, ok))
	}
	fmt.Fprintln(w)
}

func paired(w io.Writer, s samples) {
	n := s.runs("Paired/auth=tba/mode=serial", "netsuite/floor")
	if n == 0 {
		return
	}
	fmt.Fprintf(w, "#### Paired: the contenders in alternating chunks (median of %d runs)\n\n", n)
	fmt.Fprintln(w, "| benchmark | netsuite per request | peer per request | floor per request | peer ÷ netsuite | netsuite ÷ floor |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|")
	for _, row := range []struct{ auth, label, peer, peerName string }{
		{"tba", "TBA", "dghubble", "dghubble/oauth1"},
		{"bearer", "Bearer", "xoauth2", "x/oauth2"},
	} {
		for _, mode := range []string{"serial", "parallel"} {
			name := "Paired/auth=" + row.auth + "/mode=" + mode
			fmt.Fprintf(w, "| %s %s | %s | %s (%s) | %s | %s | %s |\n", row.label, mode,
				dur(s.m(name, "netsuite-ns/req")), dur(s.m(name, row.peer+"-ns/req")), row.peerName, dur(s.m(name, "floor-ns/req")),
				ratio(s.m(name, row.peer+"/netsuite")), ratio(s.m(name, "netsuite/floor")))
		}
	}
	fmt.Fprintln(w)
}

func maxOf(vs []float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	return slices.Max(vs)
}

func maxAbs(vs []float64) float64 {
	m := math.NaN()
	for _, v := range vs {
		if math.IsNaN(m) || math.Abs(v) > math.Abs(m) {
			m = v
		}
	}
	return m
}

func allEqual(vs []float64, want float64) bool {
	for _, v := range vs {
		if v != want {
			return false
		}
	}
	return len(vs) > 0
}

func expiry(w io.Writer, s samples) {
	fmt.Fprintf(w, "#### Token expiry under load: %d runs, 256 callers, token endpoint 200 ms\n\n", s.runs("Expiry/lib=netsuite", "requests"))
	fmt.Fprintln(w, "| library | clock | requests | token requests | refresh points crossed | token requests per refresh | worst wait (median · max) | RoundTrips that waited ≥ 100 ms |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|")
	for _, lib := range []struct{ name, label, clock string }{
		{"netsuite", "netsuite (early background refresh)", "fake (synctest), 3600 s tokens"},
		{"xoauth2", "x/oauth2 ReuseTokenSource", "real, 10.5 s tokens"},
	} {
		name := "Expiry/lib=" + lib.name
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s · %s ms | %s |\n", lib.label, lib.clock,
			num(s.m(name, "requests")), num(s.m(name, "token-requests")), num(s.m(name, "refresh-points")),
			num(s.m(name, "token-requests/refresh")), num(s.m(name, "worst-wait-ms")), num(maxOf(s[name]["worst-wait-ms"])),
			num(s.m(name, "waits>=100ms")))
	}
	fmt.Fprintln(w)
}

func heap(w io.Writer, s samples) {
	fmt.Fprintf(w, "#### Heap over many requests (%d runs; live heap after GC)\n\n", s.runs("Heap/auth=tba", "requests"))
	fmt.Fprintln(w, "| auth | requests per run | time per request | Connection (incl. key, token) | heap before | heap after | growth (median · worst) |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|")
	for _, auth := range []string{"tba", "bearer"} {
		name := "Heap/auth=" + auth
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s · %s |\n", strings.ToUpper(auth), num(s.m(name, "requests")),
			dur(s.m(name, "ns/request")), bytesStr(s.m(name, "conn-B")), bytesStr(s.m(name, "heap-before-B")),
			bytesStr(s.m(name, "heap-after-B")), bytesStr(s.m(name, "heap-growth-B")), bytesStr(maxAbs(s[name]["heap-growth-B"])))
	}
	fmt.Fprintln(w)
}

func mint(w io.Writer, s samples) {
	var algs []string
	for name := range s {
		if rest, ok := strings.CutPrefix(name, "Mint/"); ok {
			if alg, ok := strings.CutSuffix(rest, "/part=mint"); ok {
				algs = append(algs, alg)
			}
		}
	}
	order := []string{"PS256/key=RSA-3072", "PS384/key=RSA-3072", "PS512/key=RSA-3072", "PS256/key=RSA-4096",
		"PS384/key=RSA-4096", "PS512/key=RSA-4096", "ES256", "ES384", "ES512"}
	rank := func(a string) int {
		for i, o := range order {
			if strings.Contains(a, o) {
				return i
			}
		}
		return len(order)
	}
	slices.SortFunc(algs, func(a, b string) int { return rank(a) - rank(b) })
	if len(algs) == 0 {
		return
	}
	fmt.Fprintf(w, "#### Client-credentials token mint, loopback token endpoint (median of %d runs)\n\n", s.runs("Mint/"+algs[0]+"/part=mint", "ns/op"))
	fmt.Fprintln(w, "| algorithm, key | mint (new Connection + TokenSource().Token()) | of which NewConnection + Close | signature alone | HTTP POST + parse alone | rest (JWT, goroutine, token parsing) | allocs/op |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|")
	for _, alg := range algs {
		p := func(part, unit string) float64 { return s.m("Mint/"+alg+"/part="+part, unit) }
		mintNs, cons, sign, post := p("mint", "ns/op"), p("construct", "ns/op"), p("sign", "ns/op"), p("http", "ns/op")
		label := strings.NewReplacer("alg=", "", "/key=", ", ").Replace(alg)
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", label, dur(mintNs), dur(cons), dur(sign), dur(post),
			dur(mintNs-cons-sign-post), num(p("mint", "allocs/op")))
	}
	fmt.Fprintln(w)
}

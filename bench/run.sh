#!/usr/bin/env bash
# Regenerates bench/results/ and the results section of bench/README.md:
# every benchmark COUNT times (default 10), interleaved (one pass over all
# of them, then the next, so that a burst of noise on the machine does not
# land on one library only), then benchstat and the table of medians
# against the targets.
#
#   ./run.sh                 # about 15 minutes on 2 cores
#   COUNT=3 ./run.sh         # a quicker look
#   TABLE_ONLY=1 ./run.sh    # only benchstat, the table and README.md, from results/*.txt
#
# Run it on a machine that is otherwise idle.
set -euo pipefail
cd "$(dirname "$0")"

COUNT="${COUNT:-10}"
# benchstat, fetched through the Go module proxy (pinned, for results that
# can be reproduced; BENCHSTAT_VERSION=latest for the newest).
BENCHSTAT_VERSION="${BENCHSTAT_VERSION:-v0.0.0-20260908200009-22c9c6c9d4da}"
benchstat() { go run "golang.org/x/perf/cmd/benchstat@${BENCHSTAT_VERSION}" "$@"; }

mkdir -p results
rm -f results/*.tmp

# TABLE_ONLY=1 ./run.sh: only redo benchstat, the table and README.md from
# the results/*.txt already there.
if [ -z "${TABLE_ONLY:-}" ]; then
	echo "== machine" >&2
	{
		echo "date:    $(date -u +%Y-%m-%dT%H:%MZ)"
		echo "go:      $(go version)"
		echo "cpu:     $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n1), $(nproc) CPUs ($(lscpu | sed -n 's/^Thread(s) per core:[[:space:]]*//p') thread(s) per core), $(lscpu | sed -n 's/^Hypervisor vendor:[[:space:]]*//p' | sed 's/^./virtualised: &/')"
		echo "memory:  $(free -h | awk '/^Mem:/ {print $2}')"
		echo "kernel:  $(uname -sr)"
		echo "library: $(git -C .. rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C .. diff --quiet HEAD -- . ':(exclude)bench' 2>/dev/null || echo ' plus uncommitted changes')"
		echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the start"
	} >results/machine.tmp
	cat results/machine.tmp >&2

	echo "== build" >&2
	go vet ./...
	go test -c -o results/bench.test.tmp .

	run() { # file, then test binary flags
		local out="results/$1.tmp"
		shift
		./results/bench.test.tmp -test.run '^$' "$@" >>"$out"
	}
	for i in $(seq 1 "$COUNT"); do
		echo "== pass $i of $COUNT" >&2
		run roundtrip -test.bench '^Benchmark(TBA|Bearer|Paired)$'
		run mint -test.bench '^BenchmarkMint$'
		# One op is a whole scenario (two token lifetimes, 256 callers).
		run expiry -test.bench '^BenchmarkExpiry$' -test.benchtime 1x
		# One op is 100,000 requests: 10x is 1,000,000.
		run heap -test.bench '^BenchmarkHeap$' -test.benchtime 10x
	done
	rm -f results/bench.test.tmp
	for f in machine roundtrip mint expiry heap; do
		mv "results/$f.tmp" "results/$f.txt"
	done
fi

echo "== benchstat" >&2
{
	echo "# benchstat -col /lib -filter '.name:(TBA OR Bearer)' results/roundtrip.txt"
	benchstat -col /lib -filter '.name:(TBA OR Bearer)' results/roundtrip.txt
	echo
	echo "# benchstat -filter .name:Paired results/roundtrip.txt"
	benchstat -filter .name:Paired results/roundtrip.txt
	echo
	echo "# benchstat -col /lib results/expiry.txt"
	benchstat -col /lib results/expiry.txt
	echo
	echo "# benchstat results/heap.txt"
	benchstat results/heap.txt
	echo
	echo "# benchstat -col /part results/mint.txt"
	benchstat -col /part results/mint.txt
} >results/benchstat.tmp 2>&1
mv results/benchstat.tmp results/benchstat.txt

echo "== table" >&2
go run ./cmd/benchtable results/roundtrip.txt results/expiry.txt results/heap.txt results/mint.txt >results/table.tmp
mv results/table.tmp results/table.md

# Put the machine and the table between the markers in README.md.
{
	echo '<!-- results:start (written by run.sh; do not edit by hand) -->'
	echo
	echo '```'
	cat results/machine.txt
	echo '```'
	echo
	cat results/table.md
	echo '<!-- results:end -->'
} >results/section.tmp
awk -v section=results/section.tmp '
	/^<!-- results:start/ { while ((getline line < section) > 0) print line; skip = 1; next }
	/^<!-- results:end -->/ { skip = 0; next }
	!skip { print }
' README.md >results/readme.tmp
mv results/readme.tmp README.md
rm -f results/section.tmp
echo "== done: results/*.txt, results/table.md, README.md" >&2

#!/usr/bin/env bash
# Runs Galen's nn benchmarks (pure-Go and -tags openblas builds) and the
# PyTorch reference (../shared/bench/torch_reference.py) in one run on this
# machine, and prints one line per workload and build:
#
#   RATIO <workload>/<build> galen/torch = <x>
#
# where x = (fastest single Galen step) / (fastest single PyTorch step): both
# sides warm up with two untimed steps and time each step alone (Go: the
# min-ms metric of nn/bench_test.go; PyTorch: the "min" of
# torch_reference.py), over COUNT Go runs and TORCH_RUNS PyTorch runs
# interleaved. Minimums are used because the machine is shared: the fastest
# step is the one least disturbed by other work. The ratio of medians is
# printed too. Peak memory is
# the benchmark process's VmHWM (each workload runs in its own process) and,
# for PyTorch, the max RSS of the whole reference script (all workloads).
#
# Usage (from the repo root): bench/compare-torch.sh
# Environment: COUNT (default 3) runs per Go benchmark, THREADS (default 2),
# TORCH_RUNS (default 2: one before the Go benchmarks, one after).
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-3}
THREADS=${THREADS:-2}
TORCH_RUNS=${TORCH_RUNS:-2}
TORCH_SCRIPT=../shared/bench/torch_reference.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), go $(go env GOVERSION), COUNT=$COUNT THREADS=$THREADS, load $(cut -d' ' -f1-3 /proc/loadavg)"

go test -c -o "$tmp/nn-go.test" ./nn
go test -c -tags openblas -o "$tmp/nn-openblas.test" ./nn

# workload name | Go benchmark (anchored) | sub-benchmark | -benchtime | torch RESULT name
workloads=(
	"transformer_train_step|^BenchmarkTransformerTrainStep$||20x|transformer_train_step B=16 S=128"
	"transformer_infer_S128|^BenchmarkTransformerInfer$|^S=128$|100x|transformer_infer B=1 S=128"
	"transformer_infer_S256|^BenchmarkTransformerInfer$|^S=256$|100x|transformer_infer B=1 S=256"
	"lstm_train_step|^BenchmarkLSTMTrainStep$||20x|lstm_train_step B=64 T=48 F=40 H=64"
	"cnn_train_step|^BenchmarkCNNTrainStep$||20x|cnn_train_step B=32 28x28"
)

: >"$tmp/torch.txt"
: >"$tmp/torch.time"
run_torch() {
	if [ -x /usr/bin/python3 ] && [ -f "$TORCH_SCRIPT" ]; then
		/usr/bin/time -v /usr/bin/python3 "$TORCH_SCRIPT" "$THREADS" >"$tmp/torch.out" 2>"$tmp/torch.err" || true
		sed 's/^/# torch: /' "$tmp/torch.out"
		cat "$tmp/torch.out" >>"$tmp/torch.txt"
		cat "$tmp/torch.err" >>"$tmp/torch.time"
	else
		echo "# PyTorch reference not available: $TORCH_SCRIPT" >&2
	fi
}

# Go results per build and workload go to $tmp/<build>-<name>.txt.
run_go() {
	local build=$1
	for w in "${workloads[@]}"; do
		IFS='|' read -r name bench sub benchtime tname <<<"$w"
		pattern="$bench"
		[ -n "$sub" ] && pattern="$bench/$sub"
		GOMAXPROCS=$THREADS "$tmp/nn-$build.test" -test.run '^$' -test.bench "$pattern" \
			-test.benchtime "$benchtime" -test.count "$COUNT" -test.benchmem >"$tmp/$build-$name.txt" 2>&1 ||
			echo "# $name/$build failed: $(tail -1 "$tmp/$build-$name.txt")"
	done
}

# Interleave: torch, go, openblas, torch, ... so both sides see similar load.
run_torch
run_go go
run_go openblas
for ((r = 2; r <= TORCH_RUNS; r++)); do run_torch; done
torch_rss=$(awk -F: '/Maximum resident set size/ { v = $2 / 1024; if (v > m) m = v } END { printf "%.0f", m }' "$tmp/torch.time")

for build in go openblas; do
	for w in "${workloads[@]}"; do
		IFS='|' read -r name bench sub benchtime tname <<<"$w"
		if ! grep -q '^Benchmark' "$tmp/$build-$name.txt" 2>/dev/null; then
			echo "RATIO $name/$build galen/torch = n/a (benchmark failed)"
			continue
		fi
		read -r gmin gmed gcpu gpeak < <(awk '/^Benchmark/ { for (i = 2; i < NF; i++) {
				if ($(i+1) == "min-ms" && (m == "" || $i < m)) m = $i
				if ($(i+1) == "med-ms" && (d == "" || $i < d)) d = $i
				if ($(i+1) == "cpu-ms/op" && (c == "" || $i < c)) c = $i
				if ($(i+1) == "peak-MB" && $i > p) p = $i } }
			END { printf "%.2f %.2f %.2f %s\n", m, d, c, p }' "$tmp/$build-$name.txt")
		read -r tmin tmed < <(awk -v n="RESULT $tname:" 'index($0, n) == 1 {
				if (m == "" || $(NF-1) < m) m = $(NF-1)
				if (d == "" || $(NF-4) < d) d = $(NF-4) }
			END { print m, d }' "$tmp/torch.txt")
		if [ -z "$tmin" ]; then
			echo "RATIO $name/$build galen/torch = n/a (no torch result; galen min ${gmin} ms, peak ${gpeak} MB)"
			continue
		fi
		ratio=$(awk -v g="$gmin" -v t="$tmin" 'BEGIN { printf "%.2f", g / t }')
		mratio=$(awk -v g="$gmed" -v t="$tmed" 'BEGIN { printf "%.2f", g / t }')
		echo "RATIO $name/$build galen/torch = $ratio   (min galen ${gmin} ms / torch ${tmin} ms; median ratio $mratio; galen cpu ${gcpu} ms/step, peak ${gpeak} MB; torch peak ${torch_rss:-?} MB whole script)"
	done
done

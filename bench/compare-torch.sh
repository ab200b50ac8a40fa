#!/usr/bin/env bash
# Runs Galen's nn benchmarks (pure-Go and -tags openblas builds) and the
# PyTorch reference (../shared/bench/torch_reference.py) in one run on this
# machine, and prints one line per workload and build:
#
#   RATIO <workload>/<build> galen/torch = <x>
#
# where x = (fastest Galen ns/op over COUNT runs) / (fastest PyTorch step of
# its 20-100 timed steps). Minimums are used because the machine is shared:
# the fastest run is the one least disturbed by other work. Peak memory is
# the benchmark process's VmHWM (each workload runs in its own process) and,
# for PyTorch, the max RSS of the whole reference script (all workloads).
#
# Usage (from the repo root): bench/compare-torch.sh
# Environment: COUNT (default 3) runs per Go benchmark, THREADS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-3}
THREADS=${THREADS:-2}
TORCH_SCRIPT=../shared/bench/torch_reference.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), go $(go env GOVERSION), COUNT=$COUNT THREADS=$THREADS, load $(cut -d' ' -f1-3 /proc/loadavg)"

go test -c -o "$tmp/nn-go.test" ./nn
go test -c -tags openblas -o "$tmp/nn-openblas.test" ./nn

# workload name | Go benchmark (anchored) | sub-benchmark | -benchtime | torch RESULT name
workloads=(
	"transformer_train_step|^BenchmarkTransformerTrainStep$||10x|transformer_train_step B=16 S=128"
	"transformer_infer_S128|^BenchmarkTransformerInfer$|^S=128$|50x|transformer_infer B=1 S=128"
	"transformer_infer_S256|^BenchmarkTransformerInfer$|^S=256$|30x|transformer_infer B=1 S=256"
	"lstm_train_step|^BenchmarkLSTMTrainStep$||20x|lstm_train_step B=64 T=48 F=40 H=64"
	"cnn_train_step|^BenchmarkCNNTrainStep$||20x|cnn_train_step B=32 28x28"
)

if [ -x /usr/bin/python3 ] && [ -f "$TORCH_SCRIPT" ]; then
	/usr/bin/time -v /usr/bin/python3 "$TORCH_SCRIPT" "$THREADS" >"$tmp/torch.txt" 2>"$tmp/torch.time" || true
else
	echo "# PyTorch reference not available: $TORCH_SCRIPT" >&2
	: >"$tmp/torch.txt"
	: >"$tmp/torch.time"
fi
sed 's/^/# torch: /' "$tmp/torch.txt"
torch_rss=$(awk -F: '/Maximum resident set size/{printf "%.0f", $2/1024}' "$tmp/torch.time")

for build in go openblas; do
	for w in "${workloads[@]}"; do
		IFS='|' read -r name bench sub benchtime tname <<<"$w"
		pattern="$bench"
		[ -n "$sub" ] && pattern="$bench/$sub"
		GOMAXPROCS=$THREADS "$tmp/nn-$build.test" -test.run '^$' -test.bench "$pattern" \
			-test.benchtime "$benchtime" -test.count "$COUNT" -test.benchmem >"$tmp/$build-$name.txt" 2>&1 || {
			echo "RATIO $name/$build galen/torch = n/a (benchmark failed: $(tail -1 "$tmp/$build-$name.txt"))"
			continue
		}
		read -r gmin gpeak < <(awk '/^Benchmark/ { for (i = 2; i < NF; i++) { if ($(i+1) == "ns/op" && (m == "" || $i < m)) m = $i; if ($(i+1) == "peak-MB" && $i > p) p = $i } }
			END { printf "%s %s\n", m / 1e6, p }' "$tmp/$build-$name.txt")
		tmin=$(awk -v n="RESULT $tname:" 'index($0, n) == 1 { print $(NF-1) }' "$tmp/torch.txt")
		if [ -z "$tmin" ]; then
			echo "RATIO $name/$build galen/torch = n/a (no torch result; galen ${gmin} ms, peak ${gpeak} MB)"
			continue
		fi
		ratio=$(awk -v g="$gmin" -v t="$tmin" 'BEGIN { printf "%.2f", g / t }')
		echo "RATIO $name/$build galen/torch = $ratio   (galen ${gmin} ms, peak ${gpeak} MB; torch ${tmin} ms, peak ${torch_rss:-?} MB whole script)"
	done
done

#!/usr/bin/env bash
# Latency of POST /v1/outcome/predict under concurrent load.
#
# Builds galen and bench/loadgen, starts `galen serve` on 127.0.0.1 (a free
# port) with a temporary data directory and GALEN_ADMIN_KEY, sends one real
# PhysioNet 2012 stay from ../shared/data from CLIENTS concurrent clients,
# as plain JSON observations, as a FHIR R4 Bundle, and (for comparison,
# without the explanation) as OIP v2 tensors, prints p50/p90/p99 latency,
# requests per second, the server's CPU per request and the load generator's
# own (it shares the cores), and stops the server.
#
#   bench/outcome-latency.sh                    # 16 clients, 2000 requests per form
#   CLIENTS=16 REQUESTS=5000 RECORD=132539 bench/outcome-latency.sh
#   DATA=/path/to/set-a.tar.gz bench/outcome-latency.sh   # data elsewhere
set -euo pipefail

CLIENTS=${CLIENTS:-16}
REQUESTS=${REQUESTS:-2000}
RECORD=${RECORD:-132539}

repo=$(cd "$(dirname "$0")/.." && pwd)
data=${DATA:-$(cd "$repo/.." && pwd)/shared/data/physionet2012-set-a/set-a.tar.gz}
if [[ ! -f $data ]]; then
	echo "outcome-latency: $data not found (PhysioNet 2012 set A is needed)" >&2
	exit 2
fi

. "$repo/bench/lib.sh"

cd "$repo"
go build -o "$tmp/galen" ./cmd/galen
go build -o "$tmp/loadgen" ./bench/loadgen
tar -xzf "$data" -C "$tmp" "set-a/$RECORD.txt"

key="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
start_galen "$tmp/galen" "$key"

echo "galen $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo "(no git)") on $addr, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "record $RECORD: $(($(wc -l <"$tmp/set-a/$RECORD.txt") - 1)) lines"
# cpu_ticks prints the server's user+system CPU time in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
for form in plain fhir oip; do
	echo
	url="http://$addr/v1/outcome/predict"
	if [[ $form == oip ]]; then
		url="http://$addr/v2/models/icu-mortality/infer"
		echo "== oip: the same model through OIP v2, risk only (no explanation) =="
	else
		echo "== $form =="
	fi
	before=$(cpu_ticks)
	"$tmp/loadgen" -url "$url" -physionet "$tmp/set-a/$RECORD.txt" -form "$form" \
		-H "Authorization: Bearer $key" -H "Accept: application/json" -c "$CLIENTS" -n "$REQUESTS" -warmup 3
	after=$(cpu_ticks)
	# Server CPU per request does not depend on what else runs on the machine.
	awk -v t=$((after - before)) -v hz="$hz" -v n="$((REQUESTS + 3 * CLIENTS))" \
		'BEGIN { printf "server CPU: %.1f ms per request (%.0f requests/s per idle core)\n", 1000 * t / hz / n, n * hz / (t > 0 ? t : 1) }'
	echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
done

#!/usr/bin/env bash
# Sweep of real FHIR documents through the ICU routes.
#
# Builds galen and bench/fhirsweep, starts `galen serve` on 127.0.0.1 (a
# free port) with a temporary data directory and GALEN_ADMIN_KEY, sends every
# document of ../shared/data/fhir-examples (HL7 R4 core examples, US Core
# examples, Synthea bundles) to POST /v1/outcome/predict and, as an EHR
# following the prefetch template would, to the CDS Hooks service, prints
# per route the counts of 200, of 4xx by reason and of 5xx, and the latency
# of the largest document, and stops the server.
#
#   bench/fhir-sweep.sh                          # both routes
#   ROUTES=predict OUT=/tmp/sweep.tsv bench/fhir-sweep.sh   # one route, per-document lines
#   DIR=/path/to/other/fhir/json bench/fhir-sweep.sh       # another folder
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${DIR:-$(cd "$repo/.." && pwd)/shared/data/fhir-examples}
if [[ ! -d $dir ]]; then
	echo "fhir-sweep: $dir not found (set DIR)" >&2
	exit 2
fi

tmp=$(mktemp -d)
pid=""
cleanup() {
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

cd "$repo"
go build -o "$tmp/galen" ./cmd/galen
go build -o "$tmp/fhirsweep" ./bench/fhirsweep

key="sweep-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
GALEN_ADMIN_KEY=$key "$tmp/galen" serve --data-dir "$tmp/data" --addr 127.0.0.1:0 >"$tmp/serve.log" 2>&1 &
pid=$!

addr=""
for _ in $(seq 1 100); do
	addr=$(grep -o 'addr=127\.0\.0\.1:[0-9]*' "$tmp/serve.log" | head -1 | cut -d= -f2 || true)
	if [[ -n $addr ]] && curl -fsS "http://$addr/v2/health/ready" >/dev/null 2>&1; then
		break
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "fhir-sweep: galen serve exited:" >&2
		cat "$tmp/serve.log" >&2
		exit 1
	fi
	sleep 0.1
done
if [[ -z $addr ]]; then
	echo "fhir-sweep: galen serve did not report its address" >&2
	cat "$tmp/serve.log" >&2
	exit 1
fi

echo "galen $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo "(no git)") on $addr, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$tmp/fhirsweep" -url "http://$addr" -key "$key" -dir "$dir" -routes "${ROUTES:-predict,cds}" ${OUT:+-out "$OUT"}
if grep -q 'level=ERROR' "$tmp/serve.log"; then
	echo
	echo "server errors logged:"
	grep 'level=ERROR' "$tmp/serve.log" | head -20
fi

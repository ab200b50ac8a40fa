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

. "$repo/bench/lib.sh"

cd "$repo"
go build -o "$tmp/galen" ./cmd/galen
go build -o "$tmp/fhirsweep" ./bench/fhirsweep

key="sweep-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
start_galen "$tmp/galen" "$key"

echo "galen $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo "(no git)") on $addr, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$tmp/fhirsweep" -url "http://$addr" -key "$key" -dir "$dir" -routes "${ROUTES:-predict,cds}" ${OUT:+-out "$OUT"}
if grep -q 'level=ERROR' "$tmp/serve.log"; then
	echo
	echo "server errors logged:"
	grep 'level=ERROR' "$tmp/serve.log" | head -20
fi

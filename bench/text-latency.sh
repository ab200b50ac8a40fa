#!/usr/bin/env bash
# Latency of POST /v1/text/classify under concurrent load.
#
# Builds galen and bench/loadgen, starts `galen serve` on 127.0.0.1 (a free
# port) with a temporary data directory, takes a real 500-word note (the
# first mtsamples test-split note of at least 500 words, cut to 500 words),
# and sends it from CLIENTS concurrent clients: to the built-in linear model
# with its explanation, sections and negations; through OIP v2 infer
# (probabilities only); and, when TRANSFORMER names a transformer artifact
# (from `galen train text --model-type transformer --out FILE`), to that
# model uploaded as clinical-specialty-transformer. Prints p50/p90/p99,
# requests per second and the server's CPU per request.
#
#   bench/text-latency.sh                          # 16 clients, 2000 requests per form
#   CLIENTS=16 REQUESTS=500 TRANSFORMER=/tmp/tf.safetensors bench/text-latency.sh
set -euo pipefail

CLIENTS=${CLIENTS:-16}
REQUESTS=${REQUESTS:-2000}
WORDS=${WORDS:-500}

repo=$(cd "$(dirname "$0")/.." && pwd)
data=${DATA:-$(cd "$repo/.." && pwd)/shared/data/mtsamples/mtsamples.csv.gz}
if [[ ! -f $data ]]; then
	echo "text-latency: $data not found (mtsamples is needed)" >&2
	exit 2
fi

. "$repo/bench/lib.sh"

cd "$repo"
go build -o "$tmp/galen" ./cmd/galen
go build -o "$tmp/loadgen" ./bench/loadgen

# The note: the split the built-in model was tested on, first test note
# with at least $WORDS words, cut to $WORDS words.
"$tmp/galen" train text --data "$data" --export-split "$tmp/split.csv" --split-only 2>/dev/null
python3 - "$tmp/split.csv" "$WORDS" "$tmp" <<'PY'
import csv, json, sys
csv.field_size_limit(1 << 24)
path, words, tmp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for row in csv.DictReader(open(path, encoding="utf-8")):
    w = row["text"].split()
    if row["split"] == "test" and len(w) >= words:
        note = " ".join(w[:words])
        json.dump({"text": note}, open(f"{tmp}/plain.json", "w"))
        json.dump({"inputs": [{"name": "text", "datatype": "BYTES", "shape": [1], "data": [note]}]}, open(f"{tmp}/oip.json", "w"))
        print(f"note: line {row['line']} of mtsamples ({row['label']}), {words} words, {len(note)} characters")
        break
PY

key="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
start_galen "$tmp/galen" "$key"
forms=${FORMS:-linear oip}
if [[ -n ${TRANSFORMER:-} ]]; then
	echo '{"task":"text","training_data":"mtsamples","data_license":"CC0","intended_use":"benchmark","limitations":"benchmark only"}' >"$tmp/card.json"
	"$tmp/galen" models upload --server "http://$addr" --key "$key" --format text-classifier/v1 --artifact "$TRANSFORMER" \
		--card "$tmp/card.json" --task text clinical-specialty-transformer >/dev/null
	forms="$forms transformer"
fi

echo "galen $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo "(no git)") on $addr, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
for form in $forms; do
	echo
	body="$tmp/plain.json"
	case $form in
	linear) url="http://$addr/v1/text/classify"; echo "== linear (built-in clinical-specialty): labels, explanation, sections, negations ==" ;;
	oip) url="http://$addr/v2/models/clinical-specialty/infer"; body="$tmp/oip.json"; echo "== oip: the built-in model through OIP v2, probabilities only ==" ;;
	transformer) url="http://$addr/v1/text/classify?model=clinical-specialty-transformer"; echo "== transformer: labels, integrated-gradients explanation, sections, negations ==" ;;
	esac
	before=$(cpu_ticks)
	"$tmp/loadgen" -url "$url" -body "$body" -H "Authorization: Bearer $key" -c "$CLIENTS" -n "$REQUESTS" -warmup 3 -timeout 60s || echo "text-latency: some requests failed (above)"
	after=$(cpu_ticks)
	awk -v t=$((after - before)) -v hz="$hz" -v n="$((REQUESTS + 3 * CLIENTS))" \
		'BEGIN { printf "server CPU: %.1f ms per request (%.0f requests/s per idle core)\n", 1000 * t / hz / n, n * hz / (t > 0 ? t : 1) }'
	echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
done

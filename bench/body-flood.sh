#!/usr/bin/env bash
# Peak memory of `galen serve` under a flood of large request bodies
# (issue 7 item 6): N concurrent bodies of SIZE bytes to the OIP infer route
# of the built-in model, each sent either with its Content-Length
# (MODE=length) or chunked, without one (MODE=chunked). Prints the server's
# resident set before the flood, its peak (VmHWM) before and after, and the
# statuses the clients got.
#
#   bench/body-flood.sh                         # this tree, 6 x 40 MB, MODE=length
#   MODE=chunked bench/body-flood.sh
#   REV=1a7330b bench/body-flood.sh             # a commit, built from git archive
#   N=6 SIZE=41943040 MAX_BODY=32MiB bench/body-flood.sh
set -euo pipefail

N=${N:-6}
SIZE=${SIZE:-41943040}
MODE=${MODE:-length}
MAX_BODY=${MAX_BODY:-32MiB}

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/bench/lib.sh"

if [[ -n ${REV:-} ]]; then
	mkdir "$tmp/src"
	git -C "$repo" archive "$REV" | tar -x -C "$tmp/src"
	(cd "$tmp/src" && go build -o "$tmp/galen" ./cmd/galen)
else
	(cd "$repo" && go build -o "$tmp/galen" ./cmd/galen)
fi

# A key of the generated form (SHA-256 only), so that no KDF runs.
key="glk_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
start_galen "$tmp/galen" "$key" --max-body "$MAX_BODY"

kib() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$pid/status"; }
url="http://$addr/v2/models/icu-mortality/infer"
# One real request first, so that the model is loaded before measuring.
curl -sS -o /dev/null -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d '{"inputs":[]}' "$url"
rss0=$(kib VmRSS)
hwm0=$(kib VmHWM)

# A body of SIZE bytes: a JSON array of numbers.
python3 -c "
import sys
n = $SIZE
head, tail = b'{\"inputs\":[{\"name\":\"values\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[', b'0]}]}'
body = head + b'1,' * ((n - len(head) - len(tail)) // 2)
body += b' ' * (n - len(body) - len(tail)) + tail
sys.stdout.buffer.write(body)" >"$tmp/body.json"

extra=()
if [[ $MODE == chunked ]]; then
	extra=(-H 'Transfer-Encoding: chunked')
fi
start=$(date +%s.%N)
for i in $(seq 1 "$N"); do
	curl -sS -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $key" -H 'Content-Type: application/json' "${extra[@]}" \
		--data-binary @"$tmp/body.json" "$url" >"$tmp/status.$i" 2>/dev/null || echo "000" >"$tmp/status.$i" &
done
wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
end=$(date +%s.%N)
statuses=$(cat "$tmp"/status.* | sort | uniq -c | awk '{printf "%s x%s ", $2, $1}')
rss1=$(kib VmRSS)
hwm1=$(kib VmHWM)
printf 'rev=%s mode=%s n=%d size=%d max_body=%s\n' "${REV:-worktree}" "$MODE" "$N" "$SIZE" "$MAX_BODY"
printf 'rss before %d MiB, peak before %d MiB, peak after flood %d MiB (+%d MiB), rss after %d MiB; %.1f s; statuses %s\n' \
	$((rss0 / 1024)) $((hwm0 / 1024)) $((hwm1 / 1024)) $(((hwm1 - hwm0) / 1024)) $((rss1 / 1024)) "$(echo "$end - $start" | bc)" "$statuses"

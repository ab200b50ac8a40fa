#!/usr/bin/env bash
# Latency of POST /v1/imaging/classify under concurrent load.
#
# Builds galen and bench/loadgen, starts `galen serve` on 127.0.0.1 (a free
# port) with a temporary data directory, and sends from CLIENTS concurrent
# clients: a chest X-ray PNG with and without the Grad-CAM saliency map, the
# CT_small.dcm DICOM sample (128x128, explicit VR LE) with the map, and the
# same 28x28 image as an OIP v2 UINT8 tensor. Prints p50/p90/p99 latency,
# requests per second and the server's CPU per request, and stops the server.
# Needs ../shared/data (PneumoniaMNIST, DICOM samples) and Debian's python3 with
# numpy (to cut one image out of the .npz).
#
#   bench/imaging-latency.sh                    # 16 clients, 1000 requests per form
#   CLIENTS=16 REQUESTS=3000 bench/imaging-latency.sh
set -euo pipefail

CLIENTS=${CLIENTS:-16}
REQUESTS=${REQUESTS:-1000}

repo=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$repo/.." && pwd)/shared/data
. "$repo/bench/lib.sh"

cd "$repo"
go build -o "$tmp/galen" ./cmd/galen
go build -o "$tmp/loadgen" ./bench/loadgen
cp "$shared/dicom-samples/CT_small.dcm" "$tmp/ct.dcm"
# Test image 0 of PneumoniaMNIST as a PNG (zlib + CRC by hand: no imaging
# library needed) and as an OIP v2 request.
/usr/bin/python3 - "$shared/pneumoniamnist/pneumoniamnist.npz" "$tmp" <<'PY'
import json, struct, sys, zlib
import numpy as np
img = np.load(sys.argv[1])["test_images"][0]
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
raw = b"".join(b"\x00" + bytes(r) for r in img)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(sys.argv[2] + "/xray.png", "wb").write(png)
req = {"inputs": [{"name": "image", "datatype": "UINT8", "shape": [1, 1, 28, 28], "data": img.reshape(-1).tolist()}]}
open(sys.argv[2] + "/oip.json", "w").write(json.dumps(req))
PY

key="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
start_galen "$tmp/galen" "$key"

echo "galen $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo "(no git)") on $addr, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
run() { # name url body content-type
	echo
	echo "== $1 =="
	before=$(cpu_ticks)
	"$tmp/loadgen" -url "$2" -body "$3" -content-type "$4" \
		-H "Authorization: Bearer $key" -H "Accept: application/json" -c "$CLIENTS" -n "$REQUESTS" -warmup 3
	after=$(cpu_ticks)
	awk -v t=$((after - before)) -v hz="$hz" -v n="$((REQUESTS + 3 * CLIENTS))" \
		'BEGIN { printf "server CPU: %.2f ms per request (%.0f requests/s per idle core)\n", 1000 * t / hz / n, n * hz / (t > 0 ? t : 1) }'
	echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
}
base="http://$addr/v1/imaging/classify"
run "png, classification only" "$base" "$tmp/xray.png" image/png
run "png with Grad-CAM saliency (grid + overlay PNG)" "$base?saliency=true" "$tmp/xray.png" image/png
run "dicom 128x128 with saliency" "$base?saliency=true" "$tmp/ct.dcm" application/dicom
run "oip v2 UINT8 [1,1,28,28] (probabilities only)" "http://$addr/v2/models/pneumonia-xray/infer" "$tmp/oip.json" application/json

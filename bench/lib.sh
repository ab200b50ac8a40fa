# Sourced by the bench scripts: a temporary directory removed at exit, and
# a galen server started in it on a free loopback port.
#
#   . "$repo/bench/lib.sh"                  # sets tmp; removes it (and stops the server) at exit
#   start_galen "$tmp/galen" "$key" [serve flags...]   # sets pid and addr

bench_name=$(basename "$0" .sh)
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

# start_galen runs BINARY serve with KEY as the first admin key, a data
# directory in $tmp and the extra flags, logging to $tmp/serve.log; it
# returns once the server reports its address and answers ready, and exits
# the script with the server's log if it stops or never reports one.
start_galen() {
	local bin=$1 key=$2
	shift 2
	GALEN_ADMIN_KEY=$key "$bin" serve --data-dir "$tmp/data" --addr 127.0.0.1:0 "$@" >"$tmp/serve.log" 2>&1 &
	pid=$!
	addr=""
	for _ in $(seq 1 200); do
		addr=$(grep -o 'addr=127\.0\.0\.1:[0-9]*' "$tmp/serve.log" | head -1 | cut -d= -f2 || true)
		if [[ -n $addr ]] && curl -fsS "http://$addr/v2/health/ready" >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "$bench_name: galen serve exited:" >&2
			cat "$tmp/serve.log" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "$bench_name: galen serve did not become ready in 20 s" >&2
	cat "$tmp/serve.log" >&2
	exit 1
}

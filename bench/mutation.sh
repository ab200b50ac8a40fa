#!/usr/bin/env bash
# bench/mutation.sh PKG... runs mutation testing (github.com/go-gremlins/gremlins
# v0.6.0) on each package and prints, per package, the killed, lived and
# not-covered mutants, the test efficacy (killed / (killed + lived)) and the
# mutator coverage (covered / all). A lived mutant is a change of the code no
# test noticed: kill it with a test, or list it as equivalent in
# BENCHMARKS.md with the reason.
#
#   bench/mutation.sh ./evaluation ./fhir/icustay
#
# WORKERS (default 1) sets gremlins' parallelism; the whole log of each
# package is kept in $LOGDIR (default: a temporary directory). It takes
# minutes per package: run it under nice on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then
	echo "usage: bench/mutation.sh PKG... (e.g. ./evaluation)" >&2
	exit 2
fi
workers=${WORKERS:-1}
logdir=${LOGDIR:-$(mktemp -d)}
gremlins="go run github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0"
printf '%-24s %7s %6s %12s %9s %9s\n' package killed lived "not covered" efficacy coverage
for pkg in "$@"; do
	log="$logdir/$(echo "$pkg" | tr -c 'a-zA-Z0-9\n' '_').log"
	$gremlins unleash --workers "$workers" "$pkg" > "$log" 2>&1 || { cat "$log" >&2; exit 1; }
	num() { sed -n "s/.*$1: *\([0-9.]*\).*/\1/p" "$log" | tail -1; }
	printf '%-24s %7s %6s %12s %8s%% %8s%%\n' "$pkg" "$(num Killed)" "$(num Lived)" "$(num 'Not covered')" \
		"$(num 'Test efficacy')" "$(num 'Mutator coverage')"
done
echo "logs (every mutant with its status): $logdir"

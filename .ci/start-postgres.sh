#!/usr/bin/env bash
# start-postgres.sh installs PostgreSQL from Debian's packages if it is missing,
# starts a local cluster, creates the role and database the conformance tests
# use, and prints one line on stdout:
#
#   export GALEN_TEST_POSTGRES=postgres://galen:...@127.0.0.1:5432/galen_test?sslmode=disable
#
# so that a CI script can run: bash .ci/start-postgres.sh > env; . ./env
# (or eval "$(bash .ci/start-postgres.sh)"). Everything else goes to stderr.
# Whatever it starts (the server, apt's package scripts) runs with every file
# descriptor above 2 closed: a server that held the caller's stdout open would
# make "$(...)" wait for it forever, which is how a CI run once hung for 90
# minutes. Running it again when the server is already
# up changes nothing. Needs root (CI runs as root on Debian 12).
set -euo pipefail

exec 3>&1 1>&2 # fd 3 is the caller's stdout; all chatter goes to stderr

db=galen_test
role=galen
password=${GALEN_PG_PASSWORD:-galen-test-only}

# detached runs a command with stdin from /dev/null and every descriptor
# above 2 closed, so that a daemon it leaves behind holds no caller's pipe.
detached() {
	(
		# No redirection on the loop: bash would keep a saved copy of fd 2
		# above 2, the loop would close it, and the command would inherit
		# /dev/null as its stderr.
		fds=(/proc/self/fd/*)
		for fd in "${fds[@]}"; do
			fd=${fd##*/}
			if [ "$fd" -gt 2 ] && [ -e "/proc/self/fd/$fd" ]; then
				eval "exec $fd>&-"
			fi
		done
		exec "$@" </dev/null
	)
}

as_postgres() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		sudo -n -u postgres "$@"
	fi
}

# apt_get runs apt-get, waiting for another apt or dpkg (e.g. a provisioning
# job) to finish instead of failing on its lock.
apt_get() {
	local i
	for i in $(seq 1 60); do
		if detached apt-get -o DPkg::Lock::Timeout=600 "$@"; then
			return 0
		fi
		echo "start-postgres: apt-get $* failed (attempt $i), retrying in 10 s" >&2
		sleep 10
	done
	return 1
}

# wait_for_apt waits while apt or dpkg runs (a provisioning job may be
# installing PostgreSQL right now: its package scripts create the cluster).
wait_for_apt() {
	local i comm busy
	for i in $(seq 1 240); do
		busy=
		for comm in /proc/[0-9]*/comm; do
			case "$(cat "$comm" 2>/dev/null)" in
			apt | apt-get | dpkg) busy=1 && break ;;
			esac
		done
		if [ -z "$busy" ]; then
			return 0
		fi
		if [ "$i" = 1 ]; then
			echo "start-postgres: waiting for a running apt/dpkg to finish" >&2
		fi
		sleep 5
	done
	echo "start-postgres: apt/dpkg still running after 20 min; going on" >&2
}

wait_for_apt
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	echo "start-postgres: installing postgresql from apt" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt_get update -qq
	apt_get install -y -qq postgresql
fi

# Newest installed major version.
version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)

if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"' | grep -q .; then
	echo "start-postgres: creating cluster $version/main" >&2
	detached pg_createcluster "$version" main
fi

port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $3 }')
status=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $4 }')
if [ "$status" != online ]; then
	echo "start-postgres: starting cluster $version/main on port $port" >&2
	detached pg_ctlcluster "$version" main start
fi

for i in $(seq 1 60); do
	if pg_isready -q -h 127.0.0.1 -p "$port"; then
		break
	fi
	if [ "$i" = 60 ]; then
		echo "start-postgres: server on port $port is not ready after 30 s" >&2
		exit 1
	fi
	sleep 0.5
done

psql_admin() {
	as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres "$@"
}

if [ "$(psql_admin -tA -c "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" != 1 ]; then
	echo "start-postgres: creating role $role" >&2
	psql_admin -c "CREATE ROLE $role LOGIN PASSWORD '$password'"
else
	psql_admin -c "ALTER ROLE $role LOGIN PASSWORD '$password'"
fi
if [ "$(psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
	echo "start-postgres: creating database $db" >&2
	psql_admin -c "CREATE DATABASE $db OWNER $role"
fi

echo "start-postgres: PostgreSQL $version ready on 127.0.0.1:$port, database $db" >&2
echo "export GALEN_TEST_POSTGRES='postgres://$role:$password@127.0.0.1:$port/$db?sslmode=disable'" >&3

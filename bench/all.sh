#!/usr/bin/env sh
# Every figure of the national-scale table (issue 18), each against its
# baseline measured in this same invocation (xmllint and a bare
# encoding/xml loop for the import, a bare net/http handler for the request
# path), on SQLite and, when a PostgreSQL URL is given, on PostgreSQL.
#
#   bench/all.sh [SESSIONS] [ENROLMENTS] [POSTGRES_URL]
#   bench/all.sh 300000 1000000 postgres://kairos:kairos@127.0.0.1:5432/kairos_ci   # the issue's scale
#
# Defaults: 100 000 sessions, 200 000 enrolments, PostgreSQL from
# $KAIROS_BENCH_PG (skipped when empty). Everything is written under
# $TMPDIR/kairos-bench-all and removed afterwards, except the generated
# LHÉO files (reused by the next run).
set -eu
cd "$(dirname "$0")/.."
S=${1:-100000}
N=${2:-200000}
PG=${3:-${KAIROS_BENCH_PG:-}}
dir=${TMPDIR:-/tmp}/kairos-bench-all
mkdir -p "$dir"
echo "== bench/all.sh: $S sessions, $N enrolments, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
go build -o "$dir/catalogue" ./bench
go build -o "$dir/dashboard" ./bench/dashboard
go build -o "$dir/attestations" ./bench/attestations
go build -o "$dir/einvoice" ./bench/einvoice
go build -o "$dir/invoices" ./bench/invoices

echo
echo "== catalogue: import, re-import, search, other writes during the import"
"$dir/catalogue" -sessions "$S" -dir "$dir" ${PG:+-pg "$PG"}

schemas=""
cleanup() {
	rm -f "$dir"/*.db "$dir"/*.db-wal "$dir"/*.db-shm
	for s in $schemas; do psql -q "$PG" -c "DROP SCHEMA $s CASCADE" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT
url() { # database URL for engine $1, name $2 (a PostgreSQL schema is created)
	if [ "$1" = sqlite ]; then
		URL="$dir/$2.db"
		return
	fi
	s="bench_$2_$$"
	psql -q "$PG" -c "CREATE SCHEMA $s" >/dev/null
	schemas="$schemas $s"
	case "$PG" in *\?*) URL="$PG&search_path=$s" ;; *) URL="$PG?search_path=$s" ;; esac
}
for engine in sqlite ${PG:+postgres}; do
	echo
	echo "== $engine: dashboard and request path (closed loops against a bare net/http handler), load average $(cut -d' ' -f1-3 /proc/loadavg)"
	url $engine dash
	"$dir/dashboard" -db "$URL" -n "$N" -requests 100
	echo
	echo "== $engine: month-end bulk attestation, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	url $engine att
	"$dir/attestations" -db "$URL" -n "$N" -requests 50
	echo
	echo "== $engine: month-end invoicing, 10 000 invoices prepared and issued (against a bare number + row transaction), load average $(cut -d' ' -f1-3 /proc/loadavg)"
	url $engine inv
	"$dir/invoices" -db "$URL" -n 10000
done
echo
echo "== one invoice's XML + Factur-X PDF (against encoding/xml and a one-page fpdf document), load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$dir/einvoice"
echo
echo "== end, load average $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env sh
# Benchmark of the LHÉO import (issue 4): generates a national-scale file
# (300 000 sessions by default), times xmllint --stream on it as the
# reference, imports it twice into a fresh SQLite database and measures
# search latencies. Usage: bench/run.sh [SESSIONS] [DIR]
set -eu
cd "$(dirname "$0")/.."
go build -o /tmp/kairos-bench ./bench
/usr/bin/time -v /tmp/kairos-bench -sessions "${1:-300000}" -dir "${2:-${TMPDIR:-/tmp}}" 2>/tmp/kairos-bench.time || { cat /tmp/kairos-bench.time; exit 1; }
grep -E 'Maximum resident|Elapsed' /tmp/kairos-bench.time

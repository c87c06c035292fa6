#!/usr/bin/env bash
# `npm run bench`: the benchmarks, side by side in one run, written to
# BENCHMARKS.md with the commands that made them. Not timed tests: figures.
#
#   npm run bench                    everything
#   npm run bench -- --quick         3 deploy/rollback cycles, fan-out at 1 and 5 hosts
#   npm run bench -- --skip-fanout   no fan-out run; the table of the last one
#                                    (.tmp/bench/fanout.md) is included if present
#
# Parts: scripts/bench/deploys.mjs (zero downtime through the balancer,
# rollback vs deploy per host, action overhead; world 45) and
# scripts/bench/fanout.mjs (fan-out, from the fleet issue; world 29),
# scripts/bench/parse.mjs (parse time of big compose files: linear or not).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0 skip_fanout=0
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    --skip-fanout) skip_fanout=1 ;;
    *) echo "usage: npm run bench [-- --quick] [-- --skip-fanout]" >&2; exit 2 ;;
  esac
done

[[ "$(id -u)" == 0 ]] || { echo "bench: run as root (it starts sshd hosts)" >&2; exit 1; }
bash scripts/ensure-system.sh
[[ -d node_modules ]] || npm ci --no-audit --no-fund >&2

out=.tmp/bench-run
rm -rf "$out"
mkdir -p "$out"
echo "bench: bundling the sources into $out/dist (what dist/ holds after npm run build)" >&2
node scripts/build.mjs --out "$out/dist" >&2

cycles=10 hosts=1,5,20
((quick)) && cycles=3 hosts=1,5

node scripts/bench/deploys.mjs "$out/dist" "$out/deploys.md" --cycles "$cycles"
node scripts/bench/parse.mjs "$out/dist" "$out/parse.md"
fanout_ok=1
if ((skip_fanout)); then
  if [[ -s .tmp/bench/fanout.md ]]; then
    { cat .tmp/bench/fanout.md; echo; echo "(fan-out table from an earlier run of scripts/bench/fanout.mjs on this machine, $(date -u -r .tmp/bench/fanout.md +%Y-%m-%dT%H:%MZ))"; } >"$out/fanout.md"
  fi
elif [[ -f scripts/bench/fanout.mjs ]]; then
  node scripts/bench/fanout.mjs "$out/fanout.md" --hosts "$hosts" || fanout_ok=0
fi

{
  cat <<EOF
# Benchmarks

Written by \`npm run bench\` (scripts/bench.sh) on $(date -u +%Y-%m-%dT%H:%MZ):
$(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM,
$(. /etc/os-release && echo "$PRETTY_NAME"), Linux $(uname -r), Node $(node -v),
$(docker --version | sed 's/,.*//'), $(apache2 -v | sed -n 's/^Server version: //p'), $(haproxy -v | head -1 | cut -d' ' -f1-3).
Everything runs on this one machine over loopback: no network latency, and
the hosts, the balancer and the load generator share the cores. Figures
from another machine will differ; the ratios are what to compare.

EOF
  cat "$out/deploys.md"
  echo
  cat "$out/parse.md"
  echo
  if [[ -s "$out/fanout.md" ]]; then
    cat "$out/fanout.md"
  elif ((fanout_ok == 0)); then
    echo "## Fan-out"; echo; echo "scripts/bench/fanout.mjs failed in this run; see its output."
  fi
} >BENCHMARKS.md
echo "bench: wrote BENCHMARKS.md" >&2

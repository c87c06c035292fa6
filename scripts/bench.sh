#!/usr/bin/env bash
# `npm run bench`: the benchmarks, side by side in one run, written to
# BENCHMARKS.md with the commands that made them. Not timed tests: figures.
#
#   npm run bench                    everything
#   npm run bench -- --quick         3 deploy/rollback cycles, fan-out at 1 and 5 hosts
#   npm run bench -- --skip-fanout   no fan-out run; the table of the last one
#                                    (.tmp/bench/fanout.md) is included if present
#   npm run bench -- --only-targets  only the issue 13 targets (rows 1–6)
#   npm run bench -- --assemble      write BENCHMARKS.md again from the last run's
#                                    files in .tmp/bench-run (runs nothing)
#
# Parts: scripts/bench/targets.mjs (issue 13: deploy against the floor and
# against docker-rollout, instant rollback, startup; world 106),
# scripts/bench/scale.mjs (60 apps + 10 previews on one host, then a new app there
# against a host holding one app, in interleaved pairs; world 109, 2 hosts);
# DOCKER_ROLLOUT names the wowu/docker-rollout script,
# default /work/shared/anchors/docker-rollout/docker-rollout, and row 2 is
# skipped, saying so, when it is missing), scripts/bench/table.mjs (the six
# issue 13 rows on top), scripts/bench/deploys.mjs (zero downtime through the balancer,
# rollback vs deploy per host, action overhead; world 45) and
# scripts/bench/fanout.mjs (fan-out to 1, 20, 100 hosts dry-run, 1 and 20 full; world 29),
# scripts/bench/parse.mjs (parse time of big compose files: linear or not).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0 skip_fanout=0 only_targets=0 assemble=0
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    --skip-fanout) skip_fanout=1 ;;
    --only-targets) only_targets=1 ;;
    --assemble) assemble=1 ;;
    *) echo "usage: npm run bench [-- --quick] [-- --skip-fanout] [-- --only-targets] [-- --assemble]" >&2; exit 2 ;;
  esac
done

out=.tmp/bench-run
if ((assemble)); then
  [[ -d "$out" ]] || { echo "bench: no $out to assemble from" >&2; exit 1; }
else
[[ "$(id -u)" == 0 ]] || { echo "bench: run as root (it starts sshd hosts)" >&2; exit 1; }
bash scripts/ensure-system.sh
[[ -d node_modules ]] || npm ci --no-audit --no-fund >&2

rm -rf "$out"
mkdir -p "$out"
echo "bench: bundling the sources into $out/dist (what dist/ holds after npm run build)" >&2
node scripts/build.mjs --out "$out/dist" >&2

cycles=10 hosts=1,20,100 full_hosts=1,20 runs=5 apps=60
((quick)) && cycles=3 hosts=1,5 full_hosts=1,5 runs=3 apps=12

# part NAME TITLE CMD…: one part of the run, its output (stderr) kept in
# $out/NAME.log; a part that fails gets a section in BENCHMARKS.md
# ($out/NAME.md) saying so, with the last lines of that output; its exit
# code is returned
part() {
  local name=$1 title=$2 rc=0
  shift 2
  { "$@" 2>&1 >&3 | tee "$out/$name.log" >&2; } 3>&1 || rc=$?
  ((rc == 0)) && return 0
  echo "bench: scripts/bench/$name.mjs failed (exit $rc); its output is in $out/$name.log" >&2
  {
    printf '## %s\n\nscripts/bench/%s.mjs failed in this run (exit %s). The last lines of its output:\n\n```\n' "$title" "$name" "$rc"
    tail -n 15 "$out/$name.log"
    printf '```\n'
  } >"$out/$name.md"
  return "$rc"
}

part targets 'Issue 13 targets' node scripts/bench/targets.mjs "$out/dist" "$out/targets.md" --runs "$runs" || :
part scale 'The seed'"'"'s scale on one host' node scripts/bench/scale.mjs "$out/dist" "$out/scale.json" --apps "$apps" || :
if ((only_targets)); then
  : >"$out/deploys.md"
  : >"$out/parse.md"
else
  part deploys 'Zero downtime, rollback vs deploy, action overhead (issue 6)' node scripts/bench/deploys.mjs "$out/dist" "$out/deploys.md" --cycles "$cycles" || :
  part parse 'Parse time (hostile inputs)' node scripts/bench/parse.mjs "$out/dist" "$out/parse.md" || :
fi
if ((skip_fanout)); then
  if [[ -s .tmp/bench/fanout.md ]]; then
    { cat .tmp/bench/fanout.md; echo; echo "(fan-out table from an earlier run of scripts/bench/fanout.mjs on this machine, $(date -u -r .tmp/bench/fanout.md +%Y-%m-%dT%H:%MZ))"; } >"$out/fanout.md"
    if [[ -s .tmp/bench/fanout.json ]]; then cp .tmp/bench/fanout.json "$out/fanout.json"; fi
  fi
elif [[ -f scripts/bench/fanout.mjs ]]; then
  if part fanout 'Fan-out' node scripts/bench/fanout.mjs "$out/fanout.md" --hosts "$hosts" --full-hosts "$full_hosts"; then
    mkdir -p .tmp/bench && cp "$out/fanout.md" "$out/fanout.json" .tmp/bench/
  fi
fi
fi

# --assemble: say when each part was measured
assembled=""
if ((assemble)); then
  parts=""
  for f in targets.md scale.md deploys.md fanout.md; do
    if [[ -s "$out/$f" ]]; then parts+="${parts:+; }$f of $(date -u -r "$out/$f" +%Y-%m-%dT%H:%MZ)"; fi
  done
  assembled=", assembled from the run files in .tmp/bench-run ($parts)"
fi
{
  cat <<EOF
# Benchmarks

Written by \`npm run bench\` (scripts/bench.sh) on $(date -u +%Y-%m-%dT%H:%MZ)${assembled}:
$(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM,
$(. /etc/os-release && echo "$PRETTY_NAME"), Linux $(uname -r), Node $(node -v),
$(docker --version | sed 's/,.*//'), $(apache2 -v | sed -n 's/^Server version: //p'), $(haproxy -v | head -1 | cut -d' ' -f1-3).
Everything runs on this one machine over loopback: no network latency, and
the hosts, the balancer and the load generator share the cores. Figures
from another machine will differ; the ratios are what to compare.

EOF
  node scripts/bench/table.mjs "$out/targets.json" "$out/fanout.json" "$out/scale.json"
  if [[ -s "$out/targets.md" ]]; then cat "$out/targets.md"; echo; fi
  if [[ -s "$out/scale.md" ]]; then cat "$out/scale.md"; echo; fi
  if [[ -s "$out/deploys.md" ]]; then cat "$out/deploys.md"; echo; fi
  if [[ -s "$out/parse.md" ]]; then cat "$out/parse.md"; echo; fi
  if [[ -s "$out/fanout.md" ]]; then cat "$out/fanout.md"; fi
} >BENCHMARKS.md
echo "bench: wrote BENCHMARKS.md" >&2

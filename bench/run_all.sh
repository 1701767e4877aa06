#!/usr/bin/env bash
# Run every benchmark. Each prints one JSON object: saved as bench/results/<name>.json, logs beside it.
#   bench/run_all.sh                  # all of them
#   BENCH_PROFILE=1 bench/run_all.sh  # also py-spy the backend in live_path and scale (bench/results/profiles/)
#   bench/run_all.sh concurrency scale
source "$(dirname "$0")/../scripts/_env.sh" requirements-bench.txt
out="${BENCH_OUT:-bench/results}"
mkdir -p "$out"
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(engine_throughput enqueue_latency concurrency pg_throughput live_path job_frames scale fit_quality api_latency)
for name in "${names[@]}"; do
  args=()
  if [ -n "${BENCH_PROFILE:-}" ] && { [ "$name" = live_path ] || [ "$name" = scale ]; }; then
    args=(--profile "$out/profiles")
  fi
  echo "==> $name (load average: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  python "bench/$name.py" "${args[@]}" >"$out/$name.json" 2>"$out/$name.log"
  python - "$out/$name.json" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))
for t in result["targets"]:
    print(f"    {'met    ' if t['met'] else 'NOT met'}  {t['name']}: {t['value']} (target {t['target']})", file=sys.stderr)
PY
done

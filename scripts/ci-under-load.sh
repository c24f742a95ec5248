#!/usr/bin/env bash
# The tests under load: runs .ci/run (no arguments) or `.venv/bin/pytest ARGS...` while CPU hogs
# keep every core busy, to show the suite holds on a busy machine (CONTRIBUTING.md, "Tests on a
# busy machine"). The hogs are killed when the run ends, however it ends; the run's exit code is
# the script's.
#   scripts/ci-under-load.sh                      # the whole CI run
#   scripts/ci-under-load.sh tests/scheduler -q   # some tests
#   HOGS=4 scripts/ci-under-load.sh ...           # more hogs (default: 2)
set -euo pipefail
cd "$(dirname "$0")/.."
HOGS=${HOGS:-2}
hogs=()

stop_hogs() {
  for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${hogs[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_hogs EXIT
trap 'exit 130' INT TERM

for _ in $(seq "$HOGS"); do
  python3 -c 'while True: pass' &
  hogs+=("$!")
done
echo "== $HOGS CPU hogs running (pids ${hogs[*]}); load average: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ $# -eq 0 ]; then
  ./.ci/run
else
  .venv/bin/pytest "$@"
fi

#!/usr/bin/env bash
# `make run`: the web server and the timer process side by side. Ctrl+C or TERM stops both,
# once (the old `trap 'kill 0'` under /bin/sh signalled itself again and again until it
# crashed). The timer process's lines, errors included, are shown prefixed with [timers].
#
#   tools/run-demo.sh PORT FLASK-COMMAND...     e.g. tools/run-demo.sh 5000 .venv/bin/flask --app app
set -u
port=$1
shift
flask=("$@")

# sed ignores Ctrl+C so that the timer process's last words still get through.
"${flask[@]}" run-timers > >(trap '' INT TERM; exec sed -u 's/^/[timers] /') 2>&1 &
timers=$!
"${flask[@]}" run --port "$port" &
web=$!

# Say where to go once /healthz answers (database reachable, migrations current, timers alive).
(
  python="$(dirname "${flask[0]}")/python"
  for _ in $(seq 60); do
    if "$python" - "$port" 2>/dev/null <<'PY'
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=1)
PY
    then
      echo "complaintflow is ready: http://127.0.0.1:$port (Ctrl+C stops it)"
      exit 0
    fi
    sleep 0.5
  done
  echo "complaintflow did not become healthy; see http://127.0.0.1:$port/healthz" >&2
) &

stop() {
  trap - INT TERM
  kill -TERM "$web" "$timers" 2>/dev/null
  wait "$web" "$timers" 2>/dev/null
  exit 0
}
trap stop INT TERM

# Whichever stops first (the server failing to bind its port, say) stops the other.
wait -n "$web" "$timers"
status=$?
trap - INT TERM
kill -TERM "$web" "$timers" 2>/dev/null
wait "$web" "$timers" 2>/dev/null
exit "$status"

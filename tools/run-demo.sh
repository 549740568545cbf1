#!/usr/bin/env bash
# `make run`: the web server, the timer process, the delivery worker, the receiver of the
# complaints mailbox (`flask receive-mail`, SMTP on RECEIVE_MAIL_PORT, 8026) and (unless
# MAIL_SERVER is set) a local mail catcher side by side. Ctrl+C or TERM stops them all, once
# (the old `trap 'kill 0'` under /bin/sh signalled itself again and again until it crashed).
# The background processes' lines, errors included, are shown prefixed with [timers],
# [delivery], [mail-in] and [mail]. The demo's emails land as .eml files in instance/mail/
# (MAIL_CATCHER_DIR); mail written to the complaints address through port 8026 reaches
# /intake/mail, or the case it answers.
#
# The web server is gunicorn with sync workers (app/gunicorn_conf.py; WEB_CONCURRENCY, 1:
# more need RATELIMIT_STORAGE_URI=redis://…), as in production, not the threaded `flask run`:
# each worker runs diagram code under the process-limit backstop of services/engine/limits.py,
# so a diagram's runaway C call ends that worker (the request gets an error) and gunicorn
# starts another; the timer process, under the same backstop, is started again when its CPU
# limit ended it.
#
#   tools/run-demo.sh PORT FLASK-COMMAND...     e.g. tools/run-demo.sh 5000 .venv/bin/flask --app app
set -u
port=$1
shift
flask=("$@")
bin="$(dirname "${flask[0]}")"

# Runs a command again whenever SIGXCPU (128 + 24) ended it: the backstop stopped a diagram's
# runaway code there, after faulthandler wrote where. TERM stops it and the command for good.
respawning() {
  local child status
  trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 0' TERM
  while :; do
    "$@" &
    child=$!
    wait "$child"
    status=$?
    [ "$status" -eq 152 ] || exit "$status"
    echo "ended by its CPU limit (a diagram's runaway code, traceback above); starting again" >&2
  done
}

# Without an SMTP server of yours, the demo sends its emails to the local mail catcher.
catcher=()
if [ -z "${MAIL_SERVER:-}" ]; then
  export MAIL_SERVER=127.0.0.1 MAIL_PORT="${MAIL_PORT:-8025}"
  "${flask[@]}" mail-catcher --port "$MAIL_PORT" > >(trap '' INT TERM; exec sed -u 's/^/[mail] /') 2>&1 &
  catcher=($!)
  # The delivery worker starts once the catcher listens: its first round would otherwise
  # find the port closed and put the demo's first emails off by a retry (30 s).
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$MAIL_PORT") 2>/dev/null && break
    sleep 0.1
  done
fi

# sed ignores Ctrl+C so that the background processes' last words still get through.
respawning "${flask[@]}" run-timers > >(trap '' INT TERM; exec sed -u 's/^/[timers] /') 2>&1 &
timers=$!
"${flask[@]}" deliver-messages > >(trap '' INT TERM; exec sed -u 's/^/[delivery] /') 2>&1 &
worker=$!
"${flask[@]}" receive-mail --port "${RECEIVE_MAIL_PORT:-8026}" \
  > >(trap '' INT TERM; exec sed -u 's/^/[mail-in] /') 2>&1 &
receiver=$!
export WEB_CONCURRENCY="${WEB_CONCURRENCY:-1}"  # the app checks its rate-limit storage by it
"$bin/gunicorn" --config python:app.gunicorn_conf --workers "$WEB_CONCURRENCY" \
  --bind "127.0.0.1:$port" --timeout 60 --access-logfile - "app:create_app()" &
web=$!

# Say where to go once /healthz answers (database reachable, migrations current, timers alive).
(
  python="$bin/python"
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
  kill -TERM "$web" "$timers" "$worker" "$receiver" "${catcher[@]}" 2>/dev/null
  wait "$web" "$timers" "$worker" "$receiver" "${catcher[@]}" 2>/dev/null
  exit 0
}
trap stop INT TERM

# Whichever stops first (the server failing to bind its port, say) stops the other.
wait -n "$web" "$timers" "$worker" "$receiver" "${catcher[@]}"
status=$?
trap - INT TERM
kill -TERM "$web" "$timers" "$worker" "$receiver" "${catcher[@]}" 2>/dev/null
wait "$web" "$timers" "$worker" "$receiver" "${catcher[@]}" 2>/dev/null
exit "$status"

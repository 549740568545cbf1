#!/usr/bin/env bash
# `make production`: the whole stack on one machine, in the foreground.
#
#   1. `flask check-config` (SECRET_KEY, DATABASE_URL on PostgreSQL and reachable,
#      CELERY_BROKER_URL reachable, RATELIMIT_STORAGE_URI shared): each problem is named and
#      nothing starts;
#   2. `flask init-db` (migrations) and `flask deploy-processes` (processes/ as the active
#      version when it changed);
#   3. gunicorn (WEB_CONCURRENCY sync workers on BIND), a Celery worker (CELERY_CONCURRENCY
#      processes) and Celery beat (the schedule of app/background.py).
#
# TERM or Ctrl+C stops them all; if one of them dies the others are stopped too (a process
# supervisor or the container platform restarts the whole), and the script exits non-zero.
#
#   tools/run-production.sh VENV_BIN     e.g. tools/run-production.sh .venv/bin
set -u
bin=$1
flask=("$bin/flask" --app app)
export WEB_CONCURRENCY="${WEB_CONCURRENCY:-2}"
# glibc's allocator: one arena per process is enough for sync workers and pool processes, and
# freed memory above 128 KiB goes back to the system instead of staying in the heap after the
# largest request a worker served (its resident memory then tracks what it holds now).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-131072}"
export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-131072}"

"${flask[@]}" check-config || exit 1
"${flask[@]}" init-db || exit 1
"${flask[@]}" deploy-processes || exit 1

mkdir -p instance
"$bin/gunicorn" --config "$(dirname "$0")/gunicorn.conf.py" \
  --workers "$WEB_CONCURRENCY" --bind "${BIND:-127.0.0.1:8000}" \
  --timeout "${GUNICORN_TIMEOUT:-60}" --access-logfile - "app:create_app()" &
web=$!
"$bin/celery" -A app.worker worker --concurrency "${CELERY_CONCURRENCY:-2}" \
  --queues "${CELERY_QUEUE:-complaintflow}" --loglevel INFO &
worker=$!
"$bin/celery" -A app.beat beat --schedule "${CELERY_BEAT_SCHEDULE:-instance/celerybeat-schedule}" \
  --loglevel INFO &
beat=$!

stop() {
  trap - INT TERM
  kill -TERM "$web" "$worker" "$beat" 2>/dev/null
  wait "$web" "$worker" "$beat" 2>/dev/null
  exit "${1:-0}"
}
trap 'stop 0' INT TERM
wait -n "$web" "$worker" "$beat"
echo "run-production: a process stopped; stopping the others" >&2
stop 1

#!/usr/bin/env bash
# Serve portal, admin and API on 127.0.0.1:8000 with a Celery worker and beat; Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo; echo "[run] stopping"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

mkdir -p var
.venv/bin/celery -A scs worker --loglevel=INFO --concurrency=2 >var/worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A scs beat --loglevel=INFO --schedule=var/celerybeat-schedule >var/beat.log 2>&1 &
pids+=($!)

$PY manage.py demo_banner --base-url "http://$HOST:$PORT"
echo "[run] worker log: var/worker.log, beat log: var/beat.log. Ctrl-C stops everything."
$PY manage.py runserver "$HOST:$PORT" --noreload &
pids+=($!)
wait -n "${pids[@]}"

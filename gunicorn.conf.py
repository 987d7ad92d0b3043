"""Gunicorn's production settings, each overridable by an environment variable.

    gunicorn -c gunicorn.conf.py "app:create_app()"

WEB_CONCURRENCY      worker processes (default 2 x cores + 1)
GUNICORN_THREADS     threads per worker (default 1: sync workers; more than 1: gthread workers)
PORT / GUNICORN_BIND where to listen (default 0.0.0.0:8000; GUNICORN_BIND wins, e.g. unix:/run/x)
GUNICORN_TIMEOUT     seconds a request may take before its worker is restarted (default 30)
GUNICORN_LOG_LEVEL   default info (gunicorn's own error log)
LOG_FORMAT           "json" (default) or "text": gunicorn's error log as the app's (core/logs.py)
FORWARDED_ALLOW_IPS  proxies whose X-Forwarded-* headers are trusted (default 127.0.0.1)
GUNICORN_MAX_REQUESTS restart a worker after this many requests (default 0: never)

Command-line options (for example --bind or --workers) override these settings.
"""

from __future__ import annotations

import os


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = _int("WEB_CONCURRENCY", 2 * _cores() + 1)
threads = _int("GUNICORN_THREADS", 1)
# Each worker builds its own app and database engine (connection pools cannot cross a fork).
preload_app = False
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
backlog = _int("GUNICORN_BACKLOG", 2048)
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", max_requests // 10)

# No access log: the app writes one JSON line per request itself (core/logs.py), with its
# request id and the matched rule ("/r/<token>") where gunicorn would write the raw path, and
# a person's token with it.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
if os.environ.get("LOG_FORMAT", "json").strip('"').lower() == "json":
    from core.logs import gunicorn_logconfig

    # gunicorn's error log (starts, stops, worker timeouts) as the same JSON lines on stderr.
    logconfig_dict = gunicorn_logconfig(loglevel)

forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips
# Worker heartbeat files in memory rather than on a possibly slow disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

"""gunicorn settings for cosign:  gunicorn -c gunicorn.conf.py wsgi:app

Environment (all optional):
  BIND             address(es) to listen on, e.g. "0.0.0.0:8000" or "unix:/run/cosign.sock"
                   (several separated by commas); wins over PORT
  PORT             port on 127.0.0.1 (HOST to change the address)    default 127.0.0.1:8000
  WEB_CONCURRENCY  number of worker processes       default 2 x CPU cores + 1
  GUNICORN_ACCESSLOG  where access lines go ("-" = standard output, a file path,
                   or "off")                         default "-"
  GUNICORN_CONTROL_SOCKET  path of gunicorn's control socket (for gunicornc); off by
                   default, since several instances on one machine would share one path
  GUNICORN_CMD_ARGS   any other gunicorn option, e.g. "--threads 4"

The access log (cosign/accesslog.py) holds time, method, path with e-mail link
tokens replaced by "[token]", status, size and duration: no client address,
no query string, no referrer, no user agent. Keep it that way.
"""
import multiprocessing
import os


def _bind() -> list[str]:
    if os.environ.get("BIND"):
        return [part.strip() for part in os.environ["BIND"].split(",") if part.strip()]
    host = os.environ.get("HOST") or "127.0.0.1"
    return [f"{host}:{os.environ.get('PORT') or 8000}"]


def _workers() -> int:
    value = os.environ.get("WEB_CONCURRENCY")
    if value and value.strip().isdigit() and int(value) > 0:
        return int(value)
    return multiprocessing.cpu_count() * 2 + 1


wsgi_app = "wsgi:app"
bind = _bind()
workers = _workers()

# A request taking longer than this is killed (PDFs render in jobs, not in requests).
timeout = 60
# On restart, workers get this long to finish the requests they hold.
graceful_timeout = 30
# Behind a proxy that keeps connections open to us.
keepalive = 5

# The workers' heartbeat files in memory, not on a (possibly slow) disk.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# gunicorn's control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl):
# a second instance on the same machine (two ports, `make up`) would take it over.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

logger_class = "cosign.accesslog.RedactingLogger"
_access = os.environ.get("GUNICORN_ACCESSLOG", "-")
accesslog = None if _access.lower() in {"off", "none", ""} else _access
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")

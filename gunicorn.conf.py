"""gunicorn settings for the tracker, used by `make run`, the Dockerfile and scripts/prove_production.py.

    gunicorn -c gunicorn.conf.py --bind 0.0.0.0:8000 wsgi:app

Options on the command line win over this file (`make run` and the Dockerfile pass only
``--bind``). docs/deploy.md explains each choice.

Why threads (gthread) and not the default sync workers: a sync worker is killed when it has not
reported to the master for ``timeout`` seconds, and it cannot report while it serves a request.
A large CSV export to a slow client takes longer than that, so the worker was killed in the middle
of a 200 response and the analyst got a file cut after ~650,000 of 1,000,000 rows. A gthread
worker reports from its main thread while other threads serve requests, so ``timeout`` only
catches a worker that is really stuck, and an export runs as long as the client keeps reading.
"""

import gc
import os

# Processes x threads: each thread serves one request at a time. The app keeps no state in the
# process, so any mix works; two processes use both cores of a small machine, and four threads
# each let a long export run while the pages stay quick.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# The worker's heartbeat, not a limit on a request's duration (see above).
timeout = 30
# On a restart (SIGHUP, a deploy), requests under way get this long to finish, so an export
# started just before still completes. `docker stop` waits only 10 s unless given --time.
graceful_timeout = 120
# Idle keep-alive connections are closed after this long; a proxy in front reuses them.
keepalive = 5

bind = "127.0.0.1:8000"
accesslog = "-"
errorlog = "-"
loglevel = "info"
# Keep the access log free of query strings' secrets? They carry none here (no tokens in URLs),
# so the default format, with the status and response size, stays.

# gunicorn 25+ opens a control socket under $HOME for `gunicornc`. Nothing here uses it, and two
# instances on one host would share its path: leave it off.
control_socket_disable = True

# The heartbeat file lives in memory when the system offers it (in Docker /tmp can be an
# overlay on a slow disk, where a busy disk could make a healthy worker look silent).
if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
    worker_tmp_dir = "/dev/shm"

# gunicorn sends "Server: gunicorn" without a version number, and no setting removes it.


def post_worker_init(worker):
    """Garbage collection tuned for a process that keeps large read models in memory.

    A cold page at 200 countries allocates a few hundred thousand short-lived objects (rows,
    coverage items, figures). With Python's default thresholds (700, 10, 10) the collector runs
    during the request, finds the request's objects still alive, promotes them, and soon starts a
    full collection that walks every object of the process (the app, its modules, the kept
    replicas): 70 ms per full collection, a third of a cold overview (measured in process,
    docs/benchmarks.md). Freezing what the worker has loaded takes it out of every later
    collection, and a larger first threshold lets a request's objects die by reference counting
    before the collector looks at them. Garbage in reference cycles is still collected.

    Before that, the worker does what its first request would otherwise pay for: the digest of
    the code that names the figures and export rows stored with the publications (it reads every
    file of the package) and SQLAlchemy's configuration of the models (30 ms).
    """
    app = getattr(worker, "wsgi", None)  # the app the worker loaded
    if getattr(app, "name", None) == "tracker":  # not the bench's reference server
        import sqlalchemy.orm

        from tracker.read import stored

        stored.code_fingerprint()
        sqlalchemy.orm.configure_mappers()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)  # Python's defaults: 700, 10, 10

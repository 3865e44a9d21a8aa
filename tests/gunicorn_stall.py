"""gunicorn settings for the worker-kill test: stall one paid request mid-way.

The first worker to reach the INSERT of a service record (the debit is then
written but not committed) writes its pid to ``VAS_STALL_FILE`` and sleeps
until the test kills it; every later request runs freely.

Not a test module.
"""

import os
import time


def post_worker_init(worker):
    from sqlalchemy import event

    from vas.extensions import db

    marker = os.environ["VAS_STALL_FILE"]
    with worker.wsgi.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def stall(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith("INSERT INTO service_records"):
            return
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        time.sleep(600)

"""moto's S3 server with writes to one key serialised.

moto checks If-None-Match / If-Match and then stores the object in two steps
without a lock, inside a threaded server: correct in practice under the GIL,
but not atomic by construction. This launcher runs the same moto application
and holds a per-key lock around every PUT, POST and DELETE of an object, so the
check and the store happen as one step, as on AWS S3. Reads stay concurrent.
Multipart parts lock on (key, uploadId, partNumber), so parts upload in parallel.

usage: python s3-server.py --host 127.0.0.1 --port 45129
"""
import argparse
import signal
import sys
import threading
from urllib.parse import parse_qs

from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

_locks = {}
_locks_guard = threading.Lock()


def _lock_for(name):
    with _locks_guard:
        entry = _locks.get(name)
        if entry is None:
            entry = _locks[name] = [threading.Lock(), 0]
        entry[1] += 1
        return entry


def _release(name, entry):
    with _locks_guard:
        entry[1] -= 1
        if entry[1] == 0:
            del _locks[name]


def serialise_writes(app):
    def wrapped(environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("PUT", "POST", "DELETE"):
            return app(environ, start_response)
        query = parse_qs(environ.get("QUERY_STRING", ""))
        name = environ.get("PATH_INFO", "")
        if "partNumber" in query:
            name += "?" + query.get("uploadId", [""])[0] + "#" + query["partNumber"][0]
        entry = _lock_for(name)
        with entry[0]:
            try:
                # Consume the whole response inside the lock: moto applies the write while it builds it.
                return [b"".join(app(environ, start_response))]
            finally:
                _release(name, entry)

    return wrapped


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, serialise_writes(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()

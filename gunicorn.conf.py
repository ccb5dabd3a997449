"""gunicorn settings of the production server, read by the Dockerfile's CMD and docker-compose's `web`.

The access log names the path without its query string (`%(U)s`), never the request line (`%(r)s`),
the query (`%(q)s`) or the referrer (`%(f)s`, a previous page's address with its query): a query may
carry personal data, and this log does not pass through the application's NIK redaction.
"""

bind = "0.0.0.0:8000"
workers = 3
timeout = 120
accesslog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s "%(a)s"'

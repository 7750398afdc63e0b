"""gunicorn settings for a Gallery node (stateless; run several behind nginx)."""

import multiprocessing

bind = "127.0.0.1:8000"
workers = multiprocessing.cpu_count() * 2 + 1
worker_class = "sync"
timeout = 30  # storage calls have shorter timeouts of their own
graceful_timeout = 30
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
# Import and build the app once in the master: a worker forks ready, so a replaced
# worker (max_requests) costs no import or create_app, and five workers recycled
# together no longer stall whichever URL is busy. create_app opens no connection;
# SQLAlchemy and redis-py open their own in each worker.
preload_app = True
accesslog = "-"
wsgi_app = "gallery:create_app()"

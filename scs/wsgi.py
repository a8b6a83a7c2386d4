import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scs.settings")
# Web processes bound every query (issue 10): a stuck database yields a 503 within this time
# instead of tying up a worker; commands and Celery workers keep no limit.
os.environ.setdefault("DB_STATEMENT_TIMEOUT_MS", "5000")
application = get_wsgi_application()

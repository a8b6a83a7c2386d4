"""gunicorn settings: `gunicorn scs.wsgi -c scs/gunicorn_conf.py`. The access log keeps the
combined format, with resident IDs masked in every line (issue 9 §3)."""

accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
logger_class = "scs.gunicorn_logging.MaskingLogger"

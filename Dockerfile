# syntax=docker/dockerfile:1
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TRACKER_ENV=production \
    DATABASE_URL=sqlite:////data/tracker.db

WORKDIR /app

# Dependencies first, so code changes do not reinstall them.
COPY pyproject.toml README.md ./
COPY tracker/__init__.py tracker/__init__.py
RUN pip install --no-cache-dir .

COPY . .
RUN pip install --no-cache-dir --no-deps . \
 && python -m babel.messages.frontend compile -d translations --statistics \
 && groupadd --system --gid 10001 tracker \
 && useradd --system --create-home --uid 10001 --gid 10001 tracker \
 && mkdir -p /data /app/instance \
 && chown tracker:tracker /data /app/instance

USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

# Migrate, then hand PID 1 to gunicorn. SECRET_KEY must be given at run time.
CMD ["sh", "-c", "flask --app wsgi db upgrade && exec gunicorn --config gunicorn.conf.py --bind 0.0.0.0:8000 wsgi:app"]

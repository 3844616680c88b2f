# syntax=docker/dockerfile:1

# Build stage: install the locked dependencies and the app into a virtual environment.
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY requirements.lock pyproject.toml README.md ./
RUN /opt/venv/bin/pip install --require-hashes -r requirements.lock
COPY app ./app
COPY migrations ./migrations
RUN /opt/venv/bin/pip install --no-deps --no-build-isolation .

# Runtime stage: the virtual environment and the migrations, run as an unprivileged user.
FROM python:3.11-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FOLLOWUP_HOST=0.0.0.0 \
    FOLLOWUP_PORT=8000 \
    FOLLOWUP_DATA_DIR=/var/lib/followup \
    FOLLOWUP_LOG_FORMAT=json
RUN groupadd --system --gid 10001 followup \
    && useradd --system --uid 10001 --gid followup --home-dir /var/lib/followup --create-home followup
COPY --from=build /opt/venv /opt/venv
WORKDIR /var/lib/followup
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status == 200 else 1)"]
# Migrations first, then serve; set DATABASE_URL to a postgresql:// URL for production.
CMD ["followup", "serve", "--migrate"]

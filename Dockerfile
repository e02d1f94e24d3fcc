# reviewbot's webhook service (`reviewbot serve`), one image for the web service and the
# Celery workers (`reviewbot worker`). Build: `docker build -t reviewbot .`
# Configuration comes from REVIEWBOT_* environment variables at run time; the image holds no
# secret. See README.md, "Run it for a bootcamp (GitHub App)", and docker-compose.yml.

# Stage 1: build reviewbot's wheel. The build tools stay in this stage.
FROM python:3.13.7-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# The files the wheel is built from, and nothing else (.dockerignore keeps the rest out).
COPY pyproject.toml README.md ./
COPY src ./src
COPY rules ./rules
COPY prompts ./prompts
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# Stage 2: the runtime: the wheel with the `service` extra, git for the clones, no compiler.
FROM python:3.13.7-slim-bookworm
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    REVIEWBOT_DATA_DIR=/var/lib/reviewbot
# git: the workers clone the learners' repositories over HTTPS with an installation token.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir "$(find /wheels -name 'reviewbot-*.whl')[service]" \
    && rm -rf /wheels
# An unprivileged user owns the data folder (the default SQLite database lives there).
RUN useradd --system --uid 10001 --create-home --home-dir /home/reviewbot reviewbot \
    && mkdir -p /var/lib/reviewbot \
    && chown reviewbot:reviewbot /var/lib/reviewbot
USER reviewbot
WORKDIR /home/reviewbot
VOLUME ["/var/lib/reviewbot"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["reviewbot", "serve", "--host", "0.0.0.0"]

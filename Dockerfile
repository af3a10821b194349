# One image for every process of the platform: API, worker and migrations.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# The CJK font embedded in every printed PDF (route sheets, purchase orders).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-zenhei \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
COPY api ./api
COPY fulfilment ./fulfilment
COPY leaders ./leaders
COPY kernel ./kernel
COPY migrations ./migrations
RUN pip install . && useradd --system --no-create-home tuangou

USER tuangou
EXPOSE 8000
CMD ["tuangou", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-migrate"]

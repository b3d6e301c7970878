# Multi-stage build: a release binary on a small Debian runtime, run as a non-root user.
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY .cargo ./.cargo
COPY src ./src
COPY migrations ./migrations
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/provincial-kpi --create-home kpi
COPY --from=build /src/target/release/provincial-kpi /usr/local/bin/provincial-kpi
USER kpi
WORKDIR /var/lib/provincial-kpi
# SQLite under /var/lib/provincial-kpi/data by default (mount a volume there), or PostgreSQL:
#   docker run -e DATABASE_URL=postgres://kpi:…@db/kpi -e KPI_JWT_SECRET=… provincial-kpi
ENV BIND_ADDR=0.0.0.0:8080 \
    DATABASE_URL=sqlite:///var/lib/provincial-kpi/data/provincial-kpi.sqlite3 \
    KPI_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["provincial-kpi"]
CMD ["serve"]

# Multi-stage build: compile in the Rust image, run in a slim Debian image as a non-root user.
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Everything the build reads; .ci/docker-context builds from exactly these COPY lines.
COPY Cargo.toml Cargo.lock askama.toml ./
COPY src ./src
COPY migrations ./migrations
COPY config ./config
# The console offers examples/people.csv as its sample import file.
COPY examples ./examples
# System libpq (libpq-dev above), not the bundled one of the default feature: the image then
# speaks TLS to Postgres.
RUN cargo build --release --locked --bin champion --no-default-features

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /var/lib/champion --create-home champion
COPY --from=build /src/target/release/champion /usr/local/bin/champion
COPY config /etc/champion
ENV CHAMPION_CONFIG_DIR=/etc/champion \
    CHAMPION_ENV=production \
    CHAMPION__SERVER__HOST=0.0.0.0 \
    CHAMPION__DATABASE__URL=sqlite:///var/lib/champion/champion.db
USER champion
WORKDIR /var/lib/champion
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD curl -fs http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["champion"]
CMD ["serve"]

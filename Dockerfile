# syntax=docker/dockerfile:1
# storydesk: build with the same script CI runs, then a slim runtime as a non-root user.
#   docker build -t storydesk .
#   docker run -p 8080:8080 -v storydesk-data:/data -e SLACK_SIGNING_SECRET=… storydesk

FROM rust:1-slim-bookworm AS build
# make builds jemalloc, the binary's allocator (the image has gcc, not make).
RUN apt-get update \
 && apt-get install -y --no-install-recommends make \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN bash scripts/build-release.sh

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin storydesk \
 && mkdir -p /data \
 && chown storydesk /data
COPY --from=build /src/target/release/storydesk /usr/local/bin/storydesk
USER storydesk
ENV STORYDESK_DATA_DIR=/data \
    STORYDESK_BIND=0.0.0.0:8080 \
    STORYDESK_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["storydesk"]
CMD ["serve"]

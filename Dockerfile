# syntax=docker/dockerfile:1
# The operator image: the `jira-align-user-sync` binary built from this workspace with the
# locked dependencies, on a distroless runtime with glibc, CA certificates and nothing else
# (no shell, no package manager), running as the unprivileged user 65532.
#
# Build (Docker with BuildKit, or Podman/Buildah), from the repository root:
#   docker build -t localhost/jira-align-user-sync:0.1.0 .
# The tag matches the chart's default image (localhost/jira-align-user-sync, tag =
# appVersion = the version in Cargo.toml). Push it to your registry and install with
#   helm install alignsync charts/alignsync --set image.repository=<registry>/jira-align-user-sync
#
# The binary is the same target the tests build and run (`cargo build` of this package
# with Cargo.lock), in release mode.

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
COPY . .
# The registry and target caches survive between builds; the binary is copied out of the
# cached target directory because cache mounts are not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --package jira-align-user-sync --bin jira-align-user-sync \
    && install -D -m 0755 target/release/jira-align-user-sync /out/jira-align-user-sync \
    && /out/jira-align-user-sync --version

# Debian 12 like the builder, so the glibc the binary links against is the one it finds.
FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="jira-align-user-sync" \
      org.opencontainers.image.description="Kubernetes operator that keeps Jira Align users in step with directory groups" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/jira-align-user-sync /usr/local/bin/jira-align-user-sync
USER 65532:65532
# /live, /ready and /metrics (the chart's metrics.port).
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/jira-align-user-sync"]
CMD ["run"]

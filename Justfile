# Recipes for working on the operator. `just` with no arguments lists them.

# List the recipes
default:
    @just --list

# Format all Rust code
fmt:
    cargo fmt --all

# Clippy over every crate and target, warnings as errors
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

# Everything CI runs: packages, control plane, lint and all tests
test:
    bash scripts/test.sh

# Only the end-to-end tests on the local control plane (starts it if needed)
e2e: control-plane-up
    KUBECONFIG={{justfile_directory()}}/.cache/control-plane/kubeconfig cargo test --test 'e2e_*' -- --test-threads=1

# Regenerate the CRD YAML (top level and the chart's copy) from the Rust types
generate:
    cargo run -q -- crd > crds/jiraalignusersync.yaml
    cp crds/jiraalignusersync.yaml charts/alignsync/crds/jiraalignusersync.yaml

# Build (once) and start the local kube-apiserver and etcd on loopback
control-plane-up:
    bash testenv/control-plane/build.sh
    bash testenv/control-plane/control-plane.sh up

# Stop the local control plane
control-plane-down:
    bash testenv/control-plane/control-plane.sh down

# Run the demo: directory, Jira Align simulator, control plane and operator
demo:
    bash scripts/demo.sh

# Stop everything the demo started
demo-down:
    bash scripts/demo.sh down

# Run the benchmark and write docs/benchmarks.md
bench:
    bash scripts/bench.sh

# helm lint and helm template of the chart
helm-lint:
    bash testenv/control-plane/build.sh
    .cache/bin/helm lint charts/alignsync
    .cache/bin/helm template alignsync charts/alignsync > /dev/null

# Run each fuzz target for a bounded time (needs cargo-fuzz and a nightly toolchain)
fuzz seconds="60":
    bash scripts/fuzz.sh {{seconds}}

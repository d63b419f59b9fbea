#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for SECONDS each (default 60) with cargo-fuzz.
# Corpora and crash artifacts go to .cache/fuzz/, builds to target/fuzz/.
# Needs cargo-fuzz (installed here if missing) and a nightly toolchain; without one,
# RUSTC_BOOTSTRAP=1 lets the stable compiler accept the sanitizer-coverage flags.
# Exits non-zero on the first target that finds a failing input; the input is kept in
# .cache/fuzz/artifacts/<target>/ and can be replayed with
#   cargo +nightly fuzz run --fuzz-dir fuzz <target> <artifact>
set -euo pipefail

seconds="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$root/.cache/fuzz"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
if cargo +nightly --version >/dev/null 2>&1; then
    toolchain=(+nightly)
else
    echo "no nightly toolchain: using stable with RUSTC_BOOTSTRAP=1" >&2
    toolchain=()
    export RUSTC_BOOTSTRAP=1
fi

fuzz=(cargo "${toolchain[@]}" fuzz)
targets=$("${fuzz[@]}" list --fuzz-dir "$root/fuzz")
for target in $targets; do
    corpus="$cache/corpus/$target"
    artifacts="$cache/artifacts/$target"
    mkdir -p "$corpus" "$artifacts"
    echo "== $target for ${seconds}s" >&2
    "${fuzz[@]}" run --fuzz-dir "$root/fuzz" --target-dir "$root/target/fuzz" \
        --sanitizer none "$target" "$corpus" -- \
        -max_total_time="$seconds" -artifact_prefix="$artifacts/" -print_final_stats=1
done

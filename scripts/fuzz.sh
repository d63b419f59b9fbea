#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for SECONDS each (default 60) with cargo-fuzz.
# Corpora and crash artifacts go to .cache/fuzz/, builds to target/fuzz/.
# Needs cargo-fuzz (installed here if missing) and a nightly toolchain; without one,
# RUSTC_BOOTSTRAP=1 lets the stable compiler accept the sanitizer-coverage flags.
# Runs every target even when one fails, then exits non-zero naming the targets that found
# a failing input; each input is kept in .cache/fuzz/artifacts/<target>/ and replays with
#   cargo +nightly fuzz run --fuzz-dir fuzz --sanitizer none <target> <artifact>
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
failed=()
for target in $targets; do
    corpus="$cache/corpus/$target"
    artifacts="$cache/artifacts/$target"
    mkdir -p "$corpus" "$artifacts"
    echo "== $target for ${seconds}s" >&2
    "${fuzz[@]}" run --fuzz-dir "$root/fuzz" --target-dir "$root/target/fuzz" \
        --sanitizer none "$target" "$corpus" -- \
        -max_total_time="$seconds" -artifact_prefix="$artifacts/" -print_final_stats=1 \
        || failed+=("$target")
done
if ((${#failed[@]})); then
    echo "failing inputs found by: ${failed[*]} (see $cache/artifacts/)" >&2
    exit 1
fi
echo "no failing input in ${seconds}s per target" >&2

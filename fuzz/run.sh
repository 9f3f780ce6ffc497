#!/usr/bin/env bash
# Runs one fuzz target on a temporary copy of its committed seed corpus, so that the
# inputs libFuzzer adds (files named by their SHA-1, thousands in a long run) never
# land in fuzz/corpus/. From anywhere in the repository:
#
#   bash fuzz/run.sh TARGET [SECONDS] [LIBFUZZER_ARGS...]
#   bash fuzz/run.sh --build        # build every target once, as the runs build them
#
# SECONDS defaults to 30. The limits are those of CI: a crash, a timeout (10 s for one
# input) or an RSS over 2 GiB fails the run; inputs are cut at 8192 bytes. Extra
# arguments go to libFuzzer after these and override them (for example
# `-rss_limit_mb=4096` for a long `tagged_json` run, see fuzz/README.md).
#
# Nightly builds the targets with AddressSanitizer; without nightly the script says so
# loudly and builds on stable with RUSTC_BOOTSTRAP=1 and no sanitizer.
#
# On failure it prints the end of libFuzzer's log and every crashing input in hex, and
# exits 1. Otherwise it prints libFuzzer's final stats and where the new inputs are.
# The run's directory (corpus copy, artifacts, log) is made under $TMPDIR (or /tmp)
# and kept.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    echo "usage: bash fuzz/run.sh TARGET [SECONDS] [LIBFUZZER_ARGS...] | --build" >&2
    echo "targets: $(cd fuzz && ls fuzz_targets | sed 's/\.rs$//' | tr '\n' ' ')" >&2
    exit 2
}

toolchain=(+nightly)
flags=()
if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "!!!!! WARNING: no nightly toolchain: fuzzing on stable with RUSTC_BOOTSTRAP=1 and no sanitizer !!!!!"
    toolchain=()
    flags=(--sanitizer none)
    export RUSTC_BOOTSTRAP=1
fi

if [[ $# -eq 0 ]]; then
    usage
fi
if [[ $1 == --build ]]; then
    exec cargo "${toolchain[@]}" fuzz build -O "${flags[@]}"
fi

target=$1
seconds=${2:-30}
shift $(($# < 2 ? $# : 2))
seeds=fuzz/corpus/$target
if [[ ! -f fuzz/fuzz_targets/$target.rs || ! -d $seeds ]]; then
    echo "no fuzz target $target with a seed corpus $seeds" >&2
    usage
fi
if [[ ! $seconds =~ ^[0-9]+$ ]]; then
    echo "SECONDS must be a whole number, not $seconds" >&2
    usage
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sessionlib-fuzz-$target.XXXXXX")
mkdir "$work/corpus" "$work/artifacts"
cp "$seeds"/* "$work/corpus/"
log=$work/log
echo "-- $target: ${seconds}s from a copy of $seeds in $work (libFuzzer log: $log)"

run=(cargo "${toolchain[@]}" fuzz run -O "${flags[@]}" "$target" "$work/corpus" --
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=8192
    -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$@")
status=0
if [[ -t 1 ]]; then
    # On a terminal, show libFuzzer's progress as it comes.
    "${run[@]}" 2>&1 | tee "$log" || status=$?
else
    "${run[@]}" >"$log" 2>&1 || status=$?
fi

if [[ $status -ne 0 ]]; then
    replay=(cargo "${toolchain[@]}" fuzz run -O "${flags[@]}" "$target")
    [[ -t 1 ]] || tail -n 80 "$log"
    for input in "$work/artifacts"/*; do
        [[ -f $input ]] || continue
        echo "crashing input $input (hex):"
        od -An -tx1 -v "$input" | head -n 64
        echo "replay it: ${replay[*]} $input"
    done
    echo "fuzz target $target FAILED (exit status $status; log: $log)"
    exit 1
fi

grep -E '^(#[0-9]+[[:space:]]+DONE|Done [0-9]+ runs|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
new=$(comm -13 <(ls "$seeds" | sort) <(ls "$work/corpus" | sort) | wc -l)
echo "$new new inputs in $work/corpus (named by their SHA-1; fuzz/.gitignore keeps such names out of git)."
if [[ $new -gt 0 ]]; then
    cat <<EOF
To keep one as a seed: give it a name that says what it holds,
    cp $work/corpus/<sha1> fuzz/corpus/$target/<name>
and add the same bytes as write(t, "<name>", ...) to seeds::write_all in
tests/fuzz_corpus.rs, which deletes and rewrites fuzz/corpus/ (so a seed it does not
write is lost the next time the seeds are written); then commit the file.
EOF
fi

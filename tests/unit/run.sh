#!/bin/sh
# Runs cmocka unit-test binaries and sums their results.
#
# Usage: tests/unit/run.sh BINARY...
#   TEST_WRAPPER="valgrind --error-exitcode=1 --leak-check=full" tests/unit/run.sh ...
#
# Prints one line per binary, the full output of failing ones, and a last
# line "N passed, N failed" counting cmocka test cases. A binary that
# crashes, exits non-zero with all its cases passed (e.g. valgrind found an
# error), or prints no cmocka summary counts as one failed case. Exits 1 if
# anything failed, 2 on usage errors.
set -u

if [ $# -eq 0 ]; then
        echo "usage: $0 BINARY..." >&2
        exit 2
fi

CMOCKA_MESSAGE_OUTPUT=stdout
export CMOCKA_MESSAGE_OUTPUT
out=$(mktemp) || exit 2
trap 'rm -f "$out"' EXIT

total_pass=0
total_fail=0
for bin in "$@"; do
        name=$(basename "$bin")
        # shellcheck disable=SC2086 # TEST_WRAPPER is a command line
        ${TEST_WRAPPER:-} "$bin" >"$out" 2>&1
        rc=$?
        pass=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test(s)\.$/\1/p' "$out" | tail -n 1)
        fail=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test(s), listed below:$/\1/p' "$out" | tail -n 1)
        pass=${pass:-0}
        fail=${fail:-0}

        why=""
        if [ "$rc" -gt 128 ]; then
                why="killed by signal $((rc - 128))"
        elif ! grep -q '^\[==========\] .* test(s) run\.$' "$out"; then
                why="no cmocka summary (exit status $rc)"
        elif [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
                why="exit status $rc"
        fi
        if [ -n "$why" ]; then
                fail=$((fail + 1))
        fi

        total_pass=$((total_pass + pass))
        total_fail=$((total_fail + fail))
        if [ "$fail" -eq 0 ]; then
                echo "PASS $name ($pass passed)"
        else
                echo "FAIL $name ($pass passed, $fail failed${why:+; $why})"
                sed 's/^/    /' "$out"
        fi
done

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]

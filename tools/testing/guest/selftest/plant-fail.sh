# SPDX-License-Identifier: GPL-2.0
# timeout: 60
# The harness's self-test (tools/testing/check --self-test), never a real test: one
# case passes, one fails. run-tests must report "plant-fail: a planted failing case" as
# failed, and nothing else of this script.
plan 2
pass "a passing case"
fail "a planted failing case" "planted by the self-test"

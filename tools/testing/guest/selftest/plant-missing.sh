# SPDX-License-Identifier: GPL-2.0
# timeout: 60
# The harness's self-test (tools/testing/check --self-test), never a real test: a plan
# of 3 cases of which 2 report. run-tests must report "plant-missing: reports the 3 cases
# of its plan" as failed.
plan 3
pass "first"
pass "second"

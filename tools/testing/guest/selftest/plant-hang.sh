# SPDX-License-Identifier: GPL-2.0
# timeout: 5
# The harness's self-test (tools/testing/check --self-test), never a real test: a script
# that outlives its time limit. run-tests must report "plant-hang: finishes within its
# 5 s" as failed (timed out) and go on with the next script.
plan 1
pass "starts"
sleep 600

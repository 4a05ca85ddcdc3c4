# SPDX-License-Identifier: GPL-2.0
# timeout: 120
# The harness's self-test (tools/testing/check --self-test), never a real test: a real
# kernel WARN, from the init of tools/testing/kmod/nn_selftest_warn.ko, which then fails
# with EINVAL. The script's own case passes; run-vm must find the WARN in the kernel log
# and fail the run as a kernel problem (status 125).
plan 1
if out=$("$NN_INSMOD" /nn/tools/testing/kmod/nn_selftest_warn.ko 2>&1); then
	fail "the planted module's init warns and fails" "it loaded: $out"
elif [ "$out" != "errno=EINVAL" ]; then
	fail "the planted module's init warns and fails" "expected errno=EINVAL, got: $out"
else
	pass "the planted module's init warns and fails"
fi

// SPDX-License-Identifier: GPL-2.0

//! KUnit suites of the module (`CONFIG_NEURAL_NETWORK_KUNIT_TEST`).
//!
//! They run when the module loads into a kernel with KUnit; results are in the kernel log
//! and under `/sys/kernel/debug/kunit/<suite>/results`. Suites are named
//! `neural_network_<area>`, one file per area.

mod activation;
mod alloc;
mod atomic;
mod cpulist;
mod fixed;
mod model;
mod network;
mod params;
mod simd;
mod topology;
mod train;

use kernel::bindings;
use kernel::prelude::*;
use kernel::str::CStr;

use crate::numa::topology::{
    node_memory,
    NodeId, //
};

/// Whether `node` has `bytes` free with room to spare beyond the allocator's watermarks:
/// a booted guest can have a node that boot-time allocations filled (on 16 nodes of 96
/// MiB, node 0 or the last node can have no free page at all by the time KUnit runs),
/// where an exact allocation rightly fails and a preferred one rightly falls back.
pub(crate) fn has_room(node: NodeId, bytes: usize) -> bool {
    const SPARE_KIB: u64 = 8 * 1024;
    let need =
        u64::try_from(bytes).map_or(u64::MAX, |b| b.div_ceil(1024).saturating_add(SPARE_KIB));
    node_memory(node).is_some_and(|m| m.free_kib >= need)
}

/// A check that fails the running KUnit case without ending it: `check!(cond)` reports
/// the condition, file and line as `assert!` does (a KUnit expectation, not an
/// assertion), and evaluates to `cond`. A suite's `assert!` ends the test's thread at
/// once, so the values the case made are never dropped and kmemleak reports them; a case
/// that checks with `check!` while it holds memory frees it on the way out.
macro_rules! check {
    ($cond:expr $(,)?) => {{
        let ok: bool = $cond;
        if !ok {
            $crate::kunit::expectation_failed(
                ::kernel::c_str!(::core::file!()),
                ::core::line!(),
                ::kernel::c_str!(::core::stringify!($cond)),
            );
        }
        ok
    }};
}
pub(crate) use check;

/// Reports a failed [`check!`] to the running KUnit case, which it marks failed.
pub(crate) fn expectation_failed(file: &'static CStr, line: u32, condition: &'static CStr) {
    // SAFETY: `kunit_get_current_test` has no preconditions.
    let test = unsafe { bindings::kunit_get_current_test() };
    if test.is_null() {
        pr_err!("expectation failed outside a KUnit case at {file:?}:{line}: {condition:?}\n");
        return;
    }
    let loc = bindings::kunit_loc {
        file: file.as_char_ptr(),
        line: i32::try_from(line).unwrap_or(i32::MAX),
    };
    let assert = bindings::kunit_unary_assert {
        assert: bindings::kunit_assert {},
        condition: condition.as_char_ptr(),
        expected_true: true,
    };
    // SAFETY: `test` is the running case (not null). `loc` and `assert` live until the
    // call returns and their strings are NUL-terminated and static; KUnit formats them
    // during the call and keeps no pointer. A null format is allowed. An expectation
    // (unlike an assertion) does not abort the case.
    unsafe {
        bindings::__kunit_do_failed_assertion(
            test,
            &loc,
            bindings::kunit_assert_type_KUNIT_EXPECTATION,
            &assert.assert,
            Some(bindings::kunit_unary_assert_format),
            core::ptr::null(),
        )
    };
}

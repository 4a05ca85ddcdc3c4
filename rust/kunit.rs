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

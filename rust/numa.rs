// SPDX-License-Identifier: GPL-2.0

//! NUMA memory and topology: what the rest of the module knows of nodes.
//!
//! The one part of the module that talks to the kernel's memory and topology code. Four
//! of its files wrap a C helper beside them (`x_helper.c`: [`topology`], [`mem`],
//! [`slab`], [`pages`]), which reaches what has no Rust binding (macros, static inlines,
//! `__GFP_THISNODE`); [`cpumask`] calls `bitmap_parselist()` through the kernel's
//! bindings, and [`plain`] holds an `unsafe` marker trait. Every `unsafe` of this layer is
//! in those six files; the other four ([`pagemap`], [`stats`], [`placement`], [`info`])
//! are safe code over them.
//!
//! - [`topology`] + `topology_helper.c`: nodes, their states, CPUs, memory and distances.
//! - [`mem`] + `mem_helper.c`: arrays on a chosen node ([`mem::NodeVec`]), and where their
//!   pages landed.
//! - [`plain`]: the integers an array may hold ([`plain::Plain`]).
//! - [`pagemap`]: where the pages of a buffer really are, against where they were
//!   intended ([`pagemap::PageMap`]).
//! - [`stats`]: the `numa_stats` counters, from the measured pages.
//! - [`slab`] + `slab_helper.c`: slab caches of the module's objects (`neural_*` in
//!   `/proc/slabinfo`), each object on a chosen node ([`slab::SlabBox`]).
//! - [`pages`] + `pages_helper.c`: arrays whose pages are spread over a list of nodes,
//!   page by page ([`pages::PageArray`]).
//! - [`placement`]: the policies ([`placement::NumaPolicy`]), the placement the module
//!   parameters or a request ask for ([`placement::from_params`],
//!   [`placement::placement_for`]), and where each buffer of a network goes under it
//!   ([`placement::Placement`]).
//! - [`info`]: the `numa_info` report.
//! - [`cpumask`]: sets of CPUs in the kernel's cpulist syntax ([`cpumask::CpuMask`]), for
//!   a network's CPU mask.

pub(crate) mod cpumask;
pub(crate) mod info;
pub(crate) mod mem;
pub(crate) mod pagemap;
pub(crate) mod pages;
pub(crate) mod placement;
pub(crate) mod plain;
pub(crate) mod slab;
pub(crate) mod stats;
pub(crate) mod topology;

// SPDX-License-Identifier: GPL-2.0

//! The exported API: what other kernel modules call (`include/linux/neural_network.h`
//! has each function's kernel-doc; `Documentation/neural_network/api.rst` the guide).
//!
//! `rust/api_helper.c` holds the exported symbols (`EXPORT_SYMBOL_GPL`). Each one but
//! `neural_network_predict_atomic()` checks that it may sleep (`might_sleep()`); each
//! takes a reference on this module for every network or batch it hands out (so `rmmod
//! neural_network` fails, with `EWOULDBLOCK`, the kernel's answer for a module in use,
//! while a caller holds one) and calls an `nn_api_*` function of [`ffi`] with the
//! caller's module name (`KBUILD_MODNAME`, through the header's macros). A `struct
//! neural_network *` is a handle ([`ffi`]): a reference on a network of the registry,
//! which debugfs shows like any other, with its owner in `config`; only the owner
//! removes it.
//!
//! Every pointer and size is checked ([`ffi`]): `NULL`, a size that does not fit the
//! network or a node out of range gives `-EINVAL` (or `ERR_PTR(-EINVAL)`), never a
//! panic, and changes nothing.
//!
//! - [`ffi`]: the edge with C, every `nn_api_*` function (`api_helper.h` declares
//!   them): the registry the exports reach ([`Exported`]), handles and batches as
//!   pointers, the caller's pointers and lengths checked and turned into references and
//!   slices, the results written back;
//! - [`network`]: a network's exports on Rust values: made, destroyed, predicting,
//!   re-placed, trained;
//! - [`numa`]: the topology queries and the NUMA reports;
//! - [`batch`]: a `struct neural_batch *`, staging buffers on a node, holding a
//!   reference on its network (and, from `api_helper.c`, on this module), run by the
//!   batch engine ([`crate::network::rounds`]);
//! - [`bpf`]: the same engine for BPF programs, as kfuncs (`bpf_helper.c`): a network
//!   looked up by id, one input vector predicted on the atomic path, released; the
//!   other file here with raw pointers (those the kfuncs pass).

mod batch;
mod bpf;
mod ffi;
mod network;
mod numa;

pub(crate) use bpf::{
    register as register_kfuncs,
    Published, //
};
pub(crate) use ffi::Exported;

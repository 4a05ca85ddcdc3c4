// SPDX-License-Identifier: GPL-2.0

//! The engine's pure code: the number format, activations, the dense-layer forward pass,
//! the model format, decimal text, node lists and topology decisions, Xavier
//! initialisation and training, and the grammar of the debugfs commands (`create`,
//! `config`, `train`, `remove`, `evacuate`).
//!
//! **The rule of this folder: only `core`.** No `kernel` crate, no allocation, no
//! `unsafe`, no panic on any input, and no floating point in the module: the one use of
//! `f64` (`fixed::Requant::from_real` and `fixed::round_half_up`, for the host's tools
//! and tests) is behind `#[cfg(not(CONFIG_RUST))]`, which the kernel build never
//! compiles. The host crate `tools/pure` builds these very files
//! (`#[path = "../../../rust/pure/..."]`), so `cargo test`, `nnctl` and the fuzzers run
//! the code the module runs. A file here names its siblings as `super::x`, which resolves
//! in both crates.
//!
//! Their items are `pub`, the host crate's API; in the module they sit in this
//! crate-private folder, so `unreachable_pub` is expected of each, and `dead_code` of
//! those with items only the host (or only KUnit) uses.
//!
//! - [`fixed`]: the fixed-point number format, saturation, requantization, `dot`.
//! - [`activation`]: integer activations (relu, sigmoid and tanh by table).
//! - [`format`]: the layer formats (16x16, 16x8, 8x8) and their exact products.
//! - [`forward`]: the dense-layer forward pass.
//! - [`batch`]: a network over a batch, in blocks of inputs, layer by layer.
//! - [`cache`]: the prediction cache's table (hash, compare, expiry, LRU).
//! - [`model`]: the model format (`.nnm`), its parser and checksum.
//! - [`decimal`]: exact decimal text for `predict` and `train`.
//! - [`cpulist`]: id lists in the kernel's cpulist syntax.
//! - [`lines`]: the numbered lines of a `predict` or `train` write.
//! - [`id_line`]: the decimal id that `remove` and `evacuate` take.
//! - [`create_line`]: the topology line that `create` takes.
//! - [`config_line`]: the commands that a network's `config` takes.
//! - [`train_text`]: the samples and settings that a network's `train` takes.
//! - [`panel`]: the order in which the module stores an 8-bit layer's weights (panels).
//! - [`policy`]: the NUMA policies by name and number.
//! - [`nodemask`]: node masks, and node lists in the kernel's list syntax.
//! - [`nodes`]: the topology decisions over a live or made-up machine: nearest node with
//!   memory, best node for a request (the exported `neural_find_best_numa_node()`),
//!   fallback order, the checks of a node or node list given by the user.
//! - [`xavier`]: created networks' formats and Xavier initialisation.
//! - [`rng`]: the deterministic generator (xoshiro256**) of initialisation and training.
//! - [`int`]: integer division and square root without 64-bit division instructions.
//! - [`num`]: lossless integer conversions and named truncations, instead of `as`.
//! - [`train`]: backpropagation and SGD in integers.

#[expect(unreachable_pub)]
pub(crate) mod activation;
#[expect(unreachable_pub)]
pub(crate) mod batch;
// `CacheTable::live` serves the host's tests only.
#[expect(dead_code, unreachable_pub)]
pub(crate) mod cache;
#[expect(unreachable_pub)]
pub(crate) mod config_line;
#[expect(unreachable_pub)]
pub(crate) mod cpulist;
#[expect(unreachable_pub)]
pub(crate) mod create_line;
#[expect(unreachable_pub)]
pub(crate) mod decimal;
#[expect(unreachable_pub)]
pub(crate) mod fixed;
// The host's tools (and the vector kernels to come) use more of it than the module.
#[expect(dead_code, unreachable_pub)]
pub(crate) mod format;
#[expect(unreachable_pub)]
pub(crate) mod forward;
#[expect(unreachable_pub)]
pub(crate) mod id_line;
#[expect(unreachable_pub)]
pub(crate) mod int;
#[expect(unreachable_pub)]
pub(crate) mod lines;
#[expect(unreachable_pub)]
#[cfg_attr(not(CONFIG_NEURAL_NETWORK_KUNIT_TEST), expect(dead_code))]
pub(crate) mod model;
#[expect(unreachable_pub)]
pub(crate) mod nodemask;
#[expect(dead_code, unreachable_pub)]
pub(crate) mod nodes;
// Not every conversion has a caller in every configuration.
#[expect(dead_code, unreachable_pub)]
pub(crate) mod num;
#[expect(unreachable_pub)]
pub(crate) mod panel;
// Re-exported by `numa::placement`, so reachable: no `unreachable_pub`.
pub(crate) mod policy;
#[expect(unreachable_pub)]
pub(crate) mod rng;
#[expect(dead_code, unreachable_pub)]
pub(crate) mod train;
#[expect(unreachable_pub)]
pub(crate) mod train_text;
#[expect(unreachable_pub)]
#[cfg_attr(not(CONFIG_NEURAL_NETWORK_KUNIT_TEST), expect(dead_code))]
pub(crate) mod xavier;

// SPDX-License-Identifier: GPL-2.0

//! The NUMA policies ([`NumaPolicy`]) by name and number, as the module parameter
//! `neural_numa_policy`, `create`'s `policy=` and `config`'s `policy` give them. What each
//! one does with a network's memory is `rust/numa/placement.rs`'s.
//!
//! Pure code: only `core`.

/// Where a network's memory is placed (`neural_numa_policy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumaPolicy {
    /// On the node of the CPU that creates the network.
    Local,
    /// Spread over the nodes of the mask: layers round-robin, large layers by page.
    Interleave,
    /// On the given node, the nearest with room when it cannot.
    Preferred,
    /// On the nodes of the mask only; allocation fails rather than going elsewhere.
    Bind,
    /// A copy of the weights on every node of the mask.
    Replicate,
}

impl NumaPolicy {
    /// Every policy, by its number.
    pub const ALL: [NumaPolicy; 5] = [
        NumaPolicy::Local,
        NumaPolicy::Interleave,
        NumaPolicy::Preferred,
        NumaPolicy::Bind,
        NumaPolicy::Replicate,
    ];

    /// Why a name is refused ([`NumaPolicy::from_name`]: `create`'s `policy=`,
    /// `config`'s `policy`), naming the policies.
    pub const UNKNOWN: &'static str =
        "unknown policy (local, interleave, preferred, bind, replicate)";

    /// The name used in logs, debugfs and `create`.
    pub fn name(self) -> &'static str {
        match self {
            NumaPolicy::Local => "local",
            NumaPolicy::Interleave => "interleave",
            NumaPolicy::Preferred => "preferred",
            NumaPolicy::Bind => "bind",
            NumaPolicy::Replicate => "replicate",
        }
    }

    /// The policy of that name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether every node of the mask must have memory.
    pub fn mask_needs_memory(self) -> bool {
        matches!(self, NumaPolicy::Bind | NumaPolicy::Replicate)
    }
}

impl From<NumaPolicy> for i32 {
    /// The policy's number (its index in [`NumaPolicy::ALL`]).
    fn from(policy: NumaPolicy) -> Self {
        match policy {
            NumaPolicy::Local => 0,
            NumaPolicy::Interleave => 1,
            NumaPolicy::Preferred => 2,
            NumaPolicy::Bind => 3,
            NumaPolicy::Replicate => 4,
        }
    }
}

// SPDX-License-Identifier: GPL-2.0

//! The module's memory budget: the bytes that its networks hold, charged before any of a
//! network's memory is allocated and given back when the network is freed.
//!
//! A [`Charge`] is taken with [`Budget::charge`] (an atomic compare-and-exchange, so no
//! lock is needed and two creations cannot both take the last bytes) and lives in the
//! network it pays for: the bytes return to the budget when the network's memory is
//! freed, which may be after its removal, when the last open file of it is closed.
//!
//! The limits it is charged against are [`MemLimits`]: `neural_max_network_mb` and
//! `neural_max_total_mb` resolved on this machine's RAM.

use kernel::prelude::*;
use kernel::sync::atomic::{
    Atomic,
    Relaxed, //
};
use kernel::sync::Arc;

use crate::numa::topology;
use crate::params;

/// The bytes charged by the networks alive and those being created.
pub(crate) struct Budget {
    used: Atomic<u64>,
}

impl Budget {
    /// An empty budget.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Ok(Arc::new(
            Self {
                used: Atomic::new(0),
            },
            GFP_KERNEL,
        )?)
    }

    /// The bytes charged now.
    pub(crate) fn used(&self) -> u64 {
        self.used.load(Relaxed)
    }

    /// Charges `bytes` if the total stays within `limit`.
    ///
    /// # Errors
    ///
    /// Returns the bytes in use when `bytes` more would exceed `limit`; nothing is charged.
    pub(crate) fn charge(this: &Arc<Self>, bytes: u64, limit: u64) -> Result<Charge, u64> {
        let mut used = this.used.load(Relaxed);
        loop {
            let new = match used.checked_add(bytes) {
                Some(n) if n <= limit => n,
                _ => return Err(used),
            };
            match this.used.cmpxchg(used, new, Relaxed) {
                Ok(_) => {
                    return Ok(Charge {
                        budget: this.clone(),
                        bytes,
                    })
                }
                Err(now) => used = now,
            }
        }
    }
}

/// Charges `bytes` of memory about to be allocated to `budget`, after checking that the
/// machine has them available: the checks a creation and a re-placement share, each
/// refusal with a log line that starts with `what`.
///
/// # Errors
///
/// `ENOMEM` over the memory the machine has available (`MemAvailable`: else
/// `__GFP_RETRY_MAYFAIL` would reclaim for minutes before failing), `ENOSPC` over
/// `neural_max_total_mb`; nothing is charged then.
pub(crate) fn charge_available(
    budget: &Arc<Budget>,
    what: core::fmt::Arguments<'_>,
    bytes: u64,
) -> Result<Charge> {
    let available = crate::numa::topology::available_bytes();
    if bytes > available {
        pr_err!(
            "{}: network needs {} bytes, but only {} bytes of memory are available (MemAvailable)\n",
            what,
            bytes,
            available
        );
        return Err(ENOMEM);
    }
    let limits = MemLimits::from_params();
    Budget::charge(budget, bytes, limits.total).map_err(|used| {
        pr_err!(
            "{}: network needs {} bytes, but {} of the {} bytes all networks may take are in use (neural_max_total_mb={})\n",
            what,
            bytes,
            used,
            limits.total,
            crate::params::max_total_mb()
        );
        ENOSPC
    })
}

/// Bytes charged to a [`Budget`], given back on drop.
pub(crate) struct Charge {
    budget: Arc<Budget>,
    bytes: u64,
}

impl Charge {
    /// The budget charged, for a further charge (a re-placement's new memory).
    pub(crate) fn budget(&self) -> &Arc<Budget> {
        &self.budget
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.bytes, Relaxed);
    }
}

/// The memory limits in force, in bytes of network arrays (`Network::footprint`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MemLimits {
    /// The most one network may take.
    pub(crate) network: u64,
    /// The most all networks together may take.
    pub(crate) total: u64,
}

impl MemLimits {
    /// The limits that `network_mb` and `total_mb` give on a machine of `ram` bytes: a
    /// value in MiB, or for 0 a quarter of `ram` (per network) and half of it (in all).
    pub(crate) fn resolve(network_mb: u32, total_mb: u32, ram: u64) -> Self {
        // The C setters keep the values in range; `min` makes the shift safe regardless.
        let pick = |mb: u32, auto: u64| match mb {
            0 => auto,
            mb => u64::from(mb.min(params::MEM_LIMIT_MAX_MB)) << 20,
        };
        Self {
            network: pick(network_mb, ram / 4),
            total: pick(total_mb, ram / 2),
        }
    }

    /// The limits the parameters set now, on this machine's RAM (`MemTotal` of every
    /// online node).
    pub(crate) fn from_params() -> Self {
        let ram = topology::online_nodes()
            .filter_map(topology::node_memory)
            .fold(0u64, |sum, m| {
                sum.saturating_add(m.total_kib.saturating_mul(1024))
            });
        Self::resolve(params::max_network_mb(), params::max_total_mb(), ram)
    }
}

// SPDX-License-Identifier: GPL-2.0

//! Sets of CPUs: a network's CPU mask (`config`'s `cpus LIST`, `cpu_affinity`).
//!
//! [`CpuMask`] owns a `cpumask_var_t` (the kernel crate's [`CpumaskVar`]). It reads the
//! kernel's cpulist syntax with `bitmap_parselist()`, as `/sys/devices/system/cpu/*`
//! files take it (`0-3,8`, `0-7:2/4`, `N` for the last CPU), and writes it back as they
//! print it.

use core::fmt;

use kernel::bindings;
use kernel::cpu::CpuId;
use kernel::cpumask::{
    Cpumask,
    CpumaskVar, //
};
use kernel::prelude::*;

use super::topology;
use crate::pure::cpulist::write_cpulist;

/// A set of CPU ids below `nr_cpu_ids`.
pub(crate) struct CpuMask(CpumaskVar);

// SAFETY: a `CpuMask` owns its bitmap (inline, or allocated with `CONFIG_CPUMASK_OFFSTACK`)
// and nothing else refers to it; it is changed only through `&mut self`.
unsafe impl Send for CpuMask {}
// SAFETY: `&self` methods only read the bitmap.
unsafe impl Sync for CpuMask {}

impl CpuMask {
    /// The empty set.
    ///
    /// # Errors
    ///
    /// `ENOMEM` (with `CONFIG_CPUMASK_OFFSTACK`).
    pub(crate) fn new() -> Result<Self> {
        Ok(Self(CpumaskVar::new_zero(GFP_KERNEL)?))
    }

    /// The CPUs of cpulist `text`.
    ///
    /// # Errors
    ///
    /// `EINVAL` for a malformed list, `ERANGE` for a CPU id not below `nr_cpu_ids`
    /// (`bitmap_parselist()`'s errors), `ENOMEM`.
    pub(crate) fn parse(text: &CStr) -> Result<Self> {
        let mask = Self::new()?;
        let bits = i32::try_from(topology::nr_cpu_ids()).map_err(|_| EINVAL)?;
        // SAFETY: `text` is NUL-terminated; the mask's bitmap has room for `nr_cpu_ids`
        // bits (`cpumask_size()`), which is `bits`.
        let ret = unsafe {
            let raw = mask.0.as_raw();
            bindings::bitmap_parselist(text.as_char_ptr(), (*raw).bits.as_mut_ptr(), bits)
        };
        kernel::error::to_result(ret)?;
        Ok(mask)
    }

    /// A copy.
    ///
    /// # Errors
    ///
    /// `ENOMEM` (with `CONFIG_CPUMASK_OFFSTACK`).
    pub(crate) fn try_clone(&self) -> Result<Self> {
        Ok(Self(CpumaskVar::try_clone(&self.0)?))
    }

    /// A copy of the kernel's `mask` (an exported function's argument).
    ///
    /// # Errors
    ///
    /// `ENOMEM` (with `CONFIG_CPUMASK_OFFSTACK`).
    pub(crate) fn from_cpumask(mask: &Cpumask) -> Result<Self> {
        Ok(Self(CpumaskVar::try_clone(mask)?))
    }

    /// Adds the CPUs of the set to the kernel's `dst`.
    pub(crate) fn copy_to(&self, dst: &mut Cpumask) {
        for id in self.iter().filter_map(cpu_id) {
            dst.set(id);
        }
    }

    /// Adds `cpu` (ignored unless below `nr_cpu_ids`).
    pub(crate) fn set(&mut self, cpu: u32) {
        if let Some(id) = cpu_id(cpu) {
            self.0.set(id);
        }
    }

    /// Removes `cpu`.
    pub(crate) fn clear(&mut self, cpu: u32) {
        if let Some(id) = cpu_id(cpu) {
            self.0.clear(id);
        }
    }

    /// Whether `cpu` is in the set.
    pub(crate) fn contains(&self, cpu: u32) -> bool {
        cpu_id(cpu).is_some_and(|id| self.0.test(id))
    }

    /// The CPUs of the set, in increasing order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = u32> + Clone + '_ {
        (0..topology::nr_cpu_ids()).filter(|&c| self.contains(c))
    }

    /// The online CPUs of the set, in increasing order.
    pub(crate) fn online(&self) -> impl Iterator<Item = u32> + Clone + '_ {
        self.iter().filter(|&c| topology::cpu_online(c))
    }
}

/// `cpu` as a [`CpuId`], if below `nr_cpu_ids`.
fn cpu_id(cpu: u32) -> Option<CpuId> {
    if cpu < topology::nr_cpu_ids() {
        CpuId::from_u32(cpu)
    } else {
        None
    }
}

impl fmt::Display for CpuMask {
    /// The kernel's cpulist (`0-3,8`); an empty set writes nothing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_cpulist(f, self.iter())
    }
}

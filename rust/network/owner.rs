// SPDX-License-Identifier: GPL-2.0

//! Who made a network: the module's own faces (debugfs, firmware), or another kernel
//! module through the exported API (`rust/api.rs`), by name.
//!
//! The name is copied: a caller's `KBUILD_MODNAME` lives in that module's memory, and a
//! network it forgot to destroy outlives it.

/// The longest module name, with its NUL (`MODULE_NAME_LEN` of `<linux/module.h>`,
/// `64 - sizeof(unsigned long)` on 64-bit; bindgen cannot evaluate the macro).
pub(crate) const MODULE_NAME_LEN: usize = 56;

/// The owner of a network.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Owner {
    /// The module's name, `len` bytes; `len == 0`: the module's own faces.
    name: [u8; MODULE_NAME_LEN],
    len: u8,
}

impl Owner {
    /// Made by the module itself (debugfs `load`, `create`, `load_firmware`).
    pub(crate) const SELF: Self = Self {
        name: [0; MODULE_NAME_LEN],
        len: 0,
    };

    /// Made by the kernel module `name` (at most `MODULE_NAME_LEN - 1` bytes of ASCII
    /// without spaces, as module names are); `None` for any other name.
    pub(crate) fn module(name: &[u8]) -> Option<Self> {
        if name.is_empty()
            || name.len() >= MODULE_NAME_LEN
            || !name.iter().all(|c| c.is_ascii_graphic())
        {
            return None;
        }
        let mut o = Self::SELF;
        o.name[..name.len()].copy_from_slice(name);
        o.len = u8::try_from(name.len()).ok()?;
        Some(o)
    }

    /// The owning module's name, `None` for the module itself.
    pub(crate) fn name(&self) -> Option<&str> {
        if self.len == 0 {
            return None;
        }
        core::str::from_utf8(&self.name[..usize::from(self.len)]).ok()
    }
}

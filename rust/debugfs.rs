// SPDX-License-Identifier: GPL-2.0

//! The module's debugfs tree, `/sys/kernel/debug/neural_network/`.
//!
//! Files are owned by [`DebugFs`]; dropping it removes the tree, so module unload needs
//! no cleanup code. With `CONFIG_NEURAL_NETWORK_NUMA=n` the NUMA files are not created.

use kernel::debugfs::{
    Dir,
    File, //
};
use kernel::prelude::*;

/// The files under `/sys/kernel/debug/neural_network/`.
pub(crate) struct DebugFs {
    #[cfg(CONFIG_NEURAL_NETWORK_NUMA)]
    _numa_info: Pin<KBox<File<()>>>,
    // The directory goes last: fields drop in order, files before their directory.
    _root: Dir,
}

impl DebugFs {
    /// Creates the tree.
    ///
    /// # Errors
    ///
    /// `ENOMEM` if the file handles cannot be allocated. A debugfs that is disabled or
    /// fails is not an error, as everywhere in the kernel: the module works without it.
    pub(crate) fn new() -> Result<Self> {
        let root = Dir::new(c"neural_network");
        Ok(Self {
            #[cfg(CONFIG_NEURAL_NETWORK_NUMA)]
            _numa_info: KBox::pin_init(
                root.read_callback_file(c"numa_info", (), &|(): &(), f| crate::numa_info::write(f)),
                GFP_KERNEL,
            )?,
            _root: root,
        })
    }
}

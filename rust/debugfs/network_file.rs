// SPDX-License-Identifier: GPL-2.0

//! What `predict` and `train` share: a network, and the result of the last writer to
//! close, which open files that wrote nothing themselves read.
//!
//! Lock order: the `last` mutex is level 2, a leaf, in the crate root's list
//! (`neural_network_main.rs`).

use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{
    Arc,
    Mutex, //
};

use crate::network::Network;

/// The data of a network's file whose writers leave a result `R` behind.
#[pin_data]
pub(crate) struct NetworkFile<R> {
    pub(crate) net: Arc<Network>,
    /// The result of the last writer to close.
    #[pin]
    pub(crate) last: Mutex<R>,
}

impl<R> NetworkFile<R> {
    /// The file of `net`, with `none` until a writer closes.
    pub(crate) fn new(net: Arc<Network>, none: R) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                net,
                last <- new_mutex!(none),
            }),
            GFP_KERNEL,
        )
    }
}

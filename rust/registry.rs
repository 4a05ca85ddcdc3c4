// SPDX-License-Identifier: GPL-2.0

//! The networks of the module, by id, each with its `network_<id>/` debugfs directory.
//!
//! Ids count up from 0 and are never reused while the module is loaded; a creation that
//! fails takes no id. Creating and removing hold the registry's mutex, so a failed
//! creation leaves the set of networks and the next id exactly as they were.

use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{
    Arc,
    Mutex, //
};

use crate::debugfs::file::Dentry;
use crate::debugfs::NetworkFiles;
use crate::model::{
    self,
    Model, //
};
use crate::network::Network;
use crate::params::Placement;
use crate::xavier::Plan;

/// The most networks alive at once.
pub(crate) const MAX_NETWORKS: usize = 256;

struct Entry {
    // Files first: they go before the network they show is let go.
    _files: NetworkFiles,
    net: Arc<Network>,
}

struct Inner {
    next_id: u32,
    last_created: Option<u32>,
    entries: KVec<Entry>,
}

/// The module's networks.
#[pin_data]
pub(crate) struct Registry {
    placement: Placement,
    #[pin]
    inner: Mutex<Inner>,
    // Last: the directories of the networks (in `inner`) live under it.
    root: Arc<Dentry>,
}

impl Registry {
    /// An empty registry placing memory by `placement`, with network directories under
    /// `root`.
    pub(crate) fn new(placement: Placement, root: Arc<Dentry>) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                placement,
                inner <- new_mutex!(Inner {
                    next_id: 0,
                    last_created: None,
                    entries: KVec::new(),
                }),
                root,
            }),
            GFP_KERNEL,
        )
    }

    /// The placement networks are created under.
    pub(crate) fn placement(&self) -> &Placement {
        &self.placement
    }

    /// Creates a network with `build(id)` and registers it; returns its id.
    ///
    /// # Errors
    ///
    /// `ENOSPC` with [`MAX_NETWORKS`] alive, or what `build` returns.
    pub(crate) fn add(&self, build: impl FnOnce(u32) -> Result<Arc<Network>>) -> Result<u32> {
        let mut inner = self.inner.lock();
        if inner.entries.len() >= MAX_NETWORKS {
            pr_err!("cannot create a network: {} exist already\n", MAX_NETWORKS);
            return Err(ENOSPC);
        }
        let id = inner.next_id;
        let next = id.checked_add(1).ok_or(ENOSPC)?;
        let net = build(id)?;
        let files = NetworkFiles::new(&self.root, &net)?;
        inner
            .entries
            .push(Entry { _files: files, net }, GFP_KERNEL)?;
        inner.next_id = next;
        Ok(id)
    }

    /// Parses `blob` and creates a network from it; returns its id.
    ///
    /// # Errors
    ///
    /// `EINVAL` for a malformed blob (the reason goes to the log), `ENOMEM`, `ENOSPC`.
    pub(crate) fn load(&self, blob: &[u8], source: &str) -> Result<u32> {
        let parsed = Model::parse(blob).map_err(|e| {
            pr_err!("{}: model rejected: {}\n", source, e.reason());
            EINVAL
        })?;
        let crc = model::crc32(blob);
        let id = self
            .add(|id| Network::from_model(id, &parsed, crc, &self.placement))
            .inspect_err(|e| {
                pr_err!(
                    "{}: cannot create the network: error {}\n",
                    source,
                    e.to_errno()
                );
            })?;
        self.inner.lock().last_created = Some(id);
        pr_info!(
            "{}: loaded network_{} ({} layers, {} inputs, {} outputs, policy {})\n",
            source,
            id,
            parsed.n_layers(),
            parsed.input_dim(),
            parsed.layers().last().map_or(0, |l| l.outputs),
            self.placement.policy.name()
        );
        Ok(id)
    }

    /// Creates a network from a topology plan, Xavier-initialised from `seed` (or the
    /// kernel's RNG); returns its id.
    ///
    /// # Errors
    ///
    /// `ENOMEM`, `ENOSPC`.
    pub(crate) fn create(&self, plan: &Plan, seed: Option<u64>) -> Result<u32> {
        let id = self
            .add(|id| Network::create(id, plan, seed, &self.placement))
            .inspect_err(|e| {
                pr_err!(
                    "create: cannot create the network: error {}\n",
                    e.to_errno()
                );
            })?;
        self.inner.lock().last_created = Some(id);
        pr_info!(
            "create: created network_{} ({} layers, {} inputs, {} outputs, policy {})\n",
            id,
            plan.n_layers(),
            plan.input_dim(),
            plan.output_dim(),
            self.placement.policy.name()
        );
        Ok(id)
    }

    /// The id of the network created last (by `load` or `create`), if any.
    pub(crate) fn last_created(&self) -> Option<u32> {
        self.inner.lock().last_created
    }

    /// Removes network `id` and its directory; open files keep it alive until closed.
    ///
    /// # Errors
    ///
    /// `ENOENT` if there is no such network.
    pub(crate) fn remove(&self, id: u32) -> Result {
        let entry = {
            let mut inner = self.inner.lock();
            let i = inner
                .entries
                .iter()
                .position(|e| e.net.id() == id)
                .ok_or(ENOENT)?;
            inner.entries.remove(i)?
        };
        // Dropped outside the lock: removing the files waits for their readers.
        drop(entry);
        pr_info!("removed network_{}\n", id);
        Ok(())
    }

    /// Removes every network (module unload).
    pub(crate) fn clear(&self) {
        let entries = core::mem::take(&mut self.inner.lock().entries);
        drop(entries);
    }
}

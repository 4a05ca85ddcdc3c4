// SPDX-License-Identifier: GPL-2.0

//! The networks of the module, by id, each with what a face attached to it (its
//! `network_<id>/` debugfs directory: [`Attach`]). The registry knows nothing of debugfs.
//!
//! Ids count up from 0 and are never reused while the module is loaded. A creation is
//! checked against the memory limits (`neural_max_network_mb`, `neural_max_total_mb`)
//! and charged to the module's [`Budget`] before any of its memory is allocated; a
//! creation refused there, or for a bad model or topology, takes no id and changes
//! nothing.
//!
//! # Locking
//!
//! The registry's mutex (`inner`) guards the ids, the count of creations in flight and
//! the list of networks. Nothing else is taken while it is held, and no network memory is
//! allocated under it: a creation takes the mutex to reserve an id and a slot, drops it
//! while the network's memory is allocated and its attachment made, and takes it again to
//! insert the network and record it as the last created, or, if the allocation failed,
//! to give the slot back; then, once the half-made network and its attachments are gone,
//! a third time to give the id back too, if no later id was handed out meanwhile.
//! Networks and their attachments are dropped only after the mutex is released (removing
//! a debugfs file waits for its readers, unpublishing from BPF for its programs). The
//! budget is an atomic counter, outside any lock.
//!
//! Where this mutex sits among the module's locks: the crate root's "Lock order"
//! (`neural_network_main.rs`).

use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{
    Arc,
    Mutex, //
};

use crate::budget::MemLimits;
use crate::budget::{
    self,
    Budget,
    Charge, //
};
use crate::network::{
    self,
    Network,
    Owner,
    Pools, //
};
use crate::numa::placement::Placement;
use crate::numa::stats::NumaStats;
use crate::numa::topology::NodeId;
use crate::pure::model::Model;
use crate::pure::xavier::Plan;

/// What an evacuation did ([`Registry::evacuate`]).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Evacuated {
    /// Networks moved off the node.
    pub(crate) moved: usize,
    /// Networks left there: bound (or replicated) to that node alone.
    pub(crate) left: usize,
    /// Networks whose move failed (they stay where they were).
    pub(crate) failed: usize,
}

/// What a face keeps for each registered network (debugfs: its `network_<id>/`
/// directory). It is made by [`Attach::attach`] when the network is created, outside the
/// registry's lock, and dropped before the network when the network is removed.
pub(crate) trait Attach: Send + Sized {
    /// What every attachment is made from (debugfs: the root directory), kept by the
    /// registry and dropped after every attachment.
    type Ctx: Send + Sync;

    /// Attaches to `net`, just created.
    fn attach(ctx: &Self::Ctx, net: &Arc<Network>) -> Result<Self>;
}

/// Two faces attached to each network, made in order and dropped in order: the first
/// goes before the second.
impl<A: Attach, B: Attach> Attach for (A, B) {
    type Ctx = (A::Ctx, B::Ctx);

    fn attach(ctx: &Self::Ctx, net: &Arc<Network>) -> Result<Self> {
        let a = A::attach(&ctx.0, net)?;
        Ok((a, B::attach(&ctx.1, net)?))
    }
}

struct Entry<A> {
    // The attachment first: it goes before the network it shows is let go.
    _attached: A,
    net: Arc<Network>,
}

struct Inner<A> {
    next_id: u32,
    /// Creations that hold an id and a slot but are not in `entries` yet.
    in_flight: usize,
    last_created: Option<u32>,
    entries: KVec<Entry<A>>,
}

/// The module's networks, each with an attachment `A`.
#[pin_data]
pub(crate) struct Registry<A: Attach> {
    placement: Placement,
    budget: Arc<Budget>,
    pools: Pools,
    #[pin]
    inner: Mutex<Inner<A>>,
    // Last: the attachments (in `inner`) may live under it.
    ctx: A::Ctx,
}

impl<A: Attach> Registry<A> {
    /// An empty registry placing memory by `placement`, attaching to each network from
    /// `ctx`.
    pub(crate) fn new(placement: Placement, ctx: A::Ctx) -> Result<Arc<Self>> {
        let budget = Budget::new()?;
        let pools = Pools::new()?;
        Arc::pin_init(
            pin_init!(Self {
                placement,
                budget,
                pools,
                inner <- new_mutex!(Inner {
                    next_id: 0,
                    in_flight: 0,
                    last_created: None,
                    entries: KVec::new(),
                }),
                ctx,
            }),
            GFP_KERNEL,
        )
    }

    /// The placement networks are created under.
    pub(crate) fn placement(&self) -> &Placement {
        &self.placement
    }

    /// The bytes the networks hold now (charged to the budget; see [`Network::footprint`]).
    pub(crate) fn used_bytes(&self) -> u64 {
        self.budget.used()
    }

    /// The NUMA counters of the networks' memory.
    #[cfg_attr(not(CONFIG_NEURAL_NETWORK_NUMA), expect(dead_code))]
    pub(crate) fn numa(&self) -> &NumaStats {
        &self.pools.numa
    }

    /// The networks now registered, in id order.
    ///
    /// # Errors
    ///
    /// `ENOMEM` if the list cannot be had.
    pub(crate) fn networks(&self) -> Result<KVec<Arc<Network>>> {
        let inner = self.inner.lock();
        let mut v = KVec::with_capacity(inner.entries.len(), GFP_KERNEL)?;
        for e in inner.entries.iter() {
            v.push(e.net.clone(), GFP_KERNEL)?;
        }
        Ok(v)
    }

    /// How many networks exist.
    pub(crate) fn count(&self) -> usize {
        self.inner.lock().entries.len()
    }

    /// Creates a network of `bytes` ([`Network::footprint`], `None` if it overflowed) with
    /// `build(id, charge)` and registers it as the last created; returns its id. `what`
    /// names the file in the log.
    ///
    /// # Errors
    ///
    /// `EFBIG` over `neural_max_network_mb`, `ENOMEM` over the memory the machine has
    /// available, `ENOSPC` over `neural_max_total_mb` or with `neural_max_networks` alive (each
    /// with a log line naming the limit), or what `build` returns.
    fn add(
        &self,
        what: &str,
        bytes: Option<u64>,
        build: impl FnOnce(u32, Charge) -> Result<Arc<Network>>,
    ) -> Result<u32> {
        let limits = MemLimits::from_params();
        let bytes = bytes.unwrap_or(u64::MAX);
        if bytes > limits.network {
            pr_err!(
                "{}: network needs {} bytes, over the limit of {} bytes per network (neural_max_network_mb={})\n",
                what,
                bytes,
                limits.network,
                crate::params::max_network_mb()
            );
            return Err(EFBIG);
        }
        let charge = budget::charge_available(&self.budget, format_args!("{what}"), bytes)?;
        let id = {
            // Read once: root may change it at any time.
            let max = crate::params::max_networks();
            let mut inner = self.inner.lock();
            let alive = inner.entries.len() + inner.in_flight;
            if u32::try_from(alive).map_or(true, |n| n >= max) {
                drop(inner);
                pr_err!(
                    "{}: cannot create a network: {} exist already (neural_max_networks={})\n",
                    what,
                    alive,
                    max
                );
                return Err(ENOSPC);
            }
            let id = inner.next_id;
            inner.next_id = id.checked_add(1).ok_or(ENOSPC)?;
            inner.in_flight += 1;
            id
        };
        // Outside the lock: the network's memory and its attachment.
        let made = build(id, charge).and_then(|net| {
            let attached = A::attach(&self.ctx, &net)?;
            Ok(Entry {
                _attached: attached,
                net,
            })
        });
        let mut inner = self.inner.lock();
        inner.in_flight -= 1;
        let reserved = match made {
            Ok(entry) => match inner.entries.reserve(1, GFP_KERNEL) {
                Ok(()) => Ok(entry),
                Err(_) => Err((ENOMEM, Some(entry))),
            },
            Err(e) => Err((e, None)),
        };
        match reserved {
            Ok(entry) => {
                let net = entry.net.clone();
                // Cannot fail: room for one was reserved.
                let _ = inner.entries.push_within_capacity(entry);
                inner.last_created = Some(id);
                drop(inner);
                // Registered: its allocations count in `numa_stats`, once.
                let mut fallbacks = 0;
                let _ = net.for_each_buffer(|b| {
                    self.pools.numa.count_buffer(b.pages, b.fell_back);
                    fallbacks += usize::from(b.fell_back);
                    Ok(())
                });
                if fallbacks > 0 {
                    pr_info!(
                        "network_{}: {} buffer(s) did not fit on {} and went to the nearest node with room\n",
                        id,
                        fallbacks,
                        format_args!("{}", net.placement().intended())
                    );
                }
                Ok(id)
            }
            Err((e, entry)) => {
                drop(inner);
                // The half-made network and its attachments go outside the lock, and
                // before the id is given back: a creation that took it again would
                // find its debugfs directory and its BPF table entry still there.
                drop(entry);
                let mut inner = self.inner.lock();
                if inner.next_id == id + 1 {
                    inner.next_id = id;
                }
                drop(inner);
                pr_err!(
                    "{}: cannot create the network: error {}\n",
                    what,
                    e.to_errno()
                );
                Err(e)
            }
        }
    }

    /// Parses `blob` and creates a network from it; returns its id.
    ///
    /// # Errors
    ///
    /// `EINVAL` for a malformed blob (the reason goes to the log), `EFBIG` and `ENOSPC`
    /// over a limit (as [`Registry::create`]), `ENOMEM`.
    pub(crate) fn load(&self, blob: &[u8], source: &str, owner: Owner) -> Result<u32> {
        let parsed = Model::parse(blob).map_err(|e| {
            pr_err!("{}: model rejected: {}\n", source, e.reason());
            EINVAL
        })?;
        let crc = parsed.checksum();
        let bytes = Network::model_footprint(&parsed);
        let id = self.add(source, bytes, |id, charge| {
            Network::from_model(
                id,
                &parsed,
                crc,
                &self.placement,
                charge,
                &self.pools,
                owner,
            )
        })?;
        pr_info!(
            "{}: loaded network_{} ({} layers, {} inputs, {} outputs, {} bytes, policy {}){}\n",
            source,
            id,
            parsed.n_layers(),
            parsed.input_dim(),
            parsed.layers().last().map_or(0, |l| l.outputs),
            bytes.unwrap_or(0),
            self.placement.policy.name(),
            format_args!("{}", ForOwner(&owner))
        );
        Ok(id)
    }

    /// Creates a network from a topology plan, Xavier-initialised from `seed` (or the
    /// kernel's RNG), placed by `placement` (`None`: the module's); returns its id.
    ///
    /// # Errors
    ///
    /// `EFBIG` when the network would take more than `neural_max_network_mb`, `ENOSPC`
    /// when all networks would take more than `neural_max_total_mb` or `neural_max_networks`
    /// exist, `ENOMEM`.
    pub(crate) fn create(
        &self,
        plan: &Plan,
        seed: Option<u64>,
        placement: Option<Placement>,
        owner: Owner,
    ) -> Result<u32> {
        let bytes = Network::plan_footprint(plan);
        let placement = placement.unwrap_or(self.placement);
        let id = self.add("create", bytes, |id, charge| {
            Network::create(id, plan, seed, &placement, charge, &self.pools, owner)
        })?;
        pr_info!(
            "create: created network_{} ({} layers, {} inputs, {} outputs, {} bytes, policy {}){}\n",
            id,
            plan.n_layers(),
            plan.input_dim(),
            plan.output_dim(),
            bytes.unwrap_or(0),
            placement.policy.name(),
            format_args!("{}", ForOwner(&owner))
        );
        Ok(id)
    }

    /// The id of the network created last (by `load` or `create`), if any.
    pub(crate) fn last_created(&self) -> Option<u32> {
        self.inner.lock().last_created
    }

    /// Network `id`, if it exists.
    pub(crate) fn get(&self, id: u32) -> Option<Arc<Network>> {
        let inner = self.inner.lock();
        inner
            .entries
            .iter()
            .find(|e| e.net.id() == id)
            .map(|e| e.net.clone())
    }

    /// Removes network `id` and its directory, for `by` (the module's faces, or the
    /// module that made it); open files keep it alive until closed.
    ///
    /// # Errors
    ///
    /// `ENOENT` if there is no such network, `EBUSY` if it belongs to another owner (a
    /// network made through the exported API is destroyed by its module; the reason goes
    /// to the log).
    pub(crate) fn remove(&self, id: u32, by: Owner) -> Result {
        let entry = {
            let mut inner = self.inner.lock();
            let i = inner
                .entries
                .iter()
                .position(|e| e.net.id() == id)
                .ok_or(ENOENT)?;
            let owner = *inner.entries[i].net.owner();
            if owner != by {
                drop(inner);
                pr_err!(
                    "remove: network_{} belongs to module {}, which destroys it\n",
                    id,
                    owner.name().unwrap_or("neural_network")
                );
                return Err(EBUSY);
            }
            inner.entries.remove(i)?
        };
        // Dropped outside the lock: removing the files waits for their readers.
        drop(entry);
        pr_info!("removed network_{}\n", id);
        Ok(())
    }

    /// Moves every network with memory on `node` (layers, copies, training memory) off
    /// it, as [`network::evacuation`] says: the same policy over the rest of its mask, or
    /// the nearest node with memory. A network that may only be on `node` is logged and
    /// left there. The networks are moved one at a time; each keeps serving meanwhile.
    /// Per-CPU scratch stays on the node of its CPU.
    ///
    /// # Errors
    ///
    /// `ENOMEM` if the list of networks cannot be had; otherwise the error of the first
    /// move that failed, after every other network was tried.
    pub(crate) fn evacuate(&self, node: NodeId) -> Result<Evacuated> {
        let mut done = Evacuated::default();
        let mut first_error = None;
        self.pools.numa.count_evacuation();
        for net in self.networks()? {
            let (uses, now, bytes) = {
                let placed = net.placed();
                (placed.uses_node(node), placed.placement(), placed.bytes())
            };
            if !uses {
                continue;
            }
            match network::evacuation(&now, node, bytes) {
                None => {
                    pr_info!(
                        "evacuate: network_{} may only be on node {} ({}): left in place\n",
                        net.id(),
                        node.id(),
                        format_args!("{now}")
                    );
                    done.left += 1;
                }
                Some(target) => match net.replace(target, "evacuate") {
                    Ok(_) => done.moved += 1,
                    Err(e) => {
                        done.failed += 1;
                        first_error.get_or_insert(e);
                    }
                },
            }
        }
        pr_info!(
            "evacuate: node {}: {} network(s) moved, {} left in place, {} failed\n",
            node.id(),
            done.moved,
            done.left,
            done.failed
        );
        match first_error {
            Some(e) => Err(e),
            None => Ok(done),
        }
    }

    /// Removes every network (module unload).
    pub(crate) fn clear(&self) {
        let entries = core::mem::take(&mut self.inner.lock().entries);
        drop(entries);
    }
}

/// `" for module NAME"` in a log line about a network made through the exported API.
struct ForOwner<'a>(&'a Owner);

impl core::fmt::Display for ForOwner<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0.name() {
            Some(name) => write!(f, " for module {name}"),
            None => Ok(()),
        }
    }
}

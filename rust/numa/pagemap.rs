// SPDX-License-Identifier: GPL-2.0

//! Where the pages of one buffer really are: placement verified, not assumed.
//!
//! Right after a buffer is allocated, [`PageMap::measure`] looks up the node of **every
//! page** it spans (`virt_to_page()` or `vmalloc_to_page()`, then `page_to_nid()`, in
//! `mem_helper.c`) and compares it with the node the policy intended for that page. The
//! result is kept with the buffer: `memory_map` prints it and `numa_stats` sums it.
//!
//! Counts are in pages. A small array (under a page) counts the one page it sits in,
//! which slab shares with other objects; a page-aligned array counts exactly its pages.
//! In the kernel's own words (`/sys/devices/system/node/nodeN/numastat`): a page is a
//! *hit* on the node it landed on when it was intended there, a *miss* there when it
//! was intended elsewhere, and *foreign* to the node it was intended for when it landed
//! elsewhere.

use core::fmt;

use kernel::prelude::*;

use super::topology::NodeId;
use crate::pure::cpulist::write_cpulist;

/// The pages of one buffer on one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NodePages {
    /// The node.
    pub(crate) node: NodeId,
    /// Pages of the buffer on this node.
    pub(crate) pages: u32,
    /// Of those, pages the policy intended for this node.
    pub(crate) hit: u32,
    /// Pages the policy intended for this node, wherever they landed.
    pub(crate) intended: u32,
}

impl NodePages {
    /// Pages on this node that were intended elsewhere.
    pub(crate) fn miss(&self) -> u32 {
        self.pages - self.hit
    }

    /// Pages intended for this node that landed elsewhere.
    pub(crate) fn foreign(&self) -> u32 {
        self.intended - self.hit
    }
}

/// Where the pages of one buffer landed, node by node (in increasing node order, only
/// nodes that hold a page or were intended one).
pub(crate) struct PageMap {
    nodes: KVec<NodePages>,
}

impl PageMap {
    /// An empty map (an empty buffer, which has no pages).
    pub(crate) const fn empty() -> Self {
        Self { nodes: KVec::new() }
    }

    /// Measures the pages `landed` yields, page `k` on the node it names and intended
    /// for `intended(k)` (`None`: no node was intended, as with
    /// `CONFIG_NEURAL_NETWORK_NUMA=n`; a page on no node, which cannot happen for kmalloc,
    /// vmalloc or page-allocator memory, counts for no node).
    ///
    /// # Errors
    ///
    /// `ENOMEM` if the map's own few bytes cannot be had.
    pub(crate) fn measure(
        landed: impl Iterator<Item = Option<NodeId>>,
        mut intended: impl FnMut(usize) -> Option<NodeId>,
    ) -> Result<Self> {
        let mut map = Self::empty();
        for (k, got) in landed.enumerate() {
            let want = intended(k);
            if let Some(node) = got {
                let e = map.entry(node)?;
                e.pages += 1;
                if want == Some(node) {
                    e.hit += 1;
                }
            }
            if let Some(node) = want {
                map.entry(node)?.intended += 1;
            }
        }
        Ok(map)
    }

    fn entry(&mut self, node: NodeId) -> Result<&mut NodePages> {
        let i = match self.nodes.binary_search_by_key(&node, |e| e.node) {
            Ok(i) => i,
            Err(i) => {
                self.nodes.reserve(1, GFP_KERNEL)?;
                let e = NodePages {
                    node,
                    pages: 0,
                    hit: 0,
                    intended: 0,
                };
                self.nodes
                    .insert_within_capacity(i, e)
                    .map_err(|_| ENOMEM)?;
                i
            }
        };
        self.nodes.get_mut(i).ok_or(EINVAL)
    }

    /// The nodes, in increasing order.
    pub(crate) fn nodes(&self) -> &[NodePages] {
        &self.nodes
    }

    /// Pages in all.
    pub(crate) fn pages(&self) -> u32 {
        self.nodes.iter().map(|e| e.pages).sum()
    }

    /// Whether every page landed where it was intended (an allocation that is *local*
    /// in `numa_stats`); `true` when nothing was intended.
    pub(crate) fn all_hit(&self) -> bool {
        self.nodes.iter().all(|e| e.miss() == 0 && e.foreign() == 0)
    }

    /// The intended nodes as a list (`0-1,3`), `-` when none.
    pub(crate) fn intended(&self) -> impl fmt::Display + '_ {
        List(self, |e: &NodePages| e.intended > 0)
    }

    /// The nodes that hold pages with their counts, `node:pages` comma-separated
    /// (`0:12,1:11`), `-` when none.
    pub(crate) fn landed(&self) -> impl fmt::Display + '_ {
        Counts(self)
    }
}

struct List<'a, F>(&'a PageMap, F);

impl<F: Fn(&NodePages) -> bool> fmt::Display for List<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids = self
            .0
            .nodes
            .iter()
            .filter(|e| (self.1)(e))
            .map(|e| e.node.id())
            .peekable();
        if ids.peek().is_none() {
            return f.write_str("-");
        }
        write_cpulist(f, ids)
    }
}

struct Counts<'a>(&'a PageMap);

impl fmt::Display for Counts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for e in self.0.nodes.iter().filter(|e| e.pages > 0) {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{}:{}", e.node.id(), e.pages)?;
        }
        if first {
            f.write_str("-")?;
        }
        Ok(())
    }
}

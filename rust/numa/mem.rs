// SPDX-License-Identifier: GPL-2.0

//! Memory placed on a NUMA node: the one place where a network's arrays are allocated.
//!
//! [`NodeVec`] is a fixed-length, zero-initialised array of plain integers placed as a
//! [`Where`] says: on one node with `kvmalloc_node()` (`mem_helper.c`: slab memory for
//! small arrays, the node's pages, mapped by vmalloc when not contiguous, for large
//! ones), or page by page over several nodes ([`PageArray`], for interleaved layers). The kernel's `KVec` cannot do this (it always
//! allocates with `NUMA_NO_NODE`) and cannot ask for `__GFP_THISNODE`, which the bind
//! policy needs. Every array starts on a cache line (`mem_helper.c` says how). Right
//! after allocating, [`NodeVec`] looks up the node of each of its pages
//! ([`NodeVec::pages`], a [`PageMap`]), so debugfs and the tests check placement rather
//! than trust it.

use core::marker::PhantomData;
use core::ptr::NonNull;

use kernel::ffi::{
    c_int,
    c_void, //
};
use kernel::prelude::*;

use super::pagemap::PageMap;
use super::pages::PageArray;
pub(crate) use super::plain::Plain;
use super::topology::{
    self,
    Live,
    NodeId, //
};
use crate::pure::nodemask::NodeMask;
use crate::pure::nodes::{
    self,
    Topology, //
};

extern "C" {
    fn nn_alloc_node(size: usize, node: c_int, this_node_only: bool) -> *mut c_void;
    fn nn_free(p: *const c_void);
    fn nn_mem_node(p: *const c_void) -> c_int;
    fn nn_numa_node_id() -> c_int;
    fn nn_cache_line_bytes() -> usize;
}

/// `L1_CACHE_BYTES`: every array starts on a multiple of it.
#[cfg_attr(not(CONFIG_NEURAL_NETWORK_KUNIT_TEST), expect(dead_code))]
pub(crate) fn cache_line() -> usize {
    // SAFETY: returns a compile-time constant.
    unsafe { nn_cache_line_bytes() }
}

/// The node of the CPU this runs on (it may change right after: a hint, as in C).
pub(crate) fn current_node() -> Option<NodeId> {
    // SAFETY: `numa_node_id()` has no preconditions.
    NodeId::new(unsafe { nn_numa_node_id() })
}

/// Where to allocate an array ([`NodeVec::zeroed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Where {
    /// Anywhere (`NUMA_NO_NODE`).
    Anywhere,
    /// On this node if it has free memory, else where the page allocator falls back.
    Prefer(NodeId),
    /// On this node or not at all (`__GFP_THISNODE`).
    Only(NodeId),
    /// On this node, else on the nearest node with memory (by distance from it) that has
    /// room, each tried exactly; intended for this node either way.
    Fallback(NodeId),
    /// On a node of `nodes` only, the nearest to node `from` first, each tried exactly.
    Within {
        /// The node distances are measured from.
        from: u32,
        /// The nodes allowed.
        nodes: NodeMask,
    },
    /// Whole pages round the nodes of `nodes`, page `k` exactly on the `(first + k)`-th
    /// (modulo their count).
    Pages {
        /// The nodes, in increasing order.
        nodes: NodeMask,
        /// Which of them takes page 0.
        first: usize,
    },
}

impl Where {
    /// The one node intended, if there is one.
    pub(crate) fn node(self) -> Option<NodeId> {
        match self {
            Where::Prefer(n) | Where::Only(n) | Where::Fallback(n) => Some(n),
            Where::Anywhere | Where::Within { .. } | Where::Pages { .. } => None,
        }
    }
}

/// A zeroed array of `len` `T`s from `kvmalloc_node()`.
///
/// # Invariants
///
/// `ptr` points at `len * size_of::<T>()` bytes (`len > 0`) returned by `nn_alloc_node`
/// (zeroed, so initialised for a [`Plain`] `T`, and aligned to a cache line), owned by
/// this value and freed on drop.
struct KvArray<T: Plain> {
    ptr: NonNull<T>,
    len: usize,
    _owns: PhantomData<T>,
}

impl<T: Plain> KvArray<T> {
    /// `len` (> 0) zeroed elements on `node` (`NUMA_NO_NODE`: anywhere), only there if
    /// `exact`; `None` if the memory cannot be had.
    fn alloc(len: usize, node: c_int, exact: bool) -> Option<Self> {
        let size = len.checked_mul(size_of::<T>())?;
        // SAFETY: `nn_alloc_node` takes any size and node (an unknown node falls back).
        let raw = unsafe { nn_alloc_node(size, node, exact) };
        // INVARIANT: `size` zeroed bytes from `nn_alloc_node`, owned from here on.
        NonNull::new(raw.cast::<T>()).map(|ptr| Self {
            ptr,
            len,
            _owns: PhantomData,
        })
    }

    /// The node of each page the array spans, in order.
    fn page_nodes(&self) -> impl Iterator<Item = Option<NodeId>> + '_ {
        let page = topology::page_size();
        let start = self.ptr.as_ptr().addr();
        let first = start / page;
        let last = (start + self.len * size_of::<T>() - 1) / page;
        (0..=last - first).map(move |k| {
            let addr = if k == 0 { start } else { (first + k) * page };
            // SAFETY: `addr` is within the live allocation (type invariant): page `k` of
            // those it spans, at the array's start for the first.
            NodeId::new(unsafe { nn_mem_node(addr as *const c_void) })
        })
    }
}

impl<T: Plain> Drop for KvArray<T> {
    fn drop(&mut self) {
        // SAFETY: allocated by `nn_alloc_node` and owned (type invariant); freed once.
        unsafe { nn_free(self.ptr.as_ptr().cast()) };
    }
}

/// The memory behind a [`NodeVec`].
enum Mem<T: Plain> {
    /// Nothing (length 0).
    Empty,
    /// One allocation on one node (`kvmalloc_node`).
    Kv(KvArray<T>),
    /// Whole pages, spread over nodes (`vmap`).
    Pages(PageArray<T>),
}

/// A zeroed array of `len` `T`s, placed as a [`Where`] says, that knows where each of
/// its pages landed.
pub(crate) struct NodeVec<T: Plain> {
    mem: Mem<T>,
    /// Where the pages landed, measured at allocation.
    pages: PageMap,
    /// Whether it went to another node than the one intended (`Where::Fallback`).
    fell_back: bool,
}

// SAFETY: a `NodeVec` owns its memory like a `KVec` does.
unsafe impl<T: Plain + Send> Send for NodeVec<T> {}
// SAFETY: shared access only gives `&[T]`.
unsafe impl<T: Plain + Sync> Sync for NodeVec<T> {}

impl<T: Plain> NodeVec<T> {
    /// Allocates `len` zeroed elements where `place` says, and measures where each page
    /// landed.
    ///
    /// # Errors
    ///
    /// `ENOMEM` if the memory cannot be had where `place` allows (or the size overflows).
    pub(crate) fn zeroed(len: usize, place: Where) -> Result<Self> {
        if len == 0 {
            return Ok(Self {
                mem: Mem::Empty,
                pages: PageMap::empty(),
                fell_back: false,
            });
        }
        let t = &Live;
        let on = |node: NodeId, exact: bool| KvArray::alloc(len, node.as_raw(), exact);
        let (mem, intended, fell_back) = match place {
            Where::Anywhere => {
                let kv = KvArray::alloc(len, kernel::bindings::NUMA_NO_NODE, false);
                (kv.ok_or(ENOMEM)?, None, false)
            }
            Where::Prefer(n) => (on(n, false).ok_or(ENOMEM)?, Some(n), false),
            Where::Only(n) => (on(n, true).ok_or(ENOMEM)?, Some(n), false),
            Where::Fallback(n) => {
                // The node first, if it has memory, then the others with memory by
                // distance from it, each exactly.
                let mut others = nodes::memory_nodes(t);
                others.clear(n.id());
                let first = t.has_memory(n.id()).then_some(n);
                let rest = nodes::by_distance(t, n.id(), others).filter_map(topology::node_of);
                let (kv, got) = Iterator::chain(first.into_iter(), rest)
                    .find_map(|m| on(m, true).map(|kv| (kv, m)))
                    .ok_or(ENOMEM)?;
                (kv, Some(n), got != n)
            }
            Where::Within { from, nodes: mask } => {
                // The nodes of the mask by distance from `from`, each exactly; none else.
                let (kv, got) = nodes::by_distance(t, from, mask)
                    .filter_map(topology::node_of)
                    .find_map(|m| on(m, true).map(|kv| (kv, m)))
                    .ok_or(ENOMEM)?;
                (kv, Some(got), false)
            }
            Where::Pages { nodes: mask, first } => return Self::interleaved(len, mask, first),
        };
        let pages = PageMap::measure(mem.page_nodes(), |_| intended)?;
        Ok(Self {
            mem: Mem::Kv(mem),
            pages,
            fell_back,
        })
    }

    /// `len` (> 0) elements page by page over `mask`, page `k` on its `(first + k)`-th
    /// node, or, when that node has no free page, on the nearest that has one (as
    /// `MPOL_INTERLEAVE` does, and as a whole interleaved layer does): a fallback.
    fn interleaved(len: usize, mask: NodeMask, first: usize) -> Result<Self> {
        let n = mask.count();
        if n == 0 {
            return Err(ENOMEM);
        }
        let mut order = KVec::with_capacity(n, GFP_KERNEL)?;
        for k in 0..n {
            let node = nodes::interleave_node(mask, first.wrapping_add(k))
                .and_then(topology::node_of)
                .ok_or(EINVAL)?;
            order.push(node, GFP_KERNEL)?;
        }
        let arr = PageArray::zeroed(len, &order, false)?;
        let pages = PageMap::measure(arr.page_nodes(), |k| order.get(k % n).copied())?;
        let fell_back = !pages.all_hit();
        Ok(Self {
            mem: Mem::Pages(arr),
            pages,
            fell_back,
        })
    }

    /// Allocates and fills from an iterator, which must yield exactly `len` items.
    ///
    /// # Errors
    ///
    /// `ENOMEM`, or `EINVAL` if the iterator is shorter or longer than `len`.
    pub(crate) fn from_iter(
        len: usize,
        place: Where,
        items: impl IntoIterator<Item = T>,
    ) -> Result<Self> {
        let mut v = Self::zeroed(len, place)?;
        let mut items = items.into_iter();
        for slot in v.iter_mut() {
            *slot = items.next().ok_or(EINVAL)?;
        }
        if items.next().is_some() {
            return Err(EINVAL);
        }
        Ok(v)
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.len() * size_of::<T>()
    }

    /// Where the array's pages landed (measured when it was allocated).
    pub(crate) fn pages(&self) -> &PageMap {
        &self.pages
    }

    /// The node its first page is on, `None` when empty.
    pub(crate) fn node(&self) -> Option<NodeId> {
        match &self.mem {
            Mem::Empty => None,
            Mem::Kv(kv) => kv.page_nodes().next().flatten(),
            Mem::Pages(p) => p.page_nodes().next().flatten(),
        }
    }
}

/// What `memory_map` and the NUMA counters see of any array: its size, where its pages
/// are, and its address (for alignment checks).
pub(crate) trait Array {
    /// Bytes held.
    fn bytes(&self) -> usize;
    /// Where the pages landed.
    fn pages(&self) -> &PageMap;
    /// Whether it went to another node than the one intended.
    fn fell_back(&self) -> bool;
    /// The first byte (dangling when empty).
    fn as_ptr(&self) -> *const u8;
}

impl<T: Plain> Array for NodeVec<T> {
    fn bytes(&self) -> usize {
        NodeVec::bytes(self)
    }

    fn pages(&self) -> &PageMap {
        NodeVec::pages(self)
    }

    fn fell_back(&self) -> bool {
        self.fell_back
    }

    fn as_ptr(&self) -> *const u8 {
        <[T]>::as_ptr(self).cast()
    }
}

impl<T: Plain> core::ops::Deref for NodeVec<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match &self.mem {
            Mem::Empty => &[],
            // SAFETY: `len` initialised elements (zeroed `Plain`), owned (type invariant).
            Mem::Kv(kv) => unsafe { core::slice::from_raw_parts(kv.ptr.as_ptr(), kv.len) },
            Mem::Pages(p) => p,
        }
    }
}

impl<T: Plain> core::ops::DerefMut for NodeVec<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        match &mut self.mem {
            Mem::Empty => &mut [],
            // SAFETY: as for `deref`, and `&mut self` makes the access exclusive.
            Mem::Kv(kv) => unsafe { core::slice::from_raw_parts_mut(kv.ptr.as_ptr(), kv.len) },
            Mem::Pages(p) => p,
        }
    }
}

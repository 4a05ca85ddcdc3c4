// SPDX-License-Identifier: GPL-2.0

//! Memory placed on a NUMA node: the one place where a network's arrays are allocated.
//!
//! [`NodeVec`] is a fixed-length, zero-initialised array of plain integers allocated with
//! `kvmalloc_node()` (`mem_helper.c`): slab memory for small arrays, the node's pages
//! mapped by vmalloc for large ones. The kernel's `KVec` cannot do this (it always
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
use super::topology::{
    self,
    NodeId, //
};

extern "C" {
    fn nn_alloc_node(size: usize, node: c_int, this_node_only: bool) -> *mut c_void;
    fn nn_free(p: *const c_void);
    fn nn_mem_node(p: *const c_void) -> c_int;
    fn nn_numa_node_id() -> c_int;
    fn nn_cache_line_bytes() -> kernel::ffi::c_ulong;
}

/// `L1_CACHE_BYTES`: every array starts on a multiple of it.
pub(crate) fn cache_line() -> usize {
    // SAFETY: returns a compile-time constant.
    usize::try_from(unsafe { nn_cache_line_bytes() }).unwrap_or(64)
}

/// The node of the CPU this runs on (it may change right after: a hint, as in C).
pub(crate) fn current_node() -> Option<NodeId> {
    // SAFETY: `numa_node_id()` has no preconditions.
    NodeId::new(unsafe { nn_numa_node_id() })
}

/// Where to allocate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Where {
    /// Anywhere (`NUMA_NO_NODE`).
    Anywhere,
    /// On this node if it has free memory, else on the nearest one that has.
    Prefer(NodeId),
    /// On this node or not at all (`__GFP_THISNODE`).
    Only(NodeId),
}

impl Where {
    /// The node asked for, if any.
    pub(crate) fn node(self) -> Option<NodeId> {
        match self {
            Where::Anywhere => None,
            Where::Prefer(n) | Where::Only(n) => Some(n),
        }
    }
}

/// Integers a [`NodeVec`] may hold: every bit pattern, including all-zero, is a value.
///
/// # Safety
///
/// Implementors must be plain integers with no padding and no invalid bit patterns.
pub(crate) unsafe trait Plain: Copy {}
// SAFETY: plain integers.
unsafe impl Plain for u8 {}
// SAFETY: plain integers.
unsafe impl Plain for i16 {}
// SAFETY: plain integers.
unsafe impl Plain for i32 {}
// SAFETY: plain integers.
unsafe impl Plain for i64 {}

/// A zeroed array of `len` `T`s on a chosen node.
///
/// # Invariants
///
/// `ptr` points at `len * size_of::<T>()` bytes returned by `nn_alloc_node` (zeroed, so
/// initialised for a [`Plain`] `T`), owned by this value and freed on drop; when `len` is
/// 0 nothing was allocated and `ptr` is dangling.
pub(crate) struct NodeVec<T: Plain> {
    ptr: NonNull<T>,
    len: usize,
    /// Where the pages landed, measured at allocation.
    pages: PageMap,
    _owns: PhantomData<T>,
}

// SAFETY: a `NodeVec` owns its memory like a `KVec` does.
unsafe impl<T: Plain + Send> Send for NodeVec<T> {}
// SAFETY: shared access only gives `&[T]`.
unsafe impl<T: Plain + Sync> Sync for NodeVec<T> {}

impl<T: Plain> NodeVec<T> {
    /// Allocates `len` zeroed elements.
    ///
    /// # Errors
    ///
    /// `ENOMEM` if the memory cannot be had where `place` says (or the size overflows).
    pub(crate) fn zeroed(len: usize, place: Where) -> Result<Self> {
        if len == 0 {
            // INVARIANT: nothing allocated, dangling pointer, length 0.
            return Ok(Self {
                ptr: NonNull::dangling(),
                len,
                pages: PageMap::empty(),
                _owns: PhantomData,
            });
        }
        let size = len.checked_mul(size_of::<T>()).ok_or(ENOMEM)?;
        let (node, exact) = match place {
            Where::Anywhere => (kernel::bindings::NUMA_NO_NODE, false),
            Where::Prefer(n) => (n.as_raw(), false),
            Where::Only(n) => (n.as_raw(), true),
        };
        // SAFETY: `nn_alloc_node` takes any size and node (an unknown node falls back).
        let raw = unsafe { nn_alloc_node(size, node, exact) };
        let ptr = NonNull::new(raw.cast::<T>()).ok_or(ENOMEM)?;
        // INVARIANT: `size` zeroed bytes from `nn_alloc_node`, owned from here on, aligned
        // to a cache line, enough for any `Plain`.
        let mut v = Self {
            ptr,
            len,
            pages: PageMap::empty(),
            _owns: PhantomData,
        };
        // On error `v` is dropped, which frees the array.
        v.pages = v.measure(place.node())?;
        Ok(v)
    }

    /// Looks up the node of every page the array spans, each intended for `intended`.
    fn measure(&self, intended: Option<NodeId>) -> Result<PageMap> {
        let page = topology::page_size();
        let start = self.ptr.as_ptr() as usize;
        let first = start / page;
        let last = (start + self.bytes() - 1) / page;
        PageMap::measure(
            last - first + 1,
            |k| {
                let addr = if k == 0 { start } else { (first + k) * page };
                // SAFETY: `addr` is within the live allocation (type invariant): page `k`
                // of those it spans, at the array's start for the first.
                NodeId::new(unsafe { nn_mem_node(addr as *const c_void) })
            },
            |_| intended,
        )
    }

    /// Where the array's pages landed (measured when it was allocated).
    pub(crate) fn pages(&self) -> &PageMap {
        &self.pages
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
        self.len * size_of::<T>()
    }

    /// The node the memory is on (that of its first page), `None` when empty.
    pub(crate) fn node(&self) -> Option<NodeId> {
        if self.len == 0 {
            return None;
        }
        // SAFETY: `ptr` is a live kvmalloc allocation (type invariant).
        NodeId::new(unsafe { nn_mem_node(self.ptr.as_ptr().cast()) })
    }
}

/// What `memory_map` and the NUMA counters see of any array: its size, where its pages
/// are, and its address (for alignment checks).
pub(crate) trait Array {
    /// Bytes held.
    fn bytes(&self) -> usize;
    /// Where the pages landed.
    fn pages(&self) -> &PageMap;
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

    fn as_ptr(&self) -> *const u8 {
        self.ptr.as_ptr().cast()
    }
}

impl<T: Plain> core::ops::Deref for NodeVec<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        // SAFETY: `len` initialised elements (zeroed `Plain`), or a dangling pointer with
        // length 0, which `from_raw_parts` allows.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Plain> core::ops::DerefMut for NodeVec<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as for `deref`, and `&mut self` makes the access exclusive.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Plain> Drop for NodeVec<T> {
    fn drop(&mut self) {
        if self.len != 0 {
            // SAFETY: allocated by `nn_alloc_node` and owned (type invariant); freed once.
            unsafe { nn_free(self.ptr.as_ptr().cast()) };
        }
    }
}

// SPDX-License-Identifier: GPL-2.0

//! Arrays whose pages are spread over several nodes, page by page.
//!
//! [`PageArray<T>`] is a zeroed array of `len` [`Plain`] `T`s made of whole pages: page `k`
//! is taken with `alloc_pages_node()` from the `(k mod n)`-th of the `n` nodes the caller
//! gives, and the pages are mapped contiguously with `vmap()` (`pages_helper.c`). This is
//! what `MPOL_INTERLEAVE` does for user memory, with the nodes chosen by the module and the
//! node of every page known afterwards ([`PageArray::page_nodes`]), so a large array that
//! every CPU reads (a layer's weights) draws on the bandwidth of every node.
//!
//! With `exact`, each page is taken with `__GFP_THISNODE`: if any node has no free page,
//! the whole allocation fails with `ENOMEM` and the pages already taken are given back.
//! Without, a page may come from the nearest node that has one (as `Where::Prefer`); the
//! caller reads where each landed.
//!
//! Allocation, drop and the mapping may sleep: process context only.

use core::marker::PhantomData;
use core::ops::{
    Deref,
    DerefMut, //
};
use core::ptr::NonNull;

use kernel::ffi::{
    c_int,
    c_uint,
    c_ulong,
    c_void, //
};
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;

use super::plain::Plain;
use super::topology::{
    self,
    NodeId, //
};

/// A `struct page *`, opaque here (`bindings::page` is not FFI-safe as Rust sees it).
type Page = *mut c_void;

mod ffi {
    use super::*;

    extern "C" {
        pub(super) fn nn_page_array_alloc(n: usize) -> *mut Page;
        pub(super) fn nn_page_array_free(pages: *mut Page);
        pub(super) fn nn_page_alloc(node: c_int, this_node_only: bool) -> Page;
        pub(super) fn nn_page_free(page: Page);
        pub(super) fn nn_page_node(page: Page) -> c_int;
        pub(super) fn nn_vmap(pages: *mut Page, n: c_uint) -> *mut c_void;
        pub(super) fn nn_vunmap(addr: *const c_void);
        pub(super) fn nn_totalram_pages() -> c_ulong;
    }
}

/// Pages taken so far, given back on drop unless [`Taken::keep`] is called: the error
/// paths of [`PageArray::zeroed`] free exactly what was taken.
///
/// # Invariants
///
/// `pages` is an array from `nn_page_array_alloc` of at least `taken` entries, each a page
/// from `nn_page_alloc` owned by this value.
struct Taken {
    pages: NonNull<Page>,
    taken: usize,
}

impl Taken {
    /// Hands the array and its pages over to the caller.
    fn keep(self) -> NonNull<Page> {
        let pages = self.pages;
        core::mem::forget(self);
        pages
    }
}

impl Drop for Taken {
    fn drop(&mut self) {
        // SAFETY: the first `taken` entries are owned pages, and the array is owned (type
        // invariant); all are freed once, here.
        unsafe { free_pages(self.pages, self.taken) };
    }
}

/// Frees `n` pages of `pages`, then the array.
///
/// # Safety
///
/// `pages` came from `nn_page_array_alloc`, its first `n` entries are pages from
/// `nn_page_alloc`, and none of them (nor the array) is used or freed after, nor mapped.
unsafe fn free_pages(pages: NonNull<Page>, n: usize) {
    for k in 0..n {
        // SAFETY: `k < n`, so the entry is in the array and is an owned page (contract).
        unsafe { ffi::nn_page_free(*pages.as_ptr().add(k)) };
    }
    // SAFETY: allocated by `nn_page_array_alloc`, freed once (contract).
    unsafe { ffi::nn_page_array_free(pages.as_ptr()) };
}

/// A zeroed array of `len` `T`s whose pages are spread over a list of nodes.
///
/// # Invariants
///
/// When `len` is 0 nothing is allocated, `nr_pages` is 0 and both pointers dangle.
/// Otherwise `pages` is an array from `nn_page_array_alloc` of `nr_pages` pages from
/// `nn_page_alloc`, `nr_pages` is the fewest pages that hold `len * size_of::<T>()` bytes
/// (at most `c_uint::MAX`), and `ptr` is their `vmap()` mapping; all owned by this value,
/// zeroed when allocated (so initialised for a [`Plain`] `T`), and given back on drop.
pub(crate) struct PageArray<T: Plain> {
    ptr: NonNull<T>,
    len: usize,
    pages: NonNull<Page>,
    nr_pages: usize,
    _owns: PhantomData<T>,
}

// SAFETY: a `PageArray` owns its memory like a `VVec` does.
unsafe impl<T: Plain + Send> Send for PageArray<T> {}
// SAFETY: shared access only gives `&[T]`.
unsafe impl<T: Plain + Sync> Sync for PageArray<T> {}

impl<T: Plain> PageArray<T> {
    /// Allocates `len` zeroed elements, page `k` on `nodes[k % nodes.len()]`; on no other
    /// node if `exact`, else on the nearest with a free page. `len` 0 allocates nothing.
    ///
    /// # Errors
    ///
    /// `EINVAL` if `len > 0` and `nodes` is empty. `ENOMEM` if the size overflows or is
    /// larger than the machine's memory, if a node in `nodes` is not online, if a page
    /// cannot be had (with `exact`: on its own node), or if the mapping fails; nothing is
    /// kept allocated then.
    pub(crate) fn zeroed(len: usize, nodes: &[NodeId], exact: bool) -> Result<Self> {
        if len == 0 {
            // INVARIANT: nothing allocated, dangling pointers, no pages.
            return Ok(Self {
                ptr: NonNull::dangling(),
                len,
                pages: NonNull::dangling(),
                nr_pages: 0,
                _owns: PhantomData,
            });
        }
        if nodes.is_empty() {
            return Err(EINVAL);
        }
        let bytes = len.checked_mul(size_of::<T>()).ok_or(ENOMEM)?;
        let nr_pages = bytes.div_ceil(PAGE_SIZE);
        let count = c_uint::try_from(nr_pages).map_err(|_| ENOMEM)?;
        // SAFETY: reads a counter, no preconditions.
        let ram = unsafe { ffi::nn_totalram_pages() };
        if u64::from(count) > u64::try_from(ram).unwrap_or(u64::MAX) {
            // More pages than the machine has: fail at once rather than drain every node.
            return Err(ENOMEM);
        }
        // SAFETY: any count; the array is zeroed.
        let pages = NonNull::new(unsafe { ffi::nn_page_array_alloc(nr_pages) }).ok_or(ENOMEM)?;
        // INVARIANT: the array is owned, no page taken yet.
        let mut taken = Taken { pages, taken: 0 };
        for (k, node) in (0..nr_pages).zip(nodes.iter().cycle()) {
            // SAFETY: `nn_page_alloc` takes any node id and refuses those not online.
            let page = unsafe { ffi::nn_page_alloc(node.as_raw(), exact) };
            if page.is_null() {
                return Err(ENOMEM);
            }
            // SAFETY: `k < nr_pages`, the array's length.
            unsafe { pages.as_ptr().add(k).write(page) };
            // INVARIANT: entry `k` is now an owned page.
            taken.taken = k + 1;
        }
        // SAFETY: the array holds `count` pages, owned and not mapped elsewhere.
        let addr = unsafe { ffi::nn_vmap(pages.as_ptr(), count) };
        let ptr = NonNull::new(addr.cast::<T>()).ok_or(ENOMEM)?;
        // INVARIANT: `nr_pages` zeroed pages mapped at `ptr` (page aligned, enough for any
        // `Plain`), covering `len * size_of::<T>()` bytes; owned from here on.
        Ok(Self {
            ptr,
            len,
            pages: taken.keep(),
            nr_pages,
            _owns: PhantomData,
        })
    }

    /// Elements held.
    #[cfg_attr(not(CONFIG_NEURAL_NETWORK_KUNIT_TEST), expect(dead_code))]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether the array is empty (and allocated nothing).
    #[cfg_attr(not(CONFIG_NEURAL_NETWORK_KUNIT_TEST), expect(dead_code))]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes of the elements (`len * size_of::<T>()`; the last page may have more room).
    #[cfg_attr(not(CONFIG_NEURAL_NETWORK_KUNIT_TEST), expect(dead_code))]
    pub(crate) fn bytes(&self) -> usize {
        self.len * size_of::<T>()
    }

    /// Pages allocated.
    #[cfg_attr(not(CONFIG_NEURAL_NETWORK_KUNIT_TEST), expect(dead_code))]
    pub(crate) fn nr_pages(&self) -> usize {
        self.nr_pages
    }

    /// The node each page is on, measured (`page_to_nid`), page 0 first.
    pub(crate) fn page_nodes(&self) -> impl Iterator<Item = Option<NodeId>> + '_ {
        (0..self.nr_pages).map(move |k| {
            // SAFETY: `k < nr_pages`: entry `k` of the array is an owned page (type
            // invariant), alive as long as `self`.
            let node = unsafe { ffi::nn_page_node(*self.pages.as_ptr().add(k)) };
            NodeId::new(node)
        })
    }

    /// Calls `f(node, pages)` for each online node that holds pages of the array, in
    /// increasing node order.
    #[cfg_attr(not(CONFIG_NEURAL_NETWORK_KUNIT_TEST), expect(dead_code))]
    pub(crate) fn pages_per_node(&self, mut f: impl FnMut(NodeId, usize)) {
        if self.nr_pages == 0 {
            return;
        }
        for node in topology::online_nodes() {
            let n = self.page_nodes().filter(|&p| p == Some(node)).count();
            if n > 0 {
                f(node, n);
            }
        }
    }
}

impl<T: Plain> Deref for PageArray<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        // SAFETY: `len` initialised elements (zeroed `Plain`) in the mapping, or a dangling
        // pointer with length 0, which `from_raw_parts` allows.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Plain> DerefMut for PageArray<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as for `deref`, and `&mut self` makes the access exclusive.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Plain> Drop for PageArray<T> {
    fn drop(&mut self) {
        if self.nr_pages == 0 {
            return;
        }
        // SAFETY: the mapping made by `nn_vmap` (type invariant), unmapped once; no slice
        // of it outlives `self`.
        unsafe { ffi::nn_vunmap(self.ptr.as_ptr().cast()) };
        // SAFETY: the array and its `nr_pages` pages are owned (type invariant), no longer
        // mapped, and freed once.
        unsafe { free_pages(self.pages, self.nr_pages) };
    }
}

// SPDX-License-Identifier: GPL-2.0

//! Slab caches of the module's own objects, each object on a chosen node.
//!
//! The kernel crate of 7.3 has no `kmem_cache` abstraction: `slab_helper.c` wraps
//! `kmem_cache_create()`, `kmem_cache_alloc_node()`, `kmem_cache_free()` and
//! `kmem_cache_destroy()`, and this file makes them safe.
//!
//! - [`SlabCache<T>`]: a cache of `T`s (`size_of::<T>()` bytes, aligned to `align_of::<T>()`
//!   and to the cache line by `SLAB_HWCACHE_ALIGN`), named `neural_*`, destroyed when its
//!   last [`Arc`] goes.
//! - [`SlabBox<T>`]: one `T` in such a cache, on the node [`Where`] asks for, like a
//!   `KBox<T>`; [`SlabBox::pin_init`] initialises in place, so the object may hold a lock.
//!
//! Every [`SlabBox`] holds an [`Arc`] of its cache, so a cache is destroyed only after its
//! last object was freed: `kmem_cache_destroy()` never finds live objects ("Slab cache
//! still has objects"), whatever order the owners drop in, with no global state.
//!
//! The caches are created with `SLAB_NO_MERGE`. Without it SLUB may merge a cache into an
//! existing one of the same size and flags; the merged cache then appears in
//! `/proc/slabinfo` only under the other cache's name (sysfs keeps a symlink), and the
//! module's objects share slabs with others. With it, each cache is listed under its own
//! name in `/proc/slabinfo` and `/sys/kernel/slab/neural_*`, and its counts are the
//! module's own. slab.h allows the flag for self-tests and caches whose separation matters;
//! the module has a handful of caches, so the cost (partly empty slabs of its own) is small.
//!
//! Cache names must be unique while the caches live: a second cache of the same name is
//! refused by sysfs and warned about by `CONFIG_DEBUG_VM`. The names are the callers'
//! constants, `neural_<what>`.
//!
//! Creating, dropping the last reference to a cache (which destroys it) and freeing an
//! object may sleep: process context only, as for the rest of the module's allocations.

use core::marker::PhantomData;
use core::ops::{
    Deref,
    DerefMut, //
};
use core::pin::Pin;
use core::ptr::NonNull;

use kernel::alloc::AllocError;
use kernel::bindings;
use kernel::ffi::{
    c_char,
    c_int,
    c_uint,
    c_void, //
};
use kernel::prelude::*;
use kernel::sync::Arc;

use super::mem::Where;
use super::topology::NodeId;

mod ffi {
    use super::*;

    extern "C" {
        pub(super) fn nn_slab_create(
            name: *const c_char,
            size: c_uint,
            align: c_uint,
        ) -> *mut bindings::kmem_cache;
        pub(super) fn nn_slab_max_size() -> usize;
        pub(super) fn nn_slab_destroy(cache: *mut bindings::kmem_cache);
        pub(super) fn nn_slab_alloc(
            cache: *mut bindings::kmem_cache,
            node: c_int,
            this_node_only: bool,
        ) -> *mut c_void;
        pub(super) fn nn_slab_free(cache: *mut bindings::kmem_cache, obj: *mut c_void);
        pub(super) fn nn_slab_obj_node(obj: *const c_void) -> c_int;
    }
}

/// The prefix of every cache name of the module.
pub(crate) const NAME_PREFIX: &[u8] = b"neural_";

/// A slab cache of `T`s.
///
/// # Invariants
///
/// `cache` is a live cache made by `nn_slab_create` for objects of `size_of::<T>()` bytes
/// aligned to at least `align_of::<T>()`, owned by this value and destroyed on drop. Every
/// object allocated from it belongs to a [`SlabBox`], which holds an `Arc` of this value.
pub(crate) struct SlabCache<T> {
    cache: NonNull<bindings::kmem_cache>,
    name: &'static CStr,
    _objects: PhantomData<fn() -> T>,
}

// SAFETY: the slab allocator's functions may be called from any thread; the cache owns no
// `T` (the objects belong to their `SlabBox`es), so no bound on `T` is needed.
unsafe impl<T> Send for SlabCache<T> {}
// SAFETY: `&SlabCache` only allows allocating and freeing, which the slab allocator
// serialises itself.
unsafe impl<T> Sync for SlabCache<T> {}

impl<T> SlabCache<T> {
    /// Creates the cache `name`, which must start with `neural_` and hold no space.
    ///
    /// # Errors
    ///
    /// `EINVAL` for another name, or for a `T` of size 0 or larger than a slab object can
    /// be (`KMALLOC_MAX_SIZE`);
    /// `ENOMEM` if the cache cannot be created.
    pub(crate) fn new(name: &'static CStr) -> Result<Arc<Self>> {
        let bytes = name.to_bytes();
        if !bytes.starts_with(NAME_PREFIX)
            || bytes.len() == NAME_PREFIX.len()
            || bytes.contains(&b' ')
        {
            return Err(EINVAL);
        }
        // SAFETY: returns a compile-time constant of the kernel.
        let max = unsafe { ffi::nn_slab_max_size() };
        if size_of::<T>() == 0 || size_of::<T>() > max {
            return Err(EINVAL);
        }
        let size = c_uint::try_from(size_of::<T>()).map_err(|_| EINVAL)?;
        let align = c_uint::try_from(align_of::<T>()).map_err(|_| EINVAL)?;
        // SAFETY: `name` is a NUL-terminated string, which the kernel copies; size and
        // align are those of `T` (align a power of two). Process context (documented).
        let raw = unsafe { ffi::nn_slab_create(name.as_char_ptr(), size, align) };
        let cache = NonNull::new(raw).ok_or(ENOMEM)?;
        // INVARIANT: a new cache for `T`, with no objects yet. If `Arc::new` fails, the
        // value is dropped and the cache destroyed.
        Ok(Arc::new(
            Self {
                cache,
                name,
                _objects: PhantomData,
            },
            GFP_KERNEL,
        )?)
    }

    /// The cache's name, as `/proc/slabinfo` shows it.
    #[cfg_attr(not(CONFIG_NEURAL_NETWORK_KUNIT_TEST), expect(dead_code))]
    pub(crate) fn name(&self) -> &'static CStr {
        self.name
    }

    /// Allocates one zeroed object of the cache where `place` says.
    fn alloc(&self, place: Where) -> Result<NonNull<T>> {
        let (node, exact) = match place {
            Where::Anywhere => (bindings::NUMA_NO_NODE, false),
            Where::Prefer(n) => (n.as_raw(), false),
            Where::Only(n) => (n.as_raw(), true),
            // An object goes whole on one node: the one intended, if any, else anywhere.
            other => other
                .node()
                .map_or((bindings::NUMA_NO_NODE, false), |n| (n.as_raw(), false)),
        };
        // SAFETY: the cache is live (type invariant); any node id below MAX_NUMNODES or
        // NUMA_NO_NODE is valid for `kmem_cache_alloc_node()`.
        let raw = unsafe { ffi::nn_slab_alloc(self.cache.as_ptr(), node, exact) };
        NonNull::new(raw.cast::<T>()).ok_or(ENOMEM)
    }

    /// Frees an object of this cache.
    ///
    /// # Safety
    ///
    /// `obj` came from [`Self::alloc`] of this cache, is not used after and is freed once;
    /// whatever `T` it held has been dropped or was never initialised.
    unsafe fn free(&self, obj: NonNull<T>) {
        // SAFETY: the cache is live and `obj` one of its objects (caller's contract).
        unsafe { ffi::nn_slab_free(self.cache.as_ptr(), obj.as_ptr().cast()) };
    }
}

impl<T> Drop for SlabCache<T> {
    fn drop(&mut self) {
        // SAFETY: the cache is live and owned (type invariant). It has no objects: each
        // belongs to a `SlabBox` holding an `Arc` of this value, and the last `Arc` is
        // being dropped, so every box has freed its object.
        unsafe { ffi::nn_slab_destroy(self.cache.as_ptr()) };
    }
}

/// One `T` in a [`SlabCache<T>`], owned like a `KBox<T>`.
///
/// # Invariants
///
/// `ptr` is an object of `cache`, allocated by it, holding an initialised `T` owned by this
/// value; the `T` is dropped and the object freed on drop.
pub(crate) struct SlabBox<T> {
    ptr: NonNull<T>,
    cache: Arc<SlabCache<T>>,
    _owns: PhantomData<T>,
}

// SAFETY: a `SlabBox` owns its `T` as a `KBox` does; the cache is `Send` and `Sync`.
unsafe impl<T: Send> Send for SlabBox<T> {}
// SAFETY: shared access only gives `&T`.
unsafe impl<T: Sync> Sync for SlabBox<T> {}

impl<T> SlabBox<T> {
    /// Moves `value` into a new object of `cache`, placed as `place` says.
    ///
    /// # Errors
    ///
    /// `ENOMEM` if no object can be had there (`Where::Only`: on that node).
    pub(crate) fn new(cache: &Arc<SlabCache<T>>, value: T, place: Where) -> Result<Self> {
        let ptr = cache.alloc(place)?;
        // SAFETY: `ptr` is a fresh object, valid for writes of a `T` and aligned for it
        // (the cache's invariant).
        unsafe { ptr.as_ptr().write(value) };
        // INVARIANT: an object of `cache` holding a `T`, owned from here on.
        Ok(Self {
            ptr,
            cache: cache.clone(),
            _owns: PhantomData,
        })
    }

    /// A new object of `cache` left as the allocator zeroed it (`__GFP_ZERO`).
    ///
    /// # Errors
    ///
    /// `ENOMEM` as for [`Self::new`].
    #[cfg_attr(not(CONFIG_NEURAL_NETWORK_KUNIT_TEST), expect(dead_code))]
    pub(crate) fn zeroed(cache: &Arc<SlabCache<T>>, place: Where) -> Result<Self>
    where
        T: Zeroable,
    {
        let ptr = cache.alloc(place)?;
        // INVARIANT: the object is zeroed, which is a valid `T` since `T: Zeroable`.
        Ok(Self {
            ptr,
            cache: cache.clone(),
            _owns: PhantomData,
        })
    }

    /// Initialises a new object of `cache` in place with `init`, pinned: the object never
    /// moves, so it may hold a `Mutex` or anything else that must stay put.
    ///
    /// # Errors
    ///
    /// [`AllocError`] if no object can be had where `place` says, or the error of `init`
    /// (the object is then freed).
    pub(crate) fn try_pin_init<E>(
        cache: &Arc<SlabCache<T>>,
        init: impl PinInit<T, E>,
        place: Where,
    ) -> core::result::Result<Pin<Self>, E>
    where
        E: From<AllocError>,
    {
        let ptr = cache.alloc(place).map_err(|_| AllocError)?;
        // SAFETY: `ptr` is a fresh object, valid for writes of a `T`; on error it is only
        // freed (below), and on success it stays where it is until dropped, because the
        // box is pinned before it is returned.
        if let Err(e) = unsafe { pin_init::raw_try_init(ptr.as_ptr(), init) } {
            // SAFETY: an object of this cache, unused after; `init` failed, so it holds no
            // `T` to drop.
            unsafe { cache.free(ptr) };
            return Err(e);
        }
        // INVARIANT: an object of `cache` holding an initialised `T`.
        let b = Self {
            ptr,
            cache: cache.clone(),
            _owns: PhantomData,
        };
        // SAFETY: the `T` was initialised in place and `SlabBox` never moves it: it is
        // dropped where it is.
        Ok(unsafe { Pin::new_unchecked(b) })
    }

    /// As [`Self::try_pin_init`], with the kernel's [`Error`].
    ///
    /// # Errors
    ///
    /// `ENOMEM`, or the error of `init`.
    pub(crate) fn pin_init<E>(
        cache: &Arc<SlabCache<T>>,
        init: impl PinInit<T, E>,
        place: Where,
    ) -> Result<Pin<Self>>
    where
        Error: From<E>,
    {
        // SAFETY: `init` is used as given, only its error changes type.
        let init = unsafe {
            pin_init::pin_init_from_closure(|slot: *mut T| {
                pin_init::raw_try_init(slot, init).map_err(Error::from)
            })
        };
        Self::try_pin_init(cache, init, place)
    }

    /// Pins the box (as `Box::into_pin`): the `T` will not move again.
    #[cfg_attr(not(CONFIG_NEURAL_NETWORK_KUNIT_TEST), expect(dead_code))]
    pub(crate) fn into_pin(this: Self) -> Pin<Self> {
        // SAFETY: `SlabBox` never moves its `T`; once pinned, `DerefMut` is reached only
        // through `Pin`, which hands out `&mut T` only for `T: Unpin`.
        unsafe { Pin::new_unchecked(this) }
    }

    /// The node of the page that holds the object.
    #[cfg_attr(not(CONFIG_NEURAL_NETWORK_KUNIT_TEST), expect(dead_code))]
    pub(crate) fn node(&self) -> Option<NodeId> {
        // SAFETY: `ptr` is a live slab object (type invariant).
        NodeId::new(unsafe { ffi::nn_slab_obj_node(self.ptr.as_ptr().cast()) })
    }

    /// [`Self::node`] of a pinned box (`Pin` gives no `&SlabBox`, only the `&T` inside).
    #[cfg_attr(not(CONFIG_NEURAL_NETWORK_KUNIT_TEST), expect(dead_code))]
    pub(crate) fn pinned_node(this: &Pin<Self>) -> Option<NodeId> {
        let obj: &T = this;
        // SAFETY: a `Pin<SlabBox<T>>` derefs to the box's object, a live slab object (type
        // invariant), alive while `this` is borrowed.
        NodeId::new(unsafe { ffi::nn_slab_obj_node(core::ptr::from_ref(obj).cast()) })
    }

    /// The cache the object belongs to.
    #[cfg_attr(not(CONFIG_NEURAL_NETWORK_KUNIT_TEST), expect(dead_code))]
    pub(crate) fn cache(&self) -> &Arc<SlabCache<T>> {
        &self.cache
    }
}

impl<T> Deref for SlabBox<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: `ptr` holds an initialised `T` owned by this value (type invariant).
        unsafe { self.ptr.as_ref() }
    }
}

// As for `Box`, `DerefMut` is there for every `T`: a pinned box (`Pin<SlabBox<T>>`) gives
// `&mut T` only if `T: Unpin`, by `Pin`'s own rules.
impl<T> DerefMut for SlabBox<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as for `deref`, and `&mut self` makes the access exclusive.
        unsafe { self.ptr.as_mut() }
    }
}

impl<T> Drop for SlabBox<T> {
    fn drop(&mut self) {
        // SAFETY: `ptr` holds an initialised `T` owned by this value, dropped once, in place.
        unsafe { core::ptr::drop_in_place(self.ptr.as_ptr()) };
        // SAFETY: an object of `self.cache` (type invariant), its `T` dropped just above;
        // not used after. The cache is still live: `self.cache` is dropped after this.
        unsafe { self.cache.free(self.ptr) };
    }
}

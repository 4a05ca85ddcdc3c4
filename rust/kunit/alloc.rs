// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `neural_network_alloc`: slab caches ([`SlabCache`], [`SlabBox`]) and
//! page-interleaved arrays ([`PageArray`]) give zeroed, aligned memory on the nodes asked
//! for, measured page by page, on whatever machine the test runs.
//!
//! [`SlabCache`]: crate::numa::slab::SlabCache
//! [`SlabBox`]: crate::numa::slab::SlabBox
//! [`PageArray`]: crate::numa::pages::PageArray

#[kernel::macros::kunit_tests(neural_network_alloc)]
mod tests {
    use core::sync::atomic::{
        AtomicUsize,
        Ordering, //
    };

    use crate::numa::mem::Where;
    use crate::numa::pages::PageArray;
    use crate::numa::slab::{
        SlabBox,
        SlabCache, //
    };
    use crate::numa::topology::{
        self,
        NodeId,
        NodeState, //
    };
    use kernel::new_mutex;
    use kernel::page::PAGE_SIZE;
    use kernel::prelude::*;
    use kernel::sync::Mutex;

    /// 192 bytes: more than half a cache line, so `SLAB_HWCACHE_ALIGN` aligns it to 64.
    type Block = [u64; 24];

    /// An object whose own alignment is above the cache line.
    #[repr(C, align(128))]
    struct Wide {
        x: u32,
    }

    fn address<T>(b: &SlabBox<T>) -> usize {
        core::ptr::from_ref::<T>(b).addr()
    }

    fn memory_nodes() -> Result<KVec<NodeId>> {
        let mut v = KVec::new();
        for node in topology::nodes(NodeState::Memory) {
            v.push(node, GFP_KERNEL)?;
        }
        Ok(v)
    }

    /// Whether `node` has room to spare beyond the allocator's watermarks.
    fn has_room(node: NodeId) -> bool {
        crate::kunit::has_room(node, 0)
    }

    /// The memory nodes with room to spare.
    fn roomy_nodes() -> Result<KVec<NodeId>> {
        let mut v = KVec::new();
        for node in topology::nodes(NodeState::Memory).filter(|&n| has_room(n)) {
            v.push(node, GFP_KERNEL)?;
        }
        Ok(v)
    }

    #[test]
    fn cache_names_and_sizes_are_checked() {
        assert_eq!(SlabCache::<u64>::new(c"other_cache").err(), Some(EINVAL));
        assert_eq!(SlabCache::<u64>::new(c"neural_").err(), Some(EINVAL));
        assert_eq!(SlabCache::<u64>::new(c"neural_a b").err(), Some(EINVAL));
        assert_eq!(
            SlabCache::<()>::new(c"neural_kunit_zst").err(),
            Some(EINVAL)
        );
        // Larger than any slab object (KMALLOC_MAX_SIZE is 4 MiB on x86-64); no value of
        // the type is ever made.
        assert_eq!(
            SlabCache::<[u8; 1 << 30]>::new(c"neural_kunit_huge").err(),
            Some(EINVAL)
        );
    }

    #[test]
    fn slab_objects_are_zeroed() -> Result {
        let cache = SlabCache::<Block>::new(c"neural_kunit_zero")?;
        assert_eq!(cache.name(), c"neural_kunit_zero");
        // Dirty objects, free them, and take objects again: the slots come back zeroed.
        for round in 0..3u64 {
            let mut held = KVec::new();
            for i in 0..8u64 {
                let b = SlabBox::<Block>::zeroed(&cache, Where::Anywhere)?;
                assert!(b.iter().all(|&x| x == 0));
                held.push(b, GFP_KERNEL)?;
                let last = held.len() - 1;
                held[last].fill(0xa5a5_a5a5_a5a5_a5a5 ^ ((round << 8) | i));
            }
        }
        // `new` writes the value over the zeroed object.
        let b = SlabBox::new(&cache, [7u64; 24], Where::Anywhere)?;
        assert!(b.iter().all(|&x| x == 7));
        Ok(())
    }

    #[test]
    fn slab_objects_are_cache_line_aligned() -> Result {
        let cache = SlabCache::<Block>::new(c"neural_kunit_align")?;
        let mut held = KVec::new();
        for _ in 0..16 {
            let b = SlabBox::<Block>::zeroed(&cache, Where::Anywhere)?;
            assert_eq!(address(&b) % 64, 0);
            held.push(b, GFP_KERNEL)?;
        }
        let wide = SlabCache::<Wide>::new(c"neural_kunit_wide")?;
        for i in 0..8 {
            let w = SlabBox::new(&wide, Wide { x: i }, Where::Anywhere)?;
            assert_eq!(address(&w) % 128, 0);
            assert_eq!(w.x, i);
        }
        Ok(())
    }

    #[test]
    fn slab_objects_land_on_the_node_asked_for() -> Result {
        let cache = SlabCache::<Block>::new(c"neural_kunit_node")?;
        let mut held = KVec::new();
        let mut placed = 0;
        for node in topology::nodes(NodeState::Memory) {
            // Several objects each, held together, so that one slab page does not serve all.
            for _ in 0..4 {
                match SlabBox::<Block>::zeroed(&cache, Where::Only(node)) {
                    Ok(b) => {
                        assert_eq!(b.node(), Some(node));
                        held.push((node, b), GFP_KERNEL)?;
                    }
                    // Only a full node may refuse, and then with ENOMEM: `Only` never
                    // takes another node's memory.
                    Err(e) => {
                        assert_eq!(e, ENOMEM);
                        assert!(!has_room(node));
                    }
                }
            }
            placed += usize::from(has_room(node));
        }
        assert!(placed >= 1);
        // Every object still reads where it was put once all are allocated.
        for (node, b) in held.iter() {
            assert_eq!(b.node(), Some(*node));
        }
        Ok(())
    }

    #[test]
    fn slab_box_holds_a_pinned_mutex() -> Result {
        let cache = SlabCache::<Mutex<u64>>::new(c"neural_kunit_mutex")?;
        // A node with room: node 0 of a 16-node guest can be full by the time KUnit runs
        // (after the guest scripts), and `Only` then refuses with ENOMEM, which the test of
        // landing on a node covers.
        let Some(&node) = roomy_nodes()?.first() else {
            return Err(ENODEV);
        };
        let m = SlabBox::pin_init(&cache, new_mutex!(41u64), Where::Only(node))?;
        assert_eq!(SlabBox::pinned_node(&m), Some(node));
        *m.lock() += 1;
        assert_eq!(*m.lock(), 42);
        // A failed initialiser gives its own error back and frees the object: the cache
        // is destroyed at the end of the test without objects left.
        let failed = SlabBox::<Mutex<u64>>::try_pin_init(
            &cache,
            // SAFETY: initialises nothing and fails, leaving the slot untouched.
            unsafe { pin_init::pin_init_from_closure(|_slot: *mut Mutex<u64>| Err(EBUSY)) },
            Where::Anywhere,
        );
        assert_eq!(failed.err(), Some(EBUSY));
        Ok(())
    }

    #[test]
    fn slab_box_drops_its_value_once() -> Result {
        static DROPS: AtomicUsize = AtomicUsize::new(0);
        struct Counted(u32);
        impl Drop for Counted {
            fn drop(&mut self) {
                DROPS.fetch_add(1, Ordering::Relaxed);
            }
        }
        DROPS.store(0, Ordering::Relaxed);
        let cache = SlabCache::<Counted>::new(c"neural_kunit_drop")?;
        let mut b = SlabBox::new(&cache, Counted(1), Where::Anywhere)?;
        b.0 += 1;
        assert_eq!(b.0, 2);
        assert_eq!(DROPS.load(Ordering::Relaxed), 0);
        drop(b);
        assert_eq!(DROPS.load(Ordering::Relaxed), 1);
        Ok(())
    }

    #[test]
    fn slab_cache_outlives_its_last_handle() -> Result {
        let cache = SlabCache::<Block>::new(c"neural_kunit_live")?;
        let mut b = SlabBox::new(&cache, [1u64; 24], Where::Anywhere)?;
        // The last handle but the box's own: the cache must stay until the box goes
        // (destroying it now would warn that it still has objects, and KASAN would
        // report the free below).
        drop(cache);
        b[23] = 9;
        assert_eq!(b[0], 1);
        assert_eq!(b[23], 9);
        assert_eq!(b.cache().name(), c"neural_kunit_live");
        // Pinned afterwards, as `Box::into_pin`: still the same object.
        let p = SlabBox::into_pin(b);
        assert_eq!(p[23], 9);
        drop(p);
        Ok(())
    }

    #[test]
    fn page_array_interleaves_over_memory_nodes() -> Result {
        // Exact, over every memory node with room: page k on node k mod n, measured.
        let nodes = roomy_nodes()?;
        let n = nodes.len();
        assert!(n >= 1);
        let pages = 3 * n + 1;
        let per_page = PAGE_SIZE / size_of::<i32>();
        let a = PageArray::<i32>::zeroed(pages * per_page, &nodes, true)?;
        assert_eq!(a.nr_pages(), pages);
        let mut k = 0;
        for node in a.page_nodes() {
            // PANIC: `n >= 1`, so the index is in range.
            assert_eq!(node, Some(nodes[k % n]));
            k += 1;
        }
        assert_eq!(k, pages);
        let (mut total, mut seen, mut min, mut max) = (0, 0, usize::MAX, 0);
        a.pages_per_node(|node, count| {
            assert!(nodes.contains(&node));
            total += count;
            seen += 1;
            min = min.min(count);
            max = max.max(count);
        });
        assert_eq!(total, pages);
        assert_eq!(seen, n);
        assert!(max - min <= 1);
        // 3n + 1 pages: the first node has one page more than the others (when n > 1).
        assert_eq!(max, if n > 1 { 4 } else { pages });

        // Not exact, over every memory node, full ones too: each page on a memory node,
        // on its own where that has room.
        let all = memory_nodes()?;
        let m = all.len();
        let b = PageArray::<u8>::zeroed((2 * m + 1) * PAGE_SIZE, &all, false)?;
        assert_eq!(b.nr_pages(), 2 * m + 1);
        for (k, node) in b.page_nodes().enumerate() {
            assert!(node.is_some_and(|l| topology::node_state(l, NodeState::Memory)));
            // PANIC: `m >= n >= 1`.
            if has_room(all[k % m]) {
                assert_eq!(node, Some(all[k % m]));
            }
        }
        // Exact on a full node: ENOMEM or that node, never another.
        for &node in all.iter().filter(|&&l| !has_room(l)) {
            match PageArray::<u8>::zeroed(PAGE_SIZE, &[node], true) {
                Ok(c) => assert_eq!(c.page_nodes().next(), Some(Some(node))),
                Err(e) => assert_eq!(e, ENOMEM),
            }
        }
        Ok(())
    }

    #[test]
    fn page_array_reads_back_what_was_written() -> Result {
        let nodes = roomy_nodes()?;
        // Two pages and one element: the last page is partly used.
        let len = 2 * PAGE_SIZE / size_of::<i64>() + 1;
        let mut a = PageArray::<i64>::zeroed(len, &nodes, true)?;
        assert_eq!(a.len(), len);
        assert!(!a.is_empty());
        assert_eq!(a.bytes(), len * 8);
        assert_eq!(a.nr_pages(), 3);
        assert!(a.iter().all(|&x| x == 0));
        for (i, x) in a.iter_mut().enumerate() {
            *x = i64::try_from(i).unwrap_or(i64::MAX) * 7 - 3;
        }
        for (i, &x) in a.iter().enumerate() {
            assert_eq!(x, i64::try_from(i).unwrap_or(i64::MAX) * 7 - 3);
        }
        // PANIC: `len > 0`.
        assert_eq!(
            a[len - 1],
            i64::try_from(len - 1).unwrap_or(i64::MAX) * 7 - 3
        );
        Ok(())
    }

    #[test]
    fn empty_page_array_allocates_nothing() -> Result {
        let a = PageArray::<u8>::zeroed(0, &[], true)?;
        assert!(a.is_empty());
        assert_eq!(a.len(), 0);
        assert_eq!(a.bytes(), 0);
        assert_eq!(a.nr_pages(), 0);
        assert_eq!(a.page_nodes().count(), 0);
        assert!(a.is_empty());
        let mut called = false;
        a.pages_per_node(|_, _| called = true);
        assert!(!called);
        Ok(())
    }

    #[test]
    fn page_array_refuses_what_cannot_be() -> Result {
        let nodes = memory_nodes()?;
        assert_eq!(PageArray::<u8>::zeroed(1, &[], true).err(), Some(EINVAL));
        // len * size_of::<T>() overflows.
        assert_eq!(
            PageArray::<i32>::zeroed(usize::MAX / 2, &nodes, true).err(),
            Some(ENOMEM)
        );
        // 1 TiB, more than the machine has; and more pages than vmap() can map.
        assert_eq!(
            PageArray::<u8>::zeroed(1 << 40, &nodes, false).err(),
            Some(ENOMEM)
        );
        assert_eq!(
            PageArray::<u8>::zeroed(PAGE_SIZE << 32, &nodes, false).err(),
            Some(ENOMEM)
        );
        // A node that is not online gets no page: the page already taken on the first
        // node is given back (KASAN and the page counters would see it otherwise).
        let offline = (0..topology::max_numnodes())
            .rev()
            .filter_map(|id| NodeId::new(i32::try_from(id).ok()?))
            .find(|&id| !topology::node_state(id, NodeState::Online));
        if let (Some(offline), Some(&first)) = (offline, nodes.first()) {
            for exact in [true, false] {
                assert_eq!(
                    PageArray::<u8>::zeroed(2 * PAGE_SIZE, &[first, offline], exact).err(),
                    Some(ENOMEM)
                );
            }
        }
        // An online node without memory: nothing there with `exact`, the nearest node
        // with memory without.
        let memoryless =
            topology::online_nodes().find(|&id| !topology::node_state(id, NodeState::Memory));
        if let Some(node) = memoryless {
            assert_eq!(
                PageArray::<u8>::zeroed(PAGE_SIZE, &[node], true).err(),
                Some(ENOMEM)
            );
            let a = PageArray::<u8>::zeroed(PAGE_SIZE, &[node], false)?;
            let landed = a.page_nodes().next().flatten();
            assert!(landed.is_some_and(|l| topology::node_state(l, NodeState::Memory)));
        }
        Ok(())
    }
}

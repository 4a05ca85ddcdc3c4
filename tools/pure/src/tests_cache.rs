// SPDX-License-Identifier: GPL-2.0

//! The prediction cache's table (`rust/pure/cache.rs`): hits return what was stored,
//! entries expire, the least recently used goes first, and the bound holds.

use crate::cache::{entries_for, hash, CacheTable, Stored, MAX_BYTES, MAX_ENTRIES, META};

struct Mem {
    data: [i16; 64],
    meta: [u64; 4 * META],
    tick: u64,
}

/// A table of 4 entries of 3 inputs and 2 outputs (64 values hold more; `meta` bounds).
fn mem() -> Mem {
    Mem {
        data: [0; 64],
        meta: [0; 4 * META],
        tick: 0,
    }
}

impl Mem {
    fn table(&mut self) -> CacheTable<'_> {
        CacheTable::new(3, 2, &mut self.data, &mut self.meta, &mut self.tick)
    }
}

#[test]
fn a_hit_returns_exactly_what_was_stored() {
    let mut m = mem();
    let mut t = m.table();
    assert_eq!(t.entries(), 4);
    let mut out = [0i16; 2];
    assert!(!t.lookup(&[1, 2, 3], &mut out, 10, 100));
    assert_eq!(t.store(&[1, 2, 3], &[-7, 9], 10, 100), Some(Stored::Empty));
    assert!(t.lookup(&[1, 2, 3], &mut out, 20, 100));
    assert_eq!(out, [-7, 9]);
    // Another input, even one of the same hash class, is a miss.
    assert!(!t.lookup(&[1, 2, 4], &mut out, 20, 100));
    // Wrong lengths are never found, never stored.
    assert!(!t.lookup(&[1, 2], &mut out, 20, 100));
    assert_eq!(t.store(&[1, 2], &[0, 0], 20, 100), None);
}

#[test]
fn entries_expire_after_the_timeout() {
    let mut m = mem();
    let mut t = m.table();
    let mut out = [0i16; 2];
    t.store(&[5, 5, 5], &[1, 1], 1000, 50);
    assert!(t.lookup(&[5, 5, 5], &mut out, 1049, 50));
    assert!(!t.lookup(&[5, 5, 5], &mut out, 1050, 50));
    assert_eq!(t.live(1050, 50), 0);
    // An expired entry is reused before a live one is evicted.
    for i in 0..3 {
        assert_eq!(t.store(&[i, 0, 0], &[i, i], 1050, 50), Some(Stored::Empty));
    }
    assert_eq!(
        t.store(&[9, 9, 9], &[9, 9], 1050, 50),
        Some(Stored::Expired)
    );
    assert_eq!(t.live(1050, 50), 4);
}

#[test]
fn the_least_recently_used_is_evicted_first() {
    let mut m = mem();
    let mut t = m.table();
    let mut out = [0i16; 2];
    for i in 0..4 {
        t.store(&[i, 0, 0], &[i, 0], 0, 1000);
    }
    // Use all but entry 2; it goes first, then entry 0 (used least recently of the rest).
    for i in [0, 1, 3] {
        assert!(t.lookup(&[i, 0, 0], &mut out, 1, 1000));
    }
    assert_eq!(t.store(&[7, 0, 0], &[7, 0], 2, 1000), Some(Stored::Evicted));
    assert!(!t.lookup(&[2, 0, 0], &mut out, 3, 1000));
    assert_eq!(t.store(&[8, 0, 0], &[8, 0], 4, 1000), Some(Stored::Evicted));
    assert!(!t.lookup(&[0, 0, 0], &mut out, 5, 1000));
    for i in [1, 3, 7, 8] {
        assert!(t.lookup(&[i, 0, 0], &mut out, 6, 1000), "{i}");
        assert_eq!(out, [i, 0]);
    }
    assert_eq!(t.live(6, 1000), 4);
}

#[test]
fn storing_an_input_twice_refreshes_its_entry() {
    let mut m = mem();
    let mut t = m.table();
    let mut out = [0i16; 2];
    t.store(&[1, 1, 1], &[3, 3], 0, 100);
    assert_eq!(
        t.store(&[1, 1, 1], &[3, 3], 90, 100),
        Some(Stored::Refreshed)
    );
    assert!(t.lookup(&[1, 1, 1], &mut out, 150, 100));
    assert_eq!(t.live(150, 100), 1);
}

#[test]
fn clear_empties_every_entry() {
    let mut m = mem();
    let mut t = m.table();
    let mut out = [0i16; 2];
    t.store(&[1, 1, 1], &[3, 3], 0, 100);
    t.store(&[2, 1, 1], &[3, 3], 0, 100);
    assert_eq!(t.clear(), 2);
    assert!(!t.lookup(&[1, 1, 1], &mut out, 1, 100));
    assert_eq!(t.clear(), 0);
}

#[test]
fn the_bound_holds_for_every_shape() {
    assert_eq!(entries_for(0, 4), 0);
    assert_eq!(entries_for(4, 0), 0);
    assert_eq!(entries_for(4, 2), MAX_ENTRIES);
    for (i, o) in [(64, 10), (784, 10), (4096, 4096), (4096, 1), (1000, 3000)] {
        let n = entries_for(i, o);
        assert!((1..=MAX_ENTRIES).contains(&n));
        assert!(n * (i + o) * 2 <= MAX_BYTES, "{i}x{o}: {n}");
    }
    assert_eq!(entries_for(4096, 4096), 16);
}

#[test]
fn the_hash_tells_order_and_sign_apart() {
    assert_ne!(hash(&[1, 2]), hash(&[2, 1]));
    assert_ne!(hash(&[-1]), hash(&[1]));
    assert_ne!(hash(&[0]), hash(&[0, 0]));
}

#[test]
fn used_counts_stored_entries_whatever_the_clock() {
    let mut m = mem();
    let mut t = m.table();
    t.store(&[1, 1, 1], &[3, 3], 0, 10);
    t.store(&[2, 1, 1], &[3, 3], 0, 10);
    assert_eq!((t.used(), t.live(5, 10)), (2, 2));
    assert_eq!((t.used(), t.live(50, 10)), (2, 0));
    t.clear();
    assert_eq!(t.used(), 0);
}

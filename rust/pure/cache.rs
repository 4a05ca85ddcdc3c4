// SPDX-License-Identifier: GPL-2.0

//! The prediction cache's table: a fixed number of entries, each an input vector and the
//! output the network gave for it, found by a hash of the input and then compared in
//! full, expiring a fixed time after it was stored, the least recently used given up
//! first when the table is full.
//!
//! The table lives in two slices the caller owns (the module: on the node of the
//! network's weights, behind an IRQ-safe spinlock): `data`, [`CacheTable::entries`] of
//! `inputs + outputs` values, and `meta`, [`META`] words per entry (hash, time stored,
//! last use). Nothing here allocates, and a lookup is a pass over the hashes of the
//! entries (at most [`MAX_ENTRIES`]) and one compare per hash that matches.
//!
//! Pure code: only `core`.

use super::num::i16_to_bits;

/// The most entries of one network's cache.
pub const MAX_ENTRIES: usize = 256;

/// The most bytes of one network's cache: its entries' values ([`MAX_ENTRIES`] entries
/// or fewer, of at least one).
pub const MAX_BYTES: usize = 256 * 1024;

/// Words of `meta` per entry: the input's hash, the time it was stored, and the tick of
/// its last use (0: the entry is empty).
pub const META: usize = 3;

/// The entries a cache of a network with these vector lengths has: as many as fit
/// [`MAX_BYTES`] (at least one), at most [`MAX_ENTRIES`]; 0 for lengths of 0.
pub const fn entries_for(inputs: usize, outputs: usize) -> usize {
    if inputs == 0 || outputs == 0 {
        return 0;
    }
    // No panic path: the sizes are checked already, but nothing here relies on it.
    let per = inputs.saturating_add(outputs).saturating_mul(2);
    let fit = match MAX_BYTES.checked_div(per) {
        Some(f) => f,
        None => 0,
    };
    if fit == 0 {
        1
    } else if fit > MAX_ENTRIES {
        MAX_ENTRIES
    } else {
        fit
    }
}

/// The hash of an input vector (FNV-1a over its values).
pub fn hash(input: &[i16]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &v in input {
        h = (h ^ u64::from(i16_to_bits(v))).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// What a store did to the entry it took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored {
    /// It was empty.
    Empty,
    /// It held an entry that had expired.
    Expired,
    /// It held the least recently used live entry, evicted.
    Evicted,
    /// The input was there already (stored by another CPU meanwhile): refreshed.
    Refreshed,
}

/// A cache table over the caller's slices.
pub struct CacheTable<'a> {
    inputs: usize,
    outputs: usize,
    data: &'a mut [i16],
    meta: &'a mut [u64],
    /// The last tick handed out (the caller keeps it between borrows).
    tick: &'a mut u64,
}

impl<'a> CacheTable<'a> {
    /// The table of vectors of `inputs` and `outputs` values in `data` and `meta` (as
    /// many entries as both hold whole); `tick` counts uses.
    pub fn new(
        inputs: usize,
        outputs: usize,
        data: &'a mut [i16],
        meta: &'a mut [u64],
        tick: &'a mut u64,
    ) -> Self {
        Self {
            inputs,
            outputs,
            data,
            meta,
            tick,
        }
    }

    /// The entries the slices hold.
    pub fn entries(&self) -> usize {
        let per = self.inputs + self.outputs;
        if per == 0 {
            return 0;
        }
        (self.data.len() / per).min(self.meta.len() / META)
    }

    /// The entries in use: stored and not emptied since (expired ones too, until one is
    /// reused).
    pub fn used(&self) -> usize {
        (0..self.entries())
            .filter(|&i| self.meta[i * META + 2] != 0)
            .count()
    }

    /// The live entries at `now` under `timeout`.
    pub fn live(&self, now: u64, timeout: u64) -> usize {
        (0..self.entries())
            .filter(|&i| self.is_live(i, now, timeout))
            .count()
    }

    fn is_live(&self, i: usize, now: u64, timeout: u64) -> bool {
        let m = &self.meta[i * META..(i + 1) * META];
        m[2] != 0 && now.wrapping_sub(m[1]) < timeout
    }

    fn next_tick(&mut self) -> u64 {
        *self.tick = self.tick.wrapping_add(1).max(1);
        *self.tick
    }

    /// The entry holding `input` and live at `now` (stored less than `timeout` before).
    fn find(&self, input: &[i16], h: u64, now: u64, timeout: u64) -> Option<usize> {
        let per = self.inputs + self.outputs;
        (0..self.entries()).find(|&i| {
            self.meta[i * META] == h
                && self.is_live(i, now, timeout)
                && self.data[i * per..i * per + self.inputs] == *input
        })
    }

    /// Copies the output cached for `input` (of the table's input length) to `output`
    /// and returns true, if an entry for it is live at `now`; false otherwise (a wrong
    /// length is never found).
    pub fn lookup(&mut self, input: &[i16], output: &mut [i16], now: u64, timeout: u64) -> bool {
        if input.len() != self.inputs || output.len() != self.outputs {
            return false;
        }
        let Some(i) = self.find(input, hash(input), now, timeout) else {
            return false;
        };
        let per = self.inputs + self.outputs;
        output.copy_from_slice(&self.data[i * per + self.inputs..(i + 1) * per]);
        let t = self.next_tick();
        self.meta[i * META + 2] = t;
        true
    }

    /// Stores `output` as the answer for `input` at `now`: in the entry that holds it
    /// already, else an empty one, else one expired under `timeout`, else the least
    /// recently used. `None` for wrong lengths or a table of no entry.
    pub fn store(
        &mut self,
        input: &[i16],
        output: &[i16],
        now: u64,
        timeout: u64,
    ) -> Option<Stored> {
        if input.len() != self.inputs || output.len() != self.outputs || self.entries() == 0 {
            return None;
        }
        let h = hash(input);
        let n = self.entries();
        let (slot, how) = if let Some(i) = self.find(input, h, now, timeout) {
            (i, Stored::Refreshed)
        } else if let Some(i) = (0..n).find(|&i| self.meta[i * META + 2] == 0) {
            (i, Stored::Empty)
        } else if let Some(i) = (0..n).find(|&i| !self.is_live(i, now, timeout)) {
            (i, Stored::Expired)
        } else {
            let lru = (0..n).min_by_key(|&i| self.meta[i * META + 2])?;
            (lru, Stored::Evicted)
        };
        let per = self.inputs + self.outputs;
        let entry = &mut self.data[slot * per..(slot + 1) * per];
        entry[..self.inputs].copy_from_slice(input);
        entry[self.inputs..].copy_from_slice(output);
        let t = self.next_tick();
        let m = &mut self.meta[slot * META..(slot + 1) * META];
        m[0] = h;
        m[1] = now;
        m[2] = t;
        Some(how)
    }

    /// Empties every entry; returns how many were in use (live or expired).
    pub fn clear(&mut self) -> usize {
        let mut n = 0;
        for m in self.meta.chunks_mut(META) {
            if m.len() == META && m[2] != 0 {
                n += 1;
                m[2] = 0;
            }
        }
        n
    }
}

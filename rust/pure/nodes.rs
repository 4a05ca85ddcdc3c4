// SPDX-License-Identifier: GPL-2.0

//! NUMA node sets and the topology decisions made over them.
//!
//! - [`NodeMask`]: a set of node ids below [`MAX_NODES`], read from and written in the
//!   kernel's list syntax (`0-3,6`), as the module parameter `neural_numa_nodes=` and the
//!   `create ... nodes=` command take it.
//! - [`Topology`]: what the decisions need to know about a machine. The module implements
//!   it over the live topology (`node_states[]`, `node_distance()`, the zone counters);
//!   the host tests implement it with made-up tables.
//! - Functions over a [`Topology`]: the nodes with memory or CPUs, the nodes in order of
//!   distance, the nearest node with memory, the best node for a request, the fallback of
//!   the `preferred` policy, the checks of a node or a node list given by the user, and
//!   round-robin over a node list.
//!
//! Pure code: it needs only `core`, allocates nothing and panics on no input, so that
//! `tools/pure` builds the same file and tests it on the host.
//!
//! None of the functions here passes a [`Topology`] a node id that is not below its
//! [`Topology::node_limit`] (nor [`MAX_NODES`]): a bit of [`Topology::online`] at or above
//! the limit is ignored, and a `from` or `preferred` node out of range finds no node.

use core::fmt;

use super::cpulist::write_cpulist;

/// The most node ids there can be: the kernel's largest `MAX_NUMNODES` (`NODES_SHIFT` 10).
pub const MAX_NODES: usize = 1024;

/// [`MAX_NODES`] as a node id bound.
const MAX_NODES_U32: u32 = 1024;

/// The 64-bit words of a [`NodeMask`].
const WORDS: usize = MAX_NODES / 64;

/// The longest node list [`NodeMask::parse`] reads, in bytes (surrounding whitespace
/// included). Every set of 1024 nodes can be written in far fewer.
pub const MAX_NODELIST_LEN: usize = 4096;

/// The node id of bit `bit` of word `word` of a [`NodeMask`].
///
/// The callers pass `word < WORDS` and `bit < 64`, so the result is below [`MAX_NODES`]
/// and the arithmetic cannot overflow.
fn node_of(word: usize, bit: u32) -> u32 {
    // Out of range (never, by the callers) it saturates to an id no node has.
    let word = u32::try_from(word).unwrap_or(u32::MAX);
    word.saturating_mul(64).saturating_add(bit)
}

/// The word index and the bit of `node` in a [`NodeMask`], if `node < MAX_NODES`.
fn word_bit(node: u32) -> Option<(usize, u64)> {
    if node >= MAX_NODES_U32 {
        return None;
    }
    let word = usize::try_from(node / 64).ok()?;
    Some((word, 1u64 << (node % 64)))
}

/// A set of NUMA node ids, each below [`MAX_NODES`]: the Rust side of a `nodemask_t`.
///
/// `Display` writes it in the kernel's list syntax (`0-3,6`; an empty set writes nothing),
/// which [`NodeMask::parse`] reads back.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct NodeMask {
    words: [u64; WORDS],
}

impl NodeMask {
    /// The empty set.
    pub const EMPTY: NodeMask = NodeMask { words: [0; WORDS] };

    /// Returns the empty set.
    pub const fn new() -> Self {
        Self::EMPTY
    }

    /// Returns the set of all nodes below `limit` (all [`MAX_NODES`] if `limit` is above).
    pub fn below(limit: u32) -> Self {
        let limit = usize::try_from(limit.min(MAX_NODES_U32)).unwrap_or(MAX_NODES);
        let mut mask = Self::EMPTY;
        let mut start = 0usize;
        for word in mask.words.iter_mut() {
            let bits = limit.saturating_sub(start);
            *word = if bits >= 64 {
                u64::MAX
            } else {
                // `bits < 64`: the shift is in range and `1 << bits` is at least 1.
                (1u64 << bits).wrapping_sub(1)
            };
            start = start.saturating_add(64);
        }
        mask
    }

    /// Returns the set of the nodes of `nodes`; ids not below [`MAX_NODES`] are left out.
    pub fn from_nodes<I: IntoIterator<Item = u32>>(nodes: I) -> Self {
        let mut mask = Self::EMPTY;
        for node in nodes {
            mask.set(node);
        }
        mask
    }

    /// Adds `node`; returns `false` (and changes nothing) if `node` is not below
    /// [`MAX_NODES`].
    pub fn set(&mut self, node: u32) -> bool {
        match word_bit(node).and_then(|(w, bit)| Some((self.words.get_mut(w)?, bit))) {
            Some((word, bit)) => {
                *word |= bit;
                true
            }
            None => false,
        }
    }

    /// Removes `node`; returns `false` (and changes nothing) if `node` is not below
    /// [`MAX_NODES`].
    pub fn clear(&mut self, node: u32) -> bool {
        match word_bit(node).and_then(|(w, bit)| Some((self.words.get_mut(w)?, bit))) {
            Some((word, bit)) => {
                *word &= !bit;
                true
            }
            None => false,
        }
    }

    /// Whether `node` is in the set (never for a node not below [`MAX_NODES`]).
    pub fn contains(&self, node: u32) -> bool {
        word_bit(node)
            .and_then(|(w, bit)| Some(self.words.get(w)? & bit != 0))
            .unwrap_or(false)
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// The number of nodes in the set.
    pub fn count(&self) -> usize {
        self.words
            .iter()
            .map(|w| usize::try_from(w.count_ones()).unwrap_or(64))
            .sum()
    }

    /// The lowest node of the set.
    pub fn first(&self) -> Option<u32> {
        self.iter().next()
    }

    /// The `k`-th node of the set in increasing order (from 0), skipping whole words.
    pub fn nth(&self, k: usize) -> Option<u32> {
        let mut left = k;
        for (i, &word) in self.words.iter().enumerate() {
            let ones = usize::try_from(word.count_ones()).unwrap_or(64);
            if let Some(rest) = left.checked_sub(ones) {
                left = rest;
                continue;
            }
            let mut bits = word;
            for _ in 0..left {
                // `left < ones`: `bits` still has a bit set, so `bits - 1` does not wrap.
                bits &= bits.wrapping_sub(1);
            }
            return Some(node_of(i, bits.trailing_zeros()));
        }
        None
    }

    /// The nodes of the set in increasing order.
    pub fn iter(&self) -> NodeIter {
        NodeIter {
            words: self.words,
            index: 0,
        }
    }

    /// The nodes in both `self` and `other`.
    pub fn and(&self, other: &NodeMask) -> NodeMask {
        let mut mask = *self;
        for (w, o) in mask.words.iter_mut().zip(other.words.iter()) {
            *w &= *o;
        }
        mask
    }

    /// The nodes in `self` or `other` (or both).
    pub fn or(&self, other: &NodeMask) -> NodeMask {
        let mut mask = *self;
        for (w, o) in mask.words.iter_mut().zip(other.words.iter()) {
            *w |= *o;
        }
        mask
    }

    /// The nodes of the set for which `keep` returns `true`, asked in increasing order.
    pub fn filter<F: FnMut(u32) -> bool>(&self, mut keep: F) -> NodeMask {
        let mut mask = NodeMask::EMPTY;
        for node in self.iter() {
            if keep(node) {
                mask.set(node);
            }
        }
        mask
    }

    /// Reads a node list in the syntax of the kernel's `nodelist_parse()`
    /// (`bitmap_parselist()`): ids and ranges `a-b` (`a <= b`, both included) in decimal,
    /// separated by commas, such as `0-3,6`. Ids may repeat and ranges may overlap.
    ///
    /// Surrounding ASCII whitespace (a trailing newline, as `echo` writes) is allowed;
    /// whitespace inside is not. Every id must be below `limit`, the running kernel's
    /// `MAX_NUMNODES` (a `limit` above [`MAX_NODES`] counts as [`MAX_NODES`]).
    ///
    /// Stricter than the kernel: ranges with a stride (`a-b:c/d`), the `N` (last id) and
    /// `all` forms, and empty items (`1,,2`, a leading or trailing comma) are refused.
    ///
    /// # Errors
    ///
    /// [`NodeListError::TooLong`] for text longer than [`MAX_NODELIST_LEN`] bytes,
    /// [`NodeListError::Empty`] for text that is empty once trimmed,
    /// [`NodeListError::EmptyItem`], [`NodeListError::BadNumber`],
    /// [`NodeListError::Overflow`] (an id too large for a `u32`), [`NodeListError::Stride`]
    /// and [`NodeListError::BadRange`] (`a > b`) for malformed lists, and
    /// [`NodeListError::OutOfRange`] for an id not below `limit`. The first error from the
    /// left is reported.
    pub fn parse(text: &str, limit: u32) -> Result<NodeMask, NodeListError> {
        if text.len() > MAX_NODELIST_LEN {
            return Err(NodeListError::TooLong);
        }
        let list = text.trim_matches(|c: char| c.is_ascii_whitespace());
        if list.is_empty() {
            return Err(NodeListError::Empty);
        }
        let limit = limit.min(MAX_NODES_U32);
        let mut mask = NodeMask::EMPTY;
        for item in list.split(',') {
            if item.is_empty() {
                return Err(NodeListError::EmptyItem);
            }
            if item.contains([':', '/']) {
                return Err(NodeListError::Stride);
            }
            let (first, last) = match item.split_once('-') {
                Some((first, last)) => (parse_id(first)?, parse_id(last)?),
                None => {
                    let id = parse_id(item)?;
                    (id, id)
                }
            };
            if first > last {
                return Err(NodeListError::BadRange { first, last });
            }
            if first >= limit {
                return Err(NodeListError::OutOfRange { node: first, limit });
            }
            if last >= limit {
                return Err(NodeListError::OutOfRange { node: last, limit });
            }
            // `last < limit <= MAX_NODES`: at most 1024 ids.
            for node in first..=last {
                mask.set(node);
            }
        }
        Ok(mask)
    }
}

/// Reads a decimal node id: one or more ASCII digits, nothing else.
fn parse_id(text: &str) -> Result<u32, NodeListError> {
    if text.is_empty() {
        return Err(NodeListError::BadNumber);
    }
    let mut id: u32 = 0;
    for c in text.chars() {
        let digit = c.to_digit(10).ok_or(NodeListError::BadNumber)?;
        id = id
            .checked_mul(10)
            .and_then(|id| id.checked_add(digit))
            .ok_or(NodeListError::Overflow)?;
    }
    Ok(id)
}

impl fmt::Display for NodeMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_cpulist(f, self.iter())
    }
}

impl fmt::Debug for NodeMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeMask[{self}]")
    }
}

impl FromIterator<u32> for NodeMask {
    /// As [`NodeMask::from_nodes`]: ids not below [`MAX_NODES`] are left out.
    fn from_iter<I: IntoIterator<Item = u32>>(nodes: I) -> Self {
        Self::from_nodes(nodes)
    }
}

impl IntoIterator for NodeMask {
    type Item = u32;
    type IntoIter = NodeIter;

    fn into_iter(self) -> NodeIter {
        self.iter()
    }
}

impl IntoIterator for &NodeMask {
    type Item = u32;
    type IntoIter = NodeIter;

    fn into_iter(self) -> NodeIter {
        self.iter()
    }
}

/// The nodes of a [`NodeMask`] in increasing order (from [`NodeMask::iter`]).
///
/// It iterates over a copy: changing the mask afterwards does not change it.
#[derive(Clone, Debug)]
pub struct NodeIter {
    words: [u64; WORDS],
    index: usize,
}

impl Iterator for NodeIter {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        while let Some(word) = self.words.get_mut(self.index) {
            if *word != 0 {
                let bit = word.trailing_zeros();
                // `*word != 0`, so `*word - 1` does not wrap; this clears the lowest bit.
                *word &= word.wrapping_sub(1);
                return Some(node_of(self.index, bit));
            }
            self.index = self.index.saturating_add(1);
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = NodeMask { words: self.words }.count();
        (left, Some(left))
    }
}

impl ExactSizeIterator for NodeIter {}

impl core::iter::FusedIterator for NodeIter {}

/// Why a node list was refused by [`NodeMask::parse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeListError {
    /// No ids: the text is empty or only whitespace.
    Empty,
    /// Longer than [`MAX_NODELIST_LEN`] bytes.
    TooLong,
    /// An empty item: two commas in a row, or a comma at the start or the end.
    EmptyItem,
    /// An id that is not a decimal number (a letter, a sign, inner whitespace, a range
    /// without its first or last id, ...).
    BadNumber,
    /// An id too large for a `u32`.
    Overflow,
    /// A range with a stride (`a-b:c/d`), which is not supported.
    Stride,
    /// A range `first-last` with `first > last`.
    BadRange {
        /// The range's first id.
        first: u32,
        /// The range's last id.
        last: u32,
    },
    /// An id not below the kernel's `MAX_NUMNODES`.
    OutOfRange {
        /// The id.
        node: u32,
        /// `MAX_NUMNODES`.
        limit: u32,
    },
}

impl NodeListError {
    /// A short reason, for logs and `nnctl`; `Display` adds the ids involved.
    pub fn reason(self) -> &'static str {
        match self {
            NodeListError::Empty => "the node list is empty",
            NodeListError::TooLong => "the node list is longer than 4096 bytes",
            NodeListError::EmptyItem => "empty item in the node list",
            NodeListError::BadNumber => "a node id is not a decimal number",
            NodeListError::Overflow => "a node id is too large",
            NodeListError::Stride => "ranges with a stride (a-b:c/d) are not supported",
            NodeListError::BadRange { .. } => "a range's first node is above its last",
            NodeListError::OutOfRange { .. } => "a node is out of range",
        }
    }
}

impl fmt::Display for NodeListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            NodeListError::BadRange { first, last } => {
                write!(f, "range {first}-{last} is reversed (first above last)")
            }
            NodeListError::OutOfRange { node, limit } => {
                write!(f, "node {node} is out of range (MAX_NUMNODES {limit})")
            }
            other => f.write_str(other.reason()),
        }
    }
}

/// A machine's NUMA topology, as the decisions of this file need it.
///
/// The module implements it over the live topology; the host tests with made-up tables.
/// The functions of this file call the node methods only with ids below
/// [`Topology::node_limit`] and [`MAX_NODES`].
pub trait Topology {
    /// One more than the highest node id that may exist (`MAX_NUMNODES`).
    fn node_limit(&self) -> u32;
    /// The online nodes (`node_states[N_ONLINE]`).
    fn online(&self) -> NodeMask;
    /// Whether `node` has memory (`node_states[N_MEMORY]`).
    fn has_memory(&self, node: u32) -> bool;
    /// Whether `node` has CPUs (`node_states[N_CPU]`).
    fn has_cpus(&self, node: u32) -> bool;
    /// SLIT distance, 10 = local.
    fn distance(&self, from: u32, to: u32) -> u32;
    /// Free memory of the node in KiB.
    fn free_kib(&self, node: u32) -> u64;
}

/// The topology's node limit, at most [`MAX_NODES`].
fn limit_of<T: Topology + ?Sized>(t: &T) -> u32 {
    t.node_limit().min(MAX_NODES_U32)
}

/// The online nodes below the node limit.
fn online_nodes<T: Topology + ?Sized>(t: &T) -> NodeMask {
    t.online().and(&NodeMask::below(limit_of(t)))
}

/// The online nodes with memory.
pub fn memory_nodes<T: Topology + ?Sized>(t: &T) -> NodeMask {
    online_nodes(t).filter(|node| t.has_memory(node))
}

/// The online nodes with CPUs.
pub fn cpu_nodes<T: Topology + ?Sized>(t: &T) -> NodeMask {
    online_nodes(t).filter(|node| t.has_cpus(node))
}

/// The number of online nodes.
pub fn node_count<T: Topology + ?Sized>(t: &T) -> usize {
    online_nodes(t).count()
}

/// The online nodes with memory whose free memory can hold `bytes` (rounded up to KiB),
/// each node's free memory read once.
pub fn nodes_with_room<T: Topology + ?Sized>(t: &T, bytes: u64) -> NodeMask {
    let need_kib = bytes.div_ceil(1024);
    memory_nodes(t).filter(|node| t.free_kib(node) >= need_kib)
}

/// The nodes of `candidates` in the order of a zonelist built on `from`: `from` first if
/// it is a candidate, then the others in increasing distance from `from`, ties broken by
/// the lower id, as the kernel's `build_zonelists()` orders them.
///
/// Nothing is allocated: each step selects the nearest candidate left, so going through
/// all `n` candidates asks at most `n * (n + 1) / 2` distances, about 525 000 for 1024
/// nodes. Candidates not below the node limit are left out; if `from` is not below it,
/// there are none.
pub fn by_distance<T: Topology + ?Sized>(
    t: &T,
    from: u32,
    candidates: NodeMask,
) -> ByDistance<'_, T> {
    let limit = limit_of(t);
    let left = if from < limit {
        candidates.and(&NodeMask::below(limit))
    } else {
        NodeMask::EMPTY
    };
    ByDistance {
        topology: t,
        from,
        left,
    }
}

/// The iterator of [`by_distance`].
pub struct ByDistance<'a, T: ?Sized> {
    topology: &'a T,
    from: u32,
    left: NodeMask,
}

impl<T: ?Sized> Clone for ByDistance<'_, T> {
    fn clone(&self) -> Self {
        ByDistance {
            topology: self.topology,
            from: self.from,
            left: self.left,
        }
    }
}

impl<T: Topology + ?Sized> Iterator for ByDistance<'_, T> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let node = if self.left.contains(self.from) {
            self.from
        } else {
            let mut best: Option<(u32, u32)> = None;
            for node in self.left.iter() {
                let distance = self.topology.distance(self.from, node);
                // Strictly nearer only: of equal distances the first, lowest id stays.
                let nearer = match best {
                    Some((nearest, _)) => distance < nearest,
                    None => true,
                };
                if nearer {
                    best = Some((distance, node));
                }
            }
            best?.1
        };
        self.left.clear(node);
        Some(node)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.left.count();
        (left, Some(left))
    }
}

impl<T: Topology + ?Sized> ExactSizeIterator for ByDistance<'_, T> {}

impl<T: Topology + ?Sized> core::iter::FusedIterator for ByDistance<'_, T> {}

/// `from` itself if it is online with memory, else the nearest online node with memory
/// (ties: the lowest id); `None` if there is none or `from` is out of range.
pub fn nearest_with_memory<T: Topology + ?Sized>(t: &T, from: u32) -> Option<u32> {
    by_distance(t, from, memory_nodes(t)).next()
}

/// The node of `mask` that is online with memory and nearest `from`: `from` itself if it
/// is one, else by distance, ties to the lowest id. For replicated data, the copy a CPU
/// of node `from` reads.
pub fn nearest_in<T: Topology + ?Sized>(t: &T, from: u32, mask: NodeMask) -> Option<u32> {
    by_distance(t, from, mask.and(&memory_nodes(t))).next()
}

/// The best node for `bytes` requested from node `from`: of the online nodes with memory
/// whose free memory can hold `bytes`, those at the smallest distance from `from`, and of
/// those the one with the most free memory (ties: the lowest id).
///
/// `None` if no node can hold `bytes` or `from` is out of range. Unlike [`by_distance`],
/// `from` has no precedence over another node at the same distance.
pub fn best_node<T: Topology + ?Sized>(t: &T, from: u32, bytes: u64) -> Option<u32> {
    if from >= limit_of(t) {
        return None;
    }
    let need_kib = bytes.div_ceil(1024);
    // (distance, free KiB, node) of the best node so far.
    let mut best: Option<(u32, u64, u32)> = None;
    for node in memory_nodes(t).iter() {
        let free = t.free_kib(node);
        if free < need_kib {
            continue;
        }
        let distance = t.distance(from, node);
        let better = match best {
            None => true,
            Some((d, f, _)) => distance < d || (distance == d && free > f),
        };
        if better {
            best = Some((distance, free, node));
        }
    }
    best.map(|(_, _, node)| node)
}

/// The node of the `preferred` policy for `bytes`: `preferred` if it is online with memory
/// and room for `bytes`, else the nearest such node to `preferred` (ties: the lowest id).
///
/// `None` if no node can hold `bytes` or `preferred` is out of range.
pub fn fallback<T: Topology + ?Sized>(t: &T, preferred: u32, bytes: u64) -> Option<u32> {
    by_distance(t, preferred, nodes_with_room(t, bytes)).next()
}

/// Why a node or a node list given by the user cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeError {
    /// The node is not below the kernel's `MAX_NUMNODES`.
    OutOfRange {
        /// The node.
        node: u32,
        /// `MAX_NUMNODES`.
        limit: u32,
    },
    /// The node is offline.
    Offline(u32),
    /// The node has no memory and memory is to be placed on it.
    NoMemory(u32),
    /// The node list is empty.
    EmptyList,
}

impl NodeError {
    /// A short reason, for logs and `nnctl`; `Display` adds the node.
    pub fn reason(self) -> &'static str {
        match self {
            NodeError::OutOfRange { .. } => "node out of range",
            NodeError::Offline(_) => "node offline",
            NodeError::NoMemory(_) => "node has no memory",
            NodeError::EmptyList => "the node list is empty",
        }
    }

    /// The node refused, if the error is about one.
    pub fn node(self) -> Option<u32> {
        match self {
            NodeError::OutOfRange { node, .. } | NodeError::Offline(node) => Some(node),
            NodeError::NoMemory(node) => Some(node),
            NodeError::EmptyList => None,
        }
    }
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            NodeError::OutOfRange { node, limit } => {
                write!(f, "node {node} is out of range (MAX_NUMNODES {limit})")
            }
            NodeError::Offline(node) => write!(f, "node {node} is offline"),
            NodeError::NoMemory(node) => write!(f, "node {node} has no memory"),
            NodeError::EmptyList => f.write_str("the node list is empty"),
        }
    }
}

/// Checks that `node` can be used: below the node limit, online, and with memory if
/// `need_memory`.
///
/// # Errors
///
/// [`NodeError::OutOfRange`], [`NodeError::Offline`] or [`NodeError::NoMemory`], in that
/// order of precedence.
pub fn check_node<T: Topology + ?Sized>(
    t: &T,
    node: u32,
    need_memory: bool,
) -> Result<(), NodeError> {
    check_one(t, node, limit_of(t), &t.online(), need_memory)
}

/// [`check_node`] with the node limit and the online nodes already read.
fn check_one<T: Topology + ?Sized>(
    t: &T,
    node: u32,
    limit: u32,
    online: &NodeMask,
    need_memory: bool,
) -> Result<(), NodeError> {
    if node >= limit {
        return Err(NodeError::OutOfRange { node, limit });
    }
    if !online.contains(node) {
        return Err(NodeError::Offline(node));
    }
    if need_memory && !t.has_memory(node) {
        return Err(NodeError::NoMemory(node));
    }
    Ok(())
}

/// Checks every node of `mask` as [`check_node`] does.
///
/// # Errors
///
/// [`NodeError::EmptyList`] for an empty `mask`, else the error of its lowest node that
/// cannot be used.
pub fn check_mask<T: Topology + ?Sized>(
    t: &T,
    mask: NodeMask,
    need_memory: bool,
) -> Result<(), NodeError> {
    if mask.is_empty() {
        return Err(NodeError::EmptyList);
    }
    let limit = limit_of(t);
    let online = t.online();
    mask.iter()
        .try_for_each(|node| check_one(t, node, limit, &online, need_memory))
}

/// The `(k mod n)`-th node of `mask` in increasing order, `n` being its number of nodes:
/// round-robin of layers or pages over a node list. `None` for an empty `mask`.
pub fn interleave_node(mask: NodeMask, k: usize) -> Option<u32> {
    mask.nth(k.checked_rem(mask.count())?)
}

// SPDX-License-Identifier: GPL-2.0

//! NUMA node sets: [`NodeMask`], a set of node ids below [`MAX_NODES`], read from and
//! written in the kernel's list syntax (`0-3,6`), as the module parameter
//! `neural_numa_nodes=` and the `create ... nodes=` command take it; its iterator, and
//! why a node list is refused ([`NodeListError`]).
//!
//! Pure code: it needs only `core`, allocates nothing and panics on no input, so that
//! `tools/pure` builds the same file and tests it on the host.

use core::fmt;

use super::cpulist::write_cpulist;

/// The most node ids there can be: the kernel's largest `MAX_NUMNODES` (`NODES_SHIFT` 10).
pub const MAX_NODES: usize = 1024;

/// [`MAX_NODES`] as a node id bound.
pub(super) const MAX_NODES_U32: u32 = 1024;

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

/// Why a node given in a command is refused: `create`'s `node=` and `nodes=`, `config`'s
/// `node`, `migrate` and `nodes` ([`parse_node_arg`], [`parse_nodes_arg`]). Each command
/// words its log line itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeArgError<'a> {
    /// A node id that is not a `u32`.
    NotNumber,
    /// A node id not below `MAX_NUMNODES`.
    OutOfRange {
        /// The node.
        node: u32,
        /// `MAX_NUMNODES`.
        limit: u32,
    },
    /// A node list that [`NodeMask::parse`] refuses.
    List {
        /// The list's text.
        text: &'a str,
        /// Why.
        error: NodeListError,
    },
}

/// Reads a node id as the commands take it: a `u32` as `str::parse` reads it (a leading
/// `+` allowed), below `limit` (`MAX_NUMNODES`).
///
/// # Errors
///
/// [`NodeArgError::NotNumber`], [`NodeArgError::OutOfRange`].
pub fn parse_node_arg(text: &str, limit: u32) -> Result<u32, NodeArgError<'_>> {
    let node = text.parse::<u32>().map_err(|_| NodeArgError::NotNumber)?;
    if node >= limit {
        return Err(NodeArgError::OutOfRange { node, limit });
    }
    Ok(node)
}

/// Reads a node list as the commands take it ([`NodeMask::parse`], ids below `limit`),
/// with its text for the log.
///
/// # Errors
///
/// [`NodeArgError::List`].
pub fn parse_nodes_arg(text: &str, limit: u32) -> Result<(NodeMask, &str), NodeArgError<'_>> {
    let mask = NodeMask::parse(text, limit).map_err(|error| NodeArgError::List { text, error })?;
    Ok((mask, text))
}

// SPDX-License-Identifier: GPL-2.0

//! Host tests of node masks and lists (`rust/pure/nodemask.rs`) and the topology
//! decisions (`rust/pure/nodes.rs`), on made-up machines.

extern crate std;

use std::cell::Cell;
use std::format;
use std::string::{String, ToString};
use std::vec;
use std::vec::Vec;

use crate::nodemask::{NodeListError, NodeMask, MAX_NODELIST_LEN, MAX_NODES};
use crate::nodes::{
    best_node, by_distance, check_mask, check_node, cpu_nodes, fallback, interleave_node,
    memory_nodes, nearest_in, nearest_with_memory, node_count, nodes_with_room, NodeError,
    Topology,
};

/// 1 GiB in KiB.
const GIB_KIB: u64 = 1 << 20;

/// A made-up machine: nodes `0..dist.len()`, all online with CPUs, memory and 1 GiB free
/// unless changed, `MAX_NUMNODES` 64. It panics if asked about a node not below its limit,
/// which `nodes.rs` promises never to do.
struct Machine {
    limit: u32,
    online: NodeMask,
    memory: Vec<bool>,
    cpus: Vec<bool>,
    free: Vec<u64>,
    dist: Vec<Vec<u32>>,
    distances_asked: Cell<usize>,
}

impl Machine {
    fn new(dist: Vec<Vec<u32>>) -> Self {
        let n = dist.len();
        for row in &dist {
            assert_eq!(row.len(), n, "distance matrix must be square");
        }
        Machine {
            limit: 64,
            online: NodeMask::below(n as u32),
            memory: vec![true; n],
            cpus: vec![true; n],
            free: vec![GIB_KIB; n],
            dist,
            distances_asked: Cell::new(0),
        }
    }

    /// `n` nodes in a ring: 10 locally, 10 more per hop the short way round.
    fn ring(n: u32) -> Self {
        let dist = (0..n)
            .map(|i| (0..n).map(|j| 10 + 10 * ring_hops(n, i, j)).collect())
            .collect();
        Machine::new(dist)
    }

    fn memoryless(mut self, nodes: &[u32]) -> Self {
        for &n in nodes {
            self.memory[n as usize] = false;
            self.free[n as usize] = 0;
        }
        self
    }

    fn cpuless(mut self, nodes: &[u32]) -> Self {
        for &n in nodes {
            self.cpus[n as usize] = false;
        }
        self
    }

    fn offline(mut self, nodes: &[u32]) -> Self {
        for &n in nodes {
            self.online.clear(n);
        }
        self
    }

    fn free(mut self, node: u32, kib: u64) -> Self {
        self.free[node as usize] = kib;
        self
    }

    fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    fn index(&self, node: u32) -> usize {
        assert!(
            node < self.limit,
            "asked about node {node}, MAX_NUMNODES {}",
            self.limit
        );
        node as usize
    }
}

fn ring_hops(n: u32, i: u32, j: u32) -> u32 {
    let d = i.abs_diff(j);
    d.min(n - d)
}

impl Topology for Machine {
    fn node_limit(&self) -> u32 {
        self.limit
    }

    fn online(&self) -> NodeMask {
        self.online
    }

    fn has_memory(&self, node: u32) -> bool {
        let i = self.index(node);
        self.memory.get(i).copied().unwrap_or(false)
    }

    fn has_cpus(&self, node: u32) -> bool {
        let i = self.index(node);
        self.cpus.get(i).copied().unwrap_or(false)
    }

    fn distance(&self, from: u32, to: u32) -> u32 {
        let (i, j) = (self.index(from), self.index(to));
        self.distances_asked.set(self.distances_asked.get() + 1);
        self.dist
            .get(i)
            .and_then(|row| row.get(j))
            .copied()
            .unwrap_or(255)
    }

    fn free_kib(&self, node: u32) -> u64 {
        let i = self.index(node);
        self.free.get(i).copied().unwrap_or(0)
    }
}

fn mask(nodes: &[u32]) -> NodeMask {
    NodeMask::from_nodes(nodes.iter().copied())
}

fn order<T: Topology>(t: &T, from: u32, candidates: NodeMask) -> Vec<u32> {
    by_distance(t, from, candidates).collect()
}

fn all(t: &Machine) -> NodeMask {
    t.online
}

// ---- NodeMask ----

#[test]
fn mask_set_clear_contains() {
    let mut m = NodeMask::new();
    assert!(m.is_empty());
    assert_eq!(m, NodeMask::EMPTY);
    assert_eq!(m, NodeMask::default());
    assert_eq!(m.count(), 0);
    assert_eq!(m.first(), None);
    assert!(m.set(3));
    assert!(m.set(1023));
    assert!(!m.set(1024));
    assert!(!m.set(u32::MAX));
    assert!(m.contains(3));
    assert!(m.contains(1023));
    assert!(!m.contains(2));
    assert!(!m.contains(1024));
    assert!(!m.contains(u32::MAX));
    assert_eq!(m.count(), 2);
    assert_eq!(m.first(), Some(3));
    assert!(m.clear(3));
    assert!(!m.clear(1024));
    assert!(!m.contains(3));
    assert_eq!(m.first(), Some(1023));
    assert!(m.clear(1023));
    assert!(m.is_empty());
}

#[test]
fn mask_iterates_in_increasing_order_across_words() {
    let nodes = [0, 1, 63, 64, 65, 127, 128, 500, 959, 960, 1022, 1023];
    // Set in a scrambled order, with one out-of-range id that must be left out.
    let m: NodeMask = [1023, 64, 0, 5000, 960, 127, 1, 65, 959, 63, 128, 500, 1022]
        .into_iter()
        .collect();
    assert_eq!(m.iter().collect::<Vec<_>>(), nodes);
    assert_eq!(m.count(), nodes.len());
    assert_eq!(m.iter().len(), nodes.len());
    for (k, &n) in nodes.iter().enumerate() {
        assert_eq!(m.nth(k), Some(n), "nth({k})");
    }
    assert_eq!(m.nth(nodes.len()), None);
    assert_eq!(m.nth(usize::MAX), None);
    assert_eq!((&m).into_iter().count(), nodes.len());
    assert_eq!(m.into_iter().last(), Some(1023));
}

#[test]
fn mask_iterator_clones_independently() {
    let m = mask(&[2, 70, 900]);
    let mut it = m.iter();
    assert_eq!(it.next(), Some(2));
    let copy = it.clone();
    assert_eq!(it.next(), Some(70));
    assert_eq!(it.next(), Some(900));
    assert_eq!(it.next(), None);
    assert_eq!(it.next(), None);
    assert_eq!(copy.collect::<Vec<_>>(), [70, 900]);
}

#[test]
fn mask_below() {
    assert!(NodeMask::below(0).is_empty());
    assert_eq!(NodeMask::below(1), mask(&[0]));
    assert_eq!(NodeMask::below(64).count(), 64);
    assert!(!NodeMask::below(64).contains(64));
    assert_eq!(NodeMask::below(65).iter().last(), Some(64));
    assert_eq!(NodeMask::below(1024).count(), 1024);
    assert_eq!(NodeMask::below(u32::MAX).count(), MAX_NODES);
    assert_eq!(NodeMask::below(6).to_string(), "0-5");
}

#[test]
fn mask_and_or_filter() {
    let a = mask(&[0, 1, 2, 64, 700]);
    let b = mask(&[1, 64, 65, 1023]);
    assert_eq!(a.and(&b), mask(&[1, 64]));
    assert_eq!(a.or(&b), mask(&[0, 1, 2, 64, 65, 700, 1023]));
    assert_eq!(a.and(&NodeMask::EMPTY), NodeMask::EMPTY);
    assert_eq!(a.filter(|n| n % 2 == 0), mask(&[0, 2, 64, 700]));
}

#[test]
fn mask_display_and_debug() {
    assert_eq!(NodeMask::EMPTY.to_string(), "");
    assert_eq!(mask(&[0]).to_string(), "0");
    assert_eq!(mask(&[0, 1, 2, 3, 6]).to_string(), "0-3,6");
    assert_eq!(
        mask(&[1, 3, 5, 6, 7, 63, 64, 1023]).to_string(),
        "1,3,5-7,63-64,1023"
    );
    assert_eq!(format!("{:?}", mask(&[1, 3, 4])), "NodeMask[1,3-4]");
}

#[test]
fn mask_matches_reference_on_random_operations() {
    let mut rng = Rng(0xd1b5_4a32_d192_ed03);
    let mut m = NodeMask::new();
    let mut reference = vec![false; MAX_NODES];
    for step in 0..20_000 {
        // Mostly ids in range, some just out of it and some far out.
        let node = match rng.below(10) {
            0 => 1024 + rng.below(3) as u32,
            1 => u32::MAX - rng.below(2) as u32,
            _ => rng.below(1024) as u32,
        };
        let in_range = (node as usize) < MAX_NODES;
        if rng.below(3) == 0 {
            assert_eq!(m.clear(node), in_range);
            if in_range {
                reference[node as usize] = false;
            }
        } else {
            assert_eq!(m.set(node), in_range);
            if in_range {
                reference[node as usize] = true;
            }
        }
        assert_eq!(m.contains(node), in_range && reference[node as usize]);
        if step % 97 == 0 {
            let ids: Vec<u32> = (0..1024).filter(|&i| reference[i as usize]).collect();
            assert_eq!(m.iter().collect::<Vec<_>>(), ids);
            assert_eq!(m.count(), ids.len());
            assert_eq!(m.first(), ids.first().copied());
            for _ in 0..8 {
                let k = rng.below(ids.len() as u64 + 2) as usize;
                assert_eq!(m.nth(k), ids.get(k).copied());
            }
            assert_eq!(
                NodeMask::parse(&m.to_string(), 1024).ok(),
                (!m.is_empty()).then_some(m)
            );
        }
    }
}

// ---- parse ----

fn parse(text: &str) -> Result<NodeMask, NodeListError> {
    NodeMask::parse(text, 64)
}

#[test]
fn parse_good_lists() {
    assert_eq!(parse("0"), Ok(mask(&[0])));
    assert_eq!(parse("0-3,6"), Ok(mask(&[0, 1, 2, 3, 6])));
    assert_eq!(parse(" 1,2\n"), Ok(mask(&[1, 2])));
    assert_eq!(parse("\t0-1 \r\n"), Ok(mask(&[0, 1])));
    assert_eq!(parse("1,1"), Ok(mask(&[1])));
    assert_eq!(parse("0-3,2-5"), Ok(mask(&[0, 1, 2, 3, 4, 5])));
    assert_eq!(parse("5,3,1"), Ok(mask(&[1, 3, 5])));
    assert_eq!(parse("2-2"), Ok(mask(&[2])));
    assert_eq!(parse("007"), Ok(mask(&[7])));
    assert_eq!(parse("63"), Ok(mask(&[63])));
    let full = NodeMask::parse("0-1023", 1024).unwrap();
    assert_eq!(full.count(), 1024);
    assert_eq!(full.to_string(), "0-1023");
}

#[test]
fn parse_refuses_malformed_lists() {
    use NodeListError::*;
    assert_eq!(parse("3-1"), Err(BadRange { first: 3, last: 1 }));
    assert_eq!(parse("1-"), Err(BadNumber));
    assert_eq!(parse("-1"), Err(BadNumber));
    assert_eq!(parse("-"), Err(BadNumber));
    assert_eq!(parse("1-2-3"), Err(BadNumber));
    assert_eq!(parse(""), Err(Empty));
    assert_eq!(parse(" \n"), Err(Empty));
    assert_eq!(parse("a"), Err(BadNumber));
    assert_eq!(parse("1, 2"), Err(BadNumber));
    assert_eq!(parse("1 2"), Err(BadNumber));
    assert_eq!(parse("+1"), Err(BadNumber));
    assert_eq!(parse("0x1"), Err(BadNumber));
    assert_eq!(parse("N"), Err(BadNumber));
    assert_eq!(parse("all"), Err(BadNumber));
    assert_eq!(parse("1\u{e9}"), Err(BadNumber));
    assert_eq!(parse("1,,2"), Err(EmptyItem));
    assert_eq!(parse(",1"), Err(EmptyItem));
    assert_eq!(parse("1,"), Err(EmptyItem));
    assert_eq!(parse(","), Err(EmptyItem));
    assert_eq!(parse("0-7:2/4"), Err(Stride));
    assert_eq!(parse("0-7:2"), Err(Stride));
    assert_eq!(parse("1/2"), Err(Stride));
    // The first error from the left wins.
    assert_eq!(parse("a,3-1"), Err(BadNumber));
    assert_eq!(parse("3-1,a"), Err(BadRange { first: 3, last: 1 }));
    assert_eq!(
        parse("99,a"),
        Err(OutOfRange {
            node: 99,
            limit: 64
        })
    );
}

#[test]
fn parse_refuses_ids_out_of_range() {
    use NodeListError::*;
    assert_eq!(
        parse("64"),
        Err(OutOfRange {
            node: 64,
            limit: 64
        })
    );
    assert_eq!(
        parse("0,64"),
        Err(OutOfRange {
            node: 64,
            limit: 64
        })
    );
    assert_eq!(
        parse("60-70"),
        Err(OutOfRange {
            node: 70,
            limit: 64
        })
    );
    assert_eq!(
        parse("65-70"),
        Err(OutOfRange {
            node: 65,
            limit: 64
        })
    );
    assert_eq!(
        NodeMask::parse("0", 0),
        Err(OutOfRange { node: 0, limit: 0 })
    );
    assert_eq!(NodeMask::parse("7", 8), Ok(mask(&[7])));
    assert_eq!(
        NodeMask::parse("8", 8),
        Err(OutOfRange { node: 8, limit: 8 })
    );
    // A limit above MAX_NODES counts as MAX_NODES.
    assert_eq!(NodeMask::parse("1023", 5000), Ok(mask(&[1023])));
    assert_eq!(
        NodeMask::parse("1024", 5000),
        Err(OutOfRange {
            node: 1024,
            limit: 1024
        })
    );
    assert_eq!(
        parse("4294967295"),
        Err(OutOfRange {
            node: u32::MAX,
            limit: 64
        })
    );
    assert_eq!(parse("4294967296"), Err(Overflow));
    assert_eq!(parse("99999999999999999999"), Err(Overflow));
    assert_eq!(parse("0-99999999999999999999"), Err(Overflow));
}

#[test]
fn parse_length_limit() {
    assert_eq!(MAX_NODELIST_LEN, 4096);
    let longest = "0,".repeat(2047) + "0" + " ";
    assert_eq!(longest.len(), MAX_NODELIST_LEN);
    assert_eq!(parse(&longest), Ok(mask(&[0])));
    let too_long = "0,".repeat(2048) + "0";
    assert_eq!(too_long.len(), MAX_NODELIST_LEN + 1);
    assert_eq!(parse(&too_long), Err(NodeListError::TooLong));
    // Whitespace counts too.
    let padded = " ".repeat(MAX_NODELIST_LEN) + "1";
    assert_eq!(parse(&padded), Err(NodeListError::TooLong));
}

#[test]
fn parse_errors_explain_themselves() {
    use NodeListError::*;
    assert_eq!(Empty.reason(), "the node list is empty");
    assert_eq!(Empty.to_string(), "the node list is empty");
    assert_eq!(
        TooLong.to_string(),
        "the node list is longer than 4096 bytes"
    );
    assert_eq!(EmptyItem.to_string(), "empty item in the node list");
    assert_eq!(BadNumber.to_string(), "a node id is not a decimal number");
    assert_eq!(Overflow.to_string(), "a node id is too large");
    assert_eq!(
        Stride.to_string(),
        "ranges with a stride (a-b:c/d) are not supported"
    );
    let reversed = BadRange { first: 3, last: 1 };
    assert_eq!(reversed.reason(), "a range's first node is above its last");
    assert_eq!(
        reversed.to_string(),
        "range 3-1 is reversed (first above last)"
    );
    let out = OutOfRange { node: 9, limit: 8 };
    assert_eq!(out.reason(), "a node is out of range");
    assert_eq!(out.to_string(), "node 9 is out of range (MAX_NUMNODES 8)");
}

#[test]
fn display_round_trips_through_parse() {
    for text in ["0", "0-3,6", "1,3,5-7,63", "0-63", "2,4,6,8-9,62"] {
        let m = parse(text).unwrap();
        assert_eq!(m.to_string(), text);
        assert_eq!(parse(&m.to_string()), Ok(m));
    }
    // Non-canonical input comes out canonical.
    assert_eq!(parse(" 6,0-2,3,1\n").unwrap().to_string(), "0-3,6");
}

/// A tiny xorshift generator for the randomized tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The node list syntax, written plainly with `std`.
fn reference_parse(text: &str, limit: u32) -> Option<Vec<u32>> {
    let list = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if list.is_empty() || text.len() > MAX_NODELIST_LEN {
        return None;
    }
    let limit = limit.min(MAX_NODES as u32);
    let mut ids = Vec::new();
    for item in list.split(',') {
        let number = |s: &str| -> Option<u32> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse::<u32>().ok()
        };
        let (a, b) = match item.split_once('-') {
            Some((a, b)) => (number(a)?, number(b)?),
            None => (number(item)?, number(item)?),
        };
        if a > b || b >= limit {
            return None;
        }
        ids.extend(a..=b);
    }
    ids.sort_unstable();
    ids.dedup();
    Some(ids)
}

#[test]
fn parse_matches_reference_on_random_text() {
    let alphabet = b"0123456789,,,---  \n:/ax";
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut accepted = 0;
    for _ in 0..100_000 {
        let len = rng.below(12) as usize;
        let text: String = (0..len)
            .map(|_| char::from(alphabet[rng.below(alphabet.len() as u64) as usize]))
            .collect();
        let limit = rng.below(80) as u32;
        let got = NodeMask::parse(&text, limit);
        let want = reference_parse(&text, limit);
        match (&got, &want) {
            (Ok(m), Some(ids)) => {
                accepted += 1;
                assert_eq!(&m.iter().collect::<Vec<_>>(), ids, "{text:?}");
                if !m.is_empty() {
                    assert_eq!(NodeMask::parse(&m.to_string(), limit), Ok(*m), "{text:?}");
                }
            }
            (Err(_), None) => {}
            _ => panic!("{text:?} limit {limit}: got {got:?}, reference {want:?}"),
        }
    }
    // Enough random lists were good to make the comparison mean something.
    assert!(accepted > 2_000, "only {accepted} accepted");
}

// ---- topologies ----

#[test]
fn one_node_machine() {
    let t = Machine::new(vec![vec![10]]);
    assert_eq!(node_count(&t), 1);
    assert_eq!(memory_nodes(&t), mask(&[0]));
    assert_eq!(cpu_nodes(&t), mask(&[0]));
    assert_eq!(order(&t, 0, all(&t)), [0]);
    assert_eq!(nearest_with_memory(&t, 0), Some(0));
    assert_eq!(nearest_in(&t, 0, mask(&[0])), Some(0));
    assert_eq!(nearest_in(&t, 0, mask(&[1])), None);
    assert_eq!(best_node(&t, 0, 1 << 20), Some(0));
    assert_eq!(best_node(&t, 0, GIB_KIB * 1024), Some(0));
    assert_eq!(best_node(&t, 0, GIB_KIB * 1024 + 1), None);
    assert_eq!(fallback(&t, 0, 4096), Some(0));
    assert_eq!(fallback(&t, 0, u64::MAX), None);
    assert_eq!(check_node(&t, 0, true), Ok(()));
    assert_eq!(
        check_node(&t, 1, false),
        Err(NodeError::Offline(1)),
        "node 1 is below MAX_NUMNODES but does not exist"
    );
    assert_eq!(
        check_node(&t, 64, false),
        Err(NodeError::OutOfRange {
            node: 64,
            limit: 64
        })
    );
    assert_eq!(interleave_node(memory_nodes(&t), 5), Some(0));
}

#[test]
fn two_nodes() {
    let t = Machine::new(vec![vec![10, 20], vec![20, 10]]);
    assert_eq!(node_count(&t), 2);
    assert_eq!(memory_nodes(&t).to_string(), "0-1");
    assert_eq!(order(&t, 0, all(&t)), [0, 1]);
    assert_eq!(order(&t, 1, all(&t)), [1, 0]);
    assert_eq!(nearest_with_memory(&t, 1), Some(1));
    assert_eq!(nearest_in(&t, 0, mask(&[1])), Some(1));
    assert_eq!(nearest_in(&t, 1, mask(&[0, 1])), Some(1));
    // Locality beats free memory.
    let t = t.free(0, 1000).free(1, 5000);
    assert_eq!(best_node(&t, 0, 1000 * 1024), Some(0));
    // Node 0 cannot hold 1001 KiB; node 1 can.
    assert_eq!(best_node(&t, 0, 1000 * 1024 + 1), Some(1));
    assert_eq!(fallback(&t, 0, 1000 * 1024 + 1), Some(1));
    assert_eq!(fallback(&t, 1, 1), Some(1));
    assert_eq!(best_node(&t, 0, 5000 * 1024 + 1), None);
    assert_eq!(fallback(&t, 0, 5000 * 1024 + 1), None);
    // Zero bytes fit anywhere, even on a node with nothing free.
    let t = t.free(0, 0);
    assert_eq!(best_node(&t, 0, 0), Some(0));
    assert_eq!(best_node(&t, 0, 1), Some(1));
}

/// Node 0 with CPUs and memory, node 1 memory only, node 2 CPUs only.
fn asymmetric() -> Machine {
    Machine::new(vec![vec![10, 20, 20], vec![20, 10, 30], vec![20, 30, 10]])
        .memoryless(&[2])
        .cpuless(&[1])
}

#[test]
fn asymmetric_machine() {
    let t = asymmetric();
    assert_eq!(node_count(&t), 3);
    assert_eq!(memory_nodes(&t).to_string(), "0-1");
    assert_eq!(cpu_nodes(&t).to_string(), "0,2");
    // The CPUs of node 2 allocate from node 0 (20), not node 1 (30).
    assert_eq!(nearest_with_memory(&t, 2), Some(0));
    assert_eq!(nearest_with_memory(&t, 1), Some(1));
    assert_eq!(nearest_with_memory(&t, 0), Some(0));
    assert_eq!(order(&t, 2, memory_nodes(&t)), [0, 1]);
    assert_eq!(order(&t, 1, all(&t)), [1, 0, 2]);
    assert_eq!(best_node(&t, 2, 4096), Some(0));
    assert_eq!(fallback(&t, 2, 4096), Some(0));
    // Node 0 full: node 1, the only other node with memory.
    let t = t.free(0, 3);
    assert_eq!(best_node(&t, 2, 4096), Some(1));
    assert_eq!(fallback(&t, 2, 4096), Some(1));
    assert_eq!(fallback(&t, 0, 4096), Some(1));
    assert_eq!(nodes_with_room(&t, 4096), mask(&[1]));
    assert_eq!(nodes_with_room(&t, 3072), mask(&[0, 1]));
    // Replicas on node 1 only: everyone reads node 1.
    assert_eq!(nearest_in(&t, 2, mask(&[1])), Some(1));
    // A mask naming the memoryless node 2 never answers node 2.
    assert_eq!(nearest_in(&t, 2, mask(&[1, 2])), Some(1));
    assert_eq!(nearest_in(&t, 2, mask(&[2])), None);
    assert_eq!(check_node(&t, 2, false), Ok(()));
    assert_eq!(check_node(&t, 2, true), Err(NodeError::NoMemory(2)));
    assert_eq!(check_node(&t, 1, true), Ok(()));
    assert_eq!(check_mask(&t, mask(&[0, 1]), true), Ok(()));
    assert_eq!(
        check_mask(&t, mask(&[0, 1, 2]), true),
        Err(NodeError::NoMemory(2))
    );
    assert_eq!(check_mask(&t, mask(&[0, 1, 2]), false), Ok(()));
}

#[test]
fn memoryless_node_with_tied_neighbours() {
    // Node 2 (CPUs only) is 20 from both 0 and 1.
    let t = Machine::new(vec![vec![10, 20, 20], vec![20, 10, 20], vec![20, 20, 10]])
        .memoryless(&[2])
        .free(0, 100 * 1024)
        .free(1, 300 * 1024);
    // Nearest: the tie goes to the lower id.
    assert_eq!(nearest_with_memory(&t, 2), Some(0));
    assert_eq!(fallback(&t, 2, 1), Some(0));
    // Best: the tie goes to the most free memory.
    assert_eq!(best_node(&t, 2, 1), Some(1));
    // Equal free memory: the lower id.
    let t = t.free(1, 100 * 1024);
    assert_eq!(best_node(&t, 2, 1), Some(0));
}

#[test]
fn ring_of_sixteen() {
    let t = Machine::ring(16);
    assert_eq!(node_count(&t), 16);
    assert_eq!(t.distance(5, 13), 90);
    assert_eq!(
        order(&t, 5, all(&t)),
        [5, 4, 6, 3, 7, 2, 8, 1, 9, 0, 10, 11, 15, 12, 14, 13]
    );
    assert_eq!(
        order(&t, 0, all(&t)),
        [0, 1, 15, 2, 14, 3, 13, 4, 12, 5, 11, 6, 10, 7, 9, 8]
    );
    // Memory on every fourth node only.
    let t = Machine::ring(16).memoryless(&[1, 2, 3, 5, 6, 7, 9, 10, 11, 13, 14, 15]);
    assert_eq!(memory_nodes(&t).to_string(), "0,4,8,12");
    assert_eq!(nearest_with_memory(&t, 5), Some(4));
    // 6 is 2 hops from both 4 and 8: the lower id.
    assert_eq!(nearest_with_memory(&t, 6), Some(4));
    assert_eq!(nearest_with_memory(&t, 15), Some(0));
    assert_eq!(nearest_with_memory(&t, 13), Some(12));
    // From 6, 4 and 8 tie on distance: best_node takes the freer.
    let t = t.free(8, 2 * GIB_KIB);
    assert_eq!(best_node(&t, 6, 1), Some(8));
    assert_eq!(fallback(&t, 6, 1), Some(4));
    // Node 4 full: from 5, node 8 (3 hops) before node 0 (5 hops).
    let t = t.free(4, 0);
    assert_eq!(best_node(&t, 5, 1), Some(8));
    assert_eq!(fallback(&t, 4, 1), Some(0), "0 and 8 tie from 4: lower id");
    assert_eq!(fallback(&t, 5, 1), Some(8));
    // Only node 12 can hold 1.5 GiB and the others are full.
    let t = t.free(0, 0).free(8, 0).free(12, 3 * GIB_KIB / 2);
    assert_eq!(best_node(&t, 5, 3 << 29), Some(12));
    assert_eq!(fallback(&t, 5, 3 << 29), Some(12));
    assert_eq!(best_node(&t, 5, (3 << 29) + 1), None);
    // Replicas on 0 and 8: who reads which.
    let replicas = mask(&[0, 8]);
    let readers: Vec<_> = (0..16)
        .map(|n| nearest_in(&t, n, replicas).unwrap())
        .collect();
    assert_eq!(readers, [0, 0, 0, 0, 0, 8, 8, 8, 8, 8, 8, 8, 0, 0, 0, 0]);
}

#[test]
fn by_distance_selects_without_more_distances_than_promised() {
    let t = Machine::ring(16);
    let n = 16;
    assert_eq!(order(&t, 3, all(&t)).len(), n);
    // `from` first costs nothing, then 15 + 14 + ... + 1, and one empty step.
    assert_eq!(t.distances_asked.get(), n * (n - 1) / 2);
    let it = by_distance(&t, 3, all(&t));
    assert_eq!(it.len(), 16);
    let mut a = it.clone();
    assert_eq!(a.next(), Some(3));
    assert_eq!(a.next(), Some(2));
    assert_eq!(it.clone().nth(2), Some(4));
}

#[test]
fn ties_go_to_the_lowest_id() {
    // Node 0 is 20 from everyone; 1..3 are 30 from each other.
    let d = |i: usize, j: usize| match (i, j) {
        _ if i == j => 10,
        (0, _) | (_, 0) => 20,
        _ => 30,
    };
    let t = Machine::new((0..4).map(|i| (0..4).map(|j| d(i, j)).collect()).collect());
    assert_eq!(order(&t, 0, all(&t)), [0, 1, 2, 3]);
    assert_eq!(order(&t, 3, all(&t)), [3, 0, 1, 2]);
    assert_eq!(order(&t, 0, mask(&[3, 2])), [2, 3]);
    let t = t.free(0, 0);
    assert_eq!(fallback(&t, 0, 1), Some(1));
    assert_eq!(best_node(&t, 0, 1), Some(1));
    let t = t.free(3, 2 * GIB_KIB);
    assert_eq!(best_node(&t, 0, 1), Some(3));
    assert_eq!(fallback(&t, 0, 1), Some(1));
    // From node 2, node 0 (20) beats node 3 (30) even with less free memory... but 0 is
    // full, so the tie between 1 and 3 at 30 goes to the freer 3.
    assert_eq!(best_node(&t, 2, 1), Some(2));
    let t = t.free(2, 0);
    assert_eq!(best_node(&t, 2, 1), Some(3));
    assert_eq!(fallback(&t, 2, 1), Some(1));
}

#[test]
fn a_local_distance_tie_keeps_from_first() {
    // A table where node 1 is as near to node 0 as node 0 itself.
    let t = Machine::new(vec![vec![10, 10], vec![10, 10]]).free(1, 2 * GIB_KIB);
    assert_eq!(order(&t, 1, all(&t)), [1, 0]);
    assert_eq!(nearest_with_memory(&t, 1), Some(1));
    assert_eq!(fallback(&t, 1, 1), Some(1));
    // best_node weighs free memory among the nearest, `from` included.
    assert_eq!(best_node(&t, 0, 1), Some(1));
}

#[test]
fn offline_nodes_are_never_chosen() {
    let t = Machine::ring(4).offline(&[1]).free(1, 100 * GIB_KIB);
    assert_eq!(node_count(&t), 3);
    assert_eq!(memory_nodes(&t).to_string(), "0,2-3");
    // From an offline node, by its distances: 0 and 2 tie at 20.
    assert_eq!(nearest_with_memory(&t, 1), Some(0));
    assert_eq!(best_node(&t, 0, 2 * GIB_KIB * 1024), None);
    assert_eq!(nearest_in(&t, 0, mask(&[1, 2])), Some(2));
    assert_eq!(fallback(&t, 1, 1), Some(0));
    assert_eq!(check_node(&t, 1, false), Err(NodeError::Offline(1)));
    assert_eq!(
        check_mask(&t, mask(&[0, 1, 2]), false),
        Err(NodeError::Offline(1))
    );
}

#[test]
fn node_errors() {
    let t = asymmetric().offline(&[1]).limit(64);
    assert_eq!(
        check_node(&t, 1200, false),
        Err(NodeError::OutOfRange {
            node: 1200,
            limit: 64
        })
    );
    assert_eq!(check_node(&t, 3, true), Err(NodeError::Offline(3)));
    assert_eq!(check_node(&t, 2, true), Err(NodeError::NoMemory(2)));
    assert_eq!(check_node(&t, 0, true), Ok(()));
    assert_eq!(
        check_mask(&t, NodeMask::EMPTY, false),
        Err(NodeError::EmptyList)
    );
    // The lowest bad node is reported.
    assert_eq!(
        check_mask(&t, mask(&[0, 2, 63]), true),
        Err(NodeError::NoMemory(2))
    );
    assert_eq!(
        check_mask(&t, mask(&[0, 63]), true),
        Err(NodeError::Offline(63))
    );
    assert_eq!(
        check_mask(&t, mask(&[0, 1023]), true),
        Err(NodeError::OutOfRange {
            node: 1023,
            limit: 64
        })
    );
    assert_eq!(NodeError::Offline(3).to_string(), "node 3 is offline");
    assert_eq!(NodeError::NoMemory(2).to_string(), "node 2 has no memory");
    assert_eq!(
        NodeError::OutOfRange {
            node: 1200,
            limit: 64
        }
        .to_string(),
        "node 1200 is out of range (MAX_NUMNODES 64)"
    );
    assert_eq!(NodeError::EmptyList.to_string(), "the node list is empty");
    assert_eq!(NodeError::Offline(3).reason(), "node offline");
    assert_eq!(NodeError::NoMemory(2).reason(), "node has no memory");
    assert_eq!(NodeError::EmptyList.reason(), "the node list is empty");
    assert_eq!(NodeError::Offline(3).node(), Some(3));
    assert_eq!(NodeError::EmptyList.node(), None);
}

#[test]
fn nodes_at_or_above_the_limit_are_never_asked_about() {
    // A topology whose online mask (wrongly) names nodes at and above its limit: Machine
    // panics if any of them reaches has_memory, has_cpus, distance or free_kib.
    let mut t = Machine::ring(8).limit(4);
    t.online = NodeMask::below(8).or(&mask(&[1023]));
    assert_eq!(node_count(&t), 4);
    assert_eq!(memory_nodes(&t).to_string(), "0-3");
    assert_eq!(cpu_nodes(&t).to_string(), "0-3");
    assert_eq!(order(&t, 0, NodeMask::below(1024)), [0, 1, 2, 3]);
    assert_eq!(order(&t, 3, NodeMask::below(1024)), [3, 2, 1, 0]);
    assert_eq!(order(&t, 4, all(&t)), []);
    assert_eq!(nearest_with_memory(&t, 4), None);
    assert_eq!(nearest_with_memory(&t, u32::MAX), None);
    assert_eq!(nearest_in(&t, 7, all(&t)), None);
    assert_eq!(best_node(&t, 4, 1), None);
    assert_eq!(fallback(&t, 1000, 1), None);
    assert_eq!(nearest_in(&t, 2, mask(&[5, 6])), None);
    assert_eq!(nodes_with_room(&t, 1).to_string(), "0-3");
    assert_eq!(
        check_node(&t, 5, true),
        Err(NodeError::OutOfRange { node: 5, limit: 4 })
    );
    // A limit above MAX_NODES counts as MAX_NODES.
    let mut t = Machine::ring(2).limit(u32::MAX);
    t.online = mask(&[0, 1]);
    assert_eq!(
        check_node(&t, 1024, false),
        Err(NodeError::OutOfRange {
            node: 1024,
            limit: 1024
        })
    );
}

#[test]
fn interleave_round_robin() {
    let m = mask(&[1, 3, 6]);
    let got: Vec<_> = (0..7).map(|k| interleave_node(m, k).unwrap()).collect();
    assert_eq!(got, [1, 3, 6, 1, 3, 6, 1]);
    // usize::MAX = 2^64 - 1 is a multiple of 3.
    assert_eq!(interleave_node(m, usize::MAX), Some(1));
    assert_eq!(interleave_node(mask(&[1, 3, 6, 8]), usize::MAX), Some(8));
    assert_eq!(interleave_node(NodeMask::EMPTY, 0), None);
    assert_eq!(interleave_node(NodeMask::EMPTY, 7), None);
    let wide = mask(&[0, 100, 1023]);
    assert_eq!(interleave_node(wide, 2), Some(1023));
    assert_eq!(interleave_node(wide, 4), Some(100));
    let full = NodeMask::below(1024);
    assert_eq!(interleave_node(full, 1024 + 777), Some(777));
}

// ---- randomized comparison with plain std implementations ----

fn reference_order(t: &Machine, from: u32, candidates: &[u32]) -> Vec<u32> {
    let mut v = candidates.to_vec();
    v.sort_by_key(|&n| (n != from, t.dist[from as usize][n as usize], n));
    v
}

fn random_machine(rng: &mut Rng) -> Machine {
    let n = 1 + rng.below(12) as usize;
    // Few distinct distances, so that ties are common; not always symmetric.
    let dist = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    if i == j {
                        10
                    } else {
                        10 * (2 + rng.below(3) as u32)
                    }
                })
                .collect()
        })
        .collect();
    let mut t = Machine::new(dist).limit(16);
    for node in 0..n as u32 {
        if rng.below(4) == 0 {
            t = t.memoryless(&[node]);
        } else {
            t = t.free(node, rng.below(4) * 1024);
        }
        if rng.below(6) == 0 {
            t = t.offline(&[node]);
        }
    }
    t
}

#[test]
fn decisions_match_reference_on_random_machines() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..3_000 {
        let t = random_machine(&mut rng);
        let n = t.dist.len() as u32;
        let online: Vec<u32> = (0..n).filter(|&i| t.online.contains(i)).collect();
        let with_memory: Vec<u32> = online
            .iter()
            .copied()
            .filter(|&i| t.memory[i as usize])
            .collect();
        assert_eq!(memory_nodes(&t), mask(&with_memory));
        let bytes = rng.below(4) * 1024 * 1024 + rng.below(2);
        let need = bytes.div_ceil(1024);
        let room: Vec<u32> = with_memory
            .iter()
            .copied()
            .filter(|&i| t.free[i as usize] >= need)
            .collect();
        assert_eq!(nodes_with_room(&t, bytes), mask(&room));
        for from in 0..n {
            let cands: Vec<u32> = (0..n).filter(|_| rng.below(3) != 0).collect();
            assert_eq!(
                order(&t, from, mask(&cands)),
                reference_order(&t, from, &cands)
            );
            assert_eq!(
                nearest_with_memory(&t, from),
                reference_order(&t, from, &with_memory).first().copied()
            );
            assert_eq!(
                fallback(&t, from, bytes),
                reference_order(&t, from, &room).first().copied()
            );
            let want_best = room.iter().copied().min_by_key(|&i| {
                (
                    t.dist[from as usize][i as usize],
                    u64::MAX - t.free[i as usize],
                    i,
                )
            });
            assert_eq!(
                best_node(&t, from, bytes),
                want_best,
                "from {from} bytes {bytes}"
            );
            let replicas: Vec<u32> = with_memory
                .iter()
                .copied()
                .filter(|_| rng.below(2) == 0)
                .collect();
            assert_eq!(
                nearest_in(&t, from, mask(&cands).or(&mask(&replicas))),
                reference_order(
                    &t,
                    from,
                    &with_memory
                        .iter()
                        .copied()
                        .filter(|i| cands.contains(i) || replicas.contains(i))
                        .collect::<Vec<_>>()
                )
                .first()
                .copied()
            );
        }
    }
}

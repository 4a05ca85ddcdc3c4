// SPDX-License-Identifier: GPL-2.0

//! Host tests of the module's pure code.

extern crate std;

use std::string::String;
use std::vec::Vec;

use crate::cpulist::{write_cpulist, CpuList};

fn render(ids: &[u32]) -> String {
    let mut s = String::new();
    write_cpulist(&mut s, ids.iter().copied()).unwrap();
    s
}

/// The reference: what sysfs's bitmap_print_to_pagebuf() prints, computed naively.
fn naive(ids: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < ids.len() {
        let mut j = i;
        while j + 1 < ids.len() && ids[j + 1] == ids[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            std::format!("{}", ids[i])
        } else {
            std::format!("{}-{}", ids[i], ids[j])
        });
        i = j + 1;
    }
    parts.join(",")
}

#[test]
fn empty() {
    assert_eq!(render(&[]), "");
}

#[test]
fn single_and_runs() {
    assert_eq!(render(&[7]), "7");
    assert_eq!(render(&[0, 1]), "0-1");
    assert_eq!(render(&[0, 1, 2, 3, 8, 10, 11]), "0-3,8,10-11");
    assert_eq!(render(&[0, 2, 4, 6]), "0,2,4,6");
}

#[test]
fn top_of_u32_does_not_overflow() {
    assert_eq!(
        render(&[u32::MAX - 2, u32::MAX - 1, u32::MAX]),
        "4294967293-4294967295"
    );
    assert_eq!(render(&[1, u32::MAX]), "1,4294967295");
}

#[test]
fn display_adapter_matches_writer() {
    let ids = [1u32, 2, 3, 9];
    assert_eq!(std::format!("{}", CpuList(|| ids.iter().copied())), "1-3,9");
}

#[test]
fn matches_naive_reference_on_all_subsets_of_0_to_11() {
    for mask in 0u32..(1 << 12) {
        let ids: Vec<u32> = (0..12).filter(|b| mask & (1 << b) != 0).collect();
        assert_eq!(render(&ids), naive(&ids), "mask {mask:#x}");
    }
}

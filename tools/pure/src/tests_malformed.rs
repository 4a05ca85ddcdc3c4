// SPDX-License-Identifier: GPL-2.0

//! The malformed models of `tools/testing/models/malformed/`: one or more small `.nnm`
//! blobs per rejection reason of `rust/pure/model.rs`, and the index `EXPECTED` that gives,
//! per file, the reason `ParseError::reason()` returns for it. The guest loads each one
//! and expects `EINVAL` with that reason in the kernel log; the fuzzers of `tools/fuzz`
//! start from them.
//!
//! `NN_REGENERATE=1 cargo test` rewrites the directory; otherwise the test checks that it
//! is current (and each blob is rejected for the reason it was made for).

extern crate std;

use std::collections::BTreeSet;
use std::format;
use std::string::String;
use std::vec;
use std::vec::Vec;

use crate::activation::Activation;
use crate::fixed::Requant;
use crate::format::Format;
use crate::model::{
    crc32, Model, ParseError, HEADER_LEN, LAYER_ENTRY_LEN, LAYER_ENTRY_LEN_1, MAX_BLOB_LEN,
};
use crate::writer::{write_model, LayerSpec};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testing/models/malformed");

fn layer(inputs: usize, outputs: usize, activation: Activation) -> LayerSpec {
    LayerSpec {
        inputs,
        outputs,
        activation,
        format: Format::F16x16,
        in_shift: 0,
        out_frac: if activation.output_frac().is_some() {
            15
        } else {
            8
        },
        requant: Requant::new(40000, 20).unwrap(),
        weights: (0..inputs * outputs)
            .map(|i| ((i as i32 * 7919 + 11) % 65535 - 32767) as i16)
            .collect(),
        bias: (0..outputs).map(|i| (i as i32 - 2) * 1000).collect(),
    }
}

/// The valid model every malformed one is derived from: 3 inputs, a 3x4 ReLU layer and a
/// 4x2 sigmoid layer (132 bytes: header 32, table 32, payload 64, checksum 4).
fn base() -> Vec<u8> {
    write_model(
        3,
        8,
        &[
            layer(3, 4, Activation::Relu),
            layer(4, 2, Activation::Sigmoid),
        ],
    )
}

/// Offset of layer `i`'s table entry.
const fn entry(i: usize) -> usize {
    HEADER_LEN + i * LAYER_ENTRY_LEN_1
}

fn put(b: &mut [u8], at: usize, bytes: &[u8]) {
    b[at..at + bytes.len()].copy_from_slice(bytes);
}

fn fix_len(b: &mut [u8]) {
    let n = b.len() as u32;
    put(b, 16, &n.to_le_bytes());
}

fn fix_crc(b: &mut [u8]) {
    let n = b.len() - 4;
    let crc = crc32(&b[..n]);
    put(b, n, &crc.to_le_bytes());
}

/// `base()` with `bytes` written at `at` and the checksum refreshed, so that the edit
/// itself is what the parser rejects.
fn edit(at: usize, bytes: &[u8]) -> Vec<u8> {
    edited(base(), at, bytes)
}

/// `b` with `bytes` written at `at` and the checksum refreshed.
fn edited(mut b: Vec<u8>, at: usize, bytes: &[u8]) -> Vec<u8> {
    put(&mut b, at, bytes);
    fix_crc(&mut b);
    b
}

/// Every malformed blob: (file stem, blob, the error it must be rejected with).
// One push per case, each built in its own lines, reads better than one `vec![]`.
#[allow(clippy::vec_init_then_push)]
fn cases() -> Vec<(&'static str, Vec<u8>, ParseError)> {
    use ParseError::*;
    let good = base();
    let n = good.len();
    // In layer 0's biases.
    let cut = entry(2) + 30;
    let mut v: Vec<(&'static str, Vec<u8>, ParseError)> = Vec::new();

    // Truncated: shorter than the header (+ checksum), or than the layer table.
    v.push(("truncated-1", good[..1].to_vec(), Truncated));
    v.push(("truncated-magic", good[..4].to_vec(), Truncated));
    v.push(("truncated-header", good[..HEADER_LEN].to_vec(), Truncated));
    v.push(("truncated-35", good[..HEADER_LEN + 3].to_vec(), Truncated));
    let mut b = good[..entry(1) + 4].to_vec();
    fix_len(&mut b);
    v.push(("truncated-table", b, Truncated));
    // A cut blob keeps its declared length: the length check catches it first.
    v.push((
        "truncated-in-table",
        good[..entry(1) + 5].to_vec(),
        LengthMismatch,
    ));
    v.push(("truncated-in-payload", good[..cut].to_vec(), LengthMismatch));
    v.push(("truncated-checksum", good[..n - 2].to_vec(), LengthMismatch));
    // ... and with the length fixed up, the payload check does.
    let mut b = good[..cut].to_vec();
    fix_len(&mut b);
    fix_crc(&mut b);
    v.push(("truncated-payload-len-fixed", b, PayloadSize));

    // The header.
    v.push(("bad-magic", edit(0, b"NNMX"), BadMagic));
    v.push(("bad-magic-zeros", vec![0; 64], BadMagic));
    v.push(("bad-version-0", edit(4, &0u16.to_le_bytes()), BadVersion(0)));
    v.push(("bad-version-3", edit(4, &3u16.to_le_bytes()), BadVersion(3)));
    v.push((
        "bad-header-len-16",
        edit(6, &16u16.to_le_bytes()),
        BadHeaderLen(16),
    ));
    v.push((
        "bad-header-len-48",
        edit(6, &48u16.to_le_bytes()),
        BadHeaderLen(48),
    ));
    v.push(("layers-0", edit(8, &0u16.to_le_bytes()), BadLayerCount(0)));
    v.push((
        "layers-17",
        edit(8, &17u16.to_le_bytes()),
        BadLayerCount(17),
    ));
    v.push((
        "layers-65535",
        edit(8, &u16::MAX.to_le_bytes()),
        BadLayerCount(65535),
    ));
    v.push(("input-frac-16", edit(10, &[16]), BadFrac));
    v.push(("flags-nonzero", edit(11, &[1]), Reserved));
    v.push(("header-reserved-nonzero", edit(31, &[0x80]), Reserved));
    v.push(("input-dim-0", edit(12, &0u32.to_le_bytes()), BadDim));
    v.push(("input-dim-4097", edit(12, &4097u32.to_le_bytes()), BadDim));
    v.push((
        "input-dim-u32-max",
        edit(12, &u32::MAX.to_le_bytes()),
        BadDim,
    ));

    // total_len.
    let mut b = good.clone();
    b.push(0);
    v.push(("length-appended-byte", b, LengthMismatch));
    v.push((
        "length-declared-short",
        edit(16, &((n - 1) as u32).to_le_bytes()),
        LengthMismatch,
    ));
    let over = (MAX_BLOB_LEN + 1) as u32;
    v.push((
        "length-declared-128mib-plus-1",
        edit(16, &over.to_le_bytes()),
        LengthMismatch,
    ));
    v.push((
        "length-declared-u32-max",
        edit(16, &u32::MAX.to_le_bytes()),
        LengthMismatch,
    ));

    // The layer table.
    v.push((
        "layer0-inputs-0",
        edit(entry(0), &0u32.to_le_bytes()),
        BadDim,
    ));
    v.push((
        "layer0-outputs-0",
        edit(entry(0) + 4, &0u32.to_le_bytes()),
        BadDim,
    ));
    v.push((
        "layer0-outputs-4097",
        edit(entry(0) + 4, &4097u32.to_le_bytes()),
        BadDim,
    ));
    v.push((
        "layer1-inputs-4097",
        edit(entry(1), &4097u32.to_le_bytes()),
        BadDim,
    ));
    v.push((
        "layer0-inputs-mismatch",
        edit(entry(0), &4u32.to_le_bytes()),
        ShapeMismatch(0),
    ));
    v.push((
        "layer1-inputs-mismatch",
        edit(entry(1), &5u32.to_le_bytes()),
        ShapeMismatch(1),
    ));
    v.push(("activation-4", edit(entry(0) + 8, &[4]), BadActivation(4)));
    v.push((
        "activation-255",
        edit(entry(1) + 8, &[255]),
        BadActivation(255),
    ));
    v.push(("out-frac-16", edit(entry(0) + 9, &[16]), BadFrac));
    v.push(("sigmoid-out-frac-14", edit(entry(1) + 9, &[14]), BadFrac));
    v.push(("shift-48", edit(entry(0) + 10, &[48]), BadRequant(0)));
    v.push((
        "layer-reserved-nonzero",
        edit(entry(1) + 11, &[1]),
        Reserved,
    ));
    v.push((
        "mult-0",
        edit(entry(0) + 12, &0u32.to_le_bytes()),
        BadRequant(0),
    ));
    v.push((
        "mult-65536",
        edit(entry(1) + 12, &65536u32.to_le_bytes()),
        BadRequant(1),
    ));

    // The payload.
    let mut l1 = layer(4, 2, Activation::Sigmoid);
    l1.bias.pop();
    let b = write_model(3, 8, &[layer(3, 4, Activation::Relu), l1]);
    v.push(("payload-short", b, PayloadSize));
    let mut l0 = layer(3, 4, Activation::Relu);
    l0.weights.push(1);
    let b = write_model(3, 8, &[l0, layer(4, 2, Activation::Sigmoid)]);
    v.push(("payload-long", b, PayloadSize));
    let mut l1 = layer(4, 2, Activation::Sigmoid);
    l1.weights[7] = i16::MIN;
    let b = write_model(3, 8, &[layer(3, 4, Activation::Relu), l1]);
    v.push(("weight-minus-32768", b, BadWeight(1)));

    // The checksum.
    let mut b = good.clone();
    b[entry(2) + 5] ^= 0x01;
    v.push(("checksum-payload-bit-flip", b, BadChecksum));
    let mut b = good.clone();
    b[n - 1] ^= 0x80;
    v.push(("checksum-field-bit-flip", b, BadChecksum));

    // Version 2: each layer's format and input shift (`base2()`: layer 0 is 16x8, layer
    // 1 8x8 with input shift 3).
    let f0 = entry2(0) + 16;
    let f1 = entry2(1) + 16;
    v.push(("v2-format-3", edit2(f0, &[3]), BadFormat(0)));
    v.push(("v2-format-255", edit2(f1, &[255]), BadFormat(1)));
    v.push(("v2-in-shift-16", edit2(f1 + 1, &[16]), BadFormat(1)));
    v.push(("v2-in-shift-on-16x8", edit2(f0 + 1, &[1]), BadFormat(0)));
    v.push((
        "v2-layer-reserved-nonzero",
        edit2(f1 + 2, &[0, 1]),
        Reserved,
    ));
    // Layer 1's first weight (a byte, after layer 0's 12 weights and 4 biases).
    let w1 = entry2(2) + 12 + 16;
    v.push(("v2-weight8-minus-128", edit2(w1, &[0x80]), BadWeight(1)));
    // A version 2 table read as version 1's, and the other way round.
    v.push((
        "v2-as-version-1",
        edit2(4, &1u16.to_le_bytes()),
        ShapeMismatch(1),
    ));
    v.push((
        "v1-as-version-2",
        edit(4, &2u16.to_le_bytes()),
        BadFormat(0),
    ));
    v
}

/// Offset of layer `i`'s table entry in a version 2 blob.
const fn entry2(i: usize) -> usize {
    HEADER_LEN + i * LAYER_ENTRY_LEN
}

/// The version 2 model: `base()`'s shape, layer 0 `16x8`, layer 1 `8x8` with input shift
/// 3 (120 bytes: header 32, table 40, payload 44, checksum 4).
fn base2() -> Vec<u8> {
    let mut l0 = layer(3, 4, Activation::Relu);
    l0.format = Format::F16x8;
    let mut l1 = layer(4, 2, Activation::Sigmoid);
    l1.format = Format::F8x8;
    l1.in_shift = 3;
    for l in [&mut l0, &mut l1] {
        for (i, w) in l.weights.iter_mut().enumerate() {
            *w = (i as i16 * 37) % 255 - 127;
        }
    }
    write_model(3, 8, &[l0, l1])
}

/// `base2()` with `bytes` written at `at` and the checksum refreshed.
fn edit2(at: usize, bytes: &[u8]) -> Vec<u8> {
    edited(base2(), at, bytes)
}

/// Every rejection reason; the match has no wildcard so that a new `ParseError` variant
/// fails to compile here until it has a malformed blob (or, for `TooLarge`, a reason why
/// not).
fn needs_a_file(e: ParseError) -> bool {
    match e {
        // A blob over 128 MiB is no small file: `too_large_is_rejected` checks it, and the
        // guest can write 128 MiB + 1 bytes of its own.
        ParseError::TooLarge => false,
        ParseError::Truncated
        | ParseError::BadMagic
        | ParseError::BadVersion(_)
        | ParseError::BadHeaderLen(_)
        | ParseError::BadLayerCount(_)
        | ParseError::BadDim
        | ParseError::BadFrac
        | ParseError::Reserved
        | ParseError::LengthMismatch
        | ParseError::ShapeMismatch(_)
        | ParseError::BadActivation(_)
        | ParseError::BadRequant(_)
        | ParseError::BadWeight(_)
        | ParseError::BadFormat(_)
        | ParseError::PayloadSize
        | ParseError::BadChecksum => true,
    }
}

const ALL: [ParseError; 17] = [
    ParseError::Truncated,
    ParseError::TooLarge,
    ParseError::BadMagic,
    ParseError::BadVersion(0),
    ParseError::BadHeaderLen(0),
    ParseError::BadLayerCount(0),
    ParseError::BadDim,
    ParseError::BadFrac,
    ParseError::Reserved,
    ParseError::LengthMismatch,
    ParseError::ShapeMismatch(0),
    ParseError::BadActivation(0),
    ParseError::BadRequant(0),
    ParseError::BadWeight(0),
    ParseError::BadFormat(0),
    ParseError::PayloadSize,
    ParseError::BadChecksum,
];

fn expected_index() -> String {
    let mut s = String::new();
    let mut rows: Vec<_> = cases()
        .into_iter()
        .map(|(name, _, e)| (name, e.reason()))
        .collect();
    rows.sort();
    for (name, reason) in rows {
        s.push_str(&format!("{name}.nnm {reason}\n"));
    }
    s
}

#[test]
fn malformed_models_are_rejected_for_their_reason() {
    let good = base();
    assert!(Model::parse(&good).is_ok());
    let good2 = base2();
    assert_eq!(good2.len(), 120);
    assert_eq!(u16::from_le_bytes([good2[4], good2[5]]), 2);
    assert!(Model::parse(&good2).is_ok());
    let mut names = BTreeSet::new();
    for (name, blob, want) in cases() {
        assert!(names.insert(name), "{name} twice");
        assert_eq!(Model::parse(&blob).unwrap_err(), want, "{name}");
        assert!(blob.len() <= 512, "{name} is not small");
    }
    let covered: BTreeSet<&str> = cases().iter().map(|c| c.2.reason()).collect();
    for e in ALL {
        assert_eq!(
            covered.contains(e.reason()),
            needs_a_file(e),
            "{e:?}: a malformed model per reason"
        );
    }
}

#[test]
fn too_large_is_rejected() {
    let mut b = vec![0u8; MAX_BLOB_LEN + 1];
    b[..HEADER_LEN].copy_from_slice(&base()[..HEADER_LEN]);
    assert_eq!(Model::parse(&b).unwrap_err(), ParseError::TooLarge);
    b.pop();
    assert_ne!(Model::parse(&b).unwrap_err(), ParseError::TooLarge);
}

/// `tools/testing/models/malformed/` holds exactly `cases()` and `EXPECTED`: regenerate
/// it with `NN_REGENERATE=1 cargo test`, otherwise check it.
#[test]
fn malformed_models_are_current() {
    let dir = std::path::Path::new(DIR);
    if std::env::var_os("NN_REGENERATE").is_some() {
        std::fs::create_dir_all(dir).unwrap();
        for f in std::fs::read_dir(dir).unwrap() {
            let p = f.unwrap().path();
            if p.extension().is_some_and(|e| e == "nnm") {
                std::fs::remove_file(p).unwrap();
            }
        }
        for (name, blob, _) in cases() {
            std::fs::write(dir.join(format!("{name}.nnm")), blob).unwrap();
        }
        std::fs::write(dir.join("EXPECTED"), expected_index()).unwrap();
    }
    let mut on_disk = BTreeSet::new();
    for f in std::fs::read_dir(dir).expect("run NN_REGENERATE=1 cargo test") {
        let p = f.unwrap().path();
        if p.extension().is_some_and(|e| e == "nnm") {
            on_disk.insert(p.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    let want: BTreeSet<String> = cases().iter().map(|c| format!("{}.nnm", c.0)).collect();
    assert_eq!(on_disk, want, "run NN_REGENERATE=1 cargo test");
    for (name, blob, _) in cases() {
        assert_eq!(
            std::fs::read(dir.join(format!("{name}.nnm"))).unwrap(),
            blob,
            "{name}.nnm: run NN_REGENERATE=1 cargo test"
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("EXPECTED")).unwrap(),
        expected_index(),
        "EXPECTED: run NN_REGENERATE=1 cargo test"
    );
}

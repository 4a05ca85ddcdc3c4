// SPDX-License-Identifier: GPL-2.0

//! Host tests of the model format (`rust/pure/model.rs`) and the forward pass
//! (`rust/pure/forward.rs`).

extern crate std;

use std::vec;
use std::vec::Vec;

use crate::activation::Activation;
use crate::fixed::Requant;
use crate::format::{Format, Weights};
use crate::forward::{argmax, DenseLayer, ShapeError};
use crate::model::{crc32, Model, ParseError, HEADER_LEN};
use crate::writer::{write_model, LayerSpec};

fn layer(inputs: usize, outputs: usize, activation: Activation, seed: i32) -> LayerSpec {
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
            .map(|i| ((i as i32 * 7919 + seed) % 65535 - 32767) as i16)
            .collect(),
        bias: (0..outputs).map(|i| (i as i32 - 2) * 1000 + seed).collect(),
    }
}

fn sample() -> Vec<u8> {
    write_model(
        3,
        8,
        &[
            layer(3, 4, Activation::Relu, 1),
            layer(4, 2, Activation::Sigmoid, 2),
        ],
    )
}

/// Rewrites the checksum after a deliberate edit, so that the edit itself is what the
/// parser must catch.
fn refresh_crc(b: &mut [u8]) {
    let n = b.len() - 4;
    let crc = crc32(&b[..n]);
    b[n..].copy_from_slice(&crc.to_le_bytes());
}

#[test]
fn crc32_matches_zlib() {
    assert_eq!(crc32(b""), 0);
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    assert_eq!(
        crc32(b"The quick brown fox jumps over the lazy dog"),
        0x414f_a339
    );
}

#[test]
fn checksum_names_the_model_and_the_whole_blobs_crc_does_not() {
    let a = sample();
    let mut b = sample();
    // Another bias: another model, its checksum refreshed.
    let n = b.len();
    b[n - 8] ^= 1;
    refresh_crc(&mut b);
    let (ma, mb) = (Model::parse(&a).unwrap(), Model::parse(&b).unwrap());
    assert_eq!(ma.checksum(), crc32(&a[..a.len() - 4]));
    assert_eq!(mb.checksum(), crc32(&b[..b.len() - 4]));
    assert_ne!(ma.checksum(), mb.checksum());
    // The CRC of a whole valid blob is the residue, whatever the model.
    assert_eq!(crc32(&a), 0x2144_df1c);
    assert_eq!(crc32(&b), 0x2144_df1c);
}

#[test]
fn round_trip() {
    let blob = sample();
    let m = Model::parse(&blob).unwrap();
    assert_eq!((m.input_dim(), m.input_frac(), m.n_layers()), (3, 8, 2));
    let layers: Vec<_> = m.layers().collect();
    assert_eq!((layers[0].inputs, layers[0].outputs), (3, 4));
    assert_eq!(layers[1].activation, Activation::Sigmoid);
    assert_eq!(layers[1].out_frac, 15);
    let spec = layer(3, 4, Activation::Relu, 1);
    assert_eq!(m.weights(&layers[0]).collect::<Vec<_>>(), spec.weights);
    assert_eq!(m.biases(&layers[0]).collect::<Vec<_>>(), spec.bias);
}

#[test]
fn every_truncation_is_rejected() {
    let blob = sample();
    for n in 0..blob.len() {
        assert!(
            Model::parse(&blob[..n]).is_err(),
            "prefix of {n} bytes accepted"
        );
    }
}

#[test]
fn every_single_byte_corruption_is_rejected() {
    let blob = sample();
    for i in 0..blob.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut b = blob.clone();
            b[i] ^= flip;
            assert!(Model::parse(&b).is_err(), "byte {i} ^ {flip:#x} accepted");
        }
    }
}

#[test]
fn an_appended_byte_is_rejected() {
    let mut b = sample();
    b.push(0);
    assert_eq!(Model::parse(&b).unwrap_err(), ParseError::LengthMismatch);
}

#[test]
fn each_field_check_names_its_reason() {
    let cases: Vec<(usize, Vec<u8>, ParseError)> = vec![
        (0, b"NNMX".to_vec(), ParseError::BadMagic),
        (4, 3u16.to_le_bytes().to_vec(), ParseError::BadVersion(3)),
        (
            6,
            40u16.to_le_bytes().to_vec(),
            ParseError::BadHeaderLen(40),
        ),
        (8, 0u16.to_le_bytes().to_vec(), ParseError::BadLayerCount(0)),
        (
            8,
            17u16.to_le_bytes().to_vec(),
            ParseError::BadLayerCount(17),
        ),
        (10, vec![16], ParseError::BadFrac),
        (11, vec![1], ParseError::Reserved),
        (25, vec![1], ParseError::Reserved),
        (12, 0u32.to_le_bytes().to_vec(), ParseError::BadDim),
        (12, 4097u32.to_le_bytes().to_vec(), ParseError::BadDim),
        // layer 0 entry at 32: inputs, outputs, activation, out_frac, shift, reserved, mult
        (HEADER_LEN + 8, vec![9], ParseError::BadActivation(9)),
        (HEADER_LEN + 9, vec![16], ParseError::BadFrac),
        (HEADER_LEN + 10, vec![48], ParseError::BadRequant(0)),
        (HEADER_LEN + 11, vec![1], ParseError::Reserved),
        (
            HEADER_LEN + 12,
            0u32.to_le_bytes().to_vec(),
            ParseError::BadRequant(0),
        ),
        (
            HEADER_LEN + 12,
            65536u32.to_le_bytes().to_vec(),
            ParseError::BadRequant(0),
        ),
        // layer 1 is sigmoid: its output must be Q0.15
        (HEADER_LEN + 16 + 9, vec![14], ParseError::BadFrac),
        // layer 1 takes 4 inputs; claim 5
        (
            HEADER_LEN + 16,
            5u32.to_le_bytes().to_vec(),
            ParseError::ShapeMismatch(1),
        ),
    ];
    for (at, bytes, want) in cases {
        let mut b = sample();
        b[at..at + bytes.len()].copy_from_slice(&bytes);
        refresh_crc(&mut b);
        assert_eq!(Model::parse(&b).unwrap_err(), want, "edit at {at}");
        assert!(!want.reason().is_empty());
    }
}

#[test]
fn weight_minus_32768_is_rejected() {
    let mut l = layer(3, 4, Activation::Relu, 1);
    l.weights[5] = i16::MIN;
    let b = write_model(3, 8, &[l]);
    assert_eq!(Model::parse(&b).unwrap_err(), ParseError::BadWeight(0));
}

#[test]
fn payload_size_must_match_the_table() {
    let mut l = layer(3, 4, Activation::Relu, 1);
    l.bias.pop();
    let b = write_model(3, 8, &[l]);
    assert_eq!(Model::parse(&b).unwrap_err(), ParseError::PayloadSize);
    let mut l = layer(3, 4, Activation::Relu, 1);
    l.weights.push(1);
    let b = write_model(3, 8, &[l]);
    assert_eq!(Model::parse(&b).unwrap_err(), ParseError::PayloadSize);
}

#[test]
fn limits_sixteen_layers_and_4096_wide() {
    let mut layers = vec![layer(4096, 2, Activation::Linear, 1)];
    layers.extend((0..15).map(|i| layer(2, 2, Activation::Relu, i)));
    let b = write_model(4096, 8, &layers);
    let m = Model::parse(&b).unwrap();
    assert_eq!(m.n_layers(), 16);
    layers.push(layer(2, 2, Activation::Relu, 3));
    let b = write_model(4096, 8, &layers);
    assert_eq!(Model::parse(&b).unwrap_err(), ParseError::BadLayerCount(17));
}

#[test]
fn forward_by_hand() {
    // x = [1.0, -0.5] in Q8.8 (frac 8): [256, -128]
    // w (frac 8 too) = [[1.0, 2.0], [-1.0, 0.5]] = [[256, 512], [-256, 128]]
    // b = [0.25, 0] in Q16 (frac 8 + 8) = [16384, 0]
    // acc0 = 256*256 - 128*512 + 16384 = 16384 -> 0.25 ; acc1 = -65536 - 16384 = -81920 -> -1.25
    // requant to frac 8: * 1 >> 8
    let l = DenseLayer {
        inputs: 2,
        outputs: 2,
        activation: Activation::Linear,
        requant: Requant::new(1, 8).unwrap(),
        weights: Weights::Wide(&[256, 512, -256, 128]),
        bias: &[16384, 0],
    };
    let mut y = [0i16; 2];
    l.forward(&[256, -128], &mut y).unwrap();
    assert_eq!(y, [64, -320]);
    let relu = DenseLayer {
        activation: Activation::Relu,
        ..l
    };
    relu.forward(&[256, -128], &mut y).unwrap();
    assert_eq!(y, [64, 0]);
    assert_eq!(argmax(&y), Some(0));
}

#[test]
fn forward_refuses_wrong_shapes() {
    let l = DenseLayer {
        inputs: 2,
        outputs: 1,
        activation: Activation::Linear,
        requant: Requant::IDENTITY,
        weights: Weights::Wide(&[1, 2]),
        bias: &[0],
    };
    let mut y = [7i16; 1];
    assert_eq!(l.forward(&[1], &mut y), Err(ShapeError));
    assert_eq!(l.forward(&[1, 2, 3], &mut y), Err(ShapeError));
    assert_eq!(l.forward(&[1, 2], &mut []), Err(ShapeError));
    assert_eq!(y, [7]);
}

#[test]
fn argmax_takes_the_first_of_ties() {
    assert_eq!(argmax(&[]), None);
    assert_eq!(argmax(&[3, 9, 9, -1]), Some(1));
    assert_eq!(argmax(&[-5]), Some(0));
}

const KUNIT_SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../rust/kunit/testdata/sample.nnm"
);
const KUNIT_OUTPUT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../rust/kunit/testdata/sample_output.rs"
);

/// The sample's outputs for the input the KUnit suite uses, as Rust source.
fn sample_output_source() -> std::string::String {
    let blob = sample();
    let m = Model::parse(&blob).unwrap();
    let mut x: Vec<i16> = vec![256, -128, 64];
    for l in m.layers() {
        let w: Vec<i16> = m.weights(&l).collect();
        let b: Vec<i32> = m.biases(&l).collect();
        let mut y = vec![0i16; l.outputs];
        l.dense(Weights::Wide(&w), &b).forward(&x, &mut y).unwrap();
        x = y;
    }
    std::format!(
        "// SPDX-License-Identifier: GPL-2.0\n// Generated by tools/pure (tests_model.rs); do not edit.\nconst SAMPLE_OUTPUT: [i16; {}] = {:?};\nconst SAMPLE_ARGMAX: usize = {};\n",
        x.len(),
        x,
        argmax(&x).unwrap()
    )
}

/// The KUnit suite's blob and expected outputs are the host's: regenerate them with
/// `NN_REGENERATE=1 cargo test`, otherwise check them.
#[test]
fn kunit_sample_blob_is_current() {
    if std::env::var_os("NN_REGENERATE").is_some() {
        std::fs::write(KUNIT_SAMPLE, sample()).unwrap();
        std::fs::write(KUNIT_OUTPUT, sample_output_source()).unwrap();
    }
    assert_eq!(
        std::fs::read(KUNIT_SAMPLE).unwrap(),
        sample(),
        "run NN_REGENERATE=1 cargo test"
    );
    assert_eq!(
        std::fs::read_to_string(KUNIT_OUTPUT).unwrap(),
        sample_output_source()
    );
}

#[test]
fn check_prefix_judges_each_field_as_it_arrives() {
    use crate::model::{check_prefix, declared_len};
    let b = sample();
    // Every prefix of a good blob passes.
    for n in 0..=b.len() {
        assert_eq!(check_prefix(&b[..n]), Ok(()), "prefix of {n}");
    }
    assert_eq!(declared_len(&b[..HEADER_LEN]), Ok(b.len()));
    // A wrong magic is seen at its first wrong byte.
    assert_eq!(check_prefix(b"X"), Err(ParseError::BadMagic));
    assert_eq!(check_prefix(b"NNMX"), Err(ParseError::BadMagic));
    assert_eq!(check_prefix(b"NN"), Ok(()));
    assert_eq!(check_prefix(&[0u8; 32]), Err(ParseError::BadMagic));
    // The version once its two bytes are in, not before.
    let mut v2 = b.clone();
    v2[4] = 3;
    assert_eq!(check_prefix(&v2[..5]), Ok(()));
    assert_eq!(check_prefix(&v2[..6]), Err(ParseError::BadVersion(3)));
    v2[4] = 0;
    assert_eq!(check_prefix(&v2[..6]), Err(ParseError::BadVersion(0)));
    // Then the header length.
    let mut hl = b.clone();
    hl[6] = 48;
    assert_eq!(check_prefix(&hl[..7]), Ok(()));
    assert_eq!(check_prefix(&hl[..8]), Err(ParseError::BadHeaderLen(48)));
    // Whatever `check_prefix` refuses, `declared_len` and the parser refuse too.
    for bad in [&v2[..], &hl[..]] {
        assert_eq!(check_prefix(bad).err(), declared_len(bad).err());
        assert_eq!(check_prefix(bad).err(), Model::parse(bad).err());
    }
}

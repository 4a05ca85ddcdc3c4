// SPDX-License-Identifier: GPL-2.0

//! Writes the seed corpus of each fuzz target into `<dir>/<target>/` (default:
//! `build/fuzz/seeds`): valid models of several shapes and the malformed models of
//! `tools/testing/models/malformed/` for `model_parse`, byte strings that draw several
//! models for `model_mutate`, numbers and lines for `decimal_parse`.
//!
//! `tools/fuzz/run cmin` runs it and merges the seeds, with what fuzzing found, into the
//! committed corpus (`tools/fuzz/corpus/<target>/`, minimized by `cargo fuzz cmin`).

use std::fs;
use std::path::{Path, PathBuf};

use nn_pure::activation::Activation;
use nn_pure::fixed::Requant;
use nn_pure::model::Model;
use nn_pure::writer::{write_model, LayerSpec};

fn layer(inputs: usize, outputs: usize, activation: Activation, seed: i32) -> LayerSpec {
    LayerSpec {
        inputs,
        outputs,
        activation,
        out_frac: activation.output_frac().unwrap_or(8),
        requant: Requant::new(40000 + seed as u32, 20).unwrap(),
        weights: (0..inputs * outputs)
            .map(|i| ((i as i32 * 7919 + seed) % 65535 - 32767) as i16)
            .collect(),
        bias: (0..outputs).map(|i| (i as i32 - 2) * 1000 + seed).collect(),
    }
}

fn valid_models() -> Vec<(&'static str, Vec<u8>)> {
    use Activation::*;
    let mut sixteen = vec![layer(2, 2, Linear, 0)];
    sixteen.extend((1..16).map(|i| layer(2, 2, [Relu, Sigmoid, Tanh, Linear][i % 4], i as i32)));
    vec![
        (
            "valid-1x1-linear",
            write_model(1, 0, &[layer(1, 1, Linear, 1)]),
        ),
        (
            "valid-sample",
            write_model(3, 8, &[layer(3, 4, Relu, 1), layer(4, 2, Sigmoid, 2)]),
        ),
        (
            "valid-tanh",
            write_model(5, 12, &[layer(5, 3, Tanh, 3), layer(3, 5, Tanh, 4)]),
        ),
        (
            "valid-mlp",
            write_model(
                8,
                10,
                &[
                    layer(8, 16, Relu, 5),
                    layer(16, 6, Relu, 6),
                    layer(6, 3, Linear, 7),
                ],
            ),
        ),
        ("valid-16-layers", write_model(2, 15, &sixteen)),
        (
            "valid-wide-4096",
            write_model(4096, 8, &[layer(4096, 1, Relu, 8)]),
        ),
    ]
}

/// A small deterministic generator (xorshift) for byte strings.
fn bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn write(dir: &Path, target: &str, name: &str, data: &[u8]) {
    let d = dir.join(target);
    fs::create_dir_all(&d).unwrap();
    fs::write(d.join(name), data).unwrap();
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../../build/fuzz/seeds"));

    for (name, blob) in valid_models() {
        Model::parse(&blob).expect("a valid seed");
        write(&dir, "model_parse", &format!("{name}.nnm"), &blob);
    }
    let malformed = root.join("../testing/models/malformed");
    for f in fs::read_dir(&malformed).expect("tools/testing/models/malformed") {
        let p = f.unwrap().path();
        if p.extension().is_some_and(|e| e == "nnm") {
            let blob = fs::read(&p).unwrap();
            assert!(Model::parse(&blob).is_err(), "{}", p.display());
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            write(&dir, "model_parse", &name, &blob);
        }
    }

    for (i, n) in [16usize, 64, 256, 1024].iter().enumerate() {
        for k in 0..4u64 {
            let seed = (i as u64) * 16 + k;
            write(
                &dir,
                "model_mutate",
                &format!("random-{n}-{k}"),
                &bytes(seed, *n),
            );
        }
    }
    write(&dir, "model_mutate", "zeros-256", &[0; 256]);
    write(&dir, "model_mutate", "ones-256", &[0xff; 256]);

    let numbers: &[&[u8]] = &[
        b"0",
        b"5",
        b"-0.25",
        b"+.5",
        b"3.",
        b".",
        b"-",
        b"",
        b"1e3",
        b"0x10",
        b"1.2.3",
        b"99999x",
        b"32767",
        b"-32768",
        b"0.99998474121",
        b"-1.000030517578125",
        b"0.00001525878906250000000000000001",
        b"1048577",
        b"0.5 -0.5\t1\r\n",
        b"  1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n",
        b"1\r",
    ];
    for (i, s) in numbers.iter().enumerate() {
        for frac in [0u8, 8, 15, 16] {
            let mut data = vec![frac, 8];
            data.extend_from_slice(s);
            write(&dir, "decimal_parse", &format!("n{i:02}-f{frac}"), &data);
        }
    }
    println!("seeds in {}", dir.display());
}

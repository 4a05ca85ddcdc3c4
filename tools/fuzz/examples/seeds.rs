// SPDX-License-Identifier: GPL-2.0

//! Writes the seed corpus of each fuzz target into `<dir>/<target>/` (default:
//! `build/fuzz/seeds`): valid models of several shapes and the malformed models of
//! `tools/testing/models/malformed/` for `model_parse`, byte strings that draw several
//! models for `model_mutate`, numbers and lines for `decimal_parse`, and the lines of the
//! documentation and the guest tests, good and bad, for the command grammars
//! (`create_parse`, `config_parse`, `train_parse`, `id_parse`).
//!
//! `tools/fuzz/run cmin` runs it and merges the seeds, with what fuzzing found, into the
//! committed corpus (`tools/fuzz/corpus/<target>/`, minimized by `cargo fuzz cmin`).

use std::fs;
use std::path::{Path, PathBuf};

use nn_pure::activation::Activation;
use nn_pure::fixed::Requant;
use nn_pure::format::Format;
use nn_pure::model::Model;
use nn_pure::writer::{write_model, LayerSpec};

fn layer(inputs: usize, outputs: usize, activation: Activation, seed: i32) -> LayerSpec {
    LayerSpec {
        inputs,
        outputs,
        activation,
        format: Format::F16x16,
        in_shift: 0,
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
    command_seeds(&dir);
    println!("seeds in {}", dir.display());
}

/// Writes each of `lines` for `target`, after each of the `prefixes` (the bytes that pick
/// `MAX_NUMNODES` or the network).
fn write_lines(dir: &Path, target: &str, prefixes: &[&[u8]], lines: &[&[u8]]) {
    for (i, line) in lines.iter().enumerate() {
        for (k, prefix) in prefixes.iter().enumerate() {
            let mut data = prefix.to_vec();
            data.extend_from_slice(line);
            write(dir, target, &format!("l{i:02}-p{k}"), &data);
        }
    }
}

/// The command grammars' seeds: the lines of admin-guide.rst, the modules' comments and
/// the guest tests (`tools/testing/guest/tests/`), and lines that break each rule.
fn command_seeds(dir: &Path) {
    let largest = format!("{}{}\n", "4096 ".repeat(17), "relu ".repeat(16));
    let too_many = format!("{}{}\n", "1 ".repeat(18), "relu ".repeat(17));
    let too_many_acts = format!("{}{}\n", "1 ".repeat(17), "relu ".repeat(17));
    let create: &[&[u8]] = &[
        b"2 4 1 tanh sigmoid seed=1\n",
        b"64 32 10 relu linear policy=bind nodes=1\n",
        b"64 32 10 relu linear policy=preferred node=2\n",
        b"1 4096 linear seed=1\n",
        b"16 32 16 tanh linear seed=7\n",
        b"64 512 512 64 relu relu linear seed=2\n",
        b"512 512 4 relu linear seed=1 policy=interleave\n",
        b"8 16 4 relu linear seed=1 policy=replicate nodes=0-1\n",
        b"8 8 8 8 8 relu relu relu linear policy=interleave nodes=0,1\n",
        b"8 16 4 relu linear policy=local seed=1\n",
        b"2 2 linear seed=18446744073709551615 policy=bind node=0 nodes=0-7\n",
        largest.as_bytes(),
        too_many.as_bytes(),
        too_many_acts.as_bytes(),
        b"2 4 1 tanh\n",
        b"2 tanh\n",
        b"2 0 1 relu relu\n",
        b"2 4 1 tanh softmax\n",
        b"5000 2 relu\n",
        b"\n",
        b"2 linear 2\n",
        b"2 2 linear seed=x policy=mirror node=9 nodes=3-1\n",
        b"2 2 linear policy=mirror\n",
        b"2 2 linear node=x\n",
        b"2 2 linear node=9\n",
        b"99999999999999999999999 1 linear\n",
        b"4097 1 linear\n",
        b"2 2 linear nodes=0-3:2/4\n",
        b"2 2 linear \xff\n",
    ];
    write_lines(dir, "create_parse", &[b"\x03", b"\x07", b"\x00"], create);

    let config: &[&[u8]] = &[
        b"policy bind nodes 1\n",
        b"policy preferred node 2\n",
        b"node 3\n",
        b"nodes 0-1\n",
        b"migrate 1\n",
        b"cpus 2-3\n",
        b"cpus default\n",
        b"avoid_cpu0 1\n",
        b"cache_timeout 500\n",
        b"cache_timeout default\n",
        b"simd 0\n",
        b"migrate 1\ncpus 2-3\n",
        b"simd 0\ncache_timeout 250\n\navoid_cpu0 1\n",
        b"simd 1\nmigrate 1\ncache_timeout 5000000\n",
        b"simd 0\nmigrate 0\ncache_timeout 5\nbogus 1\n",
        b"policy interleave nodes 0-3 cpus 0 simd 1\n",
        b"policy=bind node=1 nodes=1-2 cache_timeout=3600000\r\n",
        b"migrate 1 node 1\n",
        b"policy\n",
        b"simd 0 simd 1\n",
        b"nodes 1,,2\n",
        b"policy mirror\n",
        b"node x\n",
        b"node 9\n",
        b"avoid_cpu0 2\n",
        b"simd on\n",
        b"bogus 1\n",
        b"\n \t\n",
        b"cpus 0\n\xff\n",
    ];
    write_lines(dir, "config_parse", &[b"\x03", b"\x07", b"\x00"], config);

    // 2 inputs, 1 output, Q3.12 in, Q0.15 out (XOR with a sigmoid); 4 inputs, 2
    // outputs, Q3.12 both.
    let train: &[&[u8]] = &[
        b"epochs 2000\nrate 1\n0 0 : 0\n0 1 : 1\n1 0 : 1\n1 1 : 0\n",
        b"epochs 5\nrate 0.5\nbatch 4\n",
        b"-0.5\t2:-7\r\n0.25 7.999 : 0.5\n",
        b"1 2 3 4 : 0.5 -0.5\n",
        b"0 1 1\n",
        b"0 1 : 1 0\n",
        b"epochs 0\n0 0 : 0\n",
        b"rate -1\n",
        b"rate 8\nbatch 0\n",
        b"0 x : 1\n",
        b"9 0 : 1\n",
        b"epochs 5 6\n",
        b"batch 0\n",
        b"1 1 : x\n",
        b"0 :1\n",
        b"0 1 :\n",
        b"0 \xff : 1\n",
    ];
    write_lines(
        dir,
        "train_parse",
        &[b"\x01\x00\xfc", b"\x03\x01\xcc"],
        train,
    );

    let ids: &[&[u8]] = &[
        b"0",
        b"3\n",
        b" \t42 \r\n",
        b"4294967295\n",
        b"4294967296\n",
        b"+1\n",
        b"-1\n",
        b"1 2\n",
        b"0x10\n",
        b"",
        b"\n",
        "\u{a0}7\n".as_bytes(),
        b"7\xff\n",
    ];
    write_lines(dir, "id_parse", &[b""], ids);
}

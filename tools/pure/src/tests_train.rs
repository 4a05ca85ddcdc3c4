// SPDX-License-Identifier: GPL-2.0

//! Host tests of network creation (`rust/pure/xavier.rs`) and training (`rust/pure/train.rs`).

extern crate std;

use std::vec;
use std::vec::Vec;

use crate::activation::Activation;
use crate::fixed::{Requant, WEIGHT_MAX};
use crate::forward::argmax;
use crate::int::{div_u64, isqrt};
use crate::rng::Rng;
use crate::train::{
    apply, check, forward, mse, output, step, zero_grad, TrainError, TrainLayer, DELTA_FRAC,
    LOSS_FRAC, LR_ONE,
};
use crate::xavier::{
    fill_xavier, init_layer, xavier_limit, LayerPlan, Plan, PlanError, INPUT_FRAC, WEIGHT_FRAC,
};

use Activation::{Linear, Relu, Sigmoid, Tanh};

/// One layer's buffers, as the kernel allocates them.
struct Bufs {
    w: Vec<i16>,
    b: Vec<i32>,
    gw: Vec<i64>,
    gb: Vec<i64>,
    pre: Vec<i16>,
    out: Vec<i16>,
    delta: Vec<i64>,
}

/// A created network and its training memory.
struct Net {
    plan: Plan,
    bufs: Vec<Bufs>,
}

impl Net {
    fn new(dims: &[usize], acts: &[Activation], rng: &mut Rng) -> Net {
        let plan = Plan::new(dims, acts).unwrap();
        let bufs = plan
            .layers()
            .iter()
            .map(|l| {
                let n = l.outputs;
                let mut b = Bufs {
                    w: vec![0; l.weight_count()],
                    b: vec![0; n],
                    gw: vec![0; l.weight_count()],
                    gb: vec![0; n],
                    pre: vec![0; n],
                    out: vec![0; n],
                    delta: vec![0; n],
                };
                init_layer(l, &mut b.w, &mut b.b, rng).unwrap();
                b
            })
            .collect();
        Net { plan, bufs }
    }

    fn layers(&mut self) -> Vec<TrainLayer<'_>> {
        self.plan
            .layers()
            .iter()
            .zip(self.bufs.iter_mut())
            .map(|(p, b)| TrainLayer {
                plan: *p,
                weights: &mut b.w,
                bias: &mut b.b,
                grad_w: &mut b.gw,
                grad_b: &mut b.gb,
                pre: &mut b.pre,
                out: &mut b.out,
                delta: &mut b.delta,
            })
            .collect()
    }
}

fn lr(rate: f64) -> u32 {
    (rate * f64::from(LR_ONE)).round() as u32
}

fn real_loss(loss: u64) -> f64 {
    loss as f64 / (1u64 << LOSS_FRAC) as f64
}

// ---------------------------------------------------------------- generator, helpers

#[test]
fn xoshiro256starstar_reference_vector() {
    // The reference implementation (prng.di.unimi.it/xoshiro256starstar.c) from the
    // state {1, 2, 3, 4}.
    let mut r = Rng::from_state([1, 2, 3, 4]).unwrap();
    let got: Vec<u64> = (0..4).map(|_| r.next_u64()).collect();
    assert_eq!(got, [11520, 0, 1509978240, 1215971899390074240]);
    assert!(Rng::from_state([0; 4]).is_none());
}

#[test]
fn seeding_is_splitmix64() {
    // SplitMix64 from 1234567 (the reference's test values) becomes the state.
    let mut sm = 1234567u64;
    let mut next = || {
        sm = sm.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = sm;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let s = [next(), next(), next(), next()];
    assert_eq!(
        s,
        [
            6457827717110365317,
            3203168211198807973,
            9817491932198370423,
            4593380528125082431
        ]
    );
    assert_eq!(Rng::from_seed(1234567), Rng::from_state(s).unwrap());
    // Every seed works, 0 included, and different seeds give different streams.
    let a = Rng::from_seed(0).next_u64();
    let b = Rng::from_seed(1).next_u64();
    assert_ne!(a, b);
}

#[test]
fn below_is_uniform_and_in_range() {
    let mut r = Rng::from_seed(7);
    assert_eq!(r.below(0), 0);
    assert_eq!(r.below(1), 0);
    let n = 6u32;
    let draws = 600_000;
    let mut counts = [0u32; 6];
    for _ in 0..draws {
        let v = r.below(n);
        assert!(v < n);
        counts[v as usize] += 1;
    }
    let expect = f64::from(draws) / f64::from(n);
    let chi2: f64 = counts
        .iter()
        .map(|&c| (f64::from(c) - expect).powi(2) / expect)
        .sum();
    // 5 degrees of freedom: P(chi2 > 20.5) = 0.001.
    assert!(chi2 < 20.5, "chi2 {chi2} counts {counts:?}");
    for n in [2u32, 3, 1000, 65535, u32::MAX] {
        for _ in 0..1000 {
            assert!(r.below(n) < n);
        }
    }
}

#[test]
fn integer_helpers_are_exact() {
    let mut r = Rng::from_seed(3);
    for _ in 0..100_000 {
        let n = r.next_u64() >> (r.below(64));
        let d = (r.next_u32() >> r.below(32)).max(1);
        assert_eq!(div_u64(n, d), n / u64::from(d));
        let s = isqrt(n);
        assert!(s * s <= n && (s + 1).checked_mul(s + 1).is_none_or(|q| q > n));
    }
    assert_eq!(div_u64(5, 0), u64::MAX);
    assert_eq!(isqrt(u64::MAX), u64::from(u32::MAX));
    for n in 0..10_000u64 {
        let s = isqrt(n);
        assert!(s * s <= n && (s + 1) * (s + 1) > n);
    }
}

// ---------------------------------------------------------------- plans, Xavier

#[test]
fn plan_for_4_8_2() {
    let p = Plan::new(&[4, 8, 2], &[Relu, Sigmoid]).unwrap();
    assert_eq!((p.n_layers(), p.input_dim(), p.output_dim()), (2, 4, 2));
    assert_eq!((p.input_frac(), p.output_frac()), (12, 15));
    let l = p.layers();
    assert_eq!((l[0].inputs, l[0].outputs), (4, 8));
    assert_eq!((l[0].input_frac, l[0].weight_frac), (12, 12));
    assert_eq!(
        (l[0].pre_frac, l[0].out_frac, l[0].bias_frac()),
        (12, 12, 24)
    );
    assert_eq!(l[0].requant, Requant::new(1, 12).unwrap());
    assert_eq!((l[1].inputs, l[1].outputs), (8, 2));
    assert_eq!(
        (l[1].input_frac, l[1].pre_frac, l[1].out_frac),
        (12, 12, 15)
    );
    assert_eq!(l[1].requant, Requant::new(1, 12).unwrap());
}

#[test]
fn plan_after_a_squashing_layer_shifts_by_15() {
    let p = Plan::new(&[3, 5, 5, 5, 2], &[Tanh, Sigmoid, Linear, Tanh]).unwrap();
    let l = p.layers();
    let fracs: Vec<_> = l
        .iter()
        .map(|l| (l.input_frac, l.out_frac, l.requant.shift()))
        .collect();
    assert_eq!(
        fracs,
        [(12, 15, 12), (15, 15, 15), (15, 12, 15), (12, 15, 12)]
    );
    assert!(l.iter().all(|l| l.requant.mult() == 1));
    // Every layer's formats chain and each is what the model format allows.
    for w in l.windows(2) {
        assert_eq!(w[1].input_frac, w[0].out_frac);
        assert_eq!(w[1].inputs, w[0].outputs);
    }
}

#[test]
fn plan_errors() {
    assert_eq!(Plan::new(&[4], &[]), Err(PlanError::DimCount));
    assert_eq!(Plan::new(&[], &[]), Err(PlanError::DimCount));
    assert_eq!(Plan::new(&[1; 18], &[Relu; 17]), Err(PlanError::DimCount));
    assert!(Plan::new(&[1; 17], &[Relu; 16]).is_ok());
    assert_eq!(
        Plan::new(&[4, 0, 2], &[Relu, Relu]),
        Err(PlanError::BadDim(1))
    );
    assert_eq!(
        Plan::new(&[4, 8, 4097], &[Relu, Relu]),
        Err(PlanError::BadDim(2))
    );
    assert!(Plan::new(&[4096, 4096], &[Relu]).is_ok());
    assert_eq!(
        Plan::new(&[4, 8, 2], &[Relu]),
        Err(PlanError::ActivationCount)
    );
    assert_eq!(
        Plan::new(&[4, 8, 2], &[Relu; 3]),
        Err(PlanError::ActivationCount)
    );
    assert!(!PlanError::Shape.reason().is_empty());
}

#[test]
fn xavier_limit_matches_f64() {
    for inputs in (1..=4096).step_by(37).chain([1, 4096]) {
        for outputs in [1, 2, 3, 8, 100, 4096] {
            for wf in [8u8, 12, 13, 14, 15] {
                let want = ((6.0 / (inputs + outputs) as f64).sqrt() * f64::from(1u32 << wf))
                    .floor()
                    .min(32767.0) as i16;
                assert_eq!(xavier_limit(inputs, outputs, wf), Ok(want));
            }
        }
    }
    assert_eq!(xavier_limit(2, 2, 12), Ok(5016)); // sqrt(1.5) * 4096 = 5016.4
    assert_eq!(xavier_limit(0, 2, 12), Err(PlanError::BadDim(0)));
    assert_eq!(xavier_limit(2, 4097, 12), Err(PlanError::BadDim(1)));
    assert_eq!(xavier_limit(2, 2, 16), Err(PlanError::BadFrac));
}

#[test]
fn xavier_values_in_range_and_uniform() {
    let (inputs, outputs) = (300, 200);
    let limit = xavier_limit(inputs, outputs, WEIGHT_FRAC).unwrap();
    assert_eq!(limit, 448); // sqrt(6 / 500) * 4096 = 448.7
    let mut w = vec![0i16; inputs * outputs];
    let mut rng = Rng::from_seed(11);
    fill_xavier(&mut w, inputs, outputs, WEIGHT_FRAC, &mut rng).unwrap();
    assert!(w.iter().all(|&v| (-limit..=limit).contains(&v)));
    assert!(w.contains(&limit) && w.contains(&-limit));
    let n = w.len() as f64;
    let mean = w.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = w.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / n;
    // Uniform on [-L, L]: mean 0, variance L(L+1)/3.
    let l = f64::from(limit);
    assert!(mean.abs() < 3.0, "mean {mean}");
    assert!(
        (var / (l * (l + 1.0) / 3.0) - 1.0).abs() < 0.02,
        "var {var}"
    );
    // The same seed gives the same weights; wrong lengths write nothing.
    let mut w2 = vec![0i16; inputs * outputs];
    fill_xavier(
        &mut w2,
        inputs,
        outputs,
        WEIGHT_FRAC,
        &mut Rng::from_seed(11),
    )
    .unwrap();
    assert_eq!(w, w2);
    let mut short = vec![7i16; 10];
    assert_eq!(
        fill_xavier(&mut short, 3, 4, WEIGHT_FRAC, &mut rng),
        Err(PlanError::Shape)
    );
    assert!(short.iter().all(|&v| v == 7));
    // A 1x1 layer at weight_frac 15: the limit caps at 32767, never -32768.
    let mut big = vec![0i16; 1];
    for _ in 0..10_000 {
        fill_xavier(&mut big, 1, 1, 15, &mut rng).unwrap();
        assert!(big[0] >= -WEIGHT_MAX);
    }
}

#[test]
fn init_layer_zeroes_biases_and_checks_lengths() {
    let p = Plan::new(&[3, 2], &[Linear]).unwrap();
    let l = p.layers()[0];
    let mut w = vec![0i16; 6];
    let mut b = vec![5i32; 2];
    let mut rng = Rng::from_seed(1);
    init_layer(&l, &mut w, &mut b, &mut rng).unwrap();
    assert_eq!(b, [0, 0]);
    assert!(w.iter().any(|&v| v != 0));
    let mut b3 = vec![5i32; 3];
    assert_eq!(
        init_layer(&l, &mut w, &mut b3, &mut rng),
        Err(PlanError::Shape)
    );
}

// ---------------------------------------------------------------- XOR

const XOR_IN: [[i16; 2]; 4] = [[0, 0], [0, 4096], [4096, 0], [4096, 4096]];
const XOR_OUT: [i16; 4] = [0, 32767, 32767, 0];

/// Mean loss over the four samples and how many are classified correctly.
fn xor_eval(l: &mut [TrainLayer<'_>]) -> (u64, usize) {
    let mut loss = 0;
    let mut correct = 0;
    for (x, &t) in XOR_IN.iter().zip(&XOR_OUT) {
        forward(l, x).unwrap();
        let y = output(l)[0];
        loss += mse(output(l), &[t], 15);
        correct += usize::from((y > 16384) == (t > 16384));
    }
    (loss / 4, correct)
}

struct XorRun {
    /// Steps (samples) until all four were classified correctly.
    steps_to_solve: Option<usize>,
    first_loss: u64,
    last_loss: u64,
    final_correct: usize,
}

/// Trains XOR for `epochs` of 4 steps (online: batch 1, random sample order), or with
/// a full batch of 4 when `full_batch`.
fn train_xor(seed: u64, hidden: Activation, rate: f64, full_batch: bool, epochs: usize) -> XorRun {
    let mut rng = Rng::from_seed(seed);
    let mut net = Net::new(&[2, 4, 1], &[hidden, Sigmoid], &mut rng);
    let mut l = net.layers();
    let (first_loss, _) = xor_eval(&mut l);
    let mut steps_to_solve = None;
    for epoch in 0..epochs {
        if steps_to_solve.is_none() && xor_eval(&mut l).1 == 4 {
            steps_to_solve = Some(epoch * 4);
        }
        for k in 0..4 {
            if full_batch {
                step(&mut l, &XOR_IN[k], &XOR_OUT[k..=k]).unwrap();
            } else {
                let i = rng.below(4) as usize;
                step(&mut l, &XOR_IN[i], &XOR_OUT[i..=i]).unwrap();
                apply(&mut l, lr(rate), 1, Some(&mut rng)).unwrap();
            }
        }
        if full_batch {
            apply(&mut l, lr(rate), 4, Some(&mut rng)).unwrap();
        }
    }
    let (last_loss, final_correct) = xor_eval(&mut l);
    XorRun {
        steps_to_solve,
        first_loss,
        last_loss,
        final_correct,
    }
}

#[test]
fn xor_converges_for_20_seeds() {
    // [2, 4, 1], tanh then sigmoid, online SGD at rate 1.0: measured over seeds 0..100,
    // every one solves XOR, the slowest in 1264 steps (316 epochs).
    let mut worst = 0;
    for seed in 0..20 {
        let r = train_xor(seed, Tanh, 1.0, false, 1000);
        let steps = r
            .steps_to_solve
            .unwrap_or_else(|| panic!("seed {seed} failed"));
        std::eprintln!(
            "xor seed {seed:2}: solved after {steps:4} steps; loss {:.4} -> {:.6}",
            real_loss(r.first_loss),
            real_loss(r.last_loss)
        );
        assert!(steps <= 2000, "seed {seed}: {steps} steps");
        assert_eq!(r.final_correct, 4, "seed {seed}");
        // The loss falls far: below a quarter of the first (in fact below 1/100).
        assert!(r.last_loss < r.first_loss / 4, "seed {seed}");
        assert!(r.last_loss < r.first_loss / 100, "seed {seed}");
        worst = worst.max(steps);
    }
    std::eprintln!("xor: worst of 20 seeds {worst} steps");
}

#[test]
fn xor_converges_with_sigmoid_hidden_and_full_batches() {
    for seed in 0..10 {
        let r = train_xor(seed, Sigmoid, 2.0, false, 1500);
        assert!(
            r.steps_to_solve.is_some_and(|s| s <= 6000),
            "sigmoid seed {seed}"
        );
        assert!(r.last_loss < r.first_loss / 4);
        // Full batches of 4, mean gradient, one update per epoch.
        let r = train_xor(seed, Tanh, 2.0, true, 1500);
        let steps = r.steps_to_solve;
        std::eprintln!("xor full batch seed {seed}: solved after {steps:?} steps");
        assert!(steps.is_some_and(|s| s <= 6000), "batch seed {seed}");
        assert!(r.last_loss < r.first_loss / 4);
    }
}

#[test]
fn xor_with_relu_success_rate() {
    // ReLU hidden units with zero biases often die on XOR (the (0, 0) sample gives every
    // hidden unit 0); measured: 48 of 100 seeds solve it within 20,000 epochs at rate 1.
    // Only a lower bound is asserted here.
    let solved = (0..20)
        .filter(|&s| train_xor(s, Relu, 1.0, false, 500).steps_to_solve.is_some())
        .count();
    std::eprintln!("xor relu: {solved}/20 seeds");
    assert!(solved >= 5, "{solved}/20");
}

#[test]
fn training_is_deterministic() {
    let a = train_xor(5, Tanh, 1.0, false, 100);
    let b = train_xor(5, Tanh, 1.0, false, 100);
    assert_eq!(a.last_loss, b.last_loss);
    assert_eq!(a.steps_to_solve, b.steps_to_solve);
}

// ---------------------------------------------------------------- three classes

/// Three interleaved spiral arms in the unit disc, Q3.12 coordinates.
fn spiral(n_per: usize, seed: u64) -> Vec<([i16; 2], usize)> {
    let mut rng = Rng::from_seed(seed);
    let mut v = Vec::new();
    for c in 0..3 {
        for i in 0..n_per {
            let t = i as f64 / n_per as f64;
            let r = 0.1 + 0.9 * t;
            let noise = (f64::from(rng.below(1001)) / 1000.0 - 0.5) * 0.3;
            let a = c as f64 * 2.0 * core::f64::consts::PI / 3.0 + 5.0 * t + noise;
            v.push((
                [(r * a.cos() * 4096.0) as i16, (r * a.sin() * 4096.0) as i16],
                c,
            ));
        }
    }
    v
}

fn accuracy(l: &mut [TrainLayer<'_>], data: &[([i16; 2], usize)]) -> f64 {
    let correct = data
        .iter()
        .filter(|(x, c)| {
            forward(l, x).unwrap();
            argmax(output(l)) == Some(*c)
        })
        .count();
    correct as f64 / data.len() as f64
}

#[test]
fn three_class_spiral() {
    let train = spiral(50, 99);
    let test = spiral(50, 1234);
    let mut rng = Rng::from_seed(1);
    let mut net = Net::new(&[2, 16, 3], &[Tanh, Sigmoid], &mut rng);
    let mut l = net.layers();
    let before = accuracy(&mut l, &train);
    let mut first_epoch_loss = 0;
    let mut last_epoch_loss = 0;
    for epoch in 0..200 {
        let mut total = 0;
        for _ in 0..train.len() {
            let (x, c) = train[rng.below(train.len() as u32) as usize];
            let mut t = [0i16; 3];
            t[c] = 32767;
            total += step(&mut l, &x, &t).unwrap();
            apply(&mut l, lr(0.5), 1, Some(&mut rng)).unwrap();
        }
        if epoch == 0 {
            first_epoch_loss = total;
        }
        last_epoch_loss = total;
    }
    let acc = accuracy(&mut l, &train);
    let held_out = accuracy(&mut l, &test);
    std::eprintln!(
        "spiral: accuracy {before:.3} -> {acc:.3} (held out {held_out:.3}); epoch loss {:.4} -> {:.4}",
        real_loss(first_epoch_loss / train.len() as u64),
        real_loss(last_epoch_loss / train.len() as u64)
    );
    assert!(acc >= 0.97, "accuracy {acc}");
    assert!(held_out >= 0.90, "held-out accuracy {held_out}");
    assert!(last_epoch_loss < first_epoch_loss / 4);
}

// ---------------------------------------------------------------- gradients

fn act_f64(a: Activation, z: f64) -> f64 {
    match a {
        Linear => z,
        Relu => z.max(0.0),
        Sigmoid => 1.0 / (1.0 + (-z).exp()),
        Tanh => z.tanh(),
    }
}

/// `E = 1/2 sum (y - t)^2` of the real-valued network the fixed-point one stands for.
fn loss_f64(plan: &Plan, w: &[Vec<f64>], b: &[Vec<f64>], x: &[f64], t: &[f64]) -> f64 {
    let mut x = x.to_vec();
    for (k, l) in plan.layers().iter().enumerate() {
        x = (0..l.outputs)
            .map(|o| {
                let z: f64 = (0..l.inputs)
                    .map(|i| w[k][o * l.inputs + i] * x[i])
                    .sum::<f64>()
                    + b[k][o];
                act_f64(l.activation, z)
            })
            .collect();
    }
    x.iter().zip(t).map(|(y, t)| 0.5 * (y - t).powi(2)).sum()
}

/// Largest |fixed - finite difference| over every weight and bias, relative to the
/// largest gradient.
fn gradient_check(dims: &[usize], acts: &[Activation], seed: u64) -> f64 {
    let mut rng = Rng::from_seed(seed);
    let mut net = Net::new(dims, acts, &mut rng);
    // Non-zero biases, so that they matter too.
    for (bufs, p) in net.bufs.iter_mut().zip(net.plan.layers()) {
        for b in bufs.b.iter_mut() {
            *b = (rng.below(4097) as i32 - 2048) << (p.bias_frac() - 12);
        }
    }
    let plan = net.plan;
    let input: Vec<i16> = (0..dims[0])
        .map(|_| rng.below(8193) as i16 - 4096)
        .collect();
    let last = plan.layers().last().copied().unwrap();
    let target: Vec<i16> = (0..last.outputs)
        .map(|_| rng.below(1 << last.out_frac) as i16)
        .collect();
    let mut l = net.layers();
    step(&mut l, &input, &target).unwrap();
    drop(l);

    let w: Vec<Vec<f64>> = net
        .bufs
        .iter()
        .zip(plan.layers())
        .map(|(b, p)| {
            b.w.iter()
                .map(|&v| f64::from(v) / f64::from(1u32 << p.weight_frac))
                .collect()
        })
        .collect();
    let b: Vec<Vec<f64>> = net
        .bufs
        .iter()
        .zip(plan.layers())
        .map(|(b, p)| {
            b.b.iter()
                .map(|&v| f64::from(v) / f64::from(1u32 << p.bias_frac()))
                .collect()
        })
        .collect();
    let x: Vec<f64> = input.iter().map(|&v| f64::from(v) / 4096.0).collect();
    let t: Vec<f64> = target
        .iter()
        .map(|&v| f64::from(v) / f64::from(1u32 << last.out_frac))
        .collect();
    let h = 1e-6;
    let mut max_err: f64 = 0.0;
    let mut max_grad: f64 = 0.0;
    for (k, p) in plan.layers().iter().enumerate() {
        for j in 0..w[k].len() {
            let mut wp = w.clone();
            wp[k][j] += h;
            let mut wm = w.clone();
            wm[k][j] -= h;
            let fd =
                (loss_f64(&plan, &wp, &b, &x, &t) - loss_f64(&plan, &wm, &b, &x, &t)) / (2.0 * h);
            let fixed = net.bufs[k].gw[j] as f64 / 2f64.powi(i32::from(DELTA_FRAC + p.input_frac));
            max_err = max_err.max((fixed - fd).abs());
            max_grad = max_grad.max(fd.abs());
        }
        for j in 0..b[k].len() {
            let mut bp = b.clone();
            bp[k][j] += h;
            let mut bm = b.clone();
            bm[k][j] -= h;
            let fd =
                (loss_f64(&plan, &w, &bp, &x, &t) - loss_f64(&plan, &w, &bm, &x, &t)) / (2.0 * h);
            let fixed = net.bufs[k].gb[j] as f64 / 2f64.powi(i32::from(DELTA_FRAC));
            max_err = max_err.max((fixed - fd).abs());
            max_grad = max_grad.max(fd.abs());
        }
    }
    max_err / max_grad.max(1e-9)
}

#[test]
fn gradients_match_finite_differences() {
    // The fixed-point gradients against central differences (h = 1e-6) of the loss of
    // the real-valued network with the same weights. They differ by the forward pass's
    // rounding (Q3.12 pre-activations, the activation tables): measured worst 1.2e-3 of
    // the largest gradient. ReLU's kink would spoil a finite difference if some z were
    // within a step of 0; these seeds avoid it.
    let cases: [(&[usize], &[Activation]); 6] = [
        (&[3, 4, 2], &[Tanh, Sigmoid]),
        (&[3, 4, 2], &[Sigmoid, Linear]),
        (&[2, 5, 3, 2], &[Tanh, Tanh, Sigmoid]),
        (&[4, 3, 2], &[Linear, Tanh]),
        (&[3, 4, 2], &[Relu, Linear]),
        (&[2, 6, 3], &[Relu, Sigmoid]),
    ];
    let mut worst: f64 = 0.0;
    for (dims, acts) in cases {
        for seed in 0..10 {
            let e = gradient_check(dims, acts, seed);
            assert!(
                e < 0.003,
                "{dims:?} {acts:?} seed {seed}: relative error {e}"
            );
            worst = worst.max(e);
        }
    }
    std::eprintln!("gradient check: worst error relative to the largest gradient {worst:.2e}");
}

#[test]
fn mini_batch_sums_the_samples_gradients() {
    let mut rng = Rng::from_seed(9);
    let mut net = Net::new(&[2, 3, 1], &[Tanh, Sigmoid], &mut rng);
    let mut single = Vec::new();
    {
        let mut l = net.layers();
        for k in 0..4 {
            zero_grad(&mut l);
            step(&mut l, &XOR_IN[k], &XOR_OUT[k..=k]).unwrap();
            single.push(l[0].grad_w.to_vec());
        }
        zero_grad(&mut l);
        for k in 0..4 {
            step(&mut l, &XOR_IN[k], &XOR_OUT[k..=k]).unwrap();
        }
        let sum: Vec<i64> = (0..single[0].len())
            .map(|j| single.iter().map(|g| g[j]).sum())
            .collect();
        assert_eq!(l[0].grad_w.to_vec(), sum);
        apply(&mut l, lr(1.0), 4, None).unwrap();
        assert!(l.iter().all(|l| l.grad_w.iter().all(|&g| g == 0)));
        assert!(l.iter().all(|l| l.grad_b.iter().all(|&g| g == 0)));
    }
}

#[test]
fn apply_rounds_to_the_mean_update() {
    // One weight, a gradient worth a quarter of a weight step at rate 1: to nearest it
    // is lost; stochastic rounding keeps it on average.
    let plan = Plan::new(&[1, 1], &[Linear]).unwrap();
    let p = plan.layers()[0];
    let (mut w, mut b) = ([0i16], [0i32]);
    let (mut gw, mut gb, mut pre, mut out, mut d) = ([0i64], [0i64], [0i16], [0i16], [0i64]);
    // A weight step is 2^-12; grad_w has 24 + 12 bits.
    let quarter = 1i64 << (24 + 12 - 12 - 2);
    let mut rng = Rng::from_seed(4);
    let mut total = 0i64;
    let n = 20_000;
    for _ in 0..n {
        let mut l = [TrainLayer {
            plan: p,
            weights: &mut w,
            bias: &mut b,
            grad_w: &mut gw,
            grad_b: &mut gb,
            pre: &mut pre,
            out: &mut out,
            delta: &mut d,
        }];
        l[0].weights[0] = 0;
        l[0].grad_w[0] = -quarter;
        apply(&mut l, LR_ONE, 1, Some(&mut rng)).unwrap();
        total += i64::from(l[0].weights[0]);
        l[0].grad_w[0] = -quarter;
        l[0].weights[0] = 0;
        apply(&mut l, LR_ONE, 1, None).unwrap();
        assert_eq!(l[0].weights[0], 0);
        // Three quarters round to one step; a batch of 3 divides exactly enough.
        l[0].grad_w[0] = -9 * quarter;
        apply(&mut l, LR_ONE, 3, None).unwrap();
        assert_eq!(l[0].weights[0], 1);
    }
    let mean = total as f64 / f64::from(n);
    assert!((mean - 0.25).abs() < 0.015, "mean update {mean}");
}

// ---------------------------------------------------------------- exactness, limits

#[test]
fn saved_forward_equals_the_inference_path() {
    let mut rng = Rng::from_seed(21);
    let mut net = Net::new(&[5, 7, 6, 3], &[Relu, Tanh, Sigmoid], &mut rng);
    let mut l = net.layers();
    for round in 0..200 {
        let x: Vec<i16> = (0..5).map(|_| rng.next_u32() as i16).collect();
        let t: Vec<i16> = (0..3).map(|_| rng.below(32768) as i16).collect();
        if round % 2 == 0 {
            step(&mut l, &x, &t).unwrap();
            apply(&mut l, lr(4.0), 1, Some(&mut rng)).unwrap();
        }
        forward(&mut l, &x).unwrap();
        let mut input = x.clone();
        for layer in l.iter() {
            let mut y = vec![0i16; layer.plan.outputs];
            layer.dense().forward(&input, &mut y).unwrap();
            assert_eq!(&y[..], &layer.out[..], "round {round}");
            input = y;
        }
        // step saves the same forward pass.
        step(&mut l, &x, &t).unwrap();
        assert_eq!(output(&l), &input[..]);
        zero_grad(&mut l);
    }
}

#[test]
fn extreme_weights_and_rates_saturate_without_panic() {
    let mut rng = Rng::from_seed(8);
    for acts in [
        [Linear, Linear],
        [Relu, Tanh],
        [Sigmoid, Sigmoid],
        [Tanh, Linear],
    ] {
        let mut net = Net::new(&[3, 4, 2], &acts, &mut rng);
        for bufs in net.bufs.iter_mut() {
            bufs.w.fill(WEIGHT_MAX);
            bufs.b.fill(i32::MAX);
        }
        let mut l = net.layers();
        for round in 0..300 {
            let x: Vec<i16> = (0..3)
                .map(|_| [i16::MIN, i16::MAX, 0, -1][rng.below(4) as usize])
                .collect();
            let t: Vec<i16> = (0..2)
                .map(|_| [i16::MIN, i16::MAX, 0][rng.below(3) as usize])
                .collect();
            step(&mut l, &x, &t).unwrap();
            let rate = [u32::MAX, LR_ONE, 1, 0][round % 4];
            let batch = [1, 3, u32::MAX][round % 3];
            let r = if round % 2 == 0 { Some(&mut rng) } else { None };
            apply(&mut l, rate, batch, r).unwrap();
            for layer in l.iter() {
                assert!(layer.weights.iter().all(|&w| w >= -WEIGHT_MAX));
            }
        }
    }
    // A linear output far above its target at the largest rate: the weight
    // and the bias go to their floors, then, with the opposite target, to their ceilings.
    let mut net = Net::new(&[1, 1], &[Linear], &mut rng);
    let mut l = net.layers();
    step(&mut l, &[4096], &[i16::MIN]).unwrap();
    apply(&mut l, u32::MAX, 1, None).unwrap();
    assert_eq!((l[0].weights[0], l[0].bias[0]), (-WEIGHT_MAX, i32::MIN));
    // The output saturates at the target: no gradient, nothing moves.
    step(&mut l, &[4096], &[i16::MIN]).unwrap();
    assert_eq!(l[0].out[0], i16::MIN);
    assert_eq!(l[0].delta[0], 0);
    apply(&mut l, u32::MAX, 1, Some(&mut rng)).unwrap();
    assert_eq!((l[0].weights[0], l[0].bias[0]), (-WEIGHT_MAX, i32::MIN));
    step(&mut l, &[4096], &[i16::MAX]).unwrap();
    apply(&mut l, u32::MAX, 1, Some(&mut rng)).unwrap();
    assert_eq!((l[0].weights[0], l[0].bias[0]), (WEIGHT_MAX, i32::MAX));
}

#[test]
fn shape_errors_are_reported_not_panics() {
    let mut rng = Rng::from_seed(2);
    let mut net = Net::new(&[2, 3, 1], &[Tanh, Sigmoid], &mut rng);
    let before = net.bufs[0].w.clone();
    {
        let mut l = net.layers();
        assert_eq!(step(&mut l, &[0; 3], &[0]), Err(TrainError::InputLength));
        assert_eq!(
            step(&mut l, &[0; 2], &[0; 2]),
            Err(TrainError::TargetLength)
        );
        assert_eq!(forward(&mut l, &[0; 1]), Err(TrainError::InputLength));
        assert_eq!(apply(&mut l, LR_ONE, 0, None), Err(TrainError::BadBatch));
        assert_eq!(step(&mut l[..0], &[0; 2], &[0]), Err(TrainError::NoLayers));
        assert_eq!(check(&l), Ok(()));
        // Layers out of order do not chain.
        l.swap(0, 1);
        assert_eq!(check(&l), Err(TrainError::Chain(1)));
        l.swap(0, 1);
        // A requantization or format that is not the planned one is not trainable.
        let planned = l[1].plan;
        l[1].plan.requant = Requant::new(3, 15).unwrap();
        assert_eq!(check(&l), Err(TrainError::NotTrainable(1)));
        l[1].plan = planned;
        l[1].plan.out_frac = 12;
        assert_eq!(check(&l), Err(TrainError::NotTrainable(1)));
        // Consistent in itself (12 + 12 - 12), but not the previous layer's format.
        l[1].plan = planned;
        l[1].plan.input_frac = 12;
        l[1].plan.requant = Requant::new(1, 12).unwrap();
        assert_eq!(check(&l), Err(TrainError::Chain(1)));
        l[1].plan = planned;
        assert_eq!(check(&l), Ok(()));
    }
    // Each buffer one element short.
    for which in 0..7 {
        let plan: LayerPlan = net.plan.layers()[0];
        let b = &mut net.bufs[0];
        let n = plan.outputs;
        let nm = plan.weight_count();
        let mut l = [TrainLayer {
            plan,
            weights: &mut b.w[..if which == 0 { nm - 1 } else { nm }],
            bias: &mut b.b[..if which == 1 { n - 1 } else { n }],
            grad_w: &mut b.gw[..if which == 2 { nm - 1 } else { nm }],
            grad_b: &mut b.gb[..if which == 3 { n - 1 } else { n }],
            pre: &mut b.pre[..if which == 4 { n - 1 } else { n }],
            out: &mut b.out[..if which == 5 { n - 1 } else { n }],
            delta: &mut b.delta[..if which == 6 { n - 1 } else { n }],
        }];
        assert_eq!(step(&mut l, &[1, 2], &[0, 0, 0]), Err(TrainError::Shape(0)));
        assert_eq!(apply(&mut l, LR_ONE, 1, None), Err(TrainError::Shape(0)));
    }
    assert_eq!(net.bufs[0].w, before);
    // 17 layers are too many.
    let mut bufs: Vec<Bufs> = Vec::new();
    let p1 = Plan::new(&[1, 1], &[Linear]).unwrap().layers()[0];
    for _ in 0..17 {
        bufs.push(Bufs {
            w: vec![0; 1],
            b: vec![0; 1],
            gw: vec![0; 1],
            gb: vec![0; 1],
            pre: vec![0; 1],
            out: vec![0; 1],
            delta: vec![0; 1],
        });
    }
    let mut l: Vec<TrainLayer<'_>> = bufs
        .iter_mut()
        .map(|b| TrainLayer {
            plan: p1,
            weights: &mut b.w,
            bias: &mut b.b,
            grad_w: &mut b.gw,
            grad_b: &mut b.gb,
            pre: &mut b.pre,
            out: &mut b.out,
            delta: &mut b.delta,
        })
        .collect();
    assert_eq!(check(&l[..16]), Ok(()));
    assert_eq!(step(&mut l, &[1], &[1]), Err(TrainError::TooManyLayers));
    assert!(!TrainError::TooManyLayers.reason().is_empty());
}

#[test]
fn mse_scale() {
    // Q0.15: an error of 0.5 on one of two outputs: mse 0.125 = 2^27 in 2^-30 units.
    assert_eq!(mse(&[16384, 0], &[0, 0], 15), 1 << 27);
    // Q3.12: an error of 1.0: mse 1.0.
    assert_eq!(mse(&[4096], &[0], 12), 1 << 30);
    assert_eq!(mse(&[], &[], 12), 0);
    assert_eq!(mse(&[1], &[1, 2], 12), 0);
    // The largest error at Q15.0: 65535^2 << 30, no overflow.
    assert_eq!(mse(&[i16::MAX], &[i16::MIN], 0), (65535u64 * 65535) << 30);
    // Eight of them: the sum saturates at u64::MAX before the mean.
    assert_eq!(mse(&[i16::MAX; 8], &[i16::MIN; 8], 0), u64::MAX / 8);
    assert_eq!(INPUT_FRAC, 12);
}

#[test]
fn kunit_xor_reference() {
    // rust/kunit/train.rs runs this very training in the kernel and expects these values.
    let r = train_xor(1, Tanh, 1.0, false, 500);
    std::eprintln!(
        "kunit reference: {:?} {} {}",
        r.steps_to_solve,
        r.first_loss,
        r.last_loss
    );
    assert_eq!(r.steps_to_solve, Some(104));
    assert_eq!(r.first_loss, 290_533_110);
    assert_eq!(r.last_loss, 869_062);
    assert_eq!(r.final_correct, 4);
}

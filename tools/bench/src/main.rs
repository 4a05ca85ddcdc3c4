// SPDX-License-Identifier: GPL-2.0

//! `make bench`: the module's inference code timed on the host. It prints numbers and
//! asserts nothing.
//!
//! Every network runs through the module's own batch driver (`rust/pure/batch.rs`) and
//! kernels (`rust/simd/avx2.rs`, the scalar reference in `rust/pure/forward.rs`), behind
//! the module's gate (`rust/simd/gate.rs`), by three paths: `scalar` (the gate closed),
//! `simd` (every layer to the vector kernels) and `auto` (the threshold at the break-even
//! this host measures the way the module measures it at load). The table gives the
//! median of `--runs` timed runs, each long enough to be timed to well under 1%.
//!
//! The chart (`--svg`): GMAC/s against row length for a layer of 64 rows at batch 1, by
//! the scalar and the vector path, with the break-even and the threshold in force marked.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use nn_pure::activation::Activation;
use nn_pure::batch::{forward, Shape};
use nn_pure::fixed::Requant;
use nn_pure::format::Weights;
use nn_pure::forward::DenseLayer;
use nn_pure::gated::Gated;
use nn_pure::rng::Rng;
use nn_pure::simd::avx2::{forward_block, split_len};
use nn_pure::simd::gate::{self, Gate, SIZES, TIMED_ROWS};

#[derive(Parser)]
#[command(about = "Times the module's inference kernels on the host (make bench)")]
struct Args {
    /// Timed runs per row of the table (the median is shown).
    #[arg(long, default_value_t = 15)]
    runs: usize,
    /// Least time of one timed run, in milliseconds.
    #[arg(long, default_value_t = 20)]
    min_ms: u64,
    /// Where to write the chart (SVG).
    #[arg(long)]
    svg: Option<PathBuf>,
    /// Where to write the table (Markdown) besides standard output.
    #[arg(long)]
    table: Option<PathBuf>,
}

/// A network of random weights with these layer widths (`dims[0]` inputs).
struct Net {
    name: &'static str,
    dims: Vec<usize>,
    params: Vec<(Vec<i16>, Vec<i32>)>,
}

impl Net {
    fn new(name: &'static str, dims: &[usize], rng: &mut Rng) -> Self {
        let params = dims
            .windows(2)
            .map(|d| {
                let w = (0..d[0] * d[1])
                    .map(|_| (rng.next_u32() as i16) / 4)
                    .collect();
                let b = (0..d[1]).map(|_| rng.next_u32() as i32 >> 12).collect();
                (w, b)
            })
            .collect();
        Self {
            name,
            dims: dims.to_vec(),
            params,
        }
    }

    fn layer(&self, i: usize) -> Option<DenseLayer<'_>> {
        let (w, b) = self.params.get(i)?;
        Some(DenseLayer {
            inputs: self.dims[i],
            outputs: self.dims[i + 1],
            activation: Activation::Relu,
            requant: Requant::new(1, 14).expect("in range"),
            weights: Weights::Wide(w),
            bias: b,
        })
    }

    fn shape(&self) -> Shape {
        Shape::of(self.dims.windows(2).map(|d| (d[0], d[1]))).expect("layers")
    }

    fn macs(&self) -> u64 {
        self.dims.windows(2).map(|d| (d[0] * d[1]) as u64).sum()
    }
}

/// Nanoseconds per call of `f`: the median of `runs` runs of at least `min` each.
fn median_ns(runs: usize, min: Duration, mut f: impl FnMut()) -> f64 {
    // Calibrate: calls per run.
    let mut reps = 1u64;
    loop {
        let t = Instant::now();
        for _ in 0..reps {
            f();
        }
        if t.elapsed() >= min / 4 {
            break;
        }
        reps *= 2;
    }
    reps *= 4;
    let mut samples: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..reps {
                f();
            }
            t.elapsed().as_nanos() as f64 / reps as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// The host's break-even, measured as the module's self-check measures it at load
/// (`rust/simd/selfcheck.rs`: a layer of 16 rows of each length of `SIZES`, by the scalar
/// reference and by the vector path with the input's split), with the timings.
fn break_even(args: &Args, rng: &mut Rng) -> (Option<usize>, Vec<(usize, u64, u64)>) {
    let longest = SIZES[SIZES.len() - 1];
    let w: Vec<i16> = (0..TIMED_ROWS * longest)
        .map(|_| rng.next_u32() as i16)
        .collect();
    let x: Vec<i16> = (0..longest).map(|_| rng.next_u32() as i16).collect();
    let bias = [0i32; TIMED_ROWS];
    let mut out = [0i16; TIMED_ROWS];
    let mut s = vec![0i16; 4 * split_len(longest)];
    let min = Duration::from_millis(args.min_ms / 4 + 1);
    let mut samples = Vec::new();
    for &n in &SIZES {
        let layer = gate::timed_layer(n, &w, &bias).expect("weights for every length");
        let x = &x[..n];
        let scalar = median_ns(args.runs, min, || {
            layer.forward(black_box(x), &mut out).expect("shape");
            black_box(&out);
        });
        let vector = median_ns(args.runs, min, || {
            let (xs, mut ys) = ([black_box(x)], [&mut out[..]]);
            // SAFETY: main checked AVX2.
            unsafe { forward_block(&layer, &xs, &mut s, &mut ys) }.expect("shape");
            black_box(&out);
        });
        samples.push((n, scalar.round() as u64, vector.round() as u64));
    }
    (gate::break_even(&samples), samples)
}

/// Nanoseconds per prediction of `net` at `batch`, behind `gate`.
fn time_net(args: &Args, net: &Net, batch: usize, g: Gate, rng: &mut Rng) -> f64 {
    let shape = net.shape();
    let x: Vec<i16> = (0..batch * shape.input_dim)
        .map(|_| rng.next_u32() as i16)
        .collect();
    let mut y = vec![0i16; batch * shape.output_dim];
    let mut scratch = vec![0i16; shape.scratch_len()];
    // SAFETY: main checked AVX2 before any gate is made usable.
    let mut runner = unsafe { Gated::new(g) };
    let per_call = median_ns(args.runs, Duration::from_millis(args.min_ms), || {
        forward(
            shape,
            |i| net.layer(i),
            black_box(&x),
            &mut y,
            &mut scratch,
            &mut runner,
        )
        .expect("shape");
        black_box(&y);
    });
    per_call / batch as f64
}

fn main() {
    let args = Args::parse();
    assert!(
        std::is_x86_feature_detected!("avx2"),
        "this host has no AVX2: there is no vector path to time"
    );
    let mut rng = Rng::from_seed(0xbe4c);
    let (even, timings) = break_even(&args, &mut rng);
    let scalar = Gate::SCALAR;
    let simd = Gate::new(true, true, 1, even);
    let auto = Gate::new(true, true, 0, even);
    let mut out = String::new();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    out += &format!(
        "Host: {cpu}, {} CPUs; median of {} runs of at least {} ms each.\n\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        args.runs,
        args.min_ms
    );
    out += &format!(
        "Break-even (a layer of {TIMED_ROWS} rows, split included, as the module's self-check): {}; auto threshold: {}.\n\n",
        even.map_or("none".to_string(), |n| format!("{n} values")),
        match auto.threshold {
            usize::MAX => "never".to_string(),
            t => t.to_string(),
        }
    );
    out += "| shape | batch | path | ns/pred | GMAC/s |\n|---|---:|---|---:|---:|\n";
    let nets = [
        Net::new("4-8-2", &[4, 8, 2], &mut rng),
        Net::new("31-256-2", &[31, 256, 2], &mut rng),
        Net::new("64-32-10", &[64, 32, 10], &mut rng),
        Net::new("256-256-256", &[256, 256, 256], &mut rng),
        Net::new("1024x1024", &[1024, 1024], &mut rng),
    ];
    for net in &nets {
        for batch in [1, 32] {
            for (path, g) in [("scalar", scalar), ("simd", simd), ("auto", auto)] {
                let ns = time_net(&args, net, batch, g, &mut rng);
                let gmacs = net.macs() as f64 / ns;
                out += &format!(
                    "| {} | {batch} | {path} | {ns:.1} | {gmacs:.2} |\n",
                    net.name
                );
            }
        }
    }
    out += &format!("\nSelf-check timings on this host (ns per layer of {TIMED_ROWS} rows):\n\n");
    out += "| row length | scalar ns | simd ns |\n|---:|---:|---:|\n";
    for (n, s, v) in &timings {
        out += &format!("| {n} | {s} | {v} |\n");
    }
    print!("{out}");
    if let Some(p) = &args.table {
        std::fs::write(p, &out).expect("write the table");
    }
    if let Some(p) = &args.svg {
        chart(&args, p, even, auto.threshold, &mut rng);
    }
}

/// GMAC/s against row length, a layer of 64 rows at batch 1, both paths.
fn chart(args: &Args, path: &PathBuf, even: Option<usize>, threshold: usize, rng: &mut Rng) {
    use plotters::prelude::*;
    let lengths = [
        8usize, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 1024, 2048, 4096,
    ];
    let mut scalar_pts = Vec::new();
    let mut simd_pts = Vec::new();
    for &n in &lengths {
        let net = Net::new("sweep", &[n, 64], rng);
        let macs = net.macs() as f64;
        let s = time_net(args, &net, 1, Gate::SCALAR, rng);
        let v = time_net(args, &net, 1, Gate::new(true, true, 1, None), rng);
        scalar_pts.push((n as f64, macs / s));
        simd_pts.push((n as f64, macs / v));
    }
    let top = simd_pts
        .iter()
        .chain(&scalar_pts)
        .map(|p| p.1)
        .fold(0.0, f64::max)
        * 1.15;
    let root = SVGBackend::new(path, (900, 540)).into_drawing_area();
    root.fill(&WHITE).expect("draw");
    let mut c = ChartBuilder::on(&root)
        .caption(
            "neural_network: one layer of 64 rows, batch 1 (host)",
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(60)
        .build_cartesian_2d((8f64..4096f64).log_scale(), 0f64..top)
        .expect("draw");
    c.configure_mesh()
        .x_desc("row length (values per row: the layer's inputs)")
        .y_desc("GMAC/s")
        .draw()
        .expect("draw");
    c.draw_series(LineSeries::new(scalar_pts.clone(), BLUE.stroke_width(2)))
        .expect("draw")
        .label("scalar")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE));
    c.draw_series(PointSeries::of_element(
        scalar_pts,
        3,
        BLUE.filled(),
        &|p, s, st| Circle::new(p, s, st),
    ))
    .expect("draw");
    c.draw_series(LineSeries::new(simd_pts.clone(), RED.stroke_width(2)))
        .expect("draw")
        .label("simd (AVX2)")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED));
    c.draw_series(PointSeries::of_element(
        simd_pts,
        3,
        RED.filled(),
        &|p, s, st| Circle::new(p, s, st),
    ))
    .expect("draw");
    if let Some(e) = even {
        let e = e as f64;
        c.draw_series(LineSeries::new([(e, 0.0), (e, top)], BLACK.stroke_width(1)))
            .expect("draw")
            .label(format!("break-even ({e})"))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK));
    }
    if threshold != usize::MAX {
        let t = threshold as f64 * 1.03;
        c.draw_series(DashedLineSeries::new(
            [(t, 0.0), (t, top)],
            6,
            4,
            GREEN.stroke_width(2),
        ))
        .expect("draw")
        .label(format!("threshold in force (auto: {threshold})"))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], GREEN));
    }
    c.configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .expect("draw");
    root.present().expect("write the chart");
    eprintln!("chart: {}", path.display());
}

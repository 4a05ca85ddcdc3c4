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
//! The peer (`peer.rs`, `tools/bench/peer.py`): onnxruntime on the same networks and
//! batches, one thread, float32 and int8 (dynamic quantisation), timed the same way in
//! the venv of `tools/testing/setup`; a second table sets our `auto` figures beside its,
//! with ratios. Where onnxruntime cannot be imported its columns are left out and one
//! line says why.
//!
//! The chart (`--svg`): GMAC/s against row length for a layer of 64 rows at batch 1, by
//! the scalar and the vector path and by the peer, with the break-even and the threshold
//! in force marked; below it, ns per input row of the table's networks, ours and the
//! peer's.

mod peer;

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use nn_pure::activation::Activation;
use nn_pure::batch::{forward, Shape};
use nn_pure::fixed::Requant;
use nn_pure::format::{Format, Weights};
use nn_pure::forward::DenseLayer;
use nn_pure::gated::{isas, Gated, Isa};
use nn_pure::panel;
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
    /// Leave the peer (onnxruntime) out.
    #[arg(long)]
    no_peer: bool,
    /// The Python that runs the peer [default: $NN_PYTHON, else the venv of
    /// tools/testing/setup, $NN_CACHE_DIR/venv/bin/python].
    #[arg(long)]
    peer_python: Option<PathBuf>,
    /// The peer's script.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/peer.py"))]
    peer_script: PathBuf,
    /// Instead of the tables: run the table's network of this name (e.g. 31-256-2) by
    /// the `simd` path, untimed, `--calls` times, for an instruction counter
    /// (`valgrind --tool=callgrind`).
    #[arg(long)]
    profile: Option<String>,
    /// Calls of `--profile`.
    #[arg(long, default_value_t = 1000)]
    calls: usize,
    /// Inputs a call of `--profile`.
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// The layers' format of `--profile`: 16x16, 16x8 or 8x8.
    #[arg(long, default_value = "16x16", value_parser = ["16x16", "16x8", "8x8"])]
    format: String,
    /// The 8-bit formats' kernels of `--profile`: avx2, vnni (where the CPU has
    /// AVX512_VNNI and AVX512VL) or vnni512 (the 8x8 format on 512-bit registers, with
    /// AVX512F too).
    #[arg(long, default_value = "avx2", value_parser = ["avx2", "vnni", "vnni512"])]
    isa: String,
}

/// The networks of the table: name and widths (every layer ReLU), timed at `BATCHES`.
const NETS: [(&str, &[usize]); 5] = [
    ("4-8-2", &[4, 8, 2]),
    ("31-256-2", &[31, 256, 2]),
    ("64-32-10", &[64, 32, 10]),
    ("256-256-256", &[256, 256, 256]),
    ("1024x1024", &[1024, 1024]),
];
const BATCHES: [usize; 2] = [1, 32];
/// The chart's row lengths: a layer of that many inputs and `SWEEP_ROWS` outputs.
const SWEEP: [usize; 15] = [
    8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 1024, 2048, 4096,
];
const SWEEP_ROWS: usize = 64;

/// A network of random weights with these layer widths (`dims[0]` inputs), in each
/// format: the 8-bit weights are the 16-bit ones' high bytes, stored as the module
/// stores them (in panels where `panel::fits`).
struct Net {
    name: &'static str,
    dims: Vec<usize>,
    params: Vec<(Vec<i16>, Vec<i32>)>,
    narrow: Vec<Vec<i8>>,
}

impl Net {
    fn new(name: &'static str, dims: &[usize], rng: &mut Rng) -> Self {
        let params: Vec<(Vec<i16>, Vec<i32>)> = dims
            .windows(2)
            .map(|d| {
                let w = (0..d[0] * d[1])
                    .map(|_| (rng.next_u32() as i16) / 4)
                    .collect();
                let b = (0..d[1]).map(|_| rng.next_u32() as i32 >> 12).collect();
                (w, b)
            })
            .collect();
        let narrow = params
            .iter()
            .zip(dims.windows(2))
            .map(|((w, _), d)| {
                let w8: Vec<i8> = w.iter().map(|v| (v >> 8).max(-127) as i8).collect();
                panel::order(Format::F16x8, d[1], d[0])
                    .map(|k| w8[k])
                    .collect()
            })
            .collect();
        Self {
            name,
            dims: dims.to_vec(),
            params,
            narrow,
        }
    }

    /// Layer `i` in `format` (8x8: inputs narrowed by 2^8).
    fn layer_in(&self, i: usize, format: Format) -> Option<DenseLayer<'_>> {
        let (w, b) = self.params.get(i)?;
        let narrow = self.narrow.get(i)?;
        Some(DenseLayer {
            inputs: self.dims[i],
            outputs: self.dims[i + 1],
            activation: Activation::Relu,
            requant: Requant::new(1, 14).expect("in range"),
            weights: match (format, panel::fits(format, self.dims[i + 1], self.dims[i])) {
                (Format::F16x16, _) => Weights::Wide(w),
                (Format::F16x8, false) => Weights::Narrow(narrow),
                (Format::F8x8, false) => Weights::Byte {
                    weights: narrow,
                    in_shift: 8,
                },
                (_, true) => Weights::Panels {
                    weights: narrow,
                    in_shift: (format == Format::F8x8).then_some(8),
                },
            },
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
    time_net_in(args, net, batch, g, (Format::F16x16, Isa::Avx2), rng)
}

/// Nanoseconds per prediction of `net` at `batch` in `format`, behind `gate`, the 8-bit
/// formats on `isa` (which this CPU has: `best_isa`).
fn time_net_in(
    args: &Args,
    net: &Net,
    batch: usize,
    g: Gate,
    (format, isa): (Format, Isa),
    rng: &mut Rng,
) -> f64 {
    let mut call = net_call(net, batch, g, (format, isa), rng);
    median_ns(args.runs, Duration::from_millis(args.min_ms), &mut call) / batch as f64
}

/// One prediction of `net` at `batch` in `format` behind `gate` (the 8-bit formats on
/// `isa`, which this CPU has: `best_isa`), as a closure over its own random input and
/// buffers: what the table times and `--profile` repeats.
fn net_call<'a>(
    net: &'a Net,
    batch: usize,
    g: Gate,
    (format, isa): (Format, Isa),
    rng: &mut Rng,
) -> impl FnMut() + 'a {
    let shape = net.shape();
    let x: Vec<i16> = (0..batch * shape.input_dim)
        .map(|_| rng.next_u32() as i16)
        .collect();
    let mut y = vec![0i16; batch * shape.output_dim];
    let mut scratch = vec![0i16; shape.scratch_len()];
    // SAFETY: main checked AVX2 before any gate is made usable, and the callers pass
    // a VNNI `Isa` only where `isas` lists it.
    let mut runner = unsafe { Gated::new(g).with_isa(isa) };
    move || {
        forward(
            shape,
            |i| net.layer_in(i, format),
            black_box(&x),
            &mut y,
            &mut scratch,
            &mut runner,
        )
        .expect("shape");
        black_box(&y);
    }
}

fn main() {
    let args = Args::parse();
    assert!(
        std::is_x86_feature_detected!("avx2"),
        "this host has no AVX2: there is no vector path to time"
    );
    let mut rng = Rng::from_seed(0xbe4c);
    if let Some(name) = &args.profile {
        profile(&args, name, &mut rng);
        return;
    }
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
    let nets: Vec<Net> = NETS
        .iter()
        .map(|(name, dims)| Net::new(name, dims, &mut rng))
        .collect();
    let mut ours = Vec::new();
    for net in &nets {
        for batch in BATCHES {
            for (path, g) in [("scalar", scalar), ("simd", simd), ("auto", auto)] {
                let ns = time_net(&args, net, batch, g, &mut rng);
                let gmacs = net.macs() as f64 / ns;
                out += &format!(
                    "| {} | {batch} | {path} | {ns:.1} | {gmacs:.2} |\n",
                    net.name
                );
                if path == "auto" {
                    ours.push(peer::Ours {
                        name: net.name,
                        batch,
                        ns,
                        best: None,
                    });
                }
            }
        }
    }
    // The formats (fixed-point.rst, "Layer formats"), by the automatic gate.
    // The 8-bit formats on AVX2, and on VNNI where this CPU has it.
    let mut kinds = vec![
        (Format::F16x16, Isa::Avx2),
        (Format::F16x8, Isa::Avx2),
        (Format::F8x8, Isa::Avx2),
    ];
    let isas = isas();
    if isas.contains(&Isa::Vnni) {
        kinds.extend([(Format::F16x8, Isa::Vnni), (Format::F8x8, Isa::Vnni)]);
    }
    if isas.contains(&Isa::Vnni512) {
        kinds.push((Format::F8x8, Isa::Vnni512));
    }
    out += "\nThe layer formats, by the automatic gate (ns per prediction, and GMAC/s):\n\n";
    out += "| shape | batch |";
    for (f, isa) in &kinds {
        out += &format!(" {} {} |", f.name(), isa_name(*isa));
    }
    out += "\n|---|---:|";
    out += &"---:|".repeat(kinds.len());
    out += "\n";
    for net in &nets {
        for batch in BATCHES {
            out += &format!("| {} | {batch} |", net.name);
            let mut best: Option<(String, f64)> = None;
            for &kind in &kinds {
                let ns = time_net_in(&args, net, batch, auto, kind, &mut rng);
                out += &format!(" {ns:.1} ({:.2}) |", net.macs() as f64 / ns);
                if best.as_ref().is_none_or(|(_, b)| ns < *b) {
                    best = Some((format!("{} {}", kind.0.name(), isa_name(kind.1)), ns));
                }
            }
            out += "\n";
            // The row's fastest format beside the peer.
            if let Some(o) = ours
                .iter_mut()
                .find(|o| o.name == net.name && o.batch == batch)
            {
                o.best = best;
            }
        }
    }
    let peer = run_peer(&args);
    out += "\n";
    out += &peer::table(&ours, &peer);
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
        chart(&args, p, even, auto.threshold, &mut rng, &ours, &peer);
    }
}

/// The name of `isa` in the table and in `--isa`.
fn isa_name(isa: Isa) -> &'static str {
    match isa {
        Isa::Avx2 => "avx2",
        Isa::Vnni => "vnni",
        Isa::Vnni512 => "vnni512",
    }
}

/// `--profile`: `args.calls` calls of the network `name` at `args.batch` by the `simd`
/// path (every layer to the vector kernels, of `--format` and `--isa`), untimed.
fn profile(args: &Args, name: &str, rng: &mut Rng) {
    let Some((known, dims)) = NETS.iter().find(|(n, _)| *n == name) else {
        let names: Vec<&str> = NETS.iter().map(|(n, _)| *n).collect();
        eprintln!(
            "nn-bench: no network {name} (the table's: {})",
            names.join(", ")
        );
        std::process::exit(2);
    };
    let net = Net::new(known, dims, rng);
    let simd = Gate::new(true, true, 1, Some(1));
    let format = match args.format.as_str() {
        "16x8" => Format::F16x8,
        "8x8" => Format::F8x8,
        _ => Format::F16x16,
    };
    let Some(isa) = isas().into_iter().find(|&i| isa_name(i) == args.isa) else {
        eprintln!(
            "nn-bench: --isa {}: this CPU has no such kernels (AVX512_VNNI with AVX512VL; \
             AVX512F too for vnni512)",
            args.isa
        );
        std::process::exit(2);
    };
    let mut call = net_call(&net, args.batch, simd, (format, isa), rng);
    for _ in 0..args.calls {
        call();
    }
}

/// The peer on the table's networks (and the chart's layers, if there is a chart).
fn run_peer(args: &Args) -> peer::Peer {
    if args.no_peer {
        return peer::Peer::LeftOut("--no-peer".into());
    }
    let python = args
        .peer_python
        .clone()
        .unwrap_or_else(|| peer::default_python(|k| std::env::var(k).ok()));
    let sweep: Vec<(String, [usize; 2])> = if args.svg.is_some() {
        SWEEP
            .iter()
            .map(|&n| (sweep_name(n), [n, SWEEP_ROWS]))
            .collect()
    } else {
        Vec::new()
    };
    let cases: Vec<peer::Case> = NETS
        .iter()
        .map(|(name, dims)| peer::Case {
            name,
            dims,
            batches: &BATCHES,
        })
        .chain(sweep.iter().map(|(name, dims)| peer::Case {
            name,
            dims,
            batches: &[1],
        }))
        .collect();
    eprintln!(
        "peer: {} {} ({} networks)",
        python.display(),
        args.peer_script.display(),
        cases.len()
    );
    peer::Peer::run(&python, &args.peer_script, args.runs, args.min_ms, &cases)
}

/// The peer's name of the chart's layer of `n` inputs.
fn sweep_name(n: usize) -> String {
    format!("sweep-{n}x{SWEEP_ROWS}")
}

/// Above: GMAC/s against row length, a layer of 64 rows at batch 1, both paths and the
/// peer's two models. Below: ns per input row of the table's networks, ours (`auto`) and
/// the peer's.
fn chart(
    args: &Args,
    path: &PathBuf,
    even: Option<usize>,
    threshold: usize,
    rng: &mut Rng,
    ours: &[peer::Ours],
    peer: &peer::Peer,
) {
    use plotters::prelude::*;
    let ort_fp32 = RGBColor(128, 0, 160);
    let ort_int8 = RGBColor(230, 130, 0);
    let mut scalar_pts = Vec::new();
    let mut simd_pts = Vec::new();
    let mut fp32_pts = Vec::new();
    let mut int8_pts = Vec::new();
    for &n in &SWEEP {
        let net = Net::new("sweep", &[n, SWEEP_ROWS], rng);
        let macs = net.macs() as f64;
        let s = time_net(args, &net, 1, Gate::SCALAR, rng);
        let v = time_net(args, &net, 1, Gate::new(true, true, 1, None), rng);
        scalar_pts.push((n as f64, macs / s));
        simd_pts.push((n as f64, macs / v));
        let name = sweep_name(n);
        if let Some(ns) = peer.get(&name, 1, peer::Kind::Fp32) {
            fp32_pts.push((n as f64, macs / ns));
        }
        if let Some(ns) = peer.get(&name, 1, peer::Kind::Int8) {
            int8_pts.push((n as f64, macs / ns));
        }
    }
    let top = simd_pts
        .iter()
        .chain(&scalar_pts)
        .chain(&fp32_pts)
        .chain(&int8_pts)
        .map(|p| p.1)
        .fold(0.0, f64::max)
        * 1.15;
    let root = SVGBackend::new(path, (900, 1080)).into_drawing_area();
    root.fill(&WHITE).expect("draw");
    let (upper, lower) = root.split_vertically(540);
    let peer_note = match peer {
        peer::Peer::Figures { info, .. } => {
            format!("{} {}: one thread, from Python", info.peer, info.version)
        }
        peer::Peer::LeftOut(_) => "onnxruntime left out of this run".to_string(),
    };
    let mut c = ChartBuilder::on(&upper)
        .caption(
            format!("neural_network: one layer of {SWEEP_ROWS} rows, batch 1 (host); {peer_note}"),
            ("sans-serif", 20),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(60)
        .build_cartesian_2d((8f64..4096f64).log_scale(), 0f64..top)
        .expect("draw");
    c.configure_mesh()
        .x_label_formatter(&|x| format!("{x:.0}"))
        .x_desc("row length (values per row: the layer's inputs)")
        .y_desc("GMAC/s")
        .draw()
        .expect("draw");
    let series = [
        ("scalar", scalar_pts, BLUE, false),
        ("simd (AVX2)", simd_pts, RED, false),
        ("onnxruntime fp32", fp32_pts, ort_fp32, true),
        ("onnxruntime int8 (dynamic)", int8_pts, ort_int8, true),
    ];
    for (label, pts, color, dashed) in series {
        if pts.is_empty() {
            continue;
        }
        if dashed {
            c.draw_series(DashedLineSeries::new(
                pts.clone(),
                6,
                4,
                color.stroke_width(2),
            ))
        } else {
            c.draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
        }
        .expect("draw")
        .label(label)
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        c.draw_series(PointSeries::of_element(
            pts,
            3,
            color.filled(),
            &|p, s, st| Circle::new(p, s, st),
        ))
        .expect("draw");
    }
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
    legend(&mut c);

    // Below: the table's networks, a group of bars each (ours, the peer's fp32 and int8)
    // and a gap, on segments of a log-scaled axis of ns per input row.
    let bars: Vec<[Option<f64>; 3]> = ours
        .iter()
        .map(|o| {
            [
                Some(o.ns),
                peer.get(o.name, o.batch, peer::Kind::Fp32),
                peer.get(o.name, o.batch, peer::Kind::Int8),
            ]
        })
        .collect();
    let values = bars.iter().flatten().flatten();
    let lo = values.clone().fold(f64::INFINITY, |a, &b| a.min(b));
    let hi = values.fold(0.0, |a: f64, &b| a.max(b));
    let lo = 10f64.powf((lo / 2.0).log10().floor());
    let hi = 10f64.powf((hi * 2.0).log10().ceil());
    let labels: Vec<String> = ours
        .iter()
        .map(|o| format!("{} b{}", o.name, o.batch))
        .collect();
    let segments = 4 * ours.len() as u32;
    let mut c = ChartBuilder::on(&lower)
        .caption(
            format!(
                "the table's networks: ns per input row (lower is faster), ours (auto){}",
                match peer {
                    peer::Peer::Figures { .. } => format!(" and {peer_note}"),
                    peer::Peer::LeftOut(_) => format!("; {peer_note}"),
                }
            ),
            ("sans-serif", 18),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(60)
        .build_cartesian_2d((0u32..segments).into_segmented(), (lo..hi).log_scale())
        .expect("draw");
    c.configure_mesh()
        .disable_x_mesh()
        .x_labels(segments as usize + 1)
        .x_label_style(("sans-serif", 11))
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(x) if x % 4 == 1 => {
                labels.get((x / 4) as usize).cloned().unwrap_or_default()
            }
            _ => String::new(),
        })
        .y_label_formatter(&|y| format!("{y:.0}"))
        .x_desc("network and batch")
        .y_desc("ns per input row (log scale)")
        .draw()
        .expect("draw");
    let kinds = [
        ("ours (auto)", RED),
        ("onnxruntime fp32", ort_fp32),
        ("onnxruntime int8 (dynamic)", ort_int8),
    ];
    for (k, (label, color)) in kinds.into_iter().enumerate() {
        let rects: Vec<_> = bars
            .iter()
            .enumerate()
            .filter_map(|(i, b)| b[k].map(|v| (4 * i as u32 + k as u32, v)))
            .map(|(x, v)| {
                Rectangle::new(
                    [
                        (SegmentValue::Exact(x), lo),
                        (SegmentValue::Exact(x + 1), v),
                    ],
                    color.filled(),
                )
            })
            .collect();
        if rects.is_empty() {
            continue;
        }
        c.draw_series(rects)
            .expect("draw")
            .label(label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled()));
    }
    legend(&mut c);
    root.present().expect("write the chart");
    eprintln!("chart: {}", path.display());
}

/// The legend of one of the chart's panels, in its upper left corner.
fn legend<'a, DB, CT>(c: &mut plotters::chart::ChartContext<'a, DB, CT>)
where
    DB: plotters::prelude::DrawingBackend + 'a,
    CT: plotters::coord::CoordTranslate,
{
    use plotters::prelude::*;
    c.configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .expect("draw");
}

// SPDX-License-Identifier: GPL-2.0

//! End to end: an ONNX model built here with the protobuf types, compiled, shown and run
//! by the `nnctl` binary; and every kind of error it reports.

use std::path::PathBuf;
use std::process::{Command, Output};

use nn_pure::activation::Activation;
use nnctl::float::{self, FloatNet};
use nnctl::import::{import, import_graph};
use nnctl::random::Rng;
use onnx_protobuf::attribute_proto::AttributeType;
use onnx_protobuf::tensor_shape_proto::{dimension, Dimension};
use onnx_protobuf::type_proto::{self, Tensor};
use onnx_protobuf::{
    AttributeProto, GraphProto, Message, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};
use protobuf::{EnumOrUnknown, MessageField};

fn tensor(name: &str, dims: &[i64], data: &[f32]) -> TensorProto {
    let mut t = TensorProto::new();
    t.name = name.into();
    t.dims = dims.to_vec();
    t.data_type = 1;
    t.float_data = data.to_vec();
    t
}

/// The same, in `raw_data` (little-endian bytes), as most exporters write.
fn raw_tensor(name: &str, dims: &[i64], data: &[f32]) -> TensorProto {
    let mut t = tensor(name, dims, &[]);
    t.raw_data = data.iter().flat_map(|x| x.to_le_bytes()).collect();
    t
}

fn attr_i(name: &str, v: i64) -> AttributeProto {
    let mut a = AttributeProto::new();
    a.name = name.into();
    a.type_ = EnumOrUnknown::new(AttributeType::INT);
    a.i = v;
    a
}

fn attr_f(name: &str, v: f32) -> AttributeProto {
    let mut a = AttributeProto::new();
    a.name = name.into();
    a.type_ = EnumOrUnknown::new(AttributeType::FLOAT);
    a.f = v;
    a
}

fn node(op: &str, inputs: &[&str], outputs: &[&str], attrs: Vec<AttributeProto>) -> NodeProto {
    let mut n = NodeProto::new();
    n.op_type = op.into();
    n.name = format!("{op}_{}", outputs[0]);
    n.input = inputs.iter().map(|s| s.to_string()).collect();
    n.output = outputs.iter().map(|s| s.to_string()).collect();
    n.attribute = attrs;
    n
}

fn value_info(name: &str, features: i64) -> ValueInfoProto {
    let mut batch = Dimension::new();
    batch.value = Some(dimension::Value::DimParam("N".into()));
    let mut feat = Dimension::new();
    feat.value = Some(dimension::Value::DimValue(features));
    let mut shape = TensorShapeProto::new();
    shape.dim = vec![batch, feat];
    let mut tt = Tensor::new();
    tt.elem_type = 1;
    tt.shape = MessageField::some(shape);
    let mut ty = TypeProto::new();
    ty.value = Some(type_proto::Value::TensorType(tt));
    let mut v = ValueInfoProto::new();
    v.name = name.into();
    v.type_ = MessageField::some(ty);
    v
}

fn weights(rng: &mut Rng, n: usize, scale: f32) -> Vec<f32> {
    (0..n)
        .map(|_| (rng.below(2001) as f32 - 1000.0) / 1000.0 * scale)
        .collect()
}

/// x[4] -> Cast -> Gemm(alpha 0.5, beta 2, transB) -> Relu -> MatMul + Add -> Tanh
/// -> MatMul + Add(bias first) -> Softmax -> Identity "probabilities", with an ArgMax
/// label branch, as skl2onnx and torch exporters produce them.
fn sample_graph() -> (GraphProto, Vec<Vec<f32>>) {
    let mut rng = Rng::new(42);
    let w0 = weights(&mut rng, 6 * 4, 1.0); // [6, 4], transB
    let b0 = weights(&mut rng, 6, 0.5);
    let w1 = weights(&mut rng, 6 * 5, 1.0); // [6, 5]
    let b1 = weights(&mut rng, 5, 0.2);
    let w2 = weights(&mut rng, 5 * 3, 2.0); // [5, 3]
    let b2 = weights(&mut rng, 3, 0.1);
    let mut g = GraphProto::new();
    g.name = "sample".into();
    g.input = vec![value_info("x", 4)];
    g.output = vec![value_info("probabilities", 3), value_info("label", 1)];
    g.initializer = vec![
        tensor("W0", &[6, 4], &w0),
        tensor("B0", &[6], &b0),
        raw_tensor("W1", &[6, 5], &w1),
        raw_tensor("B1", &[1, 5], &b1),
        tensor("W2", &[5, 3], &w2),
        tensor("B2", &[3], &b2),
    ];
    g.node = vec![
        node("Cast", &["x"], &["xc"], vec![attr_i("to", 1)]),
        node(
            "Gemm",
            &["xc", "W0", "B0"],
            &["h0"],
            vec![
                attr_f("alpha", 0.5),
                attr_f("beta", 2.0),
                attr_i("transB", 1),
            ],
        ),
        node("Relu", &["h0"], &["r0"], vec![]),
        node("MatMul", &["r0", "W1"], &["m1"], vec![]),
        node("Add", &["m1", "B1"], &["a1"], vec![]),
        node("Tanh", &["a1"], &["t1"], vec![]),
        node("MatMul", &["t1", "W2"], &["m2"], vec![]),
        node("Add", &["B2", "m2"], &["logits"], vec![]),
        node("Softmax", &["logits"], &["sm"], vec![attr_i("axis", -1)]),
        node("Identity", &["sm"], &["probabilities"], vec![]),
        node(
            "ArgMax",
            &["probabilities"],
            &["label"],
            vec![attr_i("axis", 1)],
        ),
    ];
    (g, vec![w0, b0, w1, b1, w2, b2])
}

fn model_bytes(g: GraphProto) -> Vec<u8> {
    let mut m = ModelProto::new();
    m.ir_version = 8;
    let mut op = OperatorSetIdProto::new();
    op.version = 17;
    m.opset_import = vec![op];
    m.graph = MessageField::some(g);
    m.write_to_bytes().unwrap()
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("nnctl-test-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
    fn path(&self, f: &str) -> String {
        self.0.join(f).to_str().unwrap().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn nnctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nnctl"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn random_rows(seed: u64, n: usize, dim: usize, range: f64) -> Vec<Vec<f64>> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            (0..dim)
                .map(|_| (rng.below(1 << 20) as f64 / f64::from(1 << 19) - 1.0) * range)
                .collect()
        })
        .collect()
}

#[test]
fn import_reads_the_chain() {
    let (g, t) = sample_graph();
    let imp = import(&model_bytes(g)).unwrap();
    let net: &FloatNet = &imp.net;
    assert_eq!(net.input_dim, 4);
    let acts: Vec<_> = net.layers.iter().map(|l| l.activation).collect();
    assert_eq!(
        acts,
        [Activation::Relu, Activation::Tanh, Activation::Linear]
    );
    let dims: Vec<_> = net.layers.iter().map(|l| (l.inputs, l.outputs)).collect();
    assert_eq!(dims, [(4, 6), (6, 5), (5, 3)]);
    // Gemm: transB keeps W0's [out][in] rows; alpha and beta applied.
    for (a, b) in net.layers[0].weights.iter().zip(&t[0]) {
        assert_eq!(*a, 0.5 * f64::from(*b));
    }
    for (a, b) in net.layers[0].bias.iter().zip(&t[1]) {
        assert_eq!(*a, 2.0 * f64::from(*b));
    }
    // MatMul: W1 is [in][out]; transposed to rows.
    assert_eq!(net.layers[1].weights[5], f64::from(t[2][5 * 5]));
    assert_eq!(net.layers[1].weights[1], f64::from(t[2][5]));
    assert_eq!(net.layers[2].bias[2], f64::from(t[5][2]));
    let notes = imp.notes.join("\n");
    assert!(notes.contains("Softmax"), "{notes}");
    assert!(notes.contains("ArgMax"), "{notes}");
}

/// The sample network's files in `dir`: `m.onnx`; `calib.csv`, 500 calibration rows
/// under a header; `in.txt`, 300 other rows as the predict file takes them. Returns the
/// float network, the rows of `in.txt` and its text.
fn sample_files(dir: &TempDir) -> (FloatNet, Vec<Vec<f64>>, String) {
    let (g, _) = sample_graph();
    let bytes = model_bytes(g);
    let net = import(&bytes).unwrap().net;
    std::fs::write(dir.path("m.onnx"), &bytes).unwrap();
    let line = |r: &Vec<f64>, sep: &str, f: &dyn Fn(f64) -> String| {
        r.iter().map(|v| f(*v)).collect::<Vec<_>>().join(sep) + "\n"
    };
    let csv: String = random_rows(1, 500, 4, 2.0)
        .iter()
        .map(|r| line(r, ",", &|v| v.to_string()))
        .collect();
    std::fs::write(dir.path("calib.csv"), format!("a,b,c,d\n{csv}")).unwrap();
    let rows = random_rows(2, 300, 4, 2.0);
    let text: String = rows
        .iter()
        .map(|r| line(r, " ", &|v| format!("{v:.9}")))
        .collect();
    std::fs::write(dir.path("in.txt"), &text).unwrap();
    (net, rows, text)
}

#[test]
fn compile_info_eval_end_to_end() {
    let dir = TempDir::new("e2e");
    let (net, rows, text) = sample_files(&dir);

    let o = nnctl(&[
        "compile",
        &dir.path("m.onnx"),
        "-o",
        &dir.path("m.nnm"),
        "--calib",
        &dir.path("calib.csv"),
    ]);
    let report = stderr(&o);
    assert!(o.status.success(), "{report}");
    assert!(report.contains("3 dense layers, 4 inputs"), "{report}");
    assert!(report.contains("Q3.12 for tanh"), "{report}");
    assert!(
        report.contains("arg-max agreement with the float model"),
        "{report}"
    );
    assert!(report.contains("over 500 calibration rows"), "{report}");

    let o = nnctl(&["info", &dir.path("m.nnm")]);
    let info = stdout(&o);
    assert!(o.status.success());
    assert!(info.contains("checksum ok"), "{info}");
    assert!(info.contains("layer 1: 6 -> 5 tanh"), "{info}");
    assert!(info.contains("-> Q0.15"), "{info}");
    assert!(info.contains("output: 3 values"), "{info}");

    // Test rows the calibration did not see (in.txt); inputs as the predict file takes
    // them.
    let o = nnctl(&["eval", &dir.path("m.nnm"), &dir.path("in.txt")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), rows.len());
    let mut agree = 0;
    let mut max_err = 0.0f64;
    for (line, row) in lines.iter().zip(&rows) {
        let f: Vec<&str> = line.split(' ').collect();
        assert_eq!(f.len(), 3 + 2, "{line}");
        assert_eq!(f[3], "class");
        let class: usize = f[4].parse().unwrap();
        let y = net.forward_all(row).pop().unwrap();
        if Some(class) == float::argmax(&y) {
            agree += 1;
        }
        for (s, v) in f[..3].iter().zip(&y) {
            max_err = max_err.max((s.parse::<f64>().unwrap() - v).abs());
        }
    }
    assert!(agree >= 295, "arg-max agreement {agree}/300");
    assert!(max_err < 0.01, "max error {max_err}");

    // Commas work too and give the same lines.
    std::fs::write(dir.path("in.csv"), text.replace(' ', ",")).unwrap();
    let o = nnctl(&["eval", &dir.path("m.nnm"), &dir.path("in.csv")]);
    assert_eq!(stdout(&o), out);

    // Without calibration: the default range, and a working model.
    let o = nnctl(&["compile", &dir.path("m.onnx"), "-o", &dir.path("n.nnm")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("inputs assumed in [-1, 1]"));
    let o = nnctl(&[
        "compile",
        &dir.path("m.onnx"),
        "-o",
        &dir.path("n.nnm"),
        "--input-frac",
        "9",
    ]);
    assert!(o.status.success());
    let o = nnctl(&["info", &dir.path("n.nnm")]);
    assert!(stdout(&o).contains("input: 4 values, Q6.9"));

    // --output-frac fixes the last layer's output format (what a model that replaces a
    // serving one must keep), whatever the data would choose.
    for frac in ["3", "12"] {
        let o = nnctl(&[
            "compile",
            &dir.path("m.onnx"),
            "-o",
            &dir.path("o.nnm"),
            "--calib",
            &dir.path("calib.csv"),
            "--output-frac",
            frac,
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let o = nnctl(&["info", &dir.path("o.nnm")]);
        let want = format!(
            "output: 3 values, Q{}.{frac}",
            15 - frac.parse::<u8>().unwrap()
        );
        assert!(stdout(&o).contains(&want), "{}", stdout(&o));
    }
    let o = nnctl(&[
        "compile",
        &dir.path("m.onnx"),
        "-o",
        &dir.path("o.nnm"),
        "--output-frac",
        "16",
    ]);
    assert!(!o.status.success());
}

/// `random --output-frac`: the last layer's output format as asked; refused where a
/// sigmoid gives its own.
#[test]
fn random_output_frac() {
    let dir = TempDir::new("randomof");
    for seed in ["1", "2"] {
        let o = nnctl(&[
            "random",
            "--seed",
            seed,
            "--dims",
            "5,7,2",
            "--activations",
            "relu,linear",
            "--input-frac",
            "11",
            "--output-frac",
            "9",
            "-o",
            &dir.path("r.nnm"),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let info = stdout(&nnctl(&["info", &dir.path("r.nnm")]));
        assert!(info.contains("output: 2 values, Q6.9"), "{info}");
    }
    let o = nnctl(&[
        "random",
        "--seed",
        "1",
        "--dims",
        "5,2",
        "--activations",
        "sigmoid",
        "--output-frac",
        "9",
        "-o",
        &dir.path("s.nnm"),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--output-frac 9: the last layer's activation gives"),
        "{}",
        stderr(&o)
    );
}

/// `compile --format`: each 8-bit format writes a version 2 model of 8-bit layers that
/// `info` shows and `eval` runs, close to the float model (looser than 16x16: 8 bits;
/// measured: 16x8 299/300 arg-max, error 0.027; 8x8 296/300, 0.19).
#[test]
fn compile_in_the_8bit_formats() {
    let dir = TempDir::new("e2e8");
    let (net, rows, _) = sample_files(&dir);
    for (format, shown) in [
        ("16x8", "format 16x8"),
        ("8x8", "format 8x8 (inputs narrowed"),
    ] {
        let out = dir.path(&format!("{format}.nnm"));
        let o = nnctl(&[
            "compile",
            &dir.path("m.onnx"),
            "-o",
            &out,
            "--calib",
            &dir.path("calib.csv"),
            "--format",
            format,
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let blob = std::fs::read(&out).unwrap();
        assert_eq!(u16::from_le_bytes([blob[4], blob[5]]), 2, "version 2");
        let info = stdout(&nnctl(&["info", &out]));
        assert_eq!(info.matches(shown).count(), 3, "{info}");
        assert!(
            info.contains("weights -127..") || info.contains("..127"),
            "{info}"
        );
        let o = nnctl(&["eval", &out, &dir.path("in.txt")]);
        assert!(o.status.success(), "{}", stderr(&o));
        let (mut agree, mut max_err) = (0, 0.0f64);
        for (line, row) in stdout(&o).lines().zip(&rows) {
            let f: Vec<&str> = line.split(' ').collect();
            let y = net.forward_all(row).pop().unwrap();
            if Some(f[4].parse::<usize>().unwrap()) == float::argmax(&y) {
                agree += 1;
            }
            for (s, v) in f[..3].iter().zip(&y) {
                max_err = max_err.max((s.parse::<f64>().unwrap() - v).abs());
            }
        }
        assert!(agree >= 270, "{format}: arg-max agreement {agree}/300");
        assert!(max_err < 0.3, "{format}: max error {max_err}");
        eprintln!("{format}: agreement {agree}/300, max error {max_err:.4}");
    }
    let o = nnctl(&[
        "compile",
        &dir.path("m.onnx"),
        "-o",
        &dir.path("x.nnm"),
        "--format",
        "4x4",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("not a format"), "{}", stderr(&o));

    // auto: each layer's format chosen on the calibration rows, the rule's agreement kept
    // (within 1% of the 500 rows of the 16x16 network's).
    let o = nnctl(&[
        "compile",
        &dir.path("m.onnx"),
        "-o",
        &dir.path("auto.nnm"),
        "--calib",
        &dir.path("calib.csv"),
        "--format",
        "auto",
    ]);
    let report = stderr(&o);
    assert!(o.status.success(), "{report}");
    let line = report
        .lines()
        .find(|l| l.starts_with("formats (auto): "))
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(line.split(' ').count(), 2 + 3, "{line}");
    let agree = |r: &str| -> usize {
        let l = r
            .lines()
            .find(|l| l.starts_with("arg-max agreement with the float model: "))
            .unwrap_or_else(|| panic!("{r}"));
        l.split(": ")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let o16 = nnctl(&[
        "compile",
        &dir.path("m.onnx"),
        "-o",
        &dir.path("w.nnm"),
        "--calib",
        &dir.path("calib.csv"),
    ]);
    assert!(agree(&report) + 5 >= agree(&stderr(&o16)), "{report}");
    eprintln!("{line}");
    let o = nnctl(&[
        "compile",
        &dir.path("m.onnx"),
        "-o",
        &dir.path("x.nnm"),
        "--format",
        "auto",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("needs --calib"), "{}", stderr(&o));
}

#[test]
fn eval_errors_name_line_and_reason() {
    let dir = TempDir::new("evalerr");
    let o = nnctl(&[
        "random",
        "--seed",
        "3",
        "--dims",
        "4,3",
        "--input-frac",
        "8",
        "-o",
        &dir.path("r.nnm"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m = dir.path("r.nnm");
    for (text, want) in [
        (
            "1 2 3 4\n1 2 x 4\n",
            ":2: number 3 ('x'): bad character in number",
        ),
        ("1 2 3\n", ":1: 3 numbers, the model takes 4"),
        ("# c\n\n1 2 3 4 5\n", ":3: 5 numbers, the model takes 4"),
        ("1 2 3 1e3\n", "bad character in number"),
        ("1 2 3 -\n", "no digits in number"),
        ("1,2,,3\n", ":1: empty field between commas"),
    ] {
        std::fs::write(dir.path("in.txt"), text).unwrap();
        let o = nnctl(&["eval", &m, &dir.path("in.txt")]);
        assert_eq!(o.status.code(), Some(1), "{text}");
        let e = stderr(&o);
        assert!(e.contains(want), "{text:?}: {e}");
    }
    // 127.998 rounds to 32767 at frac 8, -128.001 to -32768: both fit.
    std::fs::write(dir.path("in.txt"), "127.998 -128.001 0 0\n").unwrap();
    let fits = nnctl(&["eval", &m, &dir.path("in.txt")]);
    assert!(fits.status.success());
    assert_eq!(stderr(&fits), "");

    // Beyond the input format: saturated to the nearest end (as the module's predict
    // does by default), counted on stderr; the same outputs as the ends themselves.
    std::fs::write(
        dir.path("clip.txt"),
        "1 2 3 128\n-1000 0 0 0\n99999999999999999999 -0.5 0 1\n",
    )
    .unwrap();
    let o = nnctl(&["eval", &m, &dir.path("clip.txt")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "nnctl: eval: 3 input numbers beyond Q7.8 saturated\n"
    );
    std::fs::write(
        dir.path("ends.txt"),
        "1 2 3 127.99609375\n-128 0 0 0\n127.99609375 -0.5 0 1\n",
    )
    .unwrap();
    let ends = nnctl(&["eval", &m, &dir.path("ends.txt")]);
    assert!(ends.status.success());
    assert_eq!(stdout(&o), stdout(&ends));
    assert_eq!(stderr(&ends), "");
    // --strict: an error, as the module's strict mode (neural_strict_input=1).
    let o = nnctl(&["eval", &m, &dir.path("clip.txt"), "--strict"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(":1: number 4 ('128'): number out of range"),
        "{}",
        stderr(&o)
    );
    let o = nnctl(&["eval", "--strict=1", &m, &dir.path("clip.txt")]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    std::fs::write(
        dir.path("bad.nnm"),
        b"not a model at all, just some text that is long enough",
    )
    .unwrap();
    let o = nnctl(&["info", &dir.path("bad.nnm")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("invalid model: bad magic"),
        "{}",
        stderr(&o)
    );
    let o = nnctl(&["eval", &dir.path("bad.nnm"), &dir.path("in.txt")]);
    assert!(stderr(&o).contains("invalid model: bad magic"));

    // Usage errors exit 2.
    for args in [
        &["frobnicate"][..],
        &["eval", &m][..],
        &["compile", "x.onnx"][..],
        &["random", "--seed", "1", "--dims", "4", "-o", "x"][..],
        &["inputs", "--seed", "1", "--count", "2"][..],
        &[
            "inputs", "--seed", "1", "--count", "2", "--dim", "3", "--frac", "16",
        ][..],
        &["info", &m, "--bogus", "1"][..],
    ] {
        let o = nnctl(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    }
}

fn compile_error(g: GraphProto) -> String {
    let dir = TempDir::new("err");
    std::fs::write(dir.path("m.onnx"), model_bytes(g)).unwrap();
    let o = nnctl(&["compile", &dir.path("m.onnx"), "-o", &dir.path("m.nnm")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!std::path::Path::new(&dir.path("m.nnm")).exists());
    stderr(&o)
}

#[test]
fn unsupported_graphs_name_the_operator() {
    let (mut g, _) = sample_graph();
    g.node[2] = node("LeakyRelu", &["h0"], &["r0"], vec![]);
    let e = compile_error(g);
    assert!(e.contains("operator 'LeakyRelu' is not supported"), "{e}");

    let (mut g, _) = sample_graph();
    g.node.push(node("Relu", &["xc"], &["other"], vec![]));
    let e = compile_error(g);
    assert!(e.contains("'xc' feeds 2 operators"), "{e}");

    let (mut g, _) = sample_graph();
    g.node[3] = node("MatMul", &["W1", "r0"], &["m1"], vec![]);
    let e = compile_error(g);
    assert!(e.contains("MatMul"), "{e}");

    let (mut g, _) = sample_graph();
    g.node[1].attribute.push(attr_i("transA", 1));
    assert!(compile_error(g).contains("transA"));

    let (mut g, _) = sample_graph();
    g.node.insert(1, node("Relu", &["xc"], &["xr"], vec![]));
    g.node[2].input[0] = "xr".into();
    assert!(compile_error(g).contains("must follow a dense layer"));

    let (mut g, _) = sample_graph();
    g.node
        .push(node("MatMul", &["probabilities", "W2"], &["late"], vec![]));
    let e = import_graph(&g).unwrap_err();
    assert!(e.contains("MatMul 'MatMul_late' after Softmax"), "{e}");

    let (mut g, _) = sample_graph();
    g.node[10] = node("MatMul", &["sm2"], &["late"], vec![]);
    g.node[9].output[0] = "sm2".into();
    let e = import_graph(&g).unwrap_err();
    assert!(e.contains("only a final Softmax"), "{e}");

    let (mut g, _) = sample_graph();
    g.initializer[2].dims = vec![7, 5];
    let e = compile_error(g);
    assert!(
        e.contains("take 7 inputs, the previous layer gives 6"),
        "{e}"
    );

    let (mut g, _) = sample_graph();
    g.initializer[0].float_data.pop();
    assert!(compile_error(g).contains("holds 23 values"));

    let (mut g, _) = sample_graph();
    g.initializer[0].data_type = 10;
    assert!(compile_error(g).contains("16-bit float"));

    let (mut g, _) = sample_graph();
    g.input.push(value_info("y", 3));
    assert!(compile_error(g).contains("2 inputs"));

    let dir = TempDir::new("notonnx");
    std::fs::write(dir.path("m.onnx"), b"\xff\xff\xff garbage").unwrap();
    let o = nnctl(&["compile", &dir.path("m.onnx"), "-o", &dir.path("m.nnm")]);
    assert!(stderr(&o).contains("not an ONNX model"), "{}", stderr(&o));
}

#[test]
fn random_models_eval_random_inputs() {
    let dir = TempDir::new("random");
    for (seed, frac, acts) in [
        (1u64, 0u8, "relu"),
        (2, 8, "sigmoid,tanh,linear"),
        (3, 15, "tanh"),
        (4, 12, "relu,relu,sigmoid"),
    ] {
        let m = dir.path("r.nnm");
        let o = nnctl(&[
            "random",
            "--seed",
            &seed.to_string(),
            "--dims",
            "8,16,12,4",
            "--activations",
            acts,
            "--input-frac",
            &frac.to_string(),
            "-o",
            &m,
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let o = nnctl(&[
            "inputs",
            "--seed",
            &seed.to_string(),
            "--count",
            "200",
            "--dim",
            "8",
            "--frac",
            &frac.to_string(),
        ]);
        assert!(o.status.success());
        std::fs::write(dir.path("in.txt"), &o.stdout).unwrap();
        let o = nnctl(&["eval", &m, &dir.path("in.txt")]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o).lines().count(), 200);
        // Reproducible.
        let again = nnctl(&["eval", &m, &dir.path("in.txt")]);
        assert_eq!(again.stdout, o.stdout);
    }
    // Default activations are drawn at random; info reads the result.
    let m = dir.path("d.nnm");
    assert!(
        nnctl(&["random", "--seed", "9", "--dims", "3,5,2", "-o", &m])
            .status
            .success()
    );
    assert!(stdout(&nnctl(&["info", &m])).contains("checksum ok"));
}

/// `eval --simd` runs the module's AVX2 kernels behind its gate and prints exactly the
/// scalar path's lines, on random networks of every activation, wide and narrow rows
/// (whole passes, padded last passes, scalar tails) and inputs that saturate.
#[test]
fn eval_simd_prints_the_scalar_lines() {
    assert!(
        std::is_x86_feature_detected!("avx2"),
        "this host has no AVX2"
    );
    let dir = TempDir::new("simd");
    for (seed, dims) in [
        (1, "31,256,2"),
        (2, "4,8,2"),
        (3, "100,47,33,10"),
        (4, "1024,16"),
    ] {
        let m = dir.path(&format!("m{seed}.nnm"));
        let o = nnctl(&[
            "random",
            "--seed",
            &seed.to_string(),
            "--dims",
            dims,
            "-o",
            &m,
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let dim: usize = dims.split(',').next().unwrap().parse().unwrap();
        let i = dir.path(&format!("in{seed}.txt"));
        let o = nnctl(&[
            "inputs",
            "--seed",
            "5",
            "--count",
            "40",
            "--dim",
            &dim.to_string(),
            "--frac",
            "4",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::write(&i, stdout(&o)).unwrap();
        let scalar = nnctl(&["eval", &m, &i]);
        let simd = nnctl(&["eval", &m, &i, "--simd"]);
        assert!(
            scalar.status.success() && simd.status.success(),
            "{}",
            stderr(&simd)
        );
        assert_eq!(stdout(&scalar).lines().count(), 40);
        assert_eq!(stdout(&simd), stdout(&scalar), "dims {dims}");
    }
}

/// `eval --raw` reads the fixed-point values themselves and prints the outputs' values:
/// the same numbers as the decimal lines (each raw input x is the decimal x / 2^frac,
/// each output decimal y the raw y / 2^out_frac), and anything but an integer in
/// -32768..32767 is an error naming the line and the number.
#[test]
fn eval_raw_gives_the_fixed_point_values() {
    let dir = TempDir::new("raw");
    let m = dir.path("r.nnm");
    let o = nnctl(&[
        "random",
        "--seed",
        "9",
        "--dims",
        "5,7,3",
        "--input-frac",
        "8",
        "-o",
        &m,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out_frac: i32 = stdout(&nnctl(&["info", &m]))
        .lines()
        .find_map(|l| l.strip_prefix("output: "))
        .and_then(|l| l.split(", Q").nth(1))
        .and_then(|q| q.split(';').next())
        .and_then(|q| q.split('.').nth(1))
        .and_then(|f| f.parse().ok())
        .expect("info prints the output format as Qm.n");
    let mut rng = Rng::new(11);
    let rows: Vec<Vec<i16>> = (0..50)
        .map(|_| (0..5).map(|_| rng.next_u64() as i16).collect())
        .collect();
    let join = |r: &[i16], f: &dyn Fn(i16) -> String| {
        r.iter().map(|&v| f(v)).collect::<Vec<_>>().join(" ") + "\n"
    };
    let raw: String = rows.iter().map(|r| join(r, &|v| v.to_string())).collect();
    let dec: String = rows
        .iter()
        .map(|r| join(r, &|v| format!("{}", f64::from(v) / 256.0)))
        .collect();
    std::fs::write(dir.path("raw.txt"), raw).unwrap();
    std::fs::write(dir.path("dec.txt"), dec).unwrap();
    let r = nnctl(&["eval", "--raw", &m, &dir.path("raw.txt")]);
    let d = nnctl(&["eval", &m, &dir.path("dec.txt")]);
    assert!(
        r.status.success() && d.status.success(),
        "{}{}",
        stderr(&r),
        stderr(&d)
    );
    let (r, d) = (stdout(&r), stdout(&d));
    assert_eq!(r.lines().count(), 50);
    for (rl, dl) in r.lines().zip(d.lines()) {
        let want: Vec<f64> = dl
            .split_whitespace()
            .take(3)
            .map(|t| t.parse().unwrap())
            .collect();
        let got: Vec<f64> = rl
            .split_whitespace()
            .map(|t| f64::from(t.parse::<i16>().unwrap()) / f64::from(1 << out_frac))
            .collect();
        assert_eq!(got, want, "raw {rl} against {dl}");
    }
    for (text, want) in [
        (
            "1 2 3 4 32768\n",
            ":1: number 5 ('32768'): not an integer in -32768..32767",
        ),
        ("1 2 3 4 0.5\n", "not an integer"),
        ("1 2 3 4\n", ":1: 4 numbers, the model takes 5"),
    ] {
        std::fs::write(dir.path("bad.txt"), text).unwrap();
        let o = nnctl(&["eval", "--raw", &m, &dir.path("bad.txt")]);
        assert_eq!(o.status.code(), Some(1), "{text}");
        assert!(stderr(&o).contains(want), "{text:?}: {}", stderr(&o));
    }
}

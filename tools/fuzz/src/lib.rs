// SPDX-License-Identifier: GPL-2.0

//! What the fuzz targets share: the checks made on every blob the parser sees, a second,
//! independent reading of the model format to compare the parser with, and the
//! structure-aware blob builder and mutator of `model_mutate`; the targets of the debugfs
//! command grammars are in [`commands`].

use arbitrary::{Result, Unstructured};

pub mod commands;
pub use commands::{config_parse, create_parse, id_parse, train_parse};

use nn_pure::activation::Activation;
use nn_pure::fixed::{Requant, MAX_DIM, MAX_SHIFT};
use nn_pure::format::Format;
use nn_pure::model::{
    check_prefix, crc32, declared_len, layer_entry_len, Model, HEADER_LEN, LAYER_ENTRY_LEN,
    MAX_BLOB_LEN, MAX_LAYERS, VERSION_1,
};
use nn_pure::owned::OwnedWeights;
use nn_pure::writer::{write_model, write_model_version, LayerSpec};

fn le16(b: &[u8], at: usize) -> u64 {
    u64::from(u16::from_le_bytes([b[at], b[at + 1]]))
}

fn le32(b: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]))
}

/// Whether `blob` is a valid model, read straight from
/// Documentation/neural_network/model-format.rst with none of `rust/pure/model.rs`'s code: a
/// reference the parser must agree with on every input (accept or reject; the reason is
/// the parser's to choose).
pub fn spec_accepts(b: &[u8]) -> bool {
    let len = b.len() as u64;
    if len > MAX_BLOB_LEN as u64 || len < 32 + 4 {
        return false;
    }
    let n = le16(b, 8);
    let input_dim = le32(b, 12);
    let version = le16(b, 4);
    if b[0..4] != *b"NNMF"
        || !(version == 1 || version == 2)
        || le16(b, 6) != 32
        || !(1..=16).contains(&n)
        || b[10] > 15
        || b[11] != 0
        || !(1..=4096).contains(&input_dim)
        || le32(b, 16) != len
        || b[20..32].iter().any(|&x| x != 0)
    {
        return false;
    }
    let entry = if version == 1 { 16 } else { 20 };
    let table_end = 32 + entry * n;
    if table_end + 4 > len {
        return false;
    }
    let mut prev = input_dim;
    let mut payload = 0u64;
    let mut weights = Vec::new();
    for i in 0..n as usize {
        let e = 32 + entry as usize * i;
        let (inputs, outputs) = (le32(b, e), le32(b, e + 4));
        let (act, out_frac, shift, reserved, mult) =
            (b[e + 8], b[e + 9], b[e + 10], b[e + 11], le32(b, e + 12));
        if inputs != prev
            || !(1..=4096).contains(&outputs)
            || act > 3
            || out_frac > 15
            || (act >= 2 && out_frac != 15)
            || shift > 47
            || reserved != 0
            || !(1..=65535).contains(&mult)
        {
            return false;
        }
        // Version 2: the format (0 16x16, 1 16x8, 2 8x8), the input shift (8x8 only).
        let (format, in_shift, reserved2) = match version {
            1 => (0, 0, 0),
            _ => (b[e + 16], b[e + 17], le16(b, e + 18)),
        };
        if format > 2 || in_shift > 15 || (in_shift != 0 && format != 2) || reserved2 != 0 {
            return false;
        }
        let width = if format == 0 { 2 } else { 1 };
        weights.push((table_end + payload, inputs * outputs, width));
        payload += width * inputs * outputs + 4 * outputs;
        prev = outputs;
    }
    if table_end + payload + 4 != len {
        return false;
    }
    let body = (len - 4) as usize;
    if crc32_bitwise(&b[..body]) as u64 != le32(b, body) {
        return false;
    }
    weights.iter().all(|&(at, count, width)| {
        (0..count).all(|k| match width {
            2 => le16(b, (at + 2 * k) as usize) != 0x8000,
            _ => b[(at + k) as usize] != 0x80,
        })
    })
}

/// CRC-32 computed bit by bit (not with `rust/pure/model.rs`'s table), branch-free so that
/// the fuzzer's comparison tracing does not slow it down.
fn crc32_bitwise(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &x in data {
        crc ^= u32::from(x);
        // Eight steps, unrolled: a loop counter would be traced too.
        let step = |c: u32| (c >> 1) ^ (0xedb8_8320 & (c & 1).wrapping_neg());
        crc = step(step(step(step(step(step(step(step(crc))))))));
    }
    !crc
}

/// Checks an accepted model: every invariant the parser promises, its weights and biases
/// read in full, the forward pass run through every layer, and the blob written anew
/// from what was parsed equal to the blob.
pub fn check_accepted(blob: &[u8], m: &Model<'_>) {
    assert!(blob.len() <= MAX_BLOB_LEN);
    assert_eq!(le32(blob, 16), blob.len() as u64, "total_len");
    assert!((1..=MAX_LAYERS).contains(&m.n_layers()));
    assert!((1..=MAX_DIM).contains(&m.input_dim()));
    assert!(m.input_frac() <= 15);
    let mut prev = m.input_dim();
    let version = u16::from_le_bytes([blob[4], blob[5]]);
    let mut at = HEADER_LEN + m.n_layers() * layer_entry_len(version);
    let mut x = vec![0i16; m.input_dim()];
    let mut extremes = vec![0i16; m.input_dim()];
    for (i, v) in extremes.iter_mut().enumerate() {
        *v = if i % 2 == 0 { i16::MAX } else { i16::MIN };
    }
    let mut specs = Vec::new();
    for l in m.layers() {
        assert_eq!(l.inputs, prev, "inputs == previous outputs");
        assert!((1..=MAX_DIM).contains(&l.outputs));
        assert!(l.out_frac <= 15);
        if let Some(f) = l.activation.output_frac() {
            assert_eq!(l.out_frac, f);
        }
        assert!((1..=65535).contains(&l.requant.mult()) && l.requant.shift() <= MAX_SHIFT);
        let w: Vec<i16> = m.weights(&l).collect();
        let bias: Vec<i32> = m.biases(&l).collect();
        assert_eq!(w.len(), l.inputs * l.outputs);
        assert_eq!(bias.len(), l.outputs);
        assert!(w.iter().all(|&v| v != i16::MIN), "weight -32768 accepted");
        if l.format != Format::F16x16 {
            assert!(
                w.iter().all(|&v| (-127..=127).contains(&v)),
                "weight -128 accepted"
            );
        }
        assert!(l.in_shift == 0 || l.format == Format::F8x8);
        if version == VERSION_1 {
            assert_eq!(l.format, Format::F16x16, "version 1 is 16x16");
        }
        at += l.format.weight_bytes() * w.len() + 4 * bias.len();
        let owned = OwnedWeights::from_model(m, &l);
        assert_eq!(owned.widened(), w);
        let dense = l.dense(owned.view(), &bias);
        let mut y = vec![0i16; l.outputs];
        dense
            .forward(&x, &mut y)
            .expect("forward on the parsed shape");
        let mut y2 = vec![0i16; l.outputs];
        dense
            .forward(&extremes, &mut y2)
            .expect("forward on the parsed shape");
        for v in y.iter().chain(&y2) {
            match l.activation {
                Activation::Sigmoid => assert!((0..=32767).contains(v)),
                Activation::Tanh => assert!((-32767..=32767).contains(v)),
                Activation::Relu => assert!(*v >= 0),
                Activation::Linear => {}
            }
        }
        x = y;
        extremes = y2;
        specs.push(LayerSpec {
            inputs: l.inputs,
            outputs: l.outputs,
            activation: l.activation,
            out_frac: l.out_frac,
            requant: l.requant,
            format: l.format,
            in_shift: l.in_shift,
            weights: w,
            bias,
        });
        prev = l.outputs;
    }
    assert_eq!(specs.len(), m.n_layers());
    assert_eq!(at + 4, blob.len(), "payload fills the blob");
    // In the version the blob declares: a version 2 blob whose layers are all 16x16 is
    // valid and reads as the version 1 blob of the same layers (model-format.rst), which
    // is what write_model would choose for them.
    let version = u16::from_le_bytes([blob[4], blob[5]]);
    assert_eq!(
        write_model_version(version, m.input_dim(), m.input_frac(), &specs),
        blob,
        "the accepted blob is what its fields write"
    );
}

/// Checks `declared_len`, which the kernel's streaming loader calls on the first bytes
/// to size its buffer: it reads the header only, allows no more than 128 MiB and no less
/// than a one-layer table and a checksum, and gives a valid blob's own length (so the
/// loader never refuses a blob the parser accepts); and `check_prefix`, which it calls
/// on every prefix of the header as it arrives, likewise.
fn check_declared_len(blob: &[u8], accepted: bool) {
    // The loader judges every prefix of the header as it arrives (`check_prefix`): what
    // it refuses there, the parser refuses too.
    for n in 0..=blob.len().min(HEADER_LEN) {
        if let Err(e) = check_prefix(&blob[..n]) {
            assert!(
                !accepted,
                "check_prefix refuses a valid blob at {n} bytes: {e:?}"
            );
            assert!(declared_len(blob).is_err());
        }
    }
    let d = declared_len(blob);
    if blob.len() >= HEADER_LEN {
        assert_eq!(
            d,
            declared_len(&blob[..HEADER_LEN]),
            "reads the header only"
        );
    }
    match d {
        Ok(total) => {
            assert!(total <= MAX_BLOB_LEN);
            let version = le16(blob, 4) as u16;
            assert!(total >= HEADER_LEN + layer_entry_len(version) + 4);
            assert_eq!(total as u64, le32(blob, 16));
        }
        Err(e) => assert!(!accepted, "declared_len refuses a valid blob: {e:?}"),
    }
    if accepted {
        assert_eq!(d, Ok(blob.len()));
    }
}

/// Parses `blob` and checks the outcome: agreement with [`spec_accepts`], a reason for a
/// rejection, [`check_accepted`] for an acceptance, and `declared_len` consistent with
/// the parser. Returns whether it was accepted.
pub fn check(blob: &[u8]) -> bool {
    let parsed = Model::parse(blob);
    let spec = spec_accepts(blob);
    check_declared_len(blob, parsed.is_ok());
    match parsed {
        Ok(m) => {
            assert!(spec, "parser accepts a blob the spec rejects");
            check_accepted(blob, &m);
            true
        }
        Err(e) => {
            assert!(!spec, "parser rejects a valid blob: {e:?}");
            assert!(!e.reason().is_empty());
            false
        }
    }
}

/// A model for [`write_model`], drawn from fuzz bytes.
#[derive(Debug)]
pub struct Drawn {
    /// Inputs of layer 0.
    pub input_dim: usize,
    /// Fractional bits of the input.
    pub input_frac: u8,
    /// The layers.
    pub layers: Vec<LayerSpec>,
}

fn draw_dim(u: &mut Unstructured<'_>, wide: bool) -> Result<usize> {
    // Wide layers (up to 4096) cost the fuzzer far more time than they find: the parser
    // handles every size alike, and `model_parse`'s seeds have a 4096-wide model.
    Ok(match u.int_in_range(0u8..=15)? {
        0 if wide => u.int_in_range(13..=64)?,
        _ => u.int_in_range(1..=12)?,
    })
}

/// Draws a valid model: 1..=16 layers (mostly few and small), every field in range. The
/// weights, biases and requantization are free within their ranges.
pub fn draw_model(u: &mut Unstructured<'_>) -> Result<Drawn> {
    let n_layers = if u.ratio(1, 8)? {
        u.int_in_range(1..=MAX_LAYERS)?
    } else {
        u.int_in_range(1..=4)?
    };
    // One layer at most may be wide, to keep blobs small.
    let mut wide = n_layers <= 2 && u.ratio(1, 4)?;
    let input_dim = draw_dim(u, wide)?;
    if input_dim > 12 {
        wide = false;
    }
    let input_frac = u.int_in_range(0..=15)?;
    let mut layers = Vec::with_capacity(n_layers);
    let mut inputs = input_dim;
    for _ in 0..n_layers {
        let outputs = draw_dim(u, wide)?;
        if outputs > 12 {
            wide = false;
        }
        let activation = Activation::from_code(u.int_in_range(0..=3)?).unwrap();
        let out_frac = match activation.output_frac() {
            Some(f) => f,
            None => u.int_in_range(0..=15)?,
        };
        let requant = Requant::new(u.int_in_range(1..=65535)?, u.int_in_range(0..=MAX_SHIFT)?)
            .expect("in range");
        // The values matter little to the parser (only -32768 is wrong, which the
        // mutations write): a generator seeded from the fuzz bytes keeps inputs short.
        let mut x: u64 = u.arbitrary::<u64>()? | 1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        // Version 2's formats: 16x16 mostly (a model of them all is written as version 1).
        let format = match u.int_in_range(0u8..=3)? {
            0 => Format::F16x8,
            1 => Format::F8x8,
            _ => Format::F16x16,
        };
        let in_shift = match format {
            Format::F8x8 => u.int_in_range(0..=15)?,
            _ => 0,
        };
        let weights = (0..inputs * outputs)
            .map(|_| match format {
                Format::F16x16 => ((next() % 65535) as i32 - 32767) as i16,
                _ => ((next() % 255) as i32 - 127) as i16,
            })
            .collect();
        let bias = (0..outputs).map(|_| next() as i32).collect();
        layers.push(LayerSpec {
            inputs,
            outputs,
            activation,
            out_frac,
            requant,
            format,
            in_shift,
            weights,
            bias,
        });
        inputs = outputs;
    }
    Ok(Drawn {
        input_dim,
        input_frac,
        layers,
    })
}

/// Values that sit on or beside the format's limits.
const INTERESTING: [u32; 20] = [
    0,
    1,
    2,
    3,
    4,
    12,
    14,
    15,
    16,
    17,
    32,
    47,
    48,
    255,
    4095,
    4096,
    4097,
    65535,
    65536,
    u32::MAX,
];

/// Applies 0..=4 mutations aimed at the format's fields, then maybe fixes up `total_len`
/// and the checksum (each 3 times in 4) so that the fuzzer gets past them.
pub fn mutate(u: &mut Unstructured<'_>, b: &mut Vec<u8>) -> Result<()> {
    let n = u.int_in_range(0..=4)?;
    for _ in 0..n {
        if b.is_empty() {
            b.push(u.arbitrary()?);
        }
        let len = b.len();
        match u.int_in_range(0u8..=9)? {
            // A byte set anywhere.
            0 => {
                let at = u.choose_index(len)?;
                b[at] = u.arbitrary()?;
            }
            // A bit flipped.
            1 => {
                let at = u.choose_index(len)?;
                b[at] ^= 1 << u.int_in_range(0..=7)?;
            }
            // A header or table field (u8, u16 or u32) set to a limit value.
            2 => {
                let field = u.int_in_range(0..=HEADER_LEN + MAX_LAYERS * LAYER_ENTRY_LEN)?;
                let v = *u.choose(&INTERESTING)?;
                let width = *u.choose(&[1usize, 2, 4])?;
                let bytes = v.to_le_bytes();
                for (k, &x) in bytes.iter().enumerate().take(width) {
                    if let Some(y) = b.get_mut(field + k) {
                        *y = x;
                    }
                }
            }
            // Truncated.
            3 => b.truncate(u.choose_index(len)?),
            // Bytes appended.
            4 => {
                let k = u.int_in_range(1..=8)?;
                for _ in 0..k {
                    b.push(u.arbitrary()?);
                }
            }
            // Bytes inserted in the middle.
            5 => {
                let at = u.choose_index(len)?;
                let k = u.int_in_range(1..=8)?;
                for _ in 0..k {
                    b.insert(at, u.arbitrary()?);
                }
            }
            // Bytes removed from the middle.
            6 => {
                let at = u.choose_index(len)?;
                let k = u.int_in_range(1..=8)?.min(len - at);
                b.drain(at..at + k);
            }
            // A weight-sized word in the payload set to -32768, or a byte to -128.
            7 => {
                let at = u.choose_index(len)?;
                if u.arbitrary()? {
                    b[at] = 0x80;
                } else if at + 2 <= len {
                    b[at..at + 2].copy_from_slice(&i16::MIN.to_le_bytes());
                }
            }
            // The layer count or a dimension off by one.
            8 => {
                let field = *u.choose(&[8usize, 12, 32, 36, 48, 52])?;
                if field + 2 <= len {
                    let v = u16::from_le_bytes([b[field], b[field + 1]]);
                    let v = if u.arbitrary()? {
                        v.wrapping_add(1)
                    } else {
                        v.wrapping_sub(1)
                    };
                    b[field..field + 2].copy_from_slice(&v.to_le_bytes());
                }
            }
            // The magic, version or header length broken.
            _ => {
                let field = *u.choose(&[0usize, 4, 6])?;
                if field + 2 <= len {
                    b[field] = b[field].wrapping_add(1);
                }
            }
        }
    }
    if u.ratio(3, 4)? && b.len() >= 20 {
        let l = b.len() as u32;
        b[16..20].copy_from_slice(&l.to_le_bytes());
    }
    if u.ratio(3, 4)? && b.len() >= 4 {
        let body = b.len() - 4;
        let crc = crc32(&b[..body]);
        b[body..].copy_from_slice(&crc.to_le_bytes());
    }
    Ok(())
}

/// The `model_mutate` target: draws a valid model, which must be accepted as written,
/// mutates it, and checks the parser on the result.
pub fn model_mutate(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(drawn) = draw_model(&mut u) else {
        return;
    };
    let blob = write_model(drawn.input_dim, drawn.input_frac, &drawn.layers);
    // Every field in range and the checksum right: accepted, and read back as written.
    let m = Model::parse(&blob).expect("a valid model is accepted");
    assert_eq!(m.input_dim(), drawn.input_dim);
    assert_eq!(m.input_frac(), drawn.input_frac);
    for (l, spec) in m.layers().zip(&drawn.layers) {
        assert_eq!((l.inputs, l.outputs), (spec.inputs, spec.outputs));
        assert_eq!(l.activation, spec.activation);
        assert_eq!(l.out_frac, spec.out_frac);
        assert_eq!(l.requant, spec.requant);
        assert!(m.weights(&l).eq(spec.weights.iter().copied()));
        assert!(m.biases(&l).eq(spec.bias.iter().copied()));
    }
    assert!(check(&blob));
    let mut mutated = blob.clone();
    if mutate(&mut u, &mut mutated).is_err() {
        return;
    }
    let accepted = check(&mutated);
    if mutated == blob {
        assert!(accepted);
    }
}

/// The `model_parse` target.
pub fn model_parse(data: &[u8]) {
    check(data);
}

/// Whether `s` is a number by the grammar of `rust/pure/decimal.rs`:
/// `[+-]? digits* ('.' digits*)?` with at least one digit.
fn decimal_syntax_ok(s: &[u8]) -> bool {
    let body = match s.first() {
        Some(b'+' | b'-') => &s[1..],
        _ => s,
    };
    let mut dots = 0;
    let mut digits = 0;
    for &c in body {
        match c {
            b'.' => dots += 1,
            b'0'..=b'9' => digits += 1,
            _ => return false,
        }
    }
    dots <= 1 && digits > 0
}

/// `floor(x * 2^frac + 1/2)` for the number `s` (syntax already checked), computed with
/// `i128` rationals; `None` when it has too many digits for that (the parser is exact for
/// any number of digits; this reference is not).
fn decimal_reference(s: &[u8], frac: u8) -> Option<i128> {
    let (negative, body) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (int, fr) = match body.iter().position(|&c| c == b'.') {
        Some(d) => (&body[..d], &body[d + 1..]),
        None => (body, &body[body.len()..]),
    };
    let int = {
        let k = int.iter().take_while(|&&c| c == b'0').count();
        &int[k..]
    };
    let fr = {
        let k = fr.iter().rev().take_while(|&&c| c == b'0').count();
        &fr[..fr.len() - k]
    };
    if int.len() > 7 || fr.len() > 25 {
        return None;
    }
    let mut n: i128 = 0;
    for &c in int.iter().chain(fr) {
        n = n * 10 + i128::from(c - b'0');
    }
    let pow10 = 10i128.pow(fr.len() as u32);
    // q = floor((±n * 2^(frac+1) / 10^k + 1) / 2) = floor((±n * 2^(frac+1) + 10^k) / (2 * 10^k))
    let scaled = n << (frac + 1);
    let num = if negative { -scaled } else { scaled } + pow10;
    Some(num.div_euclid(2 * pow10))
}

/// The `decimal_parse` target: `parse_q`, `parse_line` and `parse_line_clipping` of
/// `rust/pure/decimal.rs` on arbitrary text at an arbitrary `frac` (0..=16): no panic, the
/// grammar and the value of a reference, `write_q` / `write_outputs` read back to the
/// same numbers, and the saturating reader equal to the strict one where that accepts.
pub fn decimal_parse(data: &[u8]) {
    use nn_pure::decimal::{
        parse_line, parse_line_clipping, parse_q, write_outputs, write_q, DecimalError,
    };

    let [frac, room, text @ ..] = data else {
        return;
    };
    let frac = frac % 17;
    let room = usize::from(room % 32);

    let r = parse_q(text, frac);
    if let Err(e) = r {
        assert!(!e.reason().is_empty());
    }
    let syntax = decimal_syntax_ok(text);
    match r {
        Err(DecimalError::Empty) => assert!(text.is_empty()),
        Err(DecimalError::NoDigits | DecimalError::BadChar) => assert!(!syntax, "{r:?}"),
        Err(DecimalError::BadFrac) => assert!(syntax && frac > 15),
        Err(DecimalError::TooMany) => panic!("TooMany from parse_q"),
        Err(DecimalError::OutOfRange) => assert!(syntax && frac <= 15),
        Ok(_) => assert!(syntax && frac <= 15),
    }
    if syntax && frac <= 15 {
        if let Some(want) = decimal_reference(text, frac) {
            match i16::try_from(want) {
                Ok(q) => assert_eq!(r, Ok(q), "{:?}", String::from_utf8_lossy(text)),
                Err(_) => assert_eq!(r, Err(DecimalError::OutOfRange)),
            }
        }
    }
    if let Ok(q) = r {
        let mut s = String::new();
        write_q(&mut s, q, frac).unwrap();
        assert_eq!(parse_q(s.as_bytes(), frac), Ok(q), "{s}");
    }

    let mut out = vec![0i16; room];
    match parse_line(text, frac, &mut out) {
        Ok(n) => {
            assert!(n <= room);
            let line = text.strip_suffix(b"\n").unwrap_or(text);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let tokens: Vec<&[u8]> = line
                .split(|&c| c == b' ' || c == b'\t')
                .filter(|t| !t.is_empty())
                .collect();
            assert_eq!(tokens.len(), n);
            for (t, &q) in tokens.iter().zip(&out) {
                assert_eq!(parse_q(t, frac), Ok(q));
            }
            if n > 0 {
                let mut s = String::new();
                write_outputs(&mut s, &out[..n], frac).unwrap();
                let (numbers, class) = s.rsplit_once(" class ").expect("class");
                assert!(class.ends_with('\n'));
                let mut back = vec![0i16; n];
                assert_eq!(parse_line(numbers.as_bytes(), frac, &mut back), Ok(n));
                assert_eq!(back, out[..n]);
            }
        }
        Err(e) => assert!(!e.reason().is_empty()),
    }

    // The saturating reader (predict's default) agrees with the strict one wherever that
    // accepts, and differs only by giving the nearest end for numbers out of range.
    let strict = parse_line(text, frac, &mut out);
    let mut sat = vec![0i16; room];
    let clipping = parse_line_clipping(text, frac, &mut sat);
    match (strict, clipping) {
        (Ok(n), Ok(c)) => {
            assert_eq!((c.count, c.clipped), (n, 0));
            assert_eq!(sat[..n], out[..n]);
        }
        (Err(DecimalError::OutOfRange), Ok(c)) => assert!(c.clipped > 0),
        (Err(DecimalError::OutOfRange), Err(e)) => assert_ne!(e, DecimalError::OutOfRange),
        (Err(e), Err(f)) => assert_eq!(e, f),
        (s, c) => panic!("strict {s:?}, saturating {c:?}"),
    }
    if let Ok(c) = clipping {
        assert!(c.clipped <= c.count && c.count <= room);
    }
}

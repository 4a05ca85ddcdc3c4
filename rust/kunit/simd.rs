// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `neural_network_simd`: the vector path in the kernel, in a real FPU
//! section, against the scalar reference, bit for bit.

#[kernel::macros::kunit_tests(neural_network_simd)]
mod tests {
    use crate::pure::activation::Activation;
    use crate::pure::batch::{self, split_len_for, Runner, Scalar, Shape};
    use crate::pure::fixed::{Requant, MAX_DIM, MAX_SHIFT};
    use crate::pure::format::Weights;
    use crate::pure::forward::DenseLayer;
    use crate::pure::panel;
    use crate::pure::rng::Rng;
    use crate::simd::gate::Gate;
    use crate::simd::{self, Section, SECTION_MACS};
    use kernel::prelude::*;

    /// Every layer to the vector kernel, where the CPU has it.
    fn forced() -> Gate {
        Gate::new(simd::found().1, true, 1, None)
    }

    /// A value: uniform mostly, the extremes and zero often.
    fn value(rng: &mut Rng) -> i16 {
        match rng.below(8) {
            0 => i16::MIN,
            1 => i16::MAX,
            2 => 0,
            _ => rng.next_u32() as i16,
        }
    }

    /// One input through `layer` by a section behind `gate`; the section's counts. The
    /// split is allocated before the section takes the FPU: nothing may sleep in it.
    fn run_one(gate: Gate, layer: &DenseLayer<'_>, x: &[i16], y: &mut [i16]) -> Result<(u64, u64)> {
        let mut split =
            KVec::from_elem(0i16, split_len_for(layer.inputs, batch::BLOCK), GFP_KERNEL)?;
        let mut section = Section::with_gate(gate, [layer.inputs]);
        section
            .run(layer, &[x], &mut [y], &mut split)
            .map_err(|_| EINVAL)?;
        Ok(section.counts())
    }

    fn values(rng: &mut Rng, n: usize, min: i16) -> Result<KVec<i16>> {
        let mut v = KVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            v.push(value(rng).max(min), GFP_KERNEL)?;
        }
        Ok(v)
    }

    #[test]
    fn the_self_check_passed_wherever_the_cpu_has_avx2() {
        let (avx2, usable) = simd::found();
        // AVX2 found but the self-check refused it (or could not run) fails here.
        assert_eq!(avx2, usable);
    }

    /// Random layers through a section that sends them to the vector kernel, and through
    /// the scalar reference: the same outputs; the section counted vector runs. 200
    /// layers (each KUnit run costs about 0.03 s a layer in the debug guest, and it runs
    /// on every topology); the host's tests run the same kernels on many more.
    #[test]
    fn random_layers_give_the_scalar_bits() -> Result {
        let mut rng = Rng::from_seed(0x51bd_c4ec);
        let acts = [
            Activation::Linear,
            Activation::Relu,
            Activation::Sigmoid,
            Activation::Tanh,
        ];
        for case in 0..200 {
            let inputs = 1 + match rng.below(12) {
                0 => rng.below(1024),
                _ => rng.below(160),
            } as usize;
            let outputs = 1 + rng.below(12) as usize;
            let weights = values(&mut rng, inputs * outputs, -32767)?;
            let mut bias = KVec::with_capacity(outputs, GFP_KERNEL)?;
            for _ in 0..outputs {
                bias.push(rng.next_u32() as i32, GFP_KERNEL)?;
            }
            let requant = Requant::new(
                1 + rng.below(65535),
                rng.below(u32::from(MAX_SHIFT) + 1) as u8,
            )
            .ok_or(EINVAL)?;
            let layer = DenseLayer {
                inputs,
                outputs,
                activation: acts[rng.below(4) as usize],
                requant,
                weights: Weights::Wide(&weights),
                bias: &bias,
            };
            let x = values(&mut rng, inputs, i16::MIN)?;
            let mut want = KVec::from_elem(0i16, outputs, GFP_KERNEL)?;
            let mut got = KVec::from_elem(0x5a5ai16, outputs, GFP_KERNEL)?;
            layer.forward(&x, &mut want).map_err(|_| EINVAL)?;
            let counts = run_one(forced(), &layer, &x, &mut got)?;
            if want != got {
                pr_err!("case {}: {} x {} differ\n", case, inputs, outputs);
            }
            assert!(want == got);
            let expect_simd = u64::from(simd::found().1);
            assert_eq!(counts, (expect_simd, 1 - expect_simd));
        }
        Ok(())
    }

    /// A layer of more than [`SECTION_MACS`] runs in pieces, the FPU given back between
    /// them, and still gives the scalar bits.
    #[test]
    fn a_layer_longer_than_a_section_gives_the_fpu_back_and_the_same_bits() -> Result {
        let mut rng = Rng::from_seed(99);
        let (inputs, outputs) = (MAX_DIM, 2 * SECTION_MACS / MAX_DIM + 3);
        let weights = values(&mut rng, inputs * outputs, -32767)?;
        let bias = KVec::from_elem(-7i32, outputs, GFP_KERNEL)?;
        let layer = DenseLayer {
            inputs,
            outputs,
            activation: Activation::Linear,
            requant: Requant::new(1, 20).ok_or(EINVAL)?,
            weights: Weights::Wide(&weights),
            bias: &bias,
        };
        let x = values(&mut rng, inputs, i16::MIN)?;
        let mut want = KVec::from_elem(0i16, outputs, GFP_KERNEL)?;
        let mut got = KVec::from_elem(0i16, outputs, GFP_KERNEL)?;
        layer.forward(&x, &mut want).map_err(|_| EINVAL)?;
        run_one(forced(), &layer, &x, &mut got)?;
        assert!(want == got);
        Ok(())
    }

    /// The gate follows `neural_enable_simd` and the threshold: a section whose layers
    /// are all below the threshold, or with SIMD off, runs every layer scalar.
    #[test]
    fn below_the_threshold_or_switched_off_every_layer_runs_scalar() -> Result {
        let weights = KVec::from_elem(3i16, 64 * 2, GFP_KERNEL)?;
        let bias = KVec::from_elem(1i32, 2, GFP_KERNEL)?;
        let layer = DenseLayer {
            inputs: 64,
            outputs: 2,
            activation: Activation::Linear,
            requant: Requant::IDENTITY,
            weights: Weights::Wide(&weights),
            bias: &bias,
        };
        let x = KVec::from_elem(2i16, 64, GFP_KERNEL)?;
        let usable = simd::found().1;
        for (gate, simd_runs) in [
            (Gate::new(usable, true, 65, None), 0),
            (Gate::new(usable, false, 1, None), 0),
            (Gate::SCALAR, 0),
            (Gate::new(usable, true, 64, None), u64::from(usable)),
        ] {
            let mut y = [0i16; 2];
            let counts = run_one(gate, &layer, &x, &mut y)?;
            assert_eq!(y, [385, 385]);
            assert_eq!(counts, (simd_runs, 1 - simd_runs));
        }
        Ok(())
    }

    /// 40 random networks of 1 to 3 layers over batches of 1 to 9 inputs (blocks of four
    /// and the rest) by the batch driver: through a section that sends every layer to its
    /// format's vector kernels, and through the scalar reference; the same outputs, and
    /// the section counted vector runs. Each layer's format is 16x16, or with `formats`
    /// drawn (16x16, 16x8, or 8x8 with a random input shift). The reference runs the
    /// layers row-major; the section, and the reference again, as the module stores
    /// them (8-bit layers of 16 rows or more in panels: `panel_w8`'s kernels).
    fn batches_give_the_scalar_bits(seed: u64, formats: bool) -> Result {
        use crate::pure::format::Format;
        let mut rng = Rng::from_seed(seed);
        for case in 0..40 {
            let depth = 1 + rng.below(3) as usize;
            let mut dims = KVec::with_capacity(depth + 1, GFP_KERNEL)?;
            for _ in 0..=depth {
                dims.push(1 + rng.below(100) as usize, GFP_KERNEL)?;
            }
            // Per layer: format, input shift, 16-bit and 8-bit weights, biases.
            let mut params = KVec::with_capacity(depth, GFP_KERNEL)?;
            for d in dims.windows(2) {
                let format = match formats {
                    true => Format::ALL[rng.below(3) as usize],
                    false => Format::F16x16,
                };
                let w = values(&mut rng, d[0] * d[1], -32767)?;
                let mut w8 = KVec::with_capacity(w.len(), GFP_KERNEL)?;
                for v in w.iter() {
                    w8.push(crate::pure::num::low_i8(*v).max(-127), GFP_KERNEL)?;
                }
                // The 8-bit weights as the module stores them too (in panels where
                // `panel::fits`).
                let mut w8p = KVec::with_capacity(w8.len(), GFP_KERNEL)?;
                for k in panel::order(format, d[1], d[0]) {
                    w8p.push(w8.get(k).copied().ok_or(EINVAL)?, GFP_KERNEL)?;
                }
                let b = KVec::from_elem(rng.next_u32() as i32 >> 12, d[1], GFP_KERNEL)?;
                let shift = rng.below(16) as u8;
                params.push((d[0], d[1], format, shift, w, (w8, w8p), b), GFP_KERNEL)?;
            }
            let requant = Requant::new(1, if formats { 12 } else { 15 }).ok_or(EINVAL)?;
            // Layer `i` row-major, or (`stored`) as the module stores it.
            let layer_as = |i: usize, stored: bool| {
                params.get(i).map(
                    |(inputs, outputs, format, shift, w, (w8, w8p), b)| DenseLayer {
                        inputs: *inputs,
                        outputs: *outputs,
                        activation: Activation::Relu,
                        requant,
                        weights: match (format, stored && panel::fits(*format, *outputs, *inputs)) {
                            (Format::F16x16, _) => Weights::Wide(w),
                            (Format::F16x8, false) => Weights::Narrow(w8),
                            (Format::F8x8, false) => Weights::Byte {
                                weights: w8,
                                in_shift: *shift,
                            },
                            (_, true) => Weights::Panels {
                                weights: w8p,
                                in_shift: (*format == Format::F8x8).then_some(*shift),
                            },
                        },
                        bias: b,
                    },
                )
            };
            let layer = |i: usize| layer_as(i, false);
            let stored = |i: usize| layer_as(i, true);
            let shape = Shape::of(params.iter().map(|p| (p.0, p.1))).ok_or(EINVAL)?;
            let n = 1 + rng.below(9) as usize;
            let x = values(&mut rng, n * shape.input_dim, i16::MIN)?;
            let mut scratch = KVec::from_elem(0i16, shape.scratch_len(), GFP_KERNEL)?;
            let mut want = KVec::from_elem(0i16, n * shape.output_dim, GFP_KERNEL)?;
            let mut got = KVec::from_elem(0x5a5ai16, n * shape.output_dim, GFP_KERNEL)?;
            batch::forward(shape, layer, &x, &mut want, &mut scratch, &mut Scalar)
                .map_err(|_| EINVAL)?;
            // The scalar reference reads the stored layers as the row-major ones.
            batch::forward(shape, stored, &x, &mut got, &mut scratch, &mut Scalar)
                .map_err(|_| EINVAL)?;
            assert!(want == got);
            let mut section = Section::with_gate(forced(), params.iter().map(|p| p.0));
            batch::forward(shape, stored, &x, &mut got, &mut scratch, &mut section)
                .map_err(|_| EINVAL)?;
            let (simd_runs, scalar_runs) = section.counts();
            drop(section);
            if want != got {
                pr_err!("case {}: {} inputs, {} layers differ\n", case, n, depth);
            }
            assert!(want == got);
            let runs = (n * depth) as u64;
            let expect = if simd::found().1 {
                (runs, 0)
            } else {
                (0, runs)
            };
            assert_eq!((simd_runs, scalar_runs), expect);
        }
        Ok(())
    }

    /// [`batches_give_the_scalar_bits`], every layer 16x16: the block kernel (each row's
    /// weights read once for four inputs).
    #[test]
    fn batches_through_the_block_kernel_give_the_scalar_bits() -> Result {
        batches_give_the_scalar_bits(0xba7c4, false)
    }

    /// [`batches_give_the_scalar_bits`], the layers of every format (`avx2`, `avx2_w8`,
    /// or `vnni_w8` where the CPU has it).
    #[test]
    fn batches_of_every_format_give_the_scalar_bits() -> Result {
        batches_give_the_scalar_bits(0xf0_4a75, true)
    }

    /// The in-guest benchmark (debugfs `bench`) on two small shapes: its header, one row
    /// per batch and path, each with the shape, a time and a rate.
    #[test]
    fn the_benchmark_reports_every_batch_and_path() -> Result {
        let mut t = crate::debugfs::text::Text::new();
        simd::bench::run(&[&[4, 8, 2], &[64, 64]], &mut t)?;
        let text = core::str::from_utf8(t.as_bytes()).map_err(|_| EINVAL)?;
        let mut lines = text.lines();
        assert!(lines
            .next()
            .is_some_and(|l| l.starts_with("# guest ns per prediction")));
        assert_eq!(
            lines.next(),
            Some("| shape | batch | path | ns/pred | MAC/ns |")
        );
        assert_eq!(lines.next(), Some("|---|---:|---|---:|---:|"));
        let mut rows = 0;
        for (i, line) in lines.enumerate() {
            let cells: KVec<&str> = {
                let mut v = KVec::new();
                for c in line.split('|').map(str::trim).filter(|c| !c.is_empty()) {
                    v.push(c, GFP_KERNEL)?;
                }
                v
            };
            assert_eq!(cells.len(), 5);
            let shape = if i < 6 { "4-8-2" } else { "64x64" };
            let batch = if i % 6 < 3 { "1" } else { "32" };
            let path = ["scalar", "simd", "auto"][i % 3];
            assert_eq!((cells[0], cells[1], cells[2]), (shape, batch, path));
            assert!(cells[3].parse::<u64>().is_ok_and(|ns| ns > 0));
            assert!(cells[4].contains('.'));
            rows += 1;
        }
        assert_eq!(rows, 12);
        Ok(())
    }
}

// SPDX-License-Identifier: GPL-2.0

//! The gate on the host: a [`Runner`] that runs each layer by the path a [`Gate`] picks,
//! as the module's FPU section (`rust/simd.rs`, `Section`) does, with the module's own
//! kernels (`rust/simd/avx2.rs`, `rust/simd/avx2_w8.rs`). User space owns its vector registers, so there is no
//! FPU section to take. `nnctl eval --simd` and `make bench` run networks through it.

extern crate std;

use crate::batch::{Runner, Scalar};
use crate::forward::{DenseLayer, ShapeError};
#[cfg(target_arch = "x86_64")]
pub use crate::simd::avx2_w8::Isa;
use crate::simd::gate::Gate;

/// The instruction set of the 8-bit kernels where there is no x86-64.
#[cfg(not(target_arch = "x86_64"))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// AVX2.
    Avx2,
}

/// A [`Runner`] behind a [`Gate`], with the layer runs it made by each path.
#[derive(Debug)]
pub struct Gated {
    gate: Gate,
    /// The 8-bit formats' kernels: VNNI where the CPU has it.
    isa: Isa,
    /// Layer runs (one layer, one input) by the vector kernels.
    pub simd_layers: u64,
    /// Layer runs by the scalar reference.
    pub scalar_layers: u64,
}

impl Gated {
    /// A runner behind `gate`.
    ///
    /// # Safety
    ///
    /// `gate.usable` only if this CPU has AVX2 (`is_x86_feature_detected!("avx2")`).
    pub unsafe fn new(gate: Gate) -> Self {
        Self {
            gate,
            isa: best_isa(),
            simd_layers: 0,
            scalar_layers: 0,
        }
    }

    /// The gate.
    pub fn gate(&self) -> Gate {
        self.gate
    }

    /// The 8-bit formats' kernels run on `isa` (which the CPU must have, as
    /// [`best_isa`] finds).
    ///
    /// # Safety
    ///
    /// `isa` is [`Isa::Avx2`] or the CPU has AVX512_VNNI and AVX512VL, and AVX512F for
    /// [`Isa::Vnni512`] (and the OS saves the AVX-512 state, as Linux does for user
    /// space where the CPU has it): [`best_isa`] or an instruction set it implies.
    pub unsafe fn with_isa(mut self, isa: Isa) -> Self {
        self.isa = isa;
        self
    }

    /// The 8-bit formats' instruction set.
    pub fn isa(&self) -> Isa {
        self.isa
    }
}

/// The best instruction set of the 8-bit kernels on this CPU: VNNI (AVX512_VNNI with
/// AVX512VL) where it has them, on 512-bit registers with AVX512F, else AVX2. (User
/// space has no `X86_FEATURE_PREFER_YMM`: the module's choice can differ, see
/// `rust/simd.rs`.)
pub fn best_isa() -> Isa {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx512vnni") && std::is_x86_feature_detected!("avx512vl") {
        if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512bw") {
            return Isa::Vnni512;
        }
        return Isa::Vnni;
    }
    Isa::Avx2
}

/// The instruction sets of the 8-bit kernels this CPU can run, [`best_isa`] last.
pub fn isas() -> std::vec::Vec<Isa> {
    match best_isa() {
        #[cfg(target_arch = "x86_64")]
        Isa::Vnni512 => std::vec![Isa::Avx2, Isa::Vnni, Isa::Vnni512],
        #[cfg(target_arch = "x86_64")]
        Isa::Vnni => std::vec![Isa::Avx2, Isa::Vnni],
        _ => std::vec![Isa::Avx2],
    }
}

impl Runner for Gated {
    fn run(
        &mut self,
        layer: &DenseLayer<'_>,
        xs: &[&[i16]],
        ys: &mut [&mut [i16]],
        split: &mut [i16],
    ) -> Result<(), ShapeError> {
        #[cfg(target_arch = "x86_64")]
        if self.gate.picks(layer) {
            // The format's kernels: `avx2` for 16x16, `avx2_w8` for the 8-bit formats.
            match layer.weights.wide() {
                // SAFETY: the gate is usable only on a CPU with AVX2 (`Gated::new`).
                Some(_) => unsafe { crate::simd::avx2::forward_block(layer, xs, split, ys) }?,
                // SAFETY: as above.
                None => unsafe {
                    crate::simd::avx2_w8::forward_block_w8(self.isa, layer, xs, split, ys)
                }?,
            }
            self.simd_layers += xs.len() as u64;
            return Ok(());
        }
        Scalar.run(layer, xs, ys, split)?;
        self.scalar_layers += xs.len() as u64;
        Ok(())
    }
}

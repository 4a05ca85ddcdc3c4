// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `neural_network_model`: the model parser in the kernel build, on a blob
//! written by the host writer (`testdata/sample.nnm`, kept current by the host test
//! `kunit_sample_blob_is_current`).

#[kernel::macros::kunit_tests(neural_network_model)]
mod tests {
    use crate::pure::activation::Activation;
    use crate::pure::format::Weights;
    use crate::pure::forward::argmax;
    use crate::pure::model::{Model, ParseError};
    use kernel::prelude::*;

    const SAMPLE: &[u8] = include_bytes!("testdata/sample.nnm");

    #[test]
    fn parses_the_sample() -> Result {
        let m = Model::parse(SAMPLE).map_err(|_| EINVAL)?;
        assert_eq!(m.input_dim(), 3);
        assert_eq!(m.n_layers(), 2);
        let mut layers = m.layers();
        let l0 = layers.next().ok_or(EINVAL)?;
        let l1 = layers.next().ok_or(EINVAL)?;
        assert_eq!(l0.activation, Activation::Relu);
        assert_eq!(l1.activation, Activation::Sigmoid);
        assert_eq!(m.weights(&l0).count(), 12);
        Ok(())
    }

    #[test]
    fn every_truncation_is_rejected() {
        for n in 0..SAMPLE.len() {
            assert!(Model::parse(&SAMPLE[..n]).is_err());
        }
    }

    #[test]
    fn every_bit_flip_is_rejected() -> Result {
        let mut b = KVec::new();
        b.extend_from_slice(SAMPLE, GFP_KERNEL)?;
        for i in 0..b.len() {
            for bit in 0..8 {
                b[i] ^= 1 << bit;
                assert!(Model::parse(&b).is_err());
                b[i] ^= 1 << bit;
            }
        }
        assert!(Model::parse(&b).is_ok());
        Ok(())
    }

    #[test]
    fn bad_magic_names_its_reason() -> Result {
        let mut b = KVec::new();
        b.extend_from_slice(SAMPLE, GFP_KERNEL)?;
        b[0] = b'X';
        assert_eq!(Model::parse(&b).err(), Some(ParseError::BadMagic));
        Ok(())
    }

    #[test]
    fn forward_through_the_sample() -> Result {
        let m = Model::parse(SAMPLE).map_err(|_| EINVAL)?;
        let mut x = KVec::new();
        x.extend_from_slice(&[256i16, -128, 64], GFP_KERNEL)?;
        for l in m.layers() {
            let mut w = KVec::with_capacity(l.inputs * l.outputs, GFP_KERNEL)?;
            for v in m.weights(&l) {
                w.push(v, GFP_KERNEL)?;
            }
            let mut b = KVec::with_capacity(l.outputs, GFP_KERNEL)?;
            for v in m.biases(&l) {
                b.push(v, GFP_KERNEL)?;
            }
            let mut y = KVec::from_elem(0i16, l.outputs, GFP_KERNEL)?;
            l.dense(Weights::Wide(&w), &b)
                .forward(&x, &mut y)
                .map_err(|_| EINVAL)?;
            x = y;
        }
        // The same input through the host's copy of this code gives these outputs:
        // `sample_output_source` in tools/pure/src/tests_model.rs, which the host test
        // `kunit_sample_blob_is_current` checks against `testdata/sample_output.rs`.
        assert_eq!(&x[..], &SAMPLE_OUTPUT[..]);
        assert_eq!(argmax(&x), Some(SAMPLE_ARGMAX));
        Ok(())
    }

    include!("testdata/sample_output.rs");
}

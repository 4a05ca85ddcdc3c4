// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `neural_network_cpulist`: cpulist formatting in the kernel build.

#[kernel::macros::kunit_tests(neural_network_cpulist)]
mod tests {
    use crate::pure::cpulist::CpuList;
    use kernel::prelude::*;
    use kernel::str::CString;

    fn render(ids: &[u32]) -> Result<CString> {
        CString::try_from_fmt(fmt!("{}", CpuList(|| ids.iter().copied())))
    }

    #[test]
    fn empty_set_is_empty() -> Result {
        assert_eq!(render(&[])?.to_bytes(), b"");
        Ok(())
    }

    #[test]
    fn singles_and_runs() -> Result {
        assert_eq!(render(&[0])?.to_bytes(), b"0");
        assert_eq!(render(&[0, 1, 2, 3])?.to_bytes(), b"0-3");
        assert_eq!(render(&[0, 1, 2, 3, 8, 10, 11])?.to_bytes(), b"0-3,8,10-11");
        assert_eq!(render(&[1, 3, 5])?.to_bytes(), b"1,3,5");
        Ok(())
    }

    #[test]
    fn top_of_range_does_not_overflow() -> Result {
        assert_eq!(
            render(&[u32::MAX - 1, u32::MAX])?.to_bytes(),
            b"4294967294-4294967295"
        );
        Ok(())
    }
}

// SPDX-License-Identifier: GPL-2.0

//! Id lists in the kernel's cpulist syntax (`0-3,8,10-11`), as sysfs prints them.
//!
//! Pure code: it needs only `core`, so `tools/pure` builds the same file and tests it on
//! the host as well as in KUnit.

use core::fmt;

/// Writes `ids`, which must come in strictly increasing order, as a cpulist.
///
/// Runs of consecutive ids become `first-last`; an empty set writes nothing, as
/// `/sys/devices/system/node/nodeN/cpulist` does for a node without CPUs.
pub fn write_cpulist<W, I>(out: &mut W, ids: I) -> fmt::Result
where
    W: fmt::Write + ?Sized,
    I: IntoIterator<Item = u32>,
{
    let mut run: Option<(u32, u32)> = None;
    let mut first = true;
    for id in ids {
        run = match run {
            Some((start, end)) if end.checked_add(1) == Some(id) => Some((start, id)),
            Some(done) => {
                write_run(out, done, &mut first)?;
                Some((id, id))
            }
            None => Some((id, id)),
        };
    }
    if let Some(done) = run {
        write_run(out, done, &mut first)?;
    }
    Ok(())
}

fn write_run<W: fmt::Write + ?Sized>(
    out: &mut W,
    (start, end): (u32, u32),
    first: &mut bool,
) -> fmt::Result {
    if !*first {
        out.write_char(',')?;
    }
    *first = false;
    if start == end {
        write!(out, "{start}")
    } else {
        write!(out, "{start}-{end}")
    }
}

/// Adapts an id iterator so that `{}` formats it as a cpulist.
pub struct CpuList<F>(pub F);

impl<F, I> fmt::Display for CpuList<F>
where
    F: Fn() -> I,
    I: IntoIterator<Item = u32>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_cpulist(f, (self.0)())
    }
}

// SPDX-License-Identifier: GPL-2.0

//! `nnctl map`'s charts: a stacked bar a network, a segment a node, in the terminal
//! (fixed width, Unicode blocks or ASCII) and as an SVG file (plotters, SVG backend only,
//! as tools/bench draws its chart).

use std::path::Path;

use crate::Result;

/// One bar: a label and its bytes on each node (in the order of the chart's nodes).
pub struct Bar {
    /// What the bar is (`network 0`).
    pub label: String,
    /// Bytes per node.
    pub bytes: Vec<u64>,
}

impl Bar {
    fn total(&self) -> u64 {
        self.bytes.iter().sum()
    }
}

/// The character of node `k` (by position among the chart's nodes).
fn glyph(k: usize, count: usize, ascii: bool) -> char {
    const BLOCKS: [char; 4] = ['█', '▓', '▒', '░'];
    const ASCII: [char; 4] = ['#', '=', '+', '-'];
    const MANY: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    if count <= 4 {
        if ascii {
            ASCII[k]
        } else {
            BLOCKS[k]
        }
    } else {
        char::from(MANY[k % MANY.len()])
    }
}

/// The bars, scaled so that the largest is `width` characters, each segment's end
/// rounded from the running sum (so the segments add up to the bar), the total after
/// it; then the legend.
pub fn terminal(bars: &[Bar], nodes: &[u32], width: usize, ascii: bool) -> String {
    let max = bars.iter().map(Bar::total).max().unwrap_or(0).max(1);
    let lw = bars
        .iter()
        .map(|b| b.label.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for b in bars {
        let mut line = format!("{:<lw$}  ", b.label);
        let (mut sum, mut drawn) = (0u64, 0usize);
        for (k, &v) in b.bytes.iter().enumerate() {
            sum += v;
            let end = ((u128::from(sum) * width as u128 + u128::from(max) / 2) / u128::from(max))
                as usize;
            // A node that holds anything shows, at least one character.
            let end = if v > 0 { end.max(drawn + 1) } else { end };
            line.extend(std::iter::repeat_n(
                glyph(k, nodes.len(), ascii),
                end.saturating_sub(drawn),
            ));
            drawn = drawn.max(end);
        }
        line.extend(std::iter::repeat_n(' ', (width + 2).saturating_sub(drawn)));
        line += &b.total().to_string();
        out += &line;
        out.push('\n');
    }
    let legend: Vec<String> = nodes
        .iter()
        .enumerate()
        .map(|(k, n)| format!("{} node {n}", glyph(k, nodes.len(), ascii)))
        .collect();
    out += &format!("{:<lw$}  {}\n", "", legend.join("  "));
    out
}

/// The same chart as an SVG file at `path`.
pub fn svg(path: &Path, bars: &[Bar], nodes: &[u32], title: &str) -> Result<()> {
    use plotters::coord::ranged1d::SegmentValue;
    use plotters::prelude::*;

    let draw = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let n = bars.len().max(1) as u32;
    let max = bars.iter().map(Bar::total).max().unwrap_or(0).max(1) as f64 * 1.05;
    let height = 140 + 36 * n;
    let root = SVGBackend::new(path, (900, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| draw(&e))?;
    let mut c = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..max, (0u32..n).into_segmented())
        .map_err(|e| draw(&e))?;
    let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
    c.configure_mesh()
        .disable_y_mesh()
        .x_desc("bytes")
        .y_labels(n as usize + 1)
        .x_label_formatter(&|x| format!("{x:.0}"))
        // The first bar on top: bar i in segment n - 1 - i.
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) if *i < n => labels
                .get((n - 1 - *i) as usize)
                .cloned()
                .unwrap_or_default(),
            _ => String::new(),
        })
        .draw()
        .map_err(|e| draw(&e))?;
    for (k, node) in nodes.iter().enumerate() {
        let colour = Palette99::pick(k).to_rgba();
        let rects: Vec<Rectangle<(f64, SegmentValue<u32>)>> = bars
            .iter()
            .enumerate()
            .filter(|(_, b)| b.bytes[k] > 0)
            .map(|(i, b)| {
                let x0 = b.bytes[..k].iter().sum::<u64>() as f64;
                let x1 = x0 + b.bytes[k] as f64;
                let i = n - 1 - i as u32;
                let mut r = Rectangle::new(
                    [
                        (x0, SegmentValue::Exact(i)),
                        (x1, SegmentValue::Exact(i + 1)),
                    ],
                    colour.filled(),
                );
                r.set_margin(6, 6, 0, 0);
                r
            })
            .collect();
        c.draw_series(rects)
            .map_err(|e| draw(&e))?
            .label(format!("node {node}"))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled()));
    }
    c.configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(|e| draw(&e))?;
    root.present().map_err(|e| draw(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_add_up_and_scale() {
        let bars = [
            Bar {
                label: "network 0".into(),
                bytes: vec![30, 10],
            },
            Bar {
                label: "network 12".into(),
                bytes: vec![0, 1],
            },
        ];
        let t = terminal(&bars, &[0, 1], 8, true);
        assert_eq!(
            t,
            "network 0   ######==  40\n\
             network 12  =         1\n\
             \x20           # node 0  = node 1\n"
        );
    }
}

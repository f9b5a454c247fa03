//! Bars drawn with Unicode blocks, for people who would rather look than read: the TTL
//! histogram and the expiry timeline of ttl-audit. Only on a terminal unless asked.

const EIGHTHS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The terminal's width, or 80.
pub fn terminal_width() -> usize {
    super::table::width().clamp(40, 400)
}

/// A horizontal bar of `value` out of `max`, at most `width` cells, to an eighth of a cell.
fn bar(value: u64, max: u64, width: usize) -> String {
    if max == 0 || value == 0 {
        return String::new();
    }
    let eighths = ((value as f64 / max as f64) * (width * 8) as f64)
        .round()
        .max(1.0) as usize;
    let mut s = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(EIGHTHS[eighths % 8 - 1]);
    }
    s
}

/// Labelled horizontal bars, one per row, fitted to `width`.
pub fn bar_rows(rows: &[(String, u64)], width: usize) -> String {
    let label_w = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    let count_w = rows
        .iter()
        .map(|(_, n)| n.to_string().len())
        .max()
        .unwrap_or(1);
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let room = width.saturating_sub(label_w + count_w + 4).max(10);
    let mut out = String::new();
    for (label, n) in rows {
        out.push_str(&format!(
            "{label:>label_w$} {n:>count_w$} {}\n",
            bar(*n, max, room)
        ));
    }
    out
}

/// A one-line column chart of `counts` squeezed into `width` columns (each column the sum of
/// its buckets), with `^` under columns holding a marked bucket.
pub fn timeline(counts: &[u64], marked: &[usize], width: usize) -> (String, String) {
    if counts.is_empty() {
        return (String::new(), String::new());
    }
    let cols = width.min(counts.len()).max(1);
    let per = counts.len().div_ceil(cols);
    let mut sums = Vec::with_capacity(cols);
    let mut marks = String::with_capacity(cols);
    for chunk_start in (0..counts.len()).step_by(per) {
        let end = (chunk_start + per).min(counts.len());
        sums.push(counts[chunk_start..end].iter().sum::<u64>());
        marks.push(if marked.iter().any(|m| (chunk_start..end).contains(m)) {
            '^'
        } else {
            ' '
        });
    }
    let max = sums.iter().copied().max().unwrap_or(0);
    let line: String = sums
        .iter()
        .map(|&v| {
            if v == 0 || max == 0 {
                ' '
            } else {
                let level = ((v as f64 / max as f64) * 7.0).round() as usize;
                LEVELS[level.min(7)]
            }
        })
        .collect();
    (line, marks.trim_end().to_string())
}

pub use cachectl::ttl::human_secs;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest() {
        assert_eq!(bar(8, 8, 2), "██");
        assert_eq!(bar(1, 16, 1), "▏");
        assert_eq!(bar(0, 8, 2), "");
    }

    #[test]
    fn timeline_squeezes_and_marks() {
        let (line, marks) = timeline(&[0, 1, 0, 8], &[3], 2);
        assert_eq!(line.chars().count(), 2);
        assert_eq!(marks, " ^");
    }
}

//! What every table cell shares: sizes, counts, thousands, alignment.

use comfy_table::CellAlignment;

use super::Renderer;

pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Columns from which the full inspect table fits.
pub const WIDE_TERMINAL: usize = 120;
pub const RULE_COLUMN_WIDTH: usize = 100;

/// `1 key`, `2 keys`.
pub fn keys(n: u64) -> String {
    format!("{n} {}", cachectl::guard::plural(n, "key", "keys"))
}

pub fn opt<T>(v: Option<T>, f: impl Fn(T) -> String) -> String {
    v.map(f).unwrap_or_else(|| "-".to_string())
}

/// `203275` as `203,275`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Renderer {
    /// A count in a table cell: with thousands separators for people, as the progress bars
    /// show counts; plain digits through a pipe, for awk.
    pub fn count(&self, n: u64) -> String {
        match self.boxes {
            true => thousands(n),
            false => n.to_string(),
        }
    }

    /// Number columns: right-aligned, and never wrapped on a narrow terminal (the text
    /// columns wrap instead; a number broken over two lines misreads).
    pub fn right_align(t: &mut comfy_table::Table, cols: std::ops::RangeInclusive<usize>) {
        for i in cols {
            if let Some(c) = t.column_mut(i) {
                c.set_cell_alignment(CellAlignment::Right);
                c.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(203_275), "203,275");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}

//! Tables for people: boxed on a terminal (cut to fit its width), plain aligned columns through a pipe.

use std::io;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

use super::Renderer;

/// The width tables fit: `$COLUMNS`, then the terminal's, 80 when neither says (or says 0).
pub fn width() -> usize {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<u16>().ok())
        .filter(|c| *c > 0);
    let terminal = || Table::new().width().filter(|w| *w > 0);
    usize::from(columns.or_else(terminal).unwrap_or(80))
}

fn header_width(headers: &[&str], i: usize) -> usize {
    headers.get(i).map_or(0, |h| h.chars().count())
}

/// How many characters each flexible column may show: what the others leave of `width`
/// (each column padded one space a side, one border between and around). The first flexible
/// column (a family's name) is given its whole width first, the others sharing what is left;
/// none below 6.
fn flex_budget(
    width: usize,
    headers: &[&str],
    rows: &[Vec<String>],
    flex: &[usize],
    wrap: &[usize],
) -> Vec<usize> {
    let column = |i: usize| {
        rows.iter()
            .filter_map(|r| r.get(i))
            .map(|c| visible_width(c))
            .max()
            .unwrap_or(0)
            .max(header_width(headers, i))
    };
    let fixed: usize = (0..headers.len())
        .filter(|i| !flex.contains(i))
        .map(|i| match wrap.contains(&i) {
            true => column(i).min(PROSE_WIDTH.max(header_width(headers, i))) + 2,
            false => column(i) + 2,
        })
        .sum();
    let borders = headers.len() + 1;
    let room = width.saturating_sub(fixed + borders + 2 * flex.len());
    let wanted: usize = flex.iter().map(|&i| column(i)).sum();
    if wanted <= room {
        return vec![usize::MAX; flex.len()];
    }
    let Some((&first, rest)) = flex.split_first() else {
        return Vec::new();
    };
    let first_gets = column(first)
        .min(room.saturating_sub(6 * rest.len()))
        .max(6);
    let left = room.saturating_sub(first_gets);
    let mut out = vec![first_gets];
    out.extend(rest.iter().map(|_| (left / rest.len().max(1)).max(6)));
    out
}

/// Whether the first flexible column (`flex[0]`) shows whole at `width`.
pub fn first_fits(width: usize, headers: &[&str], rows: &[Vec<String>], flex: &[usize]) -> bool {
    let budget = flex_budget(width, headers, rows, flex, &[]);
    let needed = flex.first().map_or(0, |&i| {
        rows.iter()
            .filter_map(|r| r.get(i))
            .map(|c| visible_width(c))
            .max()
            .unwrap_or(0)
    });
    budget.first().is_none_or(|&b| b >= needed)
}

const PROSE_WIDTH: usize = 16;

/// The columns `text` takes on screen: colour escapes (`ESC [ … m`) take none.
fn visible_width(text: &str) -> usize {
    let mut n = 0;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for e in chars.by_ref() {
                if e == 'm' {
                    break;
                }
            }
        } else {
            n += 1;
        }
    }
    n
}

/// `text` in at most `max` characters, cut in the middle with `…`.
fn cut_middle(text: &str, max: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= max || max < 2 {
        return text.to_string();
    }
    let head = (max - 1).div_ceil(2);
    let tail = max - 1 - head;
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    out
}

impl Renderer {
    pub fn table(&self, headers: &[&str]) -> Table {
        let mut t = Table::new();
        if !self.boxes {
            // kubectl's way through a pipe: no borders, no wrapping, one row a line.
            t.load_preset(comfy_table::presets::NOTHING)
                .set_content_arrangement(ContentArrangement::Disabled)
                .set_header(headers.to_vec());
            t.force_no_tty();
            return t;
        }
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(headers.to_vec());
        // $COLUMNS first, then the terminal; a terminal that says 0 columns (some ptys) is
        // taken as unknown, 80, rather than as one-character columns.
        t.set_width(width() as u16);
        if !self.stdout_tty {
            t.force_no_tty();
        }
        // No column narrower than its header: a name printed one letter a line reads as none.
        for (i, h) in headers.iter().enumerate() {
            if let Some(c) = t.column_mut(i) {
                // The boundary counts the cell's padding, one space each side.
                let w = h.chars().count() as u16 + 2;
                c.set_constraint(comfy_table::ColumnConstraint::LowerBoundary(
                    comfy_table::Width::Fixed(w),
                ));
            }
        }
        t
    }

    /// A boxed table whose text columns `flex` (keys, families, rules) are cut in the middle
    /// (`user_{n}_po…:page_{n}`, both ends readable) so each row fits the width on one line,
    /// rather than wrapped mid-word. The other columns keep their content whole. Through a
    /// pipe nothing is cut.
    pub fn fitted_table(&self, headers: &[&str], rows: Vec<Vec<String>>, flex: &[usize]) -> Table {
        self.fitted_table_wrapping(headers, rows, flex, &[])
    }

    /// As `fitted_table`, with prose columns `wrap` that wrap at words in up to
    /// `PROSE_WIDTH` characters instead of being cut.
    pub fn fitted_table_wrapping(
        &self,
        headers: &[&str],
        mut rows: Vec<Vec<String>>,
        flex: &[usize],
        wrap: &[usize],
    ) -> Table {
        if self.boxes && !flex.is_empty() {
            let budget = flex_budget(width(), headers, &rows, flex, wrap);
            for row in &mut rows {
                for (&i, &b) in flex.iter().zip(&budget) {
                    if let Some(cell) = row.get_mut(i) {
                        *cell = cut_middle(cell, b.max(header_width(headers, i)));
                    }
                }
            }
        }
        let mut t = self.table(headers);
        for row in rows {
            t.add_row(row);
        }
        if self.boxes {
            // Cut to fit, every column but the prose keeps its content's width; comfy-table's
            // even sharing would otherwise wrap the cut names again.
            for i in (0..headers.len()).filter(|i| !wrap.contains(i)) {
                if let Some(c) = t.column_mut(i) {
                    c.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
                }
            }
        }
        t
    }

    pub fn print_table(&self, t: &Table) -> io::Result<()> {
        self.print(&format!("{t}\n"))
    }
}

//! `watch`: each interval's churn per family.

use std::io;

use cachectl::ops::watch::Tick;

use super::{Renderer, Style};

impl Renderer {
    /// One interval of `watch`: the hit ratio, then the busiest families' rates per second.
    pub fn watch_tick(&self, t: &Tick, top: usize) -> io::Result<()> {
        let ratio = t
            .hit_ratio
            .map_or("-".to_string(), |r| format!("{:.1}%", r * 100.0));
        let secs = (t.interval_ms as f64 / 1000.0).max(0.001);
        self.print(&format!(
            "{}\n",
            self.paint(
                &format!(
                    "{}  hit ratio {ratio} ({} hits, {} misses)",
                    t.time, t.hits, t.misses
                ),
                Style::Dim
            )
        ))?;
        if !t.missed_on.is_empty() {
            self.print(&format!(
                "{}\n",
                self.paint(
                    &format!(
                        "the subscription to {} dropped and was opened again: events in between are not counted",
                        t.missed_on.join(", ")
                    ),
                    Style::Warn
                )
            ))?;
        }
        if t.families.is_empty() {
            return Ok(());
        }
        let rate = |n: u64| format!("{:.1}", n as f64 / secs);
        // Hashes losing fields to expiry (Redis 7.4+, Valkey 9): a column where there are any.
        let fields = t.families.iter().any(|f| f.hexpired > 0);
        let rows = t.families.iter().take(top).map(|f| {
            let mut row = vec![
                f.family.clone(),
                rate(f.set),
                rate(f.del),
                rate(f.expired),
                rate(f.evicted),
            ];
            if fields {
                row.push(rate(f.hexpired));
            }
            row
        });
        let mut head = vec!["family", "sets/s", "dels/s", "expired/s", "evicted/s"];
        if fields {
            head.push("hexpired/s");
        }
        let mut table = self.fitted_table(&head, rows.collect(), &[0]);
        Self::right_align(&mut table, 1..=head.len() - 1);
        self.print_table(&table)
    }
}

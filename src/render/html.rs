//! `--html FILE`: a report as one self-contained page that opens offline in any browser: inline
//! CSS, inline SVG drawn here (a treemap of memory, the TTL histogram, the expiry timeline), and
//! a few lines of inline script to sort the families table. Nothing is fetched. Every string
//! from the keyspace is escaped for HTML, control characters shown as escapes, so a key holding
//! markup is text.
//!
//! The charts are SVG written by hand rather than through a plotting crate: four simple shapes
//! (rectangles and text) cover them, and a crate would add a dependency tree for no more.

use std::fmt::Write;

use cachectl::ops::audit::AuditReport;
use cachectl::ops::inspect::{FamilyReport, InspectReport};
use cachectl::ttl::{human_ms, human_secs};

/// What the page says of itself: where the figures come from and how they were made.
pub struct PageMeta {
    pub target: String,
    /// The command line, URLs redacted.
    pub command: String,
    pub made_at: String,
}

/// Text from the keyspace or the command line, safe in HTML text and attribute values.
pub fn escape(s: &str) -> String {
    let shown = cachectl::keys::printable(s.as_bytes());
    let mut out = String::with_capacity(shown.len());
    for c in shown.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The command line as run, each URL with its password hidden.
pub fn command_line() -> String {
    redacted(std::env::args())
}

/// `args` with every URL's password hidden, however the flag was written: `-u URL`,
/// `--url=URL`, `-u=URL`, `-uURL`, `-vu URL`, and URLs with or without a scheme
/// (`app:secret@cache:6379`).
fn redacted(args: impl Iterator<Item = String>) -> String {
    let mut out = Vec::new();
    let mut url_next = false;
    for a in args {
        let shown = if url_next {
            cachectl::conn::redact_url(&a)
        } else {
            match url_flag_value(&a) {
                Some((flag, v)) if !v.is_empty() => {
                    format!("{flag}{}", cachectl::conn::redact_url(v))
                }
                _ => cachectl::conn::redact_url(&a),
            }
        };
        url_next = url_flag_value(&a).is_some_and(|(_, v)| v.is_empty());
        out.push(shown);
    }
    out.join(" ")
}

/// An argument that gives `-u`/`--url`: the flag as written, and the value glued to it
/// (empty when the value is the next argument). Short flags combine (`-vu`).
fn url_flag_value(arg: &str) -> Option<(&str, &str)> {
    if let Some(v) = arg.strip_prefix("--url") {
        return match v.strip_prefix('=') {
            Some(v) => Some((&arg[..6], v)),
            None if v.is_empty() => Some((arg, "")),
            None => None,
        };
    }
    let shorts = arg.strip_prefix('-').filter(|s| !s.starts_with('-'))?;
    let u = shorts.find('u')?;
    // Flags before `u` take no value (`-v`, `-q`), so `u` and what follows it is the URL.
    if !shorts[..u].chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let split = 1 + u + 1;
    let value = &arg[split..];
    Some((
        &arg[..split + usize::from(value.starts_with('='))],
        value.trim_start_matches('='),
    ))
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}\
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em}table{border-collapse:collapse;width:100%}\
th,td{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left}th{cursor:pointer;background:#f4f4f4}\
td.n{text-align:right;font-variant-numeric:tabular-nums}.meta{color:#555}code{background:#f4f4f4;padding:0 3px}\
.bad{color:#b00}svg text{font:11px sans-serif}details{margin:4px 0}";

/// Sort a table by a column on a click on its header (numbers by their `data-v`).
const SORT: &str = "document.querySelectorAll('table.sort th').forEach(function(th,i){th.onclick=function(){\
var t=th.closest('table'),b=t.tBodies[0],r=Array.from(b.rows),d=th.dataset.d=th.dataset.d==='1'?'-1':'1';\
r.sort(function(x,y){var a=x.cells[i],c=y.cells[i],p=parseFloat(a.dataset.v),q=parseFloat(c.dataset.v);\
return (isNaN(p)||isNaN(q)?a.textContent.localeCompare(c.textContent):p-q)*d;});r.forEach(function(e){b.appendChild(e);});};});";

fn page(title: &str, meta: &PageMeta, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\
         <title>{t}</title><style>{STYLE}</style></head><body>\
         <h1>{t}</h1><p class=\"meta\" id=\"made\">{target} · made {at} by <code>{cmd}</code></p>\
         {body}<script>{SORT}</script></body></html>\n",
        t = escape(title),
        target = escape(&meta.target),
        at = escape(&meta.made_at),
        cmd = escape(&meta.command),
    )
}

fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    match u {
        0 => format!("{n} B"),
        _ => format!("{v:.1} {}", UNITS[u]),
    }
}

fn opt_secs(v: Option<u64>) -> String {
    v.map_or("-".into(), human_secs)
}

/// A numeric cell: shown text, sorted by its value.
fn num(v: u64, shown: &str) -> String {
    format!("<td class=\"n\" data-v=\"{v}\">{}</td>", escape(shown))
}

/// The page of `inspect --pattern` (live or from dumps).
pub fn inspect(report: &InspectReport, meta: &PageMeta) -> String {
    let mut b = String::new();
    let t = &report.total;
    let _ = write!(
        b,
        "<p id=\"headline\"><b>{}</b> keys inspected of {} scanned, <b>{}</b> in all; \
         {} with a TTL, {} without{}</p>",
        t.keys,
        report.scanned,
        bytes(t.memory_bytes),
        t.with_ttl,
        t.without_ttl,
        if report.complete {
            ""
        } else {
            " · <span class=\"bad\">incomplete: the figures cover part of the keyspace</span>"
        }
    );
    b.push_str("<h2>Memory by family</h2>");
    b.push_str(&treemap(&report.families));
    b.push_str(
        "<h2>Families</h2><table class=\"sort\" id=\"families\"><thead><tr><th>family</th>\
         <th>keys</th><th>memory</th><th>TTL-less share</th><th>memory p50 / p99 / max</th>\
         <th>TTL min / median / max</th><th>biggest key</th></tr></thead><tbody>",
    );
    for f in &report.families {
        let share = (f.without_ttl * 1000).checked_div(f.keys).unwrap_or(0);
        let _ = write!(
            b,
            "<tr data-family=\"{fam}\"><td>{fam}</td>{}{}{}<td>{} / {} / {}</td><td>{} / {} / {}</td><td>{}</td></tr>",
            num(f.keys, &f.keys.to_string()),
            num(f.memory_bytes, &bytes(f.memory_bytes)),
            num(share, &format!("{:.1}%", share as f64 / 10.0)),
            f.memory_p50.map_or("-".into(), bytes),
            f.memory_p99.map_or("-".into(), bytes),
            f.memory_max.map_or("-".into(), bytes),
            opt_secs(f.ttl_min_s),
            opt_secs(f.ttl_median_s),
            opt_secs(f.ttl_max_s),
            escape(f.biggest_key.as_deref().unwrap_or("-")),
            fam = escape(&f.family),
        );
    }
    b.push_str("</tbody></table>");
    b.push_str(&fields_table(
        report
            .families
            .iter()
            .map(|f| (f.family.as_str(), f.fields.as_ref())),
    ));
    b.push_str("<h2>Example keys</h2>");
    for f in &report.families {
        let _ = write!(
            b,
            "<details><summary>{}</summary><ul>{}</ul></details>",
            escape(&f.family),
            f.examples
                .iter()
                .map(|k| format!("<li><code>{}</code></li>", escape(k)))
                .collect::<String>()
        );
    }
    page(&format!("cachectl inspect: {}", report.pattern), meta, &b)
}

/// The page of `ttl-audit` (live or from dumps).
pub fn audit(report: &AuditReport, meta: &PageMeta) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<p id=\"headline\"><b>{}</b> keys audited of {} scanned: {} with a TTL, \
         <b>{}</b> without; <b id=\"violations-count\">{}</b> policy violation{}{}</p>",
        report.audited,
        report.scanned,
        report.with_ttl,
        report.without_ttl,
        report.violations.len(),
        if report.violations.len() == 1 {
            ""
        } else {
            "s"
        },
        if report.complete {
            ""
        } else {
            " · <span class=\"bad\">incomplete: the figures cover part of the keyspace</span>"
        }
    );
    b.push_str("<h2>Expiry timeline</h2>");
    b.push_str(&timeline(report));
    b.push_str("<h2>TTL distribution</h2>");
    b.push_str(&bars(
        &report
            .ttl_histogram
            .iter()
            .map(|h| (human_secs(h.from_s), h.keys, false))
            .collect::<Vec<_>>(),
        "ttl-histogram",
        "TTL left (from each bucket's lower bound)",
        "keys",
    ));
    if let (Some(first), Some(last)) = (report.ttl_histogram.first(), report.ttl_histogram.last()) {
        let _ = write!(
            b,
            "<p class=\"meta\">keys by TTL left, from {} to {} (hover a bar for its bucket)</p>",
            human_secs(first.from_s),
            human_secs(last.from_s)
        );
    }
    b.push_str(
        "<h2>Families</h2><table class=\"sort\" id=\"families\"><thead><tr><th>family</th>\
         <th>rule</th><th>keys</th><th>without TTL</th><th>TTL-less share</th>\
         <th>TTL min / median / max</th><th>largest expiry cluster</th></tr></thead><tbody>",
    );
    for f in &report.families {
        let share = (f.without_ttl * 1000).checked_div(f.keys).unwrap_or(0);
        let cluster = f.busiest.as_ref().map_or(0, |c| c.keys);
        let _ = write!(
            b,
            "<tr data-family=\"{fam}\"><td>{fam}</td><td>{}</td>{}{}{}<td>{} / {} / {}</td>{}</tr>",
            escape(f.rule.as_deref().unwrap_or("-")),
            num(f.keys, &f.keys.to_string()),
            num(f.without_ttl, &f.without_ttl.to_string()),
            num(share, &format!("{:.1}%", share as f64 / 10.0)),
            opt_secs(f.ttl_min_s),
            opt_secs(f.ttl_median_s),
            opt_secs(f.ttl_max_s),
            num(cluster, &cluster.to_string()),
            fam = escape(&f.family),
        );
    }
    b.push_str("</tbody></table>");
    b.push_str(&fields_table(
        report
            .families
            .iter()
            .map(|f| (f.family.as_str(), f.fields.as_ref())),
    ));
    b.push_str("<h2>Policy violations</h2>");
    if report.violations.is_empty() {
        b.push_str("<p id=\"violations\">none</p>");
    } else {
        b.push_str(
            "<table id=\"violations\"><thead><tr><th>kind</th><th>rule</th><th>family</th>\
             <th>keys</th><th>detail</th><th>sample</th></tr></thead><tbody>",
        );
        for v in &report.violations {
            let kind = serde_json::to_value(v.kind)
                .ok()
                .and_then(|k| k.as_str().map(String::from))
                .unwrap_or_default();
            let _ = write!(
                b,
                "<tr><td class=\"bad\">{}</td><td>{}</td><td>{}</td>{}<td>{}</td><td>{}</td></tr>",
                escape(&kind),
                escape(&v.rule),
                escape(&v.family),
                num(v.keys, &v.keys.to_string()),
                escape(&v.detail),
                v.sample
                    .iter()
                    .take(3)
                    .map(|k| format!("<code>{}</code>", escape(k)))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        b.push_str("</tbody></table>");
    }
    page(&format!("cachectl ttl-audit: {}", report.pattern), meta, &b)
}

/// Hashes whose fields expire (Redis 7.4+, Valkey 9), a row per family that has them; nothing
/// where none has.
fn fields_table<'a>(
    rows: impl Iterator<Item = (&'a str, Option<&'a cachectl::ops::fields::FieldSummary>)>,
) -> String {
    let rows: Vec<_> = rows.filter_map(|(name, f)| Some((name, f?))).collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut b = String::from(
        "<h2>Hash fields that expire</h2><table class=\"sort\" id=\"fields\"><thead><tr>\
         <th>family</th><th>hashes with field TTLs</th><th>go with their last field</th>\
         <th>fields with TTL</th><th>fields without</th><th>field TTL min / median / max</th>\
         <th>most fields expiring in one window</th></tr></thead><tbody>",
    );
    for (name, f) in rows {
        let busiest = f.busiest.as_ref().map_or(0, |c| c.keys);
        let _ = write!(
            b,
            "<tr><td>{}</td>{}{}{}{}<td>{} / {} / {}</td>{}</tr>",
            escape(name),
            num(f.hashes, &f.hashes.to_string()),
            num(f.expire_with_fields, &f.expire_with_fields.to_string()),
            num(f.fields_with_ttl, &f.fields_with_ttl.to_string()),
            num(f.fields_without_ttl, &f.fields_without_ttl.to_string()),
            opt_secs(f.ttl_min_s),
            opt_secs(f.ttl_median_s),
            opt_secs(f.ttl_max_s),
            num(busiest, &busiest.to_string()),
        );
    }
    b.push_str("</tbody></table>");
    b
}

/// Memory by family as nested rectangles, each split along its longer side by weight.
fn treemap(families: &[FamilyReport]) -> String {
    const W: f64 = 960.0;
    const H: f64 = 360.0;
    let mut items: Vec<(&str, u64)> = families
        .iter()
        .filter(|f| f.memory_bytes > 0)
        .map(|f| (f.family.as_str(), f.memory_bytes))
        .collect();
    items.sort_by_key(|i| std::cmp::Reverse(i.1));
    let mut svg = format!(
        "<svg id=\"treemap\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\">"
    );
    fn split(
        items: &[(&str, u64)],
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        depth: usize,
        svg: &mut String,
    ) {
        match items {
            [] => {}
            [(name, mem)] => {
                let hue = (depth * 47 + name.len() * 13) % 360;
                let _ = write!(
                    svg,
                    "<g><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" \
                     fill=\"hsl({hue},55%,70%)\" stroke=\"#fff\"><title>{} · {}</title></rect>",
                    escape(name),
                    bytes(*mem)
                );
                if w > 60.0 && h > 16.0 {
                    let _ = write!(
                        svg,
                        "<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                        x + 4.0,
                        y + 13.0,
                        escape(name)
                    );
                }
                svg.push_str("</g>");
            }
            _ => {
                let total: u64 = items.iter().map(|i| i.1).sum();
                // The first part takes about half the weight.
                let mut acc = 0;
                let mut cut = 1;
                for (i, it) in items.iter().enumerate() {
                    acc += it.1;
                    if acc * 2 >= total {
                        cut = (i + 1).min(items.len() - 1).max(1);
                        break;
                    }
                }
                let first: u64 = items[..cut].iter().map(|i| i.1).sum();
                let f = first as f64 / total.max(1) as f64;
                if w >= h {
                    split(&items[..cut], x, y, w * f, h, depth + 1, svg);
                    split(
                        &items[cut..],
                        x + w * f,
                        y,
                        w * (1.0 - f),
                        h,
                        depth + 1,
                        svg,
                    );
                } else {
                    split(&items[..cut], x, y, w, h * f, depth + 1, svg);
                    split(
                        &items[cut..],
                        x,
                        y + h * f,
                        w,
                        h * (1.0 - f),
                        depth + 1,
                        svg,
                    );
                }
            }
        }
    }
    split(&items, 0.0, 0.0, W, H, 0, &mut svg);
    svg.push_str("</svg>");
    svg
}

/// A bar chart of (label, value, highlighted), with its axes: counts up the left (0, half,
/// the largest), a few of the bars' labels along the bottom, and each axis titled, so that the
/// page reads without hovering.
fn bars(data: &[(String, u64, bool)], id: &str, x_title: &str, y_title: &str) -> String {
    const H: f64 = 160.0;
    const LEFT: f64 = 64.0;
    const BOTTOM: f64 = 44.0;
    let n = data.len().max(1) as f64;
    let w = (900.0 / n).clamp(2.0, 40.0);
    let max = data.iter().map(|d| d.1).max().unwrap_or(0).max(1);
    let width = LEFT + w * n + 40.0;
    let mut svg = format!(
        "<svg id=\"{id}\" width=\"{width:.0}\" height=\"{}\" role=\"img\">",
        H + BOTTOM + 8.0
    );
    let top = 8.0;
    // The axes.
    let _ = write!(
        svg,
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{top}\" x2=\"{LEFT}\" y2=\"{y0}\" stroke=\"#444\"/>\
         <line class=\"axis\" x1=\"{LEFT}\" y1=\"{y0}\" x2=\"{x1:.0}\" y2=\"{y0}\" stroke=\"#444\"/>",
        y0 = top + H,
        x1 = LEFT + w * n,
    );
    for v in [0, max / 2, max] {
        let y = top + H - H * v as f64 / max as f64;
        let _ = write!(
            svg,
            "<text class=\"tick y\" x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"end\">{v}</text>\
             <line x1=\"{:.0}\" y1=\"{y:.1}\" x2=\"{LEFT}\" y2=\"{y:.1}\" stroke=\"#444\"/>",
            LEFT - 6.0,
            y + 4.0,
            LEFT - 3.0,
        );
    }
    let _ = write!(
        svg,
        "<text class=\"axis-title y\" transform=\"translate(12,{:.0}) rotate(-90)\" \
         text-anchor=\"middle\">{}</text>",
        top + H / 2.0,
        escape(y_title)
    );
    for (i, (label, v, hot)) in data.iter().enumerate() {
        let bh = H * (*v as f64) / max as f64;
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{}\" data-keys=\"{v}\"><title>{} · {v} keys</title></rect>",
            LEFT + i as f64 * w,
            top + H - bh,
            (w - 1.0).max(1.0),
            if *hot { "#c33" } else { "#58a" },
            escape(label)
        );
    }
    // Up to five of the bars' labels, first and last among them.
    let shown = data.len().min(5);
    for k in 0..shown {
        let i = match shown {
            1 => 0,
            _ => k * (data.len() - 1) / (shown - 1),
        };
        let x = LEFT + i as f64 * w + w / 2.0;
        let _ = write!(
            svg,
            "<line x1=\"{x:.1}\" y1=\"{y0}\" x2=\"{x:.1}\" y2=\"{y1}\" stroke=\"#444\"/>\
             <text class=\"tick x\" x=\"{x:.1}\" y=\"{ty}\" text-anchor=\"middle\">{}</text>",
            escape(&data[i].0),
            y0 = top + H,
            y1 = top + H + 4.0,
            ty = top + H + 16.0,
        );
    }
    let _ = write!(
        svg,
        "<text class=\"axis-title x\" x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"middle\">{}</text>",
        LEFT + w * n / 2.0,
        top + H + 36.0,
        escape(x_title)
    );
    svg.push_str("</svg>");
    svg
}

/// Keys expiring per bucket of the timeline, the buckets in an expiry cluster in red.
fn timeline(report: &AuditReport) -> String {
    let clusters: Vec<(u64, u64)> = report
        .violations
        .iter()
        .flat_map(|v| v.clusters.iter().map(|c| (c.from_ms, c.until_ms)))
        .chain(
            report
                .busiest
                .iter()
                .map(|c| (c.starts_ms, c.starts_ms + c.window_ms)),
        )
        .collect();
    let t = &report.timeline;
    let data: Vec<(String, u64, bool)> = t
        .counts
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let from = t.from_ms + i as u64 * t.bucket_ms;
            let until = from + t.bucket_ms;
            let hot = *n > 0 && clusters.iter().any(|(a, b)| from < *b && until > *a);
            (when(from, i as u64 * t.bucket_ms), *n, hot)
        })
        .collect();
    let busiest = match &report.busiest {
        Some(c) if c.keys > 0 => format!(
            "<p id=\"busiest\"><b>Busiest:</b> {} keys expire within {} from {} (in {}).</p>",
            c.keys,
            human_ms(c.window_ms),
            escape(&cachectl::clock::rfc3339_ms(c.starts_ms)),
            human_ms(c.starts_ms.saturating_sub(t.from_ms)),
        ),
        _ => String::new(),
    };
    format!(
        "{}<p class=\"meta\">keys expiring per {} over the next {} (UTC clock time, and how \
         soon); in red, the buckets of an expiry cluster (more keys expiring together than the \
         policy allows, or the busiest window)</p>{busiest}",
        bars(
            &data,
            "timeline",
            &format!("expires at (per {})", human_ms(t.bucket_ms)),
            "keys expiring"
        ),
        human_ms(t.bucket_ms),
        human_ms(t.bucket_ms.saturating_mul(t.counts.len() as u64))
    )
}

/// A moment on the timeline: its UTC clock time, and how soon it is.
fn when(at_ms: u64, after_ms: u64) -> String {
    let stamp = cachectl::clock::rfc3339_ms(at_ms);
    let clock = stamp.get(11..19).unwrap_or(&stamp);
    format!("{clock} (in {})", human_ms(after_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_glued_to_their_flag_are_hidden() {
        for args in [
            vec!["cachectl", "-uUSER:pw1@cache:6379", "inspect"],
            vec!["cachectl", "-u=:pw1@cache:6379", "inspect"],
            vec!["cachectl", "-vu", "app:pw1@cache", "inspect"],
            vec!["cachectl", "-u", "unix:///s.sock?pass=pw1", "inspect"],
            vec!["cachectl", "--url", "redis://x:pw1@h", "get", "k"],
        ] {
            let shown = redacted(args.iter().map(|s| s.to_string()));
            assert!(!shown.contains("pw1"), "{args:?} shown as {shown}");
        }
        let shown = redacted(
            ["cachectl", "-vu", "a:b@h", "-o", "json"]
                .iter()
                .map(|s| s.to_string()),
        );
        assert_eq!(shown, "cachectl -vu a:***@h -o json");
    }

    #[test]
    fn passwords_on_the_command_line_are_hidden() {
        let args = [
            "cachectl",
            "-u",
            "app:s3cret@cache:6379",
            "--url=u:pw@h:1",
            "inspect",
        ];
        let shown = redacted(args.iter().map(|s| s.to_string()));
        assert!(
            !shown.contains("s3cret") && !shown.contains("pw@"),
            "{shown}"
        );
        let shown = redacted(
            ["x", "redis://u:p/w@h:1", "user@x*"]
                .iter()
                .map(|s| s.to_string()),
        );
        assert!(
            !shown.contains("p/w") && shown.contains("user@x*"),
            "{shown}"
        );
    }

    #[test]
    fn markup_from_the_keyspace_is_inert() {
        assert_eq!(
            escape("<script>alert('x')</script>\"&"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;"
        );
        assert!(!escape("a\u{1b}[2Jb").contains('\u{1b}'));
    }
}

//! `--html FILE` (#22.2): the report as one self-contained page, rendered by a real browser
//! (headless Chromium): the DOM holds the JSON report's families and figures, keys with markup
//! stay text, and the page makes no network request (every request is sent to a proxy that
//! counts them, and it counts none).

use crate::support;

use std::net::TcpListener;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use support::{Redis, Run, cachectl, load};

/// Chromium's rendering of `page`, with every request sent to a proxy that counts them; `None`
/// without chromium, which CI (`CI=true`) must have.
fn render(page: &std::path::Path) -> Option<(String, usize)> {
    if Command::new("chromium").arg("--version").output().is_err() {
        support::skip_unless_ci("chromium is not installed");
        return None;
    }
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = proxy.local_addr().unwrap().port();
    let requests = Arc::new(AtomicUsize::new(0));
    let seen = requests.clone();
    std::thread::spawn(move || {
        for mut s in proxy.incoming().flatten() {
            let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(2)));
            let mut head = [0u8; 512];
            let n = std::io::Read::read(&mut s, &mut head).unwrap_or(0);
            let line = String::from_utf8_lossy(&head[..n]);
            // The browser's own services (clock, updates, accounts) are not the page's.
            let browser_service = [
                ".google.com",
                ".googleapis.com",
                ".gvt1.com",
                ".gstatic.com",
            ]
            .iter()
            .any(|h| line.lines().next().is_some_and(|l| l.contains(h)));
            if !browser_service {
                eprintln!(
                    "the page asked the network: {}",
                    line.lines().next().unwrap_or("")
                );
                seen.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    let profile = tempfile::TempDir::new().unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--proxy-server=127.0.0.1:{port}"))
        .arg("--proxy-bypass-list=<-loopback>")
        .args([
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,Translate",
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some((
        String::from_utf8_lossy(&out.stdout).into_owned(),
        requests.load(Ordering::SeqCst),
    ))
}

/// The escaped form a family name or key takes in the page.
fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[test]
fn the_page_shows_the_reports_figures_and_nothing_runs_or_loads() {
    let r = Redis::start();
    let mut c = r.conn();
    load(
        &mut c,
        (0..40).map(|i| format!("user_{i}_posts:page_1")),
        600,
    );
    load(&mut c, (0..8).map(|i| format!("country:{i}")), 86_400);
    for k in [
        "<img src=x onerror=\"document.title='pwned'\">",
        "<script>document.title='pwned'</script>",
        "quote\"and'apos",
    ] {
        redis::cmd("SET").arg(k).arg("v").exec(&mut c).unwrap();
    }
    let policy = r.dir().join("p.yaml");
    std::fs::write(
        &policy,
        "rules:\n  - match: \"user_*\"\n    max_cluster: 5\n  - match: \"*\"\n",
    )
    .unwrap();
    let page = r.dir().join("inspect.html");
    let doc = cachectl(&r.url())
        .args(["inspect", "--pattern", "*", "-o", "json", "--html"])
        .arg(&page)
        .json();
    let Some((dom, requests)) = render(&page) else {
        return;
    };
    assert_eq!(requests, 0, "the page made network requests");
    assert!(
        dom.contains("<title>cachectl inspect"),
        "a key's markup ran: {dom}"
    );
    assert!(!dom.contains("pwned</title>"));
    for f in doc["families"].as_array().unwrap() {
        let name = html(f["family"].as_str().unwrap());
        let row = dom
            .split("<tr ")
            .find(|r| r.contains(&format!("data-family=\"{name}\"")))
            .unwrap_or_else(|| panic!("no row for {name}"));
        assert!(
            row.contains(&format!("data-v=\"{}\"", f["keys"])),
            "{name}: keys {} not in {row}",
            f["keys"]
        );
        assert!(
            row.contains(&format!("data-v=\"{}\"", f["memory_bytes"])),
            "{row}"
        );
    }
    assert!(dom.contains("<svg id=\"treemap\""));
    // And nothing in it could ask: no address to fetch, and a policy that forbids fetching.
    let text = std::fs::read_to_string(&page).unwrap();
    for word in ["src=\"http", "href=\"http", "url(", "@import", "src=\"//"] {
        assert!(
            !text.contains(word),
            "the page refers to the network: {word}"
        );
    }
    assert!(text.contains("default-src 'none'"));

    let page = r.dir().join("audit.html");
    let doc = cachectl(&r.url())
        .args(["ttl-audit", "--policy"])
        .arg(&policy)
        .args(["-o", "json", "--html"])
        .arg(&page)
        // The policy's violations: exit 4.
        .json_exiting(4);
    let (dom, requests) = render(&page).expect("chromium was there a moment ago");
    assert_eq!(requests, 0);
    assert!(dom.contains(&format!(
        "<b id=\"violations-count\">{}</b>",
        doc["violations"].as_array().unwrap().len()
    )));
    assert!(dom.contains("expiry_cluster"), "the violation is listed");
    // The timeline marks the cluster's buckets.
    assert!(dom.contains("fill=\"#c33\""), "no cluster highlighted");
    for f in doc["families"].as_array().unwrap() {
        let name = html(f["family"].as_str().unwrap());
        assert!(dom.contains(&format!("data-family=\"{name}\"")), "{name}");
    }
}

/// Chromium's screenshot of `page` at `path` (PNG), 1200 px wide.
fn screenshot(page: &std::path::Path, path: &std::path::Path) {
    let profile = tempfile::TempDir::new().unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--window-size=1200,1100",
            "--disable-background-networking",
            "--disable-component-update",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", path.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// #31.6: the charts have axes (counts up the side, labels along the bottom, each titled), the
/// timeline says when in clock time, the busiest window is said in words with its time, and
/// an expiry-cluster violation names its time and a few of its keys. The rendered page is also
/// kept as a screenshot (`CACHECTL_KEEP_SCREENSHOT=path`) to be looked at.
#[test]
fn the_charts_have_axes_and_the_cluster_says_when_and_which_keys() {
    let r = Redis::start();
    let mut c = r.conn();
    // 300 keys expiring in the same second 10 minutes ahead, and 200 spread over an hour.
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
        + 600_000;
    let mut pipe = redis::pipe();
    for i in 0..300 {
        pipe.cmd("SET")
            .arg(format!("sess:{i}"))
            .arg("v")
            .arg("PXAT")
            .arg(at + i % 7)
            .ignore();
    }
    for i in 0..200 {
        pipe.cmd("SET")
            .arg(format!("post:{i}"))
            .arg("v")
            .arg("EX")
            .arg(60 + i * 18)
            .ignore();
    }
    pipe.exec(&mut c).unwrap();
    let policy = r.dir().join("p.yaml");
    std::fs::write(
        &policy,
        "rules:\n  - match: \"sess:*\"\n    max_cluster: 100\n  - match: \"*\"\n",
    )
    .unwrap();
    let page = r.dir().join("audit.html");
    let doc = cachectl(&r.url())
        .args(["ttl-audit", "--policy"])
        .arg(&policy)
        .args(["-o", "json", "--html"])
        .arg(&page)
        .json_exiting(4);
    let v = doc["violations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["kind"] == "expiry_cluster")
        .expect("the cluster is a violation")
        .clone();
    let detail = v["detail"].as_str().unwrap();
    assert!(
        detail.contains(" from 20") && detail.contains(", at 20"),
        "{detail}"
    );
    let sample = v["sample"].as_array().unwrap();
    assert!(!sample.is_empty() && sample.len() <= 5, "{v}");
    assert!(
        sample
            .iter()
            .all(|k| k.as_str().unwrap().starts_with("sess:")),
        "{v}"
    );

    let Some((dom, _)) = render(&page) else {
        return;
    };
    for axis in [
        "keys expiring</text>",
        "expires at (per ",
        "TTL left (from each bucket's lower bound)</text>",
    ] {
        assert!(dom.contains(axis), "no axis title {axis:?}");
    }
    assert!(
        dom.contains("class=\"tick x\""),
        "no labels along the bottom"
    );
    assert!(dom.contains("class=\"tick y\""), "no counts up the side");
    assert!(
        dom.contains("Z (in "),
        "the busiest window's time is not said"
    );
    assert!(dom.contains("id=\"busiest\""));
    assert!(dom.contains("<code>sess:"), "the violation shows no keys");
    let shot = match std::env::var("CACHECTL_KEEP_SCREENSHOT") {
        Ok(p) if !p.is_empty() => std::path::PathBuf::from(p),
        _ => r.dir().join("audit.png"),
    };
    screenshot(&page, &shot);
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
}

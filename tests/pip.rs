//! `pip install cachectl` (#22.1): the wheel maturin builds from pyproject.toml, installed into
//! a fresh virtualenv, puts a `cachectl` that works on the venv's PATH.

// Its own test binary, the one exception to tests/suite: maturin relinks target/debug/cachectl,
// which the suite's tests run in parallel; cargo runs test binaries one after another.
#[path = "suite/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{Redis, dbsize, load};

/// A fresh virtualenv in `dir`, or `None` (skipped) where Python has no venv module; CI must
/// have one.
fn venv(dir: &Path) -> Option<PathBuf> {
    let ok = Command::new("python3")
        .args(["-m", "venv"])
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        support::skip_unless_ci("python3 -m venv failed");
        return None;
    }
    Some(dir.join("bin"))
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_wheel_puts_a_working_cachectl_on_the_venvs_path() {
    let tmp = tempfile::TempDir::new().unwrap();
    let Some(build) = venv(&tmp.path().join("build")) else {
        return;
    };
    // maturin from $CACHECTL_TEST_MATURIN (.ci/run keeps one), else from PyPI.
    let maturin = match std::env::var("CACHECTL_TEST_MATURIN") {
        Ok(m) if !m.is_empty() => PathBuf::from(m),
        _ => {
            run(Command::new(build.join("pip")).args(["install", "-q", "maturin>=1.5,<2"]));
            build.join("maturin")
        }
    };
    let wheels = tmp.path().join("wheels");
    // A dev-profile wheel: the test build's own artefacts, so it takes seconds.
    run(Command::new(&maturin)
        .args(["build", "--profile", "dev", "-o"])
        .arg(&wheels)
        .current_dir(env!("CARGO_MANIFEST_DIR")));
    let wheel = std::fs::read_dir(&wheels)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .expect("a wheel");
    let app = venv(&tmp.path().join("app")).expect("venv");
    run(Command::new(app.join("pip"))
        .args(["install", "-q", "--no-index"])
        .arg(&wheel));
    let cachectl = app.join("cachectl");
    let version = run(Command::new(&cachectl).arg("--version"));
    assert!(version.starts_with("cachectl "), "{version}");
    // And it does its job: a sweep from the venv's binary.
    let r = Redis::start();
    let mut c = r.conn();
    load(&mut c, (0..50).map(|i| format!("post_cache:{i}")), 600);
    load(&mut c, (0..5).map(|i| format!("keep:{i}")), 600);
    run(Command::new(&cachectl)
        .args([
            "--url",
            &r.url(),
            "invalidate-pattern",
            "post_cache:*",
            "--yes",
        ])
        .env_remove("CACHECTL_URL"));
    assert_eq!(dbsize(&mut c), 5);
}

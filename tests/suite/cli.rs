//! Command-line conventions: global flags anywhere, one JSON document, usage errors, a closed
//! stdout, and completions that match the flags.

use crate::support;

use predicates::prelude::*;
use support::{Redis, Run, cachectl, json_of};

#[test]
fn global_flags_before_or_after_the_subcommand() {
    let r = Redis::start();
    cachectl("redis://127.0.0.1:1")
        .args([
            "--url",
            &r.url(),
            "--output",
            "json",
            "set",
            "g",
            "v",
            "--ttl",
            "60",
        ])
        .assert()
        .success();
    let out = cachectl("redis://127.0.0.1:1")
        .args([
            "get",
            "g",
            "--url",
            &r.url(),
            "-o",
            "json",
            "--timeout",
            "2s",
            "--no-color",
        ])
        .output()
        .unwrap();
    assert_eq!(json_of(&out)["keys"][0]["value"], "v");
}

#[test]
fn usage_errors_exit_2() {
    cachectl("redis://127.0.0.1:1")
        .args(["frobnicate"])
        .assert()
        .code(2);
    cachectl("redis://127.0.0.1:1")
        .args(["get"])
        .assert()
        .code(2);
    cachectl("redis://127.0.0.1:1")
        .args(["invalidate-pattern", "x", "--show", "lots"])
        .assert()
        .code(2);
}

#[test]
fn help_documents_exit_codes() {
    cachectl("redis://127.0.0.1:1")
        .arg("--help")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("3    refused by a safety guard")
                .and(predicate::str::contains("130  interrupted")),
        );
}

/// #31.8: a command's help is its own flags and examples; the connection and output flags
/// every command takes are listed once, in `cachectl --help`, and named in one line.
#[test]
fn a_commands_help_lists_its_own_flags_and_names_the_shared_ones() {
    let out = cachectl("redis://127.0.0.1:1")
        .args(["ttl-audit", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(help.contains("--fix-missing-ttl <DURATION>"), "{help}");
    assert!(!help.contains("--password-env <VAR>"), "{help}");
    assert!(help.contains("Connection: -u/--url"), "{help}");
    assert!(help.lines().count() < 180, "{} lines", help.lines().count());
    let top = cachectl("redis://127.0.0.1:1")
        .arg("--help")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&top.stdout).contains("--password-env <VAR>"));
}

/// The checked-in completion scripts must match what the binary prints. Set
/// CACHECTL_UPDATE_COMPLETIONS=1 to rewrite them after changing flags.
#[test]
fn completions_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for (shell, file) in [
        ("bash", "cachectl.bash"),
        ("zsh", "_cachectl"),
        ("fish", "cachectl.fish"),
        ("powershell", "_cachectl.ps1"),
        ("elvish", "cachectl.elv"),
    ] {
        let out = cachectl("redis://127.0.0.1:1")
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success());
        let path = dir.join(file);
        if std::env::var_os("CACHECTL_UPDATE_COMPLETIONS").is_some() {
            std::fs::write(&path, &out.stdout).unwrap();
            continue;
        }
        let checked_in = std::fs::read(&path).unwrap_or_default();
        assert!(
            checked_in == out.stdout,
            "completions/{file} is stale: run CACHECTL_UPDATE_COMPLETIONS=1 cargo test --test suite -- cli::completions"
        );
    }
}

/// `-o json` always prints one document, also when the run fails before it has a report.
#[test]
fn json_output_is_never_empty() {
    let port = support::free_port();
    for args in [
        vec!["get", "k", "-o", "json"],
        vec!["invalidate-pattern", "x*", "--yes", "-o", "json"],
        vec!["ttl-audit", "-o", "json"],
    ] {
        let doc = cachectl(&format!("redis://127.0.0.1:{port}"))
            .args(&args)
            .args(["--timeout", "1s"])
            .json_exiting(1);
        assert_eq!(doc["complete"], false, "{args:?}: {doc}");
        assert!(
            doc["error"]["message"]
                .as_str()
                .unwrap()
                .contains("cannot connect")
        );
        assert_eq!(doc["error"]["exit_code"], 1);
    }
}

/// What bash offers at TAB after `words`, through the registration script that `cachectl
/// completions bash` prints (the shell calls the binary back for candidates).
fn bash_offers(words: &[&str], config: &std::path::Path) -> Vec<String> {
    let bin = assert_cmd::cargo::cargo_bin("cachectl");
    let dir = bin.parent().unwrap().to_str().unwrap().to_string();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let script = format!(
        "source <(cachectl completions bash)\n\
         COMP_WORDS=({words})\n\
         COMP_CWORD={cword}\n\
         COMP_TYPE=9\n\
         _clap_complete_cachectl cachectl '{current}' '{previous}'\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        words = quoted.join(" "),
        cword = words.len() - 1,
        current = words[words.len() - 1],
        previous = words[words.len().saturating_sub(2)],
    );
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(script)
        .env("PATH", format!("{dir}:{}", std::env::var("PATH").unwrap()))
        .env("CACHECTL_CONFIG", config)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// `--target <TAB>` and `targets use <TAB>` offer the config file's target names, not file
/// names; commands and flags still complete.
#[test]
fn target_names_complete_from_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        "targets:\n  prod: { url: \"redis://127.0.0.1:1\" }\n  staging: { url: \"redis://127.0.0.1:2\" }\n",
    )
    .unwrap();
    let names = vec!["prod".to_string(), "staging".to_string()];
    assert_eq!(bash_offers(&["cachectl", "--target", ""], &config), names);
    assert_eq!(
        bash_offers(&["cachectl", "get", "k", "--target", "st"], &config),
        vec!["staging".to_string()]
    );
    // A positional's empty word also offers the flags (clap's way), after the names.
    let using = bash_offers(&["cachectl", "targets", "use", ""], &config);
    assert_eq!(using[..2], names[..], "{using:?}");
    assert!(!using.iter().any(|c| c.ends_with(".yaml")), "{using:?}");
    let commands = bash_offers(&["cachectl", "invalidate"], &config);
    assert!(
        commands.contains(&"invalidate-pattern".to_string()),
        "{commands:?}"
    );
    let flags = bash_offers(&["cachectl", "set", "k", "v", "--tt"], &config);
    assert_eq!(flags, vec!["--ttl".to_string()]);
    // A `COMPLETE` set for some other tool is not a completion request: the command runs.
    for value in ["bash", "1"] {
        let out = cachectl("redis://127.0.0.1:1")
            .arg("--version")
            .env("COMPLETE", value)
            .output()
            .unwrap();
        assert!(out.status.success(), "COMPLETE={value}: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).starts_with("cachectl "),
            "COMPLETE={value}: {out:?}"
        );
    }
}

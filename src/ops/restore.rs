//! Put a backup's keys back: `RESTORE … ABSTTL`, so each key expires when it would have.
//! Keys whose expiry has passed are skipped; keys that exist again are left alone unless
//! `replace`. Batches are restored as the file holds them, routed by slot in a cluster, so a
//! backup of a standalone server restores into a cluster and the other way round.

use serde::Serialize;

use crate::backup::{Header, Reader, Record};
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::guard::{Action, Confirm, Guards, Permit, Proposal, Selection};
use crate::keys::{self, glob::Glob};
use crate::log::{Entry, Log};
use crate::progress::{ProgressSink, ProgressUpdate};
use crate::stop::Stop;
use crate::store::Store;
use std::sync::Arc;

#[derive(Clone, Debug, Default)]
pub struct RestoreOptions {
    /// Overwrite keys that exist again (default: skip and count them).
    pub replace: bool,
    /// Say what would happen, write nothing.
    pub dry_run: bool,
    /// Restore only the keys matching this.
    pub pattern: Option<Glob>,
    /// Keep each key's outcome in the report.
    pub per_key: bool,
    /// Record every key restored (`--log`).
    pub log: Option<Arc<Log>>,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Restored,
    /// The key exists again: left alone (without `replace`).
    Exists,
    /// Its expiry passed since the backup.
    Expired,
    Failed,
    /// Sent, and its answer never came (the server stalled past a stop), or found there when
    /// its batch was sent again after a lost reply (restored by the lost request, or written
    /// by someone else meanwhile): only the server knows.
    Unconfirmed,
}

#[derive(Clone, Debug, Serialize)]
pub struct KeyOutcome {
    /// The key, quoted and escaped when it is not plain text.
    pub key: String,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RestoreReport {
    pub file: String,
    pub header: Header,
    /// Keys read from the file and dealt with (before `pattern`): those of a batch a stop
    /// left before it began are not counted.
    pub read: u64,
    /// Left out by `pattern`.
    pub filtered: u64,
    /// Restored (with `dry_run`: would be).
    pub restored: u64,
    /// Of those, keys that existed and were (would be) replaced, with `replace`.
    #[serde(skip_serializing_if = "crate::is_zero")]
    pub overwrites: u64,
    pub exists: u64,
    pub expired: u64,
    pub failed: u64,
    /// Keys sent whose answer never came, or, of a batch sent again after its reply was lost,
    /// that were there the second time (`Outcome::Unconfirmed`): `restored` never claims them,
    /// `restored + unconfirmed` never misses one.
    #[serde(skip_serializing_if = "crate::is_zero")]
    pub unconfirmed: u64,
    pub replace: bool,
    pub dry_run: bool,
    pub interrupted: bool,
    /// Why the backup itself holds less than its job set out to (a `backup` that was stopped
    /// or failed part-way, as its end marker says); the report is then not complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_incomplete: Option<String>,
    /// The whole file was read, it holds all its job meant it to, and every key was restored,
    /// skipped or expired as it should be.
    pub complete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<KeyOutcome>,
}

/// The server answers this to a DUMP payload it cannot read.
const UNREADABLE: &str = "DUMP payload version or checksum are wrong";

/// Keys sent one at a time, at most, before the first is restored.
const MAX_PROBES: usize = 64;

/// Restore `reader`'s keys into `store`. Unless a dry run, what would be written (and, with
/// `replace`, overwritten) is counted first by a dry pass over the file, and
/// `guard::authorise` decides with the cap and the target's rules. A payload the server
/// cannot read (a newer RDB version) is found on the first key sent, alone, so nothing is
/// written then.
#[allow(clippy::too_many_arguments)]
pub async fn restore(
    store: &Store,
    path: &std::path::Path,
    options: &RestoreOptions,
    guards: &Guards,
    confirm: &dyn Confirm,
    stop: &Stop,
    progress: &dyn ProgressSink,
) -> Result<RestoreReport> {
    if options.dry_run {
        return run(
            store,
            Reader::open(path)?.keys_only(),
            path,
            options,
            None,
            stop,
            progress,
        )
        .await;
    }
    // Refused at once on a read-only target, before the file is walked.
    crate::guard::writable(store.policy(), &format!("restoring {}", path.display()))?;
    let dry = RestoreOptions {
        dry_run: true,
        per_key: false,
        log: None,
        ..options.clone()
    };
    // The count needs keys and expiries only: no value is held for it.
    let reader = Reader::open(path)?.keys_only();
    let count = run(store, reader, path, &dry, None, stop, progress).await?;
    if count.interrupted {
        return Err(Error::Interrupted);
    }
    let fresh = count.restored - count.overwrites;
    // Every record is sent; one whose key exists is refused by the server (BUSYKEY) unless
    // --replace, so the budget covers those too.
    let mut selections = vec![Selection {
        sends: fresh + count.exists,
        ..Selection::of(
            format!("keys {} would restore", path.display()),
            fresh,
            0,
            false,
        )
    }];
    if count.overwrites > 0 {
        selections.push(Selection::of(
            format!("existing keys {} would overwrite", path.display()),
            count.overwrites,
            0,
            false,
        ));
    }
    let action = match count.overwrites {
        0 => Action::Write,
        _ => Action::Overwrite,
    };
    let permit = store
        .authorise(Proposal::new(action, selections), guards, confirm, stop)
        .await?;
    let reader = Reader::open(path)?;
    run(store, reader, path, options, Some(&permit), stop, progress).await
}

/// Keys whose expiry is this close (by the server's clock) are taken as expired: a RESTORE
/// whose ABSTTL passes on the way would replace a live key with nothing.
const EXPIRY_MARGIN_MS: i64 = 1_000;

/// The server's clock (TIME), in ms; the client's when the server will not say.
async fn server_now_ms(store: &Store) -> i64 {
    match store.query::<(u64, u64)>(&redis::cmd("TIME")).await {
        Ok((secs, micros)) => (secs.saturating_mul(1000) + micros / 1000) as i64,
        Err(_) => now_ms() as i64,
    }
}

async fn run(
    store: &Store,
    mut reader: Reader,
    path: &std::path::Path,
    options: &RestoreOptions,
    permit: Option<&Permit>,
    stop: &Stop,
    progress: &dyn ProgressSink,
) -> Result<RestoreReport> {
    let mut report = RestoreReport {
        file: path.display().to_string(),
        header: reader.header().clone(),
        read: 0,
        filtered: 0,
        restored: 0,
        overwrites: 0,
        exists: 0,
        expired: 0,
        failed: 0,
        unconfirmed: 0,
        replace: options.replace,
        dry_run: options.dry_run,
        interrupted: false,
        backup_incomplete: None,
        complete: false,
        error: None,
        keys: Vec::new(),
    };
    progress.begin(
        if options.dry_run {
            "checking"
        } else {
            "restoring"
        },
        None,
    );
    let mut probes = 0;
    let result = async {
        loop {
            if stop.is_set() {
                report.interrupted = true;
                return Ok(());
            }
            let Some(batch) = reader.next_batch()? else {
                return Ok(());
            };
            // A batch read but not yet begun when a stop comes is left, and not counted.
            let now = stop
                .within_grace(async { Ok::<_, Error>(server_now_ms(store).await) })
                .await;
            let Some(now) = now.ok().filter(|_| !stop.is_set()) else {
                report.interrupted = true;
                return Ok(());
            };
            let now = now.saturating_add(EXPIRY_MARGIN_MS);
            report.read += batch.len() as u64;
            let mut todo: Vec<Record> = Vec::with_capacity(batch.len());
            for r in batch {
                if options
                    .pattern
                    .as_ref()
                    .is_some_and(|p| !p.is_match(&r.key))
                {
                    report.filtered += 1;
                } else if r.expires_at_ms.is_some_and(|at| at <= now) || all_fields_gone(&r, now) {
                    note(&mut report, options, &r.key, Outcome::Expired, None);
                } else {
                    todo.push(r);
                }
            }
            // Keys one at a time until one is restored: a payload this server cannot read
            // fails on that first one, before anything is written. (A key that exists is
            // refused before its payload is read, so it proves nothing.)
            while probes < MAX_PROBES
                && report.restored == 0
                && !options.dry_run
                && !todo.is_empty()
                && !report.interrupted
            {
                probes += 1;
                let first = todo.remove(0);
                apply(store, vec![first], options, permit, &mut report, stop).await?;
            }
            if report.interrupted || stop.is_set() {
                report.read -= todo.len() as u64;
                report.interrupted = true;
                return Ok(());
            }
            apply(store, todo, options, permit, &mut report, stop).await?;
            if report.interrupted {
                return Ok(());
            }
            progress.update(&ProgressUpdate {
                scanned: report.read,
                matched: report.read - report.filtered,
                done: report.restored,
            });
        }
    }
    .await;
    progress.end();
    match result {
        Ok(()) => {
            report.backup_incomplete = reader.incomplete().map(String::from);
            report.complete =
                !report.interrupted && report.failed == 0 && report.backup_incomplete.is_none();
        }
        // A server that cannot read the payloads: nothing was written, and that is the answer.
        Err(e @ Error::Backup { .. }) if report.restored == 0 => return Err(e),
        Err(Error::Interrupted) => report.interrupted = true,
        Err(e) => report.error = Some(e.to_string()),
    }
    Ok(report)
}

fn backup_rdb(version: Option<u16>) -> String {
    match version {
        Some(v) => format!("RDB version {v}"),
        None => "an unknown RDB version".into(),
    }
}

fn restore_cmd(r: &Record, replace: bool) -> redis::Cmd {
    let mut c = redis::cmd("RESTORE");
    c.arg(&r.key)
        .arg(r.expires_at_ms.unwrap_or(0))
        .arg(&r.payload)
        .arg("ABSTTL");
    if replace {
        c.arg("REPLACE");
    }
    c
}

/// Restore (or with `dry_run`, look up) one batch's keys.
async fn apply(
    store: &Store,
    mut todo: Vec<Record>,
    options: &RestoreOptions,
    permit: Option<&Permit>,
    report: &mut RestoreReport,
    stop: &Stop,
) -> Result<()> {
    if todo.is_empty() {
        return Ok(());
    }
    let permit = match (options.dry_run, permit) {
        (_, Some(p)) => Some(p),
        (true, None) => None,
        (false, None) => return Err(Error::Unpermitted("RESTORE".into())),
    };
    // The file was counted before it was approved; whatever it holds beyond that now (it
    // changed in between) is not written.
    if let Some(p) = permit.filter(|_| !options.dry_run) {
        let granted = p.spend(todo.len() as u64) as usize;
        for r in todo.split_off(granted.min(todo.len())) {
            let why = "past the approved budget: the file holds more than was counted";
            note(report, options, &r.key, Outcome::Failed, Some(why.into()));
        }
    }
    let sent: Vec<(Option<u16>, Vec<u8>)> = (todo.iter())
        .map(|r| (r.rdb_version(), r.key.clone()))
        .collect();
    // A reply per record, as it comes: one sent over a raw connection has it here.
    let mut direct: Vec<Option<redis::Value>> = vec![None; todo.len()];
    let mut resent = false;
    let sending = async {
        // Each record gives way to its command as it is built; a large value goes over a raw
        // connection straight from the record (the client would copy it into its command,
        // and that into its write buffer), so a 100 MB value is held once.
        let mut cmds = Vec::with_capacity(todo.len());
        for (i, r) in todo.into_iter().enumerate() {
            if let Some(permit) = permit.filter(|_| r.payload.len() > crate::backup::STREAM_OVER) {
                direct[i] = restore_raw(store, permit, &r, options.replace).await?;
                if direct[i].is_none() {
                    cmds.push((r.key.clone(), restore_cmd(&r, options.replace)));
                }
                continue;
            }
            let cmd = if options.dry_run {
                redis::cmd("EXISTS").arg(&r.key).clone()
            } else {
                restore_cmd(&r, options.replace)
            };
            cmds.push((r.key, cmd));
        }
        // A batch whose replies were lost (a timeout, a dropped connection, a moment of
        // LOADING) is sent again; its keys found there the second time are unconfirmed.
        let mut backoff = crate::retry::Backoff::redis(RESEND_RETRIES);
        loop {
            match (cmds.is_empty(), permit) {
                (true, _) => return Ok(Vec::new()),
                (false, Some(p)) if !options.dry_run => {
                    match store.write_per_key(p, cmds.clone()).await {
                        Err(e) if e.is_transient() && backoff.wait(stop).await => resent = true,
                        other => return other,
                    }
                }
                (false, _) => return store.per_key(cmds).await,
            }
        }
    };
    // A stop waits for the batch's answer, but not for a server that has stalled; nor does a
    // failure lose what the batch did. Either way a key without its answer is unconfirmed.
    let (mut through_client, fault) = match stop.within_grace(sending).await {
        Ok(replies) => (replies.into_iter(), None),
        Err(e) if options.dry_run => return Err(e),
        Err(e) if matches!(e, Error::Interrupted) || (e.is_transient() && stop.is_set()) => {
            report.interrupted = true;
            (Vec::new().into_iter(), None)
        }
        Err(e) => (Vec::new().into_iter(), Some(e)),
    };
    let replies: Vec<Option<redis::Value>> = (direct.into_iter())
        .map(|d| d.or_else(|| through_client.next()))
        .collect();
    let mut outcomes = Vec::with_capacity(sent.len());
    for ((version, _), reply) in sent.iter().zip(replies) {
        let Some(reply) = reply else {
            outcomes.push((Outcome::Unconfirmed, None));
            continue;
        };
        let (outcome, error) = match reply {
            redis::Value::Int(n) if options.dry_run => {
                if n > 0 && !options.replace {
                    (Outcome::Exists, None)
                } else {
                    report.overwrites += u64::from(n > 0);
                    (Outcome::Restored, None)
                }
            }
            redis::Value::Okay | redis::Value::SimpleString(_) => (Outcome::Restored, None),
            redis::Value::ServerError(e) if e.code() == "BUSYKEY" && resent => {
                (Outcome::Unconfirmed, None)
            }
            redis::Value::ServerError(e) if e.code() == "BUSYKEY" => (Outcome::Exists, None),
            redis::Value::ServerError(e)
                if report.restored == 0 && e.details().is_some_and(|d| d.contains(UNREADABLE)) =>
            {
                let server = crate::store::server_version(store)
                    .await
                    .unwrap_or_else(|| "this server".into());
                return Err(Error::Backup {
                    path: report.file.clone(),
                    detail: format!(
                        "{} cannot read its values ({}, from {}): restore into a server as new \
                         as the one backed up; nothing was restored",
                        server,
                        backup_rdb(*version),
                        report
                            .header
                            .server_version
                            .as_deref()
                            .unwrap_or("an unknown server"),
                    ),
                });
            }
            redis::Value::ServerError(e) => (
                Outcome::Failed,
                Some(format!("{}: {}", e.code(), e.details().unwrap_or(""))),
            ),
            other => (Outcome::Failed, Some(format!("unexpected reply {other:?}"))),
        };
        outcomes.push((outcome, error));
    }
    let mut restored = Vec::new();
    for ((_, key), (outcome, error)) in sent.iter().zip(outcomes) {
        if outcome == Outcome::Restored && !options.dry_run {
            restored.push(key);
        }
        note(report, options, key, outcome, error);
    }
    if let Some(log) = &options.log {
        log.record(restored.into_iter().map(|key| Entry {
            key,
            op: "restore",
            node: store.addr(),
            reason: &report.file,
        }))?;
    }
    fault.map_or(Ok(()), Err)
}

/// A hash whose every field's expiry has passed (by `now`, the server's clock less the
/// margin): the server would drop it as soon as it was restored, so it is expired, not
/// restored.
fn all_fields_gone(r: &Record, now: i64) -> bool {
    if !r.has_field_expiry() {
        return false;
    }
    match crate::rdb::payload_field_expiries(&r.payload) {
        Some((fields, at)) => {
            fields > 0 && at.len() as u64 == fields && at.iter().all(|&t| t <= now)
        }
        None => false,
    }
}

/// RESTORE one record over a raw connection to its key's master; `None` when there is none
/// to make, or the server sent the key elsewhere (the client then follows).
async fn restore_raw(
    store: &Store,
    permit: &Permit,
    r: &Record,
    replace: bool,
) -> Result<Option<redis::Value>> {
    let Some(mut raw) = store.raw(None, &r.key).await? else {
        return Ok(None);
    };
    let at = r.expires_at_ms.unwrap_or(0).to_string();
    let mut args: Vec<&[u8]> = vec![b"RESTORE", &r.key, at.as_bytes(), &r.payload, b"ABSTTL"];
    if replace {
        args.push(b"REPLACE");
    }
    let reply = raw.write(permit, &args).await?;
    Ok(match &reply {
        redis::Value::ServerError(e) if crate::store::worth_resending(e) => None,
        _ => Some(reply),
    })
}

fn note(
    report: &mut RestoreReport,
    options: &RestoreOptions,
    key: &[u8],
    outcome: Outcome,
    error: Option<String>,
) {
    match outcome {
        Outcome::Restored => report.restored += 1,
        Outcome::Exists => report.exists += 1,
        Outcome::Expired => report.expired += 1,
        Outcome::Failed => report.failed += 1,
        Outcome::Unconfirmed => report.unconfirmed += 1,
    }
    if options.per_key || outcome == Outcome::Failed {
        report.keys.push(KeyOutcome {
            key: keys::display(key),
            outcome,
            error,
        });
    }
}

/// Times a batch is sent again after its replies were lost.
const RESEND_RETRIES: u32 = 5;

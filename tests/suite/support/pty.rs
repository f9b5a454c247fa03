//! `cachectl` on a real pseudo-terminal, for what only happens when a person is there: prompts,
//! their answers, Ctrl-C while one waits, and what reaches a terminal's screen.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub struct Pty {
    pub child: Child,
    master: File,
    output: mpsc::Receiver<Vec<u8>>,
    pub seen: Vec<u8>,
}

impl Pty {
    /// Run `cachectl ARGS` against `url` with stdin, stdout and stderr on a new terminal.
    pub fn cachectl(url: &str, args: &[&str]) -> Pty {
        let (mut master_fd, mut slave_fd) = (0, 0);
        // SAFETY: openpty writes two descriptors into the integers we pass.
        let rc = unsafe {
            libc::openpty(
                &mut master_fd,
                &mut slave_fd,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "openpty failed");
        // SAFETY: both descriptors were just opened and are owned here alone.
        let (master, slave) =
            unsafe { (File::from_raw_fd(master_fd), OwnedFd::from_raw_fd(slave_fd)) };
        let stdio = |fd: &OwnedFd| Stdio::from(fd.try_clone().expect("dup pty"));
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("cachectl"));
        cmd.args(args)
            .env_remove("REDIS_URL")
            .env("CACHECTL_URL", url)
            .env("TERM", "xterm")
            .stdin(stdio(&slave))
            .stdout(stdio(&slave))
            .stderr(stdio(&slave));
        // SAFETY: setsid and TIOCSCTTY only affect the child between fork and exec.
        unsafe {
            use std::os::unix::process::CommandExt;
            let fd = slave.as_raw_fd();
            cmd.pre_exec(move || {
                libc::setsid();
                libc::ioctl(fd, libc::TIOCSCTTY, 0);
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn cachectl");
        drop(slave);
        let mut reader = master.try_clone().expect("dup pty master");
        let (tx, output) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Pty {
            child,
            master,
            output,
            seen: Vec::new(),
        }
    }

    /// Wait until the screen shows `text`; panics with what it shows after `secs`.
    pub fn expect(&mut self, text: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !self.screen().contains(text) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(bytes) => self.seen.extend(bytes),
                Err(_) => panic!("never saw {text:?}; the terminal shows:\n{}", self.screen()),
            }
        }
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.seen).into_owned()
    }

    pub fn type_line(&mut self, line: &str) {
        self.master
            .write_all(format!("{line}\r").as_bytes())
            .expect("write to pty");
    }

    /// Send a signal to cachectl, as a terminal's Ctrl-C or a supervisor's SIGTERM would.
    pub fn signal(&self, sig: i32) {
        // SAFETY: kill on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as i32, sig);
        }
    }

    /// Wait for the exit code (killing the process after `secs`), collecting all output.
    pub fn wait(&mut self, secs: u64) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            while let Ok(bytes) = self.output.try_recv() {
                self.seen.extend(bytes);
            }
            if let Some(status) = self.child.try_wait().expect("wait") {
                std::thread::sleep(Duration::from_millis(50));
                while let Ok(bytes) = self.output.try_recv() {
                    self.seen.extend(bytes);
                }
                return status.code().unwrap_or(-1);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "cachectl did not exit; the terminal shows:\n{}",
                    self.screen()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

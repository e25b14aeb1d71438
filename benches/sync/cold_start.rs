//! Cold start: the real `autosync` binary in a 100×30 pseudo-terminal over a data directory
//! with a synced 100,000-record profile (and its server), timed from spawning the process to
//! the first Home frame on the emulated screen; against the same measurement of a process that
//! only opens that profile with `Store::open` and says so.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

use crate::child;

const ROWS: u16 = 30;
const COLS: u16 = 100;
const DEADLINE: Duration = Duration::from_secs(20);

pub struct ColdStart {
    pub app: Vec<Duration>,
    pub baseline: Vec<Duration>,
}

/// `data_dir` holds `server.db` and a synced `client.db` with `contacts` contacts.
pub fn measure(data_dir: &Path, home: &Path, contacts: usize, runs: usize) -> ColdStart {
    let profile = data_dir.join("client.db");
    let count = contacts.to_string();
    let app_cmd = || {
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_autosync"));
        cmd.arg("--data-dir");
        cmd.arg(data_dir);
        isolate(&mut cmd, home);
        cmd
    };
    let base_cmd = || {
        let mut cmd = child::open_db_command(&profile);
        isolate(&mut cmd, home);
        cmd
    };
    let home_frame = |screen: &str| screen.contains("Home") && screen.contains(&count);
    let opened = |screen: &str| screen.contains("opened");
    // One of each first, so neither pays for loading its executable from disk.
    time_to_screen(app_cmd(), &home_frame, Some(b"q"));
    time_to_screen(base_cmd(), &opened, None);
    let mut result = ColdStart {
        app: Vec::with_capacity(runs),
        baseline: Vec::with_capacity(runs),
    };
    for _ in 0..runs {
        result
            .app
            .push(time_to_screen(app_cmd(), &home_frame, Some(b"q")));
        result
            .baseline
            .push(time_to_screen(base_cmd(), &opened, None));
    }
    result
}

/// No user configuration, a known terminal, a known working directory.
fn isolate(cmd: &mut CommandBuilder, home: &Path) {
    cmd.cwd(home);
    cmd.env("HOME", home);
    cmd.env("XDG_CONFIG_HOME", home.join(".config"));
    cmd.env("XDG_DATA_HOME", home.join(".local/share"));
    cmd.env("TERM", "xterm-256color");
    cmd.env_remove("NO_COLOR");
}

/// Spawns `cmd` in a fresh PTY and returns the time from spawning it to the moment the output
/// that made `ready` true arrived; then quits it with `quit` (if given) and waits for its end.
fn time_to_screen(
    cmd: CommandBuilder,
    ready: &dyn Fn(&str) -> bool,
    quit: Option<&[u8]>,
) -> Duration {
    let pty = native_pty_system();
    let pair = pty
        .openpty(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("open a pty");
    let started = Instant::now();
    let mut process = pair.slave.spawn_command(cmd).expect("spawn");
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().expect("pty reader");
    let mut writer = pair.master.take_writer().expect("pty writer");
    let (tx, chunks) = mpsc::channel::<(Instant, Vec<u8>)>();
    let reading = std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if tx.send((Instant::now(), buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
            }
        }
    });
    let size = |n: u16| std::num::NonZeroU16::new(n).expect("a screen size");
    let mut parser =
        vt100::Parser::new_with_callbacks(size(ROWS), size(COLS), 0, Answers::default());
    let mut seen = None;
    while seen.is_none() {
        let (at, bytes) = match chunks.recv_timeout(DEADLINE.saturating_sub(started.elapsed())) {
            Ok(chunk) => chunk,
            Err(_) => panic!(
                "no expected screen within {DEADLINE:?}; the screen shows:\n{}",
                parser.screen().contents()
            ),
        };
        parser.process(&bytes);
        answer(&mut parser, &mut writer);
        if ready(&parser.screen().contents()) {
            seen = Some(at - started);
        }
    }
    if let Some(keys) = quit {
        writer.write_all(keys).expect("send the quit key");
        writer.flush().expect("flush");
    }
    // Keep draining while it exits: a full PTY buffer would block it.
    let until = Instant::now() + DEADLINE;
    loop {
        if process.try_wait().expect("wait").is_some() {
            break;
        }
        if Instant::now() > until {
            let _ = process.kill();
            panic!("the process did not exit after quitting");
        }
        if let Ok((_, bytes)) = chunks.recv_timeout(Duration::from_millis(10)) {
            parser.process(&bytes);
            answer(&mut parser, &mut writer);
        }
    }
    drop(writer);
    drop(pair.master);
    let _ = reading.join();
    seen.expect("seen")
}

/// Replies to the terminal queries a program may send (cursor position, device attributes).
#[derive(Default)]
struct Answers {
    replies: Vec<u8>,
}

impl vt100::Callbacks for Answers {
    fn unhandled_csi(
        &mut self,
        screen: &mut vt100::Screen,
        i1: Option<u8>,
        _i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        match (i1, c, params) {
            (None, 'n', [[6]]) => {
                let (row, col) = screen.cursor_position();
                self.replies
                    .extend(format!("\x1b[{};{}R", row + 1, col + 1).into_bytes());
            }
            (None, 'c', _) => self.replies.extend(b"\x1b[?1;2c"),
            _ => {}
        }
    }
}

fn answer(parser: &mut vt100::Parser<Answers>, writer: &mut Box<dyn Write + Send>) {
    let replies = std::mem::take(&mut parser.callbacks_mut().replies);
    if !replies.is_empty() {
        let _ = writer.write_all(&replies);
        let _ = writer.flush();
    }
}

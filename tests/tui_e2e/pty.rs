//! The real binary in a pseudo-terminal, its screen emulated (vt100): keys in, the screen
//! read back, polled against a deadline.

use std::io::{Read, Write};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

pub(super) const ROWS: u16 = 30;
pub(super) const COLS: u16 = 100;
pub(super) const DEADLINE: Duration = Duration::from_secs(30);

/// Answers the terminal queries crossterm may send (cursor position, device attributes).
#[derive(Default)]
pub(super) struct Answers {
    pub(super) replies: Vec<Vec<u8>>,
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
        match (i1, c, params.first().and_then(|p| p.first())) {
            (None, 'n', Some(6)) => {
                let (row, col) = screen.cursor_position();
                self.replies
                    .push(format!("\x1b[{};{}R", row + 1, col + 1).into_bytes());
            }
            (None | Some(b'?'), 'c', _) => self.replies.push(b"\x1b[?1;2c".to_vec()),
            _ => {}
        }
    }
}

pub(super) struct Tui {
    pub(super) parser: vt100::Parser<Answers>,
    pub(super) output: Receiver<Vec<u8>>,
    pub(super) writer: Box<dyn Write + Send>,
    pub(super) child: Box<dyn Child + Send + Sync>,
    pub(super) master: Box<dyn MasterPty + Send>,
    pub(super) _dir: tempfile::TempDir,
}

impl Tui {
    pub(super) fn start() -> Tui {
        Self::start_with(&[])
    }

    /// Starts with extra arguments; relative paths are in the test's own directory.
    pub(super) fn start_with(extra: &[&str]) -> Tui {
        Self::start_configured("", extra)
    }

    /// Starts with `config` as the config file's text.
    pub(super) fn start_configured(config_text: &str, extra: &[&str]) -> Tui {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(&config, config_text).unwrap();
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_autosync"));
        cmd.args(["--fresh", "--config"]);
        cmd.arg(&config);
        cmd.arg("--data-dir");
        cmd.arg(dir.path().join("data"));
        cmd.args(extra);
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        cmd.cwd(dir.path());
        let child = pty.slave.spawn_command(cmd).unwrap();
        // Without dropping the slave, the reader never sees the end of the output.
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().unwrap();
        let writer = pty.master.take_writer().unwrap();
        let (tx, output) = channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        let rows = std::num::NonZeroU16::new(ROWS).unwrap();
        let cols = std::num::NonZeroU16::new(COLS).unwrap();
        Tui {
            parser: vt100::Parser::new_with_callbacks(rows, cols, 0, Answers::default()),
            output,
            writer,
            child,
            master: pty.master,
            _dir: dir,
        }
    }

    /// Feeds output to the emulator for up to `wait`; false once the output has ended.
    pub(super) fn pump(&mut self, wait: Duration) -> bool {
        let open = match self.output.recv_timeout(wait) {
            Ok(bytes) => {
                self.parser.process(&bytes);
                true
            }
            Err(RecvTimeoutError::Timeout) => true,
            Err(RecvTimeoutError::Disconnected) => false,
        };
        while let Ok(bytes) = self.output.try_recv() {
            self.parser.process(&bytes);
        }
        let replies = std::mem::take(&mut self.parser.callbacks_mut().replies);
        for reply in replies {
            self.writer.write_all(&reply).unwrap();
            self.writer.flush().unwrap();
        }
        open
    }

    pub(super) fn screen(&self) -> String {
        self.parser.screen().contents()
    }

    /// Waits until the emulated screen satisfies `predicate`.
    pub(super) fn until(&mut self, what: &str, predicate: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + DEADLINE;
        loop {
            self.pump(Duration::from_millis(50));
            if predicate(&self.screen()) {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out waiting for {what}; the screen:\n{}",
                    self.screen()
                );
            }
        }
    }

    /// Resizes the terminal (the app gets SIGWINCH) and the emulator with it.
    pub(super) fn resize(&mut self, rows: u16, cols: u16) {
        self.parser.set_size(
            std::num::NonZeroU16::new(rows).unwrap(),
            std::num::NonZeroU16::new(cols).unwrap(),
        );
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
    }

    /// Where `needle` first shows: (row, column), 0-based.
    pub(super) fn find(&self, needle: &str) -> Option<(u16, u16)> {
        let (_, cols) = self.parser.screen().size();
        self.parser
            .screen()
            .rows(0, cols.get())
            .enumerate()
            .find_map(|(row, text)| {
                let byte = text.find(needle)?;
                Some((row as u16, text[..byte].chars().count() as u16))
            })
    }

    /// A left click (SGR encoding: press, then release) at a 0-based cell.
    pub(super) fn click(&mut self, row: u16, col: u16) {
        let (x, y) = (col + 1, row + 1);
        self.send(format!("\x1b[<0;{x};{y}M\x1b[<0;{x};{y}m").as_bytes());
    }

    /// The terminal modes the app must leave behind: no alternate screen, no mouse, no paste.
    pub(super) fn assert_restored(&self, when: &str) {
        let screen = self.parser.screen();
        assert!(
            !screen.alternate_screen(),
            "{when}: the alternate screen was left"
        );
        assert_eq!(
            screen.mouse_protocol_mode(),
            vt100::MouseProtocolMode::None,
            "{when}: mouse capture is off"
        );
        assert!(!screen.bracketed_paste(), "{when}: bracketed paste is off");
    }

    pub(super) fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
    }

    /// Waits for the process to end, draining its output meanwhile.
    pub(super) fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + DEADLINE;
        loop {
            self.pump(Duration::from_millis(50));
            if let Some(status) = self.child.try_wait().unwrap() {
                while self.pump(Duration::from_millis(50)) {}
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the app did not exit; the screen:\n{}",
                self.screen()
            );
        }
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
}

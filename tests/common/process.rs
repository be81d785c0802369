//! The real `spares serve` binary as a child process, for tests of what
//! only a process shows: crashes, signals, the log on stderr.
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The `spares serve` child process; killed (SIGKILL) when dropped.
pub struct ServerProcess {
    child: Child,
    pub base: String,
}

impl ServerProcess {
    /// Starts `spares serve` on a free port over `database_url`, with more
    /// flags, and waits until it listens.
    pub async fn start(database_url: &str, extra: &[&str]) -> ServerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_spares"))
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--database-url",
                database_url,
            ])
            .args(extra)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "spares=info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn spares serve");
        let stderr = child.stderr.take().expect("child stderr");
        let (tx, rx) = tokio::sync::oneshot::channel::<Result<String, String>>();
        // Reads the log until the listening line, then keeps draining it so
        // the child never blocks on a full pipe; ends when the child dies.
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            let mut tx = Some(tx);
            let mut seen = Vec::new();
            while let Ok(Some(line)) = lines.next_line().await {
                let line = strip_ansi(&line);
                if let Some(addr) = listening_addr(&line) {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(Ok(addr));
                    }
                } else if tx.is_some() {
                    seen.push(line);
                }
            }
            if let Some(tx) = tx.take() {
                let _ = tx.send(Err(seen.join("\n")));
            }
        });
        let addr = match tokio::time::timeout(Duration::from_secs(60), rx).await {
            Ok(Ok(Ok(addr))) => addr,
            Ok(Ok(Err(log))) => panic!("spares serve exited before listening:\n{log}"),
            Ok(Err(_)) => panic!("spares serve log reader vanished"),
            Err(_) => panic!("spares serve did not listen within 60 s"),
        };
        ServerProcess {
            child,
            base: format!("http://{addr}"),
        }
    }

    /// SIGKILL, and wait until the process is gone.
    pub async fn kill(&mut self) {
        self.child.kill().await.expect("SIGKILL the server");
    }

    /// SIGTERM: asks the server to stop as an orchestrator would.
    pub fn terminate(&self) {
        let pid = self.child.id().expect("the child runs");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {pid}");
    }

    /// Waits up to `limit` for the process to exit; its exit status, or
    /// `None` if it is still running.
    pub async fn exited_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        tokio::time::timeout(limit, self.child.wait())
            .await
            .ok()
            .map(|status| status.expect("wait for the child"))
    }
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ params final-byte
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `127.0.0.1:PORT` from the `spares listening addr=127.0.0.1:PORT` line.
fn listening_addr(line: &str) -> Option<String> {
    if !line.contains("spares listening") {
        return None;
    }
    let rest = &line[line.find("addr=")? + "addr=".len()..];
    Some(rest.split_whitespace().next()?.to_owned())
}

//! A Redis server of the tests' own, for the chapter "Many kitchens".
//!
//! The first call to [`url`] in a test binary starts `redis-server` on a
//! free loopback port, with nothing saved to disk, and waits until it
//! answers `PING`. The server is started from a thread that lives as long
//! as the test binary and dies with it: the server's parent-death signal
//! (`PR_SET_PDEATHSIG`, `SIGKILL`) fires when that thread ends, which is
//! when the test process exits, however it exits. Nothing relies on a
//! server started by hand.
//!
//! When `redis-server` is not installed (or will not start), [`url`] is
//! `None` and the caller skips, saying so with [`skip`].

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How many databases the server has; [`fresh_url`] hands them out in turn.
pub const DATABASES: usize = 256;
/// How long the server may take to answer its first `PING`.
pub const START_LIMIT: Duration = Duration::from_secs(20);

fn server() -> &'static Result<u16, String> {
    static SERVER: OnceLock<Result<u16, String>> = OnceLock::new();
    SERVER.get_or_init(start)
}

/// The base URL of this test binary's server (`redis://127.0.0.1:PORT/`),
/// starting it on the first call; `None` if no server can be started here.
pub fn url() -> Option<String> {
    let port = server().as_ref().ok()?;
    Some(format!("redis://127.0.0.1:{port}/"))
}

/// Writes `SKIPPED <what>: <why no server>` straight to standard error,
/// past the test harness's capture, so a skipped test is never silent.
/// In CI (`CI=true`), where `.ci/run` installs `redis-server`, a missing
/// server fails the test instead: a green CI must not hide a skip.
pub fn skip(what: &str) {
    let why = server().as_ref().err().map_or("", String::as_str);
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{what}: no Redis server in CI: {why}"
    );
    let _ = writeln!(std::io::stderr(), "SKIPPED {what}: {why}");
}

/// A URL (`redis://127.0.0.1:PORT/N`) of a database that is empty now and
/// that no other caller in this test binary gets while fewer than
/// [`DATABASES`] calls follow. `None` if no server can be started.
pub fn fresh_url() -> Option<String> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let port = *server().as_ref().ok()?;
    let db = NEXT.fetch_add(1, Ordering::Relaxed) % DATABASES;
    let reply = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
        .and_then(|mut s| command(&mut s, &format!("SELECT {db}\r\nFLUSHDB\r\n"), 2));
    assert_eq!(
        reply.as_deref().ok(),
        Some(&["+OK".to_string(), "+OK".to_string()][..]),
        "select and flush database {db}: {reply:?}"
    );
    Some(format!("redis://127.0.0.1:{port}/{db}"))
}

/// Sends inline commands and reads `lines` one-line replies.
fn command(stream: &mut TcpStream, commands: &str, lines: usize) -> std::io::Result<Vec<String>> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(commands.as_bytes())?;
    let mut reader = BufReader::new(stream);
    (0..lines)
        .map(|_| {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            Ok(line.trim_end().to_string())
        })
        .collect()
}

/// Starts the server from a thread that keeps it (see the module docs).
fn start() -> Result<u16, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("redis-server keeper".into())
        .spawn(move || {
            let started = spawn_server();
            let child = match started {
                Ok((child, port)) => {
                    let _ = tx.send(Ok(port));
                    child
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            // Keep this thread (the server's parent-death anchor) alive
            // until the server ends, which is normally when we do.
            let mut child = child;
            let _ = child.wait();
        })
        .map_err(|e| e.to_string())?;
    rx.recv()
        .map_err(|_| "the keeper thread ended".to_string())?
}

fn spawn_server() -> Result<(std::process::Child, u16), String> {
    // A port nobody uses now. Another program could take it before the
    // server does; then the server exits and we try another.
    let mut last_error = String::new();
    for _attempt in 0..5 {
        let port = free_port()?;
        match spawn_on(port, &["--databases", &DATABASES.to_string()]) {
            Ok(child) => return Ok((child, port)),
            Err(e) => last_error = e,
        }
    }
    Err(last_error)
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// Starts `redis-server` on `port` with nothing saved to disk, plus
/// `extra` arguments, and waits until it answers. It gets `SIGKILL` when
/// the thread that started it ends (`PR_SET_PDEATHSIG`).
fn spawn_on(port: u16, extra: &[&str]) -> Result<std::process::Child, String> {
    use std::os::unix::process::CommandExt as _;
    let mut command = Command::new("redis-server");
    command
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .args(extra)
        .arg("--dir")
        .arg(std::env::temp_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: between fork and exec the closure only calls prctl(2),
    // which is async-signal-safe, and allocates nothing.
    unsafe {
        command.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
                .map_err(std::io::Error::from)
        });
    }
    let mut child = command.spawn().map_err(|e| {
        format!("cannot start redis-server ({e}); install it: apt-get install redis-server")
    })?;
    match wait_until_ready(&mut child, port, extra) {
        Ok(()) => Ok(child),
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(e)
        }
    }
}

/// A `redis-server` of one test's own, for tests that freeze, kill or
/// restart it, or start it with a password. It is killed when this value
/// is dropped, also when the test panics; and, should the test process
/// die without unwinding, by its parent-death signal.
pub struct OwnServer {
    child: Option<std::process::Child>,
    port: u16,
    extra: Vec<String>,
}

impl OwnServer {
    /// Starts one with `extra` arguments (e.g. `["--requirepass", "pw"]`);
    /// `None` after saying `SKIPPED` (see [`skip`]) if it cannot start.
    pub fn start(what: &str, extra: &[&str]) -> Option<OwnServer> {
        if server().is_err() {
            skip(what);
            return None;
        }
        let mut last_error = String::new();
        for _attempt in 0..5 {
            let port = free_port().expect("a free port");
            match spawn_on(port, extra) {
                Ok(child) => {
                    return Some(OwnServer {
                        child: Some(child),
                        port,
                        extra: extra.iter().map(|s| s.to_string()).collect(),
                    });
                }
                Err(e) => last_error = e,
            }
        }
        panic!("{what}: cannot start a redis-server of its own: {last_error}");
    }

    /// `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    fn signal(&self, signal: nix::sys::signal::Signal) {
        if let Some(child) = &self.child {
            let pid = nix::unistd::Pid::from_raw(child.id() as i32);
            nix::sys::signal::kill(pid, signal).expect("signal redis-server");
        }
    }

    /// Freezes it (`SIGSTOP`): connections stay open, nothing answers.
    pub fn freeze(&self) {
        self.signal(nix::sys::signal::Signal::SIGSTOP);
    }

    /// Lets a frozen server go on (`SIGCONT`).
    pub fn thaw(&self) {
        self.signal(nix::sys::signal::Signal::SIGCONT);
    }

    /// Kills it (`SIGKILL`) and waits until it is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills it and starts a new one on the same port with the same
    /// arguments: with nothing saved, every key is lost.
    pub fn restart(&mut self) {
        self.kill();
        let extra: Vec<&str> = self.extra.iter().map(String::as_str).collect();
        self.child = Some(spawn_on(self.port, &extra).expect("restart redis-server"));
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Readiness check: connect and `PING` until the server answers `+PONG`,
/// for at most [`START_LIMIT`]; fails at once if the server exited.
fn wait_until_ready(
    child: &mut std::process::Child,
    port: u16,
    extra: &[&str],
) -> Result<(), String> {
    // With a password, the server answers PING with -NOAUTH: alive all the same.
    let alive = |reply: &[String]| {
        reply == ["+PONG"] || (extra.contains(&"--requirepass") && reply[0].starts_with("-NOAUTH"))
    };
    let deadline = Instant::now() + START_LIMIT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("redis-server exited: {status}"));
        }
        if let Ok(mut stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            && command(&mut stream, "PING\r\n", 1).is_ok_and(|r| alive(&r))
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "redis-server did not answer PING within {START_LIMIT:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

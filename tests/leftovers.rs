//! Nothing left behind (issue 17): every example of the book, run plainly
//! or sent SIGINT, SIGTERM or SIGKILL to its main process alone (as
//! `kill PID`, a supervisor or the OOM killer would) at known moments,
//! leaves no process running.
//!
//! How it is checked, without sleeping:
//!
//! - This test process is a child subreaper (`PR_SET_CHILD_SUBREAPER`):
//!   every process an example leaves behind is re-parented to us, so every
//!   descendant stays findable under our pid in `/proc`, whatever process
//!   group or session it moved to.
//! - A moment is a line of the example's output (for example "Washing
//!   salad dish"): the test reads the output until that line, then signals.
//!   The empty moment means "at once": right after the program started.
//!   `LINE => COMMAND` also waits until a process whose command line
//!   starts with COMMAND has
//!   started below us (for a child no line announces).
//!   Each case's flags keep `main` busy for a long time after its moments,
//!   so the signal is what ends it (checked), and they make any process
//!   that does not die with `main` live far longer than the limit below.
//! - Once `main` has ended, the test waits for every remaining descendant
//!   with pidfds and `poll` (the kernel says when each one ends). One still
//!   alive [`LEFTOVER_LIMIT`] later is a leftover: it is named, killed and
//!   reaped, and the test fails. The only process allowed to outlive `main`
//!   longer is the orphan that *Daemon processes* documents: the washer
//!   and its dryer end by themselves once the washer's `--watch-ms` is up.
//!
//! Everything is killed and reaped at the end of each run, so the test
//! itself leaves nothing either.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::Pid;
use washup_tests::{LEFTOVER_LIMIT, LINE_LIMIT, RUN_LIMIT, example_path, redis};

/// The signals sent to `main` alone.
const SIGNALS: [Signal; 3] = [Signal::SIGINT, Signal::SIGTERM, Signal::SIGKILL];

/// How long the washer of `daemon-processes` watches its dryer in these runs
/// (`--watch-ms`): the documented orphans end by themselves after it.
const WATCH: Duration = Duration::from_millis(2000);

/// One example, with flags that keep its main process busy after each moment.
struct Case {
    example: &'static str,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    /// Lines (parts of) to signal after; `""` signals at once.
    moments: &'static [&'static str],
    /// Whether `main` is certainly still running at each moment, so the
    /// signal must be what ends it. Examples that finish in a blink may
    /// beat an "at once" signal.
    busy: bool,
    /// How long processes may outlive `main` and end by themselves: zero,
    /// except for the orphan a page documents.
    documented_orphan: Duration,
}

fn case(example: &'static str, args: &[&str], moments: &'static [&'static str]) -> Case {
    Case {
        example,
        args: args.iter().map(|a| a.to_string()).collect(),
        env: Vec::new(),
        moments,
        busy: true,
        documented_orphan: Duration::ZERO,
    }
}

/// Runs in this file go one at a time: each counts every descendant of this
/// process as its own.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn become_subreaper() {
    nix::sys::prctl::set_child_subreaper(true).expect("PR_SET_CHILD_SUBREAPER");
}

/// One process as `/proc/PID/stat` shows it.
struct Proc {
    ppid: i32,
    state: char,
    command: String,
}

fn processes() -> BTreeMap<i32, Proc> {
    let mut all = BTreeMap::new();
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue; // it ended meanwhile
        };
        // "pid (command) state ppid ...": the command may hold spaces and ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let mut rest = stat[close + 1..].split_whitespace();
        let state = rest.next().and_then(|s| s.chars().next()).unwrap_or('?');
        let Some(ppid) = rest.next().and_then(|p| p.parse().ok()) else {
            continue;
        };
        let command = std::fs::read(entry.path().join("cmdline"))
            .map(|c| {
                String::from_utf8_lossy(&c)
                    .replace('\0', " ")
                    .trim()
                    .to_string()
            })
            .ok()
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| stat[open..=close].to_string());
        all.insert(
            pid,
            Proc {
                ppid,
                state,
                command,
            },
        );
    }
    all
}

/// Every process below this one (children, their children, ...), zombies
/// included, with what `/proc` says about it.
fn descendants() -> BTreeMap<i32, Proc> {
    let me = i32::try_from(std::process::id()).expect("pid fits in i32");
    let mut all = processes();
    let mut below = BTreeSet::from([me]);
    // Parents before children is not guaranteed by pid order: repeat until stable.
    loop {
        let before = below.len();
        for (pid, p) in &all {
            if below.contains(&p.ppid) {
                below.insert(*pid);
            }
        }
        if below.len() == before {
            break;
        }
    }
    below.remove(&me);
    all.retain(|pid, _| below.contains(pid));
    all
}

/// Reaps our zombie children that are not in `keep` (the test's own).
fn reap_zombies(keep: &BTreeSet<i32>) {
    let me = i32::try_from(std::process::id()).expect("pid fits in i32");
    for (pid, p) in descendants() {
        if p.ppid == me && p.state == 'Z' && !keep.contains(&pid) {
            let _ = waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG));
        }
    }
}

fn pidfd_open(pid: i32) -> Option<OwnedFd> {
    // SAFETY: two integer arguments; returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    // SAFETY: a fresh descriptor from the kernel, owned by nobody else.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// Blocks until one of `pids` ends or `deadline` passes (a pidfd turns
/// readable when its process ends). A pid already gone counts as ended.
fn wait_for_one_to_end(pids: &[i32], deadline: Instant) {
    let fds: Vec<OwnedFd> = match pids.iter().map(|&p| pidfd_open(p)).collect() {
        Some(fds) => fds,
        None => return, // one ended before we could open it
    };
    let mut polled: Vec<libc::pollfd> = fds
        .iter()
        .map(|fd| libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let left = deadline.saturating_duration_since(Instant::now());
    let ms = i32::try_from(left.as_millis()).unwrap_or(i32::MAX);
    let n = libc::nfds_t::try_from(polled.len()).expect("a few descriptors");
    // SAFETY: `polled` is a valid array of `n` pollfds for the duration of the call.
    unsafe { libc::poll(polled.as_mut_ptr(), n, ms) };
}

/// A started example: its pid (also its process group), its lines of
/// output, and its exit status once it ends.
struct Run {
    label: String,
    pid: i32,
    /// Opened before anyone could reap it, so a signal sent through it
    /// never reaches another process that got the pid later.
    pidfd: OwnedFd,
    lines: Receiver<String>,
    seen: Arc<Mutex<Vec<String>>>,
    status: Receiver<ExitStatus>,
}

impl Run {
    fn start(case: &Case) -> Run {
        let label = format!("{} {}", case.example, case.args.join(" "));
        let (reader, writer) = std::io::pipe().expect("pipe");
        let mut command = Command::new(example_path(case.example));
        command
            .args(&case.args)
            .envs(case.env.iter().map(|(k, v)| (k, v)))
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .stdout(writer.try_clone().expect("clone pipe"))
            .stderr(writer)
            .process_group(0);
        // SAFETY: between fork and exec the closure only calls signal(2),
        // which is async-signal-safe, and allocates nothing. A test started
        // in the background inherits SIGINT ignored; a person's `kill -INT`
        // meets the default action, so give the example that.
        unsafe {
            command.pre_exec(|| {
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                libc::signal(libc::SIGQUIT, libc::SIG_DFL);
                Ok(())
            });
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {label}: {e}"));
        drop(command); // our copies of the pipe's write end
        let pid = i32::try_from(child.id()).expect("pid fits in i32");
        let pidfd = pidfd_open(pid).expect("pidfd_open of our own child");
        let (line_tx, lines) = mpsc::channel();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen_by_reader = Arc::clone(&seen);
        std::thread::spawn(move || {
            for line in BufReader::new(reader).lines() {
                let Ok(line) = line else { break };
                let mut seen = seen_by_reader.lock().unwrap_or_else(|e| e.into_inner());
                if seen.len() < 50 {
                    seen.push(line.clone());
                }
                drop(seen);
                let _ = line_tx.send(line);
            }
        });
        let (status_tx, status) = mpsc::channel();
        std::thread::spawn(move || {
            if let Ok(s) = child.wait() {
                let _ = status_tx.send(s);
            }
        });
        Run {
            label,
            pid,
            pidfd,
            lines,
            seen,
            status,
        }
    }

    fn output(&self) -> String {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .join("\n")
    }

    /// Reads output until a line containing `marker`.
    fn wait_for_line(&self, marker: &str) {
        if marker.is_empty() {
            return;
        }
        loop {
            match self.lines.recv_timeout(LINE_LIMIT) {
                Ok(line) if line.contains(marker) => return,
                Ok(_) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.fail(&format!("ended before printing {marker:?}"))
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.fail(&format!("no {marker:?} within {LINE_LIMIT:?}"))
                }
            }
        }
    }

    /// Waits until a process whose command line starts with `command` runs
    /// below us. No line of output marks the moment a child has started, so
    /// this looks in `/proc` until it has (every 5 ms, at most
    /// [`LINE_LIMIT`]): a condition checked, not a guess at a duration.
    fn wait_for_descendant(&self, command: &str) {
        let deadline = Instant::now() + LINE_LIMIT;
        while !descendants()
            .values()
            .any(|p| p.state != 'Z' && p.command.starts_with(command))
        {
            if Instant::now() > deadline {
                self.fail(&format!("no {command:?} started within {LINE_LIMIT:?}"));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Sends `signal` to the main process alone. One that has ended already
    /// (a quick example may beat an "at once" signal) gets nothing.
    fn signal(&self, signal: Signal) {
        // SAFETY: a valid pidfd, a signal number, no siginfo, no flags.
        let sent = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.pidfd.as_raw_fd(),
                signal as i32,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        let error = std::io::Error::last_os_error();
        if sent != 0 && error.raw_os_error() != Some(libc::ESRCH) {
            self.fail(&format!("cannot signal main: {error}"));
        }
    }

    /// Waits for the main process (at most [`RUN_LIMIT`]).
    fn wait(&self) -> ExitStatus {
        self.status
            .recv_timeout(RUN_LIMIT)
            .unwrap_or_else(|_| self.fail(&format!("did not end within {RUN_LIMIT:?}")))
    }

    fn fail(&self, why: &str) -> ! {
        let _ = killpg(Pid::from_raw(self.pid), Signal::SIGKILL);
        panic!("{}: {why}\noutput:\n{}", self.label, self.output())
    }
}

/// After `main` has ended: waits until no descendant but `keep` is alive,
/// for at most `limit`. Returns those still alive then (killed and reaped).
fn leftovers_after(keep: &BTreeSet<i32>, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    loop {
        reap_zombies(keep);
        let alive: Vec<(i32, Proc)> = descendants()
            .into_iter()
            .filter(|(pid, p)| !keep.contains(pid) && p.state != 'Z')
            .collect();
        if alive.is_empty() {
            return Vec::new();
        }
        if Instant::now() >= deadline {
            let named = alive
                .iter()
                .map(|(pid, p)| format!("pid {pid} (parent {}): {}", p.ppid, p.command))
                .collect();
            for (pid, _) in &alive {
                let _ = kill(Pid::from_raw(*pid), Signal::SIGKILL);
            }
            let pids: Vec<i32> = alive.iter().map(|(pid, _)| *pid).collect();
            while descendants()
                .iter()
                .any(|(pid, p)| pids.contains(pid) && p.state != 'Z')
            {
                wait_for_one_to_end(&pids, Instant::now() + LEFTOVER_LIMIT);
            }
            reap_zombies(keep);
            return named;
        }
        let pids: Vec<i32> = alive.iter().map(|(pid, _)| *pid).collect();
        wait_for_one_to_end(&pids, deadline);
    }
}

/// Runs `case` once: to the end (`None`), or until the line `moment` and
/// then sends `signal` to main alone. Fails on anything left behind.
fn run_once(case: &Case, moment: &str, signal: Option<Signal>) {
    // What runs below us before the example starts (a Redis server) is ours.
    let keep: BTreeSet<i32> = descendants().into_keys().collect();
    let run = Run::start(case);
    let when = match signal {
        None => "run to the end".to_string(),
        Some(sig) => {
            let (line, child) = moment.split_once(" => ").unwrap_or((moment, ""));
            run.wait_for_line(line);
            if !child.is_empty() {
                run.wait_for_descendant(child);
            }
            run.signal(sig);
            let at = if moment.is_empty() { "at once" } else { moment };
            format!("{sig} to main after {at:?}")
        }
    };
    let status = run.wait();
    match signal {
        None => assert!(
            status.success(),
            "{}: {status}\n{}",
            run.label,
            run.output()
        ),
        Some(sig) if case.busy => assert_eq!(
            status.signal(),
            Some(sig as i32),
            "{} ({when}): main was still working, so the signal ended it: {status}\n{}",
            run.label,
            run.output()
        ),
        Some(_) => {}
    }
    let left = leftovers_after(&keep, LEFTOVER_LIMIT + case.documented_orphan);
    // The example's own group, should anything of it be a zombie not ours.
    let _ = killpg(Pid::from_raw(run.pid), Signal::SIGKILL);
    assert!(
        left.is_empty(),
        "{} ({when}) left {} process(es) running {:?} after main ended:\n{}\noutput:\n{}",
        run.label,
        left.len(),
        LEFTOVER_LIMIT + case.documented_orphan,
        left.join("\n"),
        run.output()
    );
}

/// A plain run of `plain`, then `busy` with each signal at each moment.
/// Callers hold [`serial`].
fn check(plain: &Case, busy: &Case) {
    become_subreaper();
    run_once(plain, "", None);
    for moment in busy.moments {
        for signal in SIGNALS {
            run_once(busy, moment, Some(signal));
        }
    }
}

#[test]
fn single_process_examples_leave_nothing() {
    let _serial = serial();
    // They start no process; checked all the same (a plain run, and each
    // signal at once).
    for example in [
        "by-hand",
        "daemon-threads",
        "deadlock",
        "interleavings",
        "locks",
        "locks-rack",
        "rack",
        "thread-dishes",
        "threads",
    ] {
        let mut quick = case(example, &[], &[""]);
        quick.busy = false;
        check(&quick, &quick);
    }
}

#[test]
fn processes_leaves_nothing() {
    let _serial = serial();
    // After each moment main waits a minute for the endless pot program.
    let busy = case(
        "processes",
        &["--door-after-ms", "60000"],
        &["", "main: starting the dishwasher", "runs the pot program"],
    );
    check(&case("processes", &[], &[]), &busy);
}

#[test]
fn daemon_processes_leaves_only_the_documented_orphan_which_ends_by_itself() {
    let _serial = serial();
    let watch = WATCH.as_millis().to_string();
    for extra in [&[][..], &["--daemon"], &["--subreaper"]] {
        let mut args = vec!["--watch-ms", &watch];
        args.extend_from_slice(extra);
        let mut busy = case(
            "daemon-processes",
            &args,
            &["", "washer: the dryer runs as pid"],
        );
        // The page: "send SIGINT to main only: the washer still crashes when
        // its time is up, and the dryer, orphaned or killed, ends after it".
        busy.documented_orphan = WATCH;
        check(&case("daemon-processes", extra, &[]), &busy);
    }
}

#[test]
fn dishes_leaves_nothing() {
    let _serial = serial();
    // Each dryer takes a second per dish; the rack has one place.
    let busy = case(
        "dishes",
        &[
            "--dishes",
            "6",
            "--overlap",
            "--rack",
            "1",
            "--dryers",
            "2",
            "--dry-ms",
            "1000",
        ],
        &[
            "",
            "Washing salad dish",
            "Drying salad dish",
            "Washing plate-6 dish",
        ],
    );
    check(&case("dishes", &[], &[]), &busy);
}

#[test]
fn backpressure_leaves_nothing() {
    let _serial = serial();
    // Each dryer takes a second per dish, so they are drying at every moment.
    for (policy, extra) in [
        ("wait", &["--rack", "1"][..]),
        ("drop", &["--overlap"]),
        ("pile", &[]),
    ] {
        let mut args = vec!["--policy", policy, "--dishes", "6", "--dry-ms", "1000"];
        args.extend_from_slice(extra);
        let busy = case(
            "backpressure",
            &args,
            &["", "dryers go to work", "the washer is done"],
        );
        check(&case("backpressure", &["--policy", policy], &[]), &busy);
    }
}

#[test]
fn threads_or_processes_leaves_nothing() {
    let _serial = serial();
    // After "2 threads" main starts scrubber processes; after "2 processes"
    // it asks a server that answers only after a minute.
    let busy = case(
        "threads-or-processes",
        &["--dishes", "200000", "--answers", "2", "--wait-ms", "60000"],
        &["", "2 threads", "2 processes => perl "],
    );
    let plain = case("threads-or-processes", &["--dishes", "200000"], &[]);
    check(&plain, &busy);
}

#[test]
fn thread_io_leaves_nothing() {
    let _serial = serial();
    // The first neighbour answers only after a minute.
    let busy = case(
        "thread-io",
        &["--neighbours", "2", "--wait-ms", "60000"],
        &["", "-- one after another -- => perl "],
    );
    check(&case("thread-io", &[], &[]), &busy);
}

#[test]
fn redis_rack_kitchen_leaves_nothing() {
    let _serial = serial();
    // Started before the runs, so it counts as the test's own process.
    let Some(url) = redis::fresh_url() else {
        redis::skip("redis_rack_kitchen_leaves_nothing");
        return;
    };
    let with_redis = |args: &[&str], moments| {
        let mut c = case("redis-rack", args, moments);
        c.env.push(("REDIS_URL", url.clone()));
        c
    };
    // A million dishes: the washer role washes long after each moment.
    let busy = with_redis(
        &["kitchen", "--dishes", "1000000"],
        &["", "Washing salad dish"],
    );
    check(&with_redis(&["kitchen"], &[]), &busy);
    // After dryer A falls over, the kitchen starts the reaper and dryer B.
    let busy = with_redis(
        &["kitchen", "--crash-after", "2"],
        &["dryer A fell over", "Dryer B: Drying"],
    );
    check(&with_redis(&["kitchen", "--crash-after", "2"], &[]), &busy);
}

//! Behaviour tests for `washup::Process`.
//!
//! No test sleeps to let a child catch up: children wait on pipes the test
//! controls ("gates"), and the test waits with `waitpid`, pidfds and pipes.
//! Every wait that could hang has an upper bound that turns a hang into a
//! failure.
//!
//! Inside `cargo test`, `println!` is captured per test thread, so a child
//! forked from a test would print into a buffer nobody reads. Tests about
//! real output re-run this test binary with one `#[ignore]`d helper test and
//! `--nocapture`, and read its stdout and stderr.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::process::Command;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::Pid;
use washup::Process;
use washup::process::{ProcessError, current_process};

/// Upper bound for anything a test waits for.
const LIMIT: Duration = Duration::from_secs(30);

/// Tests in this file run one at a time. A child forked by one test would
/// otherwise inherit the pipes of another test running at that moment and
/// hold them open, so a reader waiting for end-of-file would wait for the
/// wrong process.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A pipe whose ends are closed if this process ever runs another program.
fn pipe() -> nix::Result<(OwnedFd, OwnedFd)> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
}

/// The write end of a pipe that children wait on: they go on when it is closed.
struct Gate(Option<OwnedFd>);

impl Gate {
    fn open(&mut self) {
        self.0 = None;
    }
}

/// A gate, and a function for the child that closes the child's inherited
/// copy of the write end and then waits until every write end is closed.
fn gate() -> (Gate, impl FnOnce() + 'static) {
    let (r, w) = pipe().expect("pipe");
    let w_raw = w.as_raw_fd();
    let wait = move || {
        // SAFETY: in the child, `w_raw` is the child's copy of the gate's write end; the
        // test's `OwnedFd` for it is never used or dropped in the child.
        unsafe { libc::close(w_raw) };
        let mut buf = [0u8; 1];
        while nix::unistd::read(&r, &mut buf).is_ok_and(|n| n > 0) {}
    };
    (Gate(Some(w)), wait)
}

/// A pipe to send a report from a child to the test.
fn report_pipe() -> (std::fs::File, std::fs::File) {
    let (r, w) = pipe().expect("pipe");
    (std::fs::File::from(r), std::fs::File::from(w))
}

/// Reads everything from `r` until every write end is closed.
fn read_all(mut r: std::fs::File) -> String {
    let mut s = String::new();
    r.read_to_string(&mut s).expect("read report");
    s
}

fn pidfd_open(pid: i32) -> OwnedFd {
    // SAFETY: two integer arguments; returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    assert!(fd >= 0, "pidfd_open({pid}) failed");
    // SAFETY: a fresh descriptor from the kernel, owned by nobody else.
    unsafe { OwnedFd::from_raw_fd(fd as RawFd) }
}

/// Whether the process behind `pidfd` ends within `timeout` (a pidfd turns readable then).
fn ends_within(pidfd: &OwnedFd, timeout: Duration) -> bool {
    let mut fds = [libc::pollfd {
        fd: pidfd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    }];
    let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: `fds` is a valid array of one pollfd for the duration of the call.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), 1, ms) };
    n == 1
}

#[test]
fn exit_code_is_zero_after_the_target_returns() {
    let _serial = serial();
    let (r, mut w) = report_pipe();
    let mut p = Process::new(move || {
        let pid = std::process::id();
        write!(w, "{pid}").expect("report");
    });
    assert_eq!(p.exitcode(), None, "not started yet");
    assert_eq!(p.pid(), None);
    p.start().expect("start");
    let pid = p.pid().expect("pid after start");
    assert_eq!(read_all(r), pid.to_string(), "the target ran in the child");
    p.join().expect("join");
    assert_eq!(p.exitcode(), Some(0));
    assert!(!p.is_alive());
    assert_eq!(p.pid(), Some(pid), "the pid stays known after the end");
    p.join().expect("joining twice is fine");
}

#[test]
fn exit_code_is_one_after_a_panic() {
    let _serial = serial();
    let mut p = Process::new(|| panic!("the dishwasher broke"));
    p.start().expect("start");
    p.join().expect("join");
    assert_eq!(p.exitcode(), Some(1));
}

#[test]
fn exit_code_is_what_process_exit_gets() {
    let _serial = serial();
    // Not `std::process::exit`: its clean-up can hang in a child forked from
    // this multi-threaded test binary (see `washup::process::exit`).
    let mut p = Process::new(|| washup::process::exit(7));
    p.start().expect("start");
    p.join().expect("join");
    assert_eq!(p.exitcode(), Some(7));
}

#[test]
fn exit_code_is_minus_the_signal_number() {
    let _serial = serial();
    for (daemon, signal, expected) in [
        (false, Signal::SIGTERM, -15),
        (false, Signal::SIGKILL, -9),
        (true, Signal::SIGTERM, -15),
        (true, Signal::SIGKILL, -9),
    ] {
        let (mut gate, wait) = gate();
        let mut p = Process::new(wait).daemon(daemon);
        p.start().expect("start");
        assert!(p.is_alive());
        match signal {
            Signal::SIGTERM => p.terminate().expect("terminate"),
            _ => p.kill().expect("kill"),
        }
        assert!(p.join_timeout(LIMIT).expect("join"), "{signal} ends it");
        assert_eq!(p.exitcode(), Some(expected), "daemon {daemon}, {signal}");
        p.terminate()
            .expect("terminating an ended process does nothing");
        p.kill().expect("killing an ended process does nothing");
        gate.open();
    }
}

#[test]
fn join_timeout_gives_up_while_the_child_runs_and_succeeds_when_it_ends() {
    let _serial = serial();
    let (mut gate, wait) = gate();
    let mut p = Process::new(wait);
    p.start().expect("start");
    let short = Duration::from_millis(50);
    let t0 = Instant::now();
    assert!(
        !p.join_timeout(short).expect("join_timeout"),
        "still waiting at the gate"
    );
    assert!(t0.elapsed() >= short, "it waited the whole timeout");
    assert!(p.is_alive());
    assert_eq!(p.exitcode(), None);
    assert!(!p.join_timeout(Duration::ZERO).expect("zero timeout"));

    gate.open();
    let t1 = Instant::now();
    assert!(
        p.join_timeout(LIMIT).expect("join_timeout"),
        "the gate is open"
    );
    assert!(
        t1.elapsed() < LIMIT / 2,
        "woken by the child's end, not the timeout"
    );
    assert!(!p.is_alive());
    assert_eq!(p.exitcode(), Some(0));
}

#[test]
fn is_alive_follows_the_life_of_the_child() {
    let _serial = serial();
    let (mut gate, wait) = gate();
    let mut p = Process::new(wait);
    assert!(!p.is_alive(), "not before start");
    p.start().expect("start");
    assert!(p.is_alive(), "while it waits at the gate");
    gate.open();
    p.join().expect("join");
    assert!(!p.is_alive(), "not after it ended");
}

#[test]
fn children_count_their_own_process_names() {
    let _serial = serial();
    let (r, mut w) = report_pipe();
    let mut parent = Process::new(move || {
        let me = current_process();
        let a = Process::new(|| {});
        let b = Process::new(|| {}).name("dryer");
        let c = Process::new(|| {});
        write!(
            w,
            "{}|{}|{}|{}",
            me.name,
            a.get_name(),
            b.get_name(),
            c.get_name()
        )
        .expect("report");
    });
    let name = parent.get_name().to_string();
    assert!(
        name.strip_prefix("Process-")
            .is_some_and(|n| n.parse::<u32>().is_ok()),
        "default name {name:?}"
    );
    parent.start().expect("start");
    let report = read_all(r);
    assert_eq!(
        report,
        format!("{name}|{name}:1|dryer|{name}:3"),
        "the counter restarts in the child, and counts unnamed and named processes"
    );
    parent.join().expect("join");
    assert_eq!(parent.exitcode(), Some(0));
    assert_eq!(current_process().name, "MainProcess");
    assert!(!current_process().daemon);
}

#[test]
fn misuse_gives_typed_errors() {
    let _serial = serial();
    let mut p = Process::new(|| {}).name("plate");
    assert!(matches!(
        p.join(),
        Err(ProcessError::NotStarted { action: "join", .. })
    ));
    assert!(matches!(
        p.join_timeout(Duration::ZERO),
        Err(ProcessError::NotStarted { .. })
    ));
    assert!(matches!(
        p.terminate(),
        Err(ProcessError::NotStarted {
            action: "terminate",
            ..
        })
    ));
    assert!(matches!(
        p.kill(),
        Err(ProcessError::NotStarted { action: "kill", .. })
    ));
    p.set_daemon(false)
        .expect("the flag can change before start");

    p.start().expect("start");
    let again = p.start();
    assert!(matches!(&again, Err(ProcessError::AlreadyStarted { name }) if name == "plate"));
    assert_eq!(
        again.expect_err("checked above").to_string(),
        "plate: a process can only be started once"
    );
    assert!(matches!(
        p.set_daemon(true),
        Err(ProcessError::DaemonAfterStart { .. })
    ));
    let mut p = p.daemon(true);
    assert!(
        !p.is_daemon(),
        "the builder does not change a started process"
    );
    p.join().expect("join");
    assert!(matches!(
        p.start(),
        Err(ProcessError::AlreadyStarted { .. })
    ));
}

#[test]
fn only_the_parent_may_join_or_signal_a_child() {
    let _serial = serial();
    let (mut gate, wait) = gate();
    let mut sibling = Process::new(wait).name("sibling").daemon(true);
    sibling.start().expect("start sibling");
    let sibling_pidfd = pidfd_open(sibling.pid().expect("pid"));

    // The second child gets a copy of `sibling` through its closure.
    let (r, mut w) = report_pipe();
    let mut other = Process::new(move || {
        let join = sibling.join();
        let term = sibling.terminate();
        let alive = sibling.is_alive();
        writeln!(w, "{join:?}\n{term:?}\n{alive}").expect("report");
        // Dropping the copy here must not touch the sibling either.
    });
    other.start().expect("start other");
    // `start` dropped the closure in the parent, and with it the parent's (daemonic)
    // `sibling`: it was terminated and reaped, although the gate is still closed.
    assert!(
        ends_within(&sibling_pidfd, Duration::ZERO),
        "dropped daemonic sibling is gone"
    );

    let report = read_all(r);
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 3, "{report}");
    assert!(
        lines[0].starts_with("Err(NotChild") && lines[0].contains("\"join\""),
        "{report}"
    );
    assert!(
        lines[1].starts_with("Err(NotChild") && lines[1].contains("\"terminate\""),
        "{report}"
    );
    assert_eq!(lines[2], "false", "is_alive is false outside the parent");
    other.join().expect("join other");
    assert_eq!(other.exitcode(), Some(0));
    gate.open();
}

#[test]
fn a_daemonic_process_may_not_start_children() {
    let _serial = serial();
    let (r, mut w) = report_pipe();
    let mut p = Process::new(move || {
        let me = current_process();
        let mut child = Process::new(|| {});
        let inherited = child.is_daemon();
        let err = child
            .start()
            .expect_err("a daemonic process may not have children");
        let mut plain = Process::new(|| {}).daemon(false);
        let err2 = plain.start().expect_err("not even non-daemonic ones");
        write!(w, "{}|{inherited}|{err}|{err2:?}", me.daemon).expect("report");
    })
    .name("dryer")
    .daemon(true);
    assert!(p.is_daemon());
    p.start().expect("start");
    let report = read_all(r);
    let parts: Vec<&str> = report.split('|').collect();
    assert_eq!(parts[0], "true", "the child knows it is daemonic");
    assert_eq!(
        parts[1], "true",
        "the daemon flag is inherited as Python does"
    );
    let (name, rest) = parts[2].split_once(": ").expect("name: message");
    assert!(
        name.starts_with("Process-") && name.ends_with(":1"),
        "{report}"
    );
    assert_eq!(
        rest,
        "cannot start it: dryer is daemonic and daemonic processes may not have children"
    );
    assert!(parts[3].starts_with("DaemonicParent"), "{report}");
    p.join().expect("join");
    assert_eq!(p.exitcode(), Some(0));
}

#[test]
fn a_daemonic_child_dies_when_its_parent_is_sigkilled() {
    let _serial = serial();
    // Orphans of the intermediate process are adopted by this test process, so the
    // grandchild's end can be waited for here (and it is reaped, not left as a zombie).
    nix::sys::prctl::set_child_subreaper(true).expect("become a child subreaper");
    let (mut gate, wait) = gate();
    let (r, mut w) = report_pipe();
    let mut intermediate = Process::new(move || {
        let mut grandchild = Process::new(wait).daemon(true);
        grandchild.start().expect("start grandchild");
        writeln!(w, "{}", grandchild.pid().expect("pid")).expect("report");
        drop(w);
        // Wait to be killed; `pause` returns only after a caught signal.
        loop {
            nix::unistd::pause();
        }
    })
    .name("intermediate");
    intermediate.start().expect("start");
    // One line, not to end-of-file: the grandchild holds a copy of the write end.
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(r), &mut line)
        .expect("read the grandchild's pid");
    let grandchild: i32 = line.trim().parse().expect("a pid");
    let grandchild_fd = pidfd_open(grandchild);
    assert!(
        !ends_within(&grandchild_fd, Duration::ZERO),
        "alive before the kill"
    );

    intermediate.kill().expect("SIGKILL the intermediate");
    intermediate.join().expect("join");
    assert_eq!(intermediate.exitcode(), Some(-9));

    let ended = ends_within(&grandchild_fd, LIMIT);
    if !ended {
        gate.open(); // let it go, then fail
    }
    assert!(
        ended,
        "the daemonic grandchild outlived its SIGKILLed parent"
    );
    // It can only have ended by a signal: the gate is still closed.
    match waitpid(Pid::from_raw(grandchild), None) {
        Ok(status) => assert_eq!(
            status,
            WaitStatus::Signaled(Pid::from_raw(grandchild), Signal::SIGKILL, false)
        ),
        // Someone else in this test process reaped every child; the pidfd already told us.
        Err(nix::errno::Errno::ECHILD) => {}
        Err(e) => panic!("waitpid: {e}"),
    }
    gate.open();
}

#[test]
fn the_parent_death_signal_follows_the_forking_thread() {
    let _serial = serial();
    // Documented Linux behaviour: PR_SET_PDEATHSIG fires when the *thread* that forked
    // the child ends, even though the parent process lives on.
    let (mut gate, wait) = gate();
    let thread = std::thread::spawn(move || {
        let mut p = Process::new(wait).daemon(true);
        p.start().expect("start");
        let pid = p.pid().expect("pid");
        std::mem::forget(p); // no Drop: only the parent-death signal can end it
        pid
    });
    let pid = thread.join().expect("thread");
    let fd = pidfd_open(pid);
    let ended = ends_within(&fd, LIMIT);
    if !ended {
        gate.open();
    }
    assert!(ended, "the child outlived the thread that started it");
    assert_eq!(
        waitpid(Pid::from_raw(pid), None).expect("reap"),
        WaitStatus::Signaled(Pid::from_raw(pid), Signal::SIGKILL, false)
    );
    gate.open();
}

#[test]
fn dropping_a_daemonic_process_terminates_and_reaps_it() {
    let _serial = serial();
    let (mut gate, wait) = gate();
    let mut p = Process::new(wait).daemon(true);
    p.start().expect("start");
    let pid = p.pid().expect("pid");
    let fd = pidfd_open(pid);
    drop(p);
    assert!(
        ends_within(&fd, Duration::ZERO),
        "ended before drop returned"
    );
    assert_eq!(
        waitpid(Pid::from_raw(pid), None),
        Err(nix::errno::Errno::ECHILD),
        "already reaped by drop"
    );
    gate.open();
}

#[test]
fn dropping_a_non_daemonic_process_joins_it() {
    let _serial = serial();
    let (mut gate, wait) = gate();
    let (r, mut w) = report_pipe();
    let mut p = Process::new(move || {
        wait();
        write!(w, "finished by itself").expect("report");
    });
    p.start().expect("start");
    let pid = p.pid().expect("pid");
    let fd = pidfd_open(pid);
    gate.open();
    drop(p);
    assert!(
        ends_within(&fd, Duration::ZERO),
        "ended before drop returned"
    );
    assert_eq!(
        waitpid(Pid::from_raw(pid), None),
        Err(nix::errno::Errno::ECHILD)
    );
    assert_eq!(read_all(r), "finished by itself", "not terminated");
}

/// The open descriptors of the calling process.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

/// A started `Process` keeps no descriptor (its pidfd exists only during
/// `start` and `join_timeout`), so each of several children started one
/// after another, all still running, inherits the same descriptors.
#[test]
fn children_started_in_a_row_inherit_no_descriptor_of_their_siblings() {
    let _serial = serial();
    // Declared before the pipes, so dropped after them when an assertion fails: the
    // gate is then open and dropping a non-daemonic child (a join) does not hang.
    let mut children: Vec<Process> = Vec::new();
    // The children get the pipes' numbers, not owned values: owned ones moved into a
    // closure would be closed in the parent after its start, and the later children
    // would inherit fewer descriptors than the earlier ones.
    let (gate_r, gate_w) = pipe().expect("pipe");
    let (report_r, report_w) = pipe().expect("pipe");
    let fds = (gate_r.as_raw_fd(), gate_w.as_raw_fd(), report_w.as_raw_fd());
    let before = open_fds();
    for i in 0..5 {
        let mut p = Process::new(move || {
            let (gate_r, gate_w, report_w) = fds;
            let line = format!("{}\n", open_fds());
            let mut byte = [0u8; 1];
            // SAFETY: in the child these are its copies of the test's pipe ends; the
            // test's `OwnedFd`s for them are never dropped in the child (it leaves
            // with `_exit`). `line` and `byte` are valid for the lengths given.
            unsafe {
                libc::write(report_w, line.as_ptr().cast(), line.len());
                libc::close(report_w);
                libc::close(gate_w);
                while libc::read(gate_r, byte.as_mut_ptr().cast(), 1) > 0 {}
            }
        })
        .daemon(i % 2 == 1);
        p.start().expect("start");
        // Opens (and must close) a pidfd while it waits.
        assert!(
            !p.join_timeout(Duration::from_millis(1))
                .expect("join_timeout"),
            "waits at the gate"
        );
        children.push(p);
    }
    assert_eq!(open_fds(), before, "the parent holds nothing per child");
    drop(report_w);
    let counts: Vec<String> =
        std::io::BufRead::lines(std::io::BufReader::new(std::fs::File::from(report_r)))
            .take(5)
            .map(|line| line.expect("a count"))
            .collect();
    drop(gate_w);
    assert_eq!(counts.len(), 5);
    assert!(
        counts.iter().all(|c| *c == counts[0]),
        "descriptors open in each child: {counts:?}"
    );
    for p in &mut children {
        assert!(p.join_timeout(LIMIT).expect("join"), "the gate is open");
        assert_eq!(p.exitcode(), Some(0));
    }
}

#[test]
fn kill_from_outside_is_seen_as_minus_nine() {
    let _serial = serial();
    let (mut gate, wait) = gate();
    let mut p = Process::new(wait);
    p.start().expect("start");
    kill(Pid::from_raw(p.pid().expect("pid")), Signal::SIGKILL).expect("kill");
    p.join().expect("join");
    assert_eq!(p.exitcode(), Some(-9));
    gate.open();
}

/// Runs the `#[ignore]`d helper test `name` of this binary in a fresh process with real
/// stdout and stderr; returns (stdout between the markers, stderr).
fn run_helper(name: &str) -> (String, String) {
    let exe = std::env::current_exe().expect("test binary");
    let out = Command::new(exe)
        .args([
            name,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
            "-q",
        ])
        .env("WASHUP_PROCESS_HELPER", name)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run helper");
    assert!(out.status.success(), "helper {name} failed: {out:?}");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let inner = stdout
        .split_once("<<<BEGIN>>>\n")
        .and_then(|(_, rest)| rest.split_once("<<<END>>>\n"))
        .map(|(inner, _)| inner.to_string())
        .unwrap_or_else(|| panic!("no markers in {stdout:?}"));
    (inner, String::from_utf8(out.stderr).expect("utf-8"))
}

fn helper_active(name: &str) -> bool {
    std::env::var("WASHUP_PROCESS_HELPER").is_ok_and(|v| v == name)
}

#[test]
#[ignore = "helper: run by buffered_output_is_flushed_before_fork_and_names_count_from_one in a fresh process"]
fn helper_output() {
    if !helper_active("helper_output") {
        return;
    }
    println!("<<<BEGIN>>>");
    // Names in a fresh process count from 1.
    let mut first = Process::new(|| println!("child of {}", current_process().name));
    let second = Process::new(|| {});
    println!("{} {}", first.get_name(), second.get_name());
    first.start().expect("start");
    first.join().expect("join");
    // A half line sits in the parent's buffer when we fork.
    print!("washed ");
    let mut child = Process::new(|| println!("by the child"));
    child.start().expect("start");
    child.join().expect("join");
    println!("main again");
    // A panic: message on stderr, exit code 1.
    let mut broken = Process::new(|| panic!("the dishwasher broke")).name("washer");
    broken.start().expect("start");
    broken.join().expect("join");
    println!("panic exit code {:?}", broken.exitcode());
    println!("<<<END>>>");
}

#[test]
fn buffered_output_is_flushed_before_fork_and_names_count_from_one() {
    let _serial = serial();
    let (stdout, stderr) = run_helper("helper_output");
    assert_eq!(
        stdout,
        "Process-1 Process-2\nchild of Process-1\nwashed by the child\nmain again\npanic exit code Some(1)\n"
    );
    assert!(
        stderr.contains("panicked at") && stderr.contains("the dishwasher broke"),
        "panic message on stderr: {stderr:?}"
    );
    // The report names the process first, as Python's `Process washer:` does
    // (the hook's own line names the thread that forked, not the process).
    let before_report: Vec<&str> = stderr
        .lines()
        .take_while(|l| !l.contains("panicked at"))
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        before_report.last(),
        Some(&"Process washer:"),
        "the process's name before the report: {stderr:?}"
    );
}

const LINES: usize = 2000;
const WIDTH: usize = 300;

#[test]
#[ignore = "helper: run by lines_from_children_arrive_whole in a fresh process"]
fn helper_lines() {
    if !helper_active("helper_lines") {
        return;
    }
    println!("<<<BEGIN>>>");
    let mut children: Vec<Process> = ['a', 'b', 'c']
        .into_iter()
        .map(|c| {
            Process::new(move || {
                for i in 0..LINES {
                    println!("{c}{i:05}{}", c.to_string().repeat(WIDTH));
                }
            })
        })
        .collect();
    for p in &mut children {
        p.start().expect("start");
    }
    for p in &mut children {
        p.join().expect("join");
    }
    println!("<<<END>>>");
}

#[test]
fn lines_from_children_arrive_whole() {
    let _serial = serial();
    let (stdout, _) = run_helper("helper_lines");
    let mut counts = std::collections::HashMap::new();
    for line in stdout.lines() {
        let c = line.chars().next().expect("non-empty line");
        let rest = &line[1..];
        assert_eq!(rest.len(), 5 + WIDTH, "torn line {line:?}");
        assert!(rest[5..].chars().all(|x| x == c), "mixed line {line:?}");
        let expected = *counts.get(&c).unwrap_or(&0);
        assert_eq!(
            rest[..5].parse::<usize>().ok(),
            Some(expected),
            "order of {c}"
        );
        counts.insert(c, expected + 1);
    }
    assert_eq!(counts.len(), 3);
    assert!(counts.values().all(|&n| n == LINES), "{counts:?}");
}

// ---- The chapters' examples: what they print, and that they leave nothing behind. ----
// `run_example` and `Running::finish` fail the test if any process of the example's group
// is still there 10 s after the example exited.

use washup_tests::{run_example, spawn_example};

#[test]
fn processes_example_shows_the_exit_codes_and_leaves_nothing() {
    let _serial = serial();
    let run = run_example("processes", &[]);
    assert_eq!(run.code, Some(0), "{}", run.output);
    for wanted in [
        "exited with 0",
        "dishwasher: washing the dessert dish",
        "the dishwasher ended with exit code 0",
        "the pot program ended with exit code -15",
    ] {
        assert!(run.output.contains(wanted), "{wanted:?} in {}", run.output);
    }
    let run = run_example("processes", &["--break-at", "bread", "--kill"]);
    assert_eq!(run.code, Some(0), "{}", run.output);
    for wanted in [
        "dishwasher panicked: the dishwasher broke down at the bread dish",
        "the dishwasher ended with exit code 1",
        "the pot program ended with exit code -9",
    ] {
        assert!(run.output.contains(wanted), "{wanted:?} in {}", run.output);
    }
    assert!(!run.output.contains("washing the bread"));
}

#[test]
fn daemon_example_shows_an_orphan_and_prevents_it() {
    let _serial = serial();
    // This test process is a subreaper (the support library makes it one), so without
    // --subreaper the orphan is adopted by us: "not main".
    let run = run_example("daemon-processes", &[]);
    assert_eq!(run.code, Some(0), "{}", run.output);
    assert!(
        run.output.contains("the washer ended with exit code -9"),
        "{}",
        run.output
    );
    assert!(
        run.output.contains("is gone; my parent is now pid"),
        "{}",
        run.output
    );
    assert!(run.output.contains(", not main"), "{}", run.output);

    let run = run_example("daemon-processes", &["--subreaper"]);
    assert!(run.output.contains(", main\n"), "{}", run.output);
    assert!(
        run.output.contains(": exit code 0"),
        "reaped: {}",
        run.output
    );

    let run = run_example("daemon-processes", &["--daemon"]);
    assert!(
        run.output.contains("not a word from the dryer"),
        "{}",
        run.output
    );

    let run = run_example("daemon-processes", &["--daemon", "--subreaper"]);
    assert!(run.output.contains("killed by SIGKILL"), "{}", run.output);

    let run = run_example("daemon-processes", &["--daemonic-washer"]);
    assert!(
        run.output
            .contains("daemonic processes may not have children"),
        "{}",
        run.output
    );
    assert!(
        run.output.contains("the washer ended with exit code 0"),
        "{}",
        run.output
    );
    // Nobody set the dryer's flag: it inherited the washer's, and says so.
    assert!(
        run.output
            .contains("washer: I am daemonic: true; starting a dryer (daemonic: true)"),
        "{}",
        run.output
    );
}

/// Starts `name`, waits for a line containing `marker` (children are running then), sends
/// SIGINT to the example's main process only, and checks that it died of it and that
/// nothing of its group is left.
fn interrupt(name: &str, args: &[&str], marker: &str) {
    let mut running = spawn_example(name, args);
    loop {
        let line = running
            .read_line()
            .unwrap_or_else(|| panic!("{name} {args:?} ended before printing {marker:?}"));
        if line.contains(marker) {
            break;
        }
    }
    running.signal(Signal::SIGINT);
    let finished = running.finish();
    assert_eq!(
        finished.signal,
        Some(libc::SIGINT),
        "{name} {args:?}: {finished:?}"
    );
}

#[test]
fn examples_interrupted_with_sigint_leave_nothing() {
    let _serial = serial();
    // main waits in join_timeout; its only child is daemonic.
    interrupt(
        "processes",
        &["--door-after-ms", "60000"],
        "runs the pot program",
    );
    interrupt(
        "processes",
        &["--door-after-ms", "60000", "--kill"],
        "runs the pot program",
    );
    // main waits for the washer, which watches its dryer for 3 s, then crashes; the
    // dryer (an orphan, or killed with its parent) ends after that.
    for extra in [&[][..], &["--daemon"], &["--subreaper"]] {
        let mut args = vec!["--watch-ms", "3000"];
        args.extend_from_slice(extra);
        interrupt("daemon-processes", &args, "washer: the dryer runs as pid");
    }
}

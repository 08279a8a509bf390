//! Helpers shared by the exercises' checks. `cargo exercise` copies this
//! file next to each exercise's `checks.rs`, which uses it with
//! `mod support;`. Students never edit it.
#![allow(dead_code)]

use std::io::Write as _;
use std::os::unix::net::UnixStream;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The check's end of the verdict channel: a Unix socket the grader gives
/// the test process as descriptor `WASHUP_VERDICT_FD`, taken before `main`.
static VERDICT: OnceLock<UnixStream> = OnceLock::new();

/// Whether the check runs in a sandbox of its own, where the only other
/// process is the sandbox's first one (pid 1): `WASHUP_SANDBOXED`.
static SANDBOXED: OnceLock<bool> = OnceLock::new();

/// Runs before `main` (and so before libtest and before any student code:
/// a hand-in cannot run code of its own before `main`, as the grader
/// builds it with `#![forbid(unsafe_code)]`, which forbids
/// `#[link_section]`, `#[no_mangle]` and `#[export_name]`).
#[used]
#[unsafe(link_section = ".init_array")]
static TAKE_THE_VERDICT_CHANNEL: extern "C" fn() = take_the_verdict_channel;

/// Takes the verdict channel and hides it from student code: the variable
/// naming it is removed, it is closed on exec (a program the hand-in
/// starts does not get it), and the process is made non-dumpable, so
/// (unprivileged, as the sandbox runs) it cannot open its own
/// `/proc/self/mem` to read or patch the checks, nor its descriptors
/// through `/proc/self/fd` (a socket cannot be opened there anyway). Safe
/// Rust has no other way to write to a descriptor it was not given.
extern "C" fn take_the_verdict_channel() {
    use std::os::fd::FromRawFd as _;
    let Some(fd) = std::env::var("WASHUP_VERDICT_FD")
        .ok()
        .and_then(|fd| fd.parse::<i32>().ok())
    else {
        return;
    };
    let _ = SANDBOXED.set(std::env::var_os("WASHUP_SANDBOXED").is_some());
    // SAFETY: this runs before main, on the only thread there is, so no
    // other thread reads the environment meanwhile.
    unsafe {
        std::env::remove_var("WASHUP_VERDICT_FD");
        std::env::remove_var("WASHUP_SANDBOXED");
    }
    // SAFETY: prctl and fcntl change only this process's dumpable flag and
    // the descriptor's flags; the grader passed `fd` open, as a socket
    // this process owns from now on, and nothing else uses it.
    let stream = unsafe {
        nix::libc::prctl(nix::libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
        nix::libc::fcntl(fd, nix::libc::F_SETFD, nix::libc::FD_CLOEXEC);
        UnixStream::from_raw_fd(fd)
    };
    let _ = VERDICT.set(stream);
}

/// The verdict of one check. The first line of every check is
/// `let _verdict = support::Verdict::on_return();`: when the check's
/// function returns, every assertion in it held, and the guard tells the
/// grader `passed`. A panic (a failed assertion) unwinds past it without
/// a word, and so does nothing at all when the process ends early
/// (`exit`, a crash, a kill): destructors do not run then. Only this
/// verdict makes a check pass: whatever the process prints, and its exit
/// status, cannot. In a sandbox, a check whose code left a process running
/// (once everything else the check held was dropped: the guard is its
/// first local, so it is dropped last) fails, naming the process.
pub struct Verdict(());

impl Verdict {
    /// The guard that reports the check passed when the check returns.
    pub fn on_return() -> Verdict {
        assert!(
            VERDICT.get().is_some(),
            "no verdict channel: the checks run with `cargo exercise check`"
        );
        Verdict(())
    }
}

impl Drop for Verdict {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        if SANDBOXED.get() == Some(&true) {
            let mut left = Vec::new();
            wait_until(Duration::from_secs(2), || {
                left = processes_left();
                left.is_empty()
            });
            assert!(
                left.is_empty(),
                "still running after the check: {} (every process your code starts must end \
                 before it returns)",
                left.join(", ")
            );
        }
        if let Some(mut channel) = VERDICT.get() {
            let _ = channel.write_all(b"passed\n");
        }
    }
}

/// The message of a panic payload.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic".to_string())
}

/// The processes other than this one and the sandbox's first one (pid
/// 1) that still run (zombies are over), as "pid (command line)".
fn processes_left() -> Vec<String> {
    let me = std::process::id();
    let mut left = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return left;
    };
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if pid == 1 || pid == me {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue; // it ended meanwhile
        };
        let state = stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next());
        if matches!(state, Some("Z" | "X")) {
            continue;
        }
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        left.push(format!("{pid} ({})", cmdline.trim()));
    }
    left
}

/// The pids of this process's children, zombies included, from /proc.
pub fn children() -> Vec<i32> {
    let me = std::process::id().to_string();
    let mut kids = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue; // it ended meanwhile
        };
        // "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        if rest.split_whitespace().nth(1) == Some(me.as_str()) {
            kids.push(pid);
        }
    }
    kids
}

/// How many threads this process has now, from /proc.
pub fn threads_now() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Waits until this process has no more than `before` threads, at most
/// 2 s (a joined thread has ended; the kernel drops it from /proc right
/// after), and returns how many threads are left above `before`.
pub fn threads_left_above(before: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(2);
    while threads_now() > before && Instant::now() < deadline {
        std::thread::yield_now();
    }
    threads_now().saturating_sub(before)
}

/// The kernel's id of the calling thread (from /proc/thread-self).
pub fn current_tid() -> i32 {
    let link = std::fs::read_link("/proc/thread-self").expect("read /proc/thread-self");
    // "PID/task/TID"
    link.to_string_lossy()
        .rsplit('/')
        .next()
        .and_then(|tid| tid.parse().ok())
        .expect("a thread id in /proc/thread-self")
}

/// The state letter of thread `tid` of this process (`R` running, `S`
/// asleep, ...), or `None` once the thread is gone.
pub fn thread_state(tid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    // "tid (comm) state ...": comm may hold spaces, so look after the last ')'.
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

/// Whether thread `tid` is blocked in a wait on another thread (`join`,
/// a channel's `recv`, `Condvar::wait`, a contended lock: a futex wait in
/// the kernel), not running, spinning or sleeping for a set time.
pub fn is_waiting(tid: i32) -> bool {
    if kernel_names_waits() {
        wchan(tid).is_some_and(|w| w.contains("futex"))
    } else {
        // The kernel does not say where: asleep is the best we know.
        thread_state(tid) == Some('S')
    }
}

/// Where thread `tid` sleeps in the kernel ("0" while it runs).
fn wchan(tid: i32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/self/task/{tid}/wchan")).ok()
}

/// Whether /proc names the kernel function a thread waits in: tried once,
/// on a thread blocked in `recv`. `is_waiting` calls it; call it first
/// from the check's own thread (it starts a thread, which a thread-local's
/// destructor must not).
pub fn kernel_names_waits() -> bool {
    static NAMES: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *NAMES.get_or_init(|| {
        let (tid_tx, tid_rx) = std::sync::mpsc::channel();
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let probe = std::thread::spawn(move || {
            tid_tx.send(current_tid()).expect("the probe's tid");
            let _ = wait.recv();
        });
        let tid = tid_rx.recv().expect("the probe's tid");
        let named = wait_until(Duration::from_secs(2), || {
            wchan(tid).is_some_and(|w| w.contains("futex"))
        });
        let _ = go.send(());
        probe.join().expect("the probe");
        named
    })
}

/// Waits until `condition` holds, looking every millisecond for at most
/// `limit`; returns whether it holds. This waits for a condition, never
/// for luck: the limit only turns "never" into a clear failure.
pub fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// CPU time thread `tid` of this process has used so far (user + system),
/// from /proc. Its precision is the kernel's clock tick (usually 10 ms).
pub fn thread_cpu_time(tid: i32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat"))
        .expect("the thread is still there");
    let after_comm = &stat[stat.rfind(')').expect("a stat line") + 1..];
    // Fields from the state (field 3) on: utime is field 14, stime field 15.
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    // USER_HZ is 100 on every Linux the checks run on.
    Duration::from_millis(ticks * 10)
}

/// The address the kernel clears (and wakes) when the calling thread
/// ends: where `pthread_join` (and so `JoinHandle::join`) waits for it.
/// `None` where the kernel does not say (PR_GET_TID_ADDRESS needs
/// CONFIG_CHECKPOINT_RESTORE).
pub fn my_exit_address() -> Option<u64> {
    let mut address: *mut nix::libc::c_int = std::ptr::null_mut();
    // SAFETY: PR_GET_TID_ADDRESS writes one pointer to the address given,
    // a local of the right type.
    let done = unsafe {
        nix::libc::prctl(
            nix::libc::PR_GET_TID_ADDRESS,
            &mut address as *mut *mut nix::libc::c_int,
        )
    };
    (done == 0 && !address.is_null()).then_some(address as u64)
}

/// Whether thread `tid` of this process is blocked in a futex wait on
/// `address` (from /proc: the system call it is in, and its first
/// argument): for a thread's exit address, whether `tid` is joining it.
pub fn is_waiting_on(tid: i32, address: u64) -> bool {
    let Ok(syscall) = std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall")) else {
        return false;
    };
    let mut fields = syscall.split_whitespace();
    let futex = fields.next() == Some(nix::libc::SYS_futex.to_string().as_str());
    let on = fields
        .next()
        .and_then(|a| u64::from_str_radix(a.trim_start_matches("0x"), 16).ok());
    futex && on == Some(address)
}

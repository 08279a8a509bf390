//! Processes (Python: `multiprocessing.Process`).
//!
//! A [`Process`] runs a closure in a child process made with `fork(2)`. The
//! child is a copy of the parent at the moment of the fork: it sees every
//! variable the closure captured (no pickling, no `Send` needed), and nothing
//! it changes is seen by the parent. Talk between processes with pipes or a
//! [`Queue`](crate::queue).
//!
//! ```no_run
//! use washup::Process;
//!
//! let dish = String::from("salad");
//! let mut dryer = Process::new(move || println!("Drying {dish} dish")).name("dryer");
//! dryer.start()?;
//! dryer.join()?;
//! assert_eq!(dryer.exitcode(), Some(0));
//! # Ok::<(), washup::process::ProcessError>(())
//! ```
//!
//! # What the child does
//!
//! 1. Right after the fork, a *daemonic* child asks the kernel for `SIGKILL`
//!    when its parent dies (`prctl(PR_SET_PDEATHSIG)`), then checks that the
//!    parent is still there (it may have died before the request was made),
//!    then tells the parent it is armed; [`Process::start`] returns only
//!    after that.
//! 2. It runs the closure under [`std::panic::catch_unwind`]. A panic is
//!    reported on stderr by the panic hook as usual, after a line
//!    `Process <name>:` (Python prints the same before a child's
//!    traceback): the hook's own report names only the thread, and in a
//!    child that is the parent's thread that forked it, often `main`. The
//!    first [`Process::start`] wraps the panic hook installed at that
//!    moment to add this line (in the parent, where taking the hook's lock
//!    is safe); a hook set after it replaces the wrapper, so set your own
//!    hook before starting processes.
//! 3. It flushes stdout and stderr and ends with `_exit(0)`, or `_exit(1)`
//!    after a panic. `_exit` skips the destructors and `atexit` handlers the
//!    child copied from the parent: those belong to the parent.
//!
//! # Output
//!
//! [`Process::start`] flushes Rust's stdout and stderr before forking, while
//! holding their locks, so a half-written line is never copied into the
//! child (it would be printed twice) and no other thread of the parent is in
//! the middle of printing at the moment of the fork. Rust's stdout is line
//! buffered even into a pipe or file: each `println!` line of up to 1 KiB
//! (the buffer's size) leaves with one `write(2)`, and a write of up to 4 KiB
//! (`PIPE_BUF`) into a pipe is atomic, so lines of different processes never
//! tear. Stderr is not buffered: an `eprintln!` may take several writes.
//!
//! Linux only (it uses `prctl` and `pidfd_open`).

use std::fmt;
use std::io::{self, Write};
use std::os::fd::{AsFd, FromRawFd, OwnedFd, RawFd};
use std::panic::{self, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::prctl;
use nix::sys::signal::{Signal, kill, raise};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, getpid, getppid, pipe2};

/// How long dropping a started daemonic [`Process`] waits after `SIGTERM`
/// before it sends `SIGKILL`.
pub const DROP_GRACE: Duration = Duration::from_secs(1);

/// What went wrong with a [`Process`]. Python raises `AssertionError`,
/// `ValueError` or `RuntimeError` for these misuses; here they are values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProcessError {
    /// `start` was called a second time (Python: "cannot start a process twice").
    #[error("{name}: a process can only be started once")]
    AlreadyStarted {
        /// The process's name.
        name: String,
    },
    /// `join`, `terminate` or `kill` before `start` (Python: "can only join a started process").
    #[error("{name}: cannot {action} a process that has not been started")]
    NotStarted {
        /// The process's name.
        name: String,
        /// What was attempted: "join", "terminate" or "kill".
        action: &'static str,
    },
    /// `set_daemon` after `start` (Python: "process has already started").
    #[error("{name}: the daemon flag can only be changed before the process starts")]
    DaemonAfterStart {
        /// The process's name.
        name: String,
    },
    /// `start` inside a daemonic process (Python: "daemonic processes are not allowed to have children").
    #[error(
        "{name}: cannot start it: {parent} is daemonic and daemonic processes may not have children"
    )]
    DaemonicParent {
        /// The name of the process that was to be started.
        name: String,
        /// The name of the daemonic process that tried.
        parent: String,
    },
    /// Joining, signalling or reaping from a process other than the one that
    /// started it, e.g. a child using its copy of a sibling's `Process`
    /// (Python: "can only join a child process").
    #[error(
        "{name}: only the process that started it (pid {owner}) can {action} it, not pid {caller}"
    )]
    NotChild {
        /// The process's name.
        name: String,
        /// What was attempted.
        action: &'static str,
        /// The pid of the process that started it.
        owner: i32,
        /// The pid of the process that tried.
        caller: i32,
    },
    /// A system call failed.
    #[error("{name}: {action} failed: {source}")]
    Os {
        /// The process's name.
        name: String,
        /// Which call failed.
        action: &'static str,
        /// The error from the operating system.
        #[source]
        source: io::Error,
    },
}

/// Who the current process is (Python: `multiprocessing.current_process()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentProcess {
    /// `"MainProcess"` in the program's first process, otherwise the name of
    /// the [`Process`] that started this one.
    pub name: &'static str,
    /// This process's pid.
    pub pid: i32,
    /// Whether this process is a daemonic child.
    pub daemon: bool,
}

/// The identity a child takes on right after the fork.
struct Identity {
    name: String,
    /// Python's `_identity`, e.g. "2" or "2:1": the counters from the main process down.
    path: String,
    daemon: bool,
}

/// How many `Process` values this process has created (Python's `_process_counter`).
static COUNTER: AtomicU32 = AtomicU32::new(0);
/// Null in the main process; in a child, a leaked `Identity` set once right after the fork.
/// An atomic pointer, not a lock: a lock held by another thread at the moment of a fork stays
/// locked forever in the child.
static CURRENT: AtomicPtr<Identity> = AtomicPtr::new(ptr::null_mut());

fn current_identity() -> Option<&'static Identity> {
    let p = CURRENT.load(Ordering::Acquire);
    // SAFETY: CURRENT is either null or a pointer from `Box::into_raw` that is never freed
    // (see `child_main`), so it is valid for 'static and only read through shared references.
    unsafe { p.as_ref() }
}

/// Describes the current process (Python: `multiprocessing.current_process()`).
pub fn current_process() -> CurrentProcess {
    let identity = current_identity();
    CurrentProcess {
        name: identity.map_or("MainProcess", |i| i.name.as_str()),
        pid: getpid().as_raw(),
        daemon: identity.is_some_and(|i| i.daemon),
    }
}

enum State {
    New,
    Started {
        pid: Pid,
        /// The process that forked it: only it may wait for it.
        owner: Pid,
        /// Set once the child has been reaped.
        exitcode: Option<i32>,
    },
}

/// A closure running in a child process (Python: `multiprocessing.Process`).
///
/// Python's `Process(target=f, args=(a,), name="dryer", daemon=True)` is
/// `Process::new(move || f(a)).name("dryer").daemon(true)`: the arguments
/// travel inside the closure.
///
/// # Dropping
///
/// Python tidies up at interpreter exit: it terminates daemonic children and
/// joins the others. Here the same happens when the `Process` value is
/// dropped in the process that started it:
///
/// * a running **daemonic** child gets `SIGTERM`, then `SIGKILL` if it is
///   still there after [`DROP_GRACE`], and is reaped;
/// * a running **non-daemonic** child is **joined**: the drop waits for it to
///   end, as Python waits at exit. Make sure it can end (or terminate it
///   first).
///
/// If the parent dies without dropping (`std::process::exit`, a signal),
/// daemonic children are still killed, by the parent-death signal;
/// non-daemonic children become orphans.
///
/// # Threads
///
/// To end a child early with a chosen exit status, call [`exit`] (this
/// module's), not `std::process::exit`: see there why.
///
/// `start` forks, and only the thread that calls it lives on in the child.
/// A lock that another thread of the parent held at that instant stays
/// locked in the child forever, so a target that takes such a lock (one
/// shared with the parent's other threads) can hang. Standard output and
/// error are safe: `start` holds their locks across the fork. Start
/// processes before threads where you can, as Python's `fork` method
/// advises.
///
/// Linux sends a daemonic child its parent-death signal when the *thread*
/// that started it ends, not only the process: start daemonic children from
/// a thread that lives as long as they should (usually the main thread).
pub struct Process {
    name: String,
    path: String,
    daemon: bool,
    target: Option<Box<dyn FnOnce()>>,
    state: State,
}

impl fmt::Debug for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Process");
        d.field("name", &self.name).field("daemon", &self.daemon);
        match &self.state {
            State::New => d.field("started", &false),
            State::Started { pid, exitcode, .. } => {
                d.field("pid", &pid.as_raw()).field("exitcode", exitcode)
            }
        };
        d.finish()
    }
}

impl Process {
    /// A process that will run `target` once started (Python: `Process(target=...)`).
    ///
    /// Its name defaults to `Process-N`, where N counts the `Process` values
    /// created in this process, from 1; in a child called `Process-2` the
    /// count restarts and names look like `Process-2:1`, as in Python. The
    /// daemon flag defaults to the current process's (Python inherits it too).
    pub fn new<F: FnOnce() + 'static>(target: F) -> Process {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed) + 1;
        let (path, daemon) = match current_identity() {
            Some(parent) => (format!("{}:{n}", parent.path), parent.daemon),
            None => (n.to_string(), false),
        };
        Process {
            name: format!("Process-{path}"),
            path,
            daemon,
            target: Some(Box::new(target)),
            state: State::New,
        }
    }

    /// Sets the name, a label for humans (Python: `name=`). Names need not be unique.
    pub fn name(mut self, name: impl Into<String>) -> Process {
        self.name = name.into();
        self
    }

    /// Sets the daemon flag before the process starts (Python: `daemon=`).
    ///
    /// On a process that has already started this builder changes nothing;
    /// use [`Process::set_daemon`] to get an error instead.
    pub fn daemon(mut self, daemon: bool) -> Process {
        let _ = self.set_daemon(daemon);
        self
    }

    /// Sets the daemon flag (Python: `p.daemon = True`); an error once started.
    pub fn set_daemon(&mut self, daemon: bool) -> Result<(), ProcessError> {
        match self.state {
            State::New => {
                self.daemon = daemon;
                Ok(())
            }
            State::Started { .. } => Err(ProcessError::DaemonAfterStart {
                name: self.name.clone(),
            }),
        }
    }

    /// Renames the process (Python: `p.name = ...`), also after start.
    pub fn set_name(&mut self, name: impl Into<String>) {
        self.name = name.into();
    }

    /// Whether the process is daemonic (Python: `p.daemon`).
    pub fn is_daemon(&self) -> bool {
        self.daemon
    }

    /// The process's name (Python: `p.name`).
    pub fn get_name(&self) -> &str {
        &self.name
    }

    /// The child's pid once started, also after it ended (Python: `p.pid`).
    pub fn pid(&self) -> Option<i32> {
        match self.state {
            State::New => None,
            State::Started { pid, .. } => Some(pid.as_raw()),
        }
    }

    /// Forks the child process and runs the target in it (Python: `p.start()`).
    ///
    /// Errors: [`ProcessError::AlreadyStarted`] on a second call,
    /// [`ProcessError::DaemonicParent`] inside a daemonic process, and
    /// [`ProcessError::Os`] if `fork` fails. For a daemonic child it returns
    /// once the child's parent-death signal is armed.
    ///
    /// After the fork the parent drops the target closure (Python deletes
    /// `_target` too): whatever the closure owned now lives in the child only.
    pub fn start(&mut self) -> Result<(), ProcessError> {
        if !matches!(self.state, State::New) {
            return Err(ProcessError::AlreadyStarted {
                name: self.name.clone(),
            });
        }
        if let Some(me) = current_identity().filter(|i| i.daemon) {
            return Err(ProcessError::DaemonicParent {
                name: self.name.clone(),
                parent: me.name.clone(),
            });
        }
        let Some(target) = self.target.take() else {
            return Err(ProcessError::AlreadyStarted {
                name: self.name.clone(),
            });
        };
        name_processes_in_panic_reports();
        // A daemonic child says "armed" through this pipe (or closes it by dying).
        let armed = if self.daemon {
            Some(pipe2(OFlag::O_CLOEXEC).map_err(|e| self.os("pipe", e))?)
        } else {
            None
        };
        let identity = Identity {
            name: self.name.clone(),
            path: self.path.clone(),
            daemon: self.daemon,
        };
        let parent = getpid();

        // Hold both locks across the fork: no other thread of ours is half-way through a
        // print when we fork, and nothing unflushed is copied into the child.
        let mut out = io::stdout().lock();
        let mut err = io::stderr().lock();
        let _ = out.flush();
        let _ = err.flush();
        // SAFETY: after `fork` the child has a single thread, the one that called `start`;
        // the other threads of the parent are simply absent, and any lock one of them held
        // stays locked in the child. So the child may only touch state that no other thread
        // could have been changing at this instant:
        // - stdout and stderr: we hold their locks across the fork, so they are consistent
        //   and the child can release and reuse them;
        // - the heap: glibc's malloc resets its locks in the child (pthread_atfork), so
        //   allocating is fine;
        // - everything the target captured: owned by the target, moved into the child.
        // A target that takes a lock some other parent thread may hold can deadlock in the
        // child: that is a hang, not memory unsafety, and it is documented on the type
        // (its "Threads" section).
        // The child never returns from `start`: `child_main` ends with `_exit`.
        match unsafe { fork() } {
            Err(e) => {
                drop((out, err));
                self.target = Some(target);
                Err(self.os("fork", e))
            }
            Ok(ForkResult::Child) => {
                drop((out, err));
                child_main(target, identity, parent, armed)
            }
            Ok(ForkResult::Parent { child }) => {
                drop((out, err));
                drop(target);
                if let Some((armed_r, armed_w)) = armed {
                    drop(armed_w);
                    wait_armed(&armed_r, pidfd_open(child).as_ref());
                }
                self.state = State::Started {
                    pid: child,
                    owner: parent,
                    exitcode: None,
                };
                Ok(())
            }
        }
    }

    /// Waits until the process ends (Python: `p.join()`). Joining again is fine.
    ///
    /// Errors: [`ProcessError::NotStarted`] before `start`,
    /// [`ProcessError::NotChild`] in any process other than the one that
    /// started it. (A process cannot get at its own `Process` value: `start`
    /// holds it mutably borrowed while forking, and the child never returns
    /// from there. So Python's "a process cannot join itself" needs no check.)
    pub fn join(&mut self) -> Result<(), ProcessError> {
        self.reap("join", true).map(drop)
    }

    /// Waits at most `timeout` for the process to end; `Ok(true)` if it has
    /// ended (Python: `p.join(timeout)` followed by `not p.is_alive()`).
    ///
    /// It sleeps in `poll(2)` on a pidfd of the child, which wakes up the
    /// moment the child ends. On kernels before 5.3 (no `pidfd_open`) it
    /// falls back to checking with growing pauses of 1 to 50 ms.
    ///
    /// The pidfd is opened for this call only and closed before it
    /// returns: a `Process` holds no descriptor, so processes started
    /// later do not inherit one per earlier child (`fork` copies every
    /// descriptor, and `O_CLOEXEC` only closes them at an `exec`). A
    /// process that another thread forks *during* the call inherits this
    /// one pidfd, until it exits or execs.
    pub fn join_timeout(&mut self, timeout: Duration) -> Result<bool, ProcessError> {
        // A timeout too long to add to the clock is as good as forever.
        let Some(deadline) = Instant::now().checked_add(timeout) else {
            self.join()?;
            return Ok(true);
        };
        let mut pause = Duration::from_millis(1);
        let mut pidfd = None;
        loop {
            if self.reap("join", false)?.is_some() {
                return Ok(true);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(false);
            }
            let left = deadline - now;
            if pidfd.is_none() {
                // Not reaped yet (just checked, and only this process reaps it), so the
                // pid still names our child.
                let State::Started { pid, .. } = self.state else {
                    return Ok(false);
                };
                pidfd = Some(pidfd_open(pid));
            }
            match pidfd.as_ref().and_then(Option::as_ref) {
                Some(fd) => {
                    let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
                    match poll(&mut fds, ceil_millis(left)) {
                        Ok(_) | Err(Errno::EINTR) => {}
                        Err(e) => return Err(self.os("poll", e)),
                    }
                }
                None => {
                    std::thread::sleep(pause.min(left));
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
            }
        }
    }

    /// Whether the process has started and not yet ended (Python: `p.is_alive()`).
    ///
    /// An ended child is reaped here. In a process other than the one that
    /// started it, the answer is always `false`.
    pub fn is_alive(&mut self) -> bool {
        matches!(self.state, State::Started { .. }) && matches!(self.reap("check", false), Ok(None))
    }

    /// The exit code (Python: `p.exitcode`): `None` before start and while
    /// running, `0` after the target returned, `1` after it panicked, the
    /// code it passed to [`exit`], or minus the signal number
    /// when a signal ended it (`-15` for `SIGTERM`, `-9` for `SIGKILL`).
    pub fn exitcode(&mut self) -> Option<i32> {
        self.reap("check", false).ok().flatten()
    }

    /// Asks the process to end by sending `SIGTERM` (Python: `p.terminate()`).
    /// Does nothing if it has already ended and been reaped.
    pub fn terminate(&mut self) -> Result<(), ProcessError> {
        self.signal("terminate", Signal::SIGTERM)
    }

    /// Ends the process with `SIGKILL`, which cannot be caught (Python: `p.kill()`).
    pub fn kill(&mut self) -> Result<(), ProcessError> {
        self.signal("kill", Signal::SIGKILL)
    }

    fn signal(&mut self, action: &'static str, signal: Signal) -> Result<(), ProcessError> {
        let (pid, owner, exitcode) = self.started(action)?;
        self.check_owner(action, owner)?;
        if exitcode.is_some() {
            return Ok(());
        }
        // The child is not reaped yet, so its pid cannot have been reused.
        kill(pid, signal).map_err(|e| self.os(action, e))
    }

    fn started(&self, action: &'static str) -> Result<(Pid, Pid, Option<i32>), ProcessError> {
        match self.state {
            State::New => Err(ProcessError::NotStarted {
                name: self.name.clone(),
                action,
            }),
            State::Started {
                pid,
                owner,
                exitcode,
                ..
            } => Ok((pid, owner, exitcode)),
        }
    }

    fn check_owner(&self, action: &'static str, owner: Pid) -> Result<(), ProcessError> {
        let caller = getpid();
        if caller == owner {
            Ok(())
        } else {
            Err(ProcessError::NotChild {
                name: self.name.clone(),
                action,
                owner: owner.as_raw(),
                caller: caller.as_raw(),
            })
        }
    }

    /// Reaps the child if it has ended (waiting for that if `block`); returns its exit code.
    /// Waits for this pid only, so other children's statuses are left for their owners.
    fn reap(&mut self, action: &'static str, block: bool) -> Result<Option<i32>, ProcessError> {
        let (pid, owner, exitcode) = self.started(action)?;
        if exitcode.is_some() {
            return Ok(exitcode);
        }
        self.check_owner(action, owner)?;
        let flags = if block {
            None
        } else {
            Some(WaitPidFlag::WNOHANG)
        };
        let code = loop {
            match waitpid(pid, flags) {
                Ok(WaitStatus::Exited(_, code)) => break code,
                Ok(WaitStatus::Signaled(_, signal, _)) => break -(signal as i32),
                Ok(WaitStatus::StillAlive) => return Ok(None),
                Ok(_) | Err(Errno::EINTR) => {}
                Err(e) => return Err(self.os("waitpid", e)),
            }
        };
        if let State::Started { exitcode, .. } = &mut self.state {
            *exitcode = Some(code);
        }
        Ok(Some(code))
    }

    fn os(&self, action: &'static str, e: Errno) -> ProcessError {
        ProcessError::Os {
            name: self.name.clone(),
            action,
            source: io::Error::from(e),
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let State::Started {
            owner,
            exitcode: None,
            ..
        } = self.state
        else {
            return;
        };
        // A copy of the value inherited by a child of ours is not the child's to clean up.
        if owner != getpid() {
            return;
        }
        if self.daemon {
            let _ = self.terminate();
            if !matches!(self.join_timeout(DROP_GRACE), Ok(true)) {
                let _ = self.kill();
                let _ = self.join();
            }
        } else {
            let _ = self.join();
        }
    }
}

/// Whether `name_processes_in_panic_reports` has wrapped the hook in this process
/// (a child inherits the wrapper, and this flag with it).
static HOOKED: AtomicBool = AtomicBool::new(false);

/// Wraps the current panic hook, once per process, so that a panic in a child started
/// with [`Process`] is reported after a line `Process <name>:`, as Python reports an
/// exception in a child. Outside such a child the wrapper only calls the old hook. Runs
/// in the parent before the fork: a lock of the hook held by another thread at the
/// instant of a fork would stay locked in the child.
fn name_processes_in_panic_reports() {
    // `take_hook` may not be called while this thread panics (a start from a destructor
    // during unwinding); such a start leaves the hook alone.
    if std::thread::panicking() || HOOKED.swap(true, Ordering::AcqRel) {
        return;
    }
    let hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if let Some(me) = current_identity() {
            let _ = writeln!(io::stderr(), "Process {}:", me.name);
        }
        hook(info);
    }));
}

/// Everything the child does after the fork. Never returns.
fn child_main(
    target: Box<dyn FnOnce()>,
    identity: Identity,
    parent: Pid,
    armed: Option<(OwnedFd, OwnedFd)>,
) -> ! {
    if let Some((armed_r, armed_w)) = armed {
        drop(armed_r);
        // The parent-death signal is sent when the *thread* that forked us exits (for the
        // main thread: when the parent process exits). SIGKILL, because nobody is left to
        // escalate if a gentler signal were ignored.
        if prctl::set_pdeathsig(Signal::SIGKILL).is_err() {
            child_exit(1);
        }
        // If the parent died before the line above, no signal will come: act as if it had.
        if getppid() != parent {
            let _ = raise(Signal::SIGKILL);
            child_exit(1);
        }
        let _ = nix::unistd::write(&armed_w, b"!");
        drop(armed_w);
    }
    COUNTER.store(0, Ordering::Relaxed);
    CURRENT.store(Box::into_raw(Box::new(identity)), Ordering::Release);
    let code = match panic::catch_unwind(AssertUnwindSafe(target)) {
        Ok(()) => 0,
        Err(payload) => {
            // Dropping a panic payload can panic again; we are leaving anyway.
            std::mem::forget(payload);
            1
        }
    };
    child_exit(code)
}

/// Ends the current process at once with exit status `code`, after
/// flushing standard output and error (Python: `os._exit(code)`, the way
/// a forked child should leave).
///
/// Use this, not `std::process::exit`, to leave a child started with
/// [`Process`] early. `std::process::exit` first runs the Rust runtime's
/// clean-up, which takes locks of the standard library; if another thread
/// of the parent held one of them at the instant of the fork, it stays
/// locked in the child forever, and the child hangs on its way out. (The
/// test suite met exactly that: a test's child hung in `exit` while the
/// test harness was starting another thread.) Returning from the target
/// (status 0) and panicking (status 1) are always safe.
pub fn exit(code: i32) -> ! {
    child_exit(code)
}

fn child_exit(code: i32) -> ! {
    let _ = io::stdout().flush();
    let _ = io::stderr().flush();
    // SAFETY: `_exit` ends the process at once. It skips the destructors and `atexit`
    // handlers copied from the parent, which must run (at most) in the parent.
    unsafe { libc::_exit(code) }
}

/// Waits until a daemonic child has armed its parent-death signal, or has died.
fn wait_armed(armed_r: &OwnedFd, pidfd: Option<&OwnedFd>) {
    match pidfd {
        // Watch the pidfd too: if another thread forked while the write end was open, that
        // process holds a copy of it and EOF would not come when our child dies.
        Some(pidfd) => loop {
            let mut fds = [
                PollFd::new(armed_r.as_fd(), PollFlags::POLLIN),
                PollFd::new(pidfd.as_fd(), PollFlags::POLLIN),
            ];
            match poll(&mut fds, PollTimeout::NONE) {
                Err(Errno::EINTR) => continue,
                _ => return,
            }
        },
        None => loop {
            match nix::unistd::read(armed_r, &mut [0u8; 1]) {
                Err(Errno::EINTR) => continue,
                _ => return,
            }
        },
    }
}

/// `pidfd_open(2)`: a file descriptor that becomes readable when the process ends.
fn pidfd_open(pid: Pid) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes two integers and returns a new descriptor or -1; no memory
    // is passed. `pid` is our unreaped child, so it names that child and nobody else.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), 0) };
    let fd = RawFd::try_from(fd).ok().filter(|&fd| fd >= 0)?;
    // SAFETY: the kernel just gave us this descriptor; nothing else owns it.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn ceil_millis(d: Duration) -> PollTimeout {
    let ms = d.as_nanos().div_ceil(1_000_000);
    i32::try_from(ms).map_or(PollTimeout::MAX, |ms| {
        PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX)
    })
}

//! Where a hand-in's code runs: inside a bubblewrap (`bwrap`) sandbox.
//!
//! Two kinds of sandbox, both with `--unshare-all` (no network, a PID
//! namespace of its own, so every process in it dies with it), a clean
//! environment and only what they need mounted, read-only:
//!
//! - the **build** sandbox runs `cargo test --no-run --offline` on the
//!   pristine crate the tool wrote: it sees the toolchain, the registry's
//!   sources, the `washup` library, that one crate and the shared target
//!   folder (the only writable place). No student code runs in it (the
//!   crate has no build script and no proc-macro of its own), but
//!   `include_str!` or `#[path]` could read files at compile time: the
//!   solutions, other hand-ins and the rest of the disk are not there.
//! - the **run** sandbox runs one check: it sees `/usr`, a copy of the
//!   test binary, a fresh `/proc` and `/dev`, and a small private `/tmp`;
//!   no sources at all. When the grader runs as root, the sandbox runs as
//!   `nobody`, so the kernel's own permission checks keep the check's
//!   process memory and descriptors out of the student's reach (see
//!   `exercises/support.rs`). Limits (setrlimit, inherited by everything
//!   in the sandbox) bound processes, memory, CPU time, file size and open
//!   files; the tool's wall-clock deadline kills the sandbox, and with it
//!   every process inside.

use std::ffi::OsString;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

/// How checks are isolated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Isolation {
    /// In bubblewrap sandboxes; the path of `bwrap`.
    Bubblewrap(PathBuf),
    /// Not at all (`--no-sandbox`): the hand-in runs as the grader, with
    /// the grader's files and network. Reports say so.
    None,
}

/// Limits of one check's sandbox, applied with setrlimit to the sandbox's
/// first process and so inherited by every process in it.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Seconds of CPU time each process may use (RLIMIT_CPU).
    pub cpu_seconds: u64,
    /// Bytes of address space per process (RLIMIT_AS): generous, as
    /// each `washup` queue reserves 1 GiB (backed only where written).
    pub address_space: u64,
    /// Bytes of private data (heap) per process (RLIMIT_DATA).
    pub data: u64,
    /// Bytes a file may grow to (RLIMIT_FSIZE).
    pub file_size: u64,
    /// Processes and threads, of the sandbox's user (RLIMIT_NPROC).
    pub processes: u64,
    /// Open files per process (RLIMIT_NOFILE).
    pub open_files: u64,
    /// Bytes of the private `/tmp` (and `/dev/shm`).
    pub scratch: u64,
}

impl Limits {
    /// The limits of a check that may run `seconds` of wall-clock time.
    pub fn for_check(seconds: u64) -> Limits {
        Limits {
            cpu_seconds: 2 * seconds + 5,
            address_space: 16 << 30,
            data: 2 << 30,
            file_size: 64 << 20,
            processes: 512,
            open_files: 1024,
            scratch: 64 << 20,
        }
    }
}

/// The uid and gid a sandbox runs as when the grader is root: `nobody`.
const NOBODY: u32 = 65534;

/// Where the test binary is inside the run sandbox.
pub const CHECK_BINARY: &str = "/check/checks";

impl Isolation {
    /// Finds bubblewrap and makes sure it can make a sandbox here; with
    /// `no_sandbox`, no isolation at all. An error says how to install it.
    pub fn find(no_sandbox: bool) -> anyhow::Result<Isolation> {
        mark_inherited_descriptors_close_on_exec();
        if no_sandbox {
            return Ok(Isolation::None);
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        let Some(bwrap) = std::env::split_paths(&path)
            .map(|dir| dir.join("bwrap"))
            .find(|p| p.is_file())
        else {
            bail!(
                "bubblewrap (`bwrap`) is not installed, and every check runs in its sandbox: \
                 install it (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install \
                 bubblewrap), or pass --no-sandbox to run hand-ins unisolated, as yourself \
                 (only for code you trust)"
            );
        };
        let isolation = Isolation::Bubblewrap(bwrap);
        let mut probe = isolation.run_command(Path::new("/usr/bin/true"), &[], None, None);
        let output = probe.output().context("run bwrap")?;
        if !output.status.success() {
            bail!(
                "bubblewrap cannot make a sandbox here ({}): {} \
                 (user namespaces may be disabled; pass --no-sandbox to run unisolated)",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(isolation)
    }

    /// Whether checks run sandboxed.
    pub fn is_sandboxed(&self) -> bool {
        matches!(self, Isolation::Bubblewrap(_))
    }

    /// The command that builds the crate in `build` with `cargo` (a
    /// toolchain's cargo), into the shared `target` folder; `sources` are
    /// the folders and files of the workspace the crate depends on.
    pub fn build_command(
        &self,
        cargo: &Path,
        build: &Path,
        target: &Path,
        sources: &[PathBuf],
    ) -> Command {
        let toolchain_bin = cargo.parent().map(Path::to_path_buf);
        let cargo_home = cargo_home();
        let mut path = OsString::new();
        if let Some(bin) = &toolchain_bin {
            path.push(bin);
            path.push(":");
        }
        path.push("/usr/bin:/bin");
        let mut env: Vec<(String, OsString)> = vec![
            ("PATH".into(), path),
            ("HOME".into(), "/tmp".into()),
            ("CARGO_TARGET_DIR".into(), target.into()),
            // Every build is of fresh copies in a folder of its own: the
            // incremental cache would only grow, build after build.
            ("CARGO_INCREMENTAL".into(), "0".into()),
            ("CARGO_TERM_COLOR".into(), "never".into()),
        ];
        if let Some(home) = &cargo_home {
            env.push(("CARGO_HOME".into(), home.into()));
        }
        if let Some(rustc) = toolchain_bin.as_ref().map(|b| b.join("rustc"))
            && rustc.is_file()
        {
            env.push(("RUSTC".into(), rustc.into()));
        }
        if let Ok(rustup) = std::env::var("RUSTUP_TOOLCHAIN") {
            env.push(("RUSTUP_TOOLCHAIN".into(), rustup.into()));
        }
        let cargo_args = [
            "test",
            "--offline",
            "--no-run",
            "--quiet",
            "--test",
            "checks",
            "--message-format=json-render-diagnostics",
        ];
        match self {
            Isolation::None => {
                let mut command = Command::new(cargo);
                command.args(cargo_args).current_dir(build).env_clear();
                command.envs(env);
                command
            }
            Isolation::Bubblewrap(bwrap) => {
                let mut command = Command::new(bwrap);
                command.env_clear();
                command.args(["--unshare-all", "--die-with-parent", "--new-session"]);
                command.args(["--cap-drop", "ALL"]);
                system_mounts(&mut command);
                // cc is /usr/bin/cc -> /etc/alternatives/cc on Debian.
                for etc in ["/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf"] {
                    ro_bind_if_there(&mut command, Path::new(etc));
                }
                command.args(["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]);
                if let Some(toolchain) = toolchain_bin.as_ref().and_then(|b| b.parent()) {
                    ro_bind_if_there(&mut command, toolchain);
                }
                if let Ok(rustup) = std::env::var("RUSTUP_HOME") {
                    ro_bind_if_there(&mut command, Path::new(&rustup));
                }
                if let Some(home) = &cargo_home {
                    for sub in ["registry", "git"] {
                        ro_bind_if_there(&mut command, &home.join(sub));
                    }
                }
                for source in sources {
                    ro_bind_if_there(&mut command, source);
                }
                command.arg("--bind").arg(target).arg(target);
                command.arg("--bind").arg(build).arg(build);
                command.arg("--chdir").arg(build);
                command.arg("--clearenv");
                for (key, value) in &env {
                    command.arg("--setenv").arg(key).arg(value);
                }
                command.arg("--").arg(cargo).args(cargo_args);
                command
            }
        }
    }

    /// The command that runs `binary` with `args` in a run sandbox, with
    /// `verdict` (the check's end of the verdict channel) as descriptor
    /// `fd`, and `limits`.
    pub fn run_command(
        &self,
        binary: &Path,
        args: &[&str],
        verdict: Option<(std::os::fd::RawFd, i32)>,
        limits: Option<Limits>,
    ) -> Command {
        let mut env: Vec<(&str, String)> = vec![
            ("PATH", "/usr/bin:/bin".into()),
            ("HOME", "/tmp".into()),
            ("TMPDIR", "/tmp".into()),
            ("RUST_BACKTRACE", "0".into()),
            // glibc reserves 64 MiB of address space per thread arena.
            ("MALLOC_ARENA_MAX", "2".into()),
        ];
        if let Some((_, fd)) = verdict {
            env.push(("WASHUP_VERDICT_FD", fd.to_string()));
        }
        let mut command = match self {
            Isolation::None => {
                let mut command = Command::new(binary);
                command.args(args).env_clear();
                command.envs(env.iter().map(|(k, v)| (k, v)));
                command.env("TMPDIR", std::env::temp_dir());
                command.env("HOME", std::env::temp_dir());
                command.process_group(0);
                command
            }
            Isolation::Bubblewrap(bwrap) => {
                let mut command = Command::new(bwrap);
                command.env_clear();
                command.args([
                    "--unshare-all",
                    "--unshare-user",
                    "--disable-userns",
                    "--die-with-parent",
                    "--new-session",
                ]);
                command.args(["--cap-drop", "ALL"]);
                system_mounts(&mut command);
                ro_bind_if_there(&mut command, Path::new("/etc/ld.so.cache"));
                command.args(["--proc", "/proc", "--dev", "/dev"]);
                let scratch = limits.map_or(64 << 20, |l| l.scratch).to_string();
                for tmp in ["/tmp", "/dev/shm"] {
                    command.args(["--size", &scratch, "--tmpfs", tmp]);
                }
                if binary != Path::new("/usr/bin/true") {
                    command.arg("--ro-bind").arg(binary).arg(CHECK_BINARY);
                }
                command.args(["--chdir", "/tmp", "--clearenv"]);
                for (key, value) in &env {
                    command.args(["--setenv", key, value]);
                }
                // The check's harness then fails a check that leaves a
                // process behind in the sandbox.
                command.args(["--setenv", "WASHUP_SANDBOXED", "1"]);
                command.arg("--");
                if binary == Path::new("/usr/bin/true") {
                    command.arg(binary);
                } else {
                    command.arg(CHECK_BINARY);
                }
                command.args(args);
                command
            }
        };
        let drop_to_nobody = self.is_sandboxed() && nix::unistd::geteuid().is_root();
        let processes_now = if drop_to_nobody {
            0
        } else {
            processes_of(nix::unistd::getuid().as_raw())
        };
        // SAFETY: the closure runs in the forked child before exec and only
        // makes async-signal-safe system calls (dup2, setgroups, setgid,
        // setuid, setrlimit, prctl) on values computed before the fork; it
        // allocates nothing and takes no lock.
        unsafe {
            command.pre_exec(move || {
                use nix::libc;
                if let Some((from, to)) = verdict
                    && libc::dup2(from, to) < 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                if drop_to_nobody
                    && (libc::setgroups(0, std::ptr::null()) != 0
                        || libc::setgid(NOBODY) != 0
                        || libc::setuid(NOBODY) != 0)
                {
                    return Err(std::io::Error::last_os_error());
                }
                if let Some(limits) = limits {
                    let set = |resource, value: u64| {
                        let limit = libc::rlimit {
                            rlim_cur: value,
                            rlim_max: value,
                        };
                        if libc::setrlimit(resource, &limit) == 0 {
                            Ok(())
                        } else {
                            Err(std::io::Error::last_os_error())
                        }
                    };
                    set(libc::RLIMIT_CPU, limits.cpu_seconds)?;
                    set(libc::RLIMIT_AS, limits.address_space)?;
                    set(libc::RLIMIT_DATA, limits.data)?;
                    set(libc::RLIMIT_FSIZE, limits.file_size)?;
                    set(libc::RLIMIT_NPROC, processes_now + limits.processes)?;
                    set(libc::RLIMIT_NOFILE, limits.open_files)?;
                    set(libc::RLIMIT_CORE, 0)?;
                }
                // After setuid, which clears it: the sandbox dies with the
                // grader's thread that started it.
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        command
    }
}

/// `/usr`, and `/bin`, `/lib`, ... as they are here: symbolic links into
/// `/usr` on a merged-usr system, folders otherwise.
fn system_mounts(command: &mut Command) {
    command.args(["--ro-bind", "/usr", "/usr"]);
    for top in ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] {
        let path = Path::new(top);
        match std::fs::read_link(path) {
            Ok(target) => {
                command.arg("--symlink").arg(target).arg(path);
            }
            Err(_) if path.is_dir() => {
                command.arg("--ro-bind").arg(path).arg(path);
            }
            Err(_) => {}
        }
    }
}

fn ro_bind_if_there(command: &mut Command, path: &Path) {
    if path.exists() {
        command.arg("--ro-bind").arg(path).arg(path);
    }
}

/// `$CARGO_HOME`, or `~/.cargo`.
fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .filter(|p| p.is_dir())
}

/// How many processes (and threads) user `uid` runs now: RLIMIT_NPROC
/// counts them all, so a sandbox's limit is on top of these.
fn processes_of(uid: u32) -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut count = 0;
    for entry in entries.flatten() {
        if !entry
            .file_name()
            .to_string_lossy()
            .bytes()
            .all(|b| b.is_ascii_digit())
        {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let mine = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|l| l.split_whitespace().next())
            .is_some_and(|u| u == uid.to_string());
        if mine {
            count += status
                .lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .and_then(|t| t.trim().parse::<u64>().ok())
                .unwrap_or(1);
        }
    }
    count
}

/// Marks every descriptor above 2 that this process inherited as
/// close-on-exec, so none reaches a sandbox (a CI runner's pipes, a
/// jobserver's): descriptors std opens are close-on-exec already.
fn mark_inherited_descriptors_close_on_exec() {
    use nix::libc;
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    let fds: Vec<i32> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse().ok())
        .filter(|fd| *fd > 2)
        .collect();
    for fd in fds {
        // SAFETY: F_GETFD/F_SETFD only change the descriptor's flags; a
        // descriptor closed meanwhile (the read_dir's own) fails harmlessly.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
            }
        }
    }
}

//! Course assignments for Washing Up.
//!
//! Each exercise lives in `exercises/<id>/`:
//!
//! ```text
//! exercise.toml     title, chapter, minutes, task, and one [[check]] per requirement
//! starter/src/      what a student starts from (compiles, fails the checks)
//! solution/src/     the reference solution (passes every check)
//! checks.rs         the checks: one #[test] per requirement, against the student's crate
//! ```
//!
//! `exercises/support.rs` holds helpers every `checks.rs` uses with
//! `mod support;` (the tool copies it next to the checks), among them the
//! verdict guard each check starts with.
//!
//! A hand-in is the `.rs` files of a student's `src/` folder, nothing else
//! (its `Cargo.toml` is the tool's). To check it, the tool copies those
//! files into a pristine crate of its own under `target/`, with the
//! *official* `checks.rs` and `#![forbid(unsafe_code)]` on the student's
//! crate, refuses what the hand-in may not do ([`scan`]), builds it in a
//! sandbox, and runs each check as its own process in a sandbox of its own
//! ([`sandbox`]), with limits and a deadline. A check passes only when its
//! verdict guard reports it over a channel student code cannot reach; a
//! deadlock, a crash or an early exit is a failed check that says so.

pub mod output;
pub mod sandbox;
pub mod scan;

use std::collections::BTreeMap;
use std::fs;
use std::io::Read as _;
use std::os::fd::AsRawFd as _;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

pub use sandbox::Isolation;

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};
use wait_timeout::ChildExt as _;

/// An error in how the tool was asked to do something (an unknown
/// exercise, work that would be overwritten, a folder that is missing), as
/// opposed to something that went wrong while doing it. `cargo exercise`
/// exits with status 2 for these, and 1 for every other error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Whether `error` (or anything in its chain) is a [`UsageError`].
pub fn is_usage_error(error: &anyhow::Error) -> bool {
    error.chain().any(|e| e.is::<UsageError>())
}

/// One exercise, as described by its `exercise.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    /// The folder name, e.g. `stop-the-dryers` (filled in when loading).
    #[serde(skip)]
    pub id: String,
    /// The folder of the exercise (filled in when loading).
    #[serde(skip)]
    pub dir: PathBuf,
    /// A short title.
    pub title: String,
    /// The book page whose end carries the task, e.g. `threads.md`.
    pub chapter: String,
    /// Estimated minutes for a student who has read the chapter.
    pub minutes: u32,
    /// The task, in Markdown, as shown in the book.
    pub task: String,
    /// The files the student edits, relative to the crate (default `src/lib.rs`).
    #[serde(default = "default_files")]
    pub files: Vec<String>,
    /// Extra crates of this workspace the student's crate depends on:
    /// `"kitchens"` adds `washup-kitchens` (the Redis chapter's crate, which
    /// re-exports the `redis` client).
    #[serde(default)]
    pub needs: Vec<String>,
    /// Programs the checks run, which must be on the PATH (e.g.
    /// `"redis-server"`). Without them the checks cannot pass, so `verify`
    /// skips such an exercise, saying so.
    #[serde(default)]
    pub requires: Vec<String>,
    /// Names a hand-in may not use in this exercise (each with the reason
    /// given to the student): e.g. `washup` in an exercise that asks for
    /// a queue of one's own.
    #[serde(default)]
    pub refuse: Vec<Refusal>,
    /// Seconds one check may run before it counts as hung (default 20).
    #[serde(default = "default_limit")]
    pub seconds_per_check: u64,
    /// The requirements, each checked by one test in `checks.rs`.
    #[serde(rename = "check")]
    pub checks: Vec<Check>,
}

fn default_files() -> Vec<String> {
    vec!["src/lib.rs".to_string()]
}

fn default_limit() -> u64 {
    20
}

/// A name a hand-in may not use, and why.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refusal {
    /// The identifier (a crate's name, say), anywhere in the hand-in.
    pub name: String,
    /// Why, as the student reads it.
    pub why: String,
}

/// One requirement and the test that checks it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// The name of the `#[test]` function in `checks.rs`.
    pub test: String,
    /// The requirement, as a student reads it.
    pub requirement: String,
    /// A hint shown when the check fails.
    pub hint: String,
    /// What the check is worth (default 1).
    #[serde(default = "one")]
    pub points: u32,
}

fn one() -> u32 {
    1
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "failure", rename_all = "snake_case")]
pub enum Outcome {
    /// The requirement is met.
    Passed,
    /// The requirement is not met, and why.
    Failed(Failure),
}

/// Why a check failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum Failure {
    /// Nothing to check: no `src/` folder, or no `src/lib.rs`.
    NotHandedIn(String),
    /// The hand-in tried something it may not (what it tried).
    Refused(String),
    /// The compiler's first errors.
    DoesNotCompile(String),
    /// The check ran past its limit (in seconds) and was killed.
    TimedOut(u64),
    /// A check's assertion failed: its message.
    AssertionFailed(String),
    /// The check's process ended before the check was over (an early
    /// `exit`, a crash, a signal, a limit): how it ended.
    EndedEarly(String),
    /// The tool could not run the check (a problem of the grader's, not
    /// of the hand-in).
    Error(String),
}

impl Failure {
    /// A short name of the kind of failure, as in the JSON output.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::NotHandedIn(_) => "not_handed_in",
            Failure::Refused(_) => "refused",
            Failure::DoesNotCompile(_) => "does_not_compile",
            Failure::TimedOut(_) => "timed_out",
            Failure::AssertionFailed(_) => "assertion_failed",
            Failure::EndedEarly(_) => "ended_early",
            Failure::Error(_) => "error",
        }
    }

    /// The reason, in words.
    pub fn reason(&self) -> String {
        match self {
            Failure::NotHandedIn(why) => format!("not handed in: {why}"),
            Failure::Refused(why) => format!("refused: {why}"),
            Failure::DoesNotCompile(errors) => format!("your code does not compile:\n{errors}"),
            Failure::TimedOut(seconds) => format!(
                "did not finish within {seconds} s: a deadlock, or a thread or process that \
                 waits forever?"
            ),
            Failure::AssertionFailed(message) => message.clone(),
            Failure::EndedEarly(how) => format!("the check did not run to its end: {how}"),
            Failure::Error(why) => format!("the grader could not run the check: {why}"),
        }
    }
}

/// One check's result in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The check's test name.
    pub test: String,
    /// What the check is worth.
    pub points: u32,
    /// How it went.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The result of checking one piece of work.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// The exercise's id.
    pub exercise: String,
    /// Whether the checks ran sandboxed (false with `--no-sandbox`).
    pub sandboxed: bool,
    /// Each check's result, in the exercise's order.
    pub results: Vec<CheckResult>,
}

impl Report {
    /// A report in which every check of `exercise` has `failure`.
    pub fn all_failed(exercise: &Exercise, sandboxed: bool, failure: Failure) -> Report {
        Report {
            exercise: exercise.id.clone(),
            sandboxed,
            results: exercise
                .checks
                .iter()
                .map(|c| CheckResult {
                    test: c.test.clone(),
                    points: c.points,
                    outcome: Outcome::Failed(failure.clone()),
                })
                .collect(),
        }
    }

    /// How many checks passed.
    pub fn passed(&self) -> usize {
        self.results
            .iter()
            .filter(|r| r.outcome == Outcome::Passed)
            .count()
    }

    /// How many checks there are.
    pub fn total(&self) -> usize {
        self.results.len()
    }

    /// The points earned.
    pub fn score(&self) -> u32 {
        self.results
            .iter()
            .filter(|r| r.outcome == Outcome::Passed)
            .map(|r| r.points)
            .sum()
    }

    /// The points there are.
    pub fn maximum(&self) -> u32 {
        self.results.iter().map(|r| r.points).sum()
    }

    /// The one failure every check shares, if they all failed alike (a
    /// hand-in that does not compile, or was refused): said once.
    pub fn common_failure(&self) -> Option<&Failure> {
        let first = match &self.results.first()?.outcome {
            Outcome::Failed(
                f @ (Failure::DoesNotCompile(_) | Failure::Refused(_) | Failure::NotHandedIn(_)),
            ) => f,
            _ => return None,
        };
        self.results
            .iter()
            .all(|r| matches!(&r.outcome, Outcome::Failed(f) if f == first))
            .then_some(first)
    }
}

/// The repository layout the tool works in.
#[derive(Debug, Clone)]
pub struct Repo {
    /// The workspace root.
    pub root: PathBuf,
}

impl Default for Repo {
    /// The repository this tool was built in.
    fn default() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        Repo {
            root: root.canonicalize().unwrap_or(root),
        }
    }
}

impl Repo {
    /// `exercises/`.
    pub fn exercises_dir(&self) -> PathBuf {
        self.root.join("exercises")
    }

    /// Where a student's work goes by default: `exercises-work/`.
    pub fn default_work_dir(&self) -> PathBuf {
        self.root.join("exercises-work")
    }

    /// Every exercise, sorted by id.
    pub fn exercises(&self) -> anyhow::Result<Vec<Exercise>> {
        let mut all = Vec::new();
        for entry in fs::read_dir(self.exercises_dir()).context("read exercises/")? {
            let dir = entry?.path();
            if dir.join("exercise.toml").is_file() {
                all.push(load(&dir)?);
            }
        }
        all.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(all)
    }

    /// The exercise `id`.
    pub fn exercise(&self, id: &str) -> anyhow::Result<Exercise> {
        let dir = self.exercises_dir().join(id);
        if !dir.join("exercise.toml").is_file() {
            let known: Vec<String> = self.exercises()?.into_iter().map(|e| e.id).collect();
            return Err(UsageError(format!(
                "no exercise `{id}`; the exercises are: {}",
                known.join(", ")
            ))
            .into());
        }
        load(&dir)
    }

    /// Whether the exercises have their reference solutions: `true` in this
    /// repository, `false` in a student copy (see [`student_copy`]). An
    /// error when only some of them do, which is neither.
    pub fn has_solutions(&self) -> anyhow::Result<bool> {
        let exercises = self.exercises()?;
        let (with, without): (Vec<&Exercise>, Vec<&Exercise>) = exercises
            .iter()
            .partition(|e| e.dir.join("solution").is_dir());
        match (with.is_empty(), without.is_empty()) {
            (_, true) => Ok(true),
            (true, false) => Ok(false),
            (false, false) => {
                let ids: Vec<&str> = without.iter().map(|e| e.id.as_str()).collect();
                bail!(
                    "only some exercises have a solution/ folder; missing in: {}",
                    ids.join(", ")
                )
            }
        }
    }

    /// The `Cargo.toml` of a student's crate for `exercise`.
    pub fn student_manifest(&self, exercise: &Exercise, with_checks: bool) -> String {
        self.manifest(exercise, &format!("exercise-{}", exercise.id), with_checks)
    }

    /// The `Cargo.toml` of a crate for `exercise` named `package`.
    fn manifest(&self, exercise: &Exercise, package: &str, with_checks: bool) -> String {
        let root = self
            .root
            .canonicalize()
            .unwrap_or_else(|_| self.root.clone());
        let mut manifest = format!(
            "# Written by `cargo exercise`. Your code goes in src/.\n\
             [package]\nname = \"{package}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [lib]\nname = \"exercise\"\npath = \"src/lib.rs\"\n\n\
             [dependencies]\nwashup = {{ path = {root:?} }}\ncrossbeam-channel = \"0.5\"\n\n\
             # For the checks (tests) only: signals, waitpid, prctl.\n\
             [dev-dependencies]\nnix = {{ version = \"0.32\", features = [\"process\", \"signal\"] }}\n\n\
             # Not part of the book's workspace.\n[workspace]\n",
            root = root.display().to_string(),
        );
        for need in &exercise.needs {
            if need == "kitchens" {
                manifest = manifest.replace(
                    "crossbeam-channel = \"0.5\"\n",
                    &format!(
                        "crossbeam-channel = \"0.5\"\nwashup-kitchens = {{ path = {:?} }}\n",
                        root.join("kitchens").display().to_string()
                    ),
                );
            }
        }
        if with_checks {
            manifest.push_str("\n[[test]]\nname = \"checks\"\npath = \"checks.rs\"\n");
        }
        manifest
    }

    /// Copies the starter of `exercise` into `work/<id>/`, with a
    /// `Cargo.toml`, and never the solution. Refuses to overwrite work
    /// unless `force`.
    pub fn start(&self, exercise: &Exercise, work: &Path, force: bool) -> anyhow::Result<PathBuf> {
        let dest = work.join(&exercise.id);
        if dest.exists() && !force {
            return Err(UsageError(format!(
                "{} already exists: your work is kept (use --force to start over)",
                dest.display()
            ))
            .into());
        }
        if dest.exists() {
            fs::remove_dir_all(&dest)
                .with_context(|| format!("remove {} to start over", dest.display()))?;
        }
        copy_dir(&exercise.dir.join("starter"), &dest)?;
        fs::write(
            dest.join("Cargo.toml"),
            self.student_manifest(exercise, false),
        )?;
        fs::write(dest.join(".gitignore"), "/target\n")?;
        Ok(dest)
    }

    /// Checks the hand-in in `work` (the `.rs` files of its `src/`): copies
    /// them into a pristine crate with the official checks, refuses what
    /// they may not do, builds them, then runs each check in its own
    /// sandbox (see [`sandbox`]) with a time limit. `progress` hears what
    /// is going on (building, running a check), for a person waiting.
    pub fn check(
        &self,
        exercise: &Exercise,
        work: &Path,
        isolation: &Isolation,
        progress: &dyn Fn(&str),
    ) -> anyhow::Result<Report> {
        let sandboxed = isolation.is_sandboxed();
        if !work.join("src").is_dir() {
            return Ok(Report::all_failed(
                exercise,
                sandboxed,
                Failure::NotHandedIn("no src/ folder".into()),
            ));
        }
        let (build, package) = self.build_dir(exercise, work);
        if build.exists() {
            fs::remove_dir_all(&build)?;
        }
        fs::create_dir_all(&build)?;
        let hand_in = match copy_hand_in(&work.join("src"), &build.join("src")) {
            Ok(files) => files,
            Err(HandInError::Refused(why)) => {
                let _ = fs::remove_dir_all(&build);
                return Ok(Report::all_failed(
                    exercise,
                    sandboxed,
                    Failure::Refused(why),
                ));
            }
            Err(HandInError::Io(error)) => return Err(error),
        };
        if !hand_in.iter().any(|f| f == Path::new("lib.rs")) {
            let _ = fs::remove_dir_all(&build);
            return Ok(Report::all_failed(
                exercise,
                sandboxed,
                Failure::NotHandedIn("no src/lib.rs".into()),
            ));
        }
        for file in &hand_in {
            let source = fs::read_to_string(build.join("src").join(file)).unwrap_or_default();
            let name = format!("src/{}", file.display());
            if let Some(why) = scan::refusal(&name, &source, &exercise.refuse) {
                let _ = fs::remove_dir_all(&build);
                return Ok(Report::all_failed(
                    exercise,
                    sandboxed,
                    Failure::Refused(why),
                ));
            }
        }
        // The crate root forbids unsafe code, which also forbids code that
        // runs before main (#[link_section]) and symbols that replace the
        // checks' (#[no_mangle], #[export_name]). An inner attribute may
        // lead the file; on the first line, so the compiler's line numbers
        // stay the student's.
        let lib = build.join("src/lib.rs");
        let source = fs::read_to_string(&lib)?;
        fs::write(&lib, format!("{FORBID}{source}"))?;
        fs::copy(exercise.dir.join("checks.rs"), build.join("checks.rs"))
            .context("copy the official checks")?;
        // Helpers shared by every exercise's checks (`mod support;`).
        let support = self.exercises_dir().join("support.rs");
        if support.is_file() {
            fs::copy(&support, build.join("support.rs")).context("copy the checks' helpers")?;
        }
        fs::write(
            build.join("Cargo.toml"),
            self.manifest(exercise, &package, true),
        )?;
        if let Ok(lock) = fs::read(self.root.join("Cargo.lock")) {
            fs::write(build.join("Cargo.lock"), lock)?;
        }
        progress(&format!(
            "building your code with the checks{}",
            if self.exercises_target().join("debug").is_dir() {
                ""
            } else {
                " (the first build compiles the libraries: a minute or more)"
            }
        ));
        let built = self.compile(exercise, &build, &package, isolation);
        let _ = fs::remove_dir_all(&build);
        let binary = match built? {
            Ok(binary) => binary,
            Err(compiler) => {
                return Ok(Report::all_failed(
                    exercise,
                    sandboxed,
                    Failure::DoesNotCompile(first_errors(&compiler)),
                ));
            }
        };
        let limit = Duration::from_secs(exercise.seconds_per_check);
        let mut results = Vec::new();
        for check in &exercise.checks {
            progress(&format!("checking {}", check.test));
            let outcome = run_check(isolation, &binary, &check.test, limit)
                .unwrap_or_else(|error| Outcome::Failed(Failure::Error(format!("{error:#}"))));
            results.push(CheckResult {
                test: check.test.clone(),
                points: check.points,
                outcome,
            });
        }
        if let Some(dir) = binary.parent() {
            let _ = fs::remove_dir_all(dir);
        }
        Ok(Report {
            exercise: exercise.id.clone(),
            sandboxed,
            results,
        })
    }

    /// The target folder all builds of hand-ins share, so the libraries
    /// are compiled once.
    fn exercises_target(&self) -> PathBuf {
        self.root.join("target/exercises/target")
    }

    /// The scratch folder where `work` is built with the checks, and the
    /// name of the package built there. Both are unique to `work`: builds
    /// share one target folder (so the libraries are compiled once), and
    /// the test binary's name comes from the package's, so two checks of
    /// one exercise running at once (a class being graded while a student
    /// checks, or tests in parallel) must not build the same binary.
    fn build_dir(&self, exercise: &Exercise, work: &Path) -> (PathBuf, String) {
        // FNV-1a: stable from run to run, so a folder keeps its build.
        let hash = work
            .as_os_str()
            .as_encoded_bytes()
            .iter()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
            });
        let label: String = work
            .to_string_lossy()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let label = label
            .trim_matches('_')
            .chars()
            .rev()
            .take(60)
            .collect::<String>();
        let label: String = label.chars().rev().collect();
        let dir = self
            .root
            .join("target/exercises/builds")
            .join(format!("{}--{label}-{hash:016x}", exercise.id));
        (dir, format!("exercise-{}-{hash:016x}", exercise.id))
    }

    /// The workspace's files a hand-in's crate builds from: the `washup`
    /// package (and `kitchens` when the exercise needs it), never
    /// `exercises/`, nor any hand-in.
    fn build_sources(&self, exercise: &Exercise) -> Vec<PathBuf> {
        let mut sources: Vec<PathBuf> = ["Cargo.toml", "Cargo.lock", "src"]
            .iter()
            .map(|p| self.root.join(p))
            .collect();
        if exercise.needs.iter().any(|n| n == "kitchens") {
            sources.push(self.root.join("kitchens"));
        }
        sources
    }

    /// Compiles the checks (in the build sandbox) and copies the test
    /// binary into a folder of its own; `Ok(Err(text))` when the code does
    /// not compile.
    fn compile(
        &self,
        exercise: &Exercise,
        build: &Path,
        package: &str,
        isolation: &Isolation,
    ) -> anyhow::Result<Result<PathBuf, String>> {
        let cargo = toolchain_cargo()?;
        let target = self.exercises_target();
        fs::create_dir_all(&target)?;
        let mut child = isolation
            .build_command(&cargo, build, &target, &self.build_sources(exercise))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("run cargo")?;
        let stdout = read_capped(child.stdout.take().context("stdout")?, BUILD_OUTPUT_KEPT);
        let stderr = read_capped(child.stderr.take().context("stderr")?, BUILD_OUTPUT_KEPT);
        // Compiling runs no student code, but the compiler can be kept
        // busy (a constant evaluated forever, macros that explode).
        let Some(status) = child.wait_timeout(BUILD_LIMIT)? else {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(Err(format!(
                "error: the build did not finish within {} s",
                BUILD_LIMIT.as_secs()
            )));
        };
        let stdout = stdout.collect(Duration::from_secs(2));
        let stderr = stderr.collect(Duration::from_secs(2));
        if !status.success() {
            // The hand-in's package (the checks, built with it, compile
            // with the solution: `verify` proves it).
            if stderr.contains(&format!("could not compile `{package}`")) {
                return Ok(Err(stderr));
            }
            bail!("the build failed ({status}): {stderr}");
        }
        for line in stdout.lines() {
            let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if message["reason"] == "compiler-artifact"
                && message["target"]["name"] == "checks"
                && let Some(exe) = message["executable"].as_str()
            {
                return Ok(Ok(private_copy(Path::new(exe))?));
            }
        }
        bail!("cargo built the checks but did not say where the test binary is")
    }
}

/// The toolchain's own `cargo` (not rustup's proxy, which needs rustup's
/// settings): `$CARGO` when it sits next to `rustc`, as under `cargo
/// exercise`, else the one in `rustc --print sysroot`.
fn toolchain_cargo() -> anyhow::Result<PathBuf> {
    if let Some(cargo) = std::env::var_os("CARGO").map(PathBuf::from)
        && cargo.with_file_name("rustc").is_file()
    {
        return Ok(cargo);
    }
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc)
        .args(["--print", "sysroot"])
        .stdin(Stdio::null())
        .output()
        .context("run rustc --print sysroot (is Rust installed?)")?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    let cargo = sysroot.join("bin/cargo");
    if !output.status.success() || !cargo.is_file() {
        bail!("no cargo in the toolchain at {}", sysroot.display());
    }
    Ok(cargo)
}

/// Moves a freshly built test binary into a new folder of its own, that
/// the sandbox's user may read (the run sandbox mounts only that file).
fn private_copy(binary: &Path) -> anyhow::Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "washup-check-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir(&dir).with_context(|| format!("create {}", dir.display()))?;
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755))?;
    let copy = dir.join("checks");
    fs::copy(binary, &copy).context("copy the test binary")?;
    fs::set_permissions(&copy, fs::Permissions::from_mode(0o755))?;
    // Each hand-in builds a binary of its own: a class's worth would pile up.
    let _ = fs::remove_file(binary);
    Ok(copy)
}

/// Why a hand-in's files were not taken.
enum HandInError {
    /// The hand-in is not what a hand-in may be: why.
    Refused(String),
    /// Reading or writing failed.
    Io(anyhow::Error),
}

/// The most a hand-in's `.rs` files may weigh together.
const HAND_IN_BYTES: u64 = 1 << 20;

/// Copies the `.rs` files under `from` to `to` (other files are not part
/// of a hand-in), refusing symbolic links (which could point at a
/// solution), deep folders and oversized hand-ins. Returns the files
/// copied, relative to `from`.
fn copy_hand_in(from: &Path, to: &Path) -> Result<Vec<PathBuf>, HandInError> {
    let io = |e: std::io::Error| HandInError::Io(e.into());
    let mut files = Vec::new();
    let mut bytes = 0;
    let mut folders = vec![PathBuf::new()];
    while let Some(relative) = folders.pop() {
        if relative.components().count() > 8 {
            return Err(HandInError::Refused(format!(
                "src/{}: folders nested too deep",
                relative.display()
            )));
        }
        fs::create_dir_all(to.join(&relative)).map_err(io)?;
        for entry in fs::read_dir(from.join(&relative)).map_err(io)? {
            let entry = entry.map_err(io)?;
            let path = relative.join(entry.file_name());
            let kind = entry.file_type().map_err(io)?;
            if kind.is_symlink() {
                return Err(HandInError::Refused(format!(
                    "src/{} is a symbolic link (a hand-in is its own files)",
                    path.display()
                )));
            } else if kind.is_dir() {
                folders.push(path);
            } else if kind.is_file() && path.extension().is_some_and(|e| e == "rs") {
                bytes += entry.metadata().map_err(io)?.len();
                if bytes > HAND_IN_BYTES {
                    return Err(HandInError::Refused(format!(
                        "the .rs files weigh more than {} KiB",
                        HAND_IN_BYTES >> 10
                    )));
                }
                fs::copy(entry.path(), to.join(&path)).map_err(io)?;
                files.push(path);
            }
        }
    }
    Ok(files)
}

fn load(dir: &Path) -> anyhow::Result<Exercise> {
    let path = dir.join("exercise.toml");
    let text = fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))?;
    let mut exercise: Exercise = toml::from_str(&text)
        .with_context(|| format!("{} is not a valid exercise", path.display()))?;
    exercise.id = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    exercise.dir = dir.to_path_buf();
    if let Some(unknown) = exercise.needs.iter().find(|n| n.as_str() != "kitchens") {
        bail!(
            "{}: unknown entry {unknown:?} in `needs` (known: \"kitchens\")",
            path.display()
        );
    }
    Ok(exercise)
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from).with_context(|| format!("read {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// What the tool puts before the first line of a hand-in's `src/lib.rs`.
const FORBID: &str = "#![forbid(unsafe_code)] ";

/// The first few `error` blocks of the compiler's output, as the student's
/// own file would give them (without [`FORBID`] on line 1).
fn first_errors(compiler: &str) -> String {
    let shift = FORBID.len();
    let mut after_forbid = false;
    let lines: Vec<String> = compiler
        .lines()
        .skip_while(|l| !l.starts_with("error"))
        .take(25)
        .map(|line| {
            if let Some(at) = line.find(FORBID) {
                after_forbid = true;
                return format!("{}{}", &line[..at], &line[at + shift..]);
            }
            // The markers under that line, and the column of line 1.
            let gutter = line.find("| ");
            if after_forbid
                && let Some(g) = gutter
                && line[..g].trim().is_empty()
                && line.len() > g + 2 + shift
                && line[g + 2..g + 2 + shift].trim().is_empty()
            {
                return format!("{}{}", &line[..g + 2], &line[g + 2 + shift..]);
            }
            after_forbid = false;
            if let Some(rest) = line.trim_start().strip_prefix("--> src/lib.rs:1:")
                && let Ok(column) = rest.parse::<usize>()
            {
                let indent = &line[..line.len() - line.trim_start().len()];
                return format!(
                    "{indent}--> src/lib.rs:1:{}",
                    column.saturating_sub(shift).max(1)
                );
            }
            line.to_string()
        })
        .collect();
    if lines.is_empty() {
        compiler.trim().replace(FORBID, "")
    } else {
        lines.join("\n")
    }
}

/// The most of a build's output kept (cargo's messages, the compiler's).
const BUILD_OUTPUT_KEPT: usize = 16 << 20;

/// How long a build may take: the first one of an exercise compiles the
/// libraries too (the Redis client takes over a minute on 2 busy cores).
const BUILD_LIMIT: Duration = Duration::from_secs(600);

/// The most of a check's output kept (for the failure's message); the rest
/// is read and dropped, so a chatty check never blocks on a full pipe.
const OUTPUT_KEPT: usize = 64 << 10;

/// Runs one check of the test binary in its sandbox, with a time limit,
/// and judges it by its verdict channel. A check that runs past the limit
/// is killed, with everything it started.
fn run_check(
    isolation: &Isolation,
    binary: &Path,
    test: &str,
    limit: Duration,
) -> anyhow::Result<Outcome> {
    let (verdict, theirs) = UnixStream::pair().context("make the verdict channel")?;
    // Any free number does; a different one each run is one more thing a
    // hand-in would have to guess.
    let fd = 100
        + i32::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
                % 800,
        )
        .unwrap_or(0);
    // No `--nocapture`: libtest keeps what a test prints (and shows it
    // only when the test fails).
    let args = ["--exact", test, "--test-threads", "1", "--color", "never"];
    let mut child = isolation
        .run_command(
            binary,
            &args,
            Some((theirs.as_raw_fd(), fd)),
            Some(sandbox::Limits::for_check(limit.as_secs())),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("start the check's sandbox")?;
    drop(theirs);
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).context("pid")?);
    let stdout = read_capped(child.stdout.take().context("stdout")?, OUTPUT_KEPT);
    let stderr = read_capped(child.stderr.take().context("stderr")?, OUTPUT_KEPT);
    let status = child.wait_timeout(limit)?;
    if !isolation.is_sandboxed() {
        // Unsandboxed, what the check started is in its process group.
        let _ = nix::sys::signal::killpg(pid, nix::sys::signal::Signal::SIGKILL);
    }
    let status = match status {
        Some(status) => status,
        None => {
            // Killing bwrap kills the sandbox's first process (it dies with
            // its parent), and the kernel then kills every process in its
            // PID namespace.
            let _ = child.kill();
            let _ = child.wait();
            return Ok(Outcome::Failed(Failure::TimedOut(limit.as_secs())));
        }
    };
    // The verdict was written before the check's process ended; read what
    // is there, never waiting long (a process left holding it is gone with
    // the sandbox, and unsandboxed it is not waited for).
    verdict.set_read_timeout(Some(Duration::from_millis(500)))?;
    let mut said = Vec::new();
    let _ = (&verdict).take(64).read_to_end(&mut said);
    let stdout = stdout.collect(Duration::from_secs(2));
    let stderr = stderr.collect(Duration::from_secs(2));
    Ok(judge(status, &said, &stdout, &stderr))
}

/// A pipe's contents, read on a thread of its own.
struct Capped {
    text: Arc<Mutex<Vec<u8>>>,
    done: mpsc::Receiver<()>,
}

impl Capped {
    /// What was read, waiting at most `grace` for the end of it.
    fn collect(self, grace: Duration) -> String {
        let _ = self.done.recv_timeout(grace);
        let bytes = self.text.lock().map(|t| t.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

fn read_capped(mut pipe: impl std::io::Read + Send + 'static, cap: usize) -> Capped {
    let text = Arc::new(Mutex::new(Vec::new()));
    let (tx, done) = mpsc::channel();
    let keep = Arc::clone(&text);
    std::thread::spawn(move || {
        let mut buffer = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut buffer) {
            if n == 0 {
                break;
            }
            if let Ok(mut kept) = keep.lock() {
                let room = cap.saturating_sub(kept.len());
                kept.extend_from_slice(&buffer[..n.min(room)]);
            }
        }
        let _ = tx.send(());
    });
    Capped { text, done }
}

/// The verdict on one check: passed only when the check's verdict guard
/// said so over its channel (which student code cannot reach) and the
/// process then ended well. What the process printed only explains a
/// failure.
fn judge(status: ExitStatus, verdict: &[u8], stdout: &str, stderr: &str) -> Outcome {
    if verdict == b"passed\n" && status.success() {
        return Outcome::Passed;
    }
    if let Some(message) = panic_message(&format!("{stdout}{stderr}")) {
        return Outcome::Failed(Failure::AssertionFailed(message));
    }
    if stdout.trim_start().starts_with("running 0 tests") {
        return Outcome::Failed(Failure::Error(
            "the test binary ran no test of that name (checks.rs lacks it?)".into(),
        ));
    }
    use std::os::unix::process::ExitStatusExt as _;
    // bubblewrap's first process reports a command killed by signal N as
    // exit status 128 + N.
    let signal = status.signal().or_else(|| {
        status
            .code()
            .filter(|c| (129..160).contains(c))
            .map(|c| c - 128)
    });
    let how = match (status.code(), signal) {
        (_, Some(9)) => "the test process was killed (signal 9): a limit on memory, \
                         processes or CPU time?"
            .to_string(),
        (_, Some(24)) => "the test process used up its CPU time (signal 24)".to_string(),
        (_, Some(25)) => {
            "the test process wrote a file past the size limit (signal 25)".to_string()
        }
        (_, Some(signal)) => format!("the test process was killed by signal {signal}"),
        (Some(0), None) => "the test process exited with status 0 before the check was over \
                            (does your code call std::process::exit?)"
            .to_string(),
        (Some(code), None) => format!("the test process exited with status {code}"),
        (None, None) => "the test process ended".to_string(),
    };
    Outcome::Failed(Failure::EndedEarly(how))
}

/// The panic message of a failed test, from libtest's output: printable
/// text only, at most 30 lines.
fn panic_message(text: &str) -> Option<String> {
    let mut lines = text.lines().skip_while(|l| !l.contains("panicked at"));
    lines.next()?;
    let message: Vec<String> = lines
        .take_while(|l| {
            !l.starts_with("note:")
                && !l.starts_with("stack backtrace")
                && !l.trim().is_empty()
                && !l.starts_with("failures:")
        })
        .take(30)
        .map(|l| {
            l.chars()
                .filter(|c| !c.is_control() || *c == '\t')
                .collect()
        })
        .collect();
    if message.is_empty() {
        Some("the check failed (it panicked)".to_string())
    } else {
        Some(message.join("\n"))
    }
}

/// Saves a report next to the work, for `list`.
pub fn save_report(work: &Path, report: &Report) -> anyhow::Result<()> {
    fs::write(
        work.join(".last-check.json"),
        serde_json::to_string_pretty(report)?,
    )?;
    Ok(())
}

/// The last saved report of some work, if any.
pub fn last_report(work: &Path) -> Option<Report> {
    let text = fs::read_to_string(work.join(".last-check.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// Grades every submission folder in `submissions` (one folder per
/// student, each holding `src/`), `jobs` at a time, each in sandboxes of
/// its own. Whatever goes wrong with one hand-in is that student's row,
/// never the class's: `on_row` hears each row as soon as it is graded
/// (for a CSV written as grading goes), and the rows come back by student.
pub fn grade(
    repo: &Repo,
    exercise: &Exercise,
    submissions: &Path,
    isolation: &Isolation,
    jobs: usize,
    on_row: &mut dyn FnMut(&str, &Report),
) -> anyhow::Result<BTreeMap<String, Report>> {
    let mut students = Vec::new();
    for entry in
        fs::read_dir(submissions).with_context(|| format!("read {}", submissions.display()))?
    {
        let entry = entry?;
        // A symbolic link is not a student's folder (it could be anything).
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let student = entry.file_name().to_string_lossy().into_owned();
        if student.starts_with('.') {
            continue;
        }
        students.push((student, entry.path()));
    }
    students.sort();
    let queue = Arc::new(Mutex::new(students.into_iter().rev().collect::<Vec<_>>()));
    let (tx, rx) = mpsc::channel::<(String, Report)>();
    let mut rows = BTreeMap::new();
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            let queue = Arc::clone(&queue);
            let tx = tx.clone();
            scope.spawn(move || {
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.pop());
                    let Some((student, dir)) = next else { break };
                    let report = repo
                        .check(exercise, &dir, isolation, &|_| {})
                        .unwrap_or_else(|error| {
                            Report::all_failed(
                                exercise,
                                isolation.is_sandboxed(),
                                Failure::Error(format!("{error:#}")),
                            )
                        });
                    if tx.send((student, report)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (student, report) in rx {
            on_row(&student, &report);
            rows.insert(student, report);
        }
    });
    Ok(rows)
}

/// The programs `exercise` requires that are not on the PATH.
pub fn missing_programs(exercise: &Exercise) -> Vec<String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    exercise
        .requires
        .iter()
        .filter(|program| !std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
        .cloned()
        .collect()
}

/// The CI proof for one exercise: its starter compiles and fails *every*
/// check (a check the starter passes is a free point); its solution passes
/// every check. Returns what is wrong.
pub fn verify(
    repo: &Repo,
    exercise: &Exercise,
    isolation: &Isolation,
) -> anyhow::Result<Vec<String>> {
    let solution_dir = exercise.dir.join("solution");
    if !solution_dir.is_dir() {
        bail!(
            "{}: no solution/ folder (a student copy has none): verify needs the solutions",
            exercise.id
        );
    }
    let mut problems = Vec::new();
    let starter = repo.check(exercise, &exercise.dir.join("starter"), isolation, &|_| {})?;
    if let Some(failure) = starter.common_failure() {
        problems.push(format!(
            "{}: the starter is not checked: {}",
            exercise.id,
            failure.reason()
        ));
    }
    for result in &starter.results {
        if result.outcome == Outcome::Passed {
            problems.push(format!(
                "{}: the starter passes `{}` (a starter must fail every check)",
                exercise.id, result.test
            ));
        }
    }
    let solution = repo.check(exercise, &solution_dir, isolation, &|_| {})?;
    for result in &solution.results {
        if let Outcome::Failed(why) = &result.outcome {
            problems.push(format!(
                "{}: the solution fails `{}`: {}",
                exercise.id,
                result.test,
                why.reason()
            ));
        }
    }
    Ok(problems)
}

/// Makes `dest` a copy of the repository at `root` as committed (a `git
/// clone` without its history), with every `exercises/*/solution` removed:
/// what to hand to students.
pub fn student_copy(root: &Path, dest: &Path) -> anyhow::Result<()> {
    if dest.exists() {
        return Err(UsageError(format!("{} already exists", dest.display())).into());
    }
    let status = Command::new("git")
        .args(["clone", "--quiet", "--no-hardlinks"])
        .arg(root)
        .arg(dest)
        .status()
        .context("run git clone")?;
    if !status.success() {
        bail!("git clone failed ({status})");
    }
    // The history holds the solutions too.
    fs::remove_dir_all(dest.join(".git")).context("remove the history")?;
    for entry in fs::read_dir(dest.join("exercises"))? {
        let solution = entry?.path().join("solution");
        if solution.is_dir() {
            fs::remove_dir_all(&solution)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt as _;

    fn exited(code: i32) -> ExitStatus {
        ExitStatus::from_raw(code << 8)
    }

    const PASSED: &str = "\nrunning 1 test\ntest dries ... ok\n\n\
        test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 5 filtered out; finished in 0.00s\n\n";

    #[test]
    fn a_check_passes_only_by_its_verdict() {
        assert_eq!(judge(exited(0), b"passed\n", PASSED, ""), Outcome::Passed);
        // libtest's words, or an exit status of 0, are not a verdict.
        assert_ne!(judge(exited(0), b"", PASSED, ""), Outcome::Passed);
        assert_ne!(
            judge(exited(0), b"passed\npassed\n", PASSED, ""),
            Outcome::Passed
        );
        // The verdict, but the process then failed.
        assert_ne!(judge(exited(101), b"passed\n", PASSED, ""), Outcome::Passed);
    }

    #[test]
    fn exiting_with_0_before_the_check_is_over_fails_it() {
        let quit = "\nrunning 1 test\ntest dries ... ";
        let Outcome::Failed(Failure::EndedEarly(why)) = judge(exited(0), b"", quit, "") else {
            panic!("exit(0) passed");
        };
        assert!(why.contains("std::process::exit"), "{why}");
    }

    #[test]
    fn a_failed_check_says_why() {
        let failed = "\nrunning 1 test\ntest dries ... FAILED\n\nfailures:\n\n---- dries stdout ----\n\n\
            thread 'dries' (7) panicked at checks.rs:3:5:\n2 dishes washed, 1 dried\n\
            note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\n\n\
            failures:\n    dries\n\ntest result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 5 filtered out\n";
        assert_eq!(
            judge(exited(101), b"", failed, ""),
            Outcome::Failed(Failure::AssertionFailed("2 dishes washed, 1 dried".into()))
        );
        let killed = judge(
            ExitStatus::from_raw(11),
            b"",
            "\nrunning 1 test\ntest dries ... ",
            "",
        );
        assert!(
            matches!(&killed, Outcome::Failed(Failure::EndedEarly(why)) if why.contains("signal 11")),
            "{killed:?}"
        );
    }
}

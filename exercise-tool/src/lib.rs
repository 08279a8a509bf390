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
//! `exercises/support.rs` holds helpers every `checks.rs` may use with
//! `mod support;` (the tool copies it next to the checks).
//!
//! A student's work is a small crate: `Cargo.toml` (written by `start`) and
//! `src/`. To check it, the tool builds the student's `src/` together with
//! the *official* `checks.rs` in a scratch folder under `target/`, so a
//! student cannot weaken the checks by editing them. Each check runs as its
//! own process, in its own process group, with a time limit: a deadlock or
//! a hang becomes a failed check with a clear message, never a hung
//! terminal.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

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
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// The requirement is met.
    Passed,
    /// The requirement is not met: why.
    Failed(String),
}

/// The result of checking one piece of work.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// The exercise's id.
    pub exercise: String,
    /// Each check's test name and outcome, in the exercise's order.
    pub results: Vec<(String, Outcome)>,
}

impl Report {
    /// How many checks passed.
    pub fn passed(&self) -> usize {
        self.results
            .iter()
            .filter(|(_, o)| *o == Outcome::Passed)
            .count()
    }

    /// How many checks there are.
    pub fn total(&self) -> usize {
        self.results.len()
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

    /// Builds the student's crate in `work` (its `src/` only) with the
    /// official checks, then runs each check with a time limit.
    pub fn check(&self, exercise: &Exercise, work: &Path) -> anyhow::Result<Report> {
        if !work.join("src").is_dir() {
            return Err(UsageError(format!(
                "{} has no src/ folder (start the exercise first: cargo exercise start {})",
                work.display(),
                exercise.id
            ))
            .into());
        }
        let (build, package) = self.build_dir(exercise, work);
        if build.exists() {
            fs::remove_dir_all(&build)?;
        }
        copy_dir(&work.join("src"), &build.join("src"))?;
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
        let binary = match self.compile(&build)? {
            Ok(binary) => binary,
            Err(compiler) => {
                let why = format!("your code does not compile:\n{}", first_errors(&compiler));
                let results = exercise
                    .checks
                    .iter()
                    .map(|c| (c.test.clone(), Outcome::Failed(why.clone())))
                    .collect();
                return Ok(Report {
                    exercise: exercise.id.clone(),
                    results,
                });
            }
        };
        let limit = Duration::from_secs(exercise.seconds_per_check);
        let mut results = Vec::new();
        for check in &exercise.checks {
            results.push((check.test.clone(), run_check(&binary, &check.test, limit)?));
        }
        // Each build has a binary of its own (see `build_dir`), rebuilt by
        // every check: do not let a class's worth of them pile up.
        let _ = fs::remove_file(&binary);
        Ok(Report {
            exercise: exercise.id.clone(),
            results,
        })
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

    /// Compiles the checks; `Ok(Err(text))` when the code does not compile.
    fn compile(&self, build: &Path) -> anyhow::Result<Result<PathBuf, String>> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let output = Command::new(cargo)
            .args(["test", "--no-run", "--quiet", "--test", "checks"])
            .arg("--message-format=json-render-diagnostics")
            .arg("--manifest-path")
            .arg(build.join("Cargo.toml"))
            .env(
                "CARGO_TARGET_DIR",
                self.root.join("target/exercises/target"),
            )
            .env_remove("RUSTFLAGS")
            // Every build is of fresh copies in a folder of its own: the
            // incremental cache would only grow, build after build.
            .env("CARGO_INCREMENTAL", "0")
            .stdin(Stdio::null())
            .output()
            .context("run cargo")?;
        if !output.status.success() {
            return Ok(Err(String::from_utf8_lossy(&output.stderr).into_owned()));
        }
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if message["reason"] == "compiler-artifact"
                && message["target"]["name"] == "checks"
                && let Some(exe) = message["executable"].as_str()
            {
                return Ok(Ok(PathBuf::from(exe)));
            }
        }
        bail!("cargo built the checks but did not say where the test binary is")
    }
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

/// The first few `error` blocks of the compiler's output.
fn first_errors(compiler: &str) -> String {
    let lines: Vec<&str> = compiler
        .lines()
        .skip_while(|l| !l.starts_with("error"))
        .take(25)
        .collect();
    if lines.is_empty() {
        compiler.trim().to_string()
    } else {
        lines.join("\n")
    }
}

/// Runs one test of the checks binary in its own process group, with a
/// time limit. A test that runs past it is killed (with everything it
/// started) and fails as hung.
fn run_check(binary: &Path, test: &str, limit: Duration) -> anyhow::Result<Outcome> {
    use std::os::unix::process::CommandExt as _;
    // No `--nocapture` or `--show-output`: libtest keeps what a test prints
    // to itself (and shows it only when the test fails), so student code
    // cannot print a result line of its own into the report we read.
    let mut child = Command::new(binary)
        .args(["--exact", test, "--test-threads", "1", "--color", "never"])
        .env("RUST_BACKTRACE", "0")
        // The same switch as `--nocapture`, should the caller have it set.
        .env_remove("RUST_TEST_NOCAPTURE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .context("run the checks")?;
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).context("pid")?);
    // Read the output on threads, so a chatty test cannot block on a full pipe.
    let mut stdout = child.stdout.take().context("stdout")?;
    let mut stderr = child.stderr.take().context("stderr")?;
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let status = child.wait_timeout(limit)?;
    // Whatever the test left running (threads die with it; processes it
    // forked are in its group) is ended here.
    let _ = nix::sys::signal::killpg(pid, nix::sys::signal::Signal::SIGKILL);
    let status = match status {
        Some(status) => status,
        None => {
            let _ = child.wait();
            return Ok(Outcome::Failed(format!(
                "did not finish within {} s: a deadlock, or a thread or process that waits forever?",
                limit.as_secs()
            )));
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    // libtest writes its header before any test code runs, so this line
    // comes from libtest itself: the official checks lack the test.
    if stdout.trim_start().starts_with("running 0 tests") {
        bail!("checks.rs has no test named `{test}` (exercise.toml names it)");
    }
    Ok(judge(test, status, &stdout, &stderr))
}

/// libtest's verdict on the one test it was asked to run.
///
/// A zero exit status is not enough: libtest prints `test NAME ... ` before
/// it runs the test, so code that calls `std::process::exit(0)` would
/// "pass". A check passes only when libtest reported the test `ok` *and*
/// summed up the run as one test passed, none failed, and exited with 0.
/// (What a test prints is captured by libtest, so a fake report needs code
/// that writes libtest's exact lines past the capture: deliberate, and
/// plain to see in the hand-in. Code runs in the test's own process, so no
/// reading of its output can rule that out.)
fn judge(test: &str, status: ExitStatus, stdout: &str, stderr: &str) -> Outcome {
    let result_line = format!("test {test} ... ok");
    let reported_ok = stdout.lines().any(|line| line == result_line);
    let summed_up_ok = stdout
        .lines()
        .any(|line| line.starts_with("test result: ok. 1 passed; 0 failed;"));
    if status.success() && reported_ok && summed_up_ok {
        return Outcome::Passed;
    }
    if let Some(message) = panic_message(&format!("{stdout}{stderr}")) {
        return Outcome::Failed(message);
    }
    Outcome::Failed(match status.code() {
        Some(0) => "the check did not run to its end: the test process exited with status 0 \
                    before the check was over (does your code call std::process::exit?)"
            .to_string(),
        Some(code) => format!("the check failed (the test process exited with status {code})"),
        None => {
            use std::os::unix::process::ExitStatusExt as _;
            match status.signal() {
                Some(signal) => {
                    format!("the check failed: the test process was killed by signal {signal}")
                }
                None => "the check failed".to_string(),
            }
        }
    })
}

/// The panic message of a failed test, from libtest's output.
fn panic_message(text: &str) -> Option<String> {
    let mut lines = text.lines().skip_while(|l| !l.contains("panicked at"));
    lines.next()?;
    let message: Vec<&str> = lines
        .take_while(|l| {
            !l.starts_with("note:")
                && !l.starts_with("stack backtrace")
                && !l.trim().is_empty()
                && !l.starts_with("failures:")
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

/// Grades every submission folder in `submissions` (one folder per student,
/// each holding `src/`), returning rows of (student, report).
pub fn grade(
    repo: &Repo,
    exercise: &Exercise,
    submissions: &Path,
) -> anyhow::Result<BTreeMap<String, Report>> {
    let mut rows = BTreeMap::new();
    for entry in
        fs::read_dir(submissions).with_context(|| format!("read {}", submissions.display()))?
    {
        let dir = entry?.path();
        if !dir.is_dir() {
            continue;
        }
        let student = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let report = if dir.join("src").is_dir() {
            repo.check(exercise, &dir)?
        } else {
            Report {
                exercise: exercise.id.clone(),
                results: exercise
                    .checks
                    .iter()
                    .map(|c| {
                        (
                            c.test.clone(),
                            Outcome::Failed("no src/ folder handed in".into()),
                        )
                    })
                    .collect(),
            }
        };
        rows.insert(student, report);
    }
    Ok(rows)
}

/// Writes graded rows as CSV: student, one column per check (1 or 0),
/// passed, total, percent.
pub fn write_csv<W: std::io::Write>(
    out: W,
    exercise: &Exercise,
    rows: &BTreeMap<String, Report>,
) -> anyhow::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    let mut header = vec!["student".to_string()];
    header.extend(exercise.checks.iter().map(|c| c.test.clone()));
    header.extend(["passed", "total", "percent"].map(String::from));
    csv.write_record(&header)?;
    for (student, report) in rows {
        let mut record = vec![student.clone()];
        record.extend(
            report
                .results
                .iter()
                .map(|(_, o)| if *o == Outcome::Passed { "1" } else { "0" }.to_string()),
        );
        let percent = 100 * report.passed() / report.total().max(1);
        record.extend([
            report.passed().to_string(),
            report.total().to_string(),
            percent.to_string(),
        ]);
        csv.write_record(&record)?;
    }
    csv.flush()?;
    Ok(())
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
pub fn verify(repo: &Repo, exercise: &Exercise) -> anyhow::Result<Vec<String>> {
    let solution_dir = exercise.dir.join("solution");
    if !solution_dir.is_dir() {
        bail!(
            "{}: no solution/ folder (a student copy has none): verify needs the solutions",
            exercise.id
        );
    }
    let mut problems = Vec::new();
    let starter = repo.check(exercise, &exercise.dir.join("starter"))?;
    for (_, outcome) in &starter.results {
        if let Outcome::Failed(why) = outcome
            && why.starts_with("your code does not compile")
        {
            problems.push(format!(
                "{}: the starter does not compile:\n{why}",
                exercise.id
            ));
            break;
        }
    }
    for (test, outcome) in &starter.results {
        if *outcome == Outcome::Passed {
            problems.push(format!(
                "{}: the starter passes `{test}` (a starter must fail every check)",
                exercise.id
            ));
        }
    }
    let solution = repo.check(exercise, &solution_dir)?;
    for (test, outcome) in &solution.results {
        if let Outcome::Failed(why) = outcome {
            problems.push(format!(
                "{}: the solution fails `{test}`: {why}",
                exercise.id
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
    fn a_check_passes_only_when_libtest_reports_it_ok() {
        assert_eq!(judge("dries", exited(0), PASSED, ""), Outcome::Passed);
        // Another test's result is not this one's.
        assert_ne!(judge("dri", exited(0), PASSED, ""), Outcome::Passed);
        // libtest's report, but the process then failed (a leftover child, say).
        assert_ne!(judge("dries", exited(101), PASSED, ""), Outcome::Passed);
    }

    #[test]
    fn exiting_with_0_before_the_check_is_over_fails_it() {
        // What `std::process::exit(0)` inside a check leaves behind.
        let quit = "\nrunning 1 test\ntest dries ... ";
        let Outcome::Failed(why) = judge("dries", exited(0), quit, "") else {
            panic!("exit(0) passed");
        };
        assert!(why.contains("std::process::exit"), "{why}");
        // A result line written past libtest's capture, without the summary.
        let fake = "\nrunning 1 test\ntest dries ... ok\ntest dries ... ok\n";
        assert_ne!(judge("dries", exited(0), fake, ""), Outcome::Passed);
    }

    #[test]
    fn a_failed_check_says_why() {
        let failed = "\nrunning 1 test\ntest dries ... FAILED\n\nfailures:\n\n---- dries stdout ----\n\n\
            thread 'dries' (7) panicked at checks.rs:3:5:\n2 dishes washed, 1 dried\n\
            note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\n\n\
            failures:\n    dries\n\ntest result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 5 filtered out\n";
        assert_eq!(
            judge("dries", exited(101), failed, ""),
            Outcome::Failed("2 dishes washed, 1 dried".into())
        );
        let killed = judge(
            "dries",
            ExitStatus::from_raw(11),
            "\nrunning 1 test\ntest dries ... ",
            "",
        );
        assert!(
            matches!(&killed, Outcome::Failed(why) if why.contains("killed by signal 11")),
            "{killed:?}"
        );
    }
}

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
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};
use wait_timeout::ChildExt as _;

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
            bail!(
                "no exercise `{id}`; the exercises are: {}",
                known.join(", ")
            );
        }
        load(&dir)
    }

    /// The `Cargo.toml` of a student's crate for `exercise`.
    pub fn student_manifest(&self, exercise: &Exercise, with_checks: bool) -> String {
        let root = self
            .root
            .canonicalize()
            .unwrap_or_else(|_| self.root.clone());
        let mut manifest = format!(
            "# Written by `cargo exercise`. Your code goes in src/.\n\
             [package]\nname = \"exercise-{id}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [lib]\nname = \"exercise\"\npath = \"src/lib.rs\"\n\n\
             [dependencies]\nwashup = {{ path = {root:?} }}\ncrossbeam-channel = \"0.5\"\n\n\
             # For the checks (tests) only: signals, waitpid, prctl.\n\
             [dev-dependencies]\nnix = {{ version = \"0.32\", features = [\"process\", \"signal\"] }}\n\n\
             # Not part of the book's workspace.\n[workspace]\n",
            id = exercise.id,
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
            bail!(
                "{} already exists: your work is kept (use --force to start over)",
                dest.display()
            );
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
            bail!(
                "{} has no src/ folder (start the exercise first: cargo exercise start {})",
                work.display(),
                exercise.id
            );
        }
        let build = self.build_dir(exercise, work);
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
            self.student_manifest(exercise, true),
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
        Ok(Report {
            exercise: exercise.id.clone(),
            results,
        })
    }

    fn build_dir(&self, exercise: &Exercise, work: &Path) -> PathBuf {
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
        self.root
            .join("target/exercises/builds")
            .join(format!("{}--{label}", exercise.id))
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
    let mut child = Command::new(binary)
        .args(["--exact", test, "--test-threads", "1", "--color", "never"])
        .env("RUST_BACKTRACE", "0")
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
    let text = format!(
        "{}{}",
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default()
    );
    if !text.contains(&format!("test {test} ")) {
        bail!("checks.rs has no test named `{test}` (exercise.toml names it)");
    }
    if status.success() {
        Ok(Outcome::Passed)
    } else {
        Ok(Outcome::Failed(panic_message(&text)))
    }
}

/// The panic message of a failed test, from libtest's output.
fn panic_message(text: &str) -> String {
    let mut lines = text.lines().skip_while(|l| !l.contains("panicked at"));
    lines.next();
    let message: Vec<&str> = lines
        .take_while(|l| {
            !l.starts_with("note:")
                && !l.starts_with("stack backtrace")
                && !l.trim().is_empty()
                && !l.starts_with("failures:")
        })
        .collect();
    if message.is_empty() {
        "the check failed".to_string()
    } else {
        message.join("\n")
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

/// The CI proof for one exercise: its starter compiles and fails at least
/// one check; its solution passes every check. Returns what is wrong.
pub fn verify(repo: &Repo, exercise: &Exercise) -> anyhow::Result<Vec<String>> {
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
    if starter.passed() == starter.total() {
        problems.push(format!(
            "{}: the starter already passes every check",
            exercise.id
        ));
    }
    let solution = repo.check(exercise, &exercise.dir.join("solution"))?;
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
        bail!("{} already exists", dest.display());
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

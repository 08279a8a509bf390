//! `cargo exercise`: the course assignments of Washing Up.
//!
//! ```text
//! cargo exercise list                       the exercises, with your status
//! cargo exercise start stop-the-dryers      copy the starter into exercises-work/
//! cargo exercise check stop-the-dryers      run its checks on your work, with a score
//! cargo exercise hint stop-the-dryers       the hints for the checks you failed last
//! cargo exercise grade ID SUBMISSIONS       instructors: grade a folder of submissions (CSV)
//! cargo exercise verify                     CI: starters fail, solutions pass
//! cargo exercise student-copy DEST          a copy of the repository without solutions
//! ```
//!
//! Exit status: 0 when the command did what it was asked (for `check`:
//! every requirement passed; for `verify`: no problem found); 1 when a
//! check or the proof failed, or something went wrong while running; 2 for
//! bad usage (an unknown exercise or flag, work that would be overwritten,
//! an exercise not started yet).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use washup_exercises::output::{CsvRows, write_beside};
use washup_exercises::{
    Isolation, Outcome, Repo, UsageError, grade, is_usage_error, last_report, missing_programs,
    save_report, student_copy, verify,
};

/// Course assignments: start an exercise, check your work, see your status.
#[derive(Parser)]
#[command(name = "cargo exercise", bin_name = "cargo exercise", version)]
struct Cli {
    /// Where your work lives (default: exercises-work/ in the repository).
    #[arg(long, global = true, value_name = "DIR")]
    work: Option<PathBuf>,
    /// Run hand-ins without the bubblewrap sandbox, as yourself, with your
    /// files and network: only for code you trust (reports say so).
    #[arg(long, global = true)]
    no_sandbox: bool,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// List the exercises, with the chapter, the time they take and your status.
    List,
    /// Start an exercise: copy its starter code into your work folder.
    Start {
        /// The exercise (see `list`).
        id: String,
        /// Throw away your work on it and start over.
        #[arg(long)]
        force: bool,
    },
    /// Check your work on an exercise: each requirement passes or fails, then a score.
    Check {
        /// The exercise (see `list`).
        id: String,
    },
    /// The hints for the checks your last `check` failed (all hints if none failed or not checked yet).
    Hint {
        /// The exercise (see `list`).
        id: String,
    },
    /// Instructors: grade every submission in a folder (one folder per student, each with src/).
    Grade {
        /// The exercise.
        id: String,
        /// The folder of submissions.
        submissions: PathBuf,
        /// Write the scores as CSV to this file, with FILE.json and FILE.xml (JUnit) beside it
        /// (default: CSV on standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Grade this many hand-ins at a time.
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
        jobs: u16,
    },
    /// CI: every starter compiles and fails its checks; every solution passes them.
    Verify {
        /// Only these exercises (default: all).
        ids: Vec<String>,
    },
    /// Instructors: copy the repository to DEST without the reference solutions.
    StudentCopy {
        /// The folder to create.
        dest: PathBuf,
    },
}

fn main() -> ExitCode {
    // SAFETY: restoring the default action of SIGPIPE before any thread
    // starts: output piped into `head` ends the tool quietly, as it does
    // any command-line program, instead of a panic.
    unsafe {
        let _ = nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigDfl,
        );
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            if is_usage_error(&error) {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let repo = Repo::default();
    let work = cli.work.clone().unwrap_or_else(|| repo.default_work_dir());
    match cli.command {
        Cmd::List => {
            println!("{:<24} {:<18} {:>5}  status", "exercise", "chapter", "min");
            for exercise in repo.exercises()? {
                let dir = work.join(&exercise.id);
                let status = match (dir.is_dir(), last_report(&dir)) {
                    (false, _) => "not started".to_string(),
                    (true, None) => "started, not checked".to_string(),
                    (true, Some(r)) if r.passed() == r.total() => {
                        format!("done ({}/{})", r.passed(), r.total())
                    }
                    (true, Some(r)) => format!("checked: {}/{}", r.passed(), r.total()),
                };
                println!(
                    "{:<24} {:<18} {:>5}  {status}",
                    exercise.id,
                    exercise.chapter.trim_end_matches(".md"),
                    exercise.minutes
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Start { id, force } => {
            let exercise = repo.exercise(&id)?;
            let dest = repo.start(&exercise, &work, force)?;
            println!(
                "Started `{}` ({} minutes)",
                exercise.title, exercise.minutes
            );
            println!();
            for line in exercise.task.trim().lines() {
                println!("  {line}");
            }
            println!();
            println!("Your code goes in:");
            for file in &exercise.files {
                println!("  edit {}", dest.join(file).display());
            }
            println!("Then check your work with: cargo exercise check {id}");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Check { id } => {
            let exercise = repo.exercise(&id)?;
            let dir = work.join(&id);
            if !dir.is_dir() {
                return Err(UsageError(format!(
                    "you have not started `{id}` yet (no {}): cargo exercise start {id}",
                    dir.display()
                ))
                .into());
            }
            let isolation = Isolation::find(cli.no_sandbox)?;
            println!("Checking `{}` in {} ...", exercise.title, dir.display());
            let progress = |what: &str| eprintln!("  ... {what}");
            let report = repo.check(&exercise, &dir, &isolation, &progress)?;
            save_report(&dir, &report)?;
            if let Some(failure) = report.common_failure() {
                // Said once, not under every check.
                for line in failure.reason().lines() {
                    println!("  {line}");
                }
            }
            let common = report.common_failure().is_some();
            for (check, result) in exercise.checks.iter().zip(&report.results) {
                match &result.outcome {
                    Outcome::Passed => println!("  passed  {}", check.requirement),
                    Outcome::Failed(why) => {
                        println!("  FAILED  {}", check.requirement);
                        if !common {
                            for line in why.reason().lines() {
                                println!("          {line}");
                            }
                            println!("          hint: {}", check.hint);
                        }
                    }
                }
            }
            if common {
                println!(
                    "  (every check needs code that is checked: cargo exercise hint {id} gives the hints)"
                );
            }
            if !report.sandboxed {
                println!("  (not sandboxed: --no-sandbox)");
            }
            println!("Score: {}/{}", report.score(), report.maximum());
            Ok(if report.passed() == report.total() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Cmd::Hint { id } => {
            let exercise = repo.exercise(&id)?;
            let last = last_report(&work.join(&id));
            let failed: Vec<&str> = last
                .iter()
                .flat_map(|r| &r.results)
                .filter(|r| r.outcome != Outcome::Passed)
                .map(|r| r.test.as_str())
                .collect();
            let all = failed.is_empty();
            if all {
                println!("Every hint of `{}`:", exercise.title);
            } else {
                println!("Hints for the checks your last check failed:");
            }
            for check in &exercise.checks {
                if all || failed.contains(&check.test.as_str()) {
                    println!("  {}", check.requirement);
                    println!("    hint: {}", check.hint);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Grade {
            id,
            submissions,
            out,
            jobs,
        } => {
            let exercise = repo.exercise(&id)?;
            if !submissions.is_dir() {
                return Err(UsageError(format!(
                    "{} is not a folder of submissions",
                    submissions.display()
                ))
                .into());
            }
            // Opened first: a bad path should not wait for a class's grading.
            let file = match &out {
                Some(path) => Some(
                    std::fs::File::create(path)
                        .with_context(|| format!("create {}", path.display()))?,
                ),
                None => None,
            };
            let isolation = Isolation::find(cli.no_sandbox)?;
            if !isolation.is_sandboxed() {
                eprintln!("warning: --no-sandbox: hand-ins run as you, unisolated");
            }
            let mut csv: CsvRows<Box<dyn std::io::Write>> = CsvRows::new(
                match file {
                    Some(file) => Box::new(file) as Box<dyn std::io::Write>,
                    None => Box::new(std::io::stdout()),
                },
                &exercise,
            )?;
            let count = std::fs::read_dir(&submissions)?
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .count();
            let mut done = 0;
            let mut failed_write = None;
            let rows = grade(
                &repo,
                &exercise,
                &submissions,
                &isolation,
                usize::from(jobs),
                &mut |student, report| {
                    done += 1;
                    eprintln!(
                        "[{done}/{count}] {student}: {}/{}",
                        report.score(),
                        report.maximum()
                    );
                    if let Err(error) = csv.row(student, report) {
                        failed_write.get_or_insert(error);
                    }
                },
            )?;
            drop(csv);
            if let Some(error) = failed_write {
                return Err(error.context("write the scores"));
            }
            if let Some(path) = out {
                // Rewritten in the students' order, now that every row is in.
                let sorted = path.with_extension("csv.partial");
                washup_exercises::output::write_csv(
                    std::fs::File::create(&sorted)
                        .with_context(|| format!("create {}", sorted.display()))?,
                    &exercise,
                    &rows,
                )?;
                std::fs::rename(&sorted, &path)?;
                let [json, xml] = write_beside(&path, &exercise, &rows)?;
                eprintln!(
                    "graded {} submission(s) into {} (and {}, {})",
                    rows.len(),
                    path.display(),
                    json.display(),
                    xml.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Verify { ids } => {
            let mut exercises = repo.exercises()?;
            if !ids.is_empty() {
                for id in &ids {
                    // An unknown id is a usage error, never a silent "ok".
                    repo.exercise(id)?;
                }
                exercises.retain(|e| ids.contains(&e.id));
            }
            if !repo.has_solutions()? {
                bail!(
                    "the exercises have no solution/ folders (this is a student copy): \
                     verify needs the solutions"
                );
            }
            let isolation = Isolation::find(cli.no_sandbox)?;
            let mut problems = Vec::new();
            for exercise in &exercises {
                let missing = missing_programs(exercise);
                if !missing.is_empty() {
                    println!(
                        "{:<24} SKIPPED: needs {} on the PATH",
                        exercise.id,
                        missing.join(", ")
                    );
                    continue;
                }
                let found = verify(&repo, exercise, &isolation)?;
                println!(
                    "{:<24} {}",
                    exercise.id,
                    if found.is_empty() { "ok" } else { "PROBLEMS" }
                );
                problems.extend(found);
            }
            for problem in &problems {
                println!("{problem}");
            }
            Ok(if problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Cmd::StudentCopy { dest } => {
            student_copy(&repo.root, &dest)?;
            println!("A copy without solutions is in {}", dest.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

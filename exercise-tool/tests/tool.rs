//! The exercise tool, end to end: the CI proof over every exercise, the
//! student copy without solutions, and the commands students type (`list`,
//! `start`, `check`, `hint`) with their exit statuses. Grading a class,
//! hostile hand-ins included, is `tests/hostile.rs`.
//!
//! In a student copy (no `solution/` folders) the tests that need the
//! solutions say SKIPPED; everything else still runs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use std::io::Write as _;

use washup_exercises::{
    Check, CheckResult, Exercise, Failure, Isolation, Outcome, Repo, Report, missing_programs,
    save_report, student_copy, verify,
};

/// The sandbox every check runs in (bubblewrap must be installed).
fn sandbox() -> Isolation {
    Isolation::find(false).expect("bubblewrap makes sandboxes here")
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("washup-exercises-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// Whether this copy has the reference solutions; if not, says SKIPPED
/// (past libtest's capture, so it shows in a plain `cargo test`).
fn solutions_or_skip(repo: &Repo, test: &str) -> bool {
    let present = repo
        .has_solutions()
        .expect("every exercise has a solution/ folder, or none does");
    if !present {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: no solutions in this copy (a student copy)"
        );
    }
    present
}

/// Runs `cargo exercise ARGS` (the built binary).
fn exercise(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exercise"))
        .args(args)
        .output()
        .expect("run the exercise tool")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn path(dir: &Path) -> &str {
    dir.to_str().expect("a UTF-8 temporary folder")
}

/// Like `rustlings dev check --require-solutions`: every starter compiles
/// and fails its checks, every reference solution passes them all.
#[test]
fn every_starter_fails_and_every_solution_passes() {
    let repo = Repo::default();
    let exercises = repo.exercises().expect("exercises load");
    assert!(!exercises.is_empty());
    if !solutions_or_skip(&repo, "every_starter_fails_and_every_solution_passes") {
        return;
    }
    let mut problems = Vec::new();
    for exercise in &exercises {
        let missing = missing_programs(exercise);
        if !missing.is_empty() {
            // CI installs what the exercises need: there, a skip would hide a gap.
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{}: needs {missing:?}, which CI must install",
                exercise.id
            );
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED exercise {}: needs {} on the PATH",
                exercise.id,
                missing.join(", ")
            );
            continue;
        }
        problems.extend(verify(&repo, exercise, &sandbox()).expect("verify runs"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A starter that passes a check hands out a free point: verify names
/// every check a starter passes, not only a starter that passes them all.
#[test]
fn verify_names_each_check_the_starter_passes() {
    let repo = Repo::default();
    let dir = scratch("verify-toy");
    let write = |file: &str, text: &str| {
        let path = dir.join(file);
        fs::create_dir_all(path.parent().expect("a folder")).expect("folder");
        fs::write(path, text).expect("write");
    };
    write(
        "starter/src/lib.rs",
        "pub fn add(a: i32, b: i32) -> i32 {\n    let _ = b;\n    a\n}\n",
    );
    write(
        "solution/src/lib.rs",
        "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n",
    );
    write(
        "checks.rs",
        "use exercise::add;\n\n\
         mod support;\n\n\
         #[test]\nfn adds_zero() {\n    let _verdict = support::Verdict::on_return();\n    assert_eq!(add(2, 0), 2);\n}\n\n\
         #[test]\nfn adds() {\n    let _verdict = support::Verdict::on_return();\n    assert_eq!(add(2, 3), 5);\n}\n\n\
         #[test]\nfn adds_to_zero() {\n    let _verdict = support::Verdict::on_return();\n    assert_eq!(add(0, 3), 3);\n}\n",
    );
    let check = |test: &str| Check {
        test: test.into(),
        requirement: format!("{test} works"),
        hint: "add".into(),
        points: 1,
    };
    let toy = Exercise {
        id: "toy".into(),
        dir: dir.clone(),
        title: "Add".into(),
        chapter: "threads.md".into(),
        minutes: 1,
        task: "Add.".into(),
        files: vec!["src/lib.rs".into()],
        needs: Vec::new(),
        requires: Vec::new(),
        refuse: Vec::new(),
        seconds_per_check: 20,
        checks: vec![check("adds_zero"), check("adds"), check("adds_to_zero")],
    };
    let problems = verify(&repo, &toy, &sandbox()).expect("verify runs");
    assert_eq!(
        problems,
        ["toy: the starter passes `adds_zero` (a starter must fail every check)"],
    );
    let _ = fs::remove_dir_all(&dir);
}

/// The copy handed to students: starters and checks, no solutions, no
/// history, and a workspace that still loads, whose own tests skip what
/// needs the solutions. (Cheap on purpose: `cargo metadata`, not a build.)
#[test]
fn the_student_copy_has_starters_and_checks_but_no_solutions() {
    let repo = Repo::default();
    // A student copy has no history to copy from, and nothing to hide.
    if !solutions_or_skip(
        &repo,
        "the_student_copy_has_starters_and_checks_but_no_solutions",
    ) {
        return;
    }
    let dest = scratch("copy").join("course");
    student_copy(&repo.root, &dest).expect("student copy");
    assert!(
        !dest.join(".git").exists(),
        "the history would hold the solutions"
    );
    let mut exercises = 0;
    for entry in fs::read_dir(dest.join("exercises"))
        .expect("exercises/")
        .flatten()
    {
        let dir = entry.path();
        if dir.join("exercise.toml").is_file() {
            exercises += 1;
            assert!(
                dir.join("starter/src/lib.rs").is_file(),
                "{}",
                dir.display()
            );
            assert!(dir.join("checks.rs").is_file(), "{}", dir.display());
            assert!(
                !dir.join("solution").exists(),
                "{} keeps its solution",
                dir.display()
            );
        }
    }
    let expected = repo.exercises().expect("exercises load").len();
    assert_eq!(exercises, expected, "every exercise, with its starter");

    // The workspace loads as it is (every member's manifest is there).
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let metadata = Command::new(cargo)
        .args([
            "metadata",
            "--offline",
            "--no-deps",
            "--format-version",
            "1",
        ])
        .current_dir(&dest)
        .output()
        .expect("run cargo metadata");
    assert!(
        metadata.status.success(),
        "the copy's workspace does not load:\n{}",
        text(&metadata.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&metadata.stdout).expect("cargo metadata prints JSON");
    let names: Vec<&str> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(names.contains(&"washup"), "{names:?}");
    assert!(names.contains(&"washup-exercises"), "{names:?}");

    // There, the tests that need the solutions skip (all absent, not some),
    // and verify says why it cannot run.
    let copy = Repo { root: dest.clone() };
    assert!(!copy.has_solutions().expect("no solution anywhere"));
    let in_copy = copy.exercise("stop-the-dryers").expect("exercise");
    let error = verify(&copy, &in_copy, &sandbox()).expect_err("verify needs the solutions");
    assert!(
        error.to_string().contains("no solution/ folder"),
        "{error:#}"
    );
    let _ = fs::remove_dir_all(dest.parent().expect("scratch"));
}

#[test]
fn list_shows_every_exercise_with_its_status() {
    let repo = Repo::default();
    let work = scratch("list");
    let listed = exercise(&["list", "--work", path(&work)]);
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed.stderr));
    let out = text(&listed.stdout);
    let exercises = repo.exercises().expect("exercises load");
    assert_eq!(out.lines().count(), 1 + exercises.len(), "{out}");
    for e in &exercises {
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(e.id.as_str()))
            .unwrap_or_else(|| panic!("{} is not listed:\n{out}", e.id));
        assert!(line.ends_with("not started"), "{line}");
        assert!(line.contains(e.chapter.trim_end_matches(".md")), "{line}");
    }

    let started = exercise(&["start", "stop-the-dryers", "--work", path(&work)]);
    assert_eq!(started.status.code(), Some(0), "{}", text(&started.stderr));
    let status_of = |id: &str| {
        let out = text(&exercise(&["list", "--work", path(&work)]).stdout);
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(id))
            .map(|l| l.to_string())
            .unwrap_or_else(|| panic!("{id} is not listed:\n{out}"))
    };
    assert!(
        status_of("stop-the-dryers").ends_with("started, not checked"),
        "{}",
        status_of("stop-the-dryers")
    );
    let result = |outcome| CheckResult {
        test: "a".into(),
        points: 1,
        outcome,
    };
    let mut results = vec![result(Outcome::Passed); 2];
    results.extend(vec![
        result(Outcome::Failed(Failure::AssertionFailed(
            "no".into()
        )));
        4
    ]);
    let report = Report {
        exercise: "stop-the-dryers".into(),
        sandboxed: true,
        results,
    };
    save_report(&work.join("stop-the-dryers"), &report).expect("save a report");
    assert!(
        status_of("stop-the-dryers").ends_with("checked: 2/6"),
        "{}",
        status_of("stop-the-dryers")
    );
    let _ = fs::remove_dir_all(&work);
}

#[test]
fn start_copies_the_starter_and_never_the_solution() {
    let repo = Repo::default();
    let ex = repo.exercise("stop-the-dryers").expect("exercise");
    let work = scratch("start");
    let started = exercise(&["start", "stop-the-dryers", "--work", path(&work)]);
    assert_eq!(started.status.code(), Some(0), "{}", text(&started.stderr));
    let dest = work.join("stop-the-dryers");
    assert!(
        text(&started.stdout).contains(&dest.join("src/lib.rs").display().to_string()),
        "{}",
        text(&started.stdout)
    );
    let starter = fs::read_to_string(ex.dir.join("starter/src/lib.rs")).expect("starter");
    let copied = fs::read_to_string(dest.join("src/lib.rs")).expect("the starter, copied");
    assert_eq!(copied, starter);
    let manifest = fs::read_to_string(dest.join("Cargo.toml")).expect("a Cargo.toml");
    assert!(
        manifest.contains("name = \"exercise-stop-the-dryers\""),
        "{manifest}"
    );
    assert!(
        !manifest.contains("checks.rs"),
        "the checks stay official: {manifest}"
    );
    assert!(dest.join(".gitignore").is_file());
    // Nothing from solution/ (nor the checks) reaches the work folder.
    let mut files = Vec::new();
    let mut dirs = vec![dest.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).expect("read the work").flatten() {
            if entry.path().is_dir() {
                dirs.push(entry.path());
            } else {
                files.push(entry.path());
            }
        }
    }
    for file in &files {
        let relative = file.strip_prefix(&dest).expect("inside");
        assert!(
            !relative.to_string_lossy().contains("solution"),
            "{}",
            relative.display()
        );
        assert_ne!(relative, Path::new("checks.rs"));
    }
    if let Ok(solution) = fs::read_to_string(ex.dir.join("solution/src/lib.rs")) {
        assert!(
            files
                .iter()
                .all(|f| fs::read_to_string(f).ok().as_deref() != Some(solution.as_str())),
            "the solution was copied"
        );
    }

    // Work is never overwritten without --force; --force starts over.
    fs::write(dest.join("src/lib.rs"), "// my work\n").expect("edit");
    let again = exercise(&["start", "stop-the-dryers", "--work", path(&work)]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again.stderr));
    assert!(
        text(&again.stderr).contains("already exists"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(
        fs::read_to_string(dest.join("src/lib.rs")).expect("kept"),
        "// my work\n"
    );
    fs::write(dest.join(".last-check.json"), "{}").expect("an old report");
    let forced = exercise(&["start", "stop-the-dryers", "--force", "--work", path(&work)]);
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced.stderr));
    assert_eq!(
        fs::read_to_string(dest.join("src/lib.rs")).expect("the starter again"),
        starter
    );
    assert!(
        !dest.join(".last-check.json").exists(),
        "the old score stays"
    );
    let _ = fs::remove_dir_all(&work);
}

#[test]
fn starting_an_unknown_exercise_exits_2_with_a_clear_message() {
    let work = scratch("unknown");
    let out = exercise(&["start", "no-such-exercise", "--work", path(&work)]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("no exercise `no-such-exercise`") && stderr.contains("stop-the-dryers"),
        "{stderr}"
    );
    assert!(text(&out.stdout).is_empty());
    assert_eq!(
        fs::read_dir(&work).expect("work").count(),
        0,
        "nothing made"
    );
    let _ = fs::remove_dir_all(&work);
}

/// `check` exits with 0 when every requirement passes and 1 when one fails
/// (the instructor guide says so); an exercise not started is bad usage: 2.
#[test]
fn check_exits_0_when_everything_passes_and_1_when_a_check_fails() {
    let repo = Repo::default();
    let ex = repo.exercise("stop-the-dryers").expect("exercise");
    let work = scratch("check");
    let not_started = exercise(&["check", "stop-the-dryers", "--work", path(&work)]);
    assert_eq!(not_started.status.code(), Some(2));
    assert!(
        text(&not_started.stderr).contains("cargo exercise start stop-the-dryers"),
        "{}",
        text(&not_started.stderr)
    );

    let started = exercise(&["start", "stop-the-dryers", "--work", path(&work)]);
    assert_eq!(started.status.code(), Some(0), "{}", text(&started.stderr));
    let failing = exercise(&["check", "stop-the-dryers", "--work", path(&work)]);
    let out = text(&failing.stdout);
    assert_eq!(
        failing.status.code(),
        Some(1),
        "{out}{}",
        text(&failing.stderr)
    );
    assert_eq!(out.matches("  FAILED  ").count(), ex.checks.len(), "{out}");
    assert!(out.contains("hint: "), "{out}");
    assert!(
        out.contains(&format!("Score: 0/{}", ex.checks.len())),
        "{out}"
    );

    if !solutions_or_skip(
        &repo,
        "check_exits_0_when_everything_passes (the passing half)",
    ) {
        let _ = fs::remove_dir_all(&work);
        return;
    }
    fs::copy(
        ex.dir.join("solution/src/lib.rs"),
        work.join("stop-the-dryers/src/lib.rs"),
    )
    .expect("hand in the solution");
    let passing = exercise(&["check", "stop-the-dryers", "--work", path(&work)]);
    let out = text(&passing.stdout);
    assert_eq!(
        passing.status.code(),
        Some(0),
        "{out}{}",
        text(&passing.stderr)
    );
    assert_eq!(out.matches("  passed  ").count(), ex.checks.len(), "{out}");
    let total = ex.checks.len();
    assert!(out.contains(&format!("Score: {total}/{total}")), "{out}");
    let listed = text(&exercise(&["list", "--work", path(&work)]).stdout);
    assert!(
        listed.contains(&format!("done ({total}/{total})")),
        "{listed}"
    );
    let _ = fs::remove_dir_all(&work);
}

/// Bad usage exits with 2 and says what is wrong; a failure while doing
/// what was asked exits with 1.
#[test]
fn usage_errors_exit_2_and_runtime_errors_exit_1() {
    let work = scratch("usage");
    let submissions = work.join("submissions");
    fs::create_dir_all(&submissions).expect("submissions");
    let cases: &[(&[&str], &str)] = &[
        (&["list", "--no-such-flag"], "--no-such-flag"),
        (&["start"], "<ID>"),
        (
            &["verify", "no-such-exercise"],
            "no exercise `no-such-exercise`",
        ),
        (
            &["check", "no-such-exercise"],
            "no exercise `no-such-exercise`",
        ),
        (
            &["grade", "stop-the-dryers", "no/such/folder"],
            "no/such/folder is not a folder of submissions",
        ),
        (&["student-copy", path(&work)], "already exists"),
    ];
    for (args, says) in cases {
        let out = exercise(args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    // Writing the scores fails: not a usage error.
    let csv = work.join("no-such-folder/scores.csv");
    let out = exercise(&[
        "grade",
        "stop-the-dryers",
        path(&submissions),
        "--out",
        path(&csv),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("scores.csv"),
        "{}",
        text(&out.stderr)
    );
    let _ = fs::remove_dir_all(&work);
}

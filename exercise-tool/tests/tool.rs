//! The exercise tool, end to end: the CI proof over every exercise, bulk
//! grading into CSV (including work that does not compile and work that
//! hangs), and the student copy without solutions.

use std::fs;
use std::path::PathBuf;

use std::io::Write as _;

use washup_exercises::{Outcome, Repo, grade, missing_programs, student_copy, verify, write_csv};

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("washup-exercises-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// Like `rustlings dev check --require-solutions`: every starter compiles
/// and fails its checks, every reference solution passes them all.
#[test]
fn every_starter_fails_and_every_solution_passes() {
    let repo = Repo::default();
    let exercises = repo.exercises().expect("exercises load");
    assert!(!exercises.is_empty());
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
        problems.extend(verify(&repo, exercise).expect("verify runs"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn grading_a_folder_gives_a_csv_of_scores() {
    let repo = Repo::default();
    let exercise = repo.exercise("stop-the-dryers").expect("exercise");
    let submissions = scratch("grade");
    let hand_in = |student: &str, code: &str| {
        let src = submissions.join(student).join("src");
        fs::create_dir_all(&src).expect("src");
        fs::write(src.join("lib.rs"), code).expect("lib.rs");
    };
    let solution = fs::read_to_string(exercise.dir.join("solution/src/lib.rs")).expect("solution");
    let starter = fs::read_to_string(exercise.dir.join("starter/src/lib.rs")).expect("starter");
    hand_in("ada", &solution);
    hand_in("bob", &starter);
    hand_in(
        "cy",
        "pub fn dry_all(dishes: &[&str], dryers: usize) -> Vec<Vec<String>> { dishes }",
    );
    // Forgets to close the rack when there is nothing to wash: hangs then.
    hand_in(
        "dee",
        &solution.replace(
            "    drop(rack); // close the rack",
            "    if dishes.is_empty() { loop { std::thread::park(); } }\n    drop(rack); // close the rack",
        ),
    );
    fs::create_dir_all(submissions.join("eve")).expect("empty hand-in");

    let rows = grade(&repo, &exercise, &submissions).expect("grading runs");
    let score = |s: &str| (rows[s].passed(), rows[s].total());
    assert_eq!(score("ada"), (6, 6));
    assert_eq!(score("bob"), (0, 6));
    assert_eq!(score("cy"), (0, 6));
    assert!(
        matches!(&rows["cy"].results[0].1, Outcome::Failed(why) if why.starts_with("your code does not compile"))
    );
    assert_eq!(score("dee"), (5, 6), "only the empty-stack check hangs");
    let hung = rows["dee"]
        .results
        .iter()
        .find(|(test, _)| test == "it_returns_when_the_washer_is_done")
        .expect("that check");
    assert!(
        matches!(&hung.1, Outcome::Failed(why) if why.contains("did not finish within 10 s")),
        "{hung:?}"
    );
    assert_eq!(score("eve"), (0, 6));

    let mut csv = Vec::new();
    write_csv(&mut csv, &exercise, &rows).expect("csv");
    let csv = String::from_utf8(csv).expect("utf-8");
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("student,every_dish_is_dried_exactly_once,"),
        "{csv}"
    );
    assert!(lines[0].ends_with(",passed,total,percent"), "{csv}");
    assert_eq!(lines[1], "ada,1,1,1,1,1,1,6,6,100");
    assert_eq!(lines[4], "dee,1,1,1,0,1,1,5,6,83");
    assert_eq!(lines.len(), 6);
    let _ = fs::remove_dir_all(&submissions);
}

#[test]
fn the_student_copy_has_starters_and_checks_but_no_solutions() {
    let repo = Repo::default();
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
    assert!(exercises > 0, "no exercise was copied");
    let _ = fs::remove_dir_all(dest.parent().expect("scratch"));
}

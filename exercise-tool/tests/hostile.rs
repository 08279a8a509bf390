//! One class, graded in one run of `cargo exercise grade --jobs 2`: honest
//! hand-ins (right, partly wrong, not compiling, hanging, missing) keep
//! their true scores, and every hostile hand-in in `tests/hand-ins/`
//! scores 0 or is refused, with a reason. Nothing outside the hand-ins
//! changes (the exercises' files, the other hand-ins, a file beside the
//! class), nothing the hand-ins started is left running, no secret of the
//! grader's reaches a report, and the CSV, JSON and JUnit files are
//! complete.
//!
//! Needs bubblewrap (`bwrap`), as grading does; and the reference
//! solution (in a student copy, says SKIPPED).

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use washup_exercises::{Isolation, Repo, grade};

/// FNV-1a of every file under `dir` (path and contents), by path.
fn hashes(dir: &Path) -> BTreeMap<PathBuf, u64> {
    let mut all = BTreeMap::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in fs::read_dir(&d).expect("read a folder").flatten() {
            let path = entry.path();
            let kind = entry.file_type().expect("a file type");
            if kind.is_dir() {
                dirs.push(path);
            } else {
                let bytes = fs::read(&path).unwrap_or_default();
                let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                    (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
                });
                all.insert(path, hash);
            }
        }
    }
    all
}

/// Processes whose command line holds `marker`.
fn running_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").expect("/proc").flatten() {
        if let Ok(cmdline) = fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(marker) && !cmdline.contains("running_with") {
                found.push(format!(
                    "{}: {cmdline}",
                    entry.file_name().to_string_lossy()
                ));
            }
        }
    }
    found
}

#[test]
fn a_class_with_hostile_hand_ins_is_graded_fairly() {
    let repo = Repo::default();
    if !repo.has_solutions().expect("solutions all there or none") {
        let _ = writeln!(std::io::stderr(), "SKIPPED: no solutions in this copy");
        return;
    }
    let exercise = repo.exercise("stop-the-dryers").expect("exercise");
    let class = std::env::temp_dir().join(format!("washup-class-{}", std::process::id()));
    let _ = fs::remove_dir_all(&class);
    let submissions = class.join("submissions");
    fs::create_dir_all(&submissions).expect("submissions");
    let outside = class.join("outside.txt");
    let secret_file = class.join("secret.txt");
    fs::write(&secret_file, "topsecret-file-contents\n").expect("secret");
    let csv = class.join("scores.csv");
    let root = repo.root.display().to_string();
    let hand_in = |student: &str, code: &str| {
        let src = submissions.join(student).join("src");
        fs::create_dir_all(&src).expect("src");
        fs::write(src.join("lib.rs"), code).expect("lib.rs");
    };

    // The hostile ones, from tests/hand-ins/, with the real paths filled in.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hand-ins/stop-the-dryers");
    let mut hostile = Vec::new();
    for entry in fs::read_dir(&fixtures).expect("fixtures").flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let name = path
            .file_stem()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        let code = fs::read_to_string(&path)
            .expect("a fixture")
            .replace("{{REPO}}", &root)
            .replace("{{SUBMISSIONS}}", &submissions.display().to_string())
            .replace("{{OUTSIDE}}", &outside.display().to_string())
            .replace("{{SECRET_FILE}}", &secret_file.display().to_string())
            .replace("{{CSV}}", &csv.display().to_string());
        hand_in(&name, &code);
        hostile.push(name);
    }
    // A symbolic link to the solution, as a hand-in.
    let linked = submissions.join("symlink-to-solution/src");
    fs::create_dir_all(&linked).expect("src");
    std::os::unix::fs::symlink(
        exercise.dir.join("solution/src/lib.rs"),
        linked.join("lib.rs"),
    )
    .expect("symlink");

    // The honest ones.
    let solution = fs::read_to_string(exercise.dir.join("solution/src/lib.rs")).expect("solution");
    let starter = fs::read_to_string(exercise.dir.join("starter/src/lib.rs")).expect("starter");
    hand_in("ada-solution", &solution);
    hand_in("bob-starter", &starter);
    hand_in(
        "cy-does-not-compile",
        "pub fn dry_all(dishes: &[&str], dryers: usize) -> Vec<Vec<String>> { dishes }",
    );
    // Forgets to close the rack when there is nothing to wash: hangs then.
    hand_in(
        "dee-partly-wrong",
        &solution.replace(
            "    drop(rack); // close the rack",
            "    if dishes.is_empty() { loop { std::thread::park(); } }\n    drop(rack); // close the rack",
        ),
    );
    fs::create_dir_all(submissions.join("eve-empty")).expect("empty hand-in");

    let exercises_before = hashes(&repo.exercises_dir());
    let hand_ins_before = hashes(&submissions);
    let started = Instant::now();
    let graded = Command::new(env!("CARGO_BIN_EXE_exercise"))
        .args(["grade", "stop-the-dryers"])
        .arg(&submissions)
        .arg("--out")
        .arg(&csv)
        .args(["--jobs", "2"])
        .env("WASHUP_SECRET", "hunter2-from-the-environment")
        .output()
        .expect("run the grader");
    let took = started.elapsed();
    let _ = writeln!(
        std::io::stderr(),
        "graded {} hand-ins in {:.1} s",
        hostile.len() + 6,
        took.as_secs_f64()
    );
    let stderr = String::from_utf8_lossy(&graded.stderr);
    assert_eq!(graded.status.code(), Some(0), "{stderr}");

    // Nothing is left running once grade is over, so nothing edits the CSV later.
    for marker in ["sleep 4242", "sleep 4244"] {
        let left = running_with(marker);
        assert!(left.is_empty(), "left running: {left:?}");
    }
    // Nothing outside the hand-ins changed, nor any other hand-in.
    assert_eq!(
        hashes(&repo.exercises_dir()),
        exercises_before,
        "exercises/ changed"
    );
    assert_eq!(hashes(&submissions), hand_ins_before, "a hand-in changed");
    assert!(!outside.exists(), "a hand-in wrote {}", outside.display());

    // The CSV: a header and one row per student, each as graded.
    let text = fs::read_to_string(&csv).expect("the CSV");
    assert!(!text.contains("LEAK"), "{text}");
    assert!(!text.lines().any(|l| l == "edited-after-grading"), "{text}");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("a header")
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(header[0], "student");
    assert_eq!(
        header[header.len() - 5..],
        ["score", "maximum", "percent", "sandboxed", "notes"]
    );
    let mut scores = BTreeMap::new();
    for record in reader.records() {
        let record = record.expect("a row");
        let score: u32 = record[header.len() - 5].parse().expect("a score");
        assert_eq!(&record[header.len() - 4], "6", "{record:?}");
        assert_eq!(&record[header.len() - 2], "yes", "{record:?}");
        scores.insert(record[0].to_string(), score);
    }
    assert_eq!(scores.len(), hostile.len() + 6, "{text}");
    assert_eq!(scores["ada-solution"], 6, "{text}");
    assert_eq!(scores["honest-scope"], 6, "{text}");
    assert_eq!(scores["dee-partly-wrong"], 5, "{text}");
    assert_eq!(scores["mpsc-no-join"], 5, "{text}");
    assert_eq!(scores["drop-then-send"], 5, "{text}");
    for zero in ["bob-starter", "cy-does-not-compile", "eve-empty"] {
        assert_eq!(scores[zero], 0, "{zero}: {text}");
    }
    for name in hostile
        .iter()
        .filter(|h| !["honest-scope", "mpsc-no-join", "drop-then-send"].contains(&h.as_str()))
    {
        assert_eq!(scores[name.as_str()], 0, "{name}: {text}");
    }
    assert_eq!(scores["symlink-to-solution"], 0, "{text}");

    // The JSON: every check's failure has a kind and a reason, and no
    // secret of the grader's reached one.
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(class.join("scores.json")).expect("the JSON"))
            .expect("JSON");
    let json_text = json.to_string();
    for secret in ["hunter2", "topsecret", "LEAK"] {
        assert!(!json_text.contains(secret), "{secret} in {json_text}");
    }
    let kinds: BTreeMap<String, Vec<String>> = json["students"]
        .as_array()
        .expect("students")
        .iter()
        .map(|s| {
            let kinds = s["checks"]
                .as_array()
                .expect("checks")
                .iter()
                .map(|c| c["failure"].as_str().unwrap_or("passed").to_string())
                .collect();
            (s["student"].as_str().expect("a name").to_string(), kinds)
        })
        .collect();
    let every = |student: &str, kind: &str| {
        assert!(
            kinds[student].iter().all(|k| k == kind),
            "{student}: {:?}",
            kinds[student]
        );
    };
    for refused in [
        "forged-stdout",
        "init-array",
        "running-0-tests",
        "path-solution",
        "include-solution",
        "unsafe-code",
        "symlink-to-solution",
    ] {
        every(refused, "refused");
    }
    every("cy-does-not-compile", "does_not_compile");
    every("path-by-macro", "does_not_compile");
    every("eve-empty", "not_handed_in");
    every("forged-dev-stdout", "ended_early");
    every("running-0-tests-late", "ended_early");
    every("exec-self", "assertion_failed");
    assert!(
        kinds["dee-partly-wrong"].contains(&"timed_out".to_string()),
        "{:?}",
        kinds["dee-partly-wrong"]
    );
    // The attempts that ran failed as the sandbox made them fail.
    let reason_of = |student: &str| {
        json["students"]
            .as_array()
            .expect("students")
            .iter()
            .find(|s| s["student"] == student)
            .and_then(|s| s["checks"][0]["reason"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(reason_of("reach-out"), "nothing reached");
    assert!(
        reason_of("leave-behind").starts_with("still running after the check: "),
        "{}",
        reason_of("leave-behind")
    );
    assert!(
        reason_of("fork-bomb").starts_with("stopped after"),
        "{}",
        reason_of("fork-bomb")
    );
    assert!(
        reason_of("disk-and-output").contains("size limit"),
        "{}",
        reason_of("disk-and-output")
    );

    // JUnit XML: a test case per student and check.
    let xml = fs::read_to_string(class.join("scores.xml")).expect("the XML");
    assert_eq!(xml.matches("<testcase ").count(), 6 * scores.len(), "{xml}");
    let _ = fs::remove_dir_all(&class);
}

/// Wrong answers particular to other exercises: a ceiling split of the
/// stack (too few threads), and a rack that wraps the library's queue.
#[test]
fn wrong_answers_of_other_exercises_fail() {
    let repo = Repo::default();
    if !repo.has_solutions().expect("solutions all there or none") {
        let _ = writeln!(std::io::stderr(), "SKIPPED: no solutions in this copy");
        return;
    }
    let sandbox = Isolation::find(false).expect("bubblewrap makes sandboxes here");
    let class = std::env::temp_dir().join(format!("washup-wrong-{}", std::process::id()));
    let _ = fs::remove_dir_all(&class);
    let hand_in = |exercise: &str, student: &str, code: &str| {
        let src = class.join(exercise).join(student).join("src");
        fs::create_dir_all(&src).expect("src");
        fs::write(src.join("lib.rs"), code).expect("lib.rs");
    };
    hand_in(
        "parallel-scrub",
        "ceiling",
        "pub fn scrub(stack: &[u64], workers: usize, scrub_one: fn(u64) -> u64) -> u64 {\n\
         if stack.is_empty() { return 0; }\n\
         let share = stack.len().div_ceil(workers.max(1));\n\
         std::thread::scope(|s| {\n\
         let hs: Vec<_> = stack.chunks(share).map(|c| s.spawn(move || c.iter().fold(0u64, |a, &d| a.wrapping_add(scrub_one(d))))).collect();\n\
         hs.into_iter().map(|h| h.join().unwrap()).fold(0u64, u64::wrapping_add)\n\
         })\n}\n",
    );
    hand_in(
        "condvar-rack",
        "wrapper",
        "use washup::sync::JoinableQueue;\n\
         #[derive(Debug, PartialEq, Eq)]\npub struct TooManyTaskDone;\n\
         pub struct Rack<T>(JoinableQueue<T>);\n",
    );
    let scrub = repo.exercise("parallel-scrub").expect("exercise");
    let rows = grade(
        &repo,
        &scrub,
        &class.join("parallel-scrub"),
        &sandbox,
        1,
        &mut |_, _| {},
    )
    .expect("grading runs");
    let failed: Vec<&str> = rows["ceiling"]
        .results
        .iter()
        .filter(|r| r.outcome != washup_exercises::Outcome::Passed)
        .map(|r| r.test.as_str())
        .collect();
    assert_eq!(
        failed,
        ["every_worker_scrubs_on_its_own_thread"],
        "{:?}",
        rows["ceiling"]
    );

    let rack = repo.exercise("condvar-rack").expect("exercise");
    let rows = grade(
        &repo,
        &rack,
        &class.join("condvar-rack"),
        &sandbox,
        1,
        &mut |_, _| {},
    )
    .expect("grading runs");
    let failure = rows["wrapper"]
        .common_failure()
        .expect("one failure for all");
    assert!(
        matches!(failure, washup_exercises::Failure::Refused(why) if why.contains("`washup`")),
        "{failure:?}"
    );
    let _ = fs::remove_dir_all(&class);
}

//! The book checks itself.
//!
//! - Every `{{#run ...}}` / `{{#run-python ...}}` in `book/src` is run for
//!   real and its output asserted against its insta snapshot in
//!   `tests/snapshots/`, which is exactly what the page shows.
//! - Every example is run by some page; every snapshot belongs to a run.
//! - No page holds a hand-typed output block.
//!
//! Environment knobs: `WASHUP_ONLY=dishes,python__dishes` runs only those
//! targets (example names, `python__<stem>` or `compile-fail__<stem>`); `WASHUP_REPEAT=N` runs
//! each directive N times and requires the same output every time (the
//! stability check: run it with both cores busy).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use mdbook_runner::directive::{self, Directive, Target};
use mdbook_runner::quiz::{self, Question, Quiz};
use mdbook_runner::{Paths, render};
use washup_tests::{
    Finished, project_root, run_example, run_example_with_env, run_python, run_rustc,
    skip_without_python3,
};

fn pages() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = fs::read_dir(dir)
            .expect("read book/src")
            .map(|e| e.expect("dir entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&project_root().join("book/src"), &mut out);
    out
}

fn shown(path: &Path) -> String {
    path.strip_prefix(project_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Every directive in the book, once, with the places that use it.
fn directives() -> BTreeMap<Directive, Vec<String>> {
    let mut all: BTreeMap<Directive, Vec<String>> = BTreeMap::new();
    let mut malformed = Vec::new();
    for page in pages() {
        let text = fs::read_to_string(&page).expect("read page");
        for found in directive::find(&text) {
            let place = format!("{}:{}", shown(&page), found.line);
            match found.parsed {
                Ok(Some(directive)) => all.entry(directive).or_default().push(place),
                Ok(None) => {}
                Err(error) => malformed.push(format!("{place}: {error}")),
            }
        }
        // A quiz's "what does it print?" questions are runs too.
        for (line, name, quiz) in quizzes_in(&text) {
            for (number, directive) in quiz.runs() {
                let place = format!("{}:{line} (quiz {name}, question {number})", shown(&page));
                all.entry(directive).or_default().push(place);
            }
        }
    }
    assert!(
        malformed.is_empty(),
        "malformed directives:\n{}",
        malformed.join("\n")
    );
    all
}

/// The quizzes a page shows: (line, name, quiz). Fails the test on a
/// malformed directive or an invalid quiz file.
fn quizzes_in(text: &str) -> Vec<(usize, String, Quiz)> {
    let paths = Paths::from_book_toml(&project_root().join("book")).expect("book.toml");
    quiz::find(text)
        .into_iter()
        .filter_map(|found| {
            let name = found.name.expect("well-formed {{#quiz}} directive")?;
            let quiz = paths.load_quiz(&name).unwrap_or_else(|e| panic!("{e}"));
            Some((found.line, name, quiz))
        })
        .collect()
}

/// A quiz cannot teach a wrong answer: in each "what does it print?"
/// question, the option marked right is exactly the accepted output of its
/// run (which the test above checks against the real program), and no other
/// option is.
#[test]
fn quiz_answers_are_what_the_programs_print() {
    let paths = Paths::from_book_toml(&project_root().join("book")).expect("book.toml");
    let mut checked = 0;
    for page in pages() {
        let text = fs::read_to_string(&page).expect("read page");
        for (_, name, quiz) in quizzes_in(&text) {
            for (index, question) in quiz.questions.iter().enumerate() {
                let Question::Prints {
                    run,
                    options,
                    answer,
                    ..
                } = question
                else {
                    continue;
                };
                let directive = quiz::run_directive(run).expect("valid run");
                let snapshot = fs::read_to_string(paths.snapshot_file(&directive))
                    .unwrap_or_else(|e| panic!("quiz {name}: no snapshot for `{run}`: {e}"));
                let real = render::snapshot_contents(&snapshot).expect("insta snapshot");
                for (i, option) in options.iter().enumerate() {
                    let same = option.trim_end() == real.trim_end();
                    assert_eq!(
                        same,
                        i == *answer,
                        "quiz {name}, question {}: option {i} {} the program's output:\n{real}",
                        index + 1,
                        if same { "is" } else { "is not" }
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(
        checked > 0,
        "no quiz has a \"what does it print?\" question"
    );
}

fn selected(directive: &Directive) -> bool {
    let Ok(only) = std::env::var("WASHUP_ONLY") else {
        return true;
    };
    let key = match &directive.target {
        Target::Example(name) => name.clone(),
        // `python__<stem>`, `compile-fail__<stem>`
        Target::Python(_) | Target::CompileFail(_) => directive
            .snapshot_name()
            .split("__")
            .take(2)
            .collect::<Vec<_>>()
            .join("__"),
    };
    only.split(',').any(|wanted| wanted.trim() == key)
}

/// Examples of the `kitchens` member talk to a Redis server: the tests'
/// own (see `washup_tests::redis`), a fresh empty database for each run.
fn needs_redis(directive: &Directive) -> bool {
    matches!(&directive.target, Target::Example(name)
        if project_root().join("kitchens/examples").join(format!("{name}.rs")).is_file())
}

fn run(directive: &Directive) -> Finished {
    let args: Vec<&str> = directive.args.iter().map(String::as_str).collect();
    match &directive.target {
        Target::Example(name) if needs_redis(directive) => {
            let url = washup_tests::redis::fresh_url().expect("a Redis server (checked before)");
            run_example_with_env(name, &args, &[("REDIS_URL", &url)])
        }
        Target::Example(name) => run_example(name, &args),
        Target::Python(path) => run_python(path, &args),
        Target::CompileFail(path) => {
            let finished = run_rustc(path);
            assert_ne!(
                finished.code,
                Some(0),
                "{directive}: {path} compiled, but the page says it must not"
            );
            finished
        }
    }
}

/// Redactions for what truly varies between runs. Programs print such
/// values in these forms on purpose, and the pages say they are redacted.
fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"\bpid \d+", "pid [pid]"),
        (r"\btid \d+", "tid [tid]"),
        // Rust's panic message names the thread and its OS id.
        (
            r"thread '([^']*)' \(\d+\) panicked",
            "thread '$1' ([tid]) panicked",
        ),
        (r"\b\d+(\.\d+)? ?[kMG]? items/s\b", "[rate] items/s"),
        (r"\b\d+(\.\d+)? ?(ns|µs|us|ms|s)\b", "[time]"),
        // The standard library's sources, as rustc names them in notes.
        (r"/rustc/[0-9a-f]{40}/", "/rustc/[commit]/"),
    ]
}

#[test]
fn every_run_in_the_book_matches_its_snapshot() {
    let repeat: usize = std::env::var("WASHUP_REPEAT")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let mut failures = Vec::new();
    let mut checked = 0;
    for (directive, places) in directives() {
        if !selected(&directive) {
            continue;
        }
        if matches!(directive.target, Target::CompileFail(_))
            && let Some(skip) = compile_fail_skip()
        {
            // Another rustc words its errors its own way, so the full text
            // is not compared; but the program must still be refused, for
            // the same reasons (error codes) as in the accepted output.
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                compile_fails_with_the_accepted_error_codes(&directive)
            }));
            checked += 1;
            match outcome {
                Ok(codes) => {
                    let _ = writeln!(
                        std::io::stderr(),
                        "SKIPPED the full text of {directive}: {skip}. \
                         Checked only that it does not compile, with {codes:?}"
                    );
                }
                Err(_) => failures.push(format!("{directive} (used at {})", places.join(", "))),
            }
            continue;
        }
        if needs_redis(&directive) && washup_tests::redis::url().is_none() {
            washup_tests::redis::skip(&format!("{directive} at {}", places.join(", ")));
            continue;
        }
        if matches!(directive.target, Target::Python(_))
            && skip_without_python3(&format!("{directive} at {}", places.join(", ")))
        {
            continue;
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let first = run(&directive).shown();
            for round in 2..=repeat {
                let again = run(&directive).shown();
                assert_eq!(
                    redact(&first),
                    redact(&again),
                    "run {round} of {repeat} printed something else"
                );
            }
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_path(project_root().join("tests/snapshots"));
            settings.set_prepend_module_to_snapshot(false);
            settings.set_omit_expression(true);
            settings.set_description(directive.command_line());
            for (pattern, replacement) in filters() {
                settings.add_filter(pattern, replacement);
            }
            settings.bind(|| insta::assert_snapshot!(directive.snapshot_name(), first));
        }));
        checked += 1;
        if outcome.is_err() {
            failures.push(format!("{directive} (used at {})", places.join(", ")));
        }
    }
    println!("checked {checked} run(s) from the book");
    assert!(
        failures.is_empty(),
        "these runs do not match their accepted snapshots (see the diffs above):\n{}",
        failures.join("\n")
    );
}

/// The error codes (`E0382`, ...) in a text of rustc's.
fn error_codes(text: &str) -> BTreeSet<String> {
    let re = regex::Regex::new(r"\berror\[(E\d{4})\]").expect("valid regex");
    re.captures_iter(text).map(|c| c[1].to_string()).collect()
}

/// Compiles a `{{#compile-fail}}` program and checks that rustc refuses it
/// with every error code of its accepted snapshot (it may add others).
/// Returns those codes. This holds with any rustc, whatever its wording.
fn compile_fails_with_the_accepted_error_codes(directive: &Directive) -> BTreeSet<String> {
    let snapshot = project_root()
        .join("tests/snapshots")
        .join(format!("{}.snap", directive.snapshot_name()));
    let accepted = fs::read_to_string(&snapshot).unwrap_or_else(|e| {
        panic!(
            "{directive}: no accepted snapshot {}: {e}",
            shown(&snapshot)
        )
    });
    let expected = error_codes(&accepted);
    assert!(
        !expected.is_empty(),
        "{directive}: the accepted output {} has no error code",
        shown(&snapshot)
    );
    let finished = run(directive); // fails the test if it compiles
    let found = error_codes(&finished.output);
    let missing: Vec<&String> = expected.difference(&found).collect();
    assert!(
        missing.is_empty(),
        "{directive}: rustc did not report {missing:?}; it said:\n{}",
        finished.output
    );
    expected
}

#[test]
fn error_codes_are_read_from_rustcs_output() {
    let text = "error[E0382]: use of moved value: `dryer`\n  |\nerror[E0599]: no method\n\
                For more information about this error, try `rustc --explain E0382`.\n\
                warning[E9999] is not an error; nor is xerror[E1234]\n";
    assert_eq!(
        error_codes(text).into_iter().collect::<Vec<_>>(),
        ["E0382", "E0599"]
    );
}

/// The compiler's words change between Rust releases, so the accepted
/// `{{#compile-fail}}` outputs are tied to the rustc that recorded them
/// (`tests/snapshots/rustc-version.txt`). With another rustc their full
/// text is not compared, visibly; that each program is refused, with the
/// error codes of its accepted output, is still checked. Delete that file
/// to record the outputs anew with yours.
fn compile_fail_skip() -> Option<String> {
    let recorded_file = project_root().join("tests/snapshots/rustc-version.txt");
    let current = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    match fs::read_to_string(&recorded_file) {
        Ok(recorded) if recorded.trim() == current => None,
        Ok(recorded) => Some(format!(
            "its output was recorded with {}, and this is {current}; \
             delete tests/snapshots/rustc-version.txt to record it with yours",
            recorded.trim()
        )),
        Err(_) => {
            fs::write(&recorded_file, format!("{current}\n")).expect("record the rustc version");
            None
        }
    }
}

fn redact(text: &str) -> String {
    let mut text = text.to_string();
    for (pattern, replacement) in filters() {
        let re = regex::Regex::new(pattern).expect("valid filter");
        text = re.replace_all(&text, replacement).into_owned();
    }
    text
}

#[test]
fn every_example_is_run_by_some_page() {
    let shown: BTreeSet<String> = directives()
        .into_keys()
        .filter_map(|d| match d.target {
            Target::Example(name) => Some(name),
            Target::Python(_) | Target::CompileFail(_) => None,
        })
        .collect();
    let mut missing = Vec::new();
    let paths = Paths::from_book_toml(&project_root().join("book")).expect("book.toml");
    for dir in &paths.examples {
        for entry in fs::read_dir(dir).expect("read an examples folder") {
            let path = entry.expect("dir entry").path();
            let name = if path.extension().is_some_and(|e| e == "rs") {
                path.file_stem()
            } else if path.join("main.rs").is_file() {
                path.file_name()
            } else {
                None
            };
            if let Some(name) = name.and_then(|n| n.to_str())
                && !shown.contains(name)
            {
                missing.push(name.to_string());
            }
        }
    }
    missing.sort();
    assert!(
        missing.is_empty(),
        "examples that no page runs with {{{{#run NAME}}}}: {missing:?}"
    );
}

/// Every exercise's task is set at the end of its own chapter with
/// `{{#exercise ID}}` (the build checks the chapter matches).
#[test]
fn every_exercise_is_set_in_its_chapter() {
    let mut set = BTreeSet::new();
    for page in pages() {
        let text = fs::read_to_string(&page).expect("read page");
        for found in directive::find_named(&text, "exercise") {
            if let Ok(Some(id)) = found.name {
                set.insert(id);
            }
        }
    }
    let mut missing = Vec::new();
    for entry in fs::read_dir(project_root().join("exercises")).expect("read exercises/") {
        let dir = entry.expect("dir entry").path();
        if dir.join("exercise.toml").is_file() {
            let id = dir
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            if !set.contains(&id) {
                missing.push(id);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "exercises that no chapter sets with {{{{#exercise ID}}}}: {missing:?}"
    );
}

#[test]
fn every_book_snapshot_belongs_to_a_run() {
    let used: BTreeSet<String> = directives()
        .into_keys()
        .map(|d| format!("{}.snap", d.snapshot_name()))
        .collect();
    // Only the book's runs keep snapshots at the top of tests/snapshots;
    // any other test that uses insta keeps its own in a subfolder.
    let mut stale = Vec::new();
    for entry in fs::read_dir(project_root().join("tests/snapshots")).expect("read snapshots") {
        let name = entry
            .expect("dir entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".snap") && !used.contains(&name) {
            stale.push(name);
        }
    }
    stale.sort();
    assert!(
        stale.is_empty(),
        "snapshots that no {{{{#run}}}} in the book uses (delete them): {stale:?}"
    );
}

/// Output must reach a page only through a directive. A fenced block tagged
/// `console`, `text` or `output`, or not tagged at all, is output typed by
/// hand unless it is marked `,not-output` (e.g. ```` ```text,not-output ````).
#[test]
fn no_page_holds_hand_typed_output() {
    let mut found = Vec::new();
    for page in pages() {
        let text = fs::read_to_string(&page).expect("read page");
        for (line, info) in fenced_blocks(&text) {
            let mut parts = info.split([',', ' ']).filter(|p| !p.is_empty());
            let language = parts.next().unwrap_or("");
            let marked = info.split([',', ' ']).any(|p| p == "not-output");
            if matches!(language, "" | "console" | "text" | "output" | "plain") && !marked {
                found.push(format!("{}:{line}: ```{info}", shown(&page)));
            }
        }
    }
    assert!(
        found.is_empty(),
        "hand-typed output blocks (show output with {{{{#run ...}}}}, or mark the block `,not-output`):\n{}",
        found.join("\n")
    );
}

/// The opening fences of a markdown text: (1-based line, info string).
fn fenced_blocks(text: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(char, usize)> = None;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if line.len() - trimmed.len() > 3 {
            continue;
        }
        let Some(fence_char) = trimmed.chars().next().filter(|c| *c == '`' || *c == '~') else {
            continue;
        };
        let run = trimmed.chars().take_while(|c| *c == fence_char).count();
        if run < 3 {
            continue;
        }
        let rest = trimmed[run..].trim();
        match open {
            None => {
                open = Some((fence_char, run));
                blocks.push((index + 1, rest.to_string()));
            }
            Some((c, n)) if c == fence_char && run >= n && rest.is_empty() => open = None,
            Some(_) => {}
        }
    }
    blocks
}

#[test]
fn the_fence_scanner_sees_what_markdown_sees() {
    let text = "```rust\nlet x = 1;\n```\n\n````console\n```\nnot a fence\n```\n````\n~~~\nplain\n~~~\n    ```indented code\n";
    assert_eq!(
        fenced_blocks(text),
        vec![
            (1, "rust".to_string()),
            (5, "console".to_string()),
            (10, String::new())
        ]
    );
}

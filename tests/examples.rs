//! Every example's command line, tried as a new reader would (issue 14):
//! `--help` begins with a one-line description; a bad flag is refused with
//! exit status 2 and a message, never a panic; the examples that take dish
//! names refuse an empty one, and `--dishes` is a count everywhere; and
//! output piped into a reader that goes away (`| head`) ends the program
//! quietly: no panic, no "Broken pipe", nothing left running.

use std::path::Path;

use washup_tests::{Finished, project_root, redis, run_example, run_example_into_closed_pipe};

/// One example: how to run it quickly, and whether it takes dish names.
struct Example {
    name: &'static str,
    /// Arguments for a short, complete run.
    quick: &'static [&'static str],
    /// Takes `--dishes N` and `--names a,b,c` (see `washup::cli::Dishes`).
    takes_names: bool,
}

const EXAMPLES: &[Example] = &[
    Example {
        name: "by-hand",
        quick: &[],
        takes_names: true,
    },
    Example {
        name: "processes",
        quick: &["--door-after-ms", "1"],
        takes_names: true,
    },
    Example {
        name: "daemon-processes",
        quick: &[],
        takes_names: false,
    },
    Example {
        name: "rack",
        quick: &[],
        takes_names: false,
    },
    Example {
        name: "dishes",
        quick: &[],
        takes_names: false,
    },
    Example {
        name: "interleavings",
        quick: &["--all"],
        takes_names: true,
    },
    Example {
        name: "backpressure",
        quick: &["--policy", "drop"],
        takes_names: false,
    },
    Example {
        name: "threads",
        quick: &["--timeout-ms", "1"],
        takes_names: false,
    },
    Example {
        name: "thread-dishes",
        quick: &["--wait-ms", "1"],
        takes_names: true,
    },
    Example {
        name: "thread-io",
        quick: &["--neighbours", "2", "--wait-ms", "1"],
        takes_names: false,
    },
    Example {
        name: "daemon-threads",
        quick: &[],
        takes_names: true,
    },
    Example {
        name: "locks",
        quick: &["--dishes", "1000"],
        takes_names: false,
    },
    Example {
        name: "deadlock",
        quick: &[],
        takes_names: false,
    },
    Example {
        name: "locks-rack",
        quick: &[],
        takes_names: true,
    },
    Example {
        name: "threads-or-processes",
        quick: &["--dishes", "1000", "--answers", "2", "--wait-ms", "1"],
        takes_names: false,
    },
    // Its runs need a Redis server: see `quick_args`.
    Example {
        name: "redis-rack",
        quick: &["kitchen"],
        takes_names: false,
    },
];

/// The example's quick arguments; for redis-rack, with the URL of a fresh
/// database of the tests' own server (`None`: no server here, skip).
fn quick_args(example: &Example) -> Option<Vec<String>> {
    let mut args: Vec<String> = example.quick.iter().map(|a| a.to_string()).collect();
    if example.name == "redis-rack" {
        let Some(url) = redis::fresh_url() else {
            redis::skip("redis-rack into a closed pipe");
            return None;
        };
        args.splice(0..0, ["--redis".to_string(), url]);
    }
    Some(args)
}

fn run(example: &str, args: &[&str]) -> Finished {
    run_example(example, args)
}

fn no_panic(what: &str, finished: &Finished) {
    let text = &finished.output;
    assert!(
        !text.contains("panicked") && !text.contains("RUST_BACKTRACE"),
        "{what}: a panic:\n{}",
        finished.shown()
    );
}

/// The table above lists every example of the book, so a new one cannot
/// escape these checks.
#[test]
fn every_example_is_in_the_table() {
    let mut found = Vec::new();
    for dir in ["examples", "kitchens/examples"] {
        let dir = project_root().join(dir);
        for entry in std::fs::read_dir(&dir).expect("examples folder") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "rs") {
                let stem = Path::file_stem(&path).expect("a name");
                found.push(stem.to_string_lossy().into_owned());
            }
        }
    }
    found.sort();
    let mut listed: Vec<String> = EXAMPLES.iter().map(|e| e.name.to_string()).collect();
    listed.sort();
    assert_eq!(
        found, listed,
        "tests/examples.rs: EXAMPLES must list every example"
    );
}

#[test]
fn help_begins_with_a_one_line_description() {
    for example in EXAMPLES {
        let help = run(example.name, &["--help"]);
        assert_eq!(
            help.code,
            Some(0),
            "{} --help:\n{}",
            example.name,
            help.shown()
        );
        let mut lines = help.output.lines();
        let first = lines.next().unwrap_or_default();
        let second = lines.next().unwrap_or_default();
        assert!(
            !first.trim().is_empty() && !first.starts_with("Usage:") && second.is_empty(),
            "{} --help must begin with a description line, then a blank line:\n{}",
            example.name,
            help.output
        );
    }
}

#[test]
fn a_bad_flag_exits_2_with_a_message_and_no_panic() {
    for example in EXAMPLES {
        for bad in [&["--no-such-flag"][..], &["--dishes", "-1"][..]] {
            let finished = run(example.name, bad);
            let what = format!("{} {bad:?}", example.name);
            assert_eq!(finished.code, Some(2), "{what}:\n{}", finished.shown());
            assert!(
                finished.output.starts_with("error: "),
                "{what}:\n{}",
                finished.output
            );
            no_panic(&what, &finished);
        }
    }
}

/// `--dishes` is a count and `--names` a list, in every example that
/// takes dish names; an empty name is refused, and so is giving both.
#[test]
fn dish_names_are_refused_when_empty_and_dishes_is_a_count() {
    let refused = [
        (&["--names", "salad,,bread"][..], "a dish needs a name"),
        (&["--names", ""][..], "a dish needs a name"),
        (&["--names", "salad, "][..], "a dish needs a name"),
        (
            &["--dishes", "salad,bread"][..],
            "invalid value 'salad,bread' for '--dishes <N>'",
        ),
        (
            &["--dishes", "2", "--names", "a,b"][..],
            "cannot be used with",
        ),
    ];
    for example in EXAMPLES.iter().filter(|e| e.takes_names) {
        for (args, says) in refused {
            let finished = run(example.name, args);
            let what = format!("{} {args:?}", example.name);
            assert_eq!(finished.code, Some(2), "{what}:\n{}", finished.shown());
            assert!(
                finished.output.contains(says),
                "{what}: expected {says:?}:\n{}",
                finished.output
            );
            no_panic(&what, &finished);
        }
        // And both forms are accepted.
        let quick: Vec<&str> = example.quick.to_vec();
        for args in [&["--dishes", "3"][..], &["--names", "soup,pan,cups"][..]] {
            let finished = run(example.name, &[&quick[..], args].concat());
            let what = format!("{} {args:?}", example.name);
            assert_eq!(finished.code, Some(0), "{what}:\n{}", finished.shown());
            let first_dish = if args[0] == "--names" {
                "soup"
            } else {
                "salad"
            };
            assert!(
                finished.output.contains(first_dish),
                "{what}:\n{}",
                finished.output
            );
        }
    }
}

/// What a program into a closed pipe may leave on standard error: nothing
/// about a panic or a broken pipe; and it ended by exiting 0 or by SIGPIPE.
fn ended_quietly(what: &str, finished: &Finished) {
    no_panic(what, finished);
    assert!(
        !finished.output.to_lowercase().contains("broken pipe"),
        "{what}: says Broken pipe:\n{}",
        finished.output
    );
    let sigpipe = nix::sys::signal::Signal::SIGPIPE as i32;
    assert!(
        finished.code == Some(0) || finished.signal == Some(sigpipe),
        "{what}: ended otherwise:\n{}",
        finished.shown()
    );
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    for example in EXAMPLES {
        let Some(args) = quick_args(example) else {
            continue;
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // 0: the reader is gone before the first line; 1: `| head -1`.
        for lines in [0, 1] {
            let finished = run_example_into_closed_pipe(example.name, &args, lines);
            ended_quietly(
                &format!("{} {args:?} | head -{lines}", example.name),
                &finished,
            );
        }
    }
}

/// The case that used to hang: the dryer processes print while the washer
/// waits in `join`; a dryer ended by SIGPIPE never marks its dish done, so
/// `join` would wait forever. The whole program must end instead.
#[test]
fn dishes_ends_when_the_reader_goes_away_while_the_dryers_print() {
    // Ten washing lines, then slow drying lines: the reader leaves after
    // the second drying line, while the dryer is still at work.
    let args = ["--dishes", "10", "--dry-ms", "20"];
    for _ in 0..5 {
        let finished = run_example_into_closed_pipe("dishes", &args, 12);
        ended_quietly(&format!("dishes {args:?} | head -12"), &finished);
    }
}

/// A flag that would change nothing in a combination is refused with a
/// message, not silently ignored; and every wait has a cap (a minute), so
/// no number makes an example wait forever.
#[test]
fn ignored_flags_and_endless_waits_are_refused() {
    const FOREVER: &str = "18446744073709551615";
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "daemon-threads",
            &["--ending", "join", "--towels", "2"],
            "--towels is for --ending detach",
        ),
        (
            "deadlock",
            &["--order", "same", "--reach", "lock"],
            "--reach does nothing with --order same",
        ),
        (
            "deadlock",
            &["--dishes", "5"],
            "--dishes does nothing with --order opposite",
        ),
        (
            "locks",
            &["--show", "poison", "--dishes", "5"],
            "--dishes is for the tallies",
        ),
        (
            "locks",
            &["--show", "rwlock", "--dryers", "2"],
            "--dryers is for the tallies",
        ),
        (
            "daemon-processes",
            &["--daemonic-washer", "--daemon"],
            "cannot be used with",
        ),
        (
            "daemon-processes",
            &["--daemonic-washer", "--watch-ms", "5"],
            "cannot be used with",
        ),
        (
            "processes",
            &["--break-at", "spoon"],
            "there is no spoon dish",
        ),
        (
            "processes",
            &["--door-after-ms", FOREVER],
            "is not in 0..=60000",
        ),
        (
            "daemon-processes",
            &["--watch-ms", FOREVER],
            "is not in 0..=60000",
        ),
    ];
    for (example, args, says) in cases {
        let finished = run(example, args);
        let what = format!("{example} {args:?}");
        assert_eq!(finished.code, Some(2), "{what}:\n{}", finished.shown());
        assert!(
            finished.output.contains(says),
            "{what}: expected {says:?}:\n{}",
            finished.output
        );
        no_panic(&what, &finished);
    }
}

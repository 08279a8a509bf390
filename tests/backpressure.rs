//! What the page *When the washer is faster* says about runs it shows or
//! suggests, checked on the debug example binaries (a reader's
//! `cargo run`).
//!
//! Where a claim depends on speed, the run's own flags force it, with a wide
//! margin, instead of relying on luck: a dryer slowed to a second a dish
//! against a washer that takes none, or a washer pausing a second against
//! dryers that give up after 10 ms. Each claim would fail only if this
//! machine stalled a process for about a second.

use std::collections::BTreeMap;

use washup_tests::run_example;

/// The run's summary lines, `key: value`, by key.
fn summary(args: &[&str]) -> BTreeMap<String, String> {
    let run = run_example("backpressure", args);
    assert_eq!(run.code, Some(0), "{args:?}: {}", run.output);
    run.output
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// A count from the summary: "12 dishes" or "9" gives 12 or 9.
fn number(s: &BTreeMap<String, String>, key: &str) -> usize {
    s.get(key)
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number for {key:?} in {s:?}"))
}

/// Every dish washed is on the floor, dried or lost: none twice, none missing.
fn accounted(s: &BTreeMap<String, String>) {
    assert_eq!(
        number(s, "on the floor") + number(s, "dried") + number(s, "lost"),
        number(s, "washed"),
        "{s:?}"
    );
}

#[test]
fn drop_with_the_dryers_at_work_still_drops_when_they_are_slower() {
    // Page: "some dishes still fall, never more than with the dryers on a
    // break". Two dryers at a second a dish take at most a few of the 12
    // dishes while the washer, taking no time, washes them all.
    let s = summary(&["--policy", "drop", "--overlap", "--dry-ms", "1000"]);
    accounted(&s);
    let floor = number(&s, "on the floor");
    assert!((1..=9).contains(&floor), "{s:?}");
    assert_eq!(number(&s, "lost"), 0, "{s:?}");
    assert_eq!(s["rack within its 3 places"], "true");
    assert!(
        !s.contains_key("washer waited for room"),
        "put_nowait never waits"
    );
}

#[test]
fn drop_with_a_slower_washer_drops_nothing() {
    // Page: with the washer slower than the two dryers together, none falls.
    // Here the washer pauses 200 ms per dish and the dryers take none.
    let s = summary(&[
        "--policy",
        "drop",
        "--overlap",
        "--wash-ms",
        "200",
        "--dry-ms",
        "0",
        "--dishes",
        "6",
    ]);
    accounted(&s);
    assert_eq!(number(&s, "on the floor"), 0, "{s:?}");
    assert_eq!(number(&s, "dried"), 6, "{s:?}");
}

#[test]
fn pile_with_the_dryers_at_work_grows_beyond_three_places() {
    // Page: "the rack piles up far beyond three places: 'rack held at most'
    // says how far". The dryers hold two dishes for a second each; the
    // other six pile up at once.
    let s = summary(&[
        "--policy",
        "pile",
        "--overlap",
        "--dry-ms",
        "1000",
        "--dishes",
        "8",
    ]);
    accounted(&s);
    assert_eq!(number(&s, "dried"), 8, "{s:?}");
    assert!(number(&s, "rack held at most") >= 6, "{s:?}");
    assert!(
        !s.contains_key("washer waited for room"),
        "a pile is never full"
    );
}

#[test]
fn wait_never_drops_nor_loses_and_waits_only_when_full() {
    for args in [
        &["--policy", "wait"][..],
        &["--policy", "wait", "--dryers", "1"],
        &[
            "--policy", "wait", "--dishes", "40", "--dryers", "3", "--rack", "2",
        ],
    ] {
        let s = summary(args);
        accounted(&s);
        assert_eq!(number(&s, "on the floor"), 0, "{args:?}: {s:?}");
        assert_eq!(number(&s, "lost"), 0, "{args:?}: {s:?}");
        let places = if args.contains(&"--rack") { 2 } else { 3 };
        let within = format!("rack within its {places} places");
        assert_eq!(s.get(&within).map(String::as_str), Some("true"), "{s:?}");
        assert!(
            s["washer waited for room"].ends_with("ms in total"),
            "{s:?}"
        );
    }
}

#[test]
fn dryers_that_guess_too_soon_lose_dishes_and_patient_ones_none() {
    // Page: dryers that give up after 10 ms go home long before the first
    // dish (the washer pauses before each one): dishes are lost. Here the
    // pause is a second, so at most the first dish can find a dryer.
    let s = summary(&[
        "--policy",
        "pile",
        "--overlap",
        "--wash-ms",
        "1000",
        "--get-timeout-ms",
        "10",
        "--dishes",
        "2",
    ]);
    accounted(&s);
    assert!(number(&s, "lost") >= 1, "{s:?}");
    // Page: dryers that wait longer than any pause of the washer lose none.
    let s = summary(&[
        "--policy",
        "pile",
        "--overlap",
        "--wash-ms",
        "100",
        "--get-timeout-ms",
        "2000",
        "--dishes",
        "4",
    ]);
    accounted(&s);
    assert_eq!(number(&s, "lost"), 0, "{s:?}");
    assert_eq!(number(&s, "dried"), 4, "{s:?}");
}

#[test]
fn one_of_a_thing_is_singular() {
    let run = run_example(
        "backpressure",
        &["--policy", "pile", "--dishes", "1", "--dryers", "1"],
    );
    assert_eq!(run.code, Some(0), "{}", run.output);
    for line in [
        "the washer is done: 1 dish washed",
        "1 dryer goes to work",
        "washed:          1 dish",
        "rack held at most: 1 dish,",
    ] {
        assert!(run.output.contains(line), "{line:?} in {}", run.output);
    }
}

#[test]
fn waiting_counts_only_puts_that_found_the_rack_full() {
    // Three heavy dishes on a rack with three places: no put finds it full,
    // however long each put takes to copy a MiB, so the washer never
    // waited for room.
    let s = summary(&[
        "--policy",
        "wait",
        "--dishes",
        "3",
        "--rack",
        "3",
        "--dish-kib",
        "1024",
    ]);
    assert_eq!(s["washer waited for room"], "0.0 ms in total", "{s:?}");
    // One dryer at 200 ms a dish: the fifth and sixth dishes find the
    // rack full and wait for her.
    let s = summary(&[
        "--policy", "wait", "--dishes", "6", "--rack", "3", "--dryers", "1", "--dry-ms", "200",
    ]);
    let waited: f64 = s["washer waited for room"]
        .split_whitespace()
        .next()
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("{s:?}"));
    assert!(waited >= 100.0, "{s:?}");
}

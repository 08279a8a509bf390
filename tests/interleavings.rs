//! The interleavings explorer (chapter "Why your output differs") tells the
//! truth: every log it lists obeys the rules, every schedule and seed it
//! names replays to that log, and bad schedules are refused.

use regex::Regex;
use washup_tests::run_example;

struct Listed {
    count: usize,
    schedule: String,
    seed: u64,
    lines: Vec<String>,
}

/// Parses `--all` output into (total schedules, logs).
fn explore(args: &[&str]) -> (usize, Vec<Listed>) {
    let mut all_args = vec!["--all"];
    all_args.extend_from_slice(args);
    let run = run_example("interleavings", &all_args);
    assert_eq!(run.code, Some(0), "{}", run.output);
    let header = Regex::new(r"^(\d+) schedules? gives? (\d+) different logs?$").expect("regex");
    let entry = Regex::new(r"^log \d+ \((\d+) schedules?, e\.g\. ([w0-9]+); --seed (\d+)\):$")
        .expect("regex");
    let mut lines = run.output.lines();
    let first = lines.next().expect("a first line");
    let caps = header.captures(first).expect("the count line");
    let total: usize = caps[1].parse().expect("number");
    let distinct: usize = caps[2].parse().expect("number");
    let mut logs: Vec<Listed> = Vec::new();
    for line in lines {
        if let Some(caps) = entry.captures(line) {
            logs.push(Listed {
                count: caps[1].parse().expect("number"),
                schedule: caps[2].to_string(),
                seed: caps[3].parse().expect("number"),
                lines: Vec::new(),
            });
        } else if let Some(text) = line.strip_prefix("  ") {
            logs.last_mut()
                .expect("a log header first")
                .lines
                .push(text.to_string());
        }
    }
    assert_eq!(logs.len(), distinct, "the count line matches the list");
    assert_eq!(logs.iter().map(|l| l.count).sum::<usize>(), total);
    (total, logs)
}

/// The rules every log must obey.
fn check_rules(log: &[String], dishes: &[&str], dryers: usize) {
    let washed: Vec<&str> = log
        .iter()
        .filter_map(|l| l.strip_prefix("Washing ")?.strip_suffix(" dish"))
        .collect();
    assert_eq!(washed, dishes, "washed once each, in order: {log:?}");
    let mut dried = Vec::new();
    for (i, line) in log.iter().enumerate() {
        let Some(rest) = line.strip_prefix("Drying ") else {
            continue;
        };
        let dish = rest.split(" dish").next().expect("dish name");
        let washed_at = log
            .iter()
            .position(|l| l == &format!("Washing {dish} dish"))
            .expect("washed");
        assert!(washed_at < i, "{dish} dried before it was washed: {log:?}");
        dried.push(dish);
    }
    let mut sorted = dried.clone();
    sorted.sort();
    let mut expected = dishes.to_vec();
    expected.sort();
    assert_eq!(sorted, expected, "each dish dried exactly once: {log:?}");
    if dryers == 1 {
        assert_eq!(dried, dishes, "one dryer dries in washing order: {log:?}");
    }
}

#[test]
fn every_listed_log_obeys_the_rules_and_replays() {
    for (args, dishes, dryers) in [
        (vec![], vec!["salad", "bread"], 1),
        (vec!["--dryers", "2"], vec!["salad", "bread"], 2),
        (
            vec!["--names", "a,b,c", "--rack", "2"],
            vec!["a", "b", "c"],
            1,
        ),
        (
            vec!["--names", "a,b,c", "--dryers", "2"],
            vec!["a", "b", "c"],
            2,
        ),
    ] {
        let (_, logs) = explore(&args);
        for listed in &logs {
            check_rules(&listed.lines, &dishes, dryers);
            let mut replay = args.clone();
            replay.extend(["--schedule", listed.schedule.as_str()]);
            let run = run_example("interleavings", &replay);
            assert_eq!(
                run.output.lines().collect::<Vec<_>>(),
                listed.lines,
                "{replay:?}"
            );
            let seed = listed.seed.to_string();
            let mut seeded = args.clone();
            seeded.extend(["--seed", seed.as_str()]);
            let run = run_example("interleavings", &seeded);
            let lines: Vec<&str> = run.output.lines().skip(1).map(str::trim).collect();
            assert_eq!(lines, listed.lines, "{seeded:?}");
        }
    }
}

#[test]
fn two_dryers_can_finish_out_of_order_and_one_cannot() {
    let out_of_order = |logs: &[Listed]| {
        logs.iter().any(|l| {
            let salad = l.lines.iter().position(|x| x.starts_with("Drying salad"));
            let bread = l.lines.iter().position(|x| x.starts_with("Drying bread"));
            bread < salad
        })
    };
    assert!(!out_of_order(&explore(&[]).1));
    assert!(out_of_order(&explore(&["--dryers", "2"]).1));
}

#[test]
fn a_bigger_rack_adds_schedules_here_but_no_logs() {
    let (small, small_logs) = explore(&["--names", "a,b,c"]);
    let (big, big_logs) = explore(&["--names", "a,b,c", "--rack", "3"]);
    assert!(big > small, "{big} > {small}");
    let set = |logs: &[Listed]| logs.iter().map(|l| l.lines.clone()).collect::<Vec<_>>();
    assert_eq!(set(&small_logs), set(&big_logs));
}

#[test]
fn bad_schedules_and_flags_are_refused_with_status_2() {
    for args in [
        vec!["--schedule", "w1"],
        vec!["--schedule", "ww"],
        vec!["--schedule", "wwx"],
        vec!["--dryers", "0"],
        vec!["--summary"],
        vec!["--all", "--seed", "1"],
        vec!["--all", "--names", "a,b,c,d,e"],
    ] {
        let run = run_example("interleavings", &args);
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.output);
        assert!(
            run.output.starts_with("error: "),
            "{args:?}: {}",
            run.output
        );
    }
}

/// `--schedules` lists every schedule of every log: as many as counted, no
/// two alike, and each replays to the log it is listed under.
#[test]
fn every_listed_schedule_replays_to_its_log() {
    let args = ["--dryers", "2"];
    let (total, logs) = explore(&args);
    let run = run_example("interleavings", &["--all", "--schedules", "--dryers", "2"]);
    let from: Vec<Vec<&str>> = run
        .output
        .lines()
        .filter_map(|l| l.strip_prefix("  from: "))
        .map(|l| l.split(' ').collect())
        .collect();
    assert_eq!(from.len(), logs.len(), "one `from:` line per log");
    let mut seen = std::collections::BTreeSet::new();
    for (listed, schedules) in logs.iter().zip(&from) {
        assert_eq!(schedules.len(), listed.count, "{schedules:?}");
        for schedule in schedules {
            assert!(seen.insert(schedule.to_string()), "{schedule} listed twice");
            let replay = run_example("interleavings", &["--dryers", "2", "--schedule", schedule]);
            let lines: Vec<&str> = replay.output.lines().collect();
            assert_eq!(lines, listed.lines, "--schedule {schedule}");
        }
    }
    assert_eq!(seen.len(), total);
}

/// The model is the real program's: whatever order the scheduler picks
/// for the real washer and dryer processes (`dishes --overlap`, one dryer,
/// a rack of one), the log is one of the logs the explorer lists.
#[test]
fn real_runs_of_dishes_print_only_listed_logs() {
    let (_, logs) = explore(&[]);
    for _ in 0..30 {
        let run = run_example("dishes", &["--dishes", "2", "--rack", "1", "--overlap"]);
        assert_eq!(run.code, Some(0), "{}", run.output);
        let lines: Vec<String> = run.output.lines().map(str::to_string).collect();
        assert!(
            logs.iter().any(|l| l.lines == lines),
            "a real run printed a log the explorer does not list: {lines:?}"
        );
    }
}

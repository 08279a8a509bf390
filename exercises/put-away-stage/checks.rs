//! Checks for "A third stage: putting dishes away". Each test is one requirement.

mod support;
use support::children;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc;
use std::time::Duration;

use exercise::{Entry, wash_dry_put_away};
use washup::Queue;

fn stack(n: usize) -> Vec<String> {
    const LESSON: [&str; 4] = ["salad", "bread", "entree", "dessert"];
    (0..n)
        .map(|i| {
            LESSON
                .get(i)
                .map_or(format!("plate-{}", i + 1), |d| d.to_string())
        })
        .collect()
}

/// Runs the student's pipeline on a thread (a hang becomes a clear
/// failure); returns the stack and the log entries there when it returned.
fn run(n: usize, dryers: usize) -> (Vec<String>, Vec<Entry>, Queue<Entry>) {
    let log: Queue<Entry> = Queue::new().expect("a log");
    let dishes = stack(n);
    let (tx, rx) = mpsc::channel();
    let (l, d) = (log.clone(), dishes.clone());
    std::thread::spawn(move || {
        let refs: Vec<&str> = d.iter().map(String::as_str).collect();
        let _ = tx.send(wash_dry_put_away(&refs, dryers, &l).map_err(|e| e.to_string()));
    });
    match rx.recv_timeout(Duration::from_secs(6)) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("wash_dry_put_away returned an error: {e}"),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!(
            "wash_dry_put_away did not return within 6 s: does each stage call task_done for every dish it takes?"
        ),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            panic!("wash_dry_put_away panicked (see above)")
        }
    }
    let entries = std::iter::from_fn(|| log.get_nowait().ok()).collect();
    (dishes, entries, log)
}

fn count(entries: &[Entry], what: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for (w, dish, _) in entries {
        if w == what {
            *counts.entry(dish.clone()).or_insert(0) += 1;
        }
    }
    counts
}

fn exactly_once(dishes: &[String], entries: &[Entry], what: &str) {
    let counts = count(entries, what);
    for dish in dishes {
        let times = counts.get(dish).copied().unwrap_or(0);
        assert_eq!(times, 1, "the {dish} dish was {what} {times} times");
    }
    let stray: Vec<&String> = counts.keys().filter(|d| !dishes.contains(d)).collect();
    assert!(
        stray.is_empty(),
        "{what}: dishes that were never washed: {stray:?}"
    );
}

#[test]
fn every_dish_is_put_away_exactly_once() {
    let _verdict = support::Verdict::on_return();
    let (dishes, mut entries, log) = run(40, 2);
    // Give late entries (if any) a bounded chance to arrive.
    while count(&entries, "put away").len() < dishes.len() {
        match log.get_timeout(Duration::from_secs(2)) {
            Ok(entry) => entries.push(entry),
            Err(_) => break,
        }
    }
    exactly_once(&dishes, &entries, "dried");
    exactly_once(&dishes, &entries, "put away");
    let others: Vec<&Entry> = entries
        .iter()
        .filter(|(w, _, _)| w != "dried" && w != "put away")
        .collect();
    assert!(
        others.is_empty(),
        "log entries must say \"dried\" or \"put away\": {others:?}"
    );
}

#[test]
fn each_dish_is_put_away_after_it_was_dried() {
    let _verdict = support::Verdict::on_return();
    let (_, entries, _) = run(40, 3);
    let mut dried = BTreeSet::new();
    for (what, dish, _) in &entries {
        match what.as_str() {
            "dried" => {
                dried.insert(dish.clone());
            }
            "put away" => assert!(
                dried.contains(dish),
                "the {dish} dish was put away before it was dried"
            ),
            _ => {}
        }
    }
    assert!(!dried.is_empty(), "nothing was dried");
}

#[test]
fn it_returns_only_when_all_is_put_away() {
    let _verdict = support::Verdict::on_return();
    for _ in 0..5 {
        let (dishes, entries, _) = run(30, 2);
        let done = count(&entries, "put away").len();
        assert_eq!(
            done,
            dishes.len(),
            "wash_dry_put_away returned when {done} of {} dishes were put away",
            dishes.len()
        );
    }
}

#[test]
fn the_stages_run_in_other_processes() {
    let _verdict = support::Verdict::on_return();
    let (_, entries, _) = run(60, 3);
    let me = std::process::id();
    let pids = |what: &str| -> BTreeSet<u32> {
        entries
            .iter()
            .filter(|(w, _, _)| w == what)
            .map(|e| e.2)
            .collect()
    };
    let (dryers, put_away) = (pids("dried"), pids("put away"));
    assert!(
        !dryers.contains(&me),
        "dishes were dried in the washer's own process"
    );
    assert!(
        !put_away.contains(&me),
        "dishes were put away in the washer's own process"
    );
    assert!(
        !dryers.is_empty() && !put_away.is_empty(),
        "nothing was dried or put away"
    );
    assert!(
        dryers.len() <= 3,
        "3 dryers asked for, {} processes dried",
        dryers.len()
    );
    assert_eq!(
        put_away.len(),
        1,
        "one put-away process, got pids {put_away:?}"
    );
    assert!(
        dryers.is_disjoint(&put_away),
        "the put-away process must not be a dryer"
    );
}

#[test]
fn no_process_is_left() {
    let _verdict = support::Verdict::on_return();
    let _ = run(10, 2);
    let left = children();
    assert!(
        left.is_empty(),
        "{} process(es) left after wash_dry_put_away returned (pids {left:?})",
        left.len()
    );
}

#[test]
fn many_dishes_and_no_dishes() {
    let _verdict = support::Verdict::on_return();
    let (dishes, entries, _) = run(2000, 3);
    exactly_once(&dishes, &entries, "put away");
    let (_, entries, _) = run(0, 2);
    assert!(
        entries.is_empty(),
        "no dishes, yet the log says {entries:?}"
    );
}

//! Checks for "Stop the dryers cleanly". Each test is one requirement.

mod support;
use support::{threads_left_above, threads_now};

use exercise::dry_all;

fn dishes(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("dish-{i:04}")).collect()
}

fn run(n: usize, dryers: usize) -> (Vec<String>, Vec<Vec<String>>) {
    let stack = dishes(n);
    let refs: Vec<&str> = stack.iter().map(String::as_str).collect();
    let dried = dry_all(&refs, dryers);
    (stack, dried)
}

#[test]
fn every_dish_is_dried_exactly_once() {
    let (stack, dried) = run(200, 3);
    let mut all: Vec<String> = dried.into_iter().flatten().collect();
    all.sort();
    assert_eq!(
        all.len(),
        stack.len(),
        "{} dishes washed, {} dried",
        stack.len(),
        all.len()
    );
    assert_eq!(all, stack, "some dish was dried twice or never");
}

#[test]
fn there_is_one_list_per_dryer() {
    for dryers in [1, 2, 5] {
        let (_, dried) = run(10, dryers);
        assert_eq!(
            dried.len(),
            dryers,
            "asked for {dryers} dryers, got {} lists",
            dried.len()
        );
    }
}

#[test]
fn each_dryer_dries_in_washing_order() {
    let (_, dried) = run(500, 4);
    for (k, list) in dried.iter().enumerate() {
        let mut sorted = list.clone();
        sorted.sort();
        assert_eq!(list, &sorted, "dryer {k} dried out of washing order");
    }
}

#[test]
fn it_returns_when_the_washer_is_done() {
    // The time limit of the check turns a dryer waiting forever into a failure.
    let (_, dried) = run(3, 2);
    assert_eq!(dried.iter().map(Vec::len).sum::<usize>(), 3);
    let (_, dried) = run(0, 2);
    assert!(dried.iter().all(Vec::is_empty), "no dishes, nothing dried");
}

#[test]
fn no_dryer_is_left_running() {
    let before = threads_now();
    let _ = run(50, 4);
    let left = threads_left_above(before);
    assert_eq!(
        left, 0,
        "{left} thread(s) still running after dry_all returned"
    );
}

#[test]
fn many_dryers_share_a_long_stack() {
    let (stack, dried) = run(20_000, 8);
    assert_eq!(dried.len(), 8);
    assert_eq!(dried.iter().map(Vec::len).sum::<usize>(), stack.len());
}

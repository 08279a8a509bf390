//! Checks for "Scrub in parallel". `scrub_one` functions here record which
//! thread calls them; a barrier proves the workers run at the same time
//! (run one after another, they would wait at it forever, and the check's
//! time limit turns that into a failure).

mod support;

use std::collections::HashSet;
use std::sync::{Barrier, Mutex, OnceLock};
use std::thread::{self, ThreadId};

use exercise::scrub;

fn mix(dish: u64) -> u64 {
    let mut x = dish.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for _ in 0..50 {
        x ^= x >> 29;
        x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    }
    x
}

fn one_thread(stack: &[u64]) -> u64 {
    stack.iter().fold(0u64, |sum, &d| sum.wrapping_add(mix(d)))
}

fn stack(n: u64) -> Vec<u64> {
    (0..n).collect()
}

#[test]
fn the_total_is_what_one_thread_computes() {
    let _verdict = support::Verdict::on_return();
    for (n, workers) in [(1000, 1), (1000, 2), (1000, 3), (10_001, 4), (97, 8)] {
        let s = stack(n);
        assert_eq!(
            scrub(&s, workers, mix),
            one_thread(&s),
            "{n} dishes, {workers} workers"
        );
    }
}

static SEEN: OnceLock<Mutex<HashSet<ThreadId>>> = OnceLock::new();

fn seen() -> std::sync::MutexGuard<'static, HashSet<ThreadId>> {
    SEEN.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

fn mix_and_record(dish: u64) -> u64 {
    seen().insert(thread::current().id());
    mix(dish)
}

#[test]
fn every_worker_scrubs_on_its_own_thread() {
    let _verdict = support::Verdict::on_return();
    // Sizes that a split into chunks of `len.div_ceil(workers)` gets wrong
    // (9 dishes, 4 workers: 3 chunks of 3, so 3 threads), and easy ones.
    for (n, workers) in [(4000, 4), (9, 4), (10, 4), (7, 3), (5, 5), (101, 7), (13, 6), (2, 1)] {
        seen().clear();
        let s = stack(n);
        assert_eq!(
            scrub(&s, workers, mix_and_record),
            one_thread(&s),
            "{n} dishes, {workers} workers"
        );
        let seen = seen();
        assert!(
            !seen.contains(&thread::current().id()),
            "the calling thread scrubbed dishes itself ({n} dishes, {workers} workers)"
        );
        assert_eq!(
            seen.len(),
            workers,
            "{n} dishes, {workers} workers: expected {workers} worker threads, {} threads scrubbed",
            seen.len()
        );
    }
}

static MEET: OnceLock<Barrier> = OnceLock::new();
thread_local! {
    static MET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn mix_after_meeting(dish: u64) -> u64 {
    // Each worker, on its first dish, waits until all 3 workers are there.
    if !MET.with(|m| m.replace(true)) {
        MEET.get_or_init(|| Barrier::new(3)).wait();
    }
    mix(dish)
}

#[test]
fn the_workers_run_at_the_same_time() {
    let _verdict = support::Verdict::on_return();
    let s = stack(3000);
    assert_eq!(scrub(&s, 3, mix_after_meeting), one_thread(&s));
}

#[test]
fn small_and_empty_stacks_work() {
    let _verdict = support::Verdict::on_return();
    assert_eq!(scrub(&[], 4, mix), 0);
    let s = stack(3);
    assert_eq!(scrub(&s, 8, mix), one_thread(&s));
}

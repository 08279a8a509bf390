//! Exercise: scrub in parallel (chapter "Threads or processes?") — reference solution.

use std::thread;

/// The wrapping sum of `scrub_one(dish)` over the stack, computed by
/// `workers` threads at the same time.
pub fn scrub(stack: &[u64], workers: usize, scrub_one: fn(u64) -> u64) -> u64 {
    if stack.is_empty() {
        return 0;
    }
    let share = stack.len().div_ceil(workers.max(1));
    thread::scope(|scope| {
        let handles: Vec<_> = stack
            .chunks(share)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .fold(0u64, |sum, &dish| sum.wrapping_add(scrub_one(dish)))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a worker panicked"))
            .fold(0u64, u64::wrapping_add)
    })
}

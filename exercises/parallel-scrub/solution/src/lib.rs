//! Exercise: scrub in parallel (chapter "Threads or processes?") — reference solution.

use std::thread;

/// The wrapping sum of `scrub_one(dish)` over the stack, computed by
/// `workers` threads at the same time.
pub fn scrub(stack: &[u64], workers: usize, scrub_one: fn(u64) -> u64) -> u64 {
    if stack.is_empty() {
        return 0;
    }
    // `workers` shares whose sizes differ by at most one dish (the first
    // `len % workers` take one more): `chunks(len.div_ceil(workers))` could
    // make fewer (9 dishes, 4 workers: 3 chunks of 3).
    let workers = workers.clamp(1, stack.len());
    let (base, extra) = (stack.len() / workers, stack.len() % workers);
    thread::scope(|scope| {
        let mut rest = stack;
        let handles: Vec<_> = (0..workers)
            .map(|i| {
                let (share, tail) = rest.split_at(base + usize::from(i < extra));
                rest = tail;
                scope.spawn(move || {
                    share
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

//! Exercise: scrub in parallel (chapter "Threads or processes?").

/// The wrapping sum of `scrub_one(dish)` over the stack, computed by
/// `workers` threads at the same time.
pub fn scrub(stack: &[u64], workers: usize, scrub_one: fn(u64) -> u64) -> u64 {
    // One thread alone would do:
    //     stack.iter().fold(0u64, |sum, &dish| sum.wrapping_add(scrub_one(dish)))
    // Split the stack into `workers` shares and let each share be scrubbed
    // on its own thread, all at the same time.
    let _ = (stack, workers, scrub_one);
    todo!("scrub with {workers} threads")
}

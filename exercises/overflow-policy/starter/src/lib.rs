//! Exercise: a rack with an overflow policy (chapter "When the washer is faster").

use std::time::Duration;

use washup::Queue;
use washup::queue::PutError;

/// What the washer does with a dish when the rack is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// The dish falls on the floor at once.
    Drop,
    /// The washer waits for a place, as long as it takes.
    Wait,
    /// The washer waits up to this long for a place, then lets the dish fall.
    Timeout(Duration),
}

/// Washes dishes `1..=dishes` onto `rack` in order, following `policy` when
/// the rack is full. Returns the dishes that fell on the floor, in order.
pub fn wash(
    rack: &Queue<usize>,
    dishes: usize,
    policy: Policy,
) -> Result<Vec<usize>, PutError<usize>> {
    // For each dish n: put it the way the policy says (put_nowait, put,
    // put_timeout), then match the result: Ok, Full(n) (the floor), or
    // another error (return it).
    let _ = (rack, dishes, policy);
    todo!("put each dish following the policy")
}

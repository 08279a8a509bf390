//! Exercise: a rack with an overflow policy (chapter "When the washer is
//! faster") — reference solution.

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
    let mut floor = Vec::new();
    for n in 1..=dishes {
        let put = match policy {
            Policy::Drop => rack.put_nowait(n),
            Policy::Wait => rack.put(n),
            Policy::Timeout(d) => rack.put_timeout(n, d),
        };
        match put {
            Ok(()) => {}
            Err(PutError::Full(n)) => floor.push(n), // the dish comes back to us
            Err(other) => return Err(other),
        }
    }
    Ok(floor)
}

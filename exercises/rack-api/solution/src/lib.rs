//! Exercise: the rack's API, the Python way (chapter "The dish rack") —
//! reference solution.

use washup::JoinableQueue;
use washup::queue::{GetError, PutError, TaskDoneError};

/// Puts the dishes on the rack in order with `put_nowait`. At the first
/// `Full`, stops and returns the dishes that found no place (the one `Full`
/// handed back, then the rest), in order.
pub fn fill(rack: &JoinableQueue<String>, dishes: Vec<String>) -> Vec<String> {
    let mut dishes = dishes.into_iter();
    while let Some(dish) = dishes.next() {
        match rack.put_nowait(dish) {
            Ok(()) => {}
            Err(PutError::Full(dish)) => {
                let mut left = vec![dish];
                left.extend(dishes);
                return left;
            }
            Err(e) => panic!("the rack refused a dish: {e}"),
        }
    }
    Vec::new()
}

/// Takes every dish on the rack without waiting (`get_nowait` until
/// `Empty`), marks each one done, and returns them in the order taken.
pub fn drain(rack: &JoinableQueue<String>) -> Vec<String> {
    let mut taken = Vec::new();
    loop {
        match rack.get_nowait() {
            Ok(dish) => {
                taken.push(dish);
                rack.task_done().expect("one task_done per get");
            }
            Err(GetError::Empty) => return taken,
            Err(e) => panic!("the rack failed: {e}"),
        }
    }
}

/// Calls `task_done` up to `times` times; the first call that is one too
/// many gives its `TaskDoneError` back.
pub fn mark_done(rack: &JoinableQueue<String>, times: usize) -> Result<(), TaskDoneError> {
    for _ in 0..times {
        rack.task_done()?;
    }
    Ok(())
}

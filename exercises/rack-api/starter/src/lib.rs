//! Exercise: the rack's API, the Python way (chapter "The dish rack").

use washup::JoinableQueue;
use washup::queue::TaskDoneError;
// You will need these too:
// use washup::queue::{GetError, PutError};

/// Puts the dishes on the rack in order with `put_nowait`. At the first
/// `Full`, stops and returns the dishes that found no place (the one `Full`
/// handed back, then the rest), in order.
pub fn fill(rack: &JoinableQueue<String>, dishes: Vec<String>) -> Vec<String> {
    // Python:
    //     for i, dish in enumerate(dishes):
    //         try: rack.put_nowait(dish)
    //         except queue.Full: return dishes[i:]
    let _ = (rack, dishes);
    todo!("put_nowait until Full")
}

/// Takes every dish on the rack without waiting (`get_nowait` until
/// `Empty`), marks each one done, and returns them in the order taken.
pub fn drain(rack: &JoinableQueue<String>) -> Vec<String> {
    let _ = rack;
    todo!("get_nowait until Empty, task_done for each")
}

/// Calls `task_done` up to `times` times; the first call that is one too
/// many gives its `TaskDoneError` back.
pub fn mark_done(rack: &JoinableQueue<String>, times: usize) -> Result<(), TaskDoneError> {
    let _ = (rack, times);
    todo!("task_done, times times")
}

//! Exercise: a third stage, putting dishes away (chapter "Washing dishes").

use washup::Queue;
// You will need these too:
// use washup::{JoinableQueue, Process};

/// One line of the log: (`"dried"` or `"put away"`, the dish, the pid of
/// the process that did it).
pub type Entry = (String, String, u32);

/// Washes `dishes` onto a rack; `dryers` dryer processes dry them and put
/// them on a shelf; one put-away process puts them away. Returns when every
/// dish is put away, with no process left running.
pub fn wash_dry_put_away(
    dishes: &[&str],
    dryers: usize,
    log: &Queue<Entry>,
) -> Result<(), Box<dyn std::error::Error>> {
    // 1. Make the rack and the shelf (JoinableQueue::new()) before any process starts.
    // 2. A dryer loops: get from the rack, log ("dried", dish, pid),
    //    put on the shelf, task_done on the rack.
    // 3. The put-away process loops: get from the shelf, log ("put away", dish, pid),
    //    task_done on the shelf.
    // 4. Wash: put each dish on the rack. Then join the rack, then the shelf.
    // 5. The helpers never end by themselves: how do they go when you return?
    let _ = (dishes, dryers, log);
    todo!("washer -> rack -> dryers -> shelf -> put-away")
}

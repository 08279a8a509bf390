//! Exercise: stop the dryers cleanly (chapter "Threads") — reference solution.

use std::thread;

/// Dries every dish with `dryers` dryer threads that take dishes off one
/// rack (a channel). Returns, for each dryer, the dishes it dried, in order.
pub fn dry_all(dishes: &[&str], dryers: usize) -> Vec<Vec<String>> {
    let (rack, taken) = crossbeam_channel::unbounded::<String>();
    let handles: Vec<_> = (0..dryers)
        .map(|_| {
            let taken = taken.clone();
            // The loop ends when the rack is closed and empty.
            thread::spawn(move || taken.iter().collect::<Vec<String>>())
        })
        .collect();
    for dish in dishes {
        rack.send(dish.to_string())
            .expect("a dryer is still taking dishes");
    }
    drop(rack); // close the rack: no more dishes are coming
    handles
        .into_iter()
        .map(|h| h.join().expect("a dryer panicked"))
        .collect()
}

//! Exercise: stop the dryers cleanly (chapter "Threads") — reference solution.

use std::thread;

/// Dries every dish: one thread per dryer in `dryers`, all taking dishes
/// off one rack (a channel). A dryer is a closure that dries one dish.
/// Returns, for each dryer in the order of `dryers`, the dishes it dried,
/// in the order it dried them.
pub fn dry_all<D>(dishes: &[&str], dryers: Vec<D>) -> Vec<Vec<String>>
where
    D: FnMut(&str) + Send + 'static,
{
    let (rack, taken) = crossbeam_channel::unbounded::<String>();
    let handles: Vec<_> = dryers
        .into_iter()
        .map(|mut dry| {
            let taken = taken.clone();
            thread::spawn(move || {
                let mut dried = Vec::new();
                // The loop ends when the rack is closed and empty.
                for dish in taken {
                    dry(&dish);
                    dried.push(dish);
                }
                dried
            })
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

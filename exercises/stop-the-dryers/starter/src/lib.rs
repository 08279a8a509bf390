//! Exercise: stop the dryers cleanly (chapter "Threads").

/// Dries every dish: one thread per dryer in `dryers`, all taking dishes
/// off one rack (a channel). A dryer is a closure that dries one dish.
/// Returns, for each dryer in the order of `dryers`, the dishes it dried,
/// in the order it dried them.
pub fn dry_all<D>(dishes: &[&str], dryers: Vec<D>) -> Vec<Vec<String>>
where
    D: FnMut(&str) + Send + 'static,
{
    // 1. Make a rack: crossbeam_channel::unbounded() (or bounded(n)).
    // 2. Start one thread per dryer (move the dryer into it); each takes
    //    dishes until the rack is closed, calls the dryer on each one and
    //    remembers it.
    // 3. Put every dish on the rack, then close it (drop the Sender).
    // 4. Join every dryer and return what each one dried.
    let _ = (dishes, dryers);
    todo!("dry every dish with one thread per dryer")
}

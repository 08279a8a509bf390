//! Exercise: stop the dryers cleanly (chapter "Threads").

/// Dries every dish with `dryers` dryer threads that take dishes off one
/// rack (a channel). Returns, for each dryer, the dishes it dried, in order.
pub fn dry_all(dishes: &[&str], dryers: usize) -> Vec<Vec<String>> {
    // 1. Make a rack: crossbeam_channel::unbounded() (or bounded(n)).
    // 2. Start `dryers` threads; each takes dishes until the rack is closed.
    // 3. Put every dish on the rack, then close it (drop the Sender).
    // 4. Join every dryer and return what each one dried.
    let _ = (dishes, dryers);
    todo!("dry every dish with {dryers} dryer threads")
}

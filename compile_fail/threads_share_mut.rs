// Two dryers adding to the same counter, with no lock.
use std::thread;

fn main() {
    let mut dried = 0;
    thread::scope(|s| {
        s.spawn(|| dried += 1);
        s.spawn(|| dried += 1);
    });
}

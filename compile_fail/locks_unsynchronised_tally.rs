// Two dryers share one tally through an Arc, and add to it with no lock.
use std::sync::Arc;
use std::thread;

fn main() {
    let tally = Arc::new(0);
    let dryer = {
        let tally = Arc::clone(&tally);
        thread::spawn(move || *tally += 1)
    };
    *tally += 1;
    dryer.join().unwrap();
}

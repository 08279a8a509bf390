// Only `spawn` gives you a JoinHandle, and only a JoinHandle can be joined.
use std::thread;

fn main() {
    let dryer = thread::Builder::new().name("dryer".into());
    dryer.join();
}

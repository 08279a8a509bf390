// A Builder is a thread that has not started yet; `spawn` uses it up.
use std::thread;

fn main() {
    let dryer = thread::Builder::new().name("dryer".into());
    let _first = dryer.spawn(|| println!("Drying salad dish"));
    let _second = dryer.spawn(|| println!("Drying bread dish"));
}

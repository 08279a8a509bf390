// `Rc` counts its owners without atomic operations: one thread only.
use std::rc::Rc;
use std::thread;

fn main() {
    let rack = Rc::new(vec!["salad", "bread"]);
    let for_dryer = Rc::clone(&rack);
    thread::spawn(move || println!("{}", for_dryer.len()));
}

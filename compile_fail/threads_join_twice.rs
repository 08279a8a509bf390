// `join` takes the JoinHandle by value: a thread is joined once.
use std::thread;

fn main() {
    let dryer = thread::spawn(|| "dried the salad");
    let first = dryer.join();
    let second = dryer.join();
    println!("{first:?} {second:?}");
}

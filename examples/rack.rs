//! Chapter "The dish rack": the queue's API in one process, step by step,
//! next to `python/rack_api.py`. Nothing here is concurrent, so the output
//! is always the same; the next chapters put processes on both sides.

use std::time::Duration;

use clap::Parser;
use washup::JoinableQueue;
use washup::queue::{GetError, PutError};

/// A tour of the dish rack's API (no options: every step depends on the
/// one before).
#[derive(Parser)]
#[command(name = "rack")]
struct Args {}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    Args::parse();
    // ANCHOR: tour
    let rack: JoinableQueue<String> = JoinableQueue::with_maxsize(2)?;
    rack.put("salad".to_string())?;
    rack.put("bread".to_string())?;
    println!("on the rack: {} full: {}", rack.qsize(), rack.full());
    match rack.put_nowait("entree".to_string()) {
        Err(PutError::Full(dish)) => println!("put_nowait: Full, the {dish} stays in our hands"),
        other => println!("put_nowait: {other:?}"),
    }
    if let Err(PutError::Full(_)) = rack.put_timeout("entree".into(), Duration::from_millis(50)) {
        println!("put with a timeout: Full");
    }
    println!("got {}", rack.get()?);
    println!("got {}", rack.get()?);
    if let Err(GetError::Empty) = rack.get_nowait() {
        println!("get_nowait: Empty");
    }
    if let Err(GetError::Empty) = rack.get_timeout(Duration::from_millis(50)) {
        println!("get with a timeout: Empty");
    }
    rack.task_done()?;
    rack.task_done()?;
    rack.join();
    println!("join: every dish is done");
    if let Err(error) = rack.task_done() {
        println!("one task_done too many: {error}");
    }
    rack.close();
    if let Err(error) = rack.put("dessert".to_string()) {
        println!("put after close: {error}");
    }
    // ANCHOR_END: tour
    Ok(())
}

//! Chapter "The dish rack": the queue's API in one process, step by step,
//! next to `python/rack_api.py`. Nothing here is concurrent, so the output
//! is always the same; the next chapters put processes on both sides.

use std::time::Duration;

use clap::Parser;
use washup::JoinableQueue;
use washup::queue::{GetError, PutError};

/// A tour of the dish rack's API, one step after another.
#[derive(Parser)]
#[command(name = "rack")]
struct Args {
    /// How many dishes fit on the rack: 2 (the lesson's) or 3.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(2..=3))]
    rack: u8,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    washup::cli::quiet_when_stdout_closes(); // `| head` ends us quietly
    let args = Args::parse();
    let maxsize = usize::from(args.rack);
    // ANCHOR: tour
    let rack: JoinableQueue<String> = JoinableQueue::with_maxsize(maxsize)?;
    rack.put("salad".to_string())?;
    rack.put("bread".to_string())?;
    println!("on the rack: {} full: {}", rack.qsize(), rack.full());
    match rack.put_nowait("entree".to_string()) {
        Ok(()) => println!("put_nowait: the entree is on the rack"),
        Err(PutError::Full(dish)) => println!("put_nowait: Full, the {dish} stays in our hands"),
        Err(other) => return Err(other.into()),
    }
    if let Err(PutError::Full(_)) = rack.put_timeout("entree".into(), Duration::from_millis(50)) {
        println!("put with a timeout: Full");
    }
    println!("got {}", rack.get()?);
    println!("got {}", rack.get()?);
    match rack.get_nowait() {
        Ok(dish) => {
            println!("get_nowait: got {dish}");
            rack.task_done()?; // each dish taken needs its task_done
        }
        Err(GetError::Empty) => println!("get_nowait: Empty"),
        Err(other) => return Err(other.into()),
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

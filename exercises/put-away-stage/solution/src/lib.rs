//! Exercise: a third stage, putting dishes away (chapter "Washing dishes")
//! — reference solution.

use washup::{JoinableQueue, Process, Queue};

/// One line of the log: (`"dried"` or `"put away"`, the dish, the pid of
/// the process that did it).
pub type Entry = (String, String, u32);

fn dryer(rack: JoinableQueue<String>, shelf: JoinableQueue<String>, log: Queue<Entry>) {
    loop {
        let dish = rack.get().expect("the rack is open");
        log.put(("dried".into(), dish.clone(), std::process::id()))
            .expect("the log is open");
        shelf.put(dish).expect("the shelf is open");
        rack.task_done().expect("one task_done per get"); // after the dish is on the shelf
    }
}

fn put_away(shelf: JoinableQueue<String>, log: Queue<Entry>) {
    loop {
        let dish = shelf.get().expect("the shelf is open");
        log.put(("put away".into(), dish, std::process::id()))
            .expect("the log is open");
        shelf.task_done().expect("one task_done per get");
    }
}

/// Washes `dishes` onto a rack; `dryers` dryer processes dry them and put
/// them on a shelf; one put-away process puts them away. Returns when every
/// dish is put away, with no process left running.
pub fn wash_dry_put_away(
    dishes: &[&str],
    dryers: usize,
    log: &Queue<Entry>,
) -> Result<(), Box<dyn std::error::Error>> {
    let rack: JoinableQueue<String> = JoinableQueue::new()?;
    let shelf: JoinableQueue<String> = JoinableQueue::new()?;
    let mut helpers: Vec<Process> = Vec::new();
    for n in 1..=dryers {
        let (rack, shelf, log) = (rack.clone(), shelf.clone(), log.clone());
        helpers.push(
            Process::new(move || dryer(rack, shelf, log))
                .name(format!("dryer-{n}"))
                .daemon(true),
        );
    }
    let (s, l) = (shelf.clone(), log.clone());
    helpers.push(
        Process::new(move || put_away(s, l))
            .name("put-away")
            .daemon(true),
    );
    for helper in &mut helpers {
        helper.start()?;
    }
    for dish in dishes {
        rack.put(dish.to_string())?;
    }
    rack.join(); // every dish dried and on the shelf
    shelf.join(); // every dish put away
    Ok(())
    // Dropping `helpers` terminates and reaps the daemonic helpers.
}

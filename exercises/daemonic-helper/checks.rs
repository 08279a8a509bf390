//! Checks for "A dryer that goes when the washer goes". Each test is one requirement.

mod support;
use support::{children, panic_text};

use std::sync::mpsc;
use std::time::Duration;

use exercise::start_dryer;
use washup::{JoinableQueue, Process, ProcessError, Queue};

const LESSON: [&str; 4] = ["salad", "bread", "entree", "dessert"];

use nix::sys::signal::{Signal, kill};
use nix::sys::wait::waitpid;
use nix::unistd::Pid;

fn queues() -> (JoinableQueue<String>, Queue<String>) {
    (
        JoinableQueue::new().expect("a rack"),
        Queue::new().expect("a report queue"),
    )
}

/// Ends the dryer whatever its flag (a non-daemonic one would hang a drop).
fn stop(mut dryer: Process) {
    let _ = dryer.kill();
    let _ = dryer.join();
}

#[test]
fn the_dryer_dries_every_dish() {
    let _verdict = support::Verdict::on_return();
    let (rack, dried) = queues();
    for dish in LESSON {
        rack.put(dish.to_string()).expect("put");
    }
    let dryer = start_dryer(rack.clone(), dried.clone()).expect("start_dryer failed");
    let done = rack.join_timeout(Duration::from_secs(5));
    let lines: Vec<String> = std::iter::from_fn(|| dried.get_nowait().ok()).collect();
    stop(dryer);
    assert!(
        done,
        "the rack was not done 5 s after the dryer started ({} reports so far): does the dryer call task_done after each dish?",
        lines.len()
    );
    let expected: Vec<String> = LESSON.iter().map(|d| format!("Drying {d} dish")).collect();
    assert_eq!(lines, expected, "the dryer's reports, in order");
}

#[test]
fn the_dryer_is_a_running_child_process() {
    let _verdict = support::Verdict::on_return();
    let (rack, dried) = queues();
    let mut dryer = start_dryer(rack, dried).expect("start_dryer failed");
    let pid = dryer.pid();
    let alive = dryer.is_alive();
    dryer.kill().expect("kill the dryer");
    dryer.join().expect("join the dryer");
    assert!(
        pid.is_some(),
        "the Process returned by start_dryer was not started"
    );
    assert_ne!(
        pid,
        Some(std::process::id() as i32),
        "the dryer must be another process"
    );
    assert!(
        alive,
        "the dryer had already ended when start_dryer returned: its loop must never end"
    );
    assert_eq!(
        dryer.exitcode(),
        Some(-9),
        "the dryer should have run until we killed it"
    );
}

#[test]
fn the_dryer_dies_with_its_washer() {
    let _verdict = support::Verdict::on_return();
    // Orphans of our descendants become our children, so we can wait for them.
    nix::sys::prctl::set_child_subreaper(true).expect("the check could not become a subreaper");
    let (rack, dried) = queues();
    let pids: Queue<Result<i32, String>> = Queue::new().expect("a queue");
    let (r, d, p) = (rack.clone(), dried.clone(), pids.clone());
    let mut washer = Process::new(move || {
        let started = std::panic::catch_unwind(move || start_dryer(r, d));
        let dryer = match started {
            Ok(Ok(dryer)) => dryer,
            Ok(Err(e)) => return p.put(Err(format!("it returned {e}"))).expect("report"),
            Err(payload) => return p.put(Err(panic_text(&*payload))).expect("report"),
        };
        p.put(Ok(dryer.pid().unwrap_or(0)))
            .expect("report the dryer's pid");
        loop {
            std::thread::park(); // until we kill it: `dryer` is never dropped
        }
    })
    .name("washer");
    washer.start().expect("start the washer");
    let dryer = match pids.get_timeout(Duration::from_secs(5)) {
        Ok(Ok(pid)) => pid,
        Ok(Err(why)) => {
            let _ = washer.join();
            panic!("start_dryer failed in the washer process: {why}");
        }
        Err(_) => {
            let _ = washer.kill();
            let _ = washer.join();
            panic!("start_dryer did not return within 5 s in the washer process");
        }
    };
    // Make sure the dryer is at work before its washer goes.
    rack.put("salad".to_string()).expect("put");
    let line = dried.get_timeout(Duration::from_secs(5));
    washer.kill().expect("kill the washer");
    washer.join().expect("join the washer");
    assert_eq!(
        line.ok().as_deref(),
        Some("Drying salad dish"),
        "the dryer did not dry the salad"
    );
    // The washer is gone: the dryer is now our child. Wait for it, at most 5 s.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(waitpid(Pid::from_raw(dryer), None).map(|s| s.pid()));
    });
    match rx.recv_timeout(Duration::from_secs(5)) {
        Ok(r) => assert_eq!(
            r.ok().flatten(),
            Some(Pid::from_raw(dryer)),
            "could not wait for the dryer (pid {dryer})"
        ),
        Err(_) => {
            let _ = kill(Pid::from_raw(dryer), Signal::SIGKILL);
            panic!(
                "the dryer (pid {dryer}) was still running 5 s after its washer was killed: it outlived its parent"
            );
        }
    }
}

#[test]
fn dropping_the_dryer_ends_it() {
    let _verdict = support::Verdict::on_return();
    let (rack, dried) = queues();
    let dryer = start_dryer(rack, dried).expect("start_dryer failed");
    drop(dryer); // a hang here fails the check by its time limit
    let left = children();
    assert!(
        left.is_empty(),
        "processes left after dropping the dryer: {left:?}"
    );
}

#[test]
fn a_daemonic_washer_gets_the_error_back() {
    let _verdict = support::Verdict::on_return();
    let (rack, dried) = queues();
    let verdict: Queue<String> = Queue::new().expect("a queue");
    let v = verdict.clone();
    let mut washer = Process::new(move || {
        let said = match std::panic::catch_unwind(move || start_dryer(rack, dried)) {
            Ok(Err(ProcessError::DaemonicParent { .. })) => "DaemonicParent".to_string(),
            Ok(Err(e)) => format!("another error: {e}"),
            Ok(Ok(_)) => "a dryer was started".to_string(),
            Err(payload) => format!("a panic: {}", panic_text(&*payload)),
        };
        v.put(said).expect("report");
    })
    .name("washer")
    .daemon(true);
    washer.start().expect("start the washer");
    washer.join().expect("join the washer");
    let said = verdict.get_nowait().unwrap_or_default();
    assert!(
        said == "DaemonicParent",
        "inside a daemonic washer, start_dryer should return Err(ProcessError::DaemonicParent); it gave {said}"
    );
}

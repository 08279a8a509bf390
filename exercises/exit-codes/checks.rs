//! Checks for "Exit codes, the Python way". Each test is one requirement.

mod support;
use support::children;

use std::sync::mpsc;
use std::time::Duration;

use exercise::{Ended, Job, run_jobs};
use washup::Queue;

/// The kinds of job the checks hand out.
#[derive(Clone, Copy)]
enum Kind {
    Returns,
    Panics,
    Endless,
}

/// Builds the jobs; each one first reports (its name, its pid) on `seen`.
fn jobs(kinds: &[(&str, Kind)], seen: &Queue<(String, u32)>) -> Vec<Job> {
    kinds
        .iter()
        .map(|&(name, kind)| {
            let (seen, name) = (seen.clone(), name.to_string());
            let me = name.clone();
            Job {
                name,
                endless: matches!(kind, Kind::Endless),
                work: Box::new(move || {
                    seen.put((me.clone(), std::process::id()))
                        .expect("report queue open");
                    match kind {
                        Kind::Returns => {}
                        Kind::Panics => panic!("the dishwasher broke down at the {me} job"),
                        Kind::Endless => loop {
                            std::thread::park();
                        },
                    }
                }),
            }
        })
        .collect()
}

/// Runs `run_jobs` on its own thread; a hang becomes a clear failure.
fn run(kinds: &'static [(&'static str, Kind)]) -> (Vec<Ended>, Vec<(String, u32)>) {
    let seen: Queue<(String, u32)> = Queue::new().expect("a queue");
    let (tx, rx) = mpsc::channel();
    let report = seen.clone();
    std::thread::spawn(move || {
        let result = run_jobs(jobs(kinds, &report)).map_err(|e| e.to_string());
        let _ = tx.send(result);
    });
    let ended = match rx.recv_timeout(Duration::from_secs(5)) {
        Ok(Ok(ended)) => ended,
        Ok(Err(e)) => panic!("run_jobs returned an error: {e}"),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!(
            "run_jobs did not return within 5 s: is a process that never ends being joined before it is killed?"
        ),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("run_jobs panicked (see above)"),
    };
    let reports = std::iter::from_fn(|| seen.get_nowait().ok()).collect();
    (ended, reports)
}

fn code_of<'a>(ended: &'a [Ended], name: &str) -> &'a Ended {
    ended
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no result for the job `{name}` in {ended:?}"))
}

#[test]
fn a_job_that_returns_exits_with_0() {
    let _verdict = support::Verdict::on_return();
    let (ended, _) = run(&[("salad", Kind::Returns), ("bread", Kind::Returns)]);
    for name in ["salad", "bread"] {
        let e = code_of(&ended, name);
        assert_eq!(
            e.exitcode, 0,
            "the job `{name}` returned, yet its exit code is {}",
            e.exitcode
        );
    }
}

#[test]
fn a_job_that_panics_exits_with_1() {
    let _verdict = support::Verdict::on_return();
    let (ended, _) = run(&[
        ("salad", Kind::Returns),
        ("bread", Kind::Panics),
        ("entree", Kind::Returns),
    ]);
    let e = code_of(&ended, "bread");
    assert_eq!(
        e.exitcode, 1,
        "the job `bread` panicked, yet its exit code is {}",
        e.exitcode
    );
    let e = code_of(&ended, "entree");
    assert_eq!(
        e.exitcode, 0,
        "the job after the panicking one should still run and end with 0, got {}",
        e.exitcode
    );
}

#[test]
fn an_endless_job_is_killed_with_minus_9() {
    let _verdict = support::Verdict::on_return();
    let (ended, _) = run(&[
        ("pots", Kind::Endless),
        ("salad", Kind::Returns),
        ("pans", Kind::Endless),
    ]);
    for name in ["pots", "pans"] {
        let e = code_of(&ended, name);
        assert_eq!(
            e.exitcode, -9,
            "the endless job `{name}` should end by SIGKILL (-9), got {}",
            e.exitcode
        );
    }
    assert_eq!(
        code_of(&ended, "salad").exitcode,
        0,
        "the job `salad` returned: exit code 0"
    );
}

#[test]
fn each_job_runs_in_its_own_process() {
    let _verdict = support::Verdict::on_return();
    let (ended, reports) = run(&[
        ("salad", Kind::Returns),
        ("bread", Kind::Panics),
        ("entree", Kind::Returns),
        ("pots", Kind::Endless),
    ]);
    let me = std::process::id();
    for (name, pid) in &reports {
        assert_ne!(
            *pid, me,
            "the job `{name}` ran in the calling process, not in a child"
        );
    }
    for name in ["salad", "bread", "entree"] {
        let (_, pid) = reports
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("the job `{name}` never ran"));
        let reported = code_of(&ended, name).pid;
        assert_eq!(
            reported, *pid as i32,
            "the job `{name}` ran as pid {pid}, but its Ended says pid {reported}"
        );
    }
    let mut pids: Vec<i32> = ended.iter().map(|e| e.pid).collect();
    pids.sort();
    pids.dedup();
    assert_eq!(
        pids.len(),
        4,
        "four jobs need four different processes, got pids {:?}",
        ended
    );
    assert!(
        !pids.contains(&(me as i32)),
        "a job reports the pid of the calling process"
    );
}

#[test]
fn results_follow_the_order_of_the_jobs() {
    let _verdict = support::Verdict::on_return();
    let (ended, _) = run(&[
        ("dessert", Kind::Returns),
        ("pots", Kind::Endless),
        ("salad", Kind::Panics),
        ("bread", Kind::Returns),
    ]);
    let names: Vec<&str> = ended.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        ["dessert", "pots", "salad", "bread"],
        "one result per job, in the order of the jobs"
    );
    let codes: Vec<i32> = ended.iter().map(|e| e.exitcode).collect();
    assert_eq!(codes, [0, -9, 1, 0], "exit codes, in the order of the jobs");
}

#[test]
fn no_child_is_left() {
    let _verdict = support::Verdict::on_return();
    assert!(
        children().is_empty(),
        "the check started with children already"
    );
    let _ = run(&[
        ("salad", Kind::Returns),
        ("bread", Kind::Panics),
        ("pots", Kind::Endless),
        ("entree", Kind::Returns),
    ]);
    let left = children();
    assert!(
        left.is_empty(),
        "{} child process(es) left after run_jobs returned (pids {left:?}): every child must be joined",
        left.len()
    );
}

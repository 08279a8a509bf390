//! Checks for "A rack with an overflow policy". Each test is one
//! requirement. Real dryer processes sit on the other side of the rack;
//! where the policy may drop, they wait at a gate until the washer is done,
//! so the counts are exact.

mod support;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use exercise::{Policy, wash};
use washup::queue::PutError;
use washup::{Process, Queue};

/// Dryer processes, the gate they wait at, and what they dried.
struct Dryers {
    rack: Queue<usize>,
    gate: Queue<u8>,
    dried: Queue<usize>,
    processes: Vec<Process>,
    gate_open: bool,
}

impl Dryers {
    /// Starts `k` dryers; each waits at the gate, then dries dishes until it
    /// takes a 0 (no more dishes).
    fn start(rack: &Queue<usize>, k: usize) -> Dryers {
        let gate: Queue<u8> = Queue::new().expect("a gate");
        let dried: Queue<usize> = Queue::new().expect("a report queue");
        let processes = (1..=k)
            .map(|i| {
                let (rack, gate, dried) = (rack.clone(), gate.clone(), dried.clone());
                let mut p = Process::new(move || {
                    gate.get().expect("the gate");
                    loop {
                        match rack.get().expect("the rack") {
                            0 => break,
                            n => dried.put(n).expect("report"),
                        }
                    }
                })
                .name(format!("dryer-{i}"))
                .daemon(true);
                p.start().expect("start a dryer");
                p
            })
            .collect();
        Dryers {
            rack: rack.clone(),
            gate,
            dried,
            processes,
            gate_open: false,
        }
    }

    fn open_gate(&mut self) {
        for _ in &self.processes {
            self.gate.put(1).expect("open the gate");
        }
        self.gate_open = true;
    }

    /// Lets the dryers finish and returns every dish they dried, in the
    /// order they reported them.
    fn finish(mut self) -> Vec<usize> {
        if !self.gate_open {
            self.open_gate();
        }
        for _ in &self.processes {
            self.rack.put(0).expect("no more dishes");
        }
        for p in &mut self.processes {
            assert!(
                p.join_timeout(Duration::from_secs(5)).expect("join"),
                "a dryer did not finish"
            );
        }
        std::iter::from_fn(|| self.dried.get_nowait().ok()).collect()
    }
}

/// Runs `wash` on a thread; a hang becomes a clear failure.
fn run(
    rack: &Queue<usize>,
    dishes: usize,
    policy: Policy,
    limit: u64,
) -> Result<Vec<usize>, String> {
    let (tx, rx) = mpsc::channel();
    let r = rack.clone();
    std::thread::spawn(move || {
        let result = match wash(&r, dishes, policy) {
            Ok(fell) => Ok(fell),
            Err(PutError::Full(n)) => Err(format!("Full({n})")),
            Err(PutError::Closed(n)) => Err(format!("Closed({n})")),
            Err(e) => Err(format!("{e:?}")),
        };
        let _ = tx.send(result);
    });
    match rx.recv_timeout(Duration::from_secs(limit)) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!(
            "wash({policy:?}) did not return within {limit} s: with the dryers on a break, only Wait may wait for a place"
        ),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("wash panicked (see above)"),
    }
}

#[test]
fn drop_lets_the_extra_dishes_fall() {
    let _verdict = support::Verdict::on_return();
    let rack: Queue<usize> = Queue::with_maxsize(3).expect("a rack");
    let dryers = Dryers::start(&rack, 2);
    let fell = run(&rack, 12, Policy::Drop, 5).expect("wash returned an error");
    let mut dried = dryers.finish();
    dried.sort();
    assert_eq!(
        fell,
        (4..=12).collect::<Vec<_>>(),
        "12 dishes, 3 places, dryers on a break: dishes 4 to 12 fall"
    );
    assert_eq!(dried, [1, 2, 3], "the dishes on the rack are dried");
}

#[test]
fn wait_loses_nothing() {
    let _verdict = support::Verdict::on_return();
    let rack: Queue<usize> = Queue::with_maxsize(2).expect("a rack");
    let mut dryers = Dryers::start(&rack, 1);
    dryers.open_gate(); // the washer waits for the dryer: it must work meanwhile
    let fell = run(&rack, 200, Policy::Wait, 5).expect("wash returned an error");
    let dried = dryers.finish();
    assert!(
        fell.is_empty(),
        "Wait: nothing may fall, yet {} dishes fell",
        fell.len()
    );
    assert_eq!(
        dried,
        (1..=200).collect::<Vec<_>>(),
        "one dryer dries every dish, in washing order"
    );
}

#[test]
fn timeout_gives_up_after_its_time() {
    let _verdict = support::Verdict::on_return();
    let rack: Queue<usize> = Queue::with_maxsize(2).expect("a rack");
    let dryers = Dryers::start(&rack, 2);
    let d = Duration::from_millis(40);
    let since = Instant::now();
    let fell = run(&rack, 5, Policy::Timeout(d), 5).expect("wash returned an error");
    let took = since.elapsed();
    let mut dried = dryers.finish();
    dried.sort();
    assert_eq!(
        fell,
        [3, 4, 5],
        "5 dishes, 2 places, dryers on a break: dishes 3, 4, 5 fall"
    );
    assert!(
        took >= d * 3,
        "three dishes fell after {took:?} in all: each should be held for {d:?} first"
    );
    assert_eq!(dried, [1, 2], "the dishes on the rack are dried");
}

#[test]
fn timeout_keeps_a_dish_that_finds_a_place_in_time() {
    let _verdict = support::Verdict::on_return();
    let rack: Queue<usize> = Queue::with_maxsize(1).expect("a rack");
    let mut dryers = Dryers::start(&rack, 1);
    dryers.open_gate();
    let fell =
        run(&rack, 50, Policy::Timeout(Duration::from_secs(3)), 6).expect("wash returned an error");
    let dried = dryers.finish();
    assert!(
        fell.is_empty(),
        "a dryer frees a place well within 3 s, yet dishes {fell:?} fell"
    );
    assert_eq!(
        dried,
        (1..=50).collect::<Vec<_>>(),
        "every dish dried, in washing order"
    );
}

#[test]
fn other_errors_are_returned() {
    let _verdict = support::Verdict::on_return();
    for policy in [
        Policy::Drop,
        Policy::Wait,
        Policy::Timeout(Duration::from_millis(10)),
    ] {
        let rack: Queue<usize> = Queue::with_maxsize(3).expect("a rack");
        rack.close(); // closed in this process: every put fails with Closed
        let result = run(&rack, 4, policy, 5);
        assert_eq!(
            result,
            Err("Closed(1)".to_string()),
            "{policy:?} on a closed rack: wash should return Err(PutError::Closed(1))"
        );
    }
}

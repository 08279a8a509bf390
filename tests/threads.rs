//! Behaviour tests for `washup::thread` and the threads chapters' examples.
//!
//! No test sleeps to let a thread catch up: threads wait on channels the
//! test controls, and every wait that could hang has an upper bound that
//! turns a hang into a failure. The examples' printed output is checked
//! against snapshots by `tests/book.rs`; here we check the claims the pages
//! make about it (orders, counts, exits, timings) over many runs.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use washup::thread::{JoinError, current_name, default_name, native_id, spawn, spawn_named};
use washup_tests::{Finished, run_example, spawn_example};

/// Upper bound for anything a test waits for.
const LIMIT: Duration = Duration::from_secs(30);

fn lines(finished: &Finished) -> Vec<&str> {
    finished.output.lines().collect()
}

// ---------------------------------------------------------------- library

#[test]
fn join_timeout_times_out_while_the_thread_waits_then_returns_its_value() {
    let (release, wait) = crossbeam_channel::bounded::<u32>(0);
    let mut handle = spawn(move || wait.recv().expect("the test sends") * 2).expect("spawn");
    // The thread cannot end before we send: the timeout must expire.
    let start = Instant::now();
    let first = handle
        .join_timeout(Duration::from_millis(20))
        .expect("no panic");
    assert_eq!(first, None);
    assert!(
        start.elapsed() >= Duration::from_millis(20),
        "returned early"
    );
    assert!(!handle.is_finished());
    release.send(21).expect("the thread waits");
    let second = handle.join_timeout(LIMIT).expect("no panic");
    assert_eq!(second, Some(42));
}

#[test]
fn join_timeout_wakes_when_the_thread_ends_not_when_the_timeout_does() {
    let (release, wait) = crossbeam_channel::bounded::<()>(0);
    let mut handle = spawn(move || wait.recv().is_ok()).expect("spawn");
    release.send(()).expect("the thread waits");
    let start = Instant::now();
    // A generous timeout: if join_timeout slept it out, this would take 60 s.
    let value = handle
        .join_timeout(Duration::from_secs(60))
        .expect("no panic");
    assert_eq!(value, Some(true));
    assert!(
        start.elapsed() < LIMIT,
        "join_timeout waited {:?}: it did not wake when the thread ended",
        start.elapsed()
    );
}

#[test]
fn is_finished_turns_true_once_the_closure_has_returned() {
    let (release, wait) = crossbeam_channel::bounded::<()>(0);
    let handle = spawn(move || {
        let _ = wait.recv();
    })
    .expect("spawn");
    assert!(!handle.is_finished(), "finished before it was released");
    release.send(()).expect("the thread waits");
    // Spin (no sleep) until it says finished, bounded by LIMIT.
    let start = Instant::now();
    while !handle.is_finished() {
        assert!(start.elapsed() < LIMIT, "is_finished never turned true");
        std::thread::yield_now();
    }
    handle.join().expect("no panic");
}

#[test]
fn a_panic_reaches_whoever_joins_with_the_threads_name_and_message() {
    let mut handle = spawn_named("clumsy dryer", || -> u32 {
        panic!("dropped the salad bowl")
    })
    .expect("spawn");
    match handle.join_timeout(LIMIT) {
        Err(JoinError::Panicked { name, message }) => {
            assert_eq!(name, "clumsy dryer");
            assert_eq!(message, "dropped the salad bowl");
        }
        other => panic!("expected a panic, got {other:?}"),
    }
    // The result was handed out (as an error) once; there is no second time.
    assert!(matches!(
        handle.join_timeout(LIMIT),
        Err(JoinError::AlreadyJoined { .. })
    ));
    assert!(handle.is_finished());
}

#[test]
fn the_value_is_handed_out_once() {
    let mut handle = spawn(|| String::from("dry")).expect("spawn");
    assert_eq!(
        handle.join_timeout(LIMIT).expect("no panic").as_deref(),
        Some("dry")
    );
    let again = handle.join_timeout(LIMIT);
    assert!(
        matches!(again, Err(JoinError::AlreadyJoined { ref name }) if name.starts_with("Thread-")),
        "{again:?}"
    );
    assert!(matches!(
        handle.join(),
        Err(JoinError::AlreadyJoined { .. })
    ));
}

/// A thread handed its own handle cannot join itself: `join_timeout` says
/// so at once, as `join` does, instead of waiting out its timeout.
#[test]
fn a_thread_joining_itself_is_refused_with_or_without_a_timeout() {
    let (give, mine) = crossbeam_channel::bounded::<washup::thread::Handle<()>>(1);
    let (report, reported) = crossbeam_channel::bounded::<String>(1);
    let handle = spawn_named("dryer", move || {
        let mut me = mine.recv().expect("the test sends my handle");
        let with_timeout = me.join_timeout(LIMIT);
        let plain = me.join();
        let _ = report.send(format!("{with_timeout:?}|{plain:?}"));
    })
    .expect("spawn");
    give.send(handle).expect("the thread waits for it");
    let text = reported.recv_timeout(LIMIT).expect("the thread reports");
    assert_eq!(
        text,
        r#"Err(JoinsItself { name: "dryer" })|Err(JoinsItself { name: "dryer" })"#
    );
}

fn number(name: &str) -> u64 {
    name.strip_prefix("Thread-")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a Python-style default name: {name}"))
}

#[test]
fn default_names_count_up_like_pythons_and_the_thread_sees_its_name() {
    let first = spawn(current_name).expect("spawn");
    let second = spawn(current_name).expect("spawn");
    let (first_name, second_name) = (first.name().to_string(), second.name().to_string());
    // Other tests spawn at the same time, so numbers may be skipped, but a
    // later call always gets a larger number.
    assert!(number(&second_name) > number(&first_name));
    assert_eq!(first.join().expect("no panic"), first_name);
    assert_eq!(second.join().expect("no panic"), second_name);
    assert!(number(&default_name()) > number(&second_name));
}

/// The page: "A thread started with `std::thread::spawn` has no name at
/// all; `std::thread::Builder::new().name(...)` gives it one."
#[test]
fn a_std_spawned_thread_has_no_name_and_a_builder_gives_one() {
    let unnamed = std::thread::spawn(|| {
        (
            std::thread::current().name().map(String::from),
            current_name(),
        )
    });
    assert_eq!(
        unnamed.join().expect("no panic"),
        (None, "<unnamed>".to_string())
    );
    let named = std::thread::Builder::new()
        .name("dryer".into())
        .spawn(|| std::thread::current().name().map(String::from))
        .expect("spawn");
    assert_eq!(named.thread().name(), Some("dryer"));
    assert_eq!(named.join().expect("no panic").as_deref(), Some("dryer"));
}

/// `ThreadId`s tell threads apart, and a thread that has ended does not pass
/// its id on to the next one (the page contrasts this with Python's
/// `ident`, which may be reused).
#[test]
fn thread_ids_are_not_reused_after_a_thread_ends() {
    let mut seen = std::collections::HashSet::new();
    assert!(seen.insert(std::thread::current().id()));
    // One after another: each thread has ended before the next starts.
    for _ in 0..50 {
        let id = std::thread::spawn(|| std::thread::current().id())
            .join()
            .expect("no panic");
        assert!(seen.insert(id), "{id:?} was used again");
    }
}

#[test]
fn native_ids_differ_between_threads_and_the_main_threads_is_the_pid() {
    let here = native_id();
    let there = spawn(native_id).expect("spawn").join().expect("no panic");
    assert_ne!(here, there);
    // Each test runs on a thread of its own, so check "tid == pid" in a
    // process whose main thread we know: the `threads` example.
    let mut running = spawn_example("threads", &[]);
    let pid = running.pid();
    let first = running.read_line().expect("a first line");
    assert_eq!(
        first,
        format!("main (tid {pid}) says: I'm the main program")
    );
    assert_eq!(running.finish().code, Some(0));
}

// --------------------------------------------------------------- examples

/// The `tid` numbers in a `threads` run, in printed order, with the names.
fn who_said(output: &str) -> Vec<(String, i32)> {
    let re = regex::Regex::new(r"^(\S+) \(tid (\d+)\) says: ").expect("regex");
    output
        .lines()
        .filter_map(|line| {
            let caps = re.captures(line)?;
            Some((caps[1].to_string(), caps[2].parse().expect("a tid")))
        })
        .collect()
}

#[test]
fn threads_example_prints_main_then_helpers_in_start_order_with_distinct_tids() {
    for _ in 0..10 {
        let run = run_example("threads", &["--helpers", "6"]);
        assert_eq!(run.code, Some(0), "{}", run.output);
        let said = who_said(&run.output);
        let names: Vec<&str> = said.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "main", "Thread-1", "Thread-2", "Thread-3", "Thread-4", "Thread-5", "Thread-6"
            ]
        );
        let mut tids: Vec<i32> = said.iter().map(|(_, t)| *t).collect();
        tids.sort();
        tids.dedup();
        assert_eq!(tids.len(), 7, "tids repeat: {said:?}");
    }
}

#[test]
fn threads_example_printing_directly_prints_the_same_lines_in_some_order() {
    let run = run_example("threads", &["--helpers", "6", "--print-directly"]);
    assert_eq!(run.code, Some(0), "{}", run.output);
    let mut names: Vec<String> = who_said(&run.output).into_iter().map(|(n, _)| n).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "Thread-1", "Thread-2", "Thread-3", "Thread-4", "Thread-5", "Thread-6", "main"
        ]
    );
}

#[test]
fn threads_example_join_timeout_expires_while_the_rack_is_open() {
    let run = run_example("threads", &["--timeout-ms", "1"]);
    let text = lines(&run);
    assert!(text.contains(&"after 1 ms the dryer is still waiting; is_finished: false"));
    let log = text
        .iter()
        .position(|l| *l == "rack closed; the dryer returned its log:");
    let log = log.expect("the dryer's log");
    assert_eq!(
        text[log + 1..log + 3],
        ["  Drying salad dish", "  Drying bread dish"]
    );
    let stop = text
        .iter()
        .position(|l| l.starts_with("polisher: saw the stop flag"));
    let joined = text
        .iter()
        .position(|l| l.starts_with("main: the polisher has stopped"));
    assert!(stop.is_some() && stop < joined, "{}", run.output);
}

/// The page: joining your own `JoinHandle` compiles, and fails at run time:
/// `pthread_join` refuses with EDEADLK and std's `join` panics, so the
/// thread never gets past `join`.
#[test]
fn threads_example_a_thread_joining_itself_panics_at_run_time() {
    for _ in 0..10 {
        let run = run_example("threads", &["--mistake", "join-self"]);
        assert_eq!(run.code, Some(0), "{}", run.output);
        assert_eq!(
            lines(&run),
            [
                "dryer: calling join() on my own JoinHandle",
                "dryer panicked: failed to join thread: Resource deadlock avoided (os error 35)",
                "main: the dryer panicked in join(); no compiler error warned us",
            ],
            "{}",
            run.output
        );
    }
}

/// Bad flags get clap's message and exit status 2, never a panic, an abort
/// or a hang: sizes and waits have upper limits.
#[test]
fn out_of_range_flags_exit_with_status_2_and_say_why() {
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "threads",
            &["--timeout-ms", "100000000000"],
            "100000000000 is not in 0..=60000",
        ),
        ("threads", &["--helpers", "0"], "0 is not in 1..=64"),
        (
            "threads",
            &["--mistake", "join-self", "--helpers", "3"],
            "cannot be used with",
        ),
        (
            "thread-dishes",
            &["--wait-ms", "100000000000"],
            "100000000000 is not in 0..=60000",
        ),
        (
            "thread-dishes",
            &["--rack", "100000000000"],
            "100000000000 is not in 0..=10000 (or `unbounded`)",
        ),
        (
            "thread-io",
            &["--wait-ms", "18446744073709551615"],
            "is not in 0..=60000",
        ),
        (
            "thread-io",
            &["--neighbours", "100000"],
            "is not in 1..=200",
        ),
    ];
    for (example, args, says) in cases {
        let run = run_example(example, args);
        assert_eq!(run.code, Some(2), "{example} {args:?}:\n{}", run.output);
        assert!(
            run.output.starts_with("error: ") && run.output.contains(says),
            "{example} {args:?} should say {says:?}:\n{}",
            run.output
        );
    }
}

/// Each dryer's dishes from a `thread-dishes` run, by dryer name.
fn dried_by(output: &str) -> BTreeMap<String, Vec<String>> {
    let mut by = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in output.lines() {
        if let Some(name) = line.strip_suffix(':').filter(|n| n.starts_with("dryer-")) {
            current = Some(name.to_string());
            by.insert(name.to_string(), Vec::new());
        } else if !line.starts_with("  ") {
            current = None;
        } else if let (Some(name), Some(dish)) = (&current, line.strip_prefix("  Drying ")) {
            let dish = dish.strip_suffix(" dish").expect("`Drying X dish`");
            by.get_mut(name).expect("dryer seen").push(dish.to_string());
        }
    }
    by
}

#[test]
fn thread_dishes_each_dish_is_dried_once_and_each_dryer_takes_them_in_washing_order() {
    let dishes: Vec<String> = (1..=30).map(|n| format!("plate{n:02}")).collect();
    let list = dishes.join(",");
    for rack in ["0", "2", "unbounded"] {
        for _ in 0..10 {
            let run = run_example(
                "thread-dishes",
                &[
                    "--dryers",
                    "3",
                    "--rack",
                    rack,
                    "--names",
                    &list,
                    "--wait-ms",
                    "1",
                ],
            );
            assert_eq!(run.code, Some(0), "{}", run.output);
            let by = dried_by(&run.output);
            assert_eq!(by.len(), 3, "{}", run.output);
            let mut all: Vec<String> = Vec::new();
            for (dryer, got) in &by {
                let mut sorted = got.clone();
                sorted.sort();
                assert_eq!(&sorted, got, "{dryer} dried out of washing order");
                all.extend(got.iter().cloned());
            }
            all.sort();
            assert_eq!(all, dishes, "not every dish dried exactly once");
            assert!(
                run.output.ends_with("dried 30 of 30 dishes\n"),
                "{}",
                run.output
            );
        }
    }
}

#[test]
fn thread_dishes_try_send_fills_a_bounded_rack_and_never_an_unbounded_one() {
    let full = |rack: &str| {
        let run = run_example("thread-dishes", &["--rack", rack, "--wait-ms", "1"]);
        assert_eq!(run.code, Some(0), "{}", run.output);
        let on_rack = run.output.matches("): on the rack").count();
        (on_rack, run.output.contains("Full, no room on the rack"))
    };
    assert_eq!(full("0"), (0, true));
    assert_eq!(full("3"), (3, true));
    assert_eq!(full("unbounded"), (4, false));
}

#[test]
fn daemon_threads_detached_dryer_loses_its_unfinished_work_and_the_program_still_ends() {
    for towels in ["0", "1", "3"] {
        let run = run_example("daemon-threads", &["--towels", towels]);
        assert_eq!(run.code, Some(0), "{}", run.output);
        let dried = run.output.matches("Drying ").count();
        assert_eq!(dried.to_string(), towels, "{}", run.output);
        assert!(!run.output.contains("going home"), "{}", run.output);
        let last = lines(&run).last().copied().unwrap_or_default();
        assert!(last.starts_with("main: returning with"), "{}", run.output);
    }
}

#[test]
fn daemon_threads_join_and_scope_wait_for_the_dryers_last_words() {
    for ending in ["join", "scope"] {
        let run = run_example("daemon-threads", &["--ending", ending]);
        assert_eq!(run.code, Some(0), "{}", run.output);
        let text = lines(&run);
        assert_eq!(run.output.matches("Drying ").count(), 4);
        assert_eq!(
            text[text.len() - 2],
            "dryer: rack closed and empty, going home"
        );
        assert!(text[text.len() - 1].contains("4 of 4 dishes dried"));
    }
}

#[test]
fn daemon_threads_refuses_to_detach_with_a_towel_for_every_dish() {
    let run = run_example("daemon-threads", &["--towels", "4"]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.output
            .contains("--towels must be fewer than the dishes (4)"),
        "{}",
        run.output
    );
}

/// Only the detach ending hands over towels; the others refuse the flag
/// rather than ignore it.
#[test]
fn daemon_threads_refuses_towels_with_an_ending_that_dries_every_dish() {
    for ending in ["join", "scope"] {
        let run = run_example("daemon-threads", &["--ending", ending, "--towels", "2"]);
        assert_eq!(run.code, Some(2), "{}", run.output);
        assert!(
            run.output.contains("--towels is for --ending detach"),
            "{}",
            run.output
        );
    }
}

/// The number of milliseconds on the line starting with `label`.
fn millis(output: &str, label: &str) -> u64 {
    let line = output
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no line {label:?} in:\n{output}"));
    let number = line[label.len()..].trim().trim_end_matches(" ms");
    number.parse().expect("a number of ms")
}

#[test]
fn thread_io_waiting_in_threads_overlaps_the_waits() {
    let run = run_example("thread-io", &["--neighbours", "4", "--wait-ms", "300"]);
    assert_eq!(run.code, Some(0), "{}", run.output);
    let (sum, one_by_one, at_once) = (
        millis(&run.output, "sum of the waits:"),
        millis(&run.output, "one after another:"),
        millis(&run.output, "all at once:"),
    );
    assert_eq!(sum, 1200);
    // One after another cannot beat the sum of the waits.
    assert!(one_by_one >= sum, "{}", run.output);
    // All at once takes about one wait; allow a wide margin for a busy machine.
    assert!(at_once >= 300, "{}", run.output);
    assert!(
        at_once < sum * 3 / 4,
        "threads did not overlap the waits:\n{}",
        run.output
    );
}

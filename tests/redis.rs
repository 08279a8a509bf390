//! The chapter "Many kitchens: a rack on Redis", checked against a real
//! `redis-server` that this test binary starts for itself (see
//! `washup_tests::redis`). Each test gets a fresh, empty database. Without
//! `redis-server` the tests that need it say `SKIPPED` on standard error.
//!
//! Every behaviour the page claims is here: the washer's dishes all arrive,
//! once each (in order, for one dryer); an empty rack's blocking take times
//! out within the stated tolerance; no dish is lost when a dryer is killed
//! holding one; `join` waits for every `task_done`; the messages and exit
//! codes for an unreachable server and for bad flags; and no process is left
//! behind (`run_example`/`spawn_example` check each process group).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use washup_kitchens::{Dryer, Rack, RackError};
use washup_tests::redis::{fresh_url, skip};
use washup_tests::{Running, run_example, run_example_with_env, spawn_example};

const EXAMPLE: &str = "redis-rack";
/// The page's claim: an empty rack's take returns no earlier than its
/// timeout and at most this much later (Redis checks its timers about ten
/// times a second; the rest is headroom for a busy machine).
const TIMEOUT_SLACK: Duration = Duration::from_millis(500);

/// The server's URL for one test, or `None` after saying `SKIPPED`.
fn server(test: &str) -> Option<String> {
    let url = fresh_url();
    if url.is_none() {
        skip(test);
    }
    url
}

/// `redis-rack --redis URL ARGS...` to the end; must exit with 0.
fn role(url: &str, args: &[&str]) -> String {
    let mut all = vec!["--redis", url];
    all.extend_from_slice(args);
    let finished = run_example(EXAMPLE, &all);
    assert_eq!(finished.code, Some(0), "{args:?}:\n{}", finished.shown());
    finished.output
}

fn spawn_role(url: &str, args: &[&str]) -> Running {
    let mut all = vec!["--redis", url];
    all.extend_from_slice(args);
    spawn_example(EXAMPLE, &all)
}

/// The dishes named in lines `... <verb> <dish> dish`, in order.
fn dishes(output: &str, verb: &str) -> Vec<String> {
    output
        .lines()
        .filter_map(|line| {
            line.split_once(&format!("{verb} "))?
                .1
                .strip_suffix(" dish")
        })
        .map(str::to_string)
        .collect()
}

fn count(dishes: &[String]) -> BTreeMap<&str, usize> {
    let mut counts = BTreeMap::new();
    for dish in dishes {
        *counts.entry(dish.as_str()).or_insert(0) += 1;
    }
    counts
}

#[test]
fn every_washed_dish_arrives_once_and_in_order_with_one_dryer() {
    let Some(url) = server("every_washed_dish_arrives_once_and_in_order_with_one_dryer") else {
        return;
    };
    let washed = dishes(&role(&url, &["washer", "--dishes", "25"]), "Washing");
    assert_eq!(washed.len(), 25);
    assert_eq!(
        count(&washed).len(),
        25,
        "the washer's dishes are all different"
    );
    let dried = dishes(&role(&url, &["dryer", "--timeout-ms", "200"]), "Drying");
    assert_eq!(
        dried, washed,
        "one dryer dries every dish once, first in, first out"
    );
    let mut rack = Rack::connect(&url, "kitchen").expect("connect");
    let status = rack.status().expect("status");
    assert!(
        status.rack.is_empty() && status.drying.is_empty(),
        "{status:?}"
    );
    assert_eq!(status.unfinished, 0);
    assert_eq!(status.dried, washed, "the dried log");
}

#[test]
fn several_dryer_processes_share_the_dishes_without_losing_or_doubling_one() {
    let Some(url) = server("several_dryer_processes_share_the_dishes") else {
        return;
    };
    let washed = dishes(&role(&url, &["washer", "--dishes", "60"]), "Washing");
    // Started after the washing, so none of them can give up early.
    let dryers: Vec<Running> = ["B", "C", "D"]
        .iter()
        .map(|name| spawn_role(&url, &["dryer", "--name", name, "--timeout-ms", "300"]))
        .collect();
    let mut dried = Vec::new();
    for dryer in dryers {
        let finished = dryer.finish();
        assert_eq!(finished.code, Some(0), "{}", finished.shown());
        dried.extend(dishes(&finished.output, "Drying"));
    }
    assert_eq!(
        count(&dried),
        count(&washed),
        "each dish dried exactly once"
    );
}

#[test]
fn a_take_from_an_empty_rack_times_out_within_the_stated_slack() {
    let Some(url) = server("a_take_from_an_empty_rack_times_out") else {
        return;
    };
    let (mut dryer, _) = Dryer::sign_in(&url, "kitchen", "A").expect("sign in");
    for timeout in [Duration::from_millis(150), Duration::from_millis(400)] {
        let started = Instant::now();
        let dish = dryer.get(timeout).expect("get");
        let waited = started.elapsed();
        assert_eq!(dish, None);
        assert!(
            waited >= timeout && waited <= timeout + TIMEOUT_SLACK,
            "asked to wait {timeout:?}, waited {waited:?}"
        );
    }
    // Not waiting at all is not "wait forever" (which 0 means to Redis).
    let started = Instant::now();
    assert_eq!(dryer.get(Duration::ZERO).expect("get"), None);
    assert!(started.elapsed() < TIMEOUT_SLACK);
    // The example's dryer on an empty rack says how long it waited, and ends.
    let said = role(&url, &["dryer", "--timeout-ms", "300"]);
    let secs: f64 = said
        .split_once("stayed empty for ")
        .and_then(|(_, rest)| rest.split_once(" s, going home"))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("no wait reported in {said:?}"));
    let waited = Duration::from_secs_f64(secs);
    assert!(
        waited >= Duration::from_millis(295)
            && waited <= Duration::from_millis(300) + TIMEOUT_SLACK,
        "{said}"
    );
}

/// Starts dryer A that stalls holding its `k`-th dish; returns it, the
/// dishes it dried before, and the dish it holds.
fn stalled_dryer(url: &str, k: usize) -> (Running, Vec<String>, String) {
    let k = k.to_string();
    let mut dryer = spawn_role(
        url,
        &["dryer", "--name", "A", "--crash-after", &k, "--stall"],
    );
    let mut dried = Vec::new();
    loop {
        let line = dryer
            .read_line()
            .expect("dryer A ended before holding a dish");
        if let Some(dish) = dishes(&line, "Holding").pop() {
            let stalled = dryer.read_line().expect("the stall line");
            assert!(stalled.contains("stalled"), "{stalled}");
            return (dryer, dried, dish);
        }
        dried.extend(dishes(&line, "Drying"));
    }
}

fn kill(dryer: Running) {
    dryer.signal(Signal::SIGKILL);
    let finished = dryer.finish();
    assert_eq!(
        finished.signal,
        Some(Signal::SIGKILL as i32),
        "{}",
        finished.shown()
    );
}

#[test]
fn no_dish_is_lost_when_a_dryer_is_killed_holding_one() {
    let Some(url) = server("no_dish_is_lost_when_a_dryer_is_killed_holding_one") else {
        return;
    };
    let washed = dishes(&role(&url, &["washer", "--dishes", "6"]), "Washing");
    let (dryer_a, mut dried, held) = stalled_dryer(&url, 3);
    assert_eq!(dried, washed[..2], "A dried the first two");
    assert_eq!(held, washed[2], "and holds the third");
    let mut rack = Rack::connect(&url, "kitchen").expect("connect");
    assert_eq!(
        rack.status().expect("status").drying,
        [("A".to_string(), vec![held.clone()])]
    );
    kill(dryer_a);
    // A is gone, its dish is still in its hands: the reaper puts it back,
    // at the front of the rack, and dryer B dries it first.
    let reaped = role(&url, &["reaper"]);
    assert_eq!(
        reaped.trim(),
        format!("Reaper: dryer A is gone; the {held} dish goes back on the rack")
    );
    let by_b = dishes(
        &role(&url, &["dryer", "--name", "B", "--timeout-ms", "200"]),
        "Drying",
    );
    assert_eq!(
        by_b,
        washed[2..],
        "B: the reaped dish, then the rest in order"
    );
    dried.extend(by_b);
    assert_eq!(
        count(&dried),
        count(&washed),
        "every dish dried once, none lost"
    );
    assert!(rack.join(Some(Duration::from_secs(5))).expect("join"));
    let status = rack.status().expect("status");
    assert_eq!(count(&status.dried), count(&washed), "{status:?}");
    assert!(
        status.drying.is_empty() && status.rack.is_empty(),
        "{status:?}"
    );
}

#[test]
fn the_reaper_leaves_a_live_dryers_dishes_alone() {
    let Some(url) = server("the_reaper_leaves_a_live_dryers_dishes_alone") else {
        return;
    };
    role(&url, &["washer", "--dishes", "2"]);
    let (dryer_a, _, held) = stalled_dryer(&url, 1);
    assert_eq!(
        role(&url, &["reaper"]),
        "",
        "A is alive: nothing to put back"
    );
    let mut rack = Rack::connect(&url, "kitchen").expect("connect");
    assert_eq!(
        rack.status().expect("status").drying,
        [("A".to_string(), vec![held])]
    );
    kill(dryer_a);
}

#[test]
fn a_dryer_back_under_its_old_name_puts_back_what_it_held() {
    let Some(url) = server("a_dryer_back_under_its_old_name_puts_back_what_it_held") else {
        return;
    };
    role(&url, &["washer", "--dishes", "3"]);
    let (dryer_a, _, held) = stalled_dryer(&url, 2);
    kill(dryer_a);
    let again = role(&url, &["dryer", "--name", "A", "--timeout-ms", "200"]);
    let lines: Vec<&str> = again.lines().collect();
    assert_eq!(
        lines[..3],
        [
            format!("Dryer A: put back the {held} dish my last run held"),
            format!("Dryer A: Drying {held} dish"),
            "Dryer A: Drying entree dish".to_string(),
        ],
        "{again}"
    );
}

#[test]
fn join_waits_for_every_task_done() {
    let Some(url) = server("join_waits_for_every_task_done") else {
        return;
    };
    let mut rack = Rack::connect(&url, "kitchen").expect("connect");
    assert!(
        rack.join(Some(Duration::ZERO)).expect("join"),
        "nothing put yet"
    );
    for dish in ["cup", "pan"] {
        rack.put(dish).expect("put");
    }
    let (mut dryer, _) = Dryer::sign_in(&url, "kitchen", "A").expect("sign in");
    let cup = dryer
        .get(Duration::from_secs(5))
        .expect("get")
        .expect("a dish");
    assert!(!rack.join(Some(Duration::from_millis(100))).expect("join"));
    dryer.task_done(&cup).expect("task_done");
    assert!(
        !rack.join(Some(Duration::from_millis(100))).expect("join"),
        "pan not done"
    );
    // Done twice, or a dish never taken: an error, like Python's ValueError.
    assert!(matches!(
        dryer.task_done(&cup),
        Err(RackError::NotHolding { .. })
    ));
    let pan = dryer
        .get(Duration::from_secs(5))
        .expect("get")
        .expect("a dish");
    dryer.task_done(&pan).expect("task_done");
    assert!(rack.join(Some(Duration::from_secs(5))).expect("join"));

    // The example's washer with --join: it waits for a dryer process.
    let mut washer = spawn_role(&url, &["washer", "--dishes", "2", "--join"]);
    assert_eq!(washer.read_line().as_deref(), Some("Washing salad dish"));
    assert_eq!(washer.read_line().as_deref(), Some("Washing bread dish"));
    role(&url, &["dryer", "--timeout-ms", "200"]);
    assert_eq!(
        washer.read_line().as_deref(),
        Some("Washer: every dish is dry")
    );
    assert_eq!(washer.finish().code, Some(0));
}

#[test]
fn an_unreachable_server_is_a_clear_message_and_exit_code_1() {
    // Nothing listens on port 1. Given by flag, and by REDIS_URL.
    let by_flag = run_example(EXAMPLE, &["--redis", "redis://127.0.0.1:1/", "washer"]);
    let by_env = run_example_with_env(
        EXAMPLE,
        &["dryer"],
        &[("REDIS_URL", "redis://127.0.0.1:1/")],
    );
    for finished in [by_flag, by_env] {
        assert_eq!(finished.code, Some(1), "{}", finished.shown());
        let lines: Vec<&str> = finished.output.lines().collect();
        assert_eq!(lines.len(), 2, "{}", finished.output);
        assert!(
            lines[0].starts_with("redis-rack: no Redis server answers at redis://127.0.0.1:1/: "),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].contains("--redis URL or REDIS_URL"),
            "{}",
            lines[1]
        );
    }
}

#[test]
fn bad_flags_exit_with_2() {
    for args in [
        &["washer", "--dishes", "many"][..],
        &["--redis", "http://example.org/", "washer"],
        &["--rack", "my rack", "washer"],
        &["dryer", "--name", ""],
        &["wipe"],
        &[],
    ] {
        let finished = run_example(EXAMPLE, args);
        assert_eq!(finished.code, Some(2), "{args:?}: {}", finished.shown());
        let said = &finished.output;
        assert!(
            said.starts_with("error:") || said.contains("Usage: redis-rack"),
            "{said}"
        );
    }
}

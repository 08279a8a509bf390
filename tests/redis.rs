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
use std::io::Write as _;

use washup_kitchens::{Dryer, Rack, RackError, ReapStep};
use washup_tests::redis::{OwnServer, fresh_url, skip};
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
    assert_eq!(status.unfinished, Some(0));
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
    let said = role(&url, &["dryer", "--name", "B", "--timeout-ms", "300"]);
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

/// Kills dryer `name` (SIGKILL), then waits until the server has noticed
/// that its connection closed: that takes the server a moment, and
/// nothing orders it before another client's next command.
fn kill(url: &str, name: &str, dryer: Running) {
    dryer.signal(Signal::SIGKILL);
    let finished = dryer.finish();
    assert_eq!(
        finished.signal,
        Some(Signal::SIGKILL as i32),
        "{}",
        finished.shown()
    );
    let mut rack = Rack::connect(url, "kitchen").expect("connect");
    assert!(
        rack.wait_until_disconnected(name, Duration::from_secs(10))
            .expect("wait"),
        "the server still lists dryer {name}'s connection 10 s after it was killed"
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
    kill(&url, "A", dryer_a);
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
    kill(&url, "A", dryer_a);
}

#[test]
fn a_dryer_back_under_its_old_name_puts_back_what_it_held() {
    let Some(url) = server("a_dryer_back_under_its_old_name_puts_back_what_it_held") else {
        return;
    };
    role(&url, &["washer", "--dishes", "3"]);
    let (dryer_a, _, held) = stalled_dryer(&url, 2);
    kill(&url, "A", dryer_a);
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
    // A count that is not on the server is never "all dry".
    assert!(
        matches!(
            rack.join(Some(Duration::ZERO)),
            Err(RackError::CountGone { .. })
        ),
        "join on a rack nobody set up"
    );
    rack.clear().expect("clear");
    assert!(
        rack.join(Some(Duration::ZERO)).expect("join"),
        "a fresh rack: nothing put yet"
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
    role(&url, &["dryer", "--name", "B", "--timeout-ms", "200"]);
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
            lines[0].starts_with("redis-rack ")
                && lines[0].ends_with(
                    ": no Redis server answers at redis://127.0.0.1:1/: connection refused"
                ),
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
        // Flags that would be ignored, and a crash before any dish.
        &["dryer", "--stall"],
        &["dryer", "--crash-after", "0"],
        &["kitchen", "--crash-after", "0"],
        &["dryer", "--timeout-ms", "18446744073709551615"],
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

// ---------------------------------------------------------------------------
// The reaper and sign-in, racing (the protocol at `Rack::reap_pausing`).

/// The server's `CLIENT LIST`, one line per connection.
fn client_list(url: &str) -> String {
    let client = washup_kitchens::redis::Client::open(url).expect("url");
    let mut conn = client
        .get_connection_with_timeout(Duration::from_secs(10))
        .expect("connect");
    washup_kitchens::redis::cmd("CLIENT")
        .arg("LIST")
        .query(&mut conn)
        .expect("CLIENT LIST")
}

/// Waits (at most 20 s, asking every 10 ms) until some connection's line
/// in `CLIENT LIST` has every one of `fields`, e.g. `["cmd=blmove",
/// "flags=b"]`: a client blocked in a take.
fn wait_for_connection(url: &str, fields: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let list = client_list(url);
        if list.lines().any(|line| {
            fields
                .iter()
                .all(|f| line.split_whitespace().any(|w| w == *f))
        }) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no connection with {fields:?} in\n{list}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_dryer_that_signs_in_while_the_reaper_works_keeps_its_dish() {
    let Some(url) = server("a_dryer_that_signs_in_while_the_reaper_works_keeps_its_dish") else {
        return;
    };
    let mut rack = Rack::connect(&url, "kitchen").expect("connect");
    rack.clear().expect("clear");
    rack.put("cup").expect("put");
    // Between the reaper's two steps, dryer X signs in and takes the cup.
    let mut x = None;
    let reaped = rack
        .reap_pausing(|step| {
            if step == ReapStep::RecordsRead {
                let (mut dryer, _) = Dryer::sign_in(&url, "kitchen", "X").expect("sign in");
                let cup = dryer.get(Duration::ZERO).expect("get");
                assert_eq!(cup.as_deref(), Some("cup"));
                x = Some(dryer);
            }
        })
        .expect("reap");
    assert_eq!(reaped, [], "X is alive: its dish is not the reaper's");
    let status = rack.status().expect("status");
    assert_eq!(status.drying, [("X".to_string(), vec!["cup".to_string()])]);
    let mut x = x.expect("X signed in");
    x.task_done("cup").expect("X still holds the cup");
    // And X is still known as alive to the next reaper.
    assert_eq!(rack.connected_dryers().expect("connected"), ["X"]);
}

#[test]
fn a_new_dryer_under_a_dead_dryers_name_keeps_its_dish_from_the_reaper() {
    let Some(url) = server("a_new_dryer_under_a_dead_dryers_name_keeps_its_dish_from_the_reaper")
    else {
        return;
    };
    let mut rack = Rack::connect(&url, "kitchen").expect("connect");
    rack.clear().expect("clear");
    for dish in ["cup", "pan"] {
        rack.put(dish).expect("put");
    }
    {
        // The first A takes the cup and dies: its connection closes.
        let (mut first, _) = Dryer::sign_in(&url, "kitchen", "A").expect("sign in");
        assert_eq!(
            first.get(Duration::ZERO).expect("get").as_deref(),
            Some("cup")
        );
    }
    assert!(
        rack.wait_until_disconnected("A", Duration::from_secs(10))
            .expect("wait")
    );
    // The reaper has seen the first A's record and that it is gone; before
    // it puts A's dishes back, a new A signs in (putting the cup back
    // itself) and takes the cup again.
    let mut again = None;
    let reaped = rack
        .reap_pausing(|step| {
            if step == ReapStep::ConnectionsListed {
                let (mut dryer, put_back) = Dryer::sign_in(&url, "kitchen", "A").expect("sign in");
                assert_eq!(put_back, ["cup"]);
                assert_eq!(
                    dryer.get(Duration::ZERO).expect("get").as_deref(),
                    Some("cup")
                );
                again = Some(dryer);
            }
        })
        .expect("reap");
    assert_eq!(
        reaped,
        [],
        "the new A is alive: its dish is not the reaper's"
    );
    let mut again = again.expect("A signed in again");
    again
        .task_done("cup")
        .expect("the new A still holds the cup");
    let status = rack.status().expect("status");
    assert_eq!(status.rack, ["pan"]);
    assert_eq!(status.dried, ["cup"]);
}

#[test]
fn a_name_still_connected_is_refused() {
    let Some(url) = server("a_name_still_connected_is_refused") else {
        return;
    };
    role(&url, &["washer", "--dishes", "3"]);
    let (dryer_a, _, held) = stalled_dryer(&url, 1);
    // A second A while the first is alive (and holding the salad) is refused.
    let second = run_example(EXAMPLE, &["--redis", &url, "dryer", "--name", "A"]);
    assert_eq!(second.code, Some(1), "{}", second.shown());
    assert!(
        second
            .output
            .starts_with("redis-rack dryer A: a dryer named A is signed in and still connected"),
        "{}",
        second.output
    );
    let mut rack = Rack::connect(&url, "kitchen").expect("connect");
    assert_eq!(
        rack.status().expect("status").drying,
        [("A".to_string(), vec![held.clone()])],
        "the refused dryer took nothing"
    );
    // Once the first A is gone, A may come back, and puts its dish back.
    kill(&url, "A", dryer_a);
    let again = role(&url, &["dryer", "--name", "A", "--timeout-ms", "200"]);
    assert!(
        again.starts_with(&format!(
            "Dryer A: put back the {held} dish my last run held\n"
        )),
        "{again}"
    );
}

/// A tiny deterministic random number generator (xorshift), so that each
/// storm dryer's fate is fixed by its number.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % sides
    }
}

/// What the storm's dryers did, counted.
#[derive(Default)]
struct Storm {
    /// Every dish a dryer dried (before marking it done).
    dried: Vec<String>,
    /// `task_done` refused: the dish had left a live dryer's hands.
    stolen: Vec<String>,
    /// Sign-ins refused because the name was still connected.
    refused: usize,
    /// Dryers that died holding at least one dish.
    died_holding: usize,
}

/// One short life of a storm dryer (a thread with its own connection):
/// sign in, take a few dishes, dry them, or die holding one (drop the
/// connection with no goodbye), or sign out.
fn storm_life(url: &str, life: u64, thread: usize, storm: &std::sync::Mutex<Storm>) {
    let mut dice = Dice(life.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let name = if dice.roll(4) == 0 {
        format!("shared{}", dice.roll(2))
    } else {
        format!("t{thread}n{}", dice.roll(3))
    };
    let mut dryer = match Dryer::sign_in(url, "kitchen", &name) {
        Ok((dryer, _)) => dryer,
        Err(RackError::NameTaken { .. }) => {
            storm.lock().expect("lock").refused += 1;
            return;
        }
        Err(e) => panic!("sign in {name}: {e}"),
    };
    for _ in 0..=dice.roll(4) {
        let Some(dish) = dryer.get(Duration::from_millis(20)).expect("get") else {
            break;
        };
        if dice.roll(5) == 0 {
            // Die holding it (sometimes with a second one too).
            if dice.roll(2) == 0 {
                let _ = dryer.get(Duration::ZERO).expect("get");
            }
            storm.lock().expect("lock").died_holding += 1;
            return;
        }
        storm.lock().expect("lock").dried.push(dish.clone());
        match dryer.task_done(&dish) {
            Ok(()) => {}
            Err(RackError::NotHolding { .. }) => storm.lock().expect("lock").stolen.push(dish),
            Err(e) => panic!("task_done {dish}: {e}"),
        }
    }
    if dice.roll(3) == 0 {
        dryer.sign_out().expect("sign out");
    }
}

/// One storm dryer as a process of the example, which falls over holding
/// its K-th dish: by itself (SIGKILL), or stalled and killed by us.
fn storm_process(url: &str, life: u64, thread: usize, storm: &std::sync::Mutex<Storm>) {
    let mut dice = Dice(life.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1);
    let name = format!("t{thread}n{}", dice.roll(3));
    let k = (1 + dice.roll(3)).to_string();
    let stall = life.is_multiple_of(2);
    let mut args = vec![
        "--redis",
        url,
        "dryer",
        "--name",
        &name,
        "--timeout-ms",
        "20",
    ];
    args.extend(["--crash-after", &k]);
    if stall {
        args.push("--stall");
    }
    let mut dryer = spawn_example(EXAMPLE, &args);
    let mut lines = Vec::new();
    while let Some(line) = dryer.read_line() {
        let stalled = line.contains("stalled;");
        lines.push(line);
        if stalled {
            dryer.signal(Signal::SIGKILL);
        }
    }
    let finished = dryer.finish();
    let output = lines.join("\n");
    let dried = dishes(&output, "Drying");
    let mut storm = storm.lock().expect("lock");
    storm.dried.extend(dried);
    if output.contains("still connected") {
        assert_eq!(finished.code, Some(1), "{output}");
        storm.refused += 1;
    } else if output.contains("Holding") {
        assert_eq!(finished.signal, Some(Signal::SIGKILL as i32), "{output}");
        storm.died_holding += 1;
    } else {
        assert_eq!(finished.code, Some(0), "{output}");
    }
}

#[test]
fn a_storm_of_dryers_and_a_reaper_dry_every_dish_exactly_once() {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let Some(url) = server("a_storm_of_dryers_and_a_reaper_dry_every_dish_exactly_once") else {
        return;
    };
    const DISHES: usize = 2500;
    const LIVES: u64 = 1500;
    const AT_ONCE: usize = 6;
    let started = Instant::now();
    let mut rack = Rack::connect(&url, "kitchen").expect("connect");
    rack.clear().expect("clear");
    let washed: Vec<String> = (0..DISHES).map(|i| format!("d{i:04}")).collect();
    for dish in &washed {
        rack.put(dish).expect("put");
    }
    let storm = Mutex::new(Storm::default());
    let (next_life, reaping, reaps) = (AtomicU64::new(0), AtomicBool::new(true), AtomicU64::new(0));
    let reaped = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut reaper = Rack::connect(&url, "kitchen").expect("connect");
            while reaping.load(Ordering::Relaxed) {
                // Pausing between the steps widens the window in which a
                // dryer can sign in; it cannot make a correct reaper wrong.
                let put_back = reaper
                    .reap_pausing(|_| std::thread::sleep(Duration::from_millis(1)))
                    .expect("reap");
                reaped.lock().expect("lock").extend(put_back);
                reaps.fetch_add(1, Ordering::Relaxed);
            }
        });
        let workers: Vec<_> = (0..AT_ONCE)
            .map(|thread| {
                let (url, storm, next_life) = (&url, &storm, &next_life);
                s.spawn(move || {
                    loop {
                        let life = next_life.fetch_add(1, Ordering::Relaxed);
                        if life >= LIVES {
                            break;
                        }
                        if life % 20 == 7 {
                            storm_process(url, life, thread, storm);
                        } else {
                            storm_life(url, life, thread, storm);
                        }
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().expect("a storm dryer panicked");
        }
        reaping.store(false, Ordering::Relaxed);
    });
    // The storm is over; every storm dryer is dead or signed out. A last
    // dryer dries what is left, with a reaper, until nothing is anywhere.
    let (mut last, _) = Dryer::sign_in(&url, "kitchen", "last").expect("sign in");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut storm = storm.into_inner().expect("lock");
    loop {
        reaped
            .lock()
            .expect("lock")
            .extend(rack.reap().expect("reap"));
        while let Some(dish) = last.get(Duration::ZERO).expect("get") {
            storm.dried.push(dish.clone());
            last.task_done(&dish).expect("task_done");
        }
        let status = rack.status().expect("status");
        if status.rack.is_empty() && status.drying.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "dishes left in dead dryers' hands 30 s after the storm: {:?}",
            status.drying
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let reaped = reaped.into_inner().expect("lock");
    assert!(
        storm.stolen.is_empty(),
        "dishes taken from live dryers: {:?}",
        storm.stolen
    );
    let counts = count(&storm.dried);
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "dried more than once: {twice:?}");
    assert_eq!(
        counts.len(),
        DISHES,
        "dishes lost: {} of {DISHES} dried",
        counts.len()
    );
    let status = rack.status().expect("status");
    assert_eq!(count(&status.dried), count(&washed), "the dried log");
    assert_eq!(status.unfinished, Some(0));
    assert!(rack.join(Some(Duration::ZERO)).expect("join"));
    // The storm did what it is for (not a vacuous pass).
    assert!(
        storm.died_holding >= 50,
        "only {} deaths holding a dish",
        storm.died_holding
    );
    assert!(!reaped.is_empty(), "the reaper never put a dish back");
    let _ = writeln!(
        std::io::stderr(),
        "storm: {LIVES} dryers, {} died holding dishes, {} refused a name still connected, \
         {} dishes put back by reapers in {} reaps, {:.1} s",
        storm.died_holding,
        storm.refused,
        reaped.len(),
        reaps.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------
// A server that freezes, dies, restarts, or wants a password.

/// `redis-rack --redis URL --server-timeout-ms 1000 ARGS...`, started.
fn spawn_impatient(url: &str, args: &[&str]) -> Running {
    let mut all = vec!["--redis", url, "--server-timeout-ms", "1000"];
    all.extend_from_slice(args);
    spawn_example(EXAMPLE, &all)
}

#[test]
fn every_role_ends_with_its_reason_while_the_server_is_frozen() {
    let Some(server) = OwnServer::start(
        "every_role_ends_with_its_reason_while_the_server_is_frozen",
        &[],
    ) else {
        return;
    };
    let url = server.url();
    // A dryer waiting on an empty rack when the server freezes.
    let dryer = spawn_impatient(&url, &["dryer", "--timeout-ms", "60000"]);
    wait_for_connection(&url, &["name=dryer:kitchen:A", "cmd=blmove", "flags=b"]);
    server.freeze();
    let frozen = Instant::now();
    // Started while it is frozen: the kernel takes the connection, nobody
    // answers.
    let reaper = spawn_impatient(&url, &["reaper"]);
    let kitchen = spawn_impatient(&url, &["kitchen"]);
    let expect = [
        (
            dryer,
            "redis-rack dryer A: the server did not answer within 2 s while taking a dish",
        ),
        (
            reaper,
            "redis-rack reaper: the server at redis://127.0.0.1:PORT/ accepted the connection but did not answer within 1 s",
        ),
        (
            kitchen,
            "redis-rack kitchen: the server at redis://127.0.0.1:PORT/ accepted the connection but did not answer within 1 s",
        ),
    ];
    for (running, said) in expect {
        let finished = running.finish();
        let said = said.replace("PORT", &server.port().to_string());
        assert_eq!(finished.code, Some(1), "{}", finished.shown());
        assert!(
            finished.output.contains(&said),
            "wanted {said:?} in:\n{}",
            finished.output
        );
        assert!(
            !finished.output.contains("stayed empty"),
            "{}",
            finished.output
        );
    }
    assert!(
        frozen.elapsed() < Duration::from_secs(15),
        "the roles took {:?} to give up",
        frozen.elapsed()
    );
    server.thaw();
}

#[test]
fn a_washer_waiting_in_join_gives_up_with_its_reason_when_the_server_freezes() {
    let Some(server) = OwnServer::start(
        "a_washer_waiting_in_join_gives_up_with_its_reason_when_the_server_freezes",
        &[],
    ) else {
        return;
    };
    let url = server.url();
    let mut washer = spawn_impatient(&url, &["washer", "--dishes", "1", "--join"]);
    assert_eq!(washer.read_line().as_deref(), Some("Washing salad dish"));
    wait_for_connection(&url, &["cmd=blpop", "flags=b"]);
    server.freeze();
    let finished = washer.finish();
    server.thaw();
    assert_eq!(finished.code, Some(1), "{}", finished.shown());
    assert!(
        finished.output.contains(
            "redis-rack washer: the server did not answer within 2 s while waiting for the last dish"
        ),
        "{}",
        finished.output
    );
}

#[test]
fn join_refuses_all_dry_when_a_restart_lost_the_count() {
    let Some(mut server) =
        OwnServer::start("join_refuses_all_dry_when_a_restart_lost_the_count", &[])
    else {
        return;
    };
    let url = server.url();
    role(&url, &["washer", "--dishes", "3"]);
    server.restart(); // nothing saved: the dishes and the count are gone
    let finished = run_example(
        EXAMPLE,
        &["--redis", &url, "washer", "--dishes", "0", "--join"],
    );
    assert_eq!(finished.code, Some(1), "{}", finished.shown());
    assert_eq!(
        finished.output,
        "redis-rack washer: rack kitchen has no count of unfinished dishes on the server: \
         nothing was ever put on it, or the server lost its data (restarted without saving?)\n"
    );
}

#[test]
fn the_kitchen_names_the_role_that_failed_when_the_server_dies() {
    let Some(mut server) = OwnServer::start(
        "the_kitchen_names_the_role_that_failed_when_the_server_dies",
        &[],
    ) else {
        return;
    };
    let url = server.url();
    let kitchen = spawn_example(
        EXAMPLE,
        &[
            "--redis",
            &url,
            "kitchen",
            "--dishes",
            "0",
            "--timeout-ms",
            "30000",
        ],
    );
    wait_for_connection(&url, &["name=dryer:kitchen:A", "cmd=blmove", "flags=b"]);
    server.kill();
    let finished = kitchen.finish();
    assert_eq!(finished.code, Some(1), "{}", finished.shown());
    let lines: Vec<&str> = finished.output.lines().collect();
    assert_eq!(lines.len(), 2, "{}", finished.output);
    assert!(
        lines[0].starts_with(
            "redis-rack dryer A: lost the connection to the server while taking a dish: "
        ),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1],
        "redis-rack kitchen: the dryer A failed (exit status: 1)"
    );
}

#[test]
fn a_password_or_database_problem_is_told_apart_and_no_password_is_shown() {
    let what = "a_password_or_database_problem_is_told_apart_and_no_password_is_shown";
    let Some(server) = OwnServer::start(what, &["--requirepass", "s3cret-pw"]) else {
        return;
    };
    let port = server.port();
    let cases = [
        (
            format!("redis://127.0.0.1:{port}/"),
            format!(
                "redis-rack washer: the Redis server at redis://127.0.0.1:{port}/ wants a password; \
                 give it in the URL: redis://:PASSWORD@HOST:PORT/"
            ),
        ),
        (
            format!("redis://:wrong-pw@127.0.0.1:{port}/"),
            format!(
                "redis-rack washer: the Redis server at redis://:***@127.0.0.1:{port}/ \
                 refused the user name or password in the URL"
            ),
        ),
        (
            format!("redis://:s3cret-pw@127.0.0.1:{port}/99"),
            format!(
                "redis-rack washer: the Redis server at redis://:***@127.0.0.1:{port}/99 \
                 has no database 99 (DB index is out of range)"
            ),
        ),
    ];
    for (url, said) in cases {
        // --redis after the role is accepted too.
        let finished = run_example(EXAMPLE, &["washer", "--redis", &url]);
        assert_eq!(finished.code, Some(1), "{}", finished.shown());
        assert_eq!(finished.output.trim_end(), said);
        for secret in ["s3cret-pw", "wrong-pw"] {
            assert!(!finished.output.contains(secret), "{}", finished.output);
        }
    }
    // The right password works, and is not shown either.
    let url = format!("redis://:s3cret-pw@127.0.0.1:{port}/");
    let washed = role(&url, &["washer", "--dishes", "1"]);
    assert_eq!(washed, "Washing salad dish\n");
    let kitchen = role(&url, &["kitchen", "--dishes", "1"]);
    assert!(!kitchen.contains("s3cret-pw"), "{kitchen}");
    // A URL that is not one: refused by the command line, exit 2, password hidden.
    let bad = format!("redis://:s3cret-pw@127.0.0.1:{port}x/");
    let finished = run_example(EXAMPLE, &["--redis", &bad, "reaper"]);
    assert_eq!(finished.code, Some(2), "{}", finished.shown());
    assert!(
        finished.output.contains("is not a Redis URL"),
        "{}",
        finished.output
    );
    assert!(
        !finished.output.contains("s3cret-pw"),
        "{}",
        finished.output
    );
}

#[test]
fn killing_the_kitchen_alone_leaves_no_role_running() {
    let Some(url) = server("killing_the_kitchen_alone_leaves_no_role_running") else {
        return;
    };
    let kitchen = spawn_role(&url, &["kitchen", "--dishes", "0", "--timeout-ms", "30000"]);
    wait_for_connection(&url, &["name=dryer:kitchen:A", "cmd=blmove", "flags=b"]);
    kitchen.signal(Signal::SIGKILL);
    // `finish` fails the test if any process of the kitchen's group is
    // still running 10 s after the kitchen ended (dryer A would wait 30 s).
    let finished = kitchen.finish();
    assert_eq!(
        finished.signal,
        Some(Signal::SIGKILL as i32),
        "{}",
        finished.shown()
    );
}

#[test]
fn a_closed_pipe_ends_a_role_quietly() {
    use std::io::{BufRead as _, BufReader, Read as _};
    use std::os::unix::process::ExitStatusExt as _;
    use std::process::{Command, Stdio};
    let Some(url) = server("a_closed_pipe_ends_a_role_quietly") else {
        return;
    };
    // `redis-rack washer --dishes 100000 | head -1`, without a shell.
    let mut washer = Command::new(washup_tests::example_path(EXAMPLE))
        .args(["--redis", &url, "washer", "--dishes", "100000"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the washer");
    let mut first = String::new();
    let stdout = washer.stdout.take().expect("stdout");
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("read a line");
    assert_eq!(first, "Washing salad dish\n");
    // The reader is dropped: the pipe is closed.
    let mut stderr = String::new();
    washer
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    let status = washer.wait().expect("wait");
    assert_eq!(
        status.signal(),
        Some(Signal::SIGPIPE as i32),
        "{status}: {stderr}"
    );
    assert_eq!(stderr, "", "no panic, no message");
}

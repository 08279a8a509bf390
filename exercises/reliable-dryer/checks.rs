//! Checks for "A dryer that cannot lose a dish". Each check starts its own
//! Redis server on a free loopback port; the checker ends it with the
//! check's process group.

mod support;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use exercise::{done, holding, recover, take};
use washup_kitchens::redis::{self, Commands as _, Connection};

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn server() -> Server {
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server is not installed: apt-get install redis-server");
    let server = Server {
        child,
        url: format!("redis://127.0.0.1:{port}/"),
    };
    // Readiness: connect until it answers (at most 10 s), not a sleep for luck.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(mut con) =
            redis::Client::open(server.url.as_str()).and_then(|c| c.get_connection())
            && redis::cmd("PING").query::<String>(&mut con).is_ok()
        {
            return server;
        }
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::yield_now();
    }
}

fn connect(server: &Server) -> Connection {
    redis::Client::open(server.url.as_str())
        .and_then(|c| c.get_connection())
        .expect("connect")
}

fn list(con: &mut Connection, key: &str) -> Vec<String> {
    con.lrange(key, 0, -1).expect("LRANGE")
}

fn wash(con: &mut Connection, dishes: &[&str]) {
    for dish in dishes {
        let _: i64 = con.rpush("rack", *dish).expect("RPUSH");
    }
}

#[test]
fn take_moves_the_oldest_dish_to_the_dryers_list() {
    let _verdict = support::Verdict::on_return();
    let server = server();
    let mut con = connect(&server);
    wash(&mut con, &["salad", "bread"]);
    assert_eq!(
        take(&mut con, "rack", "d1").expect("take"),
        Some("salad".to_string())
    );
    assert_eq!(list(&mut con, "rack"), ["bread"]);
    assert_eq!(list(&mut con, &holding("rack", "d1")), ["salad"]);
}

/// How many times the server ran each command since the last
/// `CONFIG RESETSTAT` (from `INFO commandstats`), leaving out those two.
fn commands_run(con: &mut Connection) -> BTreeMap<String, u64> {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(con)
        .expect("INFO commandstats");
    info.lines()
        .filter_map(|line| {
            // cmdstat_lmove:calls=3,usec=...
            let (name, stats) = line.trim().strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = stats
                .strip_prefix("calls=")?
                .split(',')
                .next()?
                .parse()
                .ok()?;
            Some((name.to_string(), calls))
        })
        .filter(|(name, _)| !name.starts_with("config") && name != "info")
        .collect()
}

#[test]
fn take_is_one_atomic_command() {
    let _verdict = support::Verdict::on_return();
    let server = server();
    let mut washer = connect(&server);
    let mut dryer = connect(&server);
    wash(&mut washer, &["salad", "bread", "entree"]);
    let _: () = redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query(&mut washer)
        .expect("CONFIG RESETSTAT");
    // Three takes of a dish, and one on the empty rack.
    for _ in 0..3 {
        assert!(take(&mut dryer, "rack", "d1").expect("take").is_some());
    }
    assert_eq!(take(&mut dryer, "rack", "d1").expect("take"), None);
    let ran = commands_run(&mut washer);
    let moves: u64 = ["lmove", "blmove", "rpoplpush", "brpoplpush"]
        .iter()
        .filter_map(|name| ran.get(*name))
        .sum();
    let total: u64 = ran.values().sum();
    assert!(
        moves == 4 && total == 4,
        "4 takes should be 4 single LMOVE commands (one atomic step each), but the server ran {ran:?}: \
         between two separate commands a dryer can die holding a dish that is in no list"
    );
}

#[test]
fn take_on_an_empty_rack_is_none() {
    let _verdict = support::Verdict::on_return();
    let server = server();
    let mut con = connect(&server);
    let started = Instant::now();
    assert_eq!(take(&mut con, "rack", "d1").expect("take"), None);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "take waited on an empty rack"
    );
}

#[test]
fn done_removes_the_dish_from_the_holding_list() {
    let _verdict = support::Verdict::on_return();
    let server = server();
    let mut con = connect(&server);
    wash(&mut con, &["salad", "bread"]);
    take(&mut con, "rack", "d1").expect("take");
    take(&mut con, "rack", "d1").expect("take");
    done(&mut con, "rack", "d1", "salad").expect("done");
    assert_eq!(list(&mut con, &holding("rack", "d1")), ["bread"]);
    assert_eq!(list(&mut con, "rack"), Vec::<String>::new());
}

#[test]
fn recover_puts_held_dishes_back_at_the_front() {
    let _verdict = support::Verdict::on_return();
    let server = server();
    let mut con = connect(&server);
    wash(&mut con, &["salad", "bread", "entree", "dessert"]);
    take(&mut con, "rack", "gone").expect("take");
    take(&mut con, "rack", "gone").expect("take");
    assert_eq!(recover(&mut con, "rack", "gone").expect("recover"), 2);
    assert_eq!(
        list(&mut con, "rack"),
        ["salad", "bread", "entree", "dessert"]
    );
    assert_eq!(
        list(&mut con, &holding("rack", "gone")),
        Vec::<String>::new()
    );
}

#[test]
fn no_dish_is_lost_when_a_dryer_dies_holding_one() {
    let _verdict = support::Verdict::on_return();
    let server = server();
    let dishes: Vec<String> = (0..50).map(|i| format!("plate-{i:02}")).collect();
    {
        let mut washer = connect(&server);
        let refs: Vec<&str> = dishes.iter().map(String::as_str).collect();
        wash(&mut washer, &refs);
    }
    // Dryer 1 dries 10, then takes 3 more and dies (its connection closes).
    {
        let mut d1 = connect(&server);
        for _ in 0..10 {
            let dish = take(&mut d1, "rack", "d1").expect("take").expect("a dish");
            done(&mut d1, "rack", "d1", &dish).expect("done");
        }
        for _ in 0..3 {
            take(&mut d1, "rack", "d1").expect("take");
        }
    }
    let mut d2 = connect(&server);
    assert_eq!(recover(&mut d2, "rack", "d1").expect("recover"), 3);
    let mut dried = Vec::new();
    while let Some(dish) = take(&mut d2, "rack", "d2").expect("take") {
        done(&mut d2, "rack", "d2", &dish).expect("done");
        dried.push(dish);
    }
    assert_eq!(
        dried.len(),
        40,
        "dryer 2 should dry the 3 recovered and the 37 left"
    );
    assert_eq!(
        dried[..3],
        dishes[10..13],
        "the recovered dishes come first, in order"
    );
    let mut all: Vec<String> = dishes[..10].to_vec();
    all.extend(dried);
    all.sort();
    assert_eq!(all, dishes, "a dish was lost or dried twice");
}

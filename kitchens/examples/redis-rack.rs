//! Chapter "Many kitchens: a rack on Redis": the washer and the dryers are
//! separate programs (roles of this one) that share a rack on a Redis
//! server, so they can run on different machines.
//!
//! `washer`, `dryer` and `reaper` are the roles you start by hand,
//! in as many terminals (or machines) as you like. `kitchen` plays a whole
//! evening in a fixed order, starting each role as a process of its own, so
//! that its output is the same on every run.

use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::process::{Child, Command, ExitCode, ExitStatus};
use std::time::{Duration, Instant};

use clap::{CommandFactory as _, Parser, Subcommand};
use nix::sys::signal::{Signal, raise};
use washup_kitchens::{BLOCK_CHUNK, Dryer, Rack, RackError, Status, check_name, check_url};

/// A dish rack on Redis: wash, dry, and put back what a fallen dryer held.
#[derive(Parser)]
#[command(name = "redis-rack")]
struct Args {
    /// The Redis server, as a URL (a password in it is never printed).
    /// Goes before or after the role.
    #[arg(
        long,
        global = true,
        env = "REDIS_URL",
        hide_env_values = true,
        default_value = "redis://127.0.0.1:6379/"
    )]
    redis: String,
    /// The rack's name: its keys on the server start with `NAME:`.
    #[arg(long, global = true, default_value = "kitchen", value_parser = check_name)]
    rack: String,
    /// How long to wait for the server to take the connection, and then
    /// for each reply, before the role gives up with an error.
    #[arg(long, global = true, value_name = "MS", default_value_t = 5000,
          value_parser = clap::value_parser!(u64).range(1..=600_000))]
    server_timeout_ms: u64,
    #[command(subcommand)]
    role: Role,
}

#[derive(Subcommand)]
enum Role {
    /// Wash dishes and put them on the rack.
    Washer {
        /// How many dishes to wash.
        #[arg(long, default_value_t = 4)]
        dishes: usize,
        /// Then wait until every dish is dried (like `JoinableQueue.join`).
        #[arg(long)]
        join: bool,
    },
    /// Take dishes off the rack and dry them, until the rack stays empty.
    Dryer(DryerArgs),
    /// Put back on the rack every dish held by a dryer that is gone.
    Reaper,
    /// A whole evening in turn: washer, then (with --crash-after) dryer A,
    /// who falls over, and the reaper, then the other dryers at once.
    Kitchen {
        /// How many dishes to wash.
        #[arg(long, default_value_t = 4)]
        dishes: usize,
        /// How many dryers work at the end (A, B, ...; B, C, ... after a crash).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=24))]
        dryers: u8,
        /// Dryer A works first, alone, and falls over holding its K-th dish.
        #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..))]
        crash_after: Option<u64>,
        /// How long each dryer waits on an empty rack before going home.
        #[arg(long, value_name = "MS", default_value_t = 500,
              value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
        timeout_ms: u64,
    },
}

#[derive(clap::Args)]
struct DryerArgs {
    /// The dryer's name; refused while a dryer of that name is connected.
    #[arg(long, default_value = "A", value_parser = check_name)]
    name: String,
    /// How long to wait on an empty rack before going home (0: not at all).
    #[arg(long, value_name = "MS", default_value_t = 500,
          value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    timeout_ms: u64,
    /// Fall over (SIGKILL) right after taking the K-th dish.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..))]
    crash_after: Option<u64>,
    /// With --crash-after: stand still holding the dish until killed.
    #[arg(long, requires = "crash_after")]
    stall: bool,
    /// Print nothing but errors (for several dryers at once).
    #[arg(long)]
    quiet: bool,
}

type Outcome = Result<(), Box<dyn std::error::Error>>;

fn dish_name(n: usize) -> String {
    const LESSON: [&str; 4] = ["salad", "bread", "entree", "dessert"];
    LESSON
        .get(n)
        .map_or(format!("plate-{}", n + 1), |d| d.to_string())
}

// ANCHOR: washer
fn washer(rack: &mut Rack, dishes: usize, join: bool) -> Outcome {
    for n in 0..dishes {
        let dish = dish_name(n);
        println!("Washing {dish} dish");
        rack.put(&dish)?;
    }
    if join {
        rack.join(None)?;
        println!("Washer: every dish is dry");
    }
    Ok(())
}
// ANCHOR_END: washer

// ANCHOR: dryer
fn dryer(url: &str, rack: &str, wait: Duration, args: &DryerArgs) -> Outcome {
    let name = &args.name;
    let (mut dryer, left) = Dryer::sign_in_waiting(url, rack, name, wait)?;
    for dish in left {
        println!("Dryer {name}: put back the {dish} dish my last run held");
    }
    let timeout = Duration::from_millis(args.timeout_ms);
    for taken in 1.. {
        let asked = Instant::now();
        let Some(dish) = dryer.get(timeout)? else {
            if !args.quiet {
                say_empty(name, timeout, asked.elapsed());
            }
            dryer.sign_out()?;
            return Ok(());
        };
        if args.crash_after == Some(taken) {
            println!("Dryer {name}: Holding {dish} dish");
            if args.stall {
                println!(
                    "Dryer {name}: stalled; stop me with kill -9 (pid {})",
                    std::process::id()
                );
                loop {
                    std::thread::park();
                }
            }
            // No goodbye, no clean-up: like a machine losing power.
            raise(Signal::SIGKILL)?;
        }
        if !args.quiet {
            println!("Dryer {name}: Drying {dish} dish");
        }
        dryer.task_done(&dish)?;
    }
    Ok(())
}
// ANCHOR_END: dryer

/// Why the dryer goes home, truthfully: a server that took much longer
/// than asked to say "empty" was slow, not the rack.
fn say_empty(name: &str, timeout: Duration, waited: Duration) {
    let secs = waited.as_secs_f64();
    if waited > timeout + BLOCK_CHUNK {
        let asked = timeout.as_secs_f64();
        println!(
            "Dryer {name}: the server took {secs:.2} s to say the rack was empty \
             (I asked it to wait {asked:.2} s); going home"
        );
    } else {
        println!("Dryer {name}: the rack stayed empty for {secs:.2} s, going home");
    }
}

fn reaper(url: &str, rack: &str, wait: Duration) -> Outcome {
    for (dryer, dish) in Rack::connect_waiting(url, rack, wait)?.reap()? {
        println!("Reaper: dryer {dryer} is gone; the {dish} dish goes back on the rack");
    }
    Ok(())
}

/// Starts this program again, as another role at the same rack. The URL
/// goes by environment, not on the command line, where `ps` would show a
/// password in it to every user of the machine. The role dies with the
/// kitchen (`PR_SET_PDEATHSIG`), so killing the kitchen alone leaves no
/// role running; a dryer holding a dish then leaves it for a reaper.
fn start(args: &Args, role: &[&str]) -> std::io::Result<Child> {
    let kitchen = nix::unistd::getpid();
    let mut command = Command::new(std::env::current_exe()?);
    command
        .env("REDIS_URL", &args.redis)
        .args(["--rack", &args.rack])
        .args(["--server-timeout-ms", &args.server_timeout_ms.to_string()])
        .args(role);
    // SAFETY: between fork and exec the closure only calls prctl(2) and
    // getppid(2), which are async-signal-safe, and allocates nothing.
    unsafe {
        command.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
            // The kitchen may have died before the line above.
            if nix::unistd::getppid() != kitchen {
                return Err(std::io::Error::other("the kitchen is gone"));
            }
            Ok(())
        });
    }
    command.spawn()
}

/// What became of a role: `Ok` for exit status 0, otherwise an error that
/// names it (its own message, on standard error, comes just before). A
/// role killed by `SIGPIPE` wrote to a closed pipe, which is ours too: we
/// end the same quiet way.
fn ended(who: &str, status: ExitStatus) -> Outcome {
    if status.signal() == Some(Signal::SIGPIPE as i32) {
        raise(Signal::SIGPIPE)?;
    }
    if status.success() {
        Ok(())
    } else {
        Err(format!("the {who} failed ({status})").into())
    }
}

/// `1 dish`, `3 dishes`.
fn dishes(n: i64) -> String {
    format!("{n} {}", if n == 1 { "dish" } else { "dishes" })
}

/// `A`, `A and B`, `A, B and C`.
fn and_list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Who dried how many: the fallen dryer, then the team that came after.
fn tally(now: &Status, fallen: Option<&str>, team: &[String]) -> String {
    let count = |dryer: &str| {
        now.dried_by
            .iter()
            .find(|(name, _)| name == dryer)
            .map_or(0, |(_, n)| *n)
    };
    let mut parts = Vec::new();
    if let Some(a) = fallen {
        parts.push(format!("dryer {a} dried {}", dishes(count(a))));
    }
    let together: i64 = team.iter().map(|d| count(d)).sum();
    parts.push(match team {
        [one] => format!("dryer {one} dried {}", dishes(together)),
        _ => format!(
            "dryers {} dried {} between them",
            and_list(team),
            dishes(together)
        ),
    });
    parts.join(", ")
}

fn show(now: &Status) {
    for (dryer, held) in &now.drying {
        println!("Kitchen: dryer {dryer}'s hands: {}", held.join(", "));
    }
    if now.drying.is_empty() {
        println!("Kitchen: no dryer holds a dish");
    }
    let rack = match now.rack.as_slice() {
        [] => "nothing".to_string(),
        dishes => dishes.join(", "),
    };
    let unfinished = now
        .unfinished
        .map_or("no count on the server".to_string(), |n| n.to_string());
    println!("Kitchen: on the rack: {rack}; unfinished: {unfinished}");
}

// ANCHOR: kitchen
fn kitchen(
    args: &Args,
    wait: Duration,
    dishes: usize,
    dryers: u8,
    crash_after: Option<u64>,
    timeout_ms: u64,
) -> Outcome {
    let mut rack = Rack::connect_waiting(&args.redis, &args.rack, wait)?;
    rack.clear()?;
    let timeout = timeout_ms.to_string();
    ended(
        "washer",
        start(args, &["washer", "--dishes", &dishes.to_string()])?.wait()?,
    )?;
    let mut fallen = None;
    if let Some(k) = crash_after {
        let k = k.to_string();
        let crash = [
            "dryer",
            "--name",
            "A",
            "--crash-after",
            &k,
            "--timeout-ms",
            &timeout,
        ];
        let status = start(args, &crash)?.wait()?;
        if status.signal() == Some(Signal::SIGKILL as i32) {
            println!("Kitchen: dryer A fell over ({status})");
        } else {
            ended("dryer A", status)?;
            println!("Kitchen: dryer A went home: the rack ran out before its dish number {k}");
        }
        show(&rack.status()?);
        // The server notices that A's socket closed a moment after A died.
        if !rack.wait_until_disconnected("A", Duration::from_secs(5))? {
            return Err("the server still lists dryer A's connection 5 s after it fell".into());
        }
        ended("reaper", start(args, &["reaper"])?.wait()?)?;
        fallen = Some("A");
    }
    // Several dryers would print in a different order each time: they
    // work quietly, and the log of dried dishes tells what happened.
    let first = if fallen.is_some() { b'B' } else { b'A' };
    let team: Vec<String> = (0..dryers)
        .map(|i| char::from(first + i).to_string())
        .collect();
    let mut working = Vec::new();
    for name in &team {
        let quiet = if dryers > 1 { &["--quiet"][..] } else { &[] };
        let role = [&["dryer", "--name", name, "--timeout-ms", &timeout], quiet].concat();
        working.push((name, start(args, &role)?));
    }
    // Wait for every dryer, even after one failed, so none is left behind.
    let mut failed = Vec::new();
    for (name, mut dryer) in working {
        if let Err(e) = ended(&format!("dryer {name}"), dryer.wait()?) {
            failed.push(e.to_string());
        }
    }
    if !failed.is_empty() {
        return Err(failed.join("; ").into());
    }
    let joined = rack.join(Some(Duration::from_secs(5)))?;
    let now = rack.status()?;
    let washed: Vec<String> = (0..dishes).map(dish_name).collect();
    let once = washed
        .iter()
        .all(|w| now.dried.iter().filter(|d| *d == w).count() == 1);
    let mut dried = now.dried.clone();
    dried.sort_by_key(|d| washed.iter().position(|w| w == d));
    println!(
        "Kitchen: {}; each washed dish once: {once}",
        tally(&now, fallen, &team)
    );
    println!("Kitchen: dried, in washing order: {}", dried.join(", "));
    println!("Kitchen: join returned {joined}");
    Ok(())
}
// ANCHOR_END: kitchen

fn main() -> ExitCode {
    // Writes to the Redis socket cannot raise SIGPIPE: std sends with
    // MSG_NOSIGNAL, so a closed server connection is an error we report.
    washup::cli::quiet_when_stdout_closes();
    let args = Args::parse();
    // Checked here, not by clap, whose message would repeat the URL as
    // given, password and all.
    if let Err(e) = check_url(&args.redis) {
        let mut cli = Args::command();
        cli.error(
            clap::error::ErrorKind::ValueValidation,
            format!("--redis: {e}"),
        )
        .exit();
    }
    let wait = Duration::from_millis(args.server_timeout_ms);
    let (who, outcome) = match &args.role {
        Role::Washer { dishes, join } => (
            "washer".to_string(),
            Rack::connect_waiting(&args.redis, &args.rack, wait)
                .map_err(Into::into)
                .and_then(|mut rack| washer(&mut rack, *dishes, *join)),
        ),
        Role::Dryer(dryer_args) => (
            format!("dryer {}", dryer_args.name),
            dryer(&args.redis, &args.rack, wait, dryer_args),
        ),
        Role::Reaper => ("reaper".to_string(), reaper(&args.redis, &args.rack, wait)),
        Role::Kitchen {
            dishes,
            dryers,
            crash_after,
            timeout_ms,
        } => (
            "kitchen".to_string(),
            kitchen(&args, wait, *dishes, *dryers, *crash_after, *timeout_ms),
        ),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Exit code 1: the command was fine, the world was not.
            eprintln!("redis-rack {who}: {e}");
            if e.downcast_ref::<RackError>()
                .is_some_and(RackError::no_server)
            {
                eprintln!(
                    "Start one with `redis-server`, or give its address with --redis URL or REDIS_URL."
                );
            }
            ExitCode::FAILURE
        }
    }
}

//! Chapter "Many kitchens: a rack on Redis": the washer and the dryers are
//! separate programs (roles of this one) that share a rack on a Redis
//! server, so they can run on different machines.
//!
//! `washer`, `dryer` and `reaper` are the roles you start by hand,
//! in as many terminals (or machines) as you like. `kitchen` plays a whole
//! evening in a fixed order, starting each role as a process of its own, so
//! that its output is the same on every run.

use std::process::{Child, Command, ExitCode};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use washup_kitchens::{Dryer, Rack, RackError, check_name, check_url};

/// A dish rack on Redis: wash, dry, put back what a fallen dryer held.
#[derive(Parser)]
#[command(name = "redis-rack")]
struct Args {
    /// The Redis server.
    #[arg(long, env = "REDIS_URL", hide_env_values = true,
          default_value = "redis://127.0.0.1:6379/", value_parser = check_url)]
    redis: String,
    /// The rack's name: its keys on the server start with `NAME:`.
    #[arg(long, default_value = "kitchen", value_parser = check_name)]
    rack: String,
    #[command(subcommand)]
    role: Role,
}

#[derive(Subcommand)]
enum Role {
    /// Wash dishes and put them on the rack.
    Washer {
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
    /// A whole evening in turn: washer, dryer A (who may fall over),
    /// reaper, then dryers B, C, ... at once.
    Kitchen {
        #[arg(long, default_value_t = 4)]
        dishes: usize,
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=24))]
        dryers: u8,
        /// Dryer A falls over holding its K-th dish.
        #[arg(long, value_name = "K")]
        crash_after: Option<usize>,
    },
}

#[derive(clap::Args)]
struct DryerArgs {
    #[arg(long, default_value = "A", value_parser = check_name)]
    name: String,
    /// How long to wait on an empty rack before going home.
    #[arg(long, default_value_t = 500)]
    timeout_ms: u64,
    /// Fall over (SIGKILL) right after taking the K-th dish.
    #[arg(long, value_name = "K")]
    crash_after: Option<usize>,
    /// With --crash-after: stand still holding the dish until killed.
    #[arg(long)]
    stall: bool,
    /// Print nothing (for several dryers at once).
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
fn dryer(url: &str, rack: &str, args: &DryerArgs) -> Outcome {
    let name = &args.name;
    let (mut dryer, left) = Dryer::sign_in(url, rack, name)?;
    for dish in left {
        println!("Dryer {name}: put back the {dish} dish my last run held");
    }
    for taken in 1.. {
        let waited = Instant::now();
        let Some(dish) = dryer.get(Duration::from_millis(args.timeout_ms))? else {
            let secs = waited.elapsed().as_secs_f64();
            if !args.quiet {
                println!("Dryer {name}: the rack stayed empty for {secs:.2} s, going home");
            }
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
            nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL)?;
        }
        if !args.quiet {
            println!("Dryer {name}: Drying {dish} dish");
        }
        dryer.task_done(&dish)?;
    }
    Ok(())
}
// ANCHOR_END: dryer

fn reaper(url: &str, rack: &str) -> Outcome {
    for (dryer, dish) in Rack::connect(url, rack)?.reap()? {
        println!("Reaper: dryer {dryer} is gone; the {dish} dish goes back on the rack");
    }
    Ok(())
}

/// Starts this program again, as another role at the same rack. The role
/// dies with the kitchen: if the kitchen is killed, nothing plays on.
fn start(args: &Args, role: &[&str]) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt as _;
    let mut command = Command::new(std::env::current_exe()?);
    command
        .args(["--redis", &args.redis, "--rack", &args.rack])
        .args(role);
    let kitchen = nix::unistd::getpid();
    // SAFETY: between fork and exec the closure only calls prctl(2) and
    // getppid(2), which are async-signal-safe, and allocates nothing. The
    // kitchen starts roles from its main thread, which lives until the
    // kitchen ends. A kitchen gone before the signal was armed: give up.
    unsafe {
        command.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)?;
            if nix::unistd::getppid() != kitchen {
                return Err(std::io::Error::from(std::io::ErrorKind::Other));
            }
            Ok(())
        });
    }
    command.spawn()
}

/// Waits for a role; an error unless it ended with exit status 0.
fn ended_well(mut role: Child) -> Outcome {
    match role.wait()? {
        status if status.success() => Ok(()),
        status => Err(format!("a role ended with {status}").into()),
    }
}

// ANCHOR: kitchen
fn kitchen(args: &Args, dishes: usize, dryers: u8, crash_after: Option<usize>) -> Outcome {
    let mut rack = Rack::connect(&args.redis, &args.rack)?;
    rack.clear()?;
    ended_well(start(args, &["washer", "--dishes", &dishes.to_string()])?)?;
    if let Some(k) = crash_after {
        let crash = ["dryer", "--name", "A", "--crash-after", &k.to_string()];
        let status = start(args, &crash)?.wait()?;
        println!("Kitchen: dryer A fell over ({status})");
        let now = rack.status()?;
        for (dryer, held) in &now.drying {
            println!("Kitchen: dryer {dryer}'s hands: {}", held.join(", "));
        }
        println!(
            "Kitchen: on the rack: {}; unfinished: {}",
            now.rack.join(", "),
            now.unfinished
        );
        ended_well(start(args, &["reaper"])?)?;
    }
    // Several dryers would print in a different order each time: they
    // work quietly, and the log of dried dishes tells what happened.
    let mut working = Vec::new();
    for name in (0..dryers).map(|i| char::from(b'B' + i).to_string()) {
        let quiet = if dryers > 1 { &["--quiet"][..] } else { &[] };
        working.push(start(args, &[&["dryer", "--name", &name], quiet].concat())?);
    }
    for dryer in working {
        ended_well(dryer)?;
    }
    let joined = rack.join(Some(Duration::from_secs(5)))?;
    let mut dried = rack.status()?.dried;
    let washed: Vec<String> = (0..dishes).map(dish_name).collect();
    let once = washed
        .iter()
        .all(|w| dried.iter().filter(|d| *d == w).count() == 1);
    dried.sort_by_key(|d| washed.iter().position(|w| w == d));
    println!(
        "Kitchen: {dryers} dryer(s) dried {} dishes; each washed dish once: {once}",
        dried.len()
    );
    println!("Kitchen: dried, in washing order: {}", dried.join(", "));
    println!("Kitchen: join returned {joined}");
    Ok(())
}
// ANCHOR_END: kitchen

fn main() -> ExitCode {
    let args = Args::parse();
    let outcome = match &args.role {
        Role::Washer { dishes, join } => Rack::connect(&args.redis, &args.rack)
            .map_err(Into::into)
            .and_then(|mut rack| washer(&mut rack, *dishes, *join)),
        Role::Dryer(dryer_args) => dryer(&args.redis, &args.rack, dryer_args),
        Role::Reaper => reaper(&args.redis, &args.rack),
        Role::Kitchen {
            dishes,
            dryers,
            crash_after,
        } => kitchen(&args, *dishes, *dryers, *crash_after),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Exit code 1: the command was fine, the world was not.
            eprintln!("redis-rack: {e}");
            if let Some(RackError::Unreachable { .. }) = e.downcast_ref() {
                eprintln!(
                    "Start one with `redis-server`, or give its address with --redis URL or REDIS_URL."
                );
            }
            ExitCode::FAILURE
        }
    }
}

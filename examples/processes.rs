//! Chapter "Processes": from `fork` and `waitpid` to `washup::Process`.
//!
//! Run it with `cargo run --example processes -- --help` to see the flags.

use std::time::Duration;

use clap::{CommandFactory, Parser, error::ErrorKind};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, getpid, getppid};
use washup::Process;

/// Start processes by hand, then with washup::Process.
#[derive(Parser)]
#[command(name = "processes")]
struct Args {
    #[command(flatten)]
    dishes: washup::cli::Dishes<4>,
    /// Make the dishwasher break down (panic) at this dish (one of the dishes)
    #[arg(long, value_name = "DISH")]
    break_at: Option<String>,
    /// How long main waits for the endless pot program before opening the
    /// door, in ms (at most a minute)
    #[arg(long, default_value_t = 100, value_parser = washup::cli::wait_ms())]
    door_after_ms: u64,
    /// Open the door the hard way: SIGKILL instead of SIGTERM
    #[arg(long)]
    kill: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    washup::cli::quiet_when_stdout_closes(); // `| head` ends us quietly
    let args = Args::parse();
    let dishes = args.dishes.names();
    if let Some(dish) = args.break_at.as_ref().filter(|d| !dishes.contains(d)) {
        let message = format!("--break-at {dish}: there is no {dish} dish to break at");
        Args::command()
            .error(ErrorKind::ValueValidation, message)
            .exit();
    }
    // Say which process panicked, in one stable line (the default message
    // also names the thread and its id, which changes from run to run).
    std::panic::set_hook(Box::new(|info| {
        let name = washup::process::current_process().name;
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map_or("?", |s| s.as_str());
        eprintln!("{name} panicked: {message}");
    }));

    // ANCHOR: raw
    println!("main: pid {} forks", getpid());
    // SAFETY: this program has a single thread at this point, so the child is a
    // complete copy of it; the child prints and exits, never returning here.
    match unsafe { fork() }? {
        ForkResult::Child => {
            println!(
                "child: I am pid {}, my parent is pid {}",
                getpid(),
                getppid()
            );
            std::process::exit(0);
        }
        ForkResult::Parent { child } => match waitpid(child, None)? {
            WaitStatus::Exited(pid, code) => println!("main: pid {pid} exited with {code}"),
            other => println!("main: child ended otherwise: {other:?}"),
        },
    }
    // ANCHOR_END: raw

    // ANCHOR: dishwasher
    let break_at = args.break_at.clone();
    let mut dishwasher = Process::new(move || {
        for dish in &dishes {
            if Some(dish) == break_at.as_ref() {
                panic!("the dishwasher broke down at the {dish} dish");
            }
            println!("dishwasher: washing the {dish} dish");
        }
    })
    .name("dishwasher");
    println!("main: starting the {}", dishwasher.get_name());
    dishwasher.start()?;
    dishwasher.join()?;
    let code = dishwasher.exitcode().expect("joined, so it has ended");
    println!("main: the dishwasher ended with exit code {code}");
    // ANCHOR_END: dishwasher

    // ANCHOR: endless
    // The pot program never ends by itself. It is daemonic: if main alone
    // dies before opening the door (`kill -INT <main's pid>`), the kernel
    // kills it too (next chapter). Ctrl-C proves nothing here: it signals
    // every process in the terminal's foreground group, the pot program too.
    let mut pots = Process::new(|| {
        loop {
            nix::unistd::pause();
        }
    })
    .daemon(true);
    pots.start()?;
    let wait = Duration::from_millis(args.door_after_ms);
    println!(
        "main: {} runs the pot program; waiting {} ms",
        pots.get_name(),
        wait.as_millis()
    );
    if !pots.join_timeout(wait)? {
        println!("main: still running, so I open the door");
        if args.kill {
            pots.kill()?
        } else {
            pots.terminate()?
        }
        pots.join()?;
    }
    let code = pots.exitcode().expect("joined, so it has ended");
    println!("main: the pot program ended with exit code {code}");
    // ANCHOR_END: endless
    Ok(())
}

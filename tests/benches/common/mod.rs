//! What the benchmarks share: running the Python side of a comparison, and
//! writing what they measured, with the machine, into the record the book's
//! figures come from (`book/data/benchmarks.json`, see
//! `mdbook_runner::bench`).

use std::path::PathBuf;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use mdbook_runner::bench::{BenchRun, Figure, Machine, Record};

fn root() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `python3 SCRIPT ARG...` from the repository root and returns what it
/// printed, or why there is nothing (no python3, or the script failed).
pub fn python(script: &str, args: &[String]) -> Result<String, String> {
    let output = Command::new("python3")
        .arg(script)
        .args(args)
        .current_dir(root())
        .output()
        .map_err(|e| format!("python3 not run ({e})"))?;
    if !output.status.success() {
        return Err(format!(
            "{script} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The number among the arguments (`cargo bench` passes `--bench` too), or
/// `default`.
pub fn count_arg(default: u64) -> u64 {
    std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(default)
}

/// Collects one benchmark's figures and writes them into the record when
/// the run is over, replacing only this benchmark's earlier run.
pub struct Recorder {
    bench: &'static str,
    machine: Machine,
    figures: Vec<Figure>,
    /// A run with a changed size is not the book's: it is not recorded.
    record: bool,
    /// (machine busy, machine all, our own) CPU seconds at the start.
    cpu_start: (f64, f64, f64),
}

/// The first line of a command's output, or why there is none.
fn version(program: &str) -> String {
    match Command::new(program).arg("--version").output() {
        Ok(out) if out.status.success() => {
            let text = if out.stdout.is_empty() {
                out.stderr
            } else {
                out.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        }
        _ => format!("no {program}"),
    }
}

/// The 1-minute load average.
fn load() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// Seconds of busy and of all CPU time of the whole machine so far, summed
/// over its cores (/proc/stat's first line).
fn machine_cpu() -> (f64, f64) {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<f64> = text
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|t| t.parse().ok())
        .collect();
    if ticks.len() < 8 {
        return (f64::NAN, f64::NAN);
    }
    // user nice system idle iowait irq softirq steal
    let busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7];
    let all = busy + ticks[3] + ticks[4];
    // SAFETY: sysconf only reads a configuration value.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (busy / hz, all / hz)
}

/// CPU seconds (user + system) of this process and of its children that
/// have been waited for.
fn own_cpu() -> f64 {
    let seconds = |who| {
        // SAFETY: getrusage writes into the zeroed struct we own.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: a valid `who` and a valid pointer to `usage`.
        if unsafe { libc::getrusage(who, &mut usage) } != 0 {
            return f64::NAN;
        }
        let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        tv(usage.ru_utime) + tv(usage.ru_stime)
    };
    seconds(libc::RUSAGE_SELF) + seconds(libc::RUSAGE_CHILDREN)
}

/// Now, UTC, to the minute: `2026-12-03 15:20 UTC`.
fn now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

fn machine(bench: &str) -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        cpuinfo.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == name).then(|| value.trim().to_string())
        })
    };
    Machine {
        command: format!("cargo bench -p washup-tests --bench {bench}"),
        date: now(),
        cpu: field("model name").unwrap_or_else(|| "unknown CPU".into()),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        virtual_machine: field("flags").is_some_and(|f| f.split(' ').any(|f| f == "hypervisor")),
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map_or_else(|_| "unknown".into(), |k| k.trim().to_string()),
        rustc: version("rustc"),
        python: version("python3"),
        load_start: load(),
        load_end: f64::NAN,
        others_cpu: None,
    }
}

impl Recorder {
    /// Starts the record of benchmark `bench` (reads the machine and the
    /// load now). `default_size` is the benchmark's own size: a run given
    /// another size on the command line prints its figures but records
    /// nothing.
    ///
    /// `-- --update-readme` rewrites the README's benchmark section from the
    /// record and exits, measuring nothing.
    pub fn start(bench: &'static str, default_size: u64) -> Recorder {
        if std::env::args().any(|a| a == "--update-readme") {
            match write_readme(&load_record()) {
                Ok(()) => println!("README.md: benchmark section rewritten from the record"),
                Err(e) => {
                    eprintln!("{e}");
                    std::process::exit(1);
                }
            }
            std::process::exit(0);
        }
        Recorder {
            bench,
            machine: machine(bench),
            figures: Vec::new(),
            record: count_arg(default_size) == default_size,
            cpu_start: {
                let (busy, all) = machine_cpu();
                (busy, all, own_cpu())
            },
        }
    }

    /// One figure: `key` (after the benchmark's name), its table row
    /// `what`, its `column`, its value in `unit`.
    pub fn figure(&mut self, key: &str, what: &str, column: &str, value: f64, unit: &str) {
        assert!(
            !self.figures.iter().any(|f| f.key == key),
            "figure {key} recorded twice"
        );
        assert!(value.is_finite(), "figure {key} is not a number: {value}");
        self.figures.push(Figure {
            key: key.into(),
            what: what.into(),
            column: column.into(),
            value,
            unit: unit.into(),
        });
    }

    /// Reads the load again and writes this run into the record (replacing
    /// this benchmark's earlier run) and the README's section.
    pub fn finish(mut self) {
        if !self.record {
            println!("\n(a size of your own: not recorded in book/data/benchmarks.json)");
            return;
        }
        self.machine.load_end = load();
        let (busy, all) = machine_cpu();
        let (busy0, all0, own0) = self.cpu_start;
        let others = ((busy - busy0) - (own_cpu() - own0)) / (all - all0);
        self.machine.others_cpu = others.is_finite().then(|| others.clamp(0.0, 1.0));
        let mut record = load_record();
        record.about = "Written by `cargo bench -p washup-tests` (each benchmark replaces its own \
                        run); the book and the README show these figures through \
                        {{#bench ...}} directives. Never edit by hand."
            .into();
        record.benches.insert(
            self.bench.to_string(),
            BenchRun {
                machine: self.machine,
                figures: self.figures,
            },
        );
        let path = root().join("book/data/benchmarks.json");
        if let Err(e) = std::fs::write(&path, record.to_json()) {
            panic!("cannot write {}: {e}", path.display());
        }
        if let Err(e) = write_readme(&record) {
            panic!("{e}");
        }
        println!("\nrecorded in book/data/benchmarks.json (run `cargo book` to see the pages)");
    }
}

fn load_record() -> Record {
    Record::load(&root().join("book/data/benchmarks.json")).unwrap_or_else(|e| panic!("{e}"))
}

fn write_readme(record: &Record) -> Result<(), String> {
    let path = root().join("README.md");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("README.md: {e}"))?;
    let new = mdbook_runner::bench::update_readme(&text, record)?;
    if new != text {
        std::fs::write(&path, new).map_err(|e| format!("README.md: {e}"))?;
    }
    Ok(())
}

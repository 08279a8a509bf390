//! Benchmark figures from the record that `cargo bench` writes.
//!
//! Every benchmark of `cargo bench -p washup-tests` writes its figures, with
//! the machine it ran on, into one JSON file (`book/data/benchmarks.json`):
//! a [`Record`] holding one [`BenchRun`] per benchmark. Pages never type a
//! figure by hand; they show them with three directives:
//!
//! ```text,not-output
//! {{#bench queue.joinable.1}}      one figure: `3.91 M items/s`
//! {{#bench-table queue}}           a table of the figures whose keys start with `queue.`
//! {{#bench-machine queue}}         the machine line of that benchmark's run
//! ```
//!
//! A key names its benchmark first (`queue`), then the figure
//! (`joinable.1`). `bench-table` takes a benchmark or a prefix of keys
//! (`scaling.cpu.rust`): each row is one `what` of the benchmark, each
//! column one `column` (`median`, `speed-up`), and the machine line stands
//! under the table. A key or benchmark that is not in the record is a build
//! error naming the page and the line, as a missing snapshot is.
//!
//! The README is no mdBook page: its region between [`README_BEGIN`] and
//! [`README_END`] is [`readme_section`] of the record, rewritten by every
//! bench run and compared by a test.

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::directive;

/// The directives of this module, as they follow `{{#`.
pub const KEYWORDS: [&str; 3] = ["bench-table", "bench-machine", "bench"];

/// The line that opens the README's generated region.
pub const README_BEGIN: &str = "<!-- bench:begin (generated from book/data/benchmarks.json by `cargo bench -p washup-tests`; do not edit) -->";
/// The line that closes it.
pub const README_END: &str = "<!-- bench:end -->";

/// The benchmarks, in the order the README shows them.
pub const BENCHES: [&str; 4] = ["process", "queue", "threads", "scaling"];

/// Everything `cargo bench` measured: one run per benchmark.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// What this file is (a note for whoever opens it).
    #[serde(default)]
    pub about: String,
    /// The last run of each benchmark, by name (`queue`).
    pub benches: std::collections::BTreeMap<String, BenchRun>,
}

/// One run of one benchmark: where and when, and what it measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchRun {
    /// The machine and the moment.
    pub machine: Machine,
    /// The figures, in the order the benchmark printed them.
    pub figures: Vec<Figure>,
}

/// The machine a benchmark ran on, read by the benchmark itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// The command that ran (`cargo bench -p washup-tests --bench queue`).
    pub command: String,
    /// When the run started, UTC (`2026-12-03 15:20 UTC`).
    pub date: String,
    /// `model name` of /proc/cpuinfo.
    pub cpu: String,
    /// Cores available to the run (`available_parallelism`).
    pub cores: usize,
    /// Whether /proc/cpuinfo flags a hypervisor (a virtual machine).
    pub virtual_machine: bool,
    /// The kernel release (`uname -r`).
    pub kernel: String,
    /// `rustc --version`.
    pub rustc: String,
    /// `python3 --version`, or why there is none.
    pub python: String,
    /// /proc/loadavg's 1-minute load when the run started.
    pub load_start: f64,
    /// /proc/loadavg's 1-minute load when the run ended.
    pub load_end: f64,
    /// The share (0 to 1) of all cores' time, while the benchmark ran, that
    /// went to other programs: the machine's busy time (/proc/stat) minus
    /// the CPU time of the benchmark and its children (`getrusage`);
    /// `None` when it could not be read.
    #[serde(default)]
    pub others_cpu: Option<f64>,
}

/// One measured (or computed) figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// The key after the benchmark's name (`joinable.1`).
    pub key: String,
    /// The row it belongs to in a table (`JoinableQueue<u64>, 1 consumer`).
    pub what: String,
    /// The column (`items/s`, `median`, `speed-up`).
    pub column: String,
    /// The value, in `unit`.
    pub value: f64,
    /// One of `items/s`, `ms`, `µs`, `s`, `KiB`, `MiB`, `×`, or what a
    /// count counts (`items`, `dishes`).
    pub unit: String,
}

impl Record {
    /// Reads the record; a missing file is an empty record.
    pub fn load(path: &Path) -> Result<Record, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| format!("{} is not a benchmark record: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Record::default()),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// The record as it is stored: pretty JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The figure `bench.key`, or why there is none.
    pub fn figure(&self, full_key: &str) -> Result<(&BenchRun, &Figure), String> {
        let (bench, key) = full_key.split_once('.').ok_or_else(|| {
            format!("`{full_key}` names no figure: a key is BENCH.FIGURE, as in queue.joinable.1")
        })?;
        let run = self.run(bench)?;
        let figure = run.figures.iter().find(|f| f.key == key).ok_or_else(|| {
            format!(
                "the benchmark record has no figure `{full_key}`; `{bench}` recorded: {}",
                run.figures
                    .iter()
                    .map(|f| f.key.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        Ok((run, figure))
    }

    /// The run of benchmark `bench`, or why there is none.
    pub fn run(&self, bench: &str) -> Result<&BenchRun, String> {
        self.benches.get(bench).ok_or_else(|| {
            format!(
                "the benchmark record has no run of `{bench}`: run `cargo bench -p washup-tests --bench {bench}`"
            )
        })
    }
}

/// Three significant digits, without a trailing exponent: `252`, `22.4`,
/// `1.94`, `0.213`.
fn digits(value: f64) -> String {
    let size = value.abs();
    if size >= 100.0 {
        format!("{value:.0}")
    } else if size >= 10.0 {
        format!("{value:.1}")
    } else if size >= 1.0 {
        format!("{value:.2}")
    } else if size == 0.0 {
        "0".to_string()
    } else {
        // 0.213, 0.0527: three significant digits below one too.
        let decimals = (2 - size.log10().floor() as i64).clamp(3, 9) as usize;
        format!("{value:.decimals$}")
    }
}

/// A whole number in groups of three: `1,000,000`.
fn grouped(value: f64) -> String {
    let digits = format!("{:.0}", value.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if value < 0.0 { format!("-{out}") } else { out }
}

/// A figure as a page shows it: `3.91 M items/s`, `252 ms`, `1.94×`,
/// `1.50 MiB` (KiB from 1024 up are shown in MiB, ms from 1000 up in s).
pub fn format_value(value: f64, unit: &str) -> String {
    match unit {
        "items/s" if value >= 1e4 => format!("{} M items/s", digits(value / 1e6)),
        "KiB" if value >= 1024.0 => format!("{} MiB", digits(value / 1024.0)),
        "ms" if value >= 1000.0 => format!("{} s", digits(value / 1000.0)),
        "×" => format!("{}×", digits(value)),
        "ms" | "µs" | "s" | "KiB" | "MiB" | "items/s" => format!("{} {unit}", digits(value)),
        // A count (`items`, `dishes`, `rounds`): whole, in groups of three.
        _ => format!("{} {unit}", grouped(value)),
    }
}

/// The machine line under a table: where, when, and how busy.
pub fn machine_line(run: &BenchRun) -> String {
    let m = &run.machine;
    let kind = if m.virtual_machine {
        "virtual machine"
    } else {
        "machine"
    };
    let others = m.others_cpu.map_or(String::new(), |share| {
        format!(
            "; other programs used {:.0}% of the cores' time while it ran",
            share * 100.0
        )
    });
    format!(
        "*Measured by `{}` on {}: {}-core {kind}, {}, Linux {}, {}, {}; \
         load average {:.2} at the start, {:.2} at the end{others}.*",
        m.command, m.date, m.cores, m.cpu, m.kernel, m.rustc, m.python, m.load_start, m.load_end
    )
}

/// A markdown table of the figures whose full key starts with `prefix`
/// (a benchmark, or `bench.part`), with the machine line under it.
pub fn table(record: &Record, prefix: &str) -> Result<String, String> {
    let (rows, run) = table_rows(record, prefix)?;
    Ok(format!("{rows}\n{}", machine_line(run)))
}

/// The table of [`table`] without the machine line, and the run it is from.
fn table_rows<'a>(record: &'a Record, prefix: &str) -> Result<(String, &'a BenchRun), String> {
    let (bench, inner) = match prefix.split_once('.') {
        Some((bench, inner)) => (bench, Some(inner)),
        None => (prefix, None),
    };
    let run = record.run(bench)?;
    let figures: Vec<&Figure> = run
        .figures
        .iter()
        .filter(|f| {
            inner.is_none_or(|inner| f.key == inner || f.key.starts_with(&format!("{inner}.")))
        })
        .collect();
    if figures.is_empty() {
        return Err(format!(
            "the benchmark record has no figure under `{prefix}`"
        ));
    }
    let mut columns: Vec<&str> = Vec::new();
    let mut rows: Vec<&str> = Vec::new();
    for f in &figures {
        if !columns.contains(&f.column.as_str()) {
            columns.push(&f.column);
        }
        if !rows.contains(&f.what.as_str()) {
            rows.push(&f.what);
        }
    }
    let mut out = format!("| what | {} |\n|---|", columns.join(" | "));
    out.push_str(&"---:|".repeat(columns.len()));
    out.push('\n');
    for what in rows {
        let _ = write!(out, "| {} |", escape_cell(what));
        for column in &columns {
            let cell = figures
                .iter()
                .find(|f| f.what == what && f.column == *column)
                .map(|f| format_value(f.value, &f.unit))
                .unwrap_or_default();
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    Ok((out, run))
}

/// `|` would end a table cell.
fn escape_cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// What one directive renders to, given its keyword and body.
fn render(record: &Record, keyword: &str, body: &str) -> Result<String, String> {
    let name = body.trim();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err(format!(
            "`{{{{#{keyword} {name}}}}}` needs a key (letters, digits, `.`, `-`, `_`)"
        ));
    }
    match keyword {
        "bench" => record
            .figure(name)
            .map(|(_, f)| format_value(f.value, &f.unit)),
        "bench-machine" => record.run(name).map(machine_line),
        _ => table(record, name),
    }
}

/// One benchmark directive found in a text: its 1-based line, its byte
/// range, and what it renders to (`Ok(None)` when it is escaped,
/// `\{{#bench ...}}`, and stays literal).
pub type Expansion = (
    usize,
    std::ops::Range<usize>,
    Result<Option<String>, String>,
);

/// Every benchmark directive in `text`, rendered from `record` (or why it
/// cannot be), in order.
pub fn expansions(text: &str, record: &Result<Record, String>) -> Vec<Expansion> {
    directive::scan(text, &KEYWORDS)
        .into_iter()
        .map(|raw| {
            let rendered = match (raw.body, record) {
                (None, _) => Err(format!(
                    "`{{{{#{}` is not closed with `}}}}` on the same line",
                    raw.keyword
                )),
                (Some(_), _) if raw.escaped => Ok(None),
                (Some(_), Err(e)) => Err(e.clone()),
                (Some(body), Ok(record)) => render(record, raw.keyword, body).map(Some),
            };
            (raw.line, raw.span, rendered)
        })
        .collect()
}

/// The README's generated section: for each benchmark in the record, one
/// table per first part of its keys (`queue.rate`, `queue.ratio`, ...).
pub fn readme_section(record: &Record) -> String {
    let mut out = String::new();
    for bench in BENCHES {
        let Ok(run) = record.run(bench) else {
            continue;
        };
        let _ = writeln!(out, "\n`cargo bench -p washup-tests --bench {bench}`:");
        let mut groups: Vec<&str> = Vec::new();
        for f in &run.figures {
            let group = f.key.split('.').next().unwrap_or(&f.key);
            if !groups.contains(&group) {
                groups.push(group);
            }
        }
        for group in groups {
            if let Ok((text, _)) = table_rows(record, &format!("{bench}.{group}")) {
                let _ = write!(out, "\n{text}");
            }
        }
        let _ = writeln!(out, "\n{}", machine_line(run));
    }
    out
}

/// `readme` with its region between [`README_BEGIN`] and [`README_END`]
/// replaced by [`readme_section`] of `record`.
pub fn update_readme(readme: &str, record: &Record) -> Result<String, String> {
    let (before, rest) = readme
        .split_once(README_BEGIN)
        .ok_or_else(|| format!("the README has no line `{README_BEGIN}`"))?;
    let (_, after) = rest
        .split_once(README_END)
        .ok_or_else(|| format!("the README has no line `{README_END}` after the first"))?;
    Ok(format!(
        "{before}{README_BEGIN}\n{}\n{README_END}{after}",
        readme_section(record)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        let machine = Machine {
            command: "cargo bench -p washup-tests --bench queue".into(),
            date: "2026-12-03 15:20 UTC".into(),
            cpu: "Some CPU".into(),
            cores: 2,
            virtual_machine: true,
            kernel: "6.1.0-1".into(),
            rustc: "rustc 1.95.0".into(),
            python: "Python 3.11.2".into(),
            load_start: 1.5,
            load_end: 2.25,
            others_cpu: Some(0.4),
        };
        let figure = |key: &str, what: &str, column: &str, value: f64, unit: &str| Figure {
            key: key.into(),
            what: what.into(),
            column: column.into(),
            value,
            unit: unit.into(),
        };
        let mut record = Record::default();
        record.benches.insert(
            "queue".into(),
            BenchRun {
                machine,
                figures: vec![
                    figure(
                        "joinable.1",
                        "JoinableQueue<u64>, 1 consumer",
                        "items/s",
                        3_912_345.0,
                        "items/s",
                    ),
                    figure("cpu.one", "1 thread", "median", 252.4, "ms"),
                    figure("cpu.one.speedup", "1 thread", "speed-up", 1.0, "×"),
                    figure("cpu.two", "2 threads", "median", 129.0, "ms"),
                    figure("cpu.two.speedup", "2 threads", "speed-up", 1.9354, "×"),
                ],
            },
        );
        record
    }

    fn expand(text: &str) -> Vec<Result<Option<String>, String>> {
        expansions(text, &Ok(record()))
            .into_iter()
            .map(|(_, _, r)| r)
            .collect()
    }

    #[test]
    fn values_are_shown_with_three_digits_and_their_unit() {
        assert_eq!(format_value(3_912_345.0, "items/s"), "3.91 M items/s");
        assert_eq!(format_value(213_000.0, "items/s"), "0.213 M items/s");
        assert_eq!(format_value(52_724.0, "items/s"), "0.0527 M items/s");
        assert_eq!(format_value(252.4, "ms"), "252 ms");
        assert_eq!(format_value(7232.7, "ms"), "7.23 s");
        assert_eq!(format_value(22.44, "µs"), "22.4 µs");
        assert_eq!(format_value(1.9354, "×"), "1.94×");
        assert_eq!(format_value(1536.0, "KiB"), "1.50 MiB");
        assert_eq!(format_value(128.0, "KiB"), "128 KiB");
        assert_eq!(format_value(1_000_000.0, "items"), "1,000,000 items");
        assert_eq!(format_value(100.0, "dishes"), "100 dishes");
    }

    #[test]
    fn a_figure_renders_its_recorded_value() {
        assert_eq!(
            expand("x {{#bench queue.joinable.1}} y"),
            vec![Ok(Some("3.91 M items/s".into()))]
        );
        assert_eq!(expand("\\{{#bench queue.nope}}"), vec![Ok(None)]);
    }

    #[test]
    fn a_missing_key_or_bench_is_an_error() {
        let errors = expand(
            "{{#bench queue.nope}} {{#bench other.x}} {{#bench nodot}} {{#bench-table queue.zzz}} {{#bench}}",
        );
        let messages: Vec<String> = errors.into_iter().map(|e| e.unwrap_err()).collect();
        assert!(
            messages[0].contains("no figure `queue.nope`"),
            "{messages:?}"
        );
        assert!(messages[1].contains("no run of `other`"), "{messages:?}");
        assert!(
            messages[2].contains("a key is BENCH.FIGURE"),
            "{messages:?}"
        );
        assert!(
            messages[3].contains("no figure under `queue.zzz`"),
            "{messages:?}"
        );
        assert!(messages[4].contains("needs a key"), "{messages:?}");
        let missing = expansions("{{#bench queue.joinable.1}}", &Err("no record".into()));
        assert_eq!(missing[0].2, Err("no record".into()));
    }

    #[test]
    fn a_table_groups_columns_by_row_and_names_the_machine() {
        let table = expand("{{#bench-table queue.cpu}}")
            .remove(0)
            .unwrap()
            .unwrap();
        assert_eq!(
            table,
            "| what | median | speed-up |\n|---|---:|---:|\n\
             | 1 thread | 252 ms | 1.00× |\n| 2 threads | 129 ms | 1.94× |\n\n\
             *Measured by `cargo bench -p washup-tests --bench queue` on 2026-12-03 15:20 UTC: \
             2-core virtual machine, Some CPU, Linux 6.1.0-1, rustc 1.95.0, Python 3.11.2; \
             load average 1.50 at the start, 2.25 at the end; other programs used 40% \
             of the cores' time while it ran.*"
        );
    }

    #[test]
    fn the_readme_region_is_replaced_and_nothing_else() {
        let readme = format!("# R\n\nintro\n{README_BEGIN}\nold 1 ms\n{README_END}\n\nafter\n");
        let new = update_readme(&readme, &record()).expect("markers");
        assert!(
            new.starts_with(&format!("# R\n\nintro\n{README_BEGIN}\n")),
            "{new}"
        );
        assert!(new.ends_with(&format!("{README_END}\n\nafter\n")), "{new}");
        assert!(
            new.contains("| JoinableQueue<u64>, 1 consumer | 3.91 M items/s |"),
            "{new}"
        );
        assert!(!new.contains("old 1 ms"));
        assert_eq!(update_readme(&new, &record()), Ok(new.clone()));
        assert!(update_readme("no markers", &record()).is_err());
    }

    #[test]
    fn the_page_build_renders_figures_and_names_page_and_line_of_a_missing_one() {
        let root = std::env::temp_dir().join(format!("mdbook-runner-bench-{}", std::process::id()));
        std::fs::create_dir_all(root.join("book/data")).expect("mkdir");
        let paths = crate::Paths::for_book(&root.join("book"));
        std::fs::write(&paths.benchmarks, record().to_json()).expect("write record");
        let page = "# P\n\nIt moved {{#bench queue.joinable.1}}.\n\n{{#bench queue.gone}}\n";
        let errors = crate::expand_page(page, "book/src/p.md", &paths).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0]
                .to_string()
                .starts_with("book/src/p.md:5: the benchmark record has no figure `queue.gone`"),
            "{errors:?}"
        );
        let fine = crate::expand_page("{{#bench queue.joinable.1}} \\{{#bench x}}", "p.md", &paths);
        assert_eq!(fine, Ok("3.91 M items/s {{#bench x}}".to_string()));
        std::fs::remove_file(&paths.benchmarks).expect("remove record");
        let errors = crate::expand_page("{{#bench queue.joinable.1}}", "p.md", &paths).unwrap_err();
        assert!(
            errors[0].message.contains("no run of `queue`"),
            "{errors:?}"
        );
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn the_record_round_trips_through_json() {
        let record = record();
        let text = record.to_json();
        assert_eq!(serde_json::from_str::<Record>(&text).expect("json"), record);
    }
}

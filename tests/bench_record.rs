//! Benchmark figures come from the record, never from a hand.
//!
//! - Every `{{#bench ...}}`, `{{#bench-table ...}}` and `{{#bench-machine ...}}`
//!   on a page renders from `book/data/benchmarks.json` (what `cargo book`
//!   does; a missing key fails both the same way, naming page and line).
//! - What renders is the recorded value (read back from the text).
//! - The README's generated section is what the record renders.
//! - No page and no README line outside the generated section holds a
//!   figure (a number with a unit of time, rate, size, ratio or percent)
//!   that is not listed in `tests/figures-allowed.txt`: those are not
//!   measurements (a constant of a program, a flag's value, arithmetic).

use std::fs;
use std::path::{Path, PathBuf};

use mdbook_runner::Paths;
use mdbook_runner::bench::{self, Record};
use washup_tests::project_root;

fn record() -> Record {
    let paths = Paths::from_book_toml(&project_root().join("book")).expect("book.toml");
    Record::load(&paths.benchmarks).expect("a benchmark record")
}

fn pages() -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = fs::read_dir(project_root().join("book/src"))
        .expect("book/src")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    pages
}

fn shown(path: &Path) -> String {
    path.strip_prefix(project_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn every_bench_directive_renders_from_the_record() {
    let record = Ok(record());
    let mut problems = Vec::new();
    let mut rendered = 0;
    for page in pages() {
        let text = fs::read_to_string(&page).expect("page");
        for (line, _, result) in bench::expansions(&text, &record) {
            match result {
                Ok(_) => rendered += 1,
                Err(e) => problems.push(format!("{}:{line}: {e}", shown(&page))),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(rendered > 0, "no page shows a benchmark figure");
}

/// The value a rendered figure stands for, in the record's unit.
fn read_back(text: &str, unit: &str) -> f64 {
    let (number, shown_unit) = if let Some(n) = text.strip_suffix('×') {
        (n, "×")
    } else {
        text.split_once(' ').expect("number, space, unit")
    };
    let number: f64 = number.replace(',', "").parse().expect("a number");
    match (shown_unit, unit) {
        ("M items/s", "items/s") => number * 1e6,
        ("MiB", "KiB") => number * 1024.0,
        ("s", "ms") => number * 1000.0,
        (shown, unit) => {
            assert_eq!(shown, unit, "{text}");
            number
        }
    }
}

#[test]
fn a_rendered_figure_is_the_recorded_value() {
    let record = record();
    let mut checked = 0;
    for (name, run) in &record.benches {
        for figure in &run.figures {
            let key = format!("{name}.{}", figure.key);
            let text = format!("{{{{#bench {key}}}}}");
            let rendered = match &bench::expansions(&text, &Ok(record.clone()))[0].2 {
                Ok(Some(rendered)) => rendered.clone(),
                other => panic!("{key}: {other:?}"),
            };
            let back = read_back(&rendered, &figure.unit);
            // Three significant digits (counts exactly).
            let close = (back - figure.value).abs() <= figure.value.abs() * 0.005 + 0.0005;
            assert!(
                close,
                "{key}: recorded {} {}, rendered {rendered}",
                figure.value, figure.unit
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "the record holds no figure");
}

#[test]
fn the_readme_section_is_what_the_record_renders() {
    let path = project_root().join("README.md");
    let readme = fs::read_to_string(&path).expect("README.md");
    let expected = bench::update_readme(&readme, &record()).expect("the README's markers");
    assert!(
        readme == expected,
        "README.md's benchmark section is not the record's: run \
         `cargo bench -p washup-tests --bench queue -- --update-readme` (it measures nothing)"
    );
}

/// A number with a unit a benchmark measures in: time, rate, memory, ratio.
fn figure_pattern() -> regex::Regex {
    regex::Regex::new(
        r"(?x)
        (?:^|[^\w.])
        (\d+(?:[.,]\d+)*
        (?:\s|&nbsp;)?
        (?:
            (?:ns|µs|us|ms|s|sec|seconds?|milliseconds?|microseconds?|min|minutes?
              |M\ items/s|items/s|items\ per\ second|M/s|M|million|billion
              |MiB|KiB|GiB|MB|KB|kB|GB|times|x)\b
          | ×
          | %
        ))",
    )
    .expect("valid pattern")
}

/// The text a reader sees as prose: fenced code blocks, HTML comments and
/// directives (`{{#...}}`, whose output is a snapshot or the record) are
/// blanked, line breaks kept. In the README, so is the generated section.
fn prose(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut fence: Option<(char, usize)> = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let marker = trimmed.chars().next().filter(|c| *c == '`' || *c == '~');
        let run = marker.map_or(0, |c| trimmed.chars().take_while(|x| *x == c).count());
        let blank = |line: &str| {
            line.chars()
                .map(|c| if c == '\n' { c } else { ' ' })
                .collect::<String>()
        };
        match (fence, marker) {
            (None, Some(c)) if run >= 3 => {
                fence = Some((c, run));
                out.push_str(&blank(line));
            }
            (Some((c, n)), Some(m)) if m == c && run >= n && trimmed[run..].trim().is_empty() => {
                fence = None;
                out.push_str(&blank(line));
            }
            (Some(_), _) => out.push_str(&blank(line)),
            (None, _) => out.push_str(line),
        }
    }
    let mut text = out;
    for (open, close) in [
        ("<!-- bench:begin", "<!-- bench:end -->"),
        ("<!--", "-->"),
        ("{{#", "}}"),
    ] {
        let mut from = 0;
        while let Some(start) = text[from..].find(open).map(|i| i + from) {
            let Some(end) = text[start..].find(close).map(|i| i + start + close.len()) else {
                break;
            };
            let blanked: String = text[start..end]
                .chars()
                .map(|c| if c == '\n' { c } else { ' ' })
                .collect();
            text.replace_range(start..end, &blanked);
            from = start + blanked.len();
        }
    }
    text
}

/// `PAGE | PHRASE` lines of tests/figures-allowed.txt: on PAGE, a figure
/// inside PHRASE is not a benchmark's.
fn allowed() -> Vec<(String, String)> {
    let path = project_root().join("tests/figures-allowed.txt");
    fs::read_to_string(&path)
        .expect("tests/figures-allowed.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (page, phrase) = l
                .split_once(" | ")
                .unwrap_or_else(|| panic!("not PAGE | PHRASE: {l}"));
            (page.trim().to_string(), phrase.to_string())
        })
        .collect()
}

/// Every figure in `text` (a page called `page`) outside the allowed
/// phrases, as `page:line: text`; and the allowed phrases that `text` no
/// longer holds.
fn stray_figures(
    page: &str,
    text: &str,
    allowed: &[(String, String)],
) -> (Vec<String>, Vec<String>) {
    let pattern = figure_pattern();
    let phrases: Vec<&str> = allowed
        .iter()
        .filter(|(p, _)| p == page)
        .map(|(_, phrase)| phrase.as_str())
        .collect();
    let prose = prose(text);
    let mut stray = Vec::new();
    for (index, line) in prose.lines().enumerate() {
        for hit in pattern.captures_iter(line).filter_map(|c| c.get(1)) {
            let inside = phrases.iter().any(|phrase| {
                line.match_indices(phrase)
                    .any(|(at, _)| at <= hit.start() && hit.end() <= at + phrase.len())
            });
            if !inside {
                stray.push(format!("{page}:{}: {}", index + 1, hit.as_str().trim()));
            }
        }
    }
    let stale = phrases
        .iter()
        .filter(|phrase| !prose.contains(*phrase))
        .map(|phrase| format!("{page} | {phrase}"))
        .collect();
    (stray, stale)
}

#[test]
fn no_page_or_readme_holds_a_hand_typed_figure() {
    let allowed = allowed();
    let mut files: Vec<PathBuf> = pages();
    files.push(project_root().join("README.md"));
    let (mut stray, mut stale) = (Vec::new(), Vec::new());
    for file in files {
        let text = fs::read_to_string(&file).expect("read");
        let (s, old) = stray_figures(&shown(&file), &text, &allowed);
        stray.extend(s);
        stale.extend(old);
    }
    assert!(
        stray.is_empty(),
        "figures typed by hand (show them with {{{{#bench KEY}}}} from book/data/benchmarks.json, \
         or, if they are not measurements, list them in tests/figures-allowed.txt):\n{}",
        stray.join("\n")
    );
    assert!(
        stale.is_empty(),
        "tests/figures-allowed.txt lists phrases no longer there (remove them):\n{}",
        stale.join("\n")
    );
}

#[test]
fn the_figure_scanner_finds_figures_in_prose_only() {
    let page = "# P\n\nIt moved 3.9 M items/s, 16x Python, in 252 ms (1.94×), 10 KiB, 5%.\n\
                ```text,not-output\n1.5 ms inside a block\n```\n\
                {{#bench queue.rate.raw}} and <!-- 7 ms --> and 64 KiB of water.\n\
                Three dishes, 2 dryers, PIPE_BUF is 4096 bytes.\n";
    let allowed = vec![("p.md".to_string(), "64 KiB of water".to_string())];
    let (stray, stale) = stray_figures("p.md", page, &allowed);
    assert_eq!(
        stray,
        [
            "p.md:3: 3.9 M items/s",
            "p.md:3: 16x",
            "p.md:3: 252 ms",
            "p.md:3: 1.94×",
            "p.md:3: 10 KiB",
            "p.md:3: 5%"
        ]
    );
    assert!(stale.is_empty());
    let (_, stale) = stray_figures("p.md", "nothing", &allowed);
    assert_eq!(stale, ["p.md | 64 KiB of water"]);
}

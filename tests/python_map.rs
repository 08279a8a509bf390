//! The "Python → Rust map" (`book/src/python-map.md`) keeps its promises,
//! and so do the links of every other page:
//!
//! - every link to a chapter, on the map and on every page of `book/src`,
//!   points at a page that exists, and at a heading of that page that
//!   exists: the anchors are computed the way mdBook 0.5 computes them
//!   (`mdbook-html`'s `id_from_content` and `unique_id`, on the same
//!   markdown parser, `mdbook-markdown`);
//! - every API of the Python lesson (`/work/shared/LESSON.md` §3–4, listed
//!   below) has a row, in the right table, and every row links to the
//!   chapter that teaches it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::PathBuf;

use mdbook_markdown::pulldown_cmark::{Event, Tag, TagEnd};
use mdbook_markdown::{MarkdownOptions, new_cmark_parser};
use washup_tests::project_root;

fn book_src() -> PathBuf {
    project_root().join("book/src")
}

fn map() -> String {
    fs::read_to_string(book_src().join("python-map.md")).expect("read python-map.md")
}

/// mdBook's `id_from_content`: lowercase; letters, digits, `_` and `-`
/// kept; whitespace becomes `-`; everything else is dropped.
fn id_from_content(content: &str) -> String {
    content
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c)
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// mdBook's `unique_id`: a repeated id gets `-1`, `-2`, ... appended.
fn unique_id(id: &str, used: &mut BTreeSet<String>) -> String {
    if used.insert(id.to_string()) {
        return id.to_string();
    }
    (1..)
        .map(|n| format!("{id}-{n}"))
        .find(|candidate| used.insert(candidate.clone()))
        .expect("some suffix is free")
}

/// The ids mdBook gives the headings (and definition-list terms) of a page,
/// in page order. A heading with an explicit `{#id}` keeps it.
fn anchors(markdown: &str) -> Vec<String> {
    let mut used = BTreeSet::new();
    let mut ids = Vec::new();
    // The text of the heading being read, and its explicit id if any.
    let mut open: Option<(String, Option<String>)> = None;
    for event in new_cmark_parser(markdown, &MarkdownOptions::default()) {
        match event {
            Event::Start(Tag::Heading { id, .. }) => {
                open = Some((String::new(), id.map(|id| id.to_string())));
            }
            Event::Start(Tag::DefinitionListTitle) => open = Some((String::new(), None)),
            Event::Text(text) | Event::Code(text) => {
                if let Some((content, _)) = &mut open {
                    content.push_str(&text);
                }
            }
            Event::End(TagEnd::Heading(_) | TagEnd::DefinitionListTitle) => {
                if let Some((content, explicit)) = open.take() {
                    ids.push(match explicit {
                        Some(id) => id,
                        None => unique_id(&id_from_content(&content), &mut used),
                    });
                }
            }
            _ => {}
        }
    }
    ids
}

/// One body row of a table on the map.
#[derive(Debug)]
struct Row {
    /// The `##` heading the table is under.
    section: String,
    /// The text of each cell (code spans included, as their text).
    cells: Vec<String>,
    /// Every link target in the row.
    links: Vec<String>,
}

/// The tables of the map, row by row, and every link of the page.
fn rows_and_links(markdown: &str) -> (Vec<Row>, Vec<String>) {
    let (mut rows, mut links) = (Vec::new(), Vec::new());
    let mut section = String::new();
    let mut in_h2 = false;
    let mut in_head = false;
    let mut row: Option<Row> = None;
    for event in new_cmark_parser(markdown, &MarkdownOptions::default()) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                in_h2 = level as usize == 2;
                if in_h2 {
                    section.clear();
                }
            }
            Event::End(TagEnd::Heading(_)) => in_h2 = false,
            Event::Start(Tag::TableHead) => in_head = true,
            Event::End(TagEnd::TableHead) => in_head = false,
            Event::Start(Tag::TableRow) if !in_head => {
                row = Some(Row {
                    section: section.clone(),
                    cells: Vec::new(),
                    links: Vec::new(),
                });
            }
            Event::End(TagEnd::TableRow) => rows.extend(row.take()),
            Event::Start(Tag::TableCell) => {
                if let Some(row) = &mut row {
                    row.cells.push(String::new());
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                links.push(dest_url.to_string());
                if let Some(row) = &mut row {
                    row.links.push(dest_url.to_string());
                }
            }
            Event::Text(text) | Event::Code(text) => {
                if in_h2 {
                    section.push_str(&text);
                }
                if let Some(cell) = row.as_mut().and_then(|r| r.cells.last_mut()) {
                    cell.push_str(&text);
                }
            }
            _ => {}
        }
    }
    (rows, links)
}

#[test]
fn anchors_follow_mdbooks_rule() {
    let page = "# Threads or processes?\n\n## `washup::Process`\n\n## The cost, \
                again\n\n## The cost, again\n\n### `--passes`: more passes\n\n\
                ## Python's GIL\n\n## Custom {#mine}\n";
    assert_eq!(
        anchors(page),
        [
            "threads-or-processes",
            "washupprocess",
            "the-cost-again",
            "the-cost-again-1",
            "--passes-more-passes",
            "pythons-gil",
            "mine",
        ]
    );
}

/// Every link target of a markdown text, in order (links and images).
fn links_in(markdown: &str) -> Vec<String> {
    new_cmark_parser(markdown, &MarkdownOptions::default())
        .filter_map(|event| match event {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                Some(dest_url.to_string())
            }
            _ => None,
        })
        .collect()
}

/// Every page of the book: `book/src/**/*.md`, as paths relative to
/// `book/src`.
fn all_pages() -> Vec<PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).expect("read a folder of book/src") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path.strip_prefix(book_src()).expect("inside").to_path_buf());
            }
        }
    }
    let mut pages = Vec::new();
    walk(&book_src(), &mut pages);
    pages.sort();
    pages
}

/// The broken links of `text`, the page `page` (relative to `book/src`): a
/// link to a file that does not exist, or to an anchor its page has no
/// heading for. Links to other sites are not followed. Returns (broken,
/// links checked).
fn broken_links(page: &std::path::Path, text: &str) -> (Vec<String>, usize) {
    let folder = page.parent().unwrap_or(std::path::Path::new(""));
    let mut anchors_of: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    let (mut broken, mut checked) = (Vec::new(), 0);
    anchors_of.insert(page.to_path_buf(), anchors(text));
    for link in links_in(text) {
        if link.contains("://") || link.starts_with("mailto:") {
            continue;
        }
        let (file, anchor) = match link.split_once('#') {
            Some((file, anchor)) => (file, Some(anchor)),
            None => (link.as_str(), None),
        };
        // mdBook links `x.md` to `x.html`; either spelling names the page.
        let target = if file.is_empty() {
            page.to_path_buf()
        } else {
            let file = file
                .strip_suffix(".html")
                .map_or(file.to_string(), |stem| format!("{stem}.md"));
            folder.join(file)
        };
        checked += 1;
        if !anchors_of.contains_key(&target) {
            let Ok(target_text) = fs::read_to_string(book_src().join(&target)) else {
                broken.push(format!("{link}: no file book/src/{}", target.display()));
                continue;
            };
            // Only a page has headings; any other file just has to exist.
            let ids = if target.extension().is_some_and(|e| e == "md") {
                anchors(&target_text)
            } else {
                Vec::new()
            };
            anchors_of.insert(target.clone(), ids);
        }
        let Some(anchor) = anchor else { continue };
        let ids = &anchors_of[&target];
        if !ids.iter().any(|id| id == anchor) {
            broken.push(format!(
                "{link}: {} has no heading #{anchor} (it has: {})",
                target.display(),
                ids.join(", ")
            ));
        }
    }
    (broken, checked)
}

#[test]
fn every_chapter_link_on_the_map_exists() {
    let (broken, checked) = broken_links(std::path::Path::new("python-map.md"), &map());
    assert!(
        broken.is_empty(),
        "broken links on the map:\n{}",
        broken.join("\n")
    );
    assert!(checked >= 20, "only {checked} chapter links on the map");
}

/// The same check on every page: a `page.md#anchor` that leads nowhere
/// (a renamed heading, a misspelt page) fails here, not in a reader's
/// browser.
#[test]
fn every_link_between_pages_leads_to_a_page_and_heading_that_exist() {
    let pages = all_pages();
    assert!(
        pages.contains(&PathBuf::from("next.md")),
        "the page list misses next.md: {pages:?}"
    );
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in &pages {
        let text = fs::read_to_string(book_src().join(page)).expect("read page");
        let (found, count) = broken_links(page, &text);
        checked += count;
        broken.extend(
            found
                .into_iter()
                .map(|b| format!("{}: {b}", page.display())),
        );
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked >= 100, "only {checked} links between pages");
}

/// The link checker finds what it should: a missing page, a missing
/// heading on another page or on this one; and it accepts good links and
/// leaves web addresses alone.
#[test]
fn the_link_checker_reports_missing_pages_and_headings() {
    let page = "# Here\n\n## A part\n\n[ok](#a-part) [web](https://example.com/#x) \
                [good](threads.md#who-is-running) [as html](threads.html#how-fast) \
                [no page](nowhere.md) [no heading](threads.md#nowhere) \
                [not here](#elsewhere)\n";
    let (broken, checked) = broken_links(std::path::Path::new("test.md"), page);
    assert_eq!(checked, 6, "every link but the web address: {broken:?}");
    assert_eq!(broken.len(), 3, "{broken:#?}");
    assert!(broken[0].starts_with("nowhere.md: no file"), "{broken:?}");
    assert!(broken[1].starts_with("threads.md#nowhere: threads.md has no heading #nowhere"));
    assert!(broken[2].starts_with("#elsewhere: test.md has no heading #elsewhere"));
}

/// The lesson's APIs (§3–4 of the lesson, plus the daemon flags and
/// `Lock`), each with the `##` section whose table must list it. A needle
/// must appear in the first (Python) column of a row of that table.
const LESSON_APIS: &[(&str, &[&str])] = &[
    (
        "Processes",
        &[
            "Process(target",
            "name=",
            "args=",
            "start()",
            "run()",
            "join()",
            "join(timeout)",
            "is_alive()",
            "terminate()",
            "kill()",
            "exitcode",
            "pid",
            "name",
        ],
    ),
    (
        "Queues",
        &[
            "Queue(",
            "JoinableQueue(",
            "SimpleQueue(",
            "maxsize",
            "put(x)",
            "put(x, timeout",
            "put(x, block=False)",
            "put_nowait(x)",
            "get()",
            "get(timeout",
            "get(block=False)",
            "get_nowait()",
            "queue.Full",
            "queue.Empty",
            "qsize()",
            "empty()",
            "full()",
            "close()",
            "task_done()",
            "ValueError",
            "q.join()",
        ],
    ),
    (
        "Threads",
        &[
            "Thread(target",
            "name=",
            "start()",
            "run()",
            "join()",
            "join(timeout)",
            "is_alive()",
            "name",
            "ident",
            "native_id",
            "current_thread()",
            "main_thread()",
            "RuntimeError",
            "queue.Queue",
        ],
    ),
    (
        "Daemon flags",
        &["Process(daemon=True)", "Thread(daemon=True)", "daemon"],
    ),
    ("Locks", &["Lock()", "acquire()", "release()", "with lock"]),
];

#[test]
fn every_api_of_the_lesson_has_a_row_with_a_chapter_link() {
    let (rows, _) = rows_and_links(&map());
    let mut problems = Vec::new();
    for row in &rows {
        if !row.links.iter().any(|l| l.contains(".md")) {
            problems.push(format!("row without a chapter link: {:?}", row.cells));
        }
        if row.cells.len() < 3 {
            problems.push(format!("row with fewer than 3 cells: {:?}", row.cells));
        }
    }
    for (section, needles) in LESSON_APIS {
        let python: Vec<&str> = rows
            .iter()
            .filter(|r| r.section == *section)
            .filter_map(|r| r.cells.first().map(String::as_str))
            .collect();
        if python.is_empty() {
            problems.push(format!("no table under a `## {section}` heading"));
            continue;
        }
        for needle in *needles {
            if !python.iter().any(|cell| cell.contains(needle)) {
                problems.push(format!("## {section}: no row for `{needle}`"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

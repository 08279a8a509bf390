//! Builds the real book into a temporary folder and checks that every page
//! shows, for each of its `{{#run ...}}` directives, the command line and
//! the exact accepted snapshot text.

use std::fs;
use std::path::PathBuf;

use mdbook_runner::{Paths, directive, render};

/// Undoes the HTML escaping pulldown-cmark applies inside code blocks.
fn unescape(html: &str) -> String {
    html.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// The text of every `<code class="language-console">` block in a page.
fn console_blocks(html: &str) -> Vec<String> {
    let open = "<code class=\"language-console\">";
    html.split(open)
        .skip(1)
        .filter_map(|rest| rest.split("</code>").next())
        .map(unescape)
        .collect()
}

#[test]
fn every_page_shows_the_accepted_output_of_each_run() {
    let book = washup_book::default_book();
    let dest = std::env::temp_dir().join(format!("washup-book-test-{}", std::process::id()));
    let index = washup_book::build(&book, Some(&dest)).expect("the book builds");
    assert!(index.is_file(), "no {}", index.display());
    let has_search_index = fs::read_dir(&dest)
        .expect("read build folder")
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with("searchindex"));
    assert!(has_search_index, "the built book has no search index");

    let paths = Paths::for_book(&book);
    let src = book.join("src");
    let mut checked = 0;
    for entry in fs::read_dir(&src).expect("read book/src").flatten() {
        let page: PathBuf = entry.path();
        if page.extension().is_none_or(|e| e != "md") || page.ends_with("SUMMARY.md") {
            continue;
        }
        let text = fs::read_to_string(&page).expect("read page");
        let html_path = dest.join(page.with_extension("html").file_name().expect("name"));
        let html = fs::read_to_string(&html_path)
            .unwrap_or_else(|e| panic!("{} was not built: {e}", html_path.display()));
        let blocks = console_blocks(&html);
        for found in directive::find(&text) {
            let Ok(Some(directive)) = found.parsed else {
                continue;
            };
            let snap = fs::read_to_string(paths.snapshot_file(&directive)).expect("snapshot");
            let output = render::snapshot_contents(&snap).expect("insta snapshot");
            let expected = format!("$ {}\n{output}", directive.command_line());
            assert!(
                blocks.iter().any(|b| b.trim_end() == expected.trim_end()),
                "{}:{}: the built page does not show\n{expected}",
                page.display(),
                found.line
            );
            checked += 1;
        }
    }
    let _ = fs::remove_dir_all(&dest);
    assert!(checked > 0, "no directive was checked");
}

/// The book is an ordinary mdBook 0.5 book: a stock `mdbook build` (which
/// starts `mdbook-runner` as an external command, as book.toml says) makes
/// the same pages as `cargo book`. Skipped, visibly, without `mdbook`.
#[test]
fn a_stock_mdbook_build_makes_the_same_pages() {
    use std::io::Write as _;
    use std::process::Command;
    let version = Command::new("mdbook").arg("--version").output();
    let Ok(version) = version.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()) else {
        // CI installs mdbook (.ci/run): there, a skip would hide the check.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "no `mdbook` command on PATH in CI"
        );
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: no `mdbook` command on PATH (cargo install mdbook --version ^0.5 to run this check)"
        );
        return;
    };
    assert!(
        version.starts_with("mdbook v0.5"),
        "expected mdBook 0.5, found {version}"
    );
    let book = washup_book::default_book();
    let ours = std::env::temp_dir().join(format!("washup-ours-{}", std::process::id()));
    let stock = std::env::temp_dir().join(format!("washup-stock-{}", std::process::id()));
    washup_book::build(&book, Some(&ours)).expect("cargo book's build");
    let out = Command::new("mdbook")
        .arg("build")
        .arg(&book)
        .arg("--dest-dir")
        .arg(&stock)
        .output()
        .expect("run mdbook");
    assert!(
        out.status.success(),
        "mdbook build failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut compared = 0;
    for entry in fs::read_dir(&ours).expect("read build").flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().ends_with(".html") {
            continue;
        }
        // The search index's file name carries a hash of the index, which
        // differs between builds; everything else must match.
        let strip = |text: String| -> String {
            text.lines()
                .filter(|line| !line.contains("path_to_searchindex_js"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let a = strip(fs::read_to_string(entry.path()).expect("read ours"));
        let b = strip(fs::read_to_string(stock.join(&name)).expect("stock build has the page"));
        assert!(
            a == b,
            "{} differs between cargo book and mdbook build",
            name.to_string_lossy()
        );
        compared += 1;
    }
    let _ = fs::remove_dir_all(&ours);
    let _ = fs::remove_dir_all(&stock);
    assert!(compared > 3, "compared only {compared} pages");
}

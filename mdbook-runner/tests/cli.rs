//! The `mdbook-runner` command speaks mdBook's preprocessor protocol: a
//! `supports RENDERER` check, then `[context, book]` as JSON on standard
//! input and the processed book as JSON on standard output.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use mdbook_preprocessor::PreprocessorContext;
use mdbook_preprocessor::book::{Book, BookItem, Chapter};
use mdbook_preprocessor::config::Config;

const EXE: &str = env!("CARGO_BIN_EXE_mdbook-runner");

fn project(tag: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("mdbook-runner-cli-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    for dir in ["book/src", "examples", "tests/snapshots"] {
        fs::create_dir_all(root.join(dir)).expect("create project");
    }
    fs::write(root.join("examples/dishes.rs"), "fn main() {}").expect("write example");
    root
}

fn run_with(root: &Path, page: &str) -> Output {
    let mut book = Book::new();
    book.push_item(Chapter::new(
        "Dishes",
        page.to_string(),
        "dishes.md",
        vec![],
    ));
    let ctx = PreprocessorContext::new(root.join("book"), Config::default(), "html".into());
    let input = serde_json::to_vec(&(ctx, book)).expect("serialise input");
    let mut child = Command::new(EXE)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mdbook-runner");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&input)
        .expect("write input");
    child.wait_with_output().expect("wait for mdbook-runner")
}

#[test]
fn supports_every_renderer() {
    for renderer in ["html", "markdown"] {
        let status = Command::new(EXE)
            .args(["supports", renderer])
            .status()
            .expect("run");
        assert!(status.success(), "supports {renderer}: {status}");
    }
}

#[test]
fn a_bad_flag_is_refused_with_status_2() {
    let out = Command::new(EXE).arg("--frobnicate").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unexpected argument '--frobnicate'"),
        "{stderr}"
    );
}

#[test]
fn replaces_directives_in_the_book_it_is_given() {
    let root = project("ok");
    fs::write(
        root.join("tests/snapshots/dishes.snap"),
        "---\nsource: t\n---\nWashing salad dish\n",
    )
    .expect("write snapshot");
    let out = run_with(&root, "Look:\n{{#run dishes}}\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let book: Book = serde_json::from_slice(&out.stdout).expect("a book on stdout");
    let Some(BookItem::Chapter(chapter)) = book.items.first() else {
        panic!("no chapter in {book:?}");
    };
    assert_eq!(
        chapter.content,
        "Look:\n```console\n$ cargo run --example dishes\nWashing salad dish\n```\n"
    );
    let _ = fs::remove_dir_all(root);
}

#[test]
fn a_missing_snapshot_fails_naming_page_and_line() {
    let root = project("missing");
    let out = run_with(&root, "# Dishes\n\n{{#run dishes -- --dryers 2}}\n");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("book/src/dishes.md:3: `{{#run dishes -- --dryers 2}}` has no accepted snapshot: tests/snapshots/dishes__--dryers_2.snap does not exist"),
        "{stderr}"
    );
    let _ = fs::remove_dir_all(root);
}

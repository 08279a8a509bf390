//! # mdbook-runner
//!
//! An mdBook preprocessor that keeps a book's printed program output honest.
//! A page says `{{#run dishes -- --dryers 2}}`; the built page shows
//!
//! ```console,not-output
//! $ cargo run --example dishes -- --dryers 2
//! <the accepted snapshot of exactly that run>
//! ```
//!
//! The snapshot is the insta file that the project's tests assert the real
//! program's output against, so the page, the program and the tests cannot
//! drift apart. `{{#run-python FILE.py}}` does the same for a Python file,
//! and `{{#compile-fail FILE.rs}}` for what `rustc` says about a program
//! that must not compile.
//!
//! Nothing is dropped silently: a malformed directive, an example or Python
//! file that does not exist, and a run without an accepted snapshot are
//! build errors that name the page and the line.
//!
//! Configuration (`book.toml`, all keys optional, paths relative to the book):
//!
//! ```toml
//! [preprocessor.runner]
//! command = "cargo run --quiet --package mdbook-runner --"
//! before = ["links"]               # see below
//! examples = ["../examples"]        # folders where `NAME.rs` examples live
//! snapshots = "../tests/snapshots"  # where `NAME.snap` files live
//! project-root = ".."               # Python paths and shown paths are relative to it
//! ```
//!
//! Run it before mdBook's `links` preprocessor: `links` strips the backslash
//! from every escaped `\{{#...}}`, which would turn an escaped, literal
//! `\{{#run ...}}` into a live one.

pub mod bench;
pub mod directive;
pub mod quiz;
pub mod render;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use mdbook_preprocessor::book::{Book, BookItem};
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};

pub use directive::{Directive, Found, ParseError, Target};

/// The preprocessor's name, as in `[preprocessor.runner]`.
pub const NAME: &str = "runner";

/// Where the runner looks for examples, snapshots and Python files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The folders holding `NAME.rs` (or `NAME/main.rs`) for each example:
    /// the root package's `examples/`, and those of workspace members whose
    /// examples need heavier dependencies (`cargo run --example NAME` finds
    /// an example in any default member of the workspace).
    pub examples: Vec<PathBuf>,
    /// The folder holding the accepted `NAME.snap` files.
    pub snapshots: PathBuf,
    /// The project root: Python paths are relative to it, and so are the
    /// paths shown in error messages.
    pub project_root: PathBuf,
    /// The folder holding `NAME.toml` for each `{{#quiz NAME}}`.
    pub quizzes: PathBuf,
    /// The folder holding `ID/exercise.toml` for each `{{#exercise ID}}`.
    pub exercises_dir: PathBuf,
    /// The book's source folder (chapter titles for tables).
    pub src: PathBuf,
    /// The benchmark record that `{{#bench ...}}` figures come from.
    pub benchmarks: PathBuf,
}

impl Paths {
    /// The default layout of a project whose book lives in `book_root`
    /// (`<project>/book`): `<project>/examples`, `<project>/tests/snapshots`.
    pub fn for_book(book_root: &Path) -> Paths {
        Paths {
            examples: vec![book_root.join("../examples")],
            snapshots: book_root.join("../tests/snapshots"),
            project_root: book_root.join(".."),
            quizzes: book_root.join("quizzes"),
            exercises_dir: book_root.join("../exercises"),
            src: book_root.join("src"),
            benchmarks: book_root.join("data/benchmarks.json"),
        }
    }

    /// The paths configured in `[preprocessor.runner]`, falling back to
    /// [`Paths::for_book`] for keys that are not set.
    pub fn from_context(ctx: &PreprocessorContext) -> anyhow::Result<Paths> {
        let mut paths = Paths::for_book(&ctx.root);
        paths.src = ctx.root.join(&ctx.config.book.src);
        if let Some(folders) = ctx
            .config
            .get::<Vec<PathBuf>>(&format!("preprocessor.{NAME}.examples"))?
        {
            paths.examples = folders.iter().map(|f| ctx.root.join(f)).collect();
        }
        for (key, slot) in [
            ("snapshots", &mut paths.snapshots),
            ("project-root", &mut paths.project_root),
            ("quizzes", &mut paths.quizzes),
            ("exercises-dir", &mut paths.exercises_dir),
        ] {
            let full = format!("preprocessor.{NAME}.{key}");
            if let Some(value) = ctx.config.get::<PathBuf>(&full)? {
                *slot = ctx.root.join(value);
            }
        }
        Ok(paths)
    }

    /// The paths configured in `book_root/book.toml`, read without mdBook
    /// (for the tests that check the book).
    pub fn from_book_toml(book_root: &Path) -> anyhow::Result<Paths> {
        let path = book_root.join("book.toml");
        let text = fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))?;
        let table: toml::Table =
            toml::from_str(&text).with_context(|| format!("parse {}", path.display()))?;
        let config = table
            .get("preprocessor")
            .and_then(|p| p.get(NAME))
            .cloned()
            .unwrap_or_else(|| toml::Value::Table(toml::Table::new()));
        let mut paths = Paths::for_book(book_root);
        if let Some(folders) = config.get("examples").and_then(|v| v.as_array()) {
            paths.examples = folders
                .iter()
                .filter_map(|f| f.as_str())
                .map(|f| book_root.join(f))
                .collect();
        }
        for (key, slot) in [
            ("snapshots", &mut paths.snapshots),
            ("project-root", &mut paths.project_root),
            ("quizzes", &mut paths.quizzes),
            ("exercises-dir", &mut paths.exercises_dir),
        ] {
            if let Some(value) = config.get(key).and_then(|v| v.as_str()) {
                *slot = book_root.join(value);
            }
        }
        Ok(paths)
    }

    /// The source file of example `name`, if it exists.
    pub fn example_source(&self, name: &str) -> Option<PathBuf> {
        self.examples
            .iter()
            .flat_map(|dir| {
                [
                    dir.join(format!("{name}.rs")),
                    dir.join(name).join("main.rs"),
                ]
            })
            .find(|path| path.is_file())
    }

    /// The file of quiz `name`.
    pub fn quiz_file(&self, name: &str) -> PathBuf {
        self.quizzes.join(format!("{name}.toml"))
    }

    /// Reads and checks quiz `name`.
    pub fn load_quiz(&self, name: &str) -> Result<quiz::Quiz, String> {
        let path = self.quiz_file(name);
        let text = fs::read_to_string(&path)
            .map_err(|e| format!("cannot read quiz {}: {e}", self.shown(&path)))?;
        quiz::Quiz::parse(&text).map_err(|e| format!("{}: {e}", self.shown(&path)))
    }

    /// The snapshot file of a directive's run.
    pub fn snapshot_file(&self, directive: &Directive) -> PathBuf {
        self.snapshots
            .join(format!("{}.snap", directive.snapshot_name()))
    }

    /// `path` relative to the project root when it is inside it, for messages.
    pub fn shown(&self, path: &Path) -> String {
        let root = normalise(&self.project_root);
        let path = normalise(path);
        path.strip_prefix(&root)
            .unwrap_or(&path)
            .display()
            .to_string()
    }
}

/// Removes `.` and `..` components without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// A problem with one directive on one page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{page}:{line}: {message}")]
pub struct PageError {
    /// The page, relative to the project root (`book/src/dishes.md`).
    pub page: String,
    /// The 1-based line of the directive.
    pub line: usize,
    /// What is wrong and what to do about it.
    pub message: String,
}

/// Replaces every directive in one page's markdown with its console block.
///
/// `page` is only used in messages. Returns every problem on the page, not
/// just the first.
pub fn expand_page(text: &str, page: &str, paths: &Paths) -> Result<String, Vec<PageError>> {
    // Runs and quizzes, in the order they stand in the page.
    let mut replacements: Vec<(usize, std::ops::Range<usize>, Result<String, String>)> = Vec::new();
    for found in directive::find(text) {
        let original = &text[found.span.clone()];
        let replacement = match &found.parsed {
            Err(parse_error) => Err(format!("malformed directive `{original}`: {parse_error}")),
            Ok(None) => Ok(original.trim_start_matches('\\').to_string()),
            Ok(Some(directive)) => render_run(directive, paths)
                .map(|block| indent_like_line(&block, text, found.span.start)),
        };
        replacements.push((found.line, found.span, replacement));
    }
    let page_file = Path::new(page)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for found in directive::find_named(text, "exercise") {
        let original = &text[found.span.clone()];
        let replacement = match &found.name {
            Err(message) => Err(format!("malformed directive `{original}`: {message}")),
            Ok(None) => Ok(original.trim_start_matches('\\').to_string()),
            Ok(Some(id)) => render_exercise(id, &page_file, paths),
        };
        replacements.push((found.line, found.span, replacement));
    }
    for found in directive::find_named(text, "exercise-list") {
        let original = &text[found.span.clone()];
        let replacement = match &found.name {
            Err(message) => Err(format!("malformed directive `{original}`: {message}")),
            Ok(None) => Ok(original.trim_start_matches('\\').to_string()),
            Ok(Some(name)) if name == "all" => render_exercise_list(paths),
            Ok(Some(name)) => Err(format!(
                "`{original}`: only `{{{{#exercise-list all}}}}` exists, not `{name}`"
            )),
        };
        replacements.push((found.line, found.span, replacement));
    }
    for found in quiz::find(text) {
        let original = &text[found.span.clone()];
        let replacement = match &found.name {
            Err(message) => Err(format!("malformed directive `{original}`: {message}")),
            Ok(None) => Ok(original.trim_start_matches('\\').to_string()),
            Ok(Some(name)) => paths.load_quiz(name).and_then(|q| {
                check_quiz_runs(&q, paths)?;
                Ok(quiz::render(name, &q))
            }),
        };
        replacements.push((found.line, found.span, replacement));
    }
    let record = bench::Record::load(&paths.benchmarks);
    for (line, span, rendered) in bench::expansions(text, &record) {
        let replacement = rendered
            .map(|r| r.unwrap_or_else(|| text[span.clone()].trim_start_matches('\\').to_string()));
        replacements.push((line, span, replacement));
    }
    replacements.sort_by_key(|(_, span, _)| span.start);

    let mut out = String::with_capacity(text.len());
    let mut errors = Vec::new();
    let mut copied = 0;
    for (line, span, replacement) in replacements {
        out.push_str(&text[copied..span.start]);
        match replacement {
            Ok(block) => out.push_str(&block),
            Err(message) => errors.push(PageError {
                page: page.to_string(),
                line,
                message,
            }),
        }
        copied = span.end;
    }
    out.push_str(&text[copied..]);
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// What a chapter needs to know of an exercise (the rest of
/// `exercise.toml` is for the `cargo exercise` tool).
#[derive(serde::Deserialize)]
struct ExerciseCard {
    title: String,
    chapter: String,
    minutes: u32,
    task: String,
}

/// The task statement of exercise `id`, for the end of its chapter.
fn render_exercise(id: &str, page_file: &str, paths: &Paths) -> Result<String, String> {
    let path = paths.exercises_dir.join(id).join("exercise.toml");
    let text = fs::read_to_string(&path).map_err(|e| {
        format!(
            "no exercise `{id}`: cannot read {}: {e}",
            paths.shown(&path)
        )
    })?;
    let card: ExerciseCard =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", paths.shown(&path)))?;
    if card.chapter != page_file {
        return Err(format!(
            "exercise `{id}` belongs to chapter {}, not {page_file} (see {})",
            card.chapter,
            paths.shown(&path)
        ));
    }
    Ok(format!(
        "<div class=\"exercise\">\n\n### Exercise: {title}\n\n*About {minutes} minutes.*\n\n{task}\n\n\
         Start it, then check your work as often as you like (each requirement is a named check, with a hint when it fails):\n\n\
         ```sh\ncargo exercise start {id}   # copies the starter into exercises-work/{id}/\ncargo exercise check {id}   # runs the checks and prints your score\n```\n\n</div>",
        title = card.title,
        minutes = card.minutes,
        task = card.task.trim(),
    ))
}

/// A table of every exercise: chapter, title, id, minutes, in book order
/// of their chapters' file names (the instructor guide shows it).
fn render_exercise_list(paths: &Paths) -> Result<String, String> {
    let dir = &paths.exercises_dir;
    let entries =
        fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", paths.shown(dir)))?;
    let mut rows = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path().join("exercise.toml");
        if !path.is_file() {
            continue;
        }
        let id = entry.file_name().to_string_lossy().into_owned();
        let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", paths.shown(&path)))?;
        let card: ExerciseCard =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", paths.shown(&path)))?;
        rows.push((card.chapter, card.title, id, card.minutes));
    }
    if rows.is_empty() {
        return Err(format!("no exercises in {}", paths.shown(dir)));
    }
    // In the order the chapters stand in SUMMARY.md.
    let summary = fs::read_to_string(paths.src.join("SUMMARY.md")).unwrap_or_default();
    rows.sort_by_key(|(chapter, title, ..)| {
        (
            summary.find(&format!("({chapter})")).unwrap_or(usize::MAX),
            title.clone(),
        )
    });
    let total: u32 = rows.iter().map(|r| r.3).sum();
    let mut table =
        String::from("| Chapter | Exercise | Id | Minutes |\n| --- | --- | --- | ---: |\n");
    for (chapter, title, id, minutes) in &rows {
        let page = fs::read_to_string(paths.src.join(chapter))
            .ok()
            .and_then(|text| {
                text.lines()
                    .next()
                    .map(|l| l.trim_start_matches("# ").to_string())
            })
            .unwrap_or_else(|| chapter.trim_end_matches(".md").to_string());
        table.push_str(&format!(
            "| [{page}]({chapter}#exercise) | {title} | `{id}` | {minutes} |\n"
        ));
    }
    table.push_str(&format!(
        "| | **{} exercises** | | **{total}** |",
        rows.len()
    ));
    Ok(table)
}

/// A quiz's `prints` questions are runs too: their programs must exist and
/// their output must have been accepted, like any `{{#run}}`.
fn check_quiz_runs(quiz: &quiz::Quiz, paths: &Paths) -> Result<(), String> {
    for (number, directive) in quiz.runs() {
        render_run(&directive, paths).map_err(|e| format!("quiz question {number}: {e}"))?;
    }
    Ok(())
}

/// A directive indented on a line of its own (inside a list item, say)
/// gets its block's following lines indented the same way, so the block
/// stays inside the list item.
fn indent_like_line(block: &str, text: &str, start: usize) -> String {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let prefix = &text[line_start..start];
    if prefix.is_empty() || !prefix.chars().all(char::is_whitespace) {
        return block.to_string();
    }
    block.replace('\n', &format!("\n{prefix}"))
}

fn render_run(directive: &Directive, paths: &Paths) -> Result<String, String> {
    match &directive.target {
        Target::Example(name) => {
            if paths.example_source(name).is_none() {
                let looked: Vec<String> = paths
                    .examples
                    .iter()
                    .map(|dir| paths.shown(&dir.join(format!("{name}.rs"))))
                    .collect();
                return Err(format!(
                    "`{directive}` names no example: there is no {} (nor NAME/main.rs there)",
                    looked.join(" or ")
                ));
            }
        }
        Target::Python(file) | Target::CompileFail(file) => {
            let path = paths.project_root.join(file);
            if !path.is_file() {
                return Err(format!(
                    "`{directive}` names no file: there is no {}",
                    paths.shown(&path)
                ));
            }
        }
    }
    let snapshot = paths.snapshot_file(directive);
    let text = fs::read_to_string(&snapshot).map_err(|e| {
        let shown = paths.shown(&snapshot);
        if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "`{directive}` has no accepted snapshot: {shown} does not exist. \
                 Run `cargo test` to record the output, review it, and accept it \
                 (`cargo insta review`, or `INSTA_UPDATE=always cargo test`)."
            )
        } else {
            format!("`{directive}`: cannot read its snapshot {shown}: {e}")
        }
    })?;
    let output = render::snapshot_contents(&text).ok_or_else(|| {
        format!(
            "`{directive}`: {} is not an insta snapshot (no `---` header)",
            paths.shown(&snapshot)
        )
    })?;
    Ok(render::console_block(directive, output))
}

/// The preprocessor, for use in-process with
/// `MDBook::with_preprocessor(Runner)` or from the `mdbook-runner` command.
#[derive(Debug, Default, Clone, Copy)]
pub struct Runner;

impl Preprocessor for Runner {
    fn name(&self) -> &str {
        NAME
    }

    fn run(&self, ctx: &PreprocessorContext, mut book: Book) -> anyhow::Result<Book> {
        let paths = Paths::from_context(ctx)?;
        let src = ctx.root.join(&ctx.config.book.src);
        let mut errors = Vec::new();
        book.for_each_mut(|item| {
            let BookItem::Chapter(chapter) = item else {
                return;
            };
            let Some(source) = &chapter.source_path else {
                return;
            };
            let page = paths.shown(&src.join(source));
            match expand_page(&chapter.content, &page, &paths) {
                Ok(expanded) => chapter.content = expanded,
                Err(mut page_errors) => errors.append(&mut page_errors),
            }
        });
        if errors.is_empty() {
            return Ok(book);
        }
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        Err(anyhow::anyhow!(
            "{} problem(s) with {{{{#run}}}} directives:\n{}",
            errors.len(),
            list.join("\n")
        ))
        .context("the runner preprocessor cannot show these programs' output")
    }

    fn supports_renderer(&self, _renderer: &str) -> anyhow::Result<bool> {
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A throw-away project: examples/, tests/snapshots/, python/.
    struct Project {
        root: PathBuf,
    }

    impl Project {
        fn new(tag: &str) -> Project {
            let root =
                std::env::temp_dir().join(format!("mdbook-runner-{tag}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&root);
            for dir in ["book/src", "examples", "tests/snapshots", "python"] {
                fs::create_dir_all(root.join(dir)).expect("create test project");
            }
            Project { root }
        }
        fn write(&self, path: &str, text: &str) {
            fs::write(self.root.join(path), text).expect("write test file");
        }
        fn paths(&self) -> Paths {
            Paths::for_book(&self.root.join("book"))
        }
    }

    impl Drop for Project {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.root);
        }
    }

    const SNAP: &str = "---\nsource: tests/book.rs\n---\nWashing salad dish\n";

    #[test]
    fn replaces_a_directive_with_command_and_snapshot() {
        let project = Project::new("ok");
        project.write("examples/dishes.rs", "fn main() {}");
        project.write("tests/snapshots/dishes__--dryers_2.snap", SNAP);
        let page = "Before\n{{#run dishes -- --dryers 2}}\nAfter\n";
        let out = expand_page(page, "book/src/dishes.md", &project.paths());
        assert_eq!(
            out,
            Ok("Before\n```console\n$ cargo run --example dishes -- --dryers 2\nWashing salad dish\n```\nAfter\n".into())
        );
    }

    #[test]
    fn an_indented_directive_keeps_its_block_in_the_list_item() {
        let project = Project::new("indent");
        project.write("examples/dishes.rs", "fn main() {}");
        project.write("tests/snapshots/dishes.snap", "---\n---\na\nb\n");
        let out = expand_page("- Try it:\n\n  {{#run dishes}}\n", "p.md", &project.paths());
        assert_eq!(
            out,
            Ok(
                "- Try it:\n\n  ```console\n  $ cargo run --example dishes\n  a\n  b\n  ```\n"
                    .into()
            )
        );
    }

    #[test]
    fn an_exercise_renders_its_task_in_its_own_chapter_only() {
        let project = Project::new("exercise");
        fs::create_dir_all(project.root.join("exercises/stop")).expect("mkdir");
        project.write(
            "exercises/stop/exercise.toml",
            "title = \"Stop\"\nchapter = \"threads.md\"\nminutes = 20\ntask = \"Do it.\"\n[[check]]\ntest = \"t\"\n",
        );
        let out = expand_page(
            "{{#exercise stop}}",
            "book/src/threads.md",
            &project.paths(),
        )
        .expect("renders");
        assert!(
            out.contains("### Exercise: Stop\n\n*About 20 minutes.*\n\nDo it."),
            "{out}"
        );
        assert!(out.contains("cargo exercise start stop"), "{out}");
        let errors = expand_page(
            "\n{{#exercise stop}}",
            "book/src/locks.md",
            &project.paths(),
        )
        .unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "book/src/locks.md:2: exercise `stop` belongs to chapter threads.md, not locks.md (see exercises/stop/exercise.toml)"
        );
        let errors = expand_page("{{#exercise nope}}", "p.md", &project.paths()).unwrap_err();
        assert!(
            errors[0].message.starts_with("no exercise `nope`"),
            "{errors:?}"
        );
    }

    #[test]
    fn the_exercise_list_is_a_table_in_summary_order() {
        let project = Project::new("exercise-list");
        for (id, chapter, minutes) in [("b", "locks.md", 40), ("a", "threads.md", 20)] {
            fs::create_dir_all(project.root.join("exercises").join(id)).expect("mkdir");
            project.write(
                &format!("exercises/{id}/exercise.toml"),
                &format!("title = \"T{id}\"\nchapter = \"{chapter}\"\nminutes = {minutes}\ntask = \"x\"\n"),
            );
        }
        project.write(
            "book/src/SUMMARY.md",
            "- [Threads](threads.md)\n- [Locks](locks.md)\n",
        );
        project.write("book/src/threads.md", "# Threads\n");
        project.write("book/src/locks.md", "# Locks\n");
        let out = expand_page("{{#exercise-list all}}", "p.md", &project.paths()).expect("renders");
        assert_eq!(
            out,
            "| Chapter | Exercise | Id | Minutes |\n| --- | --- | --- | ---: |\n\
             | [Threads](threads.md#exercise) | Ta | `a` | 20 |\n\
             | [Locks](locks.md#exercise) | Tb | `b` | 40 |\n\
             | | **2 exercises** | | **60** |"
        );
        let errors = expand_page("{{#exercise-list some}}", "p.md", &project.paths()).unwrap_err();
        assert!(
            errors[0]
                .message
                .contains("only `{{#exercise-list all}}` exists"),
            "{errors:?}"
        );
    }

    #[test]
    fn python_runs_use_the_python_snapshot() {
        let project = Project::new("python");
        project.write("python/dishes.py", "print('hi')");
        project.write("tests/snapshots/python__dishes.snap", "---\n---\nhi\n");
        let out = expand_page("{{#run-python python/dishes.py}}", "p.md", &project.paths());
        assert_eq!(
            out,
            Ok("```console\n$ python3 python/dishes.py\nhi\n```".into())
        );
    }

    #[test]
    fn an_escaped_directive_is_shown_literally() {
        let project = Project::new("escaped");
        let out = expand_page("Type `\\{{#run dishes}}`.", "p.md", &project.paths());
        assert_eq!(out, Ok("Type `{{#run dishes}}`.".into()));
    }

    #[test]
    fn a_missing_snapshot_names_page_line_and_file() {
        let project = Project::new("nosnap");
        project.write("examples/by-hand.rs", "fn main() {}");
        let errors = expand_page(
            "# T\n\n{{#run by-hand}}\n",
            "book/src/by-hand.md",
            &project.paths(),
        )
        .unwrap_err();
        assert_eq!(errors.len(), 1);
        let message = errors[0].to_string();
        assert!(
            message.starts_with("book/src/by-hand.md:3: `{{#run by-hand}}` has no accepted snapshot: tests/snapshots/by-hand.snap does not exist"),
            "{message}"
        );
    }

    #[test]
    fn an_unknown_example_is_an_error() {
        let project = Project::new("noexample");
        let errors = expand_page("{{#run nope}}", "book/src/x.md", &project.paths()).unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "book/src/x.md:1: `{{#run nope}}` names no example: there is no examples/nope.rs (nor NAME/main.rs there)"
        );
    }

    #[test]
    fn an_unknown_python_file_is_an_error() {
        let project = Project::new("nopython");
        let errors = expand_page(
            "\n{{#run-python python/x.py}}",
            "book/src/x.md",
            &project.paths(),
        )
        .unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "book/src/x.md:2: `{{#run-python python/x.py}}` names no file: there is no python/x.py"
        );
    }

    #[test]
    fn a_malformed_directive_is_an_error_not_dropped() {
        let project = Project::new("malformed");
        let errors = expand_page(
            "a\nb {{#run dishes --dryers 2}}",
            "book/src/x.md",
            &project.paths(),
        )
        .unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "book/src/x.md:2: malformed directive `{{#run dishes --dryers 2}}`: arguments must come after ` -- `, as in `{{#run dishes -- --dryers 2}}`"
        );
    }

    #[test]
    fn a_snapshot_without_header_is_an_error() {
        let project = Project::new("badsnap");
        project.write("examples/dishes.rs", "fn main() {}");
        project.write("tests/snapshots/dishes.snap", "just text\n");
        let errors = expand_page("{{#run dishes}}", "p.md", &project.paths()).unwrap_err();
        assert!(
            errors[0].message.contains("is not an insta snapshot"),
            "{errors:?}"
        );
    }

    #[test]
    fn every_problem_on_a_page_is_reported() {
        let project = Project::new("many");
        let errors = expand_page(
            "{{#run a}}\n{{#run b}}\n{{#run}}\n",
            "p.md",
            &project.paths(),
        )
        .unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![1, 2, 3]);
    }

    #[test]
    fn the_preprocessor_fails_the_whole_book_on_any_error() {
        use mdbook_preprocessor::book::Chapter;
        use mdbook_preprocessor::config::Config;
        let project = Project::new("book");
        let mut book = Book::new();
        book.push_item(Chapter::new(
            "Dishes",
            "{{#run dishes}}\n".into(),
            "dishes.md",
            vec![],
        ));
        let ctx =
            PreprocessorContext::new(project.root.join("book"), Config::default(), "html".into());
        let err = Runner.run(&ctx, book).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("book/src/dishes.md:1: `{{#run dishes}}` names no example"),
            "{text}"
        );
    }
}

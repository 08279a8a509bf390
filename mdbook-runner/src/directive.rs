//! Finding and parsing `{{#run ...}}` and `{{#run-python ...}}` directives.
//!
//! The syntax is deliberately small:
//!
//! ```text,not-output
//! {{#run EXAMPLE}}
//! {{#run EXAMPLE -- ARG ...}}
//! {{#run-python FILE.py}}
//! {{#run-python FILE.py -- ARG ...}}
//! {{#compile-fail FILE.rs}}
//! ```
//!
//! `compile-fail` shows what `rustc` says about a program that must not
//! compile (a lesson about an error Rust catches at compile time). It takes
//! no arguments, and the program may use only the standard library.
//!
//! Arguments after `--` are split like a POSIX shell would split them
//! (quotes allowed), so `{{#run dishes -- --dishes "salad,bread"}}` passes
//! two arguments. A directive written with a leading backslash,
//! `\{{#run dishes}}`, is not run: it is shown literally, without the
//! backslash, so pages can talk about directives.

use std::fmt;
use std::ops::Range;

/// Which program a directive runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// `{{#run NAME}}`: the Cargo example `examples/NAME.rs`.
    Example(String),
    /// `{{#run-python PATH}}`: a Python file, path relative to the project root.
    Python(String),
    /// `{{#compile-fail PATH}}`: a Rust file that must not compile, path
    /// relative to the project root.
    CompileFail(String),
}

/// One parsed directive: what to run and with which arguments.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Directive {
    /// The program to run.
    pub target: Target,
    /// The arguments after `--`, already split.
    pub args: Vec<String>,
}

/// Why a directive could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// `{{#run` was opened but `}}` never came on the same line.
    #[error("`{{{{#{0}` is not closed with `}}}}` on the same line")]
    Unclosed(String),
    /// `{{#run}}` with nothing to run.
    #[error("`{{{{#{0}}}}}` needs {1} to run")]
    MissingTarget(String, &'static str),
    /// An example name with characters Cargo does not allow.
    #[error("`{0}` is not a valid example name (letters, digits, `-` and `_` only)")]
    BadExampleName(String),
    /// A Python path that is absolute, leaves the project, or is not a `.py` file.
    #[error("`{0}` is not a Python file inside the project (a relative path ending in `.py`)")]
    BadPythonPath(String),
    /// A Rust path that is absolute, leaves the project, or is not a `.rs` file.
    #[error("`{0}` is not a Rust file inside the project (a relative path ending in `.rs`)")]
    BadRustPath(String),
    /// `{{#compile-fail}}` with arguments.
    #[error(
        "`{{{{#compile-fail}}}}` takes no arguments: it shows what `rustc` says about one file"
    )]
    CompileFailArguments,
    /// Words between the target and the arguments without a `--` separator.
    #[error("arguments must come after ` -- `, as in `{{{{#{0} {1} -- {2}}}}}`")]
    MissingSeparator(String, String, String),
    /// The arguments are not valid shell words (an unmatched quote, say).
    #[error("cannot split the arguments `{0}`: {1}")]
    BadArguments(String, String),
}

/// A directive found in a page: where it is, and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// 1-based line number in the page.
    pub line: usize,
    /// Byte range of the whole directive (`{{#run ...}}`, or the escaped form) in the page.
    pub span: Range<usize>,
    /// What the directive says, or why it is malformed. `Ok(None)` marks an
    /// escaped directive (`\{{#run ...}}`), to be shown literally.
    pub parsed: Result<Option<Directive>, ParseError>,
}

const KEYWORDS: [&str; 3] = ["run-python", "run", "compile-fail"];

/// Finds every `{{#run ...}}` and `{{#run-python ...}}` directive in `text`,
/// in order. Malformed ones are returned as errors, never skipped.
pub fn find(text: &str) -> Vec<Found> {
    scan(text, &KEYWORDS)
        .into_iter()
        .map(|raw| {
            let parsed = match raw.body {
                None => Err(ParseError::Unclosed(raw.keyword.to_string())),
                Some(_) if raw.escaped => Ok(None),
                Some(body) => parse_body(raw.keyword, body).map(Some),
            };
            Found {
                line: raw.line,
                span: raw.span,
                parsed,
            }
        })
        .collect()
}

/// A `{{#KEYWORD ...}}` as it stands in a page, before its body is read.
pub(crate) struct Raw<'a> {
    pub(crate) line: usize,
    pub(crate) span: Range<usize>,
    pub(crate) keyword: &'a str,
    /// What stands between the keyword and `}}`; `None` when `}}` never
    /// comes on that line.
    pub(crate) body: Option<&'a str>,
    pub(crate) escaped: bool,
}

/// Finds every `{{#KEYWORD` of `keywords` (followed by a space or `}}`) in
/// `text`, with its line, its span (backslash included when escaped) and
/// its body. The one scanner behind [`find`], [`find_named`] and
/// [`crate::bench::expansions`].
pub(crate) fn scan<'a>(text: &'a str, keywords: &[&'a str]) -> Vec<Raw<'a>> {
    let mut found = Vec::new();
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let mut from = 0;
        while let Some(pos) = line[from..].find("{{#") {
            let start = from + pos;
            let after = &line[start + 3..];
            let Some(keyword) = keywords.iter().copied().find(|k| {
                after.starts_with(k)
                    && after[k.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| c.is_whitespace() || c == '}')
            }) else {
                from = start + 3;
                continue;
            };
            let escaped = start > 0 && line.as_bytes()[start - 1] == b'\\';
            let body_start = start + 3 + keyword.len();
            let (end, body) = match line[body_start..].find("}}") {
                None => (line.trim_end_matches(['\n', '\r']).len(), None),
                Some(close) => (
                    body_start + close + 2,
                    Some(&line[body_start..body_start + close]),
                ),
            };
            let span_start = if escaped { start - 1 } else { start };
            found.push(Raw {
                line: index + 1,
                span: offset + span_start..offset + end,
                keyword,
                body,
                escaped,
            });
            from = end.max(start + 3);
        }
        offset += line.len();
    }
    found
}

fn parse_body(keyword: &str, body: &str) -> Result<Directive, ParseError> {
    let body = body.trim();
    let (head, rest) = match body.find(" --") {
        Some(i) if body[i + 3..].is_empty() || body[i + 3..].starts_with(char::is_whitespace) => {
            (body[..i].trim(), Some(body[i + 3..].trim()))
        }
        _ => (body, None),
    };
    let mut words = head.split_whitespace();
    let what = match keyword {
        "run" => "an example name",
        "run-python" => "a Python file",
        _ => "a Rust file",
    };
    let name = words
        .next()
        .ok_or_else(|| ParseError::MissingTarget(keyword.to_string(), what))?;
    let extra: Vec<&str> = words.collect();
    if !extra.is_empty() {
        return Err(ParseError::MissingSeparator(
            keyword.to_string(),
            name.to_string(),
            extra.join(" "),
        ));
    }
    let inside = |extension: &str| {
        !name.starts_with('/')
            && name.ends_with(extension)
            && name.split('/').all(|part| part != ".." && !part.is_empty())
    };
    let target = match keyword {
        "run" => {
            if !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(ParseError::BadExampleName(name.to_string()));
            }
            Target::Example(name.to_string())
        }
        "run-python" => {
            if !inside(".py") {
                return Err(ParseError::BadPythonPath(name.to_string()));
            }
            Target::Python(name.to_string())
        }
        _ => {
            if !inside(".rs") {
                return Err(ParseError::BadRustPath(name.to_string()));
            }
            if rest.is_some() {
                return Err(ParseError::CompileFailArguments);
            }
            Target::CompileFail(name.to_string())
        }
    };
    let args = match rest {
        None => Vec::new(),
        Some(rest) => shell_words::split(rest)
            .map_err(|e| ParseError::BadArguments(rest.to_string(), e.to_string()))?,
    };
    Ok(Directive { target, args })
}

impl Directive {
    /// The name of this run's snapshot (without `.snap`), readable in review:
    /// `dishes`, `dishes__--dryers_2`, `python__dishes`.
    ///
    /// Each argument is kept, with characters other than letters, digits,
    /// `.`, `=`, `+` and `-` replaced by `-`; arguments are joined by `_`.
    pub fn snapshot_name(&self) -> String {
        let mut name = match &self.target {
            Target::Example(example) => example.clone(),
            Target::Python(path) => {
                let file = path.rsplit('/').next().unwrap_or(path);
                format!("python__{}", file.trim_end_matches(".py"))
            }
            Target::CompileFail(path) => {
                let file = path.rsplit('/').next().unwrap_or(path);
                format!("compile-fail__{}", file.trim_end_matches(".rs"))
            }
        };
        if !self.args.is_empty() {
            name.push_str("__");
            let args: Vec<String> = self
                .args
                .iter()
                .map(|arg| {
                    arg.chars()
                        .map(|c| {
                            if c.is_ascii_alphanumeric() || matches!(c, '.' | '=' | '+' | '-') {
                                c
                            } else {
                                '-'
                            }
                        })
                        .collect()
                })
                .collect();
            name.push_str(&args.join("_"));
        }
        name
    }

    /// The command a reader types to see this output, as shown on the page:
    /// `cargo run --example dishes -- --dryers 2` or `python3 python/dishes.py`.
    pub fn command_line(&self) -> String {
        let mut line = match &self.target {
            Target::Example(example) => format!("cargo run --example {example}"),
            Target::Python(path) => format!("python3 {path}"),
            Target::CompileFail(path) => format!("rustc --edition 2024 {path}"),
        };
        if !self.args.is_empty() {
            if matches!(self.target, Target::Example(_)) {
                line.push_str(" --");
            }
            line.push(' ');
            line.push_str(&shell_words::join(&self.args));
        }
        line
    }
}

impl fmt::Display for Directive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (keyword, name) = match &self.target {
            Target::Example(example) => ("run", example),
            Target::Python(path) => ("run-python", path),
            Target::CompileFail(path) => ("compile-fail", path),
        };
        write!(f, "{{{{#{keyword} {name}")?;
        if !self.args.is_empty() {
            write!(f, " -- {}", shell_words::join(&self.args))?;
        }
        write!(f, "}}}}")
    }
}

/// A `{{#KEYWORD NAME}}` directive (`quiz`, `exercise`) found in a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedFound {
    /// 1-based line number in the page.
    pub line: usize,
    /// Byte range of the directive (with its backslash, when escaped).
    pub span: std::ops::Range<usize>,
    /// The name, `None` for an escaped `\{{#KEYWORD ...}}`, or why the
    /// directive is malformed.
    pub name: Result<Option<String>, String>,
}

/// Finds every `{{#KEYWORD NAME}}` in a page, where NAME is made of
/// letters, digits, `-` and `_`.
pub fn find_named(text: &str, keyword: &str) -> Vec<NamedFound> {
    let open = format!("{{{{#{keyword}");
    scan(text, &[keyword])
        .into_iter()
        .map(|raw| {
            let name = match raw.body.map(str::trim) {
                None => Err(format!(
                    "`{open}` is not closed with `}}}}` on the same line"
                )),
                Some(_) if raw.escaped => Ok(None),
                Some(body)
                    if !body.is_empty()
                        && body
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
                {
                    Ok(Some(body.to_string()))
                }
                Some(body) => Err(format!(
                    "`{open} {body}}}}}` needs a name (letters, digits, `-`, `_`)"
                )),
            };
            NamedFound {
                line: raw.line,
                span: raw.span,
                name,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str, args: &[&str]) -> Directive {
        Directive {
            target: Target::Example(name.to_string()),
            args: args.iter().map(|a| a.to_string()).collect(),
        }
    }

    fn only(text: &str) -> Found {
        let mut all = find(text);
        assert_eq!(all.len(), 1, "expected one directive in {text:?}: {all:?}");
        all.remove(0)
    }

    #[test]
    fn finds_a_plain_run_with_its_line_and_span() {
        let text = "# Title\n\nSome text.\n{{#run by-hand}}\nMore.\n";
        let found = only(text);
        assert_eq!(found.line, 4);
        assert_eq!(&text[found.span.clone()], "{{#run by-hand}}");
        assert_eq!(found.parsed, Ok(Some(example("by-hand", &[]))));
    }

    #[test]
    fn splits_arguments_like_a_shell() {
        let found = only("{{#run dishes -- --dishes \"salad,big pot\" --dryers 2}}");
        assert_eq!(
            found.parsed,
            Ok(Some(example(
                "dishes",
                &["--dishes", "salad,big pot", "--dryers", "2"]
            )))
        );
    }

    #[test]
    fn parses_python_runs() {
        let found = only("{{#run-python python/dishes.py -- 3}}");
        let directive = Directive {
            target: Target::Python("python/dishes.py".into()),
            args: vec!["3".into()],
        };
        assert_eq!(found.parsed, Ok(Some(directive)));
    }

    #[test]
    fn parses_compile_fail_and_refuses_its_arguments() {
        let found = only("{{#compile-fail compile_fail/start_twice.rs}}");
        let directive = Directive {
            target: Target::CompileFail("compile_fail/start_twice.rs".into()),
            args: vec![],
        };
        assert_eq!(directive.snapshot_name(), "compile-fail__start_twice");
        assert_eq!(
            directive.command_line(),
            "rustc --edition 2024 compile_fail/start_twice.rs"
        );
        assert_eq!(found.parsed, Ok(Some(directive)));
        assert_eq!(
            only("{{#compile-fail a.rs -- -O}}").parsed,
            Err(ParseError::CompileFailArguments)
        );
        assert_eq!(
            only("{{#compile-fail ../a.rs}}").parsed,
            Err(ParseError::BadRustPath("../a.rs".into()))
        );
    }

    #[test]
    fn finds_several_directives_on_one_line_and_across_lines() {
        let all = find("{{#run a}} and {{#run b -- x}}\n\n{{#run-python p.py}}\n");
        let lines: Vec<usize> = all.iter().map(|f| f.line).collect();
        assert_eq!(lines, vec![1, 1, 3]);
    }

    #[test]
    fn leaves_other_mdbook_directives_alone() {
        assert!(
            find("{{#include ../../examples/x.rs:main}} {{#runner}} {{#rustdoc_include a}}")
                .is_empty()
        );
    }

    #[test]
    fn an_escaped_directive_is_found_but_not_run() {
        let text = "Write \\{{#run dishes}} on a page.";
        let found = only(text);
        assert_eq!(found.parsed, Ok(None));
        assert_eq!(&text[found.span.clone()], "\\{{#run dishes}}");
    }

    #[test]
    fn an_unclosed_directive_is_an_error() {
        let found = only("text {{#run dishes\nmore }}");
        assert_eq!(found.parsed, Err(ParseError::Unclosed("run".into())));
        assert_eq!(found.line, 1);
    }

    #[test]
    fn a_directive_without_a_target_is_an_error() {
        assert_eq!(
            only("{{#run}}").parsed,
            Err(ParseError::MissingTarget("run".into(), "an example name"))
        );
        assert_eq!(
            only("{{#run-python   }}").parsed,
            Err(ParseError::MissingTarget(
                "run-python".into(),
                "a Python file"
            ))
        );
    }

    #[test]
    fn arguments_without_the_separator_are_an_error() {
        let err = only("{{#run dishes --dryers 2}}").parsed.unwrap_err();
        assert_eq!(
            err,
            ParseError::MissingSeparator("run".into(), "dishes".into(), "--dryers 2".into())
        );
        assert_eq!(
            err.to_string(),
            "arguments must come after ` -- `, as in `{{#run dishes -- --dryers 2}}`"
        );
    }

    #[test]
    fn bad_names_paths_and_quotes_are_errors() {
        assert_eq!(
            only("{{#run ../evil}}").parsed,
            Err(ParseError::BadExampleName("../evil".into()))
        );
        for path in ["/etc/x.py", "python/../../x.py", "python/x.sh"] {
            assert_eq!(
                only(&format!("{{{{#run-python {path}}}}}")).parsed,
                Err(ParseError::BadPythonPath(path.into()))
            );
        }
        assert!(matches!(
            only("{{#run dishes -- \"open}}").parsed,
            Err(ParseError::BadArguments(..))
        ));
    }

    #[test]
    fn snapshot_names_are_readable_and_distinct() {
        assert_eq!(example("dishes", &[]).snapshot_name(), "dishes");
        assert_eq!(
            example("dishes", &["--dryers", "2"]).snapshot_name(),
            "dishes__--dryers_2"
        );
        assert_eq!(
            example("dishes", &["--dishes", "salad,big pot"]).snapshot_name(),
            "dishes__--dishes_salad-big-pot"
        );
        let python = Directive {
            target: Target::Python("python/by_hand.py".into()),
            args: vec![],
        };
        assert_eq!(python.snapshot_name(), "python__by_hand");
    }

    #[test]
    fn command_lines_are_what_a_reader_types() {
        assert_eq!(
            example("dishes", &["--dishes", "salad,big pot"]).command_line(),
            "cargo run --example dishes -- --dishes 'salad,big pot'"
        );
        let python = Directive {
            target: Target::Python("python/dishes.py".into()),
            args: vec!["2".into()],
        };
        assert_eq!(python.command_line(), "python3 python/dishes.py 2");
    }

    #[test]
    fn display_round_trips_through_find() {
        let directive = example("dishes", &["--dishes", "a b", "--dryers", "2"]);
        let text = directive.to_string();
        assert_eq!(only(&text).parsed, Ok(Some(directive)));
    }
}

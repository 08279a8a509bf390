//! Quick checks: small quizzes at the end of a chapter, answered in the page.
//!
//! A page says `{{#quiz by-hand}}`; the questions live in
//! `book/quizzes/by-hand.toml`:
//!
//! ```toml
//! [[question]]
//! kind = "choice"                      # pick one option
//! prompt = "Which strategy finishes sooner?"
//! options = ["One at a time", "In batches", "Neither"]
//! answer = 2                           # index into options, from 0
//! explain = "Both take three steps per dish, done by one worker."
//!
//! [[question]]
//! kind = "short"                       # type a short answer
//! prompt = "How many dishes wait in the drainer?"
//! accept = ["4", "four"]               # compared without case and spaces
//! explain = "..."
//!
//! [[question]]
//! kind = "prints"                      # what does this program print?
//! run = "by-hand -- --dishes soup"     # like {{#run by-hand -- --dishes soup}}
//! options = ["Washing soup dish\n...", "..."]
//! answer = 0
//! explain = "..."
//! ```
//!
//! A `prints` question's run is part of the book's list of runs: the tests
//! run it and check its snapshot like any `{{#run}}`, and check that the
//! option marked right *is* the program's output and no other option is,
//! so a quiz cannot teach a wrong answer.
//!
//! The quiz renders as plain HTML that works without JavaScript (each
//! question has a "Show the answer" fold); with JavaScript (`quiz.js`,
//! listed in `book.toml` as `additional-js`) the reader clicks an option or
//! types an answer and gets feedback in the page.

use std::fmt::Write as _;

use serde::Deserialize;

use crate::directive::{self, Directive, NamedFound, find_named};

/// A chapter's quiz, as read from its TOML file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quiz {
    /// The questions, in order.
    #[serde(rename = "question")]
    pub questions: Vec<Question>,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Question {
    /// Pick the one right option.
    Choice {
        /// The question (Markdown).
        prompt: String,
        /// The options (Markdown).
        options: Vec<String>,
        /// Index of the right option, from 0.
        answer: usize,
        /// Why the answer is right (Markdown).
        explain: String,
    },
    /// Type a short answer.
    Short {
        /// The question (Markdown).
        prompt: String,
        /// Accepted answers, compared ignoring case and surrounding spaces.
        accept: Vec<String>,
        /// Why the answer is right (Markdown).
        explain: String,
    },
    /// Which of these outputs does the program print?
    Prints {
        /// A directive body, as after `{{#run `: `dishes -- --dryers 2`.
        run: String,
        /// Extra words before the command (Markdown), optional.
        #[serde(default)]
        prompt: String,
        /// Candidate outputs, shown as console text.
        options: Vec<String>,
        /// Index of the option that is the program's real output.
        answer: usize,
        /// Why (Markdown).
        explain: String,
    },
}

/// Why a quiz cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuizError {
    /// The TOML does not describe a quiz.
    #[error("not a valid quiz: {0}")]
    Toml(String),
    /// A quiz without questions.
    #[error("the quiz has no questions")]
    Empty,
    /// A question with fewer than two options.
    #[error("question {0} needs at least two options")]
    TooFewOptions(usize),
    /// An answer index past the end of the options.
    #[error("question {0}: answer {1} is not an option (options are numbered from 0)")]
    NoSuchOption(usize, usize),
    /// The same option twice.
    #[error("question {0}: two options are the same")]
    DuplicateOption(usize),
    /// A short question that accepts nothing.
    #[error("question {0} accepts no answer")]
    NothingAccepted(usize),
    /// A `run` that is not a valid `{{#run}}` body.
    #[error("question {0}: `run = {1:?}` is not a valid {{{{#run ...}}}}: {2}")]
    BadRun(usize, String, String),
}

impl Quiz {
    /// Parses and checks a quiz file's text.
    pub fn parse(text: &str) -> Result<Quiz, QuizError> {
        let quiz: Quiz = toml::from_str(text).map_err(|e| QuizError::Toml(e.to_string()))?;
        if quiz.questions.is_empty() {
            return Err(QuizError::Empty);
        }
        for (index, question) in quiz.questions.iter().enumerate() {
            let number = index + 1;
            match question {
                Question::Choice {
                    options, answer, ..
                }
                | Question::Prints {
                    options, answer, ..
                } => {
                    if options.len() < 2 {
                        return Err(QuizError::TooFewOptions(number));
                    }
                    if *answer >= options.len() {
                        return Err(QuizError::NoSuchOption(number, *answer));
                    }
                    let mut seen = options.clone();
                    seen.sort();
                    seen.dedup();
                    if seen.len() != options.len() {
                        return Err(QuizError::DuplicateOption(number));
                    }
                }
                Question::Short { accept, .. } => {
                    if accept.iter().all(|a| a.trim().is_empty()) {
                        return Err(QuizError::NothingAccepted(number));
                    }
                }
            }
            if let Question::Prints { run, .. } = question {
                run_directive(run).map_err(|e| QuizError::BadRun(number, run.clone(), e))?;
            }
        }
        Ok(quiz)
    }

    /// The runs of this quiz's `prints` questions, with their question
    /// numbers (from 1).
    pub fn runs(&self) -> Vec<(usize, Directive)> {
        self.questions
            .iter()
            .enumerate()
            .filter_map(|(index, question)| match question {
                Question::Prints { run, .. } => run_directive(run)
                    .ok()
                    .map(|directive| (index + 1, directive)),
                _ => None,
            })
            .collect()
    }
}

/// Finds every `{{#quiz NAME}}` in a page.
pub fn find(text: &str) -> Vec<NamedFound> {
    find_named(text, "quiz")
}

/// The directive that `run = "..."` stands for.
pub fn run_directive(run: &str) -> Result<Directive, String> {
    let text = format!("{{{{#run {run}}}}}");
    match directive::find(&text).into_iter().next().map(|f| f.parsed) {
        Some(Ok(Some(directive))) => Ok(directive),
        Some(Err(error)) => Err(error.to_string()),
        _ => Err("not a directive".to_string()),
    }
}

fn markdown(text: &str) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(text));
    keep_lines_in_pre(&html)
}

/// A blank line would end the raw HTML block in the page's Markdown, so
/// newlines inside `<pre>` become `&#10;`, which renders the same.
fn keep_lines_in_pre(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find("<pre") {
        out.push_str(&rest[..open]);
        let close = rest[open..].find("</pre>").map_or(rest.len(), |c| open + c);
        out.push_str(&rest[open..close].replace('\n', "&#10;"));
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

fn inline_markdown(text: &str) -> String {
    let html = markdown(text);
    let trimmed = html.trim();
    trimmed
        .strip_prefix("<p>")
        .and_then(|t| t.strip_suffix("</p>"))
        .filter(|inner| !inner.contains("<p>"))
        .map_or_else(|| trimmed.to_string(), str::to_string)
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn normalise(answer: &str) -> String {
    answer.trim().to_lowercase()
}

/// Renders a quiz as HTML for a page. `name` identifies the quiz.
pub fn render(name: &str, quiz: &Quiz) -> String {
    let mut html = format!("<div class=\"quiz\" data-quiz=\"{}\">\n", escape(name));
    for (index, question) in quiz.questions.iter().enumerate() {
        let number = index + 1;
        let (kind, prompt, explain) = match question {
            Question::Choice {
                prompt, explain, ..
            } => ("choice", inline_markdown(prompt), explain),
            Question::Short {
                prompt, explain, ..
            } => ("short", inline_markdown(prompt), explain),
            Question::Prints {
                prompt,
                run,
                explain,
                ..
            } => {
                let command = run_directive(run)
                    .map(|d| d.command_line())
                    .unwrap_or_else(|_| run.clone());
                let lead = if prompt.is_empty() {
                    "What does this print?".to_string()
                } else {
                    inline_markdown(prompt)
                };
                (
                    "prints",
                    format!(
                        "{lead}</p>\n<pre class=\"quiz-command\"><code>$ {}</code></pre>\n<p>",
                        escape(&command)
                    ),
                    explain,
                )
            }
        };
        let answer_attr = match question {
            Question::Choice { answer, .. } | Question::Prints { answer, .. } => {
                format!(" data-answer=\"{answer}\"")
            }
            Question::Short { accept, .. } => {
                let accepted: Vec<String> = accept.iter().map(|a| escape(&normalise(a))).collect();
                format!(" data-accept=\"{}\"", accepted.join("&#10;"))
            }
        };
        let _ = writeln!(
            html,
            "<div class=\"quiz-question\" data-kind=\"{kind}\"{answer_attr}>\n<p class=\"quiz-prompt\"><strong>{number}.</strong> {prompt}</p>"
        );
        let right_text = match question {
            Question::Choice {
                options, answer, ..
            } => {
                push_options(&mut html, options.iter().map(|o| inline_markdown(o)));
                format!(
                    "{}. {}",
                    letter(*answer),
                    inline_markdown(&options[*answer])
                )
            }
            Question::Prints {
                options, answer, ..
            } => {
                push_options(
                    &mut html,
                    options.iter().map(|o| {
                        let text = escape(o.trim_end()).replace('\n', "&#10;");
                        format!("<pre><code>{text}</code></pre>")
                    }),
                );
                format!("{}", letter(*answer))
            }
            Question::Short { accept, .. } => {
                html.push_str("<p class=\"quiz-short\"><input type=\"text\" class=\"quiz-input\" aria-label=\"Your answer\"> <button type=\"button\" class=\"quiz-check\">Check</button></p>\n");
                escape(&accept[0])
            }
        };
        html.push_str("<p class=\"quiz-feedback\" role=\"status\" hidden></p>\n");
        let _ = writeln!(
            html,
            "<details class=\"quiz-answer\"><summary>Show the answer</summary>\n<p><strong>Answer: {right_text}</strong></p>\n{}</details>\n</div>",
            markdown(explain)
        );
    }
    html.push_str("</div>\n");
    html
}

/// The options of a question, as buttons lettered A, B, C...
fn push_options(html: &mut String, options: impl Iterator<Item = String>) {
    html.push_str("<ol class=\"quiz-options\" type=\"A\">\n");
    for (i, option) in options.enumerate() {
        let _ = writeln!(
            html,
            "<li><button type=\"button\" class=\"quiz-option\" data-index=\"{i}\">{option}</button></li>"
        );
    }
    html.push_str("</ol>\n");
}

fn letter(index: usize) -> char {
    u8::try_from(index)
        .ok()
        .and_then(|i| b'A'.checked_add(i))
        .map_or('?', char::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUIZ: &str = r#"
[[question]]
kind = "choice"
prompt = "Which is *faster*?"
options = ["One at a time", "Batches", "Neither"]
answer = 2
explain = "Same steps."

[[question]]
kind = "short"
prompt = "How many?"
accept = [" Four ", "4"]
explain = "All of them."

[[question]]
kind = "prints"
run = "by-hand -- --dishes soup"
options = ["Washing soup dish", "Drying soup dish"]
answer = 0
explain = "Washing comes first."
"#;

    #[test]
    fn finds_quiz_directives() {
        let found = find("a\n{{#quiz by-hand}}\n\\{{#quiz x}} {{#quiz ../x}} {{#quizzes}}\n");
        let names: Vec<_> = found.iter().map(|f| (f.line, f.name.clone())).collect();
        assert_eq!(names[0], (2, Ok(Some("by-hand".to_string()))));
        assert_eq!(names[1], (3, Ok(None)));
        assert!(names[2].1.is_err());
        assert_eq!(names.len(), 3);
    }

    #[test]
    fn rendered_html_has_no_blank_line() {
        let quiz = Quiz::parse(
            "[[question]]\nkind = \"prints\"\nrun = \"x\"\noptions = [\"a\\n\\nb\", \"c\"]\nanswer = 0\nexplain = \"One.\\n\\n```\\nx\\n\\ny\\n```\"\n",
        )
        .expect("valid quiz");
        let html = render("x", &quiz);
        assert!(!html.contains("\n\n"), "{html}");
        assert!(html.contains("a&#10;&#10;b"), "{html}");
    }

    #[test]
    fn parses_all_three_kinds() {
        let quiz = Quiz::parse(QUIZ).expect("valid quiz");
        assert_eq!(quiz.questions.len(), 3);
        let runs = quiz.runs();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].0, 3);
        assert_eq!(runs[0].1.snapshot_name(), "by-hand__--dishes_soup");
    }

    #[test]
    fn renders_buttons_answers_and_a_no_script_fold() {
        let html = render("by-hand", &Quiz::parse(QUIZ).expect("valid quiz"));
        assert!(html.starts_with("<div class=\"quiz\" data-quiz=\"by-hand\">"));
        assert!(html.contains("data-kind=\"choice\" data-answer=\"2\""));
        assert!(html.contains("Which is <em>faster</em>?"));
        assert!(html.contains("data-accept=\"four&#10;4\""));
        assert!(html.contains("<pre class=\"quiz-command\"><code>$ cargo run --example by-hand -- --dishes soup</code></pre>"));
        assert!(html.contains("<strong>Answer: C. Neither</strong>"));
        assert_eq!(html.matches("<details class=\"quiz-answer\">").count(), 3);
    }

    #[test]
    fn escapes_program_output_in_options() {
        let quiz = Quiz::parse(
            "[[question]]\nkind = \"prints\"\nrun = \"x\"\noptions = [\"a <b>\", \"c & d\"]\nanswer = 0\nexplain = \"\"\n",
        )
        .expect("valid quiz");
        let html = render("x", &quiz);
        assert!(html.contains("a &lt;b&gt;"), "{html}");
        assert!(html.contains("c &amp; d"), "{html}");
    }

    #[test]
    fn rejects_broken_quizzes() {
        let cases = [
            ("", QuizError::Toml(String::new())),
            ("question = []", QuizError::Empty),
            (
                "[[question]]\nkind = \"choice\"\nprompt = \"p\"\noptions = [\"a\"]\nanswer = 0\nexplain = \"\"",
                QuizError::TooFewOptions(1),
            ),
            (
                "[[question]]\nkind = \"choice\"\nprompt = \"p\"\noptions = [\"a\", \"b\"]\nanswer = 2\nexplain = \"\"",
                QuizError::NoSuchOption(1, 2),
            ),
            (
                "[[question]]\nkind = \"choice\"\nprompt = \"p\"\noptions = [\"a\", \"a\"]\nanswer = 0\nexplain = \"\"",
                QuizError::DuplicateOption(1),
            ),
            (
                "[[question]]\nkind = \"short\"\nprompt = \"p\"\naccept = [\" \"]\nexplain = \"\"",
                QuizError::NothingAccepted(1),
            ),
        ];
        for (text, expected) in cases {
            let error = Quiz::parse(text).expect_err(text);
            match expected {
                QuizError::Toml(_) => assert!(matches!(error, QuizError::Toml(_)), "{error}"),
                expected => assert_eq!(error, expected),
            }
        }
        let bad_run = "[[question]]\nkind = \"prints\"\nrun = \"dishes --dryers 2\"\noptions = [\"a\", \"b\"]\nanswer = 0\nexplain = \"\"";
        assert!(matches!(
            Quiz::parse(bad_run),
            Err(QuizError::BadRun(1, _, _))
        ));
        let unknown_kind = "[[question]]\nkind = \"essay\"\nprompt = \"p\"\nexplain = \"\"";
        assert!(matches!(Quiz::parse(unknown_kind), Err(QuizError::Toml(_))));
    }
}

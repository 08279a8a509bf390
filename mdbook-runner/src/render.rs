//! Reading accepted snapshots and turning a directive into a console block.

use crate::directive::Directive;

/// Extracts the accepted output from the text of an insta `.snap` file.
///
/// A snapshot file is a small YAML header between two `---` lines, then
/// the snapshot itself. Returns `None` when the text is not in that form.
pub fn snapshot_contents(file_text: &str) -> Option<&str> {
    let rest = file_text.strip_prefix("---\n")?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        offset += line.len();
        if line == "---\n" {
            return Some(rest[offset..].trim_end_matches('\n'));
        }
    }
    None
}

/// Renders the console block that replaces `directive` on a page: the
/// command line after `$ `, then the program's accepted output.
///
/// The fence is longer than any run of backticks in the output, so any
/// output renders as it is.
pub fn console_block(directive: &Directive, output: &str) -> String {
    let longest_run = output.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run.max(2) + 1);
    let mut block = format!("{fence}console\n$ {}\n", directive.command_line());
    if !output.is_empty() {
        block.push_str(output);
        block.push('\n');
    }
    block.push_str(&fence);
    block
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directive::Target;

    fn dishes(args: &[&str]) -> Directive {
        Directive {
            target: Target::Example("dishes".into()),
            args: args.iter().map(|a| a.to_string()).collect(),
        }
    }

    #[test]
    fn reads_the_body_after_the_insta_header() {
        let file = "---\nsource: tests/book.rs\ndescription: cargo run --example dishes\n---\nWashing salad dish\nDrying salad dish\n";
        assert_eq!(
            snapshot_contents(file),
            Some("Washing salad dish\nDrying salad dish")
        );
    }

    #[test]
    fn keeps_dashes_inside_the_body() {
        let file = "---\nsource: x\n---\na\n---\nb\n";
        assert_eq!(snapshot_contents(file), Some("a\n---\nb"));
    }

    #[test]
    fn rejects_text_that_is_not_a_snapshot() {
        assert_eq!(snapshot_contents("Washing salad dish\n"), None);
        assert_eq!(snapshot_contents("---\nsource: x\n"), None);
    }

    #[test]
    fn renders_the_command_then_the_output() {
        let block = console_block(
            &dishes(&["--dryers", "2"]),
            "Washing salad dish\nDrying salad dish",
        );
        assert_eq!(
            block,
            "```console\n$ cargo run --example dishes -- --dryers 2\nWashing salad dish\nDrying salad dish\n```"
        );
    }

    #[test]
    fn an_empty_output_shows_just_the_command() {
        assert_eq!(
            console_block(&dishes(&[]), ""),
            "```console\n$ cargo run --example dishes\n```"
        );
    }

    #[test]
    fn backticks_in_the_output_get_a_longer_fence() {
        let block = console_block(&dishes(&[]), "a ``` b");
        assert!(block.starts_with("````console\n"), "{block}");
        assert!(block.ends_with("\n````"), "{block}");
    }
}

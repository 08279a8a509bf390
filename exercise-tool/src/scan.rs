//! Cheap refusals, before anything is built: what a hand-in may not do,
//! found in its tokens (comments and string contents are not tokens, so a
//! comment that mentions `unsafe` is fine). The sandboxes are the real
//! defence; these give a clear message for what is plainly off-limits.
//!
//! Identifiers cannot be made up by a macro (`concat_idents!` is not
//! stable), so an identifier that is not in the file's tokens is not in
//! the program either.

use std::str::FromStr as _;

use proc_macro2::{Delimiter, TokenStream, TokenTree};

use crate::Refusal;

/// What a hand-in's `file` tried that it may not, if anything: the first
/// offence. `extra` are the exercise's own refusals.
pub fn refusal(file: &str, source: &str, extra: &[Refusal]) -> Option<String> {
    // A file that does not lex does not compile either: the compiler says why.
    let tokens = TokenStream::from_str(source).ok()?;
    let mut found = None;
    walk(tokens, false, &mut |ident, next_is_bang, in_attribute| {
        if found.is_some() {
            return;
        }
        let why = match ident {
            "unsafe" => Some("`unsafe` code (the checks' harness forbids it)".to_string()),
            "include" | "include_str" | "include_bytes" => Some(format!(
                "`{ident}!` (reading files at compile time; a hand-in is its own .rs files)"
            )),
            "env" | "option_env" if next_is_bang => Some(format!(
                "`{ident}!` (reading the build's environment at compile time)"
            )),
            "path" if in_attribute => Some(
                "a `#[path]` attribute (modules come from the hand-in's own src/ folder)"
                    .to_string(),
            ),
            "link_section" | "no_mangle" | "export_name" | "used" | "link" | "link_name"
            | "linkage"
                if in_attribute =>
            {
                Some(format!(
                    "a `#[{ident}]` attribute (code that runs before the checks, or symbols \
                     that replace theirs)"
                ))
            }
            "asm" | "global_asm" | "naked_asm" => Some(format!("`{ident}!` (assembly)")),
            "long_running_const_eval" | "recursion_limit" | "type_length_limit" => Some(format!(
                "`{ident}` (the compiler's limits on compile-time work stay as they are)"
            )),
            "stdout" | "stderr" | "Stdout" | "Stderr" | "StdoutLock" | "StderrLock" => {
                Some(format!(
                    "`{ident}` (writing past the checks' capture of the output; use println!, \
                     which the checks capture)"
                ))
            }
            _ => extra
                .iter()
                .find(|r| r.name == ident)
                .map(|r| format!("`{ident}` ({})", r.why)),
        };
        if let Some(why) = why {
            found = Some(format!("{file}: {why}"));
        }
    });
    found
}

/// Calls `visit(identifier, followed_by_bang, inside_an_attribute)` for
/// every identifier, at every depth (macro bodies included).
fn walk(tokens: TokenStream, in_attribute: bool, visit: &mut dyn FnMut(&str, bool, bool)) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Ident(ident) => {
                let bang =
                    matches!(trees.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!');
                visit(&ident.to_string(), bang, in_attribute);
            }
            TokenTree::Group(group) => {
                // `#[...]` and `#![...]`: the brackets after a `#` (and `!`).
                let attribute = group.delimiter() == Delimiter::Bracket
                    && match (
                        i.checked_sub(1).map(|j| &trees[j]),
                        i.checked_sub(2).map(|j| &trees[j]),
                    ) {
                        (Some(TokenTree::Punct(p)), _) if p.as_char() == '#' => true,
                        (Some(TokenTree::Punct(b)), Some(TokenTree::Punct(h)))
                            if b.as_char() == '!' && h.as_char() == '#' =>
                        {
                            true
                        }
                        _ => false,
                    };
                walk(group.stream(), in_attribute || attribute, visit);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::refusal;
    use crate::Refusal;

    #[test]
    fn an_exercise_refuses_names_of_its_own() {
        let no_washup = [Refusal {
            name: "washup".into(),
            why: "build it yourself".into(),
        }];
        let code = "use washup::sync::JoinableQueue as Q;\npub struct Rack(Q<u8>);";
        assert_eq!(
            refusal("src/lib.rs", code, &no_washup).as_deref(),
            Some("src/lib.rs: `washup` (build it yourself)")
        );
        assert_eq!(refusal("src/lib.rs", code, &[]), None);
    }

    #[test]
    fn plain_code_and_words_in_comments_and_strings_pass() {
        let code = "// unsafe, include_str!, #[path]\nuse std::path::Path;\n\
                    pub fn f() -> &'static str { \"unsafe stdout\" }\n\
                    #[derive(Debug)] pub struct S;\n";
        assert_eq!(refusal("src/lib.rs", code, &[]), None);
    }

    #[test]
    fn each_offence_is_named() {
        for (code, says) in [
            ("pub fn f() { unsafe {} }", "`unsafe`"),
            (
                "const S: &str = include_str!(\"/etc/passwd\");",
                "include_str",
            ),
            (
                "macro_rules! m { ($i:ident) => { $i!(\"x\") } } m!(include_bytes);",
                "include_bytes",
            ),
            ("#[path = \"../../solution/src/lib.rs\"] mod x;", "#[path]"),
            ("#[cfg_attr(all(), path = \"x.rs\")] mod x;", "#[path]"),
            ("const H: &str = env!(\"HOME\");", "env!"),
            (
                "#[unsafe(link_section = \".init_array\")] static X: u8 = 0;",
                "unsafe",
            ),
            ("#[used] static X: u8 = 0;", "#[used]"),
            ("std::arch::global_asm!(\"\");", "global_asm"),
            ("fn f() { let _ = std::io::stdout(); }", "stdout"),
        ] {
            let why = refusal("src/lib.rs", code, &[]).unwrap_or_else(|| panic!("{code} passes"));
            assert!(why.contains(says), "{code}: {why}");
            assert!(why.starts_with("src/lib.rs: "), "{why}");
        }
    }
}

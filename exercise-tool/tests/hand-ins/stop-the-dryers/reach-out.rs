//! At run time: read the solution by its absolute path, overwrite the
//! official checks, rewrite every other hand-in, write a file outside its
//! folder, read a secret file and the environment, reach the network,
//! write /proc/self/mem. Whatever works is reported as a LEAK.
use std::io::Write as _;

fn attempt(leaks: &mut Vec<String>) {
    let repo = "{{REPO}}";
    if let Ok(text) = std::fs::read_to_string(format!("{repo}/exercises/stop-the-dryers/solution/src/lib.rs")) {
        leaks.push(format!("read the solution ({} bytes)", text.len()));
    }
    if std::fs::write(format!("{repo}/exercises/stop-the-dryers/checks.rs"), "// gone\n").is_ok() {
        leaks.push("overwrote checks.rs".into());
    }
    if let Ok(entries) = std::fs::read_dir("{{SUBMISSIONS}}") {
        for entry in entries.flatten() {
            if std::fs::write(entry.path().join("src/lib.rs"), "// vandalised\n").is_ok() {
                leaks.push(format!("rewrote {}", entry.path().display()));
            }
        }
    }
    if std::fs::write("{{OUTSIDE}}", "I was here\n").is_ok() {
        leaks.push("wrote outside".into());
    }
    if let Ok(secret) = std::fs::read_to_string("{{SECRET_FILE}}") {
        leaks.push(format!("read the secret file: {secret}"));
    }
    for (key, value) in std::env::vars() {
        // What the sandbox sets, and nothing else.
        let expected = ["PATH", "HOME", "TMPDIR", "PWD", "RUST_BACKTRACE", "MALLOC_ARENA_MAX"];
        if !expected.contains(&key.as_str()) {
            leaks.push(format!("env {key}={value}"));
        }
    }
    if std::net::TcpStream::connect_timeout(&"1.1.1.1:53".parse().unwrap(), std::time::Duration::from_secs(1)).is_ok() {
        leaks.push("reached the network".into());
    }
    if let Ok(mut mem) = std::fs::OpenOptions::new().read(true).write(true).open("/proc/self/mem") {
        let _ = mem.flush();
        leaks.push("opened /proc/self/mem".into());
    }
    if std::fs::read_dir("/home").is_ok() || std::fs::read_dir("/root").map(|d| d.count() > 0).unwrap_or(false) {
        leaks.push("sees home folders".into());
    }
}

pub fn dry_all<D>(_dishes: &[&str], _dryers: Vec<D>) -> Vec<Vec<String>>
where
    D: FnMut(&str) + Send + 'static,
{
    let mut leaks = Vec::new();
    attempt(&mut leaks);
    if leaks.is_empty() {
        panic!("nothing reached");
    }
    panic!("LEAK {}", leaks.join("; "))
}

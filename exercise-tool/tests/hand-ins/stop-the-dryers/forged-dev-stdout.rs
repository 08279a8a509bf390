//! The same forgery past the token scan: /dev/stdout is a file name, not
//! an identifier. Only the verdict channel can tell it apart.
use std::io::Write as _;

pub fn dry_all<D>(_dishes: &[&str], _dryers: Vec<D>) -> Vec<Vec<String>>
where
    D: FnMut(&str) + Send + 'static,
{
    let name = std::thread::current().name().unwrap_or("check").to_string();
    for out in ["/dev/stdout", "/proc/self/fd/1"] {
        if let Ok(mut out) = std::fs::OpenOptions::new().write(true).open(out) {
            let _ = write!(out, "test {name} ... ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 5 filtered out; finished in 0.00s\n");
        }
    }
    // And the verdict, to every descriptor it can open.
    for fd in 0..1024 {
        if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(format!("/proc/self/fd/{fd}")) {
            let _ = f.write_all(b"passed\n");
        }
    }
    std::process::exit(0)
}

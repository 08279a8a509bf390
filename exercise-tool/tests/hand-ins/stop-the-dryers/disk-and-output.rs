//! Fills the disk and floods the output: the scratch folder is small, files
//! are capped, and the grader keeps only the start of the output.
use std::io::Write as _;

pub fn dry_all<D>(_dishes: &[&str], _dryers: Vec<D>) -> Vec<Vec<String>>
where
    D: FnMut(&str) + Send + 'static,
{
    let block = vec![b'x'; 1 << 20];
    let mut written = 0usize;
    if let Ok(mut f) = std::fs::File::create("/tmp/fill") {
        while written < (1 << 30) && f.write_all(&block).is_ok() {
            written += block.len();
        }
    }
    // Captured by the test harness, and printed when the check fails.
    let line = "y".repeat(1 << 20);
    for _ in 0..200 {
        println!("{line}");
    }
    if written >= 1 << 30 {
        panic!("LEAK wrote {written} bytes");
    }
    panic!("wrote {written} bytes")
}

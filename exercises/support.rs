//! Helpers shared by the exercises' checks. `cargo exercise` copies this
//! file next to each exercise's `checks.rs`, which uses it with
//! `mod support;`. Students never edit it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

/// The message of a panic payload.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic".to_string())
}

/// The pids of this process's children, zombies included, from /proc.
pub fn children() -> Vec<i32> {
    let me = std::process::id().to_string();
    let mut kids = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue; // it ended meanwhile
        };
        // "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        if rest.split_whitespace().nth(1) == Some(me.as_str()) {
            kids.push(pid);
        }
    }
    kids
}

/// How many threads this process has now, from /proc.
pub fn threads_now() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Waits until this process has no more than `before` threads, at most
/// 2 s (a joined thread has ended; the kernel drops it from /proc right
/// after), and returns how many threads are left above `before`.
pub fn threads_left_above(before: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(2);
    while threads_now() > before && Instant::now() < deadline {
        std::thread::yield_now();
    }
    threads_now().saturating_sub(before)
}

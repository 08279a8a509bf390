//! What the benchmarks share: running the Python side of a comparison.

use std::process::Command;

/// Runs `python3 SCRIPT ARG` from the repository root and returns what it
/// printed, or why there is nothing (no python3, or the script failed).
pub fn python(script: &str, arg: u64) -> Result<String, String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = Command::new("python3")
        .arg(script)
        .arg(arg.to_string())
        .current_dir(root)
        .output()
        .map_err(|e| format!("python3 not run ({e})"))?;
    if !output.status.success() {
        return Err(format!(
            "{script} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

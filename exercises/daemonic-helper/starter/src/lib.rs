//! Exercise: a dryer that goes when the washer goes (chapter "Daemon processes").

use washup::{JoinableQueue, Process, ProcessError, Queue};

/// Starts a dryer process that must not outlive the calling process. It
/// takes dishes off `rack` forever, reports `Drying <dish> dish` on `dried`
/// and marks each dish done. Returns the started `Process`, or the error of
/// `start` (e.g. `ProcessError::DaemonicParent` inside a daemonic process).
pub fn start_dryer(
    rack: JoinableQueue<String>,
    dried: Queue<String>,
) -> Result<Process, ProcessError> {
    // 1. Process::new(move || loop { ... }): get, report, task_done.
    // 2. Which flag makes a helper die with its parent? Set it before start().
    // 3. start() it; hand any error back to the caller.
    let _ = (rack, dried);
    todo!("start a dryer that never outlives its parent")
}

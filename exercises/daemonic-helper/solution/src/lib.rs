//! Exercise: a dryer that goes when the washer goes (chapter "Daemon processes")
//! — reference solution.

use washup::{JoinableQueue, Process, ProcessError, Queue};

/// Starts a dryer process that must not outlive the calling process. It
/// takes dishes off `rack` forever, reports `Drying <dish> dish` on `dried`
/// and marks each dish done. Returns the started `Process`, or the error of
/// `start` (e.g. `ProcessError::DaemonicParent` inside a daemonic process).
pub fn start_dryer(
    rack: JoinableQueue<String>,
    dried: Queue<String>,
) -> Result<Process, ProcessError> {
    let mut dryer = Process::new(move || {
        loop {
            let dish = rack.get().expect("the rack is open");
            dried
                .put(format!("Drying {dish} dish"))
                .expect("the report queue is open");
            rack.task_done().expect("one task_done per get");
        }
    })
    .name("dryer")
    .daemon(true); // dies with its parent, even if the parent is killed
    dryer.start()?;
    Ok(dryer)
}

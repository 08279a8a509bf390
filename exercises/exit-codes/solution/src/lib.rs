//! Exercise: exit codes, the Python way (chapter "Processes") — reference solution.

use washup::{Process, ProcessError};

/// One job for the dishwasher.
pub struct Job {
    /// The job's name; its process gets this name too.
    pub name: String,
    /// What the job's process runs.
    pub work: Box<dyn FnOnce()>,
    /// True for a job that never ends by itself: kill it (SIGKILL).
    pub endless: bool,
}

/// How one job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    /// The job's name.
    pub name: String,
    /// The pid of the process that ran the job.
    pub pid: i32,
    /// Its exit code, as Python reports it: 0, 1, or minus a signal number.
    pub exitcode: i32,
}

/// Runs each job in a process of its own, kills the endless ones, waits for
/// all of them and reports how each ended, in the order of `jobs`.
pub fn run_jobs(jobs: Vec<Job>) -> Result<Vec<Ended>, ProcessError> {
    let mut started: Vec<(Process, bool)> = Vec::new();
    for job in jobs {
        let mut process = Process::new(job.work).name(job.name);
        process.start()?;
        started.push((process, job.endless));
    }
    // Every job runs now; the endless ones will never end by themselves.
    for (process, endless) in &mut started {
        if *endless {
            process.kill()?;
        }
    }
    let mut ended = Vec::new();
    for (mut process, _) in started {
        process.join()?; // reaps the child
        ended.push(Ended {
            name: process.get_name().to_string(),
            pid: process.pid().unwrap_or(0),
            exitcode: process.exitcode().unwrap_or(i32::MIN),
        });
    }
    Ok(ended)
}

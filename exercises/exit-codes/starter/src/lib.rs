//! Exercise: exit codes, the Python way (chapter "Processes").

use washup::ProcessError;
// You will need this too:
// use washup::Process;

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
    // 1. For each job: Process::new(job.work).name(...), then start() it.
    //    Remember which processes are endless.
    // 2. Once all are started: kill() the endless ones.
    // 3. join() each process and read its pid() and exitcode().
    let _ = jobs;
    todo!("start one process per job, kill the endless ones, join them all")
}

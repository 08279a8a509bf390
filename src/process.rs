//! Processes (Python: `multiprocessing.Process`). Work in progress.

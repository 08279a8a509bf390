//! Queues between processes (Python: `multiprocessing.Queue`). Work in progress.

//! queue tests (work in progress)

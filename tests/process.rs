//! process tests (work in progress)

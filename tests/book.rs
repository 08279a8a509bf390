//! book tests (work in progress)

//! End-to-end tests for `ops` (to be written).

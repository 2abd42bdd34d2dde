//! End-to-end tests for `tenant` (to be written).

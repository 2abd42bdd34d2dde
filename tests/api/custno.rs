//! End-to-end tests for `custno` (to be written).

//! End-to-end tests for `v1core` (to be written).

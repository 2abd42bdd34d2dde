//! End-to-end tests for `ndata` (to be written).

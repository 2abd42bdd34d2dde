//! End-to-end tests for `odata` (to be written).

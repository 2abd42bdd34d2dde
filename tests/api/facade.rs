//! End-to-end tests for `facade` (to be written).

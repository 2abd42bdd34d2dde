#![cfg(all(feature = "server", feature = "client"))]
//! Client tests (being written).

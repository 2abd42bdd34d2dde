#![doc = include_str!("../README.md")]

pub mod conformance;
pub mod fixtures;

pub use fixtures::sample_customers;

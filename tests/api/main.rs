//! End-to-end tests: one binary (ripgrep style), one module per area.

mod helpers;

mod custno;
mod facade;
mod gateway;
mod matrix;
mod ndata;
mod odata;
mod ops;
mod robustness;
mod tenant;
mod v1core;
mod writeback;

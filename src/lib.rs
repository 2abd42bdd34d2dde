//! The custgate binary's library half: settings, application assembly, CLI and telemetry.
//! `main.rs` only parses the command line and calls into here.

pub mod app;
pub mod cli;
pub mod settings;
pub mod telemetry;

pub use app::Application;
pub use settings::Settings;

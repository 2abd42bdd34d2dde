use clap::Parser;

// A gateway allocates and frees many small buffers per request (JSON values, headers,
// strings); mimalloc does that markedly cheaper than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = custgate::cli::Cli::parse();
    custgate::cli::run(cli)
}

use std::process::ExitCode;

use clap::Parser;

/// mimalloc gives back to the system the memory a burst of work freed (the public search
/// index's fill reads every live article once); glibc's allocator kept ~2.3 KB per article of
/// it, free but held, for the life of the process (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    if let Err(err) = dotenvy::dotenv()
        && !err.not_found()
    {
        eprintln!("error: cannot read .env: {err}");
        return ExitCode::FAILURE;
    }
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    match gazette::cli::run(gazette::config::Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

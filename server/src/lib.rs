//! The MealQuest process: configuration, telemetry, router, workers, start-up and shutdown.

pub mod config;
pub mod health;
pub mod shutdown;
pub mod startup;
pub mod telemetry;
pub mod timeout;
pub mod workers;

/// mimalloc for the whole process (binary, tests and benchmarks link this crate): under
/// concurrent load glibc's malloc and its lock spent about a third of the CPU time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

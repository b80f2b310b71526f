//! `surreal start …`, exactly as the official binary: the scale-out tests start one of these
//! and point two app processes at it.

fn main() -> std::process::ExitCode {
    surrealdb_server::init(surrealdb_server::core::CommunityComposer())
}

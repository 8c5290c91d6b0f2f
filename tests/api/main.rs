//! The integration tests, in one binary: each module is the tests of one subject, and
//! `support` holds what they share. Every test makes its own database (a SQLite file, or a
//! PostgreSQL database when `GAZETTE_TEST_POSTGRES` is set), so all of them run in one
//! process, side by side. One subject: `cargo test --test api replicas::`.

mod support;

mod admission;
mod articles;
mod auth;
mod bounds;
mod cli;
mod concurrency;
mod crash;
mod delivery;
mod editorial;
mod egress;
mod embargo;
mod encoded_bodies;
mod errors;
mod feeds;
mod golive;
mod hostile;
mod limits;
mod openapi;
mod operations;
mod previews;
mod queries;
mod replica_races;
mod replicas;
mod responses;
mod search;
mod seed_article;
mod smoke;
mod tag_counts;
mod tags;
mod transfer;
mod webhooks;
mod webhooks_restart;
mod xss;

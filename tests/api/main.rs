//! The integration tests: one binary, a module per area. Each test builds the app `main`
//! builds, on a fresh SQLite file or, with `GAZETTE_TEST_POSTGRES`, a fresh PostgreSQL
//! database (`support::common::Ctx`). All of them run side by side in this one process; one
//! area alone: `cargo test --test api queries::`.

mod support;

mod admission;
mod articles;
mod auth;
mod authors;
mod bounds;
mod cdn;
mod change_log;
mod cli;
mod collections;
mod concurrency;
mod corrections;
mod crash;
mod delivery;
mod editorial;
mod egress;
mod embargo;
mod encoded_bodies;
mod errors;
mod event_stream;
mod feeds;
mod golive;
mod hostile;
mod images;
mod limits;
mod live_blogs;
mod openapi;
mod operations;
mod previews;
mod queries;
mod replica_races;
mod replicas;
mod responses;
mod search;
mod search_facets;
mod search_index;
mod search_syntax;
mod seed_article;
mod smoke;
mod spec_examples;
mod suggest;
mod sync_feed;
mod tag_counts;
mod tags;
mod transfer;
mod varnish;
mod webhooks;
mod webhooks_restart;
mod xss;

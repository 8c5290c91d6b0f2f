//! Gazette: a headless JSON content API for news publishers.

pub mod admission;
pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod content;
pub mod db;
pub mod delivery;
pub mod demo;
pub mod egress;
pub mod error;
pub mod golive;
pub mod guard;
pub mod keep;
pub mod observe;
pub mod openapi;
pub mod ratelimit;
pub mod responses;
pub mod schema;
pub mod webhooks;

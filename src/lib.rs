//! Gazette: a headless JSON content API for news publishers.

pub mod api;
pub mod app;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod client_address;
pub mod config;
pub mod content;
pub mod db;
pub mod demo;
pub mod egress;
pub mod error;
pub mod follower;
pub mod golive;
pub mod hub;
pub mod images;
pub mod middleware;
pub mod observe;
pub mod openapi;
pub mod purger;
pub mod ratelimit;
pub mod representation;
pub mod schema;
pub mod state;
pub mod url_key;
pub mod webhooks;

//! What wraps every request, outermost first: [`screen`] (refusals before anything is read,
//! security headers), [`conditional`] (HEAD, validators, 304, compression),
//! [`response_cache`] (whole public answers from memory, SQLite), [`admission`] (how many
//! reads reach the database at once) and [`article_cache`] (public articles from memory while
//! their stamp holds, both backends). The two caches are the one caching layer: handlers know
//! nothing of them. Middleware reaches the state and the layers below it, never a handler.

pub mod admission;
pub mod article_cache;
pub mod conditional;
pub mod response_cache;
pub mod screen;

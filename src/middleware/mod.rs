//! What wraps every request, outermost first: [`cors`] (any origin reads, listed ones
//! write), [`screen`] (refusals before anything is read, security headers), [`conditional`] (HEAD, validators, 304, compression),
//! [`response_cache`] (whole public answers from memory until a change names what they show,
//! both backends; the CDN's tag headers, [`cdn`]) and [`admission`] (how many reads reach the
//! database at once). The cache is the one caching layer: handlers only say what an answer
//! shows. Middleware reaches the state and the layers below it, never a handler.

pub mod admission;
pub mod cdn;
pub mod conditional;
pub mod cors;
pub mod response_cache;
pub mod screen;

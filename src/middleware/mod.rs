//! What wraps every request, outermost first: [`screen`] (refusals before anything is read,
//! security headers), [`conditional`] (HEAD, validators, 304, compression),
//! [`response_cache`] (public answers from memory) and [`admission`] (how many reads reach
//! the database at once). Middleware reaches the state and the layers below it, never a
//! handler.

pub mod admission;
pub mod conditional;
pub mod response_cache;
pub mod screen;

//! What the tests share: a fresh app and database per test (`common`), the database they run
//! on (`backend`), the real binary (`binary`), load helpers (`load`) and a webhook receiver
//! (`receiver`).

pub mod backend;
pub mod binary;
pub mod common;
pub mod load;
pub mod receiver;
pub mod sse;

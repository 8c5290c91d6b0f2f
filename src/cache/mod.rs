//! Public answers kept in memory within a budget of bytes (`RESPONSE_CACHE_MB`) and dropped
//! by the keys of the changes that affect them ([`responses`]).

pub mod responses;

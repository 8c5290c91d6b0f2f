//! Articles with their tags and ordered related links.
//!
//! `model` is the vocabulary the other stores share; `read` reads; `change` says what a
//! write changed; `write` is the
//! one path every change to an article takes; `schedule` brings scheduled articles live
//! through it. Stores beside this one (`related`, `revisions`, `search`, `tags`, `live`,
//! `previews`) import `model` and `read`, and `write` calls them, never the reverse.

pub mod blocks;
pub(in crate::db) mod change;
pub(in crate::db) mod linking;
pub mod model;
pub(in crate::db) mod read;
pub(in crate::db) mod schedule;
pub(in crate::db) mod write;

pub use model::*;
pub use read::{
    block_visibility, count_all, find, find_live, find_showing, list, moved, published_index,
    recent, related,
};
pub use schedule::{GoLive, go_live, next_due};
pub use write::{correct, create, delete, import, replace_related, restore, update};

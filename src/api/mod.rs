//! HTTP handlers, one module per resource, and what they share.

pub mod articles;
pub mod extract;
pub mod meta;
pub mod pagination;
pub mod tags;
pub mod validate;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::config::Settings;
use crate::db::{self, Pool};

/// What every handler can reach.
#[derive(Debug)]
pub struct AppState {
    pub pool: Pool,
    pub settings: Settings,
}

pub type State = actix_web::web::Data<AppState>;

/// A tag as shown on an article.
#[derive(Debug, Serialize, ToSchema)]
pub struct Tagged {
    #[schema(example = "transport")]
    pub slug: String,
    #[schema(example = "Transport")]
    pub name: String,
}

impl From<db::articles::TagRef> for Tagged {
    fn from(t: db::articles::TagRef) -> Self {
        Self {
            slug: t.slug,
            name: t.name,
        }
    }
}

/// A stored naive UTC time as sent.
pub fn utc(ts: NaiveDateTime) -> DateTime<Utc> {
    ts.and_utc()
}

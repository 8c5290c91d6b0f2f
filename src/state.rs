//! What every handler, extractor and middleware can reach: the database, the settings and
//! the rate limits. A leaf: it names types of the layers below the handlers and none of
//! theirs.

use crate::config::Settings;
use crate::db::Pool;
use crate::ratelimit::Limiters;
use crate::search_index::SearchIndex;

/// The state of one server, shared by its workers.
#[derive(Debug)]
pub struct AppState {
    pub pool: Pool,
    pub settings: Settings,
    pub limiters: Limiters,
    /// The public search index, in step with the change log.
    pub search: std::sync::Arc<SearchIndex>,
}

pub type State = actix_web::web::Data<AppState>;
